"""Money applied to invoices: each application is one FreshBooks payment on one invoice.

A source payment's applications are cash (`type` from the record); a credit note's are `Credit`
payments that FreshBooks takes from the client's credit pool. Either way the set is reconciled: each
listed application becomes (or stays) one FreshBooks payment, one no longer listed is deleted. Each
payment's note carries the application's `[source_key]` marker, so it is found again without the ledger
(`search[invoiceid]`, then the marker).

Refunds take money off an application's payment (FreshBooks has no refund object for payments recorded
through the API): the note gains a line with a refund marker `[refund_key=amount]` and the amount drops;
the markers are what an update of the original payment subtracts, so a later edit never undoes a refund.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from target_freshbooks.errors import RecordError, RecordRef
from target_freshbooks.sinks.base import (
    Match,
    Outcome,
    Resource,
    as_fb_id,
    confirmed_create,
    marker,
    payload_hash,
    with_marker,
)

if TYPE_CHECKING:
    from target_freshbooks.ledger.models import IdMap
    from target_freshbooks.sinks.base import SinkContext

PAYMENTS = Resource("payments", "payments", "payment", "payments")
BILL_PAYMENTS = Resource("bill_payments", "bill_payments", "bill_payment", "bill_payments", id_field="billpaymentid")
MARKER_OWNER = re.compile(r"\[(?P<owner>[^\[\]\s=]+):invoice:[^\[\]\s=]+\]")
"""An application's marker; `owner` is the payment or credit note it belongs to."""
REFUND_MARKER = re.compile(r"\[([^\[\]\s=]+:[^\[\]\s=]+)=(-?\d+(?:\.\d+)?)\]")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Application:
    source_key: str
    invoice_source_key: str
    """The source key of what the money is applied to: an invoice (a bill for bill payments)."""
    amount: dict[str, Any]
    refunds_source_key: str | None = None


@dataclass(frozen=True)
class AppliedTo:
    """What applications are written as, and on what: FreshBooks payments on invoices, or bill payments on bills."""

    resource: Resource
    parent_stream: str
    """The stream of the objects the money goes to (`invoices`, `bills`)."""
    parent_field: str
    """Their id in a payment (`invoiceid`, `billid`)."""
    key_field: str
    """Their source key in an application (`invoice_source_key`, `bill_source_key`)."""
    date_field: str
    type_field: str


INVOICE_PAYMENTS = AppliedTo(PAYMENTS, "invoices", "invoiceid", "invoice_source_key", "date", "type")
BILL_PAYMENTS_ON_BILLS = AppliedTo(BILL_PAYMENTS, "bills", "billid", "bill_source_key", "paid_date", "payment_type")


def combined(done: list[str]) -> Outcome:
    """One outcome for a record that made several writes."""
    counts = Counter(done)
    if counts[Outcome.CREATED.value]:
        return Outcome.CREATED
    if counts[Outcome.UPDATED.value] or counts["deleted"] or counts[Outcome.DELETED.value]:
        return Outcome.UPDATED
    if counts[Outcome.ADOPTED.value]:
        return Outcome.ADOPTED
    return Outcome.UNCHANGED


def prepayment_number(payment_key: str) -> str:
    """The credit number of a payment's unapplied remainder: `PP-` and the payment's id."""
    return "PP-" + payment_key.rsplit(":", 1)[-1]


def money_value(amount: dict[str, Any], ref: RecordRef, what: str) -> Decimal:
    try:
        return Decimal(str(amount.get("amount")))
    except (InvalidOperation, ValueError):
        raise RecordError(ref, f"{what}: amount {amount.get('amount')!r} is not a decimal number") from None


def applications(record: dict[str, Any], ref: RecordRef, key_field: str = "invoice_source_key") -> list[Application]:
    """The record's `applications` (or one inline application), checked; `key_field` names what they pay."""
    raw = record.get("applications")
    if raw is None and record.get(key_field):
        raw = [{"source_key": ref.source_key, key_field: record[key_field], "amount": record.get("amount")}]
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise RecordError(ref, f"`applications` must be a list of {{source_key, {key_field}, amount}}")
    found: list[Application] = []
    for index, app in enumerate(raw, start=1):
        if not isinstance(app, dict):
            raise RecordError(ref, f"application {index} is not an object")
        missing = [name for name in ("source_key", key_field, "amount") if not app.get(name)]
        if missing:
            raise RecordError(ref, f"application {index} lacks {', '.join(missing)}")
        amount = app["amount"]
        if not isinstance(amount, dict) or amount.get("amount") in (None, ""):
            raise RecordError(ref, f'application {index}: amount must be Money, {{"amount": "12.34", "code": "USD"}}')
        if money_value(amount, ref, f"application {index}") <= 0:
            if key_field != "invoice_source_key":
                raise RecordError(ref, f"application {index}: amount {amount.get('amount')} must be positive")
            raise RecordError(ref, f"application {index}: amount {amount.get('amount')} must be positive (a refund "
                              "names the payment it refunds in `refund_of_source_key` and carries positive amounts)")
        found.append(Application(str(app["source_key"]), str(app[key_field]), amount,
                                 str(app["refunds_source_key"]) if app.get("refunds_source_key") else None))
    keys = [app.source_key for app in found]
    if len(set(keys)) != len(keys):
        raise RecordError(ref, "two applications share a source_key")
    return found


def refunds_in(note: str | None) -> dict[str, Decimal]:
    """Refund markers in a payment's note (or a credit-note line): refund application key → amount."""
    return {key: Decimal(value) for key, value in REFUND_MARKER.findall(note or "")}


def refund_marker(key: str, amount: Decimal) -> str:
    return f"[{key}={amount.quantize(CENT)}]"


def plain_money(value: Decimal, code: str | None) -> dict[str, Any]:
    return {"amount": str(value.quantize(CENT)), "code": code or "USD"}


class ApplicationWriter:
    """Reconciles a record's applications with FreshBooks payments (ledger stream `ledger_stream`); `kind` says
    which: payments on invoices (the default) or bill payments on bills."""

    def __init__(self, ctx: SinkContext, stream: str, ledger_stream: str,
                 kind: AppliedTo = INVOICE_PAYMENTS) -> None:
        self.ctx = ctx
        self.stream = stream
        self.ledger_stream = ledger_stream
        self.kind = kind
        self.single = kind.resource.single
        self.parent_field = kind.parent_field

    def path(self, object_id: str | int | None = None) -> str:
        return self.kind.resource.path(self.ctx.account_id, object_id)

    def invoice_voided(self, app: Application) -> bool:
        """The invoice (bill) was deleted because the source voided it: its money is the client's credit now."""
        mapping = self.ctx.ledger.mapping(self.kind.parent_stream, app.invoice_source_key)
        return mapping is not None and mapping.state == "deleted"

    def payload(self, app: Application, shared: dict[str, Any], note: str | None, ref: RecordRef) -> dict[str, Any]:
        invoice_id = self.ctx.resolve(self.kind.parent_stream, app.invoice_source_key, needed_by=ref)
        return {**shared, self.parent_field: as_fb_id(invoice_id), "amount": app.amount,
                "note": with_marker(note, app.source_key)}

    def reconcile_all(self, payloads: dict[str, dict[str, Any]], parent: RecordRef) -> list[str]:
        """Make FreshBooks hold exactly these applications; returns each one's outcome value."""
        existing = {entry.source_key: entry for entry in self.ctx.ledger.children(self.ledger_stream,
                                                                                    parent.source_key)}
        done: list[str] = []
        for gone_key in sorted(existing.keys() - payloads.keys()):
            if existing[gone_key].state != "active":
                continue
            self.delete(existing[gone_key], RecordRef(self.stream, gone_key), "application no longer listed")
            done.append("deleted")
        for app_key, payload in payloads.items():
            done.append(self.reconcile(app_key, payload, existing.get(app_key), parent))
        return done

    def unchanged(self, payloads: dict[str, dict[str, Any]], parent_key: str) -> bool:
        existing = {e.source_key for e in self.ctx.ledger.children(self.ledger_stream, parent_key)
                    if e.state == "active"}
        return existing == set(payloads)

    def reconcile(self, app_key: str, payload: dict[str, Any], entry: IdMap | None, parent: RecordRef) -> str:
        ledger = self.ctx.ledger
        ref = RecordRef(self.stream, app_key)
        digest = payload_hash(payload)
        if entry is not None and entry.freshbooks_id and entry.state == "active":
            if entry.payload_hash == digest:
                return Outcome.UNCHANGED.value
            current = self.ctx.client.get(self.path(entry.freshbooks_id), ref=ref).get(self.single) or {}
            if str(current.get(self.parent_field)) == str(payload[self.parent_field]):
                self.update_keeping_refunds(entry.freshbooks_id, payload, current, ref)
                ledger.save_mapping(self.ledger_stream, app_key, entry.freshbooks_id, digest, origin=entry.origin,
                                    parent_key=parent.source_key)
                return Outcome.UPDATED.value
            self.delete(entry, ref, "application moved to another invoice")
        else:
            match = self.find(app_key, payload[self.parent_field], ref)
            if match is not None:
                ledger.save_mapping(self.ledger_stream, app_key, match.freshbooks_id, digest, origin="adopted",
                                    parent_key=parent.source_key)
                self.ctx.audit(ref, "adopt", freshbooks_id=match.freshbooks_id, detail=match.how)
                if self.differs(payload, match.obj or {}, ref):
                    self.update_keeping_refunds(match.freshbooks_id, payload, match.obj or {}, ref)
                    return Outcome.UPDATED.value
                return Outcome.ADOPTED.value
        freshbooks_id = self.create(app_key, payload, ref)
        ledger.save_mapping(self.ledger_stream, app_key, freshbooks_id, digest, origin="created",
                            parent_key=parent.source_key)
        return Outcome.CREATED.value

    def differs(self, payload: dict[str, Any], current: dict[str, Any], ref: RecordRef) -> bool:
        """An adopted payment whose amount or date is not the source's (net of refunds already on it)."""
        if int(current.get("vis_state") or 0) == 1:
            return False
        refunded = sum(refunds_in(current.get("note")).values(), Decimal(0))
        expected = money_value(payload["amount"], ref, "amount") - refunded
        have = money_value(current.get("amount") or {}, ref, "payment amount")
        date = self.kind.date_field
        return have != expected or (bool(payload.get(date)) and current.get(date) != payload.get(date))

    def update_keeping_refunds(self, freshbooks_id: str, payload: dict[str, Any], current: dict[str, Any],
                               ref: RecordRef) -> None:
        """Send the new fields, less what refunds already took off (their note lines are kept)."""
        body = {name: value for name, value in payload.items() if name != self.parent_field}
        refunds = refunds_in(current.get("note"))
        if refunds and int(current.get("vis_state") or 0) == 1:
            self.ctx.audit(ref, "unchanged", freshbooks_id=freshbooks_id, detail="refunded in full: stays deleted")
            return
        if refunds:
            refunded = sum(refunds.values(), Decimal(0))
            gross = money_value(payload["amount"], ref, "amount")
            kept = [line for line in str(current.get("note") or "").splitlines() if REFUND_MARKER.search(line)]
            body["note"] = "\n".join([str(payload.get("note") or ""), *kept])
            body["amount"] = plain_money(gross - refunded, payload["amount"].get("code"))
            if gross - refunded <= 0:
                self.ctx.client.update(self.path(freshbooks_id), self.single, {"note": body["note"]}, ref)
                self.ctx.client.update(self.path(freshbooks_id), self.single, {"vis_state": 1}, ref)
                self.ctx.audit(ref, "delete", freshbooks_id=freshbooks_id, http_status=200,
                               detail="refunded in full")
                return
        self.ctx.client.update(self.path(freshbooks_id), self.single, body, ref)
        self.ctx.audit(ref, "update", freshbooks_id=freshbooks_id, http_status=200)

    def create(self, app_key: str, payload: dict[str, Any], ref: RecordRef) -> str:
        freshbooks_id, _ = confirmed_create(
            self.ctx, self.path(), self.single, payload, ref,
            lambda: self.find(app_key, payload[self.parent_field], ref),
            lambda obj: str(obj.get("id") or obj.get("logid") or obj.get(self.kind.resource.id_field)))
        return freshbooks_id

    def find(self, app_key: str, invoice_id: Any, ref: RecordRef) -> Match | None:
        """The payment carrying this application's marker on the invoice; else a deleted one whose note shows
        it was refunded in full (that is why it was deleted, and it must not be made again)."""
        tag = marker(app_key)
        for extra in ([], [("search[vis_state]", 1)]):
            filters = [(f"search[{self.parent_field}]", invoice_id), *extra]
            rows = [row for row in self.ctx.client.search(self.path(), self.kind.resource.plural, filters, ref)
                    if tag in (row.get("note") or "")]
            if extra:
                rows = [row for row in rows if refunds_in(row.get("note"))]
            else:
                rows = [row for row in rows if int(row.get("vis_state") or 0) == 0]
            if rows:
                row = min(rows, key=lambda r: int(self.id_of(r)))
                parent = self.kind.parent_stream.removesuffix("s")
                return Match(self.id_of(row), f"{parent} id {invoice_id} and marker {tag} in its note", row)
        return None

    def id_of(self, row: dict[str, Any]) -> str:
        return str(row.get("id") or row.get(self.kind.resource.id_field))

    def delete(self, entry: IdMap, ref: RecordRef, why: str) -> None:
        if entry.freshbooks_id and entry.state == "active":
            self.ctx.client.update(self.path(entry.freshbooks_id), self.single, {"vis_state": 1}, ref)
            self.ctx.audit(ref, "delete", freshbooks_id=entry.freshbooks_id, http_status=200, detail=why)
        self.ctx.ledger.save_mapping(self.ledger_stream, entry.source_key, entry.freshbooks_id, "deleted",
                                     state="deleted", origin=entry.origin, parent_key=entry.parent_key)

    def delete_all(self, record: dict[str, Any], ref: RecordRef, why: str) -> int:
        """Delete every application of the record (ledger, else found by marker); returns how many."""
        existing = {entry.source_key: entry for entry in self.ctx.ledger.children(self.ledger_stream,
                                                                                    ref.source_key)}
        deleted = 0
        for app_key in sorted(existing):
            if existing[app_key].state == "active":
                deleted += 1
            self.delete(existing[app_key], RecordRef(self.stream, app_key), why)
        try:
            listed = applications(record, ref, self.kind.key_field)
        except RecordError:
            listed = []
        for app in listed:
            if app.source_key in existing:
                continue
            mapping = self.ctx.ledger.mapping(self.kind.parent_stream, app.invoice_source_key)
            if mapping is None or not mapping.freshbooks_id:
                continue
            match = self.find(app.source_key, as_fb_id(mapping.freshbooks_id), ref)
            if match is not None and int((match.obj or {}).get("vis_state") or 0) == 0:
                self.ctx.client.update(self.path(match.freshbooks_id), self.single, {"vis_state": 1}, ref)
                self.ctx.audit(RecordRef(self.stream, app.source_key), "delete", freshbooks_id=match.freshbooks_id,
                               http_status=200, detail=why)
                deleted += 1
        return deleted
