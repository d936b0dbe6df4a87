"""Closed periods: a change to an invoice dated on or before `books_closed_through` is never written into it.

The books of a closed period stay as the bookkeeper closed them. When an update (a changed payload) or a
delete (`active: false`) reaches an invoice whose FreshBooks `create_date` is on or before the setting, the
invoice is left as it is and the difference is posted as a document of its own, dated on the day of the
change (the record's optional `change_date`, else today's UTC date; never inside the closed period itself):

- lines: the new lines, plus the previously effective lines negated (the original's FreshBooks lines and the
  lines of any earlier adjustment of that invoice; lines that did not change cancel out and are left off);
- a positive difference is an extra invoice `<number>-ADJ<n>` (marked sent like any invoice), a negative one
  a goodwill credit note `<number>-ADJ<n>` with the difference negated; a delete credits the whole amount
  still effective. A difference of 0 (a change of header fields only) posts nothing.

An adjustment is a record of its own (source key `<invoice source key>:adjustment:<n>`), written through the
loader like a dependency, with its `[source_key]` marker in its notes; the audit trail of each names the
other. The next adjustment's effective lines are found from the ledger, else (a lost ledger) from FreshBooks
by number and marker. An invoice that was adjusted once keeps being adjusted, even if the setting moves.

Payables follow the same rule with what FreshBooks has for them (`sinks.closed_bills`): a raise of a closed
bill's total is an extra bill `<number>-ADJ<n>` dated on the day of the change. FreshBooks has no vendor
credit and no negative bill or bill payment, so a cut, a void, and any change or removal of a bill payment
dated in the closed period are held for review with the amount in the reason; released by a person, they are
written into the closed period as asked.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from target_freshbooks.errors import RecordError, RecordRef
from target_freshbooks.sinks.base import Outcome, Park, marker, with_marker

if TYPE_CHECKING:
    from target_freshbooks.ledger.models import IdMap
    from target_freshbooks.sinks.base import ResourceSink, SinkContext

logger = logging.getLogger("target-freshbooks")

CENT = Decimal("0.01")
ZERO = Decimal("0")
LINE_FIELDS = ("name", "description", "qty", "unit_cost", "taxName1", "taxAmount1", "taxName2", "taxAmount2")
DELETED_BY_CREDIT = "closed-period-delete"
"""Payload hash of an invoice whose `active: false` was posted as a credit note (the invoice itself stays)."""
LANDED = {Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.ADOPTED}
ADJUSTMENT_STREAMS = (("invoices", 1), ("credit_notes", -1))
"""Where adjustments live, and the sign of their lines' effect on the invoice."""


def adjustment_key(invoice_key: str, n: int) -> str:
    return f"{invoice_key}:adjustment:{n}"


def adjustment_number(number: str, n: int) -> str:
    return f"{number}-ADJ{n}"


def is_adjustment(source_key: str) -> bool:
    return ":adjustment:" in source_key


@dataclass(frozen=True)
class LineShape:
    """The field names of one kind of document line: invoice and credit-note lines, or bill lines."""

    fields: tuple[str, ...]
    """The writable fields."""
    qty: str
    taxes: tuple[tuple[str, str], ...]
    """Each percent tax on the line's amount: (name field, percent field)."""
    texts: tuple[str, ...]
    """What tells two lines apart besides amounts and taxes."""


INVOICE_LINE = LineShape(LINE_FIELDS, "qty", (("taxName1", "taxAmount1"), ("taxName2", "taxAmount2")),
                         ("name", "description"))
BILL_LINE = LineShape(("category", "description", "quantity", "unit_cost", "tax_name1", "tax_percent1", "tax_name2",
                       "tax_percent2"), "quantity", (("tax_name1", "tax_percent1"), ("tax_name2", "tax_percent2")),
                      ("category", "description"))


def _dec(value: Any) -> Decimal:
    if isinstance(value, dict):
        value = value.get("amount")
    try:
        return Decimal(str(value)) if value not in (None, "") else ZERO
    except InvalidOperation:
        return ZERO


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _qty(line: dict[str, Any], shape: LineShape) -> Decimal:
    return _dec(line.get(shape.qty)) if line.get(shape.qty) not in (None, "") else Decimal(1)


def lines_total(lines: list[dict[str, Any]], shape: LineShape = INVOICE_LINE) -> Decimal:
    """What FreshBooks makes of lines: each `qty x unit_cost` in cents, plus its percent taxes in cents."""
    total = ZERO
    for line in lines:
        amount = _cents(_qty(line, shape) * _dec(line.get("unit_cost")))
        total += amount
        for _, percent in shape.taxes:
            total += _cents(amount * _dec(line.get(percent)) / 100)
    return total


def plain_line(line: dict[str, Any], shape: LineShape = INVOICE_LINE) -> dict[str, Any]:
    """A line's writable fields (FreshBooks' own lines carry ids and computed amounts)."""
    return {name: line[name] for name in shape.fields if line.get(name) not in (None, "")}


def _negative(text: Any) -> str:
    value = -_dec(text)
    return str(value if value != 0 else abs(value))


def negated(line: dict[str, Any]) -> dict[str, Any]:
    """The same line with the opposite amount (and so the opposite tax)."""
    unit_cost = line.get("unit_cost") or {}
    if not isinstance(unit_cost, dict):
        unit_cost = {"amount": unit_cost}
    return {**line, "unit_cost": {**unit_cost, "amount": _negative(unit_cost.get("amount"))}}


def _signature(line: dict[str, Any], shape: LineShape) -> tuple[tuple[Any, ...], int]:
    """What makes two lines the same apart from the sign of their amount, and that sign."""
    qty = _qty(line, shape)
    cost = _dec(line.get("unit_cost"))
    taxes = tuple((str(line.get(name) or ""), _dec(line.get(percent))) for name, percent in shape.taxes
                  if _dec(line.get(percent)) != 0)
    texts = tuple(str(line.get(name) or "") for name in shape.texts)
    amount = qty * cost
    sign = (amount > 0) - (amount < 0)
    return (*texts, abs(qty), abs(cost), taxes), sign


def net(lines: list[dict[str, Any]], shape: LineShape = INVOICE_LINE) -> list[dict[str, Any]]:
    """The lines without pairs that cancel out (a line and its negation) and without lines of amount 0."""
    balance: Counter[tuple[Any, ...]] = Counter()
    for line in lines:
        signature, sign = _signature(line, shape)
        balance[signature] += sign
    kept = []
    for line in lines:
        signature, sign = _signature(line, shape)
        if sign and balance[signature] * sign > 0:
            kept.append(line)
            balance[signature] -= sign
    return kept


@dataclass
class Adjustment:
    """An earlier adjustment of an invoice: where it is and what its lines did to the invoice."""

    n: int
    source_key: str
    stream: str
    freshbooks_id: str
    number: str
    effect: list[dict[str, Any]] = field(default_factory=list)


class ClosedPeriod:
    """What the closed-period rule is for any sink: the setting, dates in the period, the posting date."""

    adjustment_streams: tuple[tuple[str, int], ...] = ADJUSTMENT_STREAMS

    def __init__(self, sink: ResourceSink) -> None:
        self.sink = sink
        self.ctx: SinkContext = sink.ctx

    @property
    def through(self) -> dt.date | None:
        settings = getattr(self.ctx, "settings", None)
        value = getattr(settings, "books_closed_through", None)
        return value if isinstance(value, dt.date) else None

    def in_period(self, value: Any) -> bool:
        """A FreshBooks date (`create_date`, `issue_date`, `paid_date`) on or before `books_closed_through`."""
        through = self.through
        try:
            dated = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return False
        return through is not None and dated <= through

    def adjusted_before(self, document_key: str) -> bool:
        return any(self.ctx.ledger.mapping(stream, adjustment_key(document_key, 1)) is not None
                   for stream, _ in self.adjustment_streams)

    def may_apply(self, ref: RecordRef) -> bool:
        """Whether the document must be looked at (without a call to FreshBooks)."""
        return not is_adjustment(ref.source_key) and (self.through is not None or self.adjusted_before(ref.source_key))

    def released(self, ref: RecordRef, reason: str) -> bool:
        """A person released this record from review for this same reason (`audit --release`)."""
        return any(item.reason == reason for item in self.ctx.ledger.released_reviews(ref.stream, ref.source_key))

    def fetch(self, stream: str, freshbooks_id: str, ref: RecordRef) -> dict[str, Any]:
        sink = self.ctx.sink(stream)
        body = self.ctx.client.get(sink.path(freshbooks_id), [("include[]", "lines")], ref)
        return dict(body.get(sink.resource.single) or {})

    def posting_date(self, record: dict[str, Any], ref: RecordRef) -> dt.date:
        """The record's `change_date`, else today (UTC); never inside the closed period."""
        raw = record.get("change_date")
        if raw not in (None, ""):
            try:
                when = dt.date.fromisoformat(str(raw)[:10])
            except ValueError:
                raise RecordError(ref, f"change_date must be a date YYYY-MM-DD, not {raw!r}") from None
        else:
            when = dt.datetime.now(dt.UTC).date()
        through = self.through
        if through is not None and when <= through:
            when = through + dt.timedelta(days=1)
        return when


class ClosedPeriods(ClosedPeriod):
    """The closed-period rule for the invoices sink."""

    def closed(self, original: dict[str, Any], ref: RecordRef) -> bool:
        """The invoice is in the closed period (or was adjusted before, so it keeps being adjusted)."""
        return self.in_period(original.get("create_date")) or self.adjusted_before(ref.source_key)

    # The change, as an adjustment -----------------------------------------------------------------

    def update(self, record: dict[str, Any], payload: dict[str, Any], digest: str, mapping: IdMap,
               original: dict[str, Any], ref: RecordRef) -> Outcome:
        """A changed invoice in the closed period: post the difference, leave the invoice as it is."""
        freshbooks_id = str(mapping.freshbooks_id)
        number = str(original.get("invoice_number") or payload["invoice_number"])
        earlier = self.adjustments(ref.source_key, number, ref)
        effective = self.effective_lines(original, earlier)
        new = [plain_line(line) for line in payload.get("lines") or []]
        difference = lines_total(new) - lines_total(effective)
        lines = net([*new, *(negated(line) for line in effective)])
        if difference == 0:
            self.ctx.audit(ref, "closed_period", freshbooks_id=freshbooks_id,
                           detail=f"books closed through {self.through}: the change leaves invoice {number}'s total "
                                  "as it was; nothing written")
        else:
            self.post(record, payload, original, freshbooks_id, number, earlier, lines, difference, ref)
        self.ctx.ledger.save_mapping(self.sink.stream, ref.source_key, freshbooks_id, digest, origin=mapping.origin)
        return Outcome.UPDATED if difference else Outcome.UNCHANGED

    def delete(self, record: dict[str, Any], freshbooks_id: str, original: dict[str, Any],
               mapping: IdMap | None, ref: RecordRef) -> Outcome:
        """A deleted invoice in the closed period: credit what it still amounts to, leave the invoice."""
        number = str(original.get("invoice_number") or record.get("invoice_number") or ref.source_key)
        earlier = self.adjustments(ref.source_key, number, ref)
        effective = self.effective_lines(original, earlier)
        remaining = lines_total(effective)
        payload = {"customerid": original.get("customerid"), "currency_code": original.get("currency_code")}
        if remaining != 0:
            lines = net([negated(line) for line in effective])
            self.post(record, payload, original, freshbooks_id, number, earlier, lines, -remaining, ref, deleting=True)
        else:
            self.ctx.audit(ref, "closed_period", freshbooks_id=freshbooks_id,
                           detail=f"books closed through {self.through}: invoice {number} is deleted and already "
                                  "credited in full; nothing written")
        self.ctx.ledger.save_mapping(self.sink.stream, ref.source_key, freshbooks_id, DELETED_BY_CREDIT,
                                     origin=mapping.origin if mapping is not None else "adopted")
        return Outcome.DELETED if remaining else Outcome.UNCHANGED

    def post(self, record: dict[str, Any], payload: dict[str, Any], original: dict[str, Any], freshbooks_id: str,
             number: str, earlier: list[Adjustment], lines: list[dict[str, Any]], difference: Decimal,
             ref: RecordRef, *, deleting: bool = False) -> None:
        n = max((adjustment.n for adjustment in earlier), default=0) + 1
        key = adjustment_key(ref.source_key, n)
        adj_number = adjustment_number(number, n)
        when = self.posting_date(record, ref)
        what = "deletion" if deleting else "change"
        note = (f"Adjustment {n} of invoice {number} (dated {original.get('create_date')}, in the period closed "
                f"through {self.through}): its {what} of {difference:+.2f} posted on {when.isoformat()}.")
        currency = payload.get("currency_code") or original.get("currency_code")
        client_key = record.get("client_source_key") or self.ctx.ledger.key_for_id(
            "clients", str(original.get("customerid")))
        if not client_key:
            raise RecordError(ref, "missing required field(s): client_source_key (needed to post the adjustment of "
                              "an invoice in the closed period)")
        common: dict[str, Any] = {"source_key": key, "client_source_key": str(client_key),
                                  "create_date": when.isoformat(), "currency_code": currency}
        if difference > 0:
            stream, kind = "invoices", "invoice"
            adjustment = {**common, "invoice_number": adj_number, "due_offset_days": 0,
                          "notes": with_marker(note, key), "lines": lines}
        else:
            stream, kind = "credit_notes", "credit note"
            adjustment = {**common, "credit_number": adj_number, "credit_type": "goodwill", "notes": note,
                          "lines": [negated(line) for line in lines], "applications": []}
        outcome = self.ctx.load_dependency(stream, adjustment)
        landed = self.ctx.ledger.mapping(stream, key)
        if outcome not in LANDED or landed is None or not landed.freshbooks_id:
            raise Park(stream, key, f"the adjustment {adj_number} ({key}) of invoice {number}, in the period closed "
                       f"through {self.through}, could not be written ({outcome})", pending=True)
        self.ctx.audit(ref, "closed_period_adjustment", freshbooks_id=landed.freshbooks_id,
                       detail=f"books closed through {self.through}: invoice {number} (FreshBooks id {freshbooks_id}, "
                              f"dated {original.get('create_date')}) left as it is; its {what} of {difference:+.2f} "
                              f"posted as {kind} {adj_number} dated {when.isoformat()} ({key})")
        self.ctx.audit(RecordRef(stream, key), "adjusts", freshbooks_id=freshbooks_id,
                       detail=f"adjustment {n} of invoice {number} ({ref.source_key}, FreshBooks id {freshbooks_id}), "
                              f"in the period closed through {self.through}")
        logger.info("%s is in the period closed through %s: its %s of %+.2f is posted as %s %s dated %s",
                    ref, self.through, what, difference, kind, adj_number, when.isoformat())

    # What the invoice amounts to now --------------------------------------------------------------

    def effective_lines(self, original: dict[str, Any], earlier: list[Adjustment]) -> list[dict[str, Any]]:
        lines = [plain_line(line) for line in original.get("lines") or []]
        for adjustment in earlier:
            lines.extend(adjustment.effect)
        return lines

    def adjustments(self, invoice_key: str, number: str, ref: RecordRef) -> list[Adjustment]:
        """Earlier adjustments of the invoice, 1, 2, ... until one is found neither in the ledger nor in FreshBooks."""
        found: list[Adjustment] = []
        for n in itertools.count(1):
            adjustment = self.adjustment(invoice_key, number, n, ref)
            if adjustment is None:
                return found
            found.append(adjustment)
        return found

    def adjustment(self, invoice_key: str, number: str, n: int, ref: RecordRef) -> Adjustment | None:
        key, adj_number = adjustment_key(invoice_key, n), adjustment_number(number, n)
        for stream, sign in ADJUSTMENT_STREAMS:
            mapping = self.ctx.ledger.mapping(stream, key)
            if mapping is not None and mapping.freshbooks_id:
                found = Adjustment(n, key, stream, mapping.freshbooks_id, adj_number)
                if mapping.state != "deleted":
                    found.effect = self.effect(self.fetch(stream, mapping.freshbooks_id, ref), sign)
                return found
        for stream, sign in ADJUSTMENT_STREAMS:
            sink = self.ctx.sink(stream)
            field_name = "invoice_number" if stream == "invoices" else "credit_number"
            rows = [row for row in sink.search([(f"search[{field_name}]", adj_number)], ref)
                    if str(row.get(field_name) or "") == adj_number and marker(key) in str(row.get("notes") or "")]
            if rows:
                row = min(rows, key=lambda r: int(sink.id_of(r)))
                freshbooks_id = sink.id_of(row)
                self.ctx.ledger.save_mapping(stream, key, freshbooks_id, None, origin="adopted")
                self.ctx.audit(RecordRef(stream, key), "adopt", freshbooks_id=freshbooks_id,
                               detail=f"adjustment {adj_number} of {invoice_key}, found by number and marker")
                return Adjustment(n, key, stream, freshbooks_id, adj_number,
                                  self.effect(self.fetch(stream, freshbooks_id, ref), sign))
        return None

    @staticmethod
    def effect(document: dict[str, Any], sign: int) -> list[dict[str, Any]]:
        """What a live adjustment's lines did to the invoice (a credit note's, negated)."""
        if not document or int(document.get("vis_state") or 0) == 1:
            return []
        lines = [plain_line(line) for line in document.get("lines") or []]
        return lines if sign > 0 else [negated(line) for line in lines]
