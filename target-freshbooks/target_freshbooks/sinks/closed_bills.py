"""Closed periods for payables: a bill or bill payment dated on or before `books_closed_through` is never changed.

The rule of `sinks.closed_periods`, with the objects FreshBooks has for payables: bills and bill payments, no
vendor credit and no negative bill payment. So:

- an edit that raises a closed bill's total posts the difference as an extra bill `<number>-ADJ<n>` for the
  same vendor (source key `<bill key>:adjustment:<n>`), dated on the day of the change, with the vendor's
  terms: the new lines plus the effective ones negated (the closed bill's and its earlier adjustments');
  an edit that changes nothing of the total writes nothing;
- an edit that lowers the total, and a void, have nothing to post in the open period: the record is held for
  review, the closed bill untouched, with the amount and the way out in the reason. Releasing it
  (`audit --release`, then `replay`) writes the change into the bill itself (its adjustment bills deleted
  first, so the bill alone says what the source says), the void deleting it and its bill payments;
- a change or removal of a bill payment dated in the closed period is held for review the same way, nothing
  of the record written until a person releases it.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from target_freshbooks.errors import RecordRef
from target_freshbooks.sinks.base import Outcome, Park, Review, as_fb_id, payload_hash
from target_freshbooks.sinks.closed_periods import (
    BILL_LINE,
    LANDED,
    Adjustment,
    ClosedPeriod,
    adjustment_key,
    adjustment_number,
    lines_total,
    negated,
    net,
    plain_line,
)

if TYPE_CHECKING:
    from decimal import Decimal

    from target_freshbooks.ledger.models import IdMap
    from target_freshbooks.sinks.applications import ApplicationWriter
    from target_freshbooks.sinks.base import ResourceSink
    from target_freshbooks.sinks.bills import BillsSink

RELEASE = ("release it (`target-freshbooks audit --release {key}`, then `target-freshbooks replay`) to write it "
           "into the closed period anyway")


class ClosedBills(ClosedPeriod):
    """The closed-period rule for the bills sink."""

    adjustment_streams = (("bills", 1),)
    sink: BillsSink

    def closed(self, original: dict[str, Any], ref: RecordRef) -> bool:
        """The bill is in the closed period (or was adjusted before, so it keeps being adjusted)."""
        return self.in_period(original.get("issue_date")) or self.adjusted_before(ref.source_key)

    def update(self, record: dict[str, Any], mapping: IdMap, digest: str, original: dict[str, Any],
               ref: RecordRef) -> Outcome | None:
        """A changed bill in the closed period: post a raise, hold a cut; None once released (write in place)."""
        freshbooks_id = str(mapping.freshbooks_id)
        number = str(original.get("bill_number") or record.get("bill_number"))
        earlier = self.adjustments(ref.source_key, number, original, ref)
        effective = self.effective_lines(original, earlier, ref)
        new = [plain_line(line, BILL_LINE) for line in record.get("lines") or []]
        difference = lines_total(new, BILL_LINE) - lines_total(effective, BILL_LINE)
        if difference < 0:
            self.hold(ref, record, earlier, f"{self.closed_bill(number, freshbooks_id, original)}: the source lowered "
                      f"its total by {-difference:.2f}")
            return None
        if difference == 0:
            self.ctx.audit(ref, "closed_period", freshbooks_id=freshbooks_id,
                           detail=f"books closed through {self.through}: the change leaves bill {number}'s total "
                                  "as it was; nothing written")
        else:
            lines = net([*new, *(negated(line) for line in effective)], BILL_LINE)
            self.post(record, original, freshbooks_id, number, earlier, lines, difference, ref)
        self.ctx.ledger.save_mapping(self.sink.stream, ref.source_key, freshbooks_id, digest, origin=mapping.origin)
        return Outcome.UPDATED if difference else Outcome.UNCHANGED

    def void(self, record: dict[str, Any], freshbooks_id: str, original: dict[str, Any], ref: RecordRef) -> None:
        """A voided bill in the closed period: held for review (returns only once released: delete it then)."""
        number = str(original.get("bill_number") or record.get("bill_number"))
        earlier = self.adjustments(ref.source_key, number, original, ref)
        remaining = lines_total(self.effective_lines(original, earlier, ref), BILL_LINE)
        self.hold(ref, record, earlier, f"{self.closed_bill(number, freshbooks_id, original)}: the source voided it "
                  f"({remaining:.2f} in all)")

    def closed_bill(self, number: str, freshbooks_id: str, original: dict[str, Any]) -> str:
        return (f"bill {number} (FreshBooks id {freshbooks_id}, dated {original.get('issue_date')}) is in the period "
                f"closed through {self.through}")

    def hold(self, ref: RecordRef, record: dict[str, Any], earlier: list[Adjustment], what: str) -> None:
        """Raise Review with the reason, unless a person released the record for it: then clear its adjustments."""
        reason = (f"{what}. FreshBooks has no vendor credit and no negative bill to post that in the open period, "
                  "so the bill is left as it is: record the vendor credit in FreshBooks yourself, or "
                  + RELEASE.format(key=ref.source_key))
        if not self.released(ref, reason):
            raise Review(reason)
        for adjustment in earlier:
            if self.ctx.ledger.mapping("bills", adjustment.source_key) is not None:
                self.ctx.load_dependency("bills", {"source_key": adjustment.source_key, "active": False,
                                                   "vendor_source_key": record.get("vendor_source_key"),
                                                   "bill_number": adjustment.number})
        self.ctx.audit(ref, "closed_period_released",
                       detail=f"{what}: released by a person, written into the closed period")

    def post(self, record: dict[str, Any], original: dict[str, Any], freshbooks_id: str, number: str,
             earlier: list[Adjustment], lines: list[dict[str, Any]], difference: Decimal, ref: RecordRef) -> None:
        n = max((adjustment.n for adjustment in earlier), default=0) + 1
        key, adj_number = adjustment_key(ref.source_key, n), adjustment_number(number, n)
        when = self.posting_date(record, ref).isoformat()
        adjustment = {"source_key": key, "vendor_source_key": record.get("vendor_source_key"),
                      "bill_number": adj_number, "issue_date": when,
                      "due_offset_days": record.get("due_offset_days") or 0,
                      "currency_code": record.get("currency_code") or original.get("currency_code"), "lines": lines}
        outcome = self.ctx.load_dependency("bills", adjustment)
        landed = self.ctx.ledger.mapping("bills", key)
        if outcome not in LANDED or landed is None or not landed.freshbooks_id:
            raise Park("bills", key, f"the adjustment bill {adj_number} ({key}) of bill {number}, in the period closed "
                       f"through {self.through}, could not be written ({outcome})", pending=True)
        self.ctx.audit(ref, "closed_period_adjustment", freshbooks_id=landed.freshbooks_id,
                       detail=f"books closed through {self.through}: bill {number} (FreshBooks id {freshbooks_id}, "
                              f"dated {original.get('issue_date')}) left as it is; its change of {difference:+.2f} "
                              f"posted as bill {adj_number} dated {when} ({key})")
        self.ctx.audit(RecordRef("bills", key), "adjusts", freshbooks_id=freshbooks_id,
                       detail=f"adjustment {n} of bill {number} ({ref.source_key}, FreshBooks id {freshbooks_id}), "
                              f"in the period closed through {self.through}")

    # What the bill amounts to now -----------------------------------------------------------------------

    def effective_lines(self, original: dict[str, Any], earlier: list[Adjustment],
                        ref: RecordRef) -> list[dict[str, Any]]:
        lines = self.record_lines(original, ref)
        for adjustment in earlier:
            lines.extend(adjustment.effect)
        return lines

    def record_lines(self, bill: dict[str, Any], ref: RecordRef) -> list[dict[str, Any]]:
        """A FreshBooks bill's lines as a record has them (the expense category by name)."""
        if not bill or int(bill.get("vis_state") or 0) == 1:
            return []
        names = {str(row.get("id")): str(row.get("category"))
                 for row in self.sink.all_categories(ref)}
        lines = []
        for line in bill.get("lines") or []:
            category = line.get("category")
            name = category.get("category") if isinstance(category, dict) else None
            lines.append(plain_line({**line, "category": name or names.get(str(line.get("categoryid")))}, BILL_LINE))
        return lines

    def adjustments(self, bill_key: str, number: str, original: dict[str, Any], ref: RecordRef) -> list[Adjustment]:
        """Earlier adjustment bills, 1, 2, ... until one is neither in the ledger nor among the vendor's bills."""
        found: list[Adjustment] = []
        listed: list[dict[str, Any]] | None = None
        for n in itertools.count(1):
            key, adj_number = adjustment_key(bill_key, n), adjustment_number(number, n)
            mapping = self.ctx.ledger.mapping("bills", key)
            if mapping is not None and mapping.freshbooks_id:
                adjustment = Adjustment(n, key, "bills", mapping.freshbooks_id, adj_number)
                if mapping.state != "deleted":
                    adjustment.effect = self.record_lines(self.fetch("bills", mapping.freshbooks_id, ref), ref)
                found.append(adjustment)
                continue
            if listed is None:
                listed = self.sink.search([("search[vendorid]", as_fb_id(str(original.get("vendorid"))))], ref)
            rows = [row for row in listed if str(row.get("bill_number") or "") == adj_number
                    and int(row.get("vis_state") or 0) == 0]
            if not rows:
                return found
            row = min(rows, key=lambda r: int(self.sink.id_of(r)))
            freshbooks_id = self.sink.id_of(row)
            self.ctx.ledger.save_mapping("bills", key, freshbooks_id, None, origin="adopted")
            self.ctx.audit(RecordRef("bills", key), "adopt", freshbooks_id=freshbooks_id,
                           detail=f"adjustment {adj_number} of {bill_key}, found by vendor and number")
            found.append(Adjustment(n, key, "bills", freshbooks_id, adj_number,
                                    self.record_lines(self.fetch("bills", freshbooks_id, ref), ref)))
        return found


class ClosedBillPayments(ClosedPeriod):
    """The closed-period rule for the bill payments sink: changes to closed bill payments wait for a person."""

    def __init__(self, sink: ResourceSink, writer: ApplicationWriter) -> None:
        super().__init__(sink)
        self.writer = writer

    def guard(self, payloads: dict[str, dict[str, Any]] | None, ref: RecordRef) -> None:
        """Raise Review if writing `payloads` (None: deleting them all) would change a bill payment dated in the
        closed period, unless a person released the record for that."""
        if self.through is None:
            return
        touched = []
        for entry in self.ctx.ledger.children(self.writer.ledger_stream, ref.source_key):
            if entry.state != "active" or not entry.freshbooks_id:
                continue
            new = None if payloads is None else payloads.get(entry.source_key)
            if new is not None and payload_hash(new) == entry.payload_hash:
                continue
            current = self.ctx.client.get(self.writer.path(entry.freshbooks_id), ref=ref).get(self.writer.single) or {}
            if self.in_period(current.get("paid_date")):
                change = "removed" if new is None else "changed"
                touched.append(f"{entry.source_key} (FreshBooks id {entry.freshbooks_id}, paid "
                               f"{current.get('paid_date')}, {(current.get('amount') or {}).get('amount')}) {change}")
        if not touched:
            return
        reason = (f"bill payment(s) in the period closed through {self.through} would be changed: "
                  f"{'; '.join(touched)}. FreshBooks has no negative bill payment to post that in the open period, "
                  "so nothing of this record is written: record it in FreshBooks yourself, or "
                  + RELEASE.format(key=ref.source_key))
        if not self.released(ref, reason):
            raise Review(reason)
        self.ctx.audit(ref, "closed_period_released", detail="bill payments in the closed period: released by a "
                       "person, written into the closed period")
