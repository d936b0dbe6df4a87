"""tap-servicetitan against the seeded ServiceTitan sandbox: what it emits, what it saves, what it calls.

Expectations come from the sandbox's own records (`iter_records`), never from the tap.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.repository import Repository
from sandbox.testing import RunningSandbox
from tap_harness import TapRun, parse_messages, run_tap
from tap_window_truth import START, window_documents, window_invoices

STREAM_ORDER = [
    "tax_zones", "payment_types", "gl_accounts", "customers", "locations", "materials", "services", "equipment",
    "vendors", "invoices", "payments", "credit_memos", "inventory_bills", "ap_bills", "ap_credits", "ap_payments",
]
SOURCE_KIND = {name: name for name in STREAM_ORDER}


def source(sandbox: RunningSandbox, kind: str) -> list[dict[str, Any]]:
    return list(iter_records(sandbox.ctx.store, kind))


def stats(sandbox: RunningSandbox) -> dict[str, Any]:
    """Call counts from `/_sandbox/stats` (asked over HTTP, so the tap's last call has been counted)."""
    response = requests.get(f"{sandbox.st_url}/_sandbox/stats", timeout=10)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def calls(sandbox: RunningSandbox, method: str, suffix: str) -> int:
    return sum(n for key, n in stats(sandbox)["calls"].items()
               if key.startswith(f"{method} ") and key.endswith(suffix))


def expected_first_run_invoices(sandbox: RunningSandbox) -> dict[int, dict[str, Any]]:
    """Invoices dated on or after START, plus earlier active ones still open on START."""
    return window_invoices(sandbox.ctx.store)


def test_first_run_emits_every_stream_in_order_with_one_token(sandbox: RunningSandbox) -> None:
    run = run_tap(sandbox.tap_config(start_date=START))

    assert run.record_streams() == STREAM_ORDER
    for stream in STREAM_ORDER:
        if stream in ("invoices", "payments", "credit_memos"):  # the start date's window: test_tap_window
            continue
        emitted = {r["id"] for r in run.records(stream)}
        assert emitted == {doc["id"] for doc in source(sandbox, SOURCE_KIND[stream])}, stream
    assert calls(sandbox, "POST", "/connect/token") == 1


def test_records_keep_servicetitan_shapes_flags_and_exact_money(sandbox: RunningSandbox) -> None:
    run = run_tap(sandbox.tap_config(start_date=START))

    invoices = {r["id"]: r for r in run.records("invoices")}
    for doc in source(sandbox, "invoices"):
        if doc["id"] in invoices:
            record = invoices[doc["id"]]
            assert (record["total"], record["balance"], record["subTotal"]) == (
                doc["total"], doc["balance"], doc["subTotal"])
            assert [(i["id"], i["price"], i["quantity"], i["total"]) for i in record["items"]] == [
                (i["id"], i["price"], i["quantity"], i["total"]) for i in doc["items"]]
    payments = {r["id"]: r for r in run.records("payments")}
    assert payments
    for doc in source(sandbox, "payments"):
        if doc["id"] not in payments:
            continue
        assert payments[doc["id"]]["total"] == doc["total"]
        assert payments[doc["id"]]["appliedTo"] == doc["appliedTo"]
    customers = {r["id"]: r for r in run.records("customers")}
    for doc in source(sandbox, "customers"):
        assert Decimal(str(customers[doc["id"]]["balance"])) == Decimal(str(doc["balance"]))
    materials = {r["id"]: r for r in run.records("materials")}
    for doc in source(sandbox, "materials"):
        assert (materials[doc["id"]]["code"], Decimal(str(materials[doc["id"]]["price"]))) == (
            doc["code"], Decimal(str(doc["price"])))

    inactive_seen = 0
    for stream in STREAM_ORDER:
        emitted = {r["id"]: r for r in run.records(stream)}
        for doc in source(sandbox, SOURCE_KIND[stream]):
            if doc.get("active") is False and doc["id"] in emitted:
                assert emitted[doc["id"]]["active"] is False
                inactive_seen += 1
    assert inactive_seen > 0


def test_customers_carry_their_active_email_and_phone_contacts(sandbox: RunningSandbox) -> None:
    run = run_tap(sandbox.tap_config(), streams=["customers"])

    contacts: dict[int, list[dict[str, Any]]] = {}
    for contact in source(sandbox, "contacts"):
        contacts.setdefault(contact["customerId"], []).append(contact)
    checked_with_email = 0
    for record in run.records("customers"):
        mine = sorted((c for c in contacts.get(record["id"], []) if c["active"]), key=lambda c: c["id"])
        emails = [c["value"] for c in mine if c["type"] == "Email"]
        phones = [c["value"] for c in mine if c["type"] in ("Phone", "MobilePhone")]
        assert record["emails"] == emails
        assert record["email"] == (emails[0] if emails else None)
        assert record["phone"] == (phones[0] if phones else None)
        checked_with_email += bool(emails)
    assert checked_with_email > 0


def test_first_run_keeps_recent_invoices_and_older_open_ones(sandbox: RunningSandbox) -> None:
    run = run_tap(sandbox.tap_config(start_date=START), streams=["invoices"])

    expected = expected_first_run_invoices(sandbox)
    emitted = {r["id"] for r in run.records("invoices")}
    assert emitted == set(expected)
    start = date.fromisoformat(START)
    old = [doc for doc in source(sandbox, "invoices") if datetime.fromisoformat(doc["invoiceDate"]).date() < start]
    old_open = [d["id"] for d in old if d["active"] and Decimal(d["balance"]) != 0]
    paid_later = [d["id"] for d in old if Decimal(d["balance"]) == 0 and (d["paidOn"] or "")[:10] >= START]
    paid_before = [d["id"] for d in old if Decimal(d["balance"]) == 0 and (d["paidOn"] or "")[:10] < START]
    assert old_open and paid_later and paid_before  # the seed has every kind
    assert set(old_open) | set(paid_later) <= emitted
    assert not set(paid_before) & emitted


def test_a_revoked_token_is_replaced_once_and_the_call_retried(sandbox: RunningSandbox) -> None:
    config = sandbox.tap_config(start_date=START)
    first = run_tap(config, streams=["tax_zones"])
    tap = first.tap
    requests.post(f"{sandbox.st_url}/_sandbox/servicetitan/tokens/expire", timeout=10).raise_for_status()
    sandbox.ctx.st_stats.reset()

    # The same tap (and so the same cached token) syncs again: the first call is refused, then retried.
    with _captured_stdout() as out:
        tap.sync_all()
    second = parse_messages(out.getvalue())

    assert stats(sandbox)["statuses"].get("401") == 1
    assert calls(sandbox, "POST", "/connect/token") == 1
    records = [m["record"]["id"] for m in second if m["type"] == "RECORD" and m["stream"] == "tax_zones"]
    assert sorted(records) == sorted(d["id"] for d in source(sandbox, "tax_zones"))


def test_rate_limit_answers_are_waited_out(sandbox: RunningSandbox) -> None:
    requests.patch(f"{sandbox.st_url}/_sandbox/config", json={"rate_limit": 4},
                   timeout=10).raise_for_status()
    run = run_tap(sandbox.tap_config(page_size=3, max_requests_per_second=100), streams=["vendors", "gl_accounts"])

    assert stats(sandbox)["statuses"].get("429", 0) > 0
    assert {r["id"] for r in run.records("vendors")} == {d["id"] for d in source(sandbox, "vendors")}
    assert {r["id"] for r in run.records("gl_accounts")} == {d["id"] for d in source(sandbox, "gl_accounts")}


def test_a_run_killed_mid_export_resumes_from_its_token_and_loses_nothing(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    requests.patch(f"{sandbox.st_url}/_sandbox/config", json={"export_batch_size": 20}, timeout=10).raise_for_status()
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(sandbox.tap_config(start_date=START)))
    command = [sys.executable, "-m", "tap_servicetitan.tap", "--config", str(config_path)]

    # Read the tap's output as a target would, and stop it dead after its third invoices page.
    received: list[dict[str, Any]] = []
    invoice_pages = 0
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            message = json.loads(line)
            received.append(message)
            if message["type"] == "STATE" and "continueFrom" in message["value"]["bookmarks"].get("invoices", {}):
                invoice_pages += 1
                if invoice_pages == 3:
                    process.kill()
                    break
    interrupted = TapRun(messages=received, tap=None)  # type: ignore[arg-type]
    last_state = interrupted.final_state
    assert last_state["bookmarks"]["invoices"]["initialExportDone"] is False

    resumed = run_tap(sandbox.tap_config(start_date=START), state=last_state)

    union = {r["id"] for r in interrupted.records("invoices")} | {r["id"] for r in resumed.records("invoices")}
    assert union == set(expected_first_run_invoices(sandbox))
    store = sandbox.ctx.store
    expected_payments = window_documents(store, "payments", window_invoices(store))
    assert {r["id"] for r in resumed.records("payments")} | {r["id"] for r in interrupted.records("payments")} == set(
        expected_payments)
    # The resumed run did not start the invoice export over.
    assert len(resumed.records("invoices")) < len(expected_first_run_invoices(sandbox))


def test_the_next_run_reads_only_what_changed(sandbox: RunningSandbox) -> None:
    """Targeted changes written through the simulator's repository (an old invoice paid off after the start
    date edited, an email changed, a vendor edited, a material deactivated); the next test lets
    `sandbox activity` choose."""
    config = sandbox.tap_config(start_date=START)
    first = run_tap(config)

    start = date.fromisoformat(START)
    old_paid = next(d for d in source(sandbox, "invoices")
                    if datetime.fromisoformat(d["invoiceDate"]).date() < start and Decimal(d["balance"]) == 0
                    and (d["paidOn"] or "")[:10] >= START)
    email = next(c for c in source(sandbox, "contacts") if c["type"] == "Email" and c["active"])
    vendor = source(sandbox, "vendors")[0]
    material = next(d for d in source(sandbox, "materials") if d["active"])
    sandbox.ctx.clock.advance(timedelta(days=1))
    repo = Repository(sandbox.ctx.store, sandbox.ctx.clock.now())
    repo.update("invoices", old_paid["id"], {"summary": "Reprinted for the customer"})
    repo.update("contacts", email["id"], {"value": "changed.address@example.com"})
    repo.update("vendors", vendor["id"], {"memo": "New remittance address"})
    repo.update("materials", material["id"], {"active": False})
    sandbox.ctx.st_stats.reset()

    second = run_tap(config, state=first.final_state)

    changed_invoice = [r for r in second.records("invoices") if r["id"] == old_paid["id"]]
    assert changed_invoice and changed_invoice[0]["summary"] == "Reprinted for the customer"
    customer = [r for r in second.records("customers") if r["id"] == email["customerId"]]
    assert customer and "changed.address@example.com" in customer[0]["emails"]
    assert vendor["id"] in {r["id"] for r in second.records("vendors")}
    assert [r["active"] for r in second.records("materials") if r["id"] == material["id"]] == [False]
    # Only what changed (plus the few rows an export repeats at its tail) comes out...
    for stream in ("invoices", "payments", "customers", "locations", "materials", "inventory_bills"):
        assert len(second.records(stream)) <= 5, stream
    # ... from one call per feed, plus the lookups for the one customer whose contact changed.
    export_calls = {key: n for key, n in stats(sandbox)["calls"].items() if "/export/" in key}
    assert all(n == 1 for n in export_calls.values()), export_calls
    assert len(export_calls) == 9, export_calls
    assert calls(sandbox, "GET", "/crm/v2/tenant/7654321/customers") == 1
    assert calls(sandbox, "GET", "/crm/v2/tenant/7654321/customers/contacts") == 2  # the changed, the emitted
    assert stats(sandbox)["total"] <= 9 + 3 + 6 + 2 + 1 + 1  # feeds, references, lists, lookups


class _captured_stdout:
    def __enter__(self) -> Any:
        import io
        from contextlib import redirect_stdout

        self.buffer = io.StringIO()
        self._redirect = redirect_stdout(self.buffer)
        self._redirect.__enter__()
        return self.buffer

    def __exit__(self, *exc: object) -> None:
        self._redirect.__exit__(*exc)


def test_a_run_through_injected_faults_emits_what_a_clean_run_does(sandbox: RunningSandbox) -> None:
    """429 bursts, 5xx, connection resets and tokens dying early, from the sandbox's seeded fault injector."""
    requests.patch(f"{sandbox.st_url}/_sandbox/config", json={"export_batch_size": 60}, timeout=10).raise_for_status()
    config = sandbox.tap_config(start_date=START, page_size=20)
    clean = run_tap(config)
    faults = {"seed": 11, "rate_429": 0.06, "burst_429": 1, "retry_after": 1, "rate_500": 0.04, "rate_503": 0.04,
              "rate_reset": 0.04, "rate_token_expiry": 0.04}
    requests.patch(f"{sandbox.st_url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()

    faulty = run_tap(config)

    injected = requests.get(f"{sandbox.st_url}/_sandbox/faults", timeout=10).json()["injected"]
    assert sum(injected.values()) >= 4, injected
    for stream in STREAM_ORDER:
        assert {r["id"] for r in faulty.records(stream)} == {r["id"] for r in clean.records(stream)}, stream


def test_after_simulated_business_days_the_next_run_emits_every_change_and_little_else(
    sandbox: RunningSandbox,
) -> None:
    config = sandbox.tap_config(start_date=START)
    first = run_tap(config)
    since = sandbox.ctx.clock.now()
    response = requests.post(f"{sandbox.st_url}/_sandbox/activity", json={"days": 3, "seed": 5}, timeout=120)
    response.raise_for_status()
    sandbox.ctx.st_stats.reset()

    second = run_tap(config, state=first.final_state)

    def changed(kind: str) -> dict[int, dict[str, Any]]:
        return {d["id"]: d for d in source(sandbox, kind)
                if d.get("modifiedOn") and datetime.fromisoformat(d["modifiedOn"]) > since}

    incremental = ("customers", "locations", "materials", "services", "equipment", "vendors", "invoices",
                   "payments", "credit_memos", "inventory_bills", "ap_bills", "ap_credits", "ap_payments")
    expected = {stream: set(changed(SOURCE_KIND[stream])) for stream in incremental}
    expected["customers"] |= {c["customerId"] for c in changed("contacts").values()}
    assert sum(len(ids) for ids in expected.values()) > 20  # the days brought real work
    for stream in incremental:
        emitted = {r["id"]: r for r in second.records(stream)}
        assert expected[stream] <= set(emitted), stream
        for record_id in changed(SOURCE_KIND[stream]):
            assert emitted[record_id]["modifiedOn"] == source_doc(sandbox, stream, record_id)["modifiedOn"]
        # Besides the changes, at most the few rows an export repeats at its tail (includeRecentChanges).
        assert len(set(emitted) - expected[stream]) <= 3, stream
    export_calls = {key: n for key, n in stats(sandbox)["calls"].items() if "/export/" in key}
    changed_total = sum(len(ids) for ids in expected.values())
    assert sum(export_calls.values()) <= len(export_calls) + changed_total // 1000 + 1


def source_doc(sandbox: RunningSandbox, stream: str, record_id: int) -> dict[str, Any]:
    return next(d for d in source(sandbox, SOURCE_KIND[stream]) if d["id"] == record_id)


def test_accounts_payable_come_whole_with_exact_money(sandbox: RunningSandbox) -> None:
    """Every AP bill, credit and payment, whatever its date (start_date does not bound them), money exact."""
    run = run_tap(sandbox.tap_config(start_date=START), streams=["ap_bills", "ap_credits", "ap_payments"])
    for stream in ("ap_bills", "ap_credits", "ap_payments"):
        emitted = {r["id"]: r for r in run.records(stream)}
        assert set(emitted) == {d["id"] for d in source(sandbox, stream)}, stream
    for bill in source(sandbox, "ap_bills"):
        record = run.records("ap_bills")[[r["id"] for r in run.records("ap_bills")].index(bill["id"])]
        assert record["billAmount"] == bill["billAmount"]
        assert [e["amount"] for e in record["expenseItems"]] == [e["amount"] for e in bill["expenseItems"]]
    for stream in ("ap_credits", "ap_payments"):
        emitted = {r["id"]: r for r in run.records(stream)}
        for doc in source(sandbox, stream):
            assert Decimal(str(emitted[doc["id"]]["amount"])) == Decimal(str(doc["amount"]))
            assert [Decimal(str(s["amount"])) for s in emitted[doc["id"]]["splits"]] == [
                Decimal(str(s["amount"])) for s in doc["splits"]]
    state = run.final_state["bookmarks"]
    assert state["ap_bills"]["modifiedOnOrAfter"] == max(d["modifiedOn"] for d in source(sandbox, "ap_bills"))
    assert state["ap_payments"]["modifiedOnOrAfter"] == max(d["modifiedOn"] for d in source(sandbox, "ap_payments"))
    again = run_tap(sandbox.tap_config(start_date=START), state=run.final_state,
                    streams=["ap_bills", "ap_credits", "ap_payments"])
    assert again.records("ap_bills") == []  # the lookback re-reads the last hour; state knows those versions
    for stream in ("ap_credits", "ap_payments"):  # sorted lists re-read the newest modifiedOn only
        bound = state[stream]["modifiedOnOrAfter"]
        assert {r["modifiedOn"] for r in again.records(stream)} <= {bound}, stream
