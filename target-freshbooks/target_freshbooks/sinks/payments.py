"""`payments` → FreshBooks payments (`payments/payments`), one per application of a source payment.

The applications of a record are reconciled as a set: each listed application becomes (or stays) one
FreshBooks payment on its invoice; a payment the target made for an application no longer listed is
deleted; `active: false` deletes them all. Each payment's note carries the application's `[source_key]`
marker, so it is found again without the ledger (`search[invoiceid]`, then the marker).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from target_freshbooks.errors import AmbiguousWriteError, RecordError, RecordRef
from target_freshbooks.ledger.models import IdMapEntry
from target_freshbooks.sinks.base import (
    CREATE_ATTEMPTS,
    Match,
    Outcome,
    Resource,
    ResourceSink,
    as_fb_id,
    marker,
    payload_hash,
    pick,
    with_marker,
)

APPLICATIONS = "payment_applications"
"""Ledger stream of the applications (each mapped to one FreshBooks payment, parent: the payment record)."""
SHARED_FIELDS = ("date", "type")


@dataclass(frozen=True)
class Application:
    source_key: str
    invoice_source_key: str
    amount: dict[str, Any]


def applications(record: dict[str, Any], ref: RecordRef) -> list[Application]:
    raw = record.get("applications")
    if raw is None and record.get("invoice_source_key"):
        raw = [{"source_key": ref.source_key, "invoice_source_key": record["invoice_source_key"],
                "amount": record.get("amount")}]
    if not isinstance(raw, list):
        raise RecordError(ref, "a payment needs `applications` (a list) or an inline `invoice_source_key` and `amount`")
    found: list[Application] = []
    for index, app in enumerate(raw, start=1):
        if not isinstance(app, dict):
            raise RecordError(ref, f"application {index} is not an object")
        missing = [name for name in ("source_key", "invoice_source_key", "amount") if not app.get(name)]
        if missing:
            raise RecordError(ref, f"application {index} lacks {', '.join(missing)}")
        amount = app["amount"]
        if not isinstance(amount, dict) or amount.get("amount") in (None, ""):
            raise RecordError(ref, f'application {index}: amount must be Money, {{"amount": "12.34", "code": "USD"}}')
        found.append(Application(str(app["source_key"]), str(app["invoice_source_key"]), amount))
    keys = [app.source_key for app in found]
    if len(set(keys)) != len(keys):
        raise RecordError(ref, "two applications share a source_key")
    return found


class PaymentsSink(ResourceSink):
    stream = "payments"
    resource = Resource("payments", "payments", "payment", "payments")

    def upsert(self, record: dict[str, Any], ref: RecordRef, *, released: bool = False) -> Outcome:
        ledger = self.ctx.ledger
        key = ref.source_key
        existing = {entry.source_key: entry for entry in ledger.children(APPLICATIONS, key)}
        if record.get("active") is False:
            return self.delete_all(record, ref, existing)
        apps = applications(record, ref)
        payloads = {app.source_key: self.application_payload(record, app, ref) for app in apps}
        digest = payload_hash(payloads)
        parent = ledger.mapping(self.stream, key)
        if (parent is not None and parent.payload_hash == digest and parent.state == "active"
                and set(existing) == set(payloads)):
            self.ctx.audit(ref, "unchanged", detail=f"{len(payloads)} application(s)")
            return Outcome.UNCHANGED
        done: Counter[str] = Counter()
        for gone_key in sorted(existing.keys() - payloads.keys()):
            entry = existing[gone_key]
            self.delete_payment(entry, RecordRef(self.stream, gone_key), "application no longer listed")
            done["deleted"] += 1
        for app_key, payload in payloads.items():
            done[self.reconcile(app_key, payload, existing.get(app_key), ref)] += 1
        ledger.save_mapping(self.stream, key, None, digest, origin="created")
        if done[Outcome.CREATED.value]:
            return Outcome.CREATED
        if done[Outcome.UPDATED.value] or done["deleted"]:
            return Outcome.UPDATED
        if done[Outcome.ADOPTED.value]:
            return Outcome.ADOPTED
        return Outcome.UNCHANGED

    def application_payload(self, record: dict[str, Any], app: Application, ref: RecordRef) -> dict[str, Any]:
        invoice_id = self.ctx.resolve("invoices", app.invoice_source_key, needed_by=ref)
        payload = pick(record, SHARED_FIELDS)
        payload["invoiceid"] = as_fb_id(invoice_id)
        payload["amount"] = app.amount
        payload["note"] = with_marker(record.get("note"), app.source_key)
        return payload

    def reconcile(self, app_key: str, payload: dict[str, Any], entry: IdMapEntry | None, parent: RecordRef) -> str:
        ledger = self.ctx.ledger
        ref = RecordRef(self.stream, app_key)
        digest = payload_hash(payload)
        if entry is not None and entry.freshbooks_id:
            if entry.payload_hash == digest:
                return "unchanged"
            current = self.ctx.client.get(self.path(entry.freshbooks_id), ref=ref).get("payment") or {}
            if str(current.get("invoiceid")) == str(payload["invoiceid"]):
                body = {name: value for name, value in payload.items() if name != "invoiceid"}
                self.ctx.client.update(self.path(entry.freshbooks_id), "payment", body, ref)
                self.ctx.audit(ref, "update", freshbooks_id=entry.freshbooks_id, http_status=200)
                ledger.save_mapping(APPLICATIONS, app_key, entry.freshbooks_id, digest, origin=entry.origin,
                                    parent_key=parent.source_key)
                return Outcome.UPDATED.value
            self.delete_payment(entry, ref, "application moved to another invoice")
        else:
            match = self.find_application(app_key, payload, ref)
            if match is not None:
                ledger.save_mapping(APPLICATIONS, app_key, match.freshbooks_id, digest, origin="adopted",
                                    parent_key=parent.source_key)
                self.ctx.audit(ref, "adopt", freshbooks_id=match.freshbooks_id, detail=match.how)
                return Outcome.ADOPTED.value
        freshbooks_id = self.create_application(app_key, payload, ref)
        ledger.save_mapping(APPLICATIONS, app_key, freshbooks_id, digest, origin="created",
                            parent_key=parent.source_key)
        return Outcome.CREATED.value

    def create_application(self, app_key: str, payload: dict[str, Any], ref: RecordRef) -> str:
        last: AmbiguousWriteError | None = None
        for _ in range(CREATE_ATTEMPTS):
            try:
                obj = self.ctx.client.create(self.path(), "payment", payload, ref)
            except AmbiguousWriteError as exc:
                last = exc
                self.ctx.audit(ref, "create_unconfirmed", http_status=exc.status, error=str(exc))
                match = self.find_application(app_key, payload, ref)
                if match is not None:
                    self.ctx.audit(ref, "create", freshbooks_id=match.freshbooks_id,
                                   detail=f"confirmed after an unanswered create: found by {match.how}")
                    return match.freshbooks_id
                continue
            freshbooks_id = self.id_of(obj)
            self.ctx.audit(ref, "create", freshbooks_id=freshbooks_id, http_status=200)
            return freshbooks_id
        assert last is not None
        raise last

    def find_application(self, app_key: str, payload: dict[str, Any], ref: RecordRef) -> Match | None:
        tag = marker(app_key)
        rows = [row for row in self.search([("search[invoiceid]", payload["invoiceid"])], ref)
                if tag in (row.get("note") or "") and int(row.get("vis_state") or 0) == 0]
        if not rows:
            return None
        row = min(rows, key=lambda r: int(r["id"]))
        return Match(str(row["id"]), f"invoice id {payload['invoiceid']} and marker {tag} in its note", row)

    def delete_payment(self, entry: IdMapEntry, ref: RecordRef, why: str) -> None:
        if entry.freshbooks_id:
            self.ctx.client.update(self.path(entry.freshbooks_id), "payment", {"vis_state": 1}, ref)
            self.ctx.audit(ref, "delete", freshbooks_id=entry.freshbooks_id, http_status=200, detail=why)
        self.ctx.ledger.save_mapping(APPLICATIONS, entry.source_key, entry.freshbooks_id, "deleted", state="deleted",
                                     origin=entry.origin, parent_key=entry.parent_key)

    def delete_all(self, record: dict[str, Any], ref: RecordRef, existing: dict[str, IdMapEntry]) -> Outcome:
        deleted = 0
        for app_key in sorted(existing):
            self.delete_payment(existing[app_key], RecordRef(self.stream, app_key), "payment inactive")
            deleted += 1
        try:
            listed = applications(record, ref)
        except RecordError:
            listed = []
        for app in listed:
            if app.source_key in existing:
                continue
            mapping = self.ctx.ledger.mapping("invoices", app.invoice_source_key)
            if mapping is None or not mapping.freshbooks_id:
                continue
            match = self.find_application(app.source_key, {"invoiceid": as_fb_id(mapping.freshbooks_id)}, ref)
            if match is not None:
                self.ctx.client.update(self.path(match.freshbooks_id), "payment", {"vis_state": 1}, ref)
                self.ctx.audit(RecordRef(self.stream, app.source_key), "delete", freshbooks_id=match.freshbooks_id,
                               http_status=200, detail="payment inactive")
                deleted += 1
        self.ctx.ledger.save_mapping(self.stream, ref.source_key, None, "deleted", state="deleted", origin="created")
        if not deleted:
            self.ctx.audit(ref, "skip", detail="inactive and not in FreshBooks: nothing to delete")
        return Outcome.DELETED if deleted else Outcome.UNCHANGED

    def build_payload(self, record: dict[str, Any], ref: RecordRef, *, released: bool) -> dict[str, Any]:
        raise NotImplementedError("payments reconcile their applications in upsert()")

    def find_existing(self, record: dict[str, Any], payload: dict[str, Any] | None, ref: RecordRef) -> Match | None:
        raise NotImplementedError("payments are found per application")
