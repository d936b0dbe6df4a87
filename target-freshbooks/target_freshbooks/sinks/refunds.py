"""Refunds: money that went back to the customer, taken off the FreshBooks objects that hold it.

FreshBooks has no refund object for payments recorded through the API and refuses payments of zero or
less, so a refund of an invoice payment lowers the amount of that application's FreshBooks payment (a
refund of all that is left deletes it) and adds a line to its note, `Refunded 20.00 on 2026-06-03
[refund_key=20.00]`; a refund of an unapplied remainder adds a negative line, with the same marker, to
the original's prepayment credit note. The marker makes each refund land once, with or without the
ledger; the original's later edits keep it (`ApplicationWriter.update_keeping_refunds`).

Effect on the books: the invoice's outstanding (accounts receivable) goes back up by the refund, and the
cash account shows the payment net of the refund on the payment's own date (the cash-out is not dated
on the refund's day; bank reconciliation sees one net deposit).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from target_freshbooks.errors import RecordError, RecordRef
from target_freshbooks.sinks.applications import (
    REFUND_MARKER,
    Application,
    ApplicationWriter,
    applications,
    money_value,
    plain_money,
    refund_marker,
    refunds_in,
)
from target_freshbooks.sinks.base import Outcome, Park, as_fb_id, payload_hash

if TYPE_CHECKING:
    from target_freshbooks.sinks.base import SinkContext

REFUNDS = "refund_applications"
"""Ledger stream of refunds per application: the FreshBooks payment (or credit note) they reduced."""
NOTE_LINE_FIELDS = ("name", "description", "qty", "unit_cost", "taxName1", "taxAmount1", "taxName2", "taxAmount2")


def note_lines(note: dict[str, Any]) -> list[dict[str, Any]]:
    """A credit note's lines as they can be sent back (FreshBooks replaces all lines on update)."""
    return [{"type": 0, **{k: line[k] for k in NOTE_LINE_FIELDS if line.get(k) not in (None, "")}}
            for line in note.get("lines") or []]


class RefundWriter:
    """Applies (and, for an inactive refund, gives back) the refunds of one `payments` record."""

    def __init__(self, ctx: SinkContext, writer: ApplicationWriter) -> None:
        self.ctx = ctx
        self.writer = writer

    def upsert(self, record: dict[str, Any], ref: RecordRef) -> Outcome:
        ledger = self.ctx.ledger
        original = str(record["refund_of_source_key"])
        apps = applications(record, ref)
        for index, app in enumerate(apps, start=1):
            if not app.refunds_source_key:
                raise RecordError(ref, f"application {index} of a refund lacks `refunds_source_key` (the original "
                                  "payment application it reverses, e.g. servicetitan:payment:55:invoice:1234)")
        unapplied = self.unapplied(record, ref)
        digest = payload_hash({"refund_of": original, "applications": [a.__dict__ for a in apps],
                               "unapplied": unapplied, "date": record.get("date"), "active": record.get("active")})
        parent = ledger.mapping("payments", ref.source_key)
        if parent is not None and parent.payload_hash == digest:
            self.ctx.audit(ref, "unchanged", detail="refund already applied")
            return Outcome.UNCHANGED
        if record.get("active") is False and self.mode() == "negative_payment":
            deleted = self.writer.delete_all(record, ref, "refund voided in the source")
            ledger.save_mapping("payments", ref.source_key, None, digest, state="deleted", origin="created")
            return Outcome.UPDATED if deleted else Outcome.UNCHANGED
        if record.get("active") is False:
            done = [self.give_back(entry.source_key, entry.freshbooks_id, entry.parent_key or "")
                    for entry in ledger.children(REFUNDS, ref.source_key) if entry.state == "active"]
            ledger.save_mapping("payments", ref.source_key, None, digest, state="deleted", origin="created")
            return Outcome.UPDATED if any(done) else Outcome.UNCHANGED
        if self.mode() == "negative_payment":
            done = [outcome != Outcome.UNCHANGED.value for outcome in self.negative_payments(apps, record, ref)]
        else:
            done = [self.take_off_payment(app, record, ref) for app in apps]
        if unapplied is not None:
            done.append(self.take_off_remainder(original, unapplied, record, ref))
        ledger.save_mapping("payments", ref.source_key, None, digest, origin="created")
        return Outcome.UPDATED if any(done) else Outcome.UNCHANGED

    def mode(self) -> str:
        settings = getattr(self.ctx, "settings", None)
        return str(getattr(settings, "refund_mode", None) or "reduce_payment")

    def negative_payments(self, apps: list[Application], record: dict[str, Any], ref: RecordRef) -> list[str]:
        """Setting `refund_mode: negative_payment`: each refunded part is a payment of minus that amount on the
        invoice, dated the refund's day (the original payment stays as it was)."""
        shared = {name: record[name] for name in ("date", "type") if record.get(name)}
        payloads = {}
        for app in apps:
            negated = {**app.amount, "amount": str(-money_value(app.amount, ref, "amount"))}
            negative = Application(app.source_key, app.invoice_source_key, negated, app.refunds_source_key)
            payloads[app.source_key] = self.writer.payload(negative, shared, record.get("note"), ref)
        return self.writer.reconcile_all(payloads, ref)

    @staticmethod
    def unapplied(record: dict[str, Any], ref: RecordRef) -> dict[str, Any] | None:
        amount = record.get("unapplied")
        if amount in (None, ""):
            return None
        if not isinstance(amount, dict) or money_value(amount, ref, "unapplied") < 0:
            raise RecordError(ref, 'a refund\'s `unapplied` must be positive Money, {"amount": "12.34", "code": "USD"}')
        return amount if money_value(amount, ref, "unapplied") > 0 else None

    def line(self, amount: Decimal, record: dict[str, Any], key: str) -> str:
        return f"Refunded {amount:.2f} on {record.get('date') or 'an unknown date'} {refund_marker(key, amount)}"

    def take_off_payment(self, app: Application, record: dict[str, Any], ref: RecordRef) -> bool:
        """Lower the original application's payment by this refund; True if FreshBooks was written."""
        assert app.refunds_source_key is not None
        original_key = app.refunds_source_key
        entry = self.ctx.ledger.mapping(self.writer.ledger_stream, original_key)
        payment_id = entry.freshbooks_id if entry is not None and entry.freshbooks_id else None
        if payment_id is None:
            invoice_id = self.ctx.resolve("invoices", app.invoice_source_key, needed_by=ref)
            match = self.writer.find(original_key, as_fb_id(invoice_id), ref)
            if match is None:
                raise Park("payments", str(record["refund_of_source_key"]),
                           f"waiting on the payment it refunds: application {original_key!r} is not in FreshBooks")
            payment_id = match.freshbooks_id
        app_ref = RecordRef("payments", app.source_key)
        current = self.ctx.client.get(self.writer.path(payment_id), ref=app_ref).get("payment") or {}
        amount = money_value(app.amount, ref, "amount")
        digest = payload_hash(app.__dict__)
        if app.source_key in refunds_in(current.get("note")):
            self.ctx.ledger.save_mapping(REFUNDS, app.source_key, payment_id, digest, origin="adopted",
                                         parent_key=ref.source_key)
            self.ctx.audit(app_ref, "adopt", freshbooks_id=payment_id, detail="refund already on the payment")
            return False
        note = "\n".join(filter(None, [str(current.get("note") or ""), self.line(amount, record, app.source_key)]))
        left = money_value(current.get("amount") or {}, ref, "payment amount") - amount
        if left > 0:
            self.ctx.client.update(self.writer.path(payment_id), "payment",
                                   {"amount": plain_money(left, (current.get("amount") or {}).get("code")),
                                    "note": note}, app_ref)
            self.ctx.audit(app_ref, "refund", freshbooks_id=payment_id, http_status=200,
                           detail=f"payment lowered by {amount:.2f} to {left:.2f}")
        else:
            self.ctx.client.update(self.writer.path(payment_id), "payment", {"note": note}, app_ref)
            self.ctx.client.update(self.writer.path(payment_id), "payment", {"vis_state": 1}, app_ref)
            self.ctx.audit(app_ref, "refund", freshbooks_id=payment_id, http_status=200,
                           detail=f"refunded in full ({amount:.2f}): payment deleted, its note keeps the refund")
        self.ctx.ledger.save_mapping(REFUNDS, app.source_key, payment_id, digest, origin="created",
                                     parent_key=ref.source_key)
        return True

    def take_off_remainder(self, original: str, amount_money: dict[str, Any], record: dict[str, Any],
                           ref: RecordRef) -> bool:
        """A negative line on the original's prepayment credit note; True if FreshBooks was written."""
        note_key = f"{original}:unapplied"
        note_id = self.ctx.resolve("credit_notes", note_key, needed_by=ref,
                                   lookup=lambda: self.ctx.sink("credit_notes").adopt_by_marker(note_key, ref))  # type: ignore[attr-defined]
        refund_key = f"{ref.source_key}:unapplied"
        sink = self.ctx.sink("credit_notes")
        current = sink.fetch(note_id, ref)  # type: ignore[attr-defined]
        lines = note_lines(current)
        amount = money_value(amount_money, ref, "unapplied")
        digest = payload_hash(amount_money)
        if any(refund_key in refunds_in(line.get("description")) for line in lines):
            self.ctx.ledger.save_mapping(REFUNDS, refund_key, note_id, digest, origin="adopted",
                                         parent_key=ref.source_key)
            return False
        lines.append({"type": 0, "name": "Refund", "description": self.line(amount, record, refund_key), "qty": "1",
                      "unit_cost": plain_money(-amount, amount_money.get("code"))})
        sink.update_lines(note_id, lines, RecordRef("credit_notes", note_key))  # type: ignore[attr-defined]
        self.ctx.audit(RecordRef("payments", refund_key), "refund", freshbooks_id=note_id, http_status=200,
                       detail=f"credit {note_key} lowered by {amount:.2f}")
        self.ctx.ledger.save_mapping(REFUNDS, refund_key, note_id, digest, origin="created", parent_key=ref.source_key)
        return True

    def give_back(self, refund_key: str, freshbooks_id: str | None, parent_key: str) -> bool:
        """Undo one refund (the refund was voided in the source)."""
        if not freshbooks_id:
            return False
        ref = RecordRef("payments", refund_key)
        if refund_key.endswith(":unapplied"):
            sink = self.ctx.sink("credit_notes")
            current = sink.fetch(freshbooks_id, ref)  # type: ignore[attr-defined]
            lines = [line for line in note_lines(current)
                     if refund_key not in refunds_in(line.get("description"))]
            sink.update_lines(freshbooks_id, lines, ref)  # type: ignore[attr-defined]
        else:
            current = self.ctx.client.get(self.writer.path(freshbooks_id), ref=ref).get("payment") or {}
            refunded = refunds_in(current.get("note")).get(refund_key)
            if refunded is None:
                return False
            note = "\n".join(line for line in str(current.get("note") or "").splitlines()
                             if not (REFUND_MARKER.search(line) and refund_key in line))
            if int(current.get("vis_state") or 0) == 1:
                self.ctx.client.update(self.writer.path(freshbooks_id), "payment", {"vis_state": 0}, ref)
                body: dict[str, Any] = {"note": note}
            else:
                total = money_value(current.get("amount") or {}, ref, "payment amount") + refunded
                body = {"note": note, "amount": plain_money(total, (current.get("amount") or {}).get("code"))}
            self.ctx.client.update(self.writer.path(freshbooks_id), "payment", body, ref)
        self.ctx.audit(ref, "refund_reversed", freshbooks_id=freshbooks_id, http_status=200,
                       detail=f"refund {refund_key} voided in the source of {parent_key}")
        self.ctx.ledger.save_mapping(REFUNDS, refund_key, freshbooks_id, "deleted", state="deleted",
                                     origin="created", parent_key=parent_key)
        return True
