"""Chaos: every fault kind on both simulators, the target killed with `kill -9` mid-write, reruns until a run
finishes; FreshBooks must then equal what a fault-free run makes (`make chaos`; `tests/e2e/test_e2e_chaos.py`
runs the same procedure at 300 invoices).

    python bench/chaos.py                         # 10,000 invoices
    python bench/chaos.py --invoices 2000 --kills 5
    python bench/chaos.py --quick                 # 300 invoices, as the test

Procedure. Two sandboxes are seeded alike and get the same simulated week of business (`POST
/_sandbox/activity`), so both ServiceTitan sides are identical. Sandbox A: one fault-free `meltano run`.
Sandbox B: faults on both simulators (`PATCH /_sandbox/faults`; every kind, the same rate each), then
`--kills` times: start `meltano run`, wait until FreshBooks has received a random number of writes from this
run (drawn from `--seed`), `kill -9` the target-freshbooks process (found among the run's own descendants,
never by name machine-wide), wait for Meltano to exit and check nothing of the run is left. Then rerun,
faults still on, until a run exits 0 (at most `--reruns`); then faults off and one more run. Dead letters
left at the end are replayed the documented way (`meltano invoke target-freshbooks:replay`) and counted.

Then a canonical dump of each FreshBooks (side door, every object of clients, items, taxes, invoices with
lines, payments, credit notes): keyed by source key (client note marker, item SKU or name, tax name, invoice
number, payment note markers, credit number; objects that were there before the connector by their seeded
id), ids replaced by the keys they point at. A and B must be equal, with no key held twice and no
connector invoice left in draft; `books_truth.compare` on B must show the same drift as on A (none expected).

Exit status 1 on any difference. `--rate` is the fault rate of each kind (default: 10% of requests in all,
split evenly over the kinds; see the README for why not 10% each).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO / "tests", REPO / "tests" / "e2e"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import requests  # noqa: E402
from books_truth import compare  # noqa: E402
from e2e_harness import MELTANO, Pipeline  # noqa: E402
from freshbooks_writes import accounting_writes  # noqa: E402
from sandbox.faults import RATE_FIELDS  # noqa: E402
from sandbox.freshbooks.testing import SideDoor  # noqa: E402
from sandbox.testing import RunningSandbox, running_sandbox, seed_database  # noqa: E402
from target_freshbooks.lease import LEASE_NAME  # noqa: E402

TASKS = ("tap-servicetitan", "servicetitan-to-freshbooks", "target-freshbooks")
RESOURCES = ("clients", "items", "taxes", "invoices", "payments", "credit_notes", "bill_vendors", "bills",
             "bill_payments")
KIND_COUNT = len(RATE_FIELDS)
DEFAULT_RATE = round(0.10 / KIND_COUNT, 6)  # 10% of requests faulted in all, every kind alike
REQUEST_TIMEOUT = 1  # seconds, both plugins (integers: Meltano's setting kind)
SLOW_SECONDS = 1.5  # a slow answer outlives the plugins' timeout
BURST_429 = 1  # 429s per injected burst (each waited out a whole second): the simulator's 3 tripled the run
MARKER = re.compile(r"\[(servicetitan:[^\]\s]+)\]")
REF_FIELDS = {"customerid": "clients", "clientid": "clients", "invoiceid": "invoices", "creditid": "credit_notes",
              "itemid": "items", "taxid": "taxes", "userid": "clients", "logid": "payments",
              "vendorid": "bill_vendors", "billid": "bills"}
IGNORED_FIELDS = {"id", "updated", "updated_at", "created_at", "uuid", "username", "direct_link_token",
                  "statement_token", "lineid"}


# ------------------------------------------------------------------------------------------------ processes


def processes() -> Iterator[tuple[int, list[str]]]:
    """(pid, fields of /proc/<pid>/stat after the command name) of every process (psutil-free)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        yield int(entry), stat.rsplit(")", 1)[1].split()


def children_map() -> dict[int, list[int]]:
    """Parent pid -> child pids."""
    children: dict[int, list[int]] = {}
    for pid, fields in processes():
        children.setdefault(int(fields[1]), []).append(pid)
    return children


def descendants(pid: int) -> list[int]:
    tree, found, todo = children_map(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def session_members(sid: int) -> list[int]:
    """Live (not zombie) processes of the session a run was started in."""
    return [pid for pid, fields in processes() if int(fields[3]) == sid and fields[0] != "Z"]


def target_pids(run_pid: int) -> list[int]:
    """The target-freshbooks processes among one `meltano run`'s own descendants."""
    return [p for p in descendants(run_pid) if "target-freshbooks" in cmdline(p).split(" --config")[0]]


# ------------------------------------------------------------------------------------------------ the sandbox


def set_faults(sandbox: RunningSandbox, settings: dict[str, Any]) -> None:
    for url in (sandbox.st_url, sandbox.fb_url):
        requests.patch(f"{url}/_sandbox/faults", json=settings, timeout=10).raise_for_status()


def injected(sandbox: RunningSandbox) -> dict[str, dict[str, int]]:
    return {name: requests.get(f"{url}/_sandbox/faults", timeout=10).json()["injected"]
            for name, url in (("servicetitan", sandbox.st_url), ("freshbooks", sandbox.fb_url))}


def fault_settings(rate: float, seed: int) -> dict[str, Any]:
    return {"seed": seed, **dict.fromkeys(RATE_FIELDS, rate), "slow_seconds": SLOW_SECONDS, "retry_after": 1,
            "burst_429": BURST_429}


def activity(sandbox: RunningSandbox, days: int, seed: int) -> dict[str, Any]:
    answer = requests.post(f"{sandbox.st_url}/_sandbox/activity", json={"days": days, "seed": seed}, timeout=1800)
    answer.raise_for_status()
    return dict(answer.json()["changes"])


REFRESH_SETTLE = 1.0
"""Seconds after a token answer within which the target is still saving the rotated tokens."""


def refreshing(sandbox: RunningSandbox) -> bool:
    """A FreshBooks token request is in flight, or was answered less than REFRESH_SETTLE seconds ago. A kill -9
    then loses the rotated refresh token (FreshBooks' are single-use: its answer held the only copy), which only
    `authorize` recovers; that limitation is documented (target README, Tokens), so kills wait it out."""
    answer = requests.get(f"{sandbox.fb_url}/_sandbox/writes", params={"path_suffix": "/auth/oauth/token"},
                          timeout=10)
    answer.raise_for_status()
    now = time.time()
    return any(entry["answered"] is None or now - float(entry.get("answered_at") or 0) < REFRESH_SETTLE
               for entry in answer.json())


def freshbooks_writes(sandbox: RunningSandbox) -> int:
    """Write calls to FreshBooks' accounting API so far (answered or not), the account lease's apart."""
    return accounting_writes(sandbox, SideDoor(sandbox.fb_url))


# ------------------------------------------------------------------------------------------------ canonical dump


def record_id(record: dict[str, Any]) -> int:
    return int(record.get("id") or record.get("vendorid") or record.get("billid") or 0)


def record_key(resource: str, record: dict[str, Any], preexisting: set[int]) -> str:
    if record_id(record) in preexisting:
        return f"seeded:{record_id(record)}"
    text = " ".join(str(record.get(f) or "") for f in ("note", "notes", "description", "memo"))
    markers = sorted(set(MARKER.findall(text)))
    if resource == "clients":
        return markers[0] if markers else f"email:{(record.get('email') or '').lower()}"
    if resource == "items":
        return f"sku:{record['sku']}" if record.get("sku") else f"name:{record.get('name')}"
    if resource == "taxes":
        return f"name:{record.get('name')}"
    if resource == "invoices":
        return f"number:{record.get('invoice_number')}"
    if resource == "credit_notes":
        return f"number:{record.get('credit_number')}"
    if markers:  # payments, bills, bill vendors, bill payments
        return "+".join(markers)
    name = record.get("vendor_name") or record.get("bill_number") or record.get("note")
    return f"unmarked:{name}"


@dataclass
class Dump:
    """Resource -> key -> the objects holding that key (normally one), ids replaced by keys."""

    records: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    drafts: list[str] = field(default_factory=list)
    receivables: dict[str, str] = field(default_factory=dict)

    def duplicates(self) -> list[str]:
        found = []
        for resource, by_key in self.records.items():
            for key, copies in sorted(by_key.items()):
                live = [c for c in copies if c.get("vis_state", 0) in (0, 2)]
                if len(copies) > 1:
                    found.append(f"{resource} {key}: {len(copies)} objects ({len(live)} live, "
                                 f"vis_states {[c.get('vis_state', 0) for c in copies]})")
        return found

    def count(self) -> int:
        return sum(len(v) for by_key in self.records.values() for v in by_key.values())


def canonical(value: Any, ids: dict[str, dict[int, str]], name: str = "") -> Any:
    if isinstance(value, dict):
        return {k: canonical(v, ids, k) for k, v in sorted(value.items()) if k not in IGNORED_FIELDS}
    if isinstance(value, list):
        return [canonical(v, ids, name) for v in value]
    if name in REF_FIELDS and isinstance(value, int) and value:
        return ids[REF_FIELDS[name]].get(value, f"unknown:{value}")
    return value


def dump(fb: SideDoor) -> Dump:
    raw = {resource: [r for r in fb.records(resource) if r.get("vendor_name") != LEASE_NAME]
           for resource in RESOURCES}
    preexisting = {k: set(v) for k, v in fb.preexisting()["records"].items()}
    ids = {resource: {record_id(r): record_key(resource, r, preexisting.get(resource, set())) for r in rows}
           for resource, rows in raw.items()}
    result = Dump()
    for resource, rows in raw.items():
        by_key: dict[str, list[Any]] = {}
        for row in rows:
            key = ids[resource][record_id(row)]
            by_key.setdefault(key, []).append(canonical(row, ids))
            if (resource == "invoices" and row["id"] not in preexisting.get("invoices", set())
                    and row.get("v3_status") == "draft"):
                result.drafts.append(f"invoice {row.get('invoice_number')} (id {row['id']}) is a draft")
        for copies in by_key.values():
            copies.sort(key=lambda c: json.dumps(c, sort_keys=True, default=str))
        result.records[resource] = by_key
    for client_id, row in fb.receivables()["clients"].items():
        result.receivables[ids["clients"].get(int(client_id), f"unknown:{client_id}")] = str(
            Decimal(str(row.get("balance") or 0)).quantize(Decimal("0.01")))
    return result


def differences(clean: Dump, chaotic: Dump, limit: int = 40) -> dict[str, list[str]]:
    """missing (in clean only), extra (in chaotic only), mismatched (same key, other values)."""
    found: dict[str, list[str]] = {"missing": [], "extra": [], "mismatched": []}
    for resource in RESOURCES:
        a, b = clean.records.get(resource, {}), chaotic.records.get(resource, {})
        for key in sorted(set(a) | set(b)):
            if key not in b:
                found["missing"].append(f"{resource} {key}")
            elif key not in a:
                found["extra"].append(f"{resource} {key}: {json.dumps(b[key], default=str)[:300]}")
            elif a[key] != b[key]:
                found["mismatched"].append(f"{resource} {key}: " + describe(a[key], b[key]))
    for key in sorted(set(clean.receivables) | set(chaotic.receivables)):
        if clean.receivables.get(key) != chaotic.receivables.get(key):
            found["mismatched"].append(f"receivable of client {key}: fault-free {clean.receivables.get(key)}, "
                                       f"chaos {chaotic.receivables.get(key)}")
    return found


def describe(a: list[Any], b: list[Any]) -> str:
    if len(a) != len(b):
        return f"{len(a)} object(s) fault-free, {len(b)} with chaos: {json.dumps(b, default=str)[:400]}"
    parts = []
    for x, y in zip(a, b, strict=True):
        for k in sorted(set(x) | set(y)):
            if x.get(k) != y.get(k):
                was, now = json.dumps(x.get(k), default=str)[:160], json.dumps(y.get(k), default=str)[:160]
                parts.append(f"{k}: {was} != {now}")
    return "; ".join(parts[:6])


# ------------------------------------------------------------------------------------------------ the procedure


@dataclass
class RunRecord:
    kind: str  # "killed", "rerun", "final", "clean"
    exit_code: int | None
    seconds: float
    writes: int
    killed_at: int | None = None
    note: str = ""


@dataclass
class ChaosResult:
    runs: list[RunRecord] = field(default_factory=list)
    kills: int = 0
    reruns: int = 0
    forced: int = 0
    replays: int = 0
    dead_letters: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    injected: dict[str, dict[str, int]] = field(default_factory=dict)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    clean_calls: dict[str, int] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)
    clean_duplicates: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    diff: dict[str, list[str]] = field(default_factory=dict)
    drift: list[str] = field(default_factory=list)
    clean_drift: list[str] = field(default_factory=list)
    objects: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    chaos_seconds: float = 0.0
    clean_seconds: float = 0.0


class Chaos:
    """The procedure against a fault-free pipeline (A) and a chaotic one (B) over identical sandboxes."""

    def __init__(self, clean: Pipeline, chaotic: Pipeline, *, seed: int, rate: float, kills: int, reruns: int,
                 kill_window: int, workdir: Path, log: Any = print, run_timeout: float = 3600.0) -> None:
        self.clean, self.chaotic = clean, chaotic
        self.rng = random.Random(seed)
        self.seed, self.rate, self.kills, self.max_reruns = seed, rate, kills, reruns
        self.kill_window = max(2, kill_window)  # a kill lands after 1..kill_window writes of its run
        self.workdir = workdir
        self.log = log
        self.run_timeout = run_timeout
        self.result = ChaosResult()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.started = time.monotonic()
        self.env = {"TARGET_FRESHBOOKS_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT),
                    "TAP_SERVICETITAN_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT)}

    def say(self, text: str) -> None:
        self.log(f"[{time.monotonic() - self.started:7.1f}s] {text}")

    # One `meltano run`, possibly killed ---------------------------------------------------------------------

    def start(self, pipeline: Pipeline, label: str, *extra: str) -> tuple[subprocess.Popen[bytes], Path]:
        out = self.workdir / f"{label}.log"
        proc = subprocess.Popen([MELTANO, "run", *extra, *TASKS], cwd=REPO, env={**pipeline.env, **self.env},
                                stdout=out.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc, out

    def finish(self, proc: subprocess.Popen[bytes], label: str, timeout: float) -> int:
        """Wait for the run to exit (kill its whole session past `timeout`); report anything left of it."""
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.result.problems.append(f"{label}: meltano did not exit within {timeout:.0f}s; killed")
            os.killpg(proc.pid, signal.SIGKILL)
            code = proc.wait()
        deadline = time.monotonic() + 10
        while (left := session_members(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        if left:
            self.result.leftovers.append(f"{label}: left running: " + "; ".join(cmdline(p)[:160] for p in left))
            for pid in left:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        return code

    def run(self, pipeline: Pipeline, label: str, kind: str, kill_after: int | None = None) -> RunRecord:
        before, began = freshbooks_writes(pipeline.sandbox), time.monotonic()
        forced: tuple[str, ...] = ()
        for _ in range(2):
            proc, out = self.start(pipeline, label, *forced)
            killed_at = None
            if kill_after is not None:
                while proc.poll() is None:
                    written = freshbooks_writes(pipeline.sandbox) - before
                    if written >= kill_after and not refreshing(pipeline.sandbox):
                        targets = target_pids(proc.pid)
                        for pid in targets:
                            os.kill(pid, signal.SIGKILL)
                        if targets:
                            killed_at = written
                            break
                    if time.monotonic() - began > self.run_timeout:
                        break
                    time.sleep(0.05)
            code = self.finish(proc, label, max(60.0, self.run_timeout - (time.monotonic() - began)))
            text = out.read_text(errors="replace")
            if code != 0 and not forced and re.search(r"already (running|present)|--force", text):
                self.result.forced += 1  # Meltano's documented answer to a run it still thinks is running
                forced = ("--force",)
                continue
            break
        record = RunRecord(kind, code, time.monotonic() - began, freshbooks_writes(pipeline.sandbox) - before,
                           killed_at)
        if code != 0 and killed_at is None:
            record.note = last_error(text)
        self.result.runs.append(record)
        self.say(f"{label}: exit {code} after {record.seconds:.1f}s, {record.writes} FreshBooks writes"
                 + (f", target killed (kill -9) at write {killed_at}" if killed_at is not None else "")
                 + (f"; {record.note}" if record.note else ""))
        return record

    # The whole procedure ------------------------------------------------------------------------------------

    def execute(self) -> ChaosResult:
        try:
            return self._execute()
        finally:  # interrupted: leave nothing of ours running
            for proc in self.procs:
                if proc.poll() is None:
                    with suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()

    def _execute(self) -> ChaosResult:
        r = self.result
        self.clean.authorize()
        self.chaotic.authorize()
        # The fault-free run goes alongside the chaos (separate sandboxes): the chaos part mostly waits.
        clean_began = time.monotonic()
        clean_proc, clean_out = self.start(self.clean, "clean")
        clean_end: list[float] = []

        def wait_clean() -> None:
            clean_proc.wait()
            clean_end.append(time.monotonic())

        threading.Thread(target=wait_clean, daemon=True).start()

        chaos_began = time.monotonic()
        set_faults(self.chaotic.sandbox, fault_settings(self.rate, self.seed))
        attempt = 0
        while r.kills < self.kills and attempt < self.kills + self.max_reruns:
            attempt += 1
            point = self.rng.randint(1, self.kill_window)
            run = self.run(self.chaotic, f"kill-{attempt}", "killed", kill_after=point)
            if run.killed_at is not None:
                r.kills += 1
            elif run.exit_code == 0:
                r.problems.append(f"kill-{attempt}: the run finished before its kill point ({point} writes): "
                                  "too little work left to kill it again")
                break
        finished = False
        for attempt in range(1, self.max_reruns + 1):
            r.reruns += 1
            if self.run(self.chaotic, f"rerun-{attempt}", "rerun").exit_code == 0:
                finished = True
                break
        if not finished:
            r.problems.append(f"no run finished with faults on in {self.max_reruns} reruns")
        r.injected = injected(self.chaotic.sandbox)
        set_faults(self.chaotic.sandbox, fault_settings(0.0, self.seed))
        final = self.run(self.chaotic, "final", "final")
        if final.exit_code != 0:
            r.problems.append(f"the fault-free run after the chaos exited {final.exit_code}: {final.note}")
        r.dead_letters = self.dead_letters()
        if r.dead_letters:
            r.replays += 1
            replay = self.chaotic.meltano("invoke", "target-freshbooks:replay", check=False, **self.env)
            self.say(f"replay of {len(r.dead_letters)} dead letter(s): exit {replay.returncode}")
            if self.dead_letters():
                r.problems.append(f"dead letters left after replay: {self.dead_letters()[:10]}")
        r.chaos_seconds = time.monotonic() - chaos_began
        r.calls = {"servicetitan": self.chaotic.sandbox.ctx.st_stats.snapshot(),
                   "freshbooks": self.chaotic.sandbox.ctx.fb_stats.snapshot()}
        for name in ("servicetitan", "freshbooks"):
            r.calls[name].pop("calls", None)
        code = self.finish(clean_proc, "clean", self.run_timeout)
        clean_run = RunRecord("clean", code, (clean_end or [time.monotonic()])[0] - clean_began,
                              freshbooks_writes(self.clean.sandbox))
        self.say(f"clean (fault-free, alongside): exit {code} after {clean_run.seconds:.1f}s, {clean_run.writes} "
                 "FreshBooks writes")
        r.runs.append(clean_run)
        r.clean_seconds = clean_run.seconds
        if code != 0:
            r.problems.append(f"the fault-free run exited {code}: {last_error(clean_out.read_text(errors='replace'))}")
        r.clean_calls = {"servicetitan": self.clean.sandbox.ctx.st_stats.snapshot()["total"],
                         "freshbooks": self.clean.sandbox.ctx.fb_stats.snapshot()["total"]}
        self.check()
        r.seconds = time.monotonic() - self.started
        return r

    def dead_letters(self) -> list[str]:
        out = self.chaotic.meltano("invoke", "target-freshbooks:audit", "--dead-letters", "--json", check=False).stdout
        rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        return [f"{row.get('source_key')}: {str(row.get('error'))[:160]}" for row in rows]

    def check(self) -> None:
        r = self.result
        a, b = dump(self.clean.fb), dump(self.chaotic.fb)
        r.objects = b.count()
        r.clean_duplicates, r.duplicates, r.drafts = a.duplicates(), b.duplicates(), b.drafts
        r.diff = differences(a, b)
        lease = [v for v in self.chaotic.fb.records("bill_vendors") if v.get("vendor_name") == LEASE_NAME]
        if len(lease) > 1:
            r.duplicates.append(f"bill_vendors: {len(lease)} lease records")
        r.clean_drift = drift_lines(self.clean)
        r.drift = drift_lines(self.chaotic)
        if r.duplicates:
            r.problems.append(f"{len(r.duplicates)} key(s) held by more than one object")
        if r.drafts:
            r.problems.append(f"{len(r.drafts)} connector invoice(s) left in draft")
        for kind, rows in r.diff.items():
            if rows:
                r.problems.append(f"{len(rows)} {kind} against the fault-free run")
        if sorted(r.drift) != sorted(r.clean_drift):
            r.problems.append("books_truth drift differs from the fault-free run's")
        if r.leftovers:
            r.problems.append(f"{len(r.leftovers)} run(s) left processes behind")


def drift_lines(pipeline: Pipeline) -> list[str]:
    comparison = compare(pipeline.sandbox.ctx.store, pipeline.fb)
    lines = [f"customers {d.customer_ids}: ST AR {d.st_ar} timing {d.timing} FB AR {d.fb_ar} ({d.explained_by()})"
             for d in comparison.drift]
    return lines + [f"duplicate: {d}" for d in comparison.fb.duplicates]


def last_error(text: str) -> str:
    """The run's cause of failure: the target's own error first (a dead target makes the mapper's next write
    fail with BrokenPipeError, which says nothing), else the last error line."""
    lines = [line for line in text.splitlines() if re.search(r"error|fatal|exception|failed", line, re.I)]
    own = [line for line in lines if "target-freshbooks: error" in line or "RunLockedError" in line]
    return ((own or lines)[-1] if lines else (text.strip().splitlines() or [""])[-1])[-300:]


def report(result: ChaosResult, invoices: int, rate: float) -> str:
    r = result
    rows = [f"invoices {invoices}; every fault kind ({KIND_COUNT}) at {rate:.4%} per request on both simulators "
            f"(at most {rate * KIND_COUNT:.1%} of requests faulted); request timeouts {REQUEST_TIMEOUT}s, "
            f"slow answers {SLOW_SECONDS}s",
            f"fault-free run: {r.clean_seconds:.1f}s, calls {r.clean_calls}",
            "runs with chaos:"]
    rows += [f"  {run.kind:<7} exit {run.exit_code!s:>4} {run.seconds:7.1f}s {run.writes:6d} writes"
             + (f"  killed at write {run.killed_at}" if run.killed_at is not None else "")
             + (f"  ({run.note[:140]})" if run.note else "") for run in r.runs if run.kind != "clean"]
    rows += [f"kills (kill -9 of target-freshbooks after writing started): {r.kills}; reruns with faults: "
             f"{r.reruns}; forced past Meltano's run lock: {r.forced}; dead letters at the end: "
             f"{len(r.dead_letters)}; replays: {r.replays}",
             "calls with chaos: " + "; ".join(f"{k} {v['total']} {v['statuses']}" for k, v in r.calls.items()),
             "faults injected: " + "; ".join(f"{k} {dict((n.removeprefix('rate_'), c) for n, c in v.items())}"
                                             for k, v in r.injected.items()),
             f"wall time: {r.seconds:.1f}s (chaos part {r.chaos_seconds:.1f}s)",
             f"objects compared: {r.objects}; duplicates {len(r.duplicates)}; missing "
             f"{len(r.diff.get('missing', []))}; extra {len(r.diff.get('extra', []))}; mismatched "
             f"{len(r.diff.get('mismatched', []))}; drafts {len(r.drafts)}; books_truth drift: chaos "
             f"{len(r.drift)}, fault-free {len(r.clean_drift)}; processes left {len(r.leftovers)}"]
    for title, items in (("duplicates", r.duplicates), ("fault-free duplicates", r.clean_duplicates),
                         ("missing", r.diff.get("missing", [])), ("extra", r.diff.get("extra", [])),
                         ("mismatched", r.diff.get("mismatched", [])), ("drafts", r.drafts),
                         ("drift with chaos", r.drift), ("drift fault-free", r.clean_drift),
                         ("dead letters", r.dead_letters), ("left running", r.leftovers)):
        if items:
            rows.append(f"{title}:")
            rows += [f"  {item}" for item in items[:40]]
            if len(items) > 40:
                rows.append(f"  ... {len(items) - 40} more")
    rows.append("PROBLEMS: " + " | ".join(r.problems) if r.problems else "OK: FreshBooks with chaos equals the "
                "fault-free run")
    return "\n".join(rows)


# ------------------------------------------------------------------------------------------------ standalone


def own_run_dir(sys_dir: Path, shadow: Path) -> Path:
    """A Meltano system directory sharing `sys_dir`'s installed plugins but with its own `run/` directory:
    two `meltano run`s at once over one system directory remove each other's generated catalog
    (`run/tap-servicetitan/tap.properties.json`) and the tap fails on start."""
    shadow.mkdir(parents=True, exist_ok=True)
    for entry in sys_dir.iterdir():
        if entry.name not in ("run", "logs", "meltano.db") and not (shadow / entry.name).exists():
            (shadow / entry.name).symlink_to(entry.resolve())
    return shadow


def kill_window(invoices: int) -> int:
    """Kill points are drawn from the first `invoices // 4` writes of a run (a whole sync is about 2 writes per
    invoice), so three kills still leave work for the reruns."""
    return max(10, invoices // 4)


def meltano_install(sys_dir: Path) -> None:
    env = {**os.environ, "MELTANO_SYS_DIR_ROOT": str(sys_dir), "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run([MELTANO, "install"], cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"meltano install failed:\n{done.stdout}\n{done.stderr[-4000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="300 invoices, as the test")
    parser.add_argument("--seed", type=int, default=42, help="sandbox seed")
    parser.add_argument("--chaos-seed", type=int, default=7, help="fault and kill-point seed")
    parser.add_argument("--activity-seed", type=int, default=101)
    parser.add_argument("--days", type=int, default=7, help="simulated days of business before the first sync")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="fault rate of each kind")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs of every run)")
    args = parser.parse_args(argv)
    invoices = 300 if args.quick else args.invoices

    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="chaos-"))
    print(f"work directory {work}", flush=True)
    template = work / "template.db"
    t = time.monotonic()
    seed_database(template, seed=args.seed, invoices=invoices)
    print(f"seeded {invoices} invoices in {time.monotonic() - t:.1f}s", flush=True)
    sys_dir = work / "meltano-sys"
    meltano_install(sys_dir)
    for name in ("clean", "chaos"):
        (work / name).mkdir()
    with ExitStack() as stack:
        a = stack.enter_context(running_sandbox(work / "clean" / "sandbox.db", template=template))
        b = stack.enter_context(running_sandbox(work / "chaos" / "sandbox.db", template=template))
        changes = activity(a, args.days, args.activity_seed)
        if activity(b, args.days, args.activity_seed) != changes:
            raise SystemExit("the two sandboxes' simulated weeks differ")
        print(f"activity {args.days} days: {changes}", flush=True)
        clean_sys_dir = own_run_dir(sys_dir, work / "meltano-sys-clean")
        chaos = Chaos(Pipeline(a, clean_sys_dir, work / "clean"), Pipeline(b, sys_dir, work / "chaos"),
                      seed=args.chaos_seed, rate=args.rate, kills=args.kills, reruns=args.reruns,
                      kill_window=kill_window(invoices), workdir=work, log=lambda s: print(s, flush=True))
        result = chaos.execute()
    result.seconds = time.monotonic() - began
    print(report(result, invoices, args.rate), flush=True)
    if not args.keep and not result.problems:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"logs kept in {work}", flush=True)
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
