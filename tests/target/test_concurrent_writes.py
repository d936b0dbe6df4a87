"""Concurrent writers keep dependency order (issue 13): seen from FreshBooks' side, in the simulator's write
journal (`/_sandbox/writes`: each write with the order it arrived and was answered in), and from the STATE
messages the target emits. The sandbox answers each call after a delay, so that writes overlap as they do
over the internet."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import redirect_stdout
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy
from target_freshbooks.target import TargetFreshBooks
from target_harness import Messages, TargetEnv, usd, write_config

CLIENTS = 8
INVOICES_PER_CLIENT = 3
LATENCY = {"latency_ms": 40, "jitter_ms": 30}


def client_key(c: int) -> str:
    return f"cw:customer:{c}"


def invoice_key(c: int, i: int) -> str:
    return f"cw:invoice:{c}-{i}"


def invoice_amount(c: int, i: int) -> Decimal:
    return Decimal(100 + 10 * c + i)


def paid(c: int, i: int) -> Decimal:
    """Every other invoice is paid in part."""
    return Decimal(20 + c) if i % 2 == 0 else Decimal(0)


def source_messages(*, states: bool = False) -> Messages:
    """Each client's records together (a client, its invoices, each followed by its payment, if any), as a
    producer merging streams by customer would send them: the order that most tempts writers to overlap."""
    messages = Messages()
    messages.record("items", {"source_key": "cw:service:1", "name": "Service call", "sku": "SVC-CALL",
                              "unit_cost": usd("1.00")})
    for c in range(CLIENTS):
        messages.record("clients", {"source_key": client_key(c), "organization": f"Client {c}",
                                    "email": f"client{c}@concurrent.example", "currency_code": "USD"})
        for i in range(INVOICES_PER_CLIENT):
            messages.record("invoices", {
                "source_key": invoice_key(c, i), "client_source_key": client_key(c),
                "invoice_number": f"CW-{c}-{i}", "create_date": "2026-03-02", "currency_code": "USD",
                "lines": [{"name": "Service call", "qty": str(invoice_amount(c, i)), "unit_cost": usd("1.00"),
                           "item_source_key": "cw:service:1"}]})
            if paid(c, i):
                messages.record("payments", {
                    "source_key": f"cw:payment:{c}-{i}", "client_source_key": client_key(c), "date": "2026-03-09",
                    "type": "Check", "applications": [{"source_key": f"cw:payment:{c}-{i}:invoice",
                                                       "invoice_source_key": invoice_key(c, i),
                                                       "amount": usd(str(paid(c, i)))}]})
        if states:
            messages.state({"bookmarks": {"customers": c}})
    return messages


def set_faults(env: TargetEnv, **settings: Any) -> None:
    answer = requests.patch(f"{env.sandbox.fb_url}/_sandbox/faults", json=settings, timeout=5)
    assert answer.status_code == 200, answer.text


def journal(env: TargetEnv) -> list[dict[str, Any]]:
    return requests.get(f"{env.sandbox.fb_url}/_sandbox/writes", timeout=10).json()


def result(entry: dict[str, Any], single: str) -> dict[str, Any]:
    return ((entry.get("answer") or {}).get("response") or {}).get("result", {}).get(single) or {}


def client_touched(entry: dict[str, Any], invoice_client: dict[int, int]) -> int | None:
    """The FreshBooks client whose balance a write moves (None: a write about no client)."""
    body = entry.get("body") or {}
    path = entry["path"]
    if "/users/clients" in path and entry["method"] == "POST":
        return result(entry, "client").get("id")
    if "/invoices/invoices" in path:
        invoice = body.get("invoice") or {}
        if "customerid" in invoice:
            return int(invoice["customerid"])
        return invoice_client.get(int(path.rsplit("/", 1)[-1])) if path.rsplit("/", 1)[-1].isdigit() else None
    if "/payments/payments" in path:
        invoiceid = (body.get("payment") or {}).get("invoiceid")
        return invoice_client.get(int(invoiceid)) if invoiceid is not None else None
    return None


def overlapping(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["arrived"] < b["answered"] and b["arrived"] < a["answered"]


def test_writers_overlap_yet_one_clients_writes_never_do_and_payments_follow_their_invoice(env: TargetEnv) -> None:
    set_faults(env, **LATENCY)
    env.fb.reset_stats()
    run = env.run(source_messages(), write_workers=4)
    set_faults(env, latency_ms=0, jitter_ms=0)

    assert run.exit_code == 0
    writes = [entry for entry in journal(env) if "bill_vendors" not in entry["path"]]  # the lease is not books
    assert all(entry["status"] == 200 for entry in writes), [e for e in writes if e["status"] != 200]
    invoice_created: dict[int, dict[str, Any]] = {}
    invoice_client: dict[int, int] = {}
    for entry in writes:
        if entry["method"] == "POST" and entry["path"].endswith("/invoices/invoices"):
            invoice = result(entry, "invoice")
            invoice_created[int(invoice["id"])] = entry
            invoice_client[int(invoice["id"])] = int(invoice["customerid"])

    # Writers did work at the same time (else the checks below would prove nothing).
    most_at_once = max(sum(1 for other in writes if overlapping(entry, other)) for entry in writes)
    assert most_at_once >= 2, "no two writes were ever in flight together"

    # ...but never two writes moving one client's balance.
    touching: dict[int, list[dict[str, Any]]] = {}
    for entry in writes:
        client = client_touched(entry, invoice_client)
        if client is not None:
            touching.setdefault(client, []).append(entry)
    assert len(touching) == CLIENTS
    for client, entries in touching.items():
        for n, entry in enumerate(entries):
            clash = [other for other in entries[n + 1:] if overlapping(entry, other)]
            assert not clash, f"client {client}: {entry['method']} {entry['path']} overlapped {clash[0]['path']}"

    # Each payment reached FreshBooks after its invoice was created, and landed in the first pass (not parked).
    payments = [e for e in writes if e["method"] == "POST" and e["path"].endswith("/payments/payments")]
    assert len(payments) == sum(1 for c in range(CLIENTS) for i in range(INVOICES_PER_CLIENT) if paid(c, i))
    for entry in payments:
        invoiceid = int(entry["body"]["payment"]["invoiceid"])
        assert invoice_created[invoiceid]["answered"] < entry["arrived"]
    assert run.counts("payments") == {"created": len(payments)}
    with sqlalchemy.create_engine(env.config["ledger_url"]).connect() as ledger:
        parked = ledger.execute(sqlalchemy.text("SELECT stream, source_key, detail FROM audit_log "
                                                "WHERE action = 'park'")).all()
    assert parked == [], "records waited for a record still in flight by parking, not in their lane"

    # The books: each invoice's outstanding amount is its total less what was paid on it.
    by_number = {row["invoice_number"]: row for row in env.fb.records("invoices")}
    for c in range(CLIENTS):
        for i in range(INVOICES_PER_CLIENT):
            row = by_number[f"CW-{c}-{i}"]
            assert Decimal(row["outstanding"]["amount"]) == invoice_amount(c, i) - paid(c, i)


class LedgerWatcher(io.StringIO):
    """Target stdout (where a target writes nothing but its STATE values) that, as each STATE is written,
    reads the ledger (its own connection) for the records that came before that STATE."""

    def __init__(self, ledger_url: str, before_each_state: list[list[tuple[str, str]]]) -> None:
        super().__init__()
        self.engine = sqlalchemy.create_engine(ledger_url)
        self.expected = before_each_state
        self.missing: list[list[tuple[str, str]]] = []

    def write(self, text: str) -> int:
        if text.strip():
            done = self._landed()
            expected = self.expected[len(self.missing)]
            self.missing.append([key for key in expected if key not in done])
        return super().write(text)

    def _landed(self) -> set[tuple[str, str]]:
        with self.engine.connect() as connection:
            rows = connection.execute(sqlalchemy.text(
                "SELECT stream, source_key FROM id_map WHERE freshbooks_id IS NOT NULL"))
            return {(stream, key) for stream, key in rows}


def test_a_state_is_emitted_only_once_every_record_before_it_is_in_the_ledger(env: TargetEnv) -> None:
    messages = source_messages(states=True)
    expected: list[list[tuple[str, str]]] = []
    seen: list[tuple[str, str]] = []
    for line in messages.lines:
        if line["type"] == "RECORD":  # a payment is in FreshBooks as its applications
            record = line["record"]
            if line["stream"] == "payments":
                seen.extend(("payment_applications", app["source_key"]) for app in record["applications"])
            else:
                seen.append((line["stream"], record["source_key"]))
        elif line["type"] == "STATE":
            expected.append(list(seen))
    set_faults(env, **LATENCY)
    target = TargetFreshBooks(config={**env.config, "write_workers": 4}, validate_config=True)
    out = LedgerWatcher(env.config["ledger_url"], expected)
    try:
        with redirect_stdout(out):
            target.listen(io.StringIO(messages.text()))
    finally:
        set_faults(env, latency_ms=0, jitter_ms=0)

    states = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    assert states == [line["value"] for line in messages.lines if line["type"] == "STATE"]
    assert out.missing == [[]] * len(expected), "a STATE was emitted before these records had their outcome"


def test_a_run_killed_mid_flight_converges_on_rerun_with_no_duplicate(env: TargetEnv, tmp_path: Path) -> None:
    messages = tmp_path / "messages.jsonl"
    messages.write_text(source_messages(states=True).text())
    config = write_config({**env.config, "write_workers": 4}, tmp_path / "config.json")
    command = [sys.executable, "-m", "target_freshbooks.cli", "--config", str(config)]
    set_faults(env, **LATENCY)
    env.fb.reset_stats()
    with messages.open() as stdin:
        killed = subprocess.Popen(command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        deadline = time.monotonic() + 60
        while env.fb.writes("POST") < CLIENTS + 6:  # the clients and a few invoices are in
            assert killed.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
            time.sleep(0.02)
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()
    set_faults(env, latency_ms=0, jitter_ms=0)

    rerun = subprocess.run(command, stdin=messages.open(), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]

    clients = env.fb.records("clients")
    assert sorted(row["email"] for row in clients) == sorted(f"client{c}@concurrent.example" for c in range(CLIENTS))
    numbers = [row["invoice_number"] for row in env.fb.records("invoices")]
    assert sorted(numbers) == sorted(f"CW-{c}-{i}" for c in range(CLIENTS) for i in range(INVOICES_PER_CLIENT))
    by_number = {row["invoice_number"]: row for row in env.fb.records("invoices")}
    assert len(env.fb.records("payments")) == sum(1 for c in range(CLIENTS) for i in range(INVOICES_PER_CLIENT)
                                                  if paid(c, i))
    for c in range(CLIENTS):
        for i in range(INVOICES_PER_CLIENT):
            assert Decimal(by_number[f"CW-{c}-{i}"]["outstanding"]["amount"]) == invoice_amount(c, i) - paid(c, i)


@pytest.mark.parametrize("workers", ["0", "33", "two"])
def test_a_bad_write_workers_setting_is_named_with_its_range(env: TargetEnv, workers: str) -> None:
    with pytest.raises(Exception, match=r"write_workers .*from 1 to 32"):
        env.run(Messages(), write_workers=workers)
