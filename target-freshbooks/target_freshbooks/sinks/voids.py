"""Voiding an invoice that money was applied to, without making the money disappear with it.

ServiceTitan keeps the cash of a voided invoice's payments as the customer's credit. Before the target
deletes such an invoice in FreshBooks, each cash payment the connector made on it becomes part of that
payment's prepayment credit note (`<payment>:unapplied`, the same note an unapplied remainder uses, so
when ServiceTitan re-sends the payment with a larger remainder it finds the note already right), and each
`Credit` payment is removed, which returns the credit to the client's pool.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from target_freshbooks.errors import RecordRef
from target_freshbooks.sinks.applications import MARKER_OWNER, PAYMENTS, money_value, plain_money, prepayment_number
from target_freshbooks.sinks.base import as_fb_id
from target_freshbooks.sinks.refunds import note_lines

if TYPE_CHECKING:
    from target_freshbooks.sinks.base import SinkContext

CASH_LEDGER = "payment_applications"
CREDIT_LEDGER = "credit_applications"


def release_money(ctx: SinkContext, invoice_id: str, record: dict[str, Any], ref: RecordRef) -> None:
    """Turn the connector's payments on the invoice into client credit, so the invoice can be deleted."""
    path = PAYMENTS.path(ctx.account_id)
    rows = list(ctx.client.list_all(path, "payments", [("search[invoiceid]", as_fb_id(invoice_id))], ref))
    for row in rows:
        found = MARKER_OWNER.search(str(row.get("note") or ""))
        if found is None:
            continue  # a payment somebody recorded in FreshBooks itself: reported, never touched
        app_key, owner = found.group(0)[1:-1], found.group("owner")
        app_ref = RecordRef("payments", app_key)
        if row.get("type") == "Credit":
            ctx.client.update(PAYMENTS.path(ctx.account_id, row["id"]), "payment", {"vis_state": 1}, app_ref)
            ctx.audit(app_ref, "delete", freshbooks_id=str(row["id"]), http_status=200,
                      detail=f"credit returned to the client: invoice {ref.source_key} voided")
            ledger_stream = CREDIT_LEDGER
        else:
            amount = money_value(row.get("amount") or {}, ref, "payment amount")
            move_to_credit(ctx, owner, amount, row, record, app_ref)
            ctx.client.update(PAYMENTS.path(ctx.account_id, row["id"]), "payment", {"vis_state": 1}, app_ref)
            ctx.audit(app_ref, "delete", freshbooks_id=str(row["id"]), http_status=200,
                      detail=f"{amount:.2f} kept as client credit ({owner}:unapplied): invoice {ref.source_key} voided")
            ledger_stream = CASH_LEDGER
        entry = ctx.ledger.mapping(ledger_stream, app_key)
        ctx.ledger.save_mapping(ledger_stream, app_key, str(row["id"]), "deleted", state="deleted",
                                origin=entry.origin if entry else "adopted", parent_key=owner)


def move_to_credit(ctx: SinkContext, payment_key: str, amount: Decimal, row: dict[str, Any],
                   invoice: dict[str, Any], ref: RecordRef) -> None:
    """Add `amount` to the payment's prepayment credit note (made if it does not exist)."""
    note_key = f"{payment_key}:unapplied"
    code = (row.get("amount") or {}).get("code")
    credit_notes = ctx.sink("credit_notes")
    mapping = ctx.ledger.mapping("credit_notes", note_key)
    note_id = mapping.freshbooks_id if mapping is not None and mapping.state == "active" else None
    note_id = note_id or credit_notes.adopt_by_marker(note_key, ref)  # type: ignore[attr-defined]
    line = {"type": 0, "name": "Prepayment", "description": f"From {payment_key}: invoice {invoice.get('source_key')} "
            "voided", "qty": "1", "unit_cost": plain_money(amount, code)}
    if note_id:
        current = credit_notes.fetch(note_id, ref)  # type: ignore[attr-defined]
        credit_notes.update_lines(note_id, [*note_lines(current), line], RecordRef("credit_notes", note_key))  # type: ignore[attr-defined]
        return
    ctx.load_dependency("credit_notes", {
        "source_key": note_key, "client_source_key": invoice.get("client_source_key"),
        "credit_number": prepayment_number(payment_key), "create_date": row.get("date"), "currency_code": code,
        "credit_type": "prepayment", "notes": f"Unapplied remainder of a payment: {payment_key}",
        "lines": [line], "applications": [],
    })
