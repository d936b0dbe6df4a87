"""Invoice and payment dates are calendar dates in the business time zone; due dates become offsets."""

from __future__ import annotations

import pytest
from mapper_harness import run_mapper, st_invoice, st_payment, stream_of


def invoice_dates(invoice_date: str, due_date: str | None, zone: str) -> dict:
    out = run_mapper(stream_of("invoices", st_invoice(invoiceDate=invoice_date, dueDate=due_date)),
                     business_timezone=zone)
    record = out.one("invoices")
    return {"create_date": record["create_date"], "due_offset_days": record["due_offset_days"]}


def test_evening_in_los_angeles_is_dated_that_day_not_the_utc_day() -> None:
    # 21:00 Pacific on 31 January is 05:00 UTC on 1 February.
    assert invoice_dates("2024-02-01T05:00:00Z", None, "America/Los_Angeles")["create_date"] == "2024-01-31"


def test_the_same_instant_is_1_february_in_new_york() -> None:
    assert invoice_dates("2024-02-01T05:00:00Z", None, "America/New_York")["create_date"] == "2024-02-01"


def test_fractional_seconds_and_offsets_are_understood() -> None:
    assert invoice_dates("2024-02-01T05:00:00.1234567Z", None, "America/Los_Angeles")["create_date"] == "2024-01-31"
    assert invoice_dates("2024-01-31T23:30:00-05:00", None, "America/Los_Angeles")["create_date"] == "2024-01-31"


def test_due_offset_is_days_between_local_dates() -> None:
    # invoiced 31 Jan (local), due 1 Mar 20:00 UTC = 1 Mar local: 30 days (2024 is a leap year).
    assert invoice_dates("2024-02-01T05:00:00Z", "2024-03-01T20:00:00Z", "America/Los_Angeles") == {
        "create_date": "2024-01-31", "due_offset_days": 30}


def test_due_date_before_invoice_date_gives_zero_not_negative() -> None:
    assert invoice_dates("2024-02-10T18:00:00Z", "2024-02-01T18:00:00Z", "America/Chicago")["due_offset_days"] == 0


def test_payment_date_is_local_too() -> None:
    out = run_mapper(stream_of("payments", st_payment(date="2024-03-01T03:15:00Z")),
                     business_timezone="America/Denver")
    assert out.one("payments")["date"] == "2024-02-29"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "PST8PDT-ish", ""])
def test_invalid_time_zone_is_a_clear_error(zone: str) -> None:
    with pytest.raises(Exception, match="business_timezone") as info:
        run_mapper([], business_timezone=zone)
    assert "IANA" in str(info.value) or any("IANA" in e for e in getattr(info.value, "errors", []))


def test_midnight_utc_is_a_calendar_date_and_keeps_its_date() -> None:
    # ServiceTitan types invoice and due dates as date-times at midnight UTC: 1 November stays 1 November.
    assert invoice_dates("2024-11-01T00:00:00Z", "2024-12-01T00:00:00Z", "America/New_York") == {
        "create_date": "2024-11-01", "due_offset_days": 30}
    out = run_mapper(stream_of("payments", st_payment(date="2024-11-05T00:00:00Z")),
                     business_timezone="America/Los_Angeles")
    assert out.one("payments")["date"] == "2024-11-05"


def test_midnight_utc_is_an_instant_when_the_setting_is_off() -> None:
    out = run_mapper(stream_of("invoices", st_invoice(invoiceDate="2024-11-01T00:00:00Z", dueDate=None)),
                     business_timezone="America/New_York", midnight_utc_is_date=False)
    assert out.one("invoices")["create_date"] == "2024-10-31"
