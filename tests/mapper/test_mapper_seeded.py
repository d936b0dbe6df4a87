"""The mapper over the sandbox's seeded ServiceTitan company (seed 42, 300 invoices), in the tap's stream order.

Expectations come from the ServiceTitan records themselves: every invoice's FreshBooks total equals its
ServiceTitan total to the cent (an adjustment invoice's credit note, minus it), every credit memo's note
equals the memo's total, every reference names a record the run produced (or a line's fallback item), every
payment application is one of ServiceTitan's `appliedTo` entries (a refund's, negated); every bill's lines total its
`billAmount`, and every bill payment applies what the AP payment's or credit's active splits apply, to bills of the
run.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from mapper_harness import freshbooks_bill_total, freshbooks_invoice_total, run_mapper, stream_of

TAP_ORDER = ["tax_zones", "payment_types", "gl_accounts", "customers", "locations", "materials", "services",
             "equipment", "vendors", "invoices", "payments", "credit_memos", "inventory_bills", "ap_bills",
             "ap_credits", "ap_payments"]


@pytest.fixture(scope="module")
def company(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    """Every ServiceTitan record of the seeded company by stream, customers with the tap's contact fields."""
    data_module = pytest.importorskip("sandbox.servicetitan.data")
    from sandbox.store import Store

    copy = tmp_path_factory.mktemp("mapper-seeded") / "sandbox.db"
    shutil.copyfile(seeded_template, copy)
    store = Store(copy)
    try:
        records = {stream: list(data_module.iter_records(store, stream)) if stream in data_module.PUBLIC_KINDS
                   else [] for stream in TAP_ORDER}
        contacts = list(data_module.iter_records(store, "contacts"))
    finally:
        store.conn.close()
    by_customer = defaultdict(list)
    for contact in sorted(contacts, key=lambda c: c["id"]):
        if contact["active"] and contact["value"]:
            by_customer[contact["customerId"]].append(contact)
    for customer in records["customers"]:
        mine = by_customer[customer["id"]]
        emails = [c["value"] for c in mine if c["type"] == "Email"]
        phones = [c["value"] for c in mine if c["type"] in ("Phone", "MobilePhone")]
        customer.update(email=emails[0] if emails else None, emails=emails, phone=phones[0] if phones else None)
    return records


def invoice_documents(out) -> dict[str, dict]:
    """The mapped documents of ServiceTitan invoices: invoices, and credit notes of adjustment invoices."""
    return {r["source_key"]: r for stream in ("invoices", "credit_notes") for r in out.records(stream)
            if r["source_key"].startswith("servicetitan:invoice:") and not r.get("skip_reason")}


def expected_total(source: dict) -> Decimal:
    """ServiceTitan's total, as a positive credit when the invoice is a negative adjustment (the default mode)."""
    total = Decimal(source["total"])
    return -total if source["adjustmentToId"] is not None and total < 0 else total


@pytest.fixture(scope="module")
def mapped(company):
    messages = [message for stream in TAP_ORDER for message in stream_of(stream, *company[stream])]
    return run_mapper(messages, business_timezone="America/New_York",
                      invoice_sync_statuses=["Pending", "Posted", "Exported"])


def test_every_invoice_totals_to_the_cent(company, mapped) -> None:
    invoices = invoice_documents(mapped)
    assert len(invoices) == len(company["invoices"]) > 0
    assert any(source["adjustmentToId"] for source in company["invoices"])
    for source in company["invoices"]:
        lines = invoices[f"servicetitan:invoice:{source['id']}"]["lines"]
        assert freshbooks_invoice_total(lines) == expected_total(source), source["id"]


def test_every_credit_memo_note_totals_to_the_memo(company, mapped) -> None:
    notes = {r["source_key"]: r for r in mapped.records("credit_notes")}
    assert company["credit_memos"]
    for source in company["credit_memos"]:
        note = notes[f"servicetitan:creditmemo:{source['id']}"]
        assert freshbooks_invoice_total(note["lines"]) == Decimal(str(source["total"])), source["id"]
        applied = {f"servicetitan:invoice:{a['appliedTo']}": Decimal(str(a["appliedAmount"]))
                   for a in source["appliedTo"]}
        assert {a["invoice_source_key"]: Decimal(a["amount"]["amount"]) for a in note["applications"]} == applied
        assert note["review_reason"] is None


@pytest.mark.parametrize(("setting", "simulator_rounding"), [("per_line", "line"), ("per_invoice", "invoice")])
def test_the_freshbooks_simulator_computes_servicetitans_totals(company, setting, simulator_rounding) -> None:
    """The FreshBooks simulator's own line arithmetic, on the mapped lines, gives ServiceTitan's totals."""
    lines_module = pytest.importorskip("sandbox.freshbooks.lines")
    messages = [message for stream in TAP_ORDER for message in stream_of(stream, *company[stream])]
    out = run_mapper(messages, business_timezone="America/New_York", freshbooks_tax_rounding=setting)
    totals = {f"servicetitan:invoice:{source['id']}": expected_total(source) for source in company["invoices"]}
    mapped = invoice_documents(out).values()
    assert mapped
    for invoice in mapped:
        lines = lines_module.normalize_lines(invoice["lines"], "invoice", "USD")
        computed = lines_module.compute(lines, "0", simulator_rounding)
        assert computed.total == totals[invoice["source_key"]], invoice["source_key"]


def test_rounding_lines_only_take_cents(company, mapped) -> None:
    adjustments = [Decimal(line["unit_cost"]["amount"]) for invoice in mapped.records("invoices")
                   for line in invoice["lines"] if line["name"] == "Sales tax rounding adjustment"]
    biggest_invoice = max(len(source["items"]) for source in company["invoices"])
    assert all(abs(amount) <= Decimal("0.005") * (biggest_invoice + 1) for amount in adjustments)


def test_references_name_records_of_the_run(company, mapped) -> None:
    clients = {r["source_key"] for r in mapped.records("clients")}
    items = {r["source_key"] for r in mapped.records("items")}
    taxes = {r["name"] for r in mapped.records("taxes")}
    assert len(clients) == len(company["customers"])
    assert len(items) == sum(len(company[kind]) for kind in ("materials", "services", "equipment"))
    for invoice in mapped.records("invoices"):
        assert invoice["client_source_key"] in clients
        assert invoice["review_reason"] is None
        for line in invoice["lines"]:
            if "item_source_key" in line:
                assert line["item_source_key"] in items or line["item"]["name"], line
            assert line["taxName1"] is None or line["taxName1"] in taxes


def test_payments_apply_what_servicetitan_applied(company, mapped) -> None:
    payments = {r["source_key"]: r for r in mapped.records("payments")}
    invoices = {r["source_key"] for r in mapped.records("invoices")}
    assert len(payments) == len(company["payments"])
    for source in company["payments"]:
        mapped_payment = payments[f"servicetitan:payment:{source['id']}"]
        sign = -1 if source["refundedPaymentId"] else 1
        expected = defaultdict(Decimal)
        for application in source["appliedTo"] or []:
            expected[f"servicetitan:invoice:{application['appliedTo']}"] += sign * Decimal(application["appliedAmount"])
        got = {a["invoice_source_key"]: Decimal(a["amount"]["amount"]) for a in mapped_payment["applications"]}
        assert got == {key: amount for key, amount in expected.items() if amount}
        assert set(got) <= invoices
        assert mapped_payment["type"] in {"Cash", "Check", "Credit Card", "ACH", "Other"}
        assert mapped_payment["review_reason"] is None
        remainder = sign * Decimal(source["unappliedAmount"])
        assert Decimal(mapped_payment.get("unapplied", {"amount": "0"})["amount"]) == max(remainder, Decimal(0))


def test_taxes_cover_every_zone(company, mapped) -> None:
    keys = {r["source_key"] for r in mapped.records("taxes")}
    for zone in company["tax_zones"]:
        separate = {f"servicetitan:taxzone:{zone['id']}:labor", f"servicetitan:taxzone:{zone['id']}:material"}
        assert f"servicetitan:taxzone:{zone['id']}" in keys or separate <= keys


def test_every_bill_totals_its_bill_amount(company, mapped) -> None:
    bills = {r["source_key"]: r for r in mapped.records("bills")}
    sources = [*company["inventory_bills"], *company["ap_bills"]]
    assert company["inventory_bills"]
    assert len(bills) == len(sources)
    for source in sources:
        bill = bills[f"servicetitan:inventorybill:{source['id']}"]
        assert freshbooks_bill_total(bill["lines"]) == Decimal(source["billAmount"]), source["id"]
        assert bill["review_reason"] is None
        assert bill["vendor_source_key"] == f"servicetitan:vendor:{source['vendor']['id']}"
        assert not any(line["description"].startswith("Adjustment") for line in bill["lines"]), source["id"]
    vendors = {r["source_key"] for r in mapped.records("bill_vendors")}
    assert len(vendors) == len(company["vendors"])
    assert {bill["vendor_source_key"] for bill in bills.values()} <= vendors


def test_bill_payments_apply_what_the_splits_apply(company, mapped) -> None:
    records = {r["source_key"]: r for r in mapped.records("bill_payments")}
    bills = {r["source_key"] for r in mapped.records("bills")}
    for stream, kind in (("ap_payments", "appayment"), ("ap_credits", "apcredit")):
        for source in company[stream]:
            record = records[f"servicetitan:{kind}:{source['id']}"]
            if record.get("skip_reason"):
                assert record["skip_category"] == "timing"
                continue
            expected = defaultdict(Decimal)
            for split in source["splits"]:
                if split.get("active") is not False:
                    expected[f"servicetitan:inventorybill:{split['inventoryBillId']}"] += Decimal(str(split["amount"]))
            got = {a["bill_source_key"]: Decimal(a["amount"]["amount"]) for a in record["applications"]}
            assert got == {key: amount for key, amount in expected.items() if amount}
            assert set(got) <= bills
            assert record["review_reason"] is None
            assert record["payment_type"] == ("Credit" if kind == "apcredit" else record["payment_type"])
            left = Decimal(str(source["amount"])) - sum(got.values(), Decimal(0))
            remainder = records.get(f"servicetitan:{kind}:{source['id']}:unapplied")
            if record["active"] and left > 0:
                assert remainder is not None and remainder["skip_category"] == "unsupported"
            else:
                assert remainder is None
