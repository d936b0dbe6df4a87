"""Cutover onto a FreshBooks account that already holds the history: with `pre_cutover_invoices: list`, invoices
dated before `cutover_date` are listed (skip records with their number and balance) instead of sent, and so
are the payments and credit memos applied only to them."""

from __future__ import annotations

import logging

import pytest
from mapper_harness import NYC, run_mapper, st_credit_memo, st_invoice, st_line, st_payment, stream_of
from singer_sdk.exceptions import ConfigValidationError

LIST = {"cutover_date": "2024-02-01", "pre_cutover_invoices": "list"}
OLD = st_invoice(1001, items=[st_line(1, price="100.00")], balance="60.00")  # dated 2024-01-31, 40.00 paid
OLDER = st_invoice(1002, items=[st_line(1, price="25.00")], invoiceDate="2024-01-05T20:00:00Z")
NEW = st_invoice(1003, items=[st_line(1, price="80.00")], invoiceDate="2024-02-01T20:00:00Z")  # on the cutover day
SAME_REASON = "dated before cutover_date and pre_cutover_invoices is 'list'"


def run(*streams: list[dict], **settings):
    messages = [*stream_of("tax_zones", NYC)]
    for stream in streams:
        messages.extend(stream)
    return run_mapper(messages, **settings)


def test_invoices_before_the_cutover_are_listed_with_number_and_balance() -> None:
    out = run(stream_of("invoices", OLD, OLDER, NEW), **LIST)
    old, older, new = out.records("invoices")
    for record in (old, older):
        assert set(record) == {"source_key", "skip_reason", "skip_category", "detail"}
        assert record["skip_category"] == "filtered"
        assert record["skip_reason"] == old["skip_reason"]  # one reason for all: counted together
        assert SAME_REASON in record["skip_reason"]
    assert old["source_key"] == "servicetitan:invoice:1001"
    assert old["detail"] == "invoice ST-11001 dated 2024-01-31, balance 60.00"
    # OLDER's balance is its total: 25.00 with NYC's 8.875 % tax = 27.22 (25 x 0.08875 = 2.21875)
    assert older["detail"] == "invoice ST-11002 dated 2024-01-05, balance 27.22"
    assert new["invoice_number"] == "ST-11003" and new["create_date"] == "2024-02-01" and "skip_reason" not in new


def test_a_voided_invoice_before_the_cutover_is_listed_too_never_deleted() -> None:
    [record] = run(stream_of("invoices", {**OLD, "active": False}), **LIST).records("invoices")
    assert SAME_REASON in record["skip_reason"]
    assert record["detail"].endswith("(voided in ServiceTitan)")
    assert "active" not in record


def test_sync_is_the_default_and_sends_them() -> None:
    [record] = run(stream_of("invoices", OLD), cutover_date="2024-02-01").records("invoices")
    assert record["invoice_number"] == "ST-11001" and "skip_reason" not in record


def test_payment_applied_only_to_listed_invoices_is_listed_too() -> None:
    payment = st_payment(55, applied=[(1001, "40.00"), (1002, "10.00")])
    out = run(stream_of("invoices", OLD, OLDER), stream_of("payments", payment), **LIST)
    [record] = out.records("payments")
    assert record["source_key"] == "servicetitan:payment:55"
    assert record["skip_category"] == "filtered" and "applied only to invoices dated before cutover_date" in \
        record["skip_reason"]
    assert record["detail"] == "payment 55 applied 40.00 to invoice ST-11001, 10.00 to invoice ST-11002"


def test_payment_applied_to_listed_and_later_invoices_keeps_the_later_application() -> None:
    payment = st_payment(56, applied=[(1001, "40.00"), (1003, "87.10")])
    out = run(stream_of("invoices", OLD, NEW), stream_of("payments", payment), **LIST)
    kept, skipped = out.records("payments")
    assert kept["source_key"] == "servicetitan:payment:56"
    assert [app["invoice_source_key"] for app in kept["applications"]] == ["servicetitan:invoice:1003"]
    assert kept["applications"][0]["amount"] == {"amount": "87.10", "code": "USD"}
    assert skipped["source_key"] == "servicetitan:payment:56:invoice:1001"
    assert skipped["detail"] == "payment 56 applied 40.00 to invoice ST-11001"


def test_payment_with_an_unapplied_remainder_keeps_the_remainder() -> None:
    payment = st_payment(57, applied=[(1001, "40.00")], unappliedAmount="15.00", total="55.00")
    out = run(stream_of("invoices", OLD), stream_of("payments", payment), **LIST)
    kept, skipped = out.records("payments")
    assert kept["applications"] == [] and kept["unapplied"] == {"amount": "15.00", "code": "USD"}
    assert skipped["source_key"] == "servicetitan:payment:57:invoice:1001"


def test_credit_memo_applied_only_to_a_listed_invoice_is_listed() -> None:
    memo = st_credit_memo(7, applied=[(1001, 30.0)], total=30.0)
    [record] = run(stream_of("invoices", OLD), stream_of("credit_memos", memo), **LIST).records("credit_notes")
    assert record["detail"] == "credit memo 7 applied 30.00 to invoice ST-11001"
    assert "applied only to invoices dated before cutover_date" in record["skip_reason"]


def test_credit_memo_partly_applied_to_a_listed_invoice_keeps_only_its_rest_as_credit() -> None:
    memo = st_credit_memo(8, applied=[(1001, 30.0)], total=50.0)  # 20.00 left to the client
    out = run(stream_of("invoices", OLD), stream_of("credit_memos", memo), **LIST)
    kept, skipped = out.records("credit_notes")
    assert kept["applications"] == []
    total = sum(float(line["unit_cost"]["amount"]) * float(line["qty"]) for line in kept["lines"])
    assert total == pytest.approx(20.0)
    assert kept["lines"][-1]["unit_cost"] == {"amount": "-30.00", "code": "USD"}
    assert skipped["source_key"] == "servicetitan:creditmemo:8:invoice:1001"


def test_payments_of_later_invoices_are_untouched() -> None:
    payment = st_payment(58, applied=[(1003, "87.10")])
    [record] = run(stream_of("invoices", OLD, NEW), stream_of("payments", payment), **LIST).records("payments")
    assert "skip_reason" not in record and len(record["applications"]) == 1


def test_the_summary_counts_them_under_one_reason(caplog) -> None:
    caplog.set_level(logging.INFO)
    run(stream_of("invoices", OLD, OLDER), **LIST)
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("Not mapped: 2 invoices skipped (filtered: dated before cutover_date") for m in messages)
    assert any("invoice ST-11001 dated 2024-01-31, balance 60.00" in m for m in messages)


def test_list_needs_a_cutover_date() -> None:
    with pytest.raises(ConfigValidationError, match="setting 'cutover_date' is required with pre_cutover_invoices"):
        run_mapper([], pre_cutover_invoices="list")
    with pytest.raises(ConfigValidationError, match="setting 'cutover_date': '2024-02-30' is not a date"):
        run_mapper([], cutover_date="2024-02-30")
