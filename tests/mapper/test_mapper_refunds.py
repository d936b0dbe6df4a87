"""Payments carry their payer and unapplied remainder; refunds reduce the payment they refund, with positive
amounts (ServiceTitan records them as negative payments naming `refundedPaymentId`)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from mapper_harness import run_mapper, st_payment, st_refund, stream_of
from singer_sdk.exceptions import ConfigValidationError


def mapped(*sources: dict, **settings) -> list[dict]:
    return run_mapper(stream_of("payments", *sources), **settings).records("payments")


def one(source: dict, **settings) -> dict:
    [record] = mapped(source, **settings)
    return record


def usd(amount: Decimal) -> dict:
    return {"amount": f"{amount:.2f}", "code": "USD"}


def test_every_payment_names_its_payer() -> None:
    source = st_payment(55)
    assert one(source)["client_source_key"] == f"servicetitan:customer:{source['customer']['id']}"


def test_overpayment_remainder_is_unapplied_credit() -> None:
    source = st_payment(57, applied=[(1234, "60.00")], total="100.00", unappliedAmount="40.00")
    record = one(source)
    assert record["unapplied"] == usd(Decimal(source["total"]) - Decimal(source["appliedTo"][0]["appliedAmount"]))
    assert record["review_reason"] is None
    assert "refund_of_source_key" not in record


def test_fully_applied_payment_has_no_unapplied() -> None:
    assert "unapplied" not in one(st_payment(55))


def test_remainder_under_review_policy_names_the_amount_and_the_setting() -> None:
    source = st_payment(57, applied=[(1234, "60.00")], total="100.00", unappliedAmount="40.00")
    record = one(source, unapplied_payment_policy="review")
    assert source["unappliedAmount"] in record["review_reason"]
    assert "unapplied_payment_policy" in record["review_reason"]


@pytest.mark.parametrize(("setting", "value"), [("unapplied_payment_policy", "keep"), ("adjustment_mode", "void"),
                                                ("credit_number_prefix", 5)])
def test_invalid_new_settings_are_refused_naming_the_setting(setting, value) -> None:
    with pytest.raises(ConfigValidationError) as info:
        one(st_payment(), **{setting: value})
    assert setting in " ".join(info.value.errors)


def test_refund_of_a_full_payment() -> None:
    original = st_payment(55, applied=[(1234, "100.00"), (1240, "35.50")])
    refund = st_refund(60, 55, [(i["appliedTo"], f"-{i['appliedAmount']}") for i in original["appliedTo"]])
    record = one(refund)
    assert record["source_key"] == "servicetitan:payment:60"
    assert record["refund_of_source_key"] == "servicetitan:payment:55"
    assert record["review_reason"] is None
    assert record["applications"] == [
        {"source_key": f"servicetitan:payment:60:invoice:{a['appliedTo']}",
         "invoice_source_key": f"servicetitan:invoice:{a['appliedTo']}",
         "refunds_source_key": f"servicetitan:payment:55:invoice:{a['appliedTo']}",
         "amount": usd(-Decimal(a["appliedAmount"]))}
        for a in refund["appliedTo"]
    ]
    assert "unapplied" not in record
    assert record["client_source_key"] == "servicetitan:customer:12"


def test_partial_refund_takes_back_part_of_one_application() -> None:
    refund = st_refund(61, 55, [(1234, "-20.00")])
    [application] = one(refund)["applications"]
    assert application["amount"] == usd(Decimal("20.00"))
    assert application["refunds_source_key"] == "servicetitan:payment:55:invoice:1234"


def test_refund_of_an_overpayment_remainder() -> None:
    refund = st_refund(62, 57, unapplied="-40.00")
    record = one(refund)
    assert record["applications"] == []
    assert record["unapplied"] == usd(-Decimal(refund["unappliedAmount"]))
    assert record["refund_of_source_key"] == "servicetitan:payment:57"
    assert record["review_reason"] is None


def test_refund_with_a_positive_application_goes_to_review() -> None:
    refund = st_refund(63, 55, [(1234, "20.00")])
    reason = one(refund)["review_reason"]
    assert "invoice 1234" in reason and "positive" in reason and "ServiceTitan" in reason


def test_refund_with_a_positive_remainder_goes_to_review() -> None:
    refund = st_refund(64, 57, unapplied="15.00")
    assert "unappliedAmount is positive" in one(refund)["review_reason"]


def test_inactive_refund_gives_the_amount_back() -> None:
    assert one(st_refund(65, 55, [(1234, "-20.00")], active=False))["active"] is False


def test_refund_note_names_the_refunded_payment() -> None:
    assert "refund 60 of payment 55" in one(st_refund(60, 55, [(1234, "-5.00")]))["note"]
