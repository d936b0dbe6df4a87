"""The target's write path on the sandbox: backfill, limit binding, incremental, unchanged rerun, dry run.

    python bench/bench_target.py --quick          # a few minutes
    python bench/bench_target.py                  # the full size (slow: hours at 80 ms)
    python bench/bench_target.py --invoices 400 --only backfill
    python bench/bench_target.py --only scale --invoices 100000   # peak RSS of a write run at that size

The target runs as its own process (`target-freshbooks --config ...` over Singer messages on stdin) against
a sandbox started here, so its wall time, CPU time and peak RSS are its own. Call counts come from the
FreshBooks simulator's `/_sandbox/stats`. "Required writes" are the accounting writes the run made (POST,
PUT, DELETE under /accounting, the account lease's excepted): every one of them is needed on a first sync
(the simulator counts requests, so a write refused with 429 and sent again counts twice).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet
from sandbox.testing import RunningSandbox, running_sandbox

from sandbox import credentials

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(sys.executable).parent / "target-freshbooks"
WRITES = ("POST", "PUT", "DELETE", "PATCH")
DAY_INVOICES = 5
"""New invoices of one simulated day (with their clients and payments)."""
SCHEMA = {"type": "object", "properties": {"source_key": {"type": "string"}}, "additionalProperties": True}


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "code": "USD"}


def messages(invoices: int, *, day: int = 0, clients_per: int = 4, paid_share: int = 2) -> list[dict[str, Any]]:
    """FreshBooks-shaped Singer messages: a client per `clients_per` invoices, two items, the invoices, and a
    payment for every `paid_share`-th invoice. `day` > 0 gives that day's new records only (incremental): the
    same `DAY_INVOICES` whatever the history."""
    start = 0 if day == 0 else invoices + (day - 1) * DAY_INVOICES
    count = invoices if day == 0 else DAY_INVOICES
    lines: list[dict[str, Any]] = []
    seen: set[str] = set()

    def record(stream: str, rec: dict[str, Any]) -> None:
        if stream not in seen:
            seen.add(stream)
            lines.append({"type": "SCHEMA", "stream": stream, "schema": SCHEMA, "key_properties": ["source_key"]})
        lines.append({"type": "RECORD", "stream": stream, "record": rec})

    if day == 0:
        for sku, name, cost in (("SVC-CALL", "Service call", "89.00"), ("PART-VALVE", "Valve", "42.50")):
            record("items", {"source_key": f"bench:item:{sku}", "name": name, "sku": sku, "unit_cost": usd(cost)})
    for i in range(start, start + count, clients_per):
        record("clients", {"source_key": f"bench:customer:{i}", "organization": f"Bench Co {i}",
                           "email": f"bench{i}@example.com", "currency_code": "USD"})
    for i in range(start, start + count):
        record("invoices", {
            "source_key": f"bench:invoice:{i}", "client_source_key": f"bench:customer:{i - i % clients_per}",
            "invoice_number": f"B-{i}", "create_date": "2024-05-01", "currency_code": "USD",
            "lines": [{"name": "Service call", "qty": "1", "unit_cost": usd("89.00"), "item_source_key":
                       "bench:item:SVC-CALL"},
                      {"name": "Valve", "qty": "2", "unit_cost": usd("42.50"), "item_source_key":
                       "bench:item:PART-VALVE"}]})
    for i in range(start, start + count, paid_share):
        record("payments", {"source_key": f"bench:payment:{i}", "date": "2024-05-10", "type": "Check",
                            "client_source_key": f"bench:customer:{i - i % clients_per}",
                            "applications": [{"source_key": f"bench:payment:{i}:invoice:{i}",
                                              "invoice_source_key": f"bench:invoice:{i}", "amount": usd("174.00")}]})
    lines.append({"type": "STATE", "value": {"bench": {"day": day}}})
    return lines


@dataclass
class Figures:
    wall: float
    cpu: float
    rss_mb: float
    calls: int
    writes: int
    throttled: int
    records: int
    writers: int = 1
    start_wall: float = 0.0
    start_cpu: float = 0.0
    """Wall and CPU of the process doing nothing (imports, settings, ledger, token, account): not per call."""

    def line(self, name: str, rate: float | None) -> str:
        work_cpu = max(self.cpu - self.start_cpu, 0.0)
        text = (f"{name:<28} records {self.records:>6}  wall {self.wall:7.1f}s  calls {self.calls:>6}  "
                f"writes {self.writes:>6}  calls/writes {self.calls / max(self.writes, 1):5.2f}  "
                f"429s {self.throttled:>3}  CPU/call {1000 * work_cpu / max(self.calls, 1):5.1f} ms "
                f"(+{self.start_cpu:.1f}s start-up)  peak RSS {self.rss_mb:5.0f} MB  writers {self.writers}")
        if rate:
            floor = self.writes / rate
            busy = max(self.wall - self.start_wall, 1e-9)
            text += (f"\n{'':<28} floor {floor:7.1f}s  wall/floor {self.wall / max(floor, 1e-9):5.2f}x  "
                     f"allowance used {100 * (self.calls - self.throttled) / (busy * rate):3.0f}% "
                     "(calls answered, start-up excluded)")
        return text


class Bench:
    def __init__(self, sandbox: RunningSandbox, workdir: Path) -> None:
        self.sandbox = sandbox
        self.workdir = workdir
        self.config = {
            "client_id": credentials.FB_CLIENT_ID, "client_secret": credentials.FB_CLIENT_SECRET,
            "redirect_uri": credentials.FB_REDIRECT_URI, "api_url": sandbox.fb_url, "auth_url": sandbox.fb_url,
            "ledger_url": f"sqlite:///{workdir / 'ledger.db'}", "token_encryption_key": Fernet.generate_key().decode(),
            "request_timeout": 30, "lease_settle_seconds": 0.2,
        }
        done = self.target(["authorize"], {}, "")
        assert done.returncode == 0, done.stderr[-3000:]

    def target(self, args: list[str], extra: dict[str, Any], stdin: str) -> subprocess.CompletedProcess[str]:
        config = self.workdir / "config.json"
        config.write_text(json.dumps({**self.config, **extra}))
        return subprocess.run([str(TARGET), *args, "--config", str(config)], input=stdin, capture_output=True,
                              text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def startup(self, **extra: Any) -> Figures:
        """The target over nothing but a STATE: its start-up cost."""
        return self.run([{"type": "STATE", "value": {}}], measure_start=False, **extra)

    def run(self, lines: list[dict[str, Any]], measure_start: bool = True, **extra: Any) -> Figures:
        start = self.startup(**extra) if measure_start else None
        requests.post(f"{self.sandbox.fb_url}/_sandbox/stats/reset", timeout=10)
        text = "".join(json.dumps(line) + "\n" for line in lines)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = self.target([], extra, text)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"target failed:\n{done.stderr[-4000:]}")
        stats = requests.get(f"{self.sandbox.fb_url}/_sandbox/stats", timeout=10).json()
        pool = re.search(r"Writing with (\d+) writer", done.stderr)
        writes = sum(n for key, n in stats["calls"].items() if key.split(" ")[0] in WRITES
                     and key.split(" ", 1)[1].startswith("/accounting/") and "bill_vendors" not in key)
        return Figures(wall=wall, cpu=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
                       rss_mb=after.ru_maxrss / 1024, calls=stats["total"], writes=writes,
                       throttled=int(stats["statuses"].get("429", 0)),
                       records=sum(1 for line in lines if line["type"] == "RECORD"),
                       writers=int(pool.group(1)) if pool else 1,
                       start_wall=start.wall if start else 0.0, start_cpu=start.cpu if start else 0.0)

    def faults(self, **settings: Any) -> None:
        requests.patch(f"{self.sandbox.fb_url}/_sandbox/faults", json=settings, timeout=10).raise_for_status()


def scale(invoices: int) -> None:
    """A backfill without latency (the target's own CPU and memory are all there is), then a dry run over the
    same records: peak RSS of each at that size."""
    with tempfile.TemporaryDirectory() as tmp, running_sandbox(Path(tmp) / "fb.db") as sb:
        bench = Bench(sb, Path(tmp))
        lines = messages(invoices)
        first = bench.run(lines, max_requests_per_second=1000)
        print(first.line(f"backfill, no latency ({invoices} inv.)", None))
        dry = bench.run(lines, dry_run=True, max_requests_per_second=1000)
        print(dry.line(f"dry run after it ({invoices} inv.)", None))


def scenario(invoices: int, latency_ms: float, limit: int, rate: float, *, dry_run_only: bool = False,
             day_latency_ms: float | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp, running_sandbox(Path(tmp) / "fb.db", fb={"rate_limit": limit}) as sb:
        bench = Bench(sb, Path(tmp))
        bench.faults(latency_ms=latency_ms)
        label = f"{invoices} invoices, {latency_ms:g} ms, limit {limit}/s"
        if dry_run_only:
            bench.faults(latency_ms=0)
            figures = bench.run(messages(invoices), dry_run=True, max_requests_per_second=1000)
            print(figures.line(f"dry run ({invoices} inv.)", None))
            busy = max(figures.wall - figures.start_wall, 1e-9)
            work_cpu = max(figures.cpu - figures.start_cpu, 1e-9)
            print(f"{'':<28} {figures.records / figures.wall:,.0f} records/s with start-up, "
                  f"{figures.records / busy:,.0f} records/s without, {figures.records / work_cpu:,.0f} records "
                  "per CPU second (start-up apart)")
            return
        first = bench.run(messages(invoices), max_requests_per_second=rate)
        print(first.line(f"backfill ({label})", limit or rate))
        rerun = bench.run(messages(invoices), max_requests_per_second=rate)
        print(rerun.line("unchanged rerun", None))
        if day_latency_ms is not None:
            bench.faults(latency_ms=day_latency_ms)
        day = bench.run(messages(invoices, day=1), max_requests_per_second=rate)
        day_ms = latency_ms if day_latency_ms is None else day_latency_ms
        print(day.line(f"1 day after {invoices} inv. ({day_ms:g} ms)", None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a size that runs in a few minutes")
    parser.add_argument("--invoices", type=int, help="invoices of the backfill")
    parser.add_argument("--only", choices=["backfill", "binding", "incremental", "dryrun", "scale"])
    args = parser.parse_args()
    invoices = args.invoices or (200 if args.quick else 100_000)
    if args.only == "scale":
        scale(invoices)
        return
    print(f"machine: {os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}")
    if args.only in (None, "backfill"):
        scenario(invoices, 80, 20, 20)
    if args.only in (None, "binding"):
        scenario(max(invoices // 4, 40), 80, 5, 5)
    if args.only in (None, "incremental"):  # the history written without latency, the day's run at 80 ms
        for history in (invoices * 2, invoices * 8):
            scenario(history, 0, 0, 1000, day_latency_ms=80)
    if args.only in (None, "dryrun"):
        scenario(invoices * 10 if args.quick else invoices, 0, 0, 1000, dry_run_only=True)
    if args.only is None:
        scale(invoices * 10 if args.quick else invoices)


if __name__ == "__main__":
    main()
