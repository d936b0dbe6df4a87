"""ServiceTitan payments become one FreshBooks-shaped payment with an application per invoice paid."""

from __future__ import annotations

import pytest
from mapper_harness import run_mapper, st_payment, stream_of


def payment(source: dict, *, types: list[dict] | None = None, **settings) -> dict:
    messages = [*stream_of("payment_types", *(types or [])), *stream_of("payments", source)]
    return run_mapper(messages, **settings).one("payments")


def test_payment_with_several_applications() -> None:
    source = st_payment(55, applied=[(1234, "100.00"), (1240, "35.50"), (1302, "0.01")])
    mapped = payment(source)
    assert mapped["source_key"] == "servicetitan:payment:55"
    assert mapped["active"] is True
    assert mapped["review_reason"] is None
    assert mapped["applications"] == [
        {"source_key": f"servicetitan:payment:55:invoice:{a['appliedTo']}",
         "invoice_source_key": f"servicetitan:invoice:{a['appliedTo']}",
         "amount": {"amount": a["appliedAmount"], "code": "USD"}}
        for a in source["appliedTo"]
    ]


def test_two_applications_to_one_invoice_are_one_application() -> None:
    mapped = payment(st_payment(56, applied=[(1234, "40.00"), (1234, "60.00")]))
    assert [(a["invoice_source_key"], a["amount"]["amount"]) for a in mapped["applications"]] == [
        ("servicetitan:invoice:1234", "100.00")]


def test_unapplied_remainder_is_not_applied_to_an_invoice() -> None:
    source = st_payment(57, applied=[(1234, "60.00")], total="100.00", unappliedAmount="40.00")
    assert [a["amount"]["amount"] for a in payment(source)["applications"]] == ["60.00"]


def test_unapplied_payment_has_no_applications() -> None:
    assert payment(st_payment(58, applied=[], total="25.00", unappliedAmount="25.00"))["applications"] == []


def test_note_carries_the_servicetitan_references() -> None:
    source = st_payment(59, memo="Paid at door")
    note = payment(source)["note"]
    for value in (str(source["id"]), source["referenceNumber"], source["checkNumber"], source["memo"]):
        assert value in note


@pytest.mark.parametrize(
    ("servicetitan_type", "freshbooks_type"),
    [("Check", "Check"), ("cash", "Cash"), ("Visa", "VISA"), ("MasterCard", "MASTERCARD"),
     ("American Express", "AMEX"), ("Discover", "DISCOVER"), ("ACH", "ACH"), ("Credit Card", "Credit Card"),
     ("PayPal", "PayPal"), ("Debit Card", "Debit"), ("Synchrony Financing", "Other"), (None, "Other")],
)
def test_payment_types_map_to_freshbooks_enumeration(servicetitan_type, freshbooks_type) -> None:
    assert payment(st_payment(type=servicetitan_type, typeId=None))["type"] == freshbooks_type


def test_payment_type_map_setting_overrides_and_extends_the_table() -> None:
    settings = {"payment_type_map": {"Synchrony Financing": "Bank Transfer", "Check": "ACH"}}
    assert payment(st_payment(type="Synchrony Financing"), **settings)["type"] == "Bank Transfer"
    assert payment(st_payment(type="check"), **settings)["type"] == "ACH"


def test_payment_type_map_refuses_a_type_freshbooks_does_not_know() -> None:
    with pytest.raises(Exception, match=r"payment_type_map.*'Wampum'.*not a FreshBooks payment type"):
        payment(st_payment(), payment_type_map={"Shells": "Wampum"})


def test_type_name_comes_from_payment_types_when_the_payment_lacks_it() -> None:
    source = st_payment(type=None, typeId="14")
    assert payment(source, types=[{"id": 14, "name": "AmEx"}])["type"] == "AMEX"
    assert payment(source)["type"] == "Other"  # type unknown this run: the fallback


def test_inactive_payment_is_inactive() -> None:
    assert payment(st_payment(active=False))["active"] is False


def test_negative_application_goes_to_review() -> None:
    mapped = payment(st_payment(62, applied=[(1234, "-5.00")]))
    assert "invoice 1234" in mapped["review_reason"] and "negative" in mapped["review_reason"]
