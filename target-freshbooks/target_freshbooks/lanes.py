"""What a record touches in FreshBooks, as keys: records sharing a key are written one after the other, in
the order they arrived; records with no key in common may be written at the same time (`writers.py`).

A key is taken exclusive (X) or shared (S). Exclusive keys of a record:

- its own source key, whatever the stream (`rec:K`): an invoice and the credit note it became, a payment
  and its remainder, a document and its journal entry are the same record to FreshBooks;
- the client it belongs to (`client:K`): a client, its invoices, payments, credit notes and refunds. Every
  write that moves one client's balance or credit pool is in that lane, so is a client before its invoices;
- the records it applies to (`rec:K` of each invoice or bill in `applications`, of the payment a refund
  reverses): an invoice before its payments, a bill before its bill payments;
- its natural keys, where a sink matches existing objects by them (a client's email, an item's SKU and name,
  an invoice's or credit note's number), so two records never both create the one object;
- for a bill, its vendor (`vendor:K`).

Shared keys say "read, not written here": an invoice reads its items (`item:K`) and the taxes, a bill reads
the vendor list; an item, tax or bill vendor record takes the same key exclusive, so it waits for the
readers before it and the readers after it wait for it. (An invoice whose line names an item that is
nowhere creates it from the line, holding the run's state lock through that create, `sinks/invoices.py`:
two invoices never both create it.)

A record that belongs to a client but does not name one (but for a payment naming the invoices it pays:
it can move no credit, a remainder needs the client), and a stream this module does not know, is a
barrier: it waits for every record before it and every record after it waits for it (the one-at-a-time
order of a single writer). So is everything of a journal entry's lane, `journal`, with respect to itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from target_freshbooks.sinks.credit_notes import credit_number
from target_freshbooks.sinks.invoices import invoice_number

EVERYTHING = "*"
"""The key every record takes shared and a barrier takes exclusive."""
CLIENT_STREAMS = frozenset({"invoices", "payments", "credit_notes"})
"""Streams whose records move a client's balance: without `client_source_key` they are barriers, but for a
payment naming the invoices it pays (its lane is theirs)."""


@dataclass
class Lanes:
    exclusive: set[str] = field(default_factory=set)
    shared: set[str] = field(default_factory=set)

    def take(self, kind: str, value: Any, *, shared: bool = False) -> None:
        text = str(value).strip() if value is not None else ""
        if text:
            (self.shared if shared else self.exclusive).add(f"{kind}:{text}")


def barrier() -> Lanes:
    return Lanes(exclusive={EVERYTHING})


def lanes_of(stream: str, record: dict[str, Any]) -> Lanes:
    """The keys `record` takes."""
    key = record.get("source_key")
    if not isinstance(key, str) or not key.strip():
        return barrier()  # dead-lettered by the loader: no lane needed, but no guess either
    if stream == "skipped" or record.get("skip_reason"):
        return Lanes(shared={EVERYTHING})
    lanes = Lanes(shared={EVERYTHING})
    lanes.take("rec", key)
    if stream in CLIENT_STREAMS:
        lanes.take("client", record.get("client_source_key"))
        for application in _applications(record):
            lanes.take("rec", application.get("source_key"))
            lanes.take("rec", application.get("invoice_source_key"))
            lanes.take("rec", application.get("refunds_source_key"))
        lanes.take("rec", record.get("invoice_source_key"))
        lanes.take("rec", record.get("refund_of_source_key"))
        if not record.get("client_source_key") and (stream != "payments" or len(lanes.exclusive) == 1):
            return barrier()  # a payment naming only invoices moves only them (a remainder needs the client)
        if stream == "invoices":
            lanes.take("invoice_number", invoice_number(record, key))
            lanes.take("credit_number", credit_number(record, key))  # a negative invoice is written as a credit note
            _items_read(record, lanes)
        elif stream == "credit_notes":
            lanes.take("credit_number", credit_number(record, key))
            _items_read(record, lanes)
        return lanes
    if stream == "clients":
        lanes.take("client", key)
        lanes.take("email", str(record.get("email") or "").lower())
    elif stream == "items":
        lanes.take("item", key)
        lanes.take("sku", record.get("sku") or key)
        lanes.take("item_name", str(record.get("name") or "").strip())
        lanes.take("taxes", "all", shared=True)
    elif stream == "taxes":
        lanes.take("taxes", "all")
    elif stream == "bill_vendors":
        lanes.take("bill_vendors", "all")
        lanes.take("vendor", key)
    elif stream == "bills":
        lanes.take("bill_vendors", "all", shared=True)
        lanes.take("vendor", record.get("vendor_source_key"))
    elif stream == "bill_payments":
        lanes.take("bill_vendors", "all", shared=True)
        lanes.take("vendor", record.get("vendor_source_key"))
        for application in _applications(record):
            lanes.take("rec", application.get("source_key"))
            lanes.take("rec", application.get("bill_source_key"))
        lanes.take("rec", record.get("bill_source_key"))
    elif stream == "journal_entries":
        lanes.take("journal", "all")
    else:
        return barrier()
    return lanes


def _applications(record: dict[str, Any]) -> list[dict[str, Any]]:
    raw = record.get("applications")
    return [app for app in raw if isinstance(app, dict)] if isinstance(raw, list) else []


def _items_read(record: dict[str, Any], lanes: Lanes) -> None:
    lanes.take("taxes", "all", shared=True)
    lines = record.get("lines")
    for line in lines if isinstance(lines, list) else []:
        if isinstance(line, dict) and line.get("item_source_key"):
            lanes.take("item", line["item_source_key"], shared=True)
