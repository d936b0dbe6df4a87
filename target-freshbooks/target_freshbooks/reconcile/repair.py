"""`replay --force`: re-send the record last written for a source key even though its payload is unchanged,
so FreshBooks gets the connector's version back (an object deleted there is made again, a bookkeeper's edit
of a connector-owned object is overwritten), and remove a duplicate the connector made of its own object.

How a record is forced: its id-map row and its children's (payment applications, credit applications) lose
their payload hash, so the sink writes them; an object FreshBooks no longer has is forgotten (the sink finds
it by its natural key, or creates it); one deleted there (vis_state 1) is restored first. Objects made in
FreshBooks (no connector marker or number) are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from target_freshbooks.errors import FreshBooksHTTPError, RecordRef
from target_freshbooks.ledger.models import IdMapEntry
from target_freshbooks.loader import Loader
from target_freshbooks.reconcile.freshbooks_side import RESOURCES
from target_freshbooks.reconcile.model import Difference
from target_freshbooks.settings import Settings
from target_freshbooks.sinks import SINKS
from target_freshbooks.sinks.base import Outcome, Resource

CHILD_RESOURCES = {"payment_applications": RESOURCES["payments"], "credit_applications": RESOURCES["payments"],
                   "bill_payment_applications": RESOURCES["bill_payments"]}
"""Ledger streams of sub-records and the FreshBooks resource each is written to."""
FORCED_KINDS = ("amount", "bookkeeper_edit", "missing_in_freshbooks")
"""Differences repaired by re-sending the record; duplicates are removed; only_in_freshbooks is left to the sync."""


@dataclass
class Repair:
    source_key: str
    stream: str
    outcome: str
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome in (Outcome.FAILED.value, "not repairable")


def _rows(loader: Loader, **where: Any) -> list[IdMapEntry]:
    ledger = loader.ledger
    with ledger.ledger.session() as s:
        query = select(IdMapEntry).where(IdMapEntry.tenant == ledger.tenant, IdMapEntry.account_id == ledger.account_id,
                                         *(getattr(IdMapEntry, name) == value for name, value in where.items()))
        return list(s.scalars(query.order_by(IdMapEntry.id)))


def _current(loader: Loader, resource: Resource, freshbooks_id: str, ref: RecordRef) -> dict[str, Any] | None:
    """The object as FreshBooks has it now; None if it is gone."""
    try:
        body = loader.client.get(resource.path(loader.account_id, freshbooks_id), ref=ref)
    except FreshBooksHTTPError as exc:
        if exc.status == 404:
            return None
        raise
    return body.get(resource.single) or {}


def _expire(loader: Loader, entry: IdMapEntry, resource: Resource | None) -> None:
    """Make the sink write this row again: forget it if FreshBooks lost the object, mark it deleted if it was
    deleted there (restored on write), else drop its payload hash."""
    ledger = loader.ledger
    state, freshbooks_id = entry.state, entry.freshbooks_id
    if freshbooks_id and resource is not None and entry.state == "active":
        current = _current(loader, resource, freshbooks_id, RecordRef(entry.stream, entry.source_key))
        if current is None:
            ledger.drop_mapping(entry.stream, entry.source_key)
            return
        if int(current.get("vis_state") or 0) == 1:
            state = "deleted"
    ledger.save_mapping(entry.stream, entry.source_key, freshbooks_id, None, origin=entry.origin, state=state,
                        parent_key=entry.parent_key)


def force_replay(loader: Loader, source_key: str) -> list[Repair]:
    """Re-send the record last written for `source_key` (every stream it was written to), forced."""
    rows = [r for r in _rows(loader, source_key=source_key) if r.stream in SINKS and r.parent_key is None]
    if not rows:
        return [Repair(source_key, "-", "not repairable", "the ledger has no record written for this source key")]
    done = []
    for row in rows:
        if row.last_payload is None:
            done.append(Repair(source_key, row.stream, "not repairable", "no record stored for it yet (written "
                               "before replay --force existed): let the next sync that changes it store it"))
            continue
        record = dict(row.last_payload)
        _expire(loader, row, getattr(SINKS[row.stream], "resource", None))
        for child in _rows(loader, parent_key=source_key):
            if child.state == "active":
                _expire(loader, child, CHILD_RESOURCES.get(child.stream))
        outcome = loader.load(row.stream, record, released=True)
        done.append(Repair(source_key, row.stream, outcome.value))
    return done


def remove_duplicate(loader: Loader, difference: Difference) -> Repair:
    """Delete a connector-owned duplicate the ledger does not map to, when nothing hangs on it; else report it."""
    key, stream, extra = difference.source_key or "", difference.stream, difference.freshbooks_id
    resource = RESOURCES.get(stream)
    if not extra or resource is None or stream not in ("clients", "invoices", "payments"):
        return Repair(key, stream, "not repairable", f"duplicate {stream} {extra}: for a person to settle")
    mapped = {r.freshbooks_id for r in _rows(loader, source_key=key, stream=stream)}
    mapped |= {r.freshbooks_id for r in _rows(loader, parent_key=key)}
    if extra in mapped:
        return Repair(key, stream, "not repairable", f"{stream} {extra} is the one the ledger maps: the other copy "
                      "is not the connector's to delete; settle it by hand")
    ref = RecordRef(stream, key)
    current = _current(loader, resource, extra, ref)
    if current is None or int(current.get("vis_state") or 0) == 1:
        return Repair(key, stream, Outcome.UNCHANGED.value, f"{stream} {extra} is already gone")
    blocker = _blocker(loader, stream, extra, current, ref)
    if blocker:
        return Repair(key, stream, "not repairable", f"{stream} {extra} not deleted: {blocker}; settle it by hand")
    loader.client.update(resource.path(loader.account_id, extra), resource.single, {"vis_state": 1}, ref)
    loader.audit(ref, "delete", freshbooks_id=extra, http_status=200, detail="duplicate removed by replay --force")
    return Repair(key, stream, Outcome.DELETED.value, f"duplicate {stream} {extra} deleted")


def _blocker(loader: Loader, stream: str, extra: str, current: dict[str, Any], ref: RecordRef) -> str | None:
    """Why deleting this duplicate would lose something (None if nothing hangs on it)."""
    if stream == "invoices" and current.get("paid") and str((current.get("paid") or {}).get("amount")) not in (
            "0", "0.00", "None"):
        return "it has payments"
    if stream == "clients":
        for name, field in (("invoices", "customerid"), ("credit_notes", "clientid")):
            resource = RESOURCES[name]
            found = loader.client.list_all(resource.path(loader.account_id), resource.plural,
                                           [(f"search[{field}]", extra)], ref, limit_pages=1)
            if any(str(row.get(field)) == str(extra) for row in found):
                return f"it has {name.replace('_', ' ')}"
    return None


def replay_forced(settings: Settings, source_keys: tuple[str, ...], latest: str | None) -> int:
    """`replay --force`: the exit status (1 if anything could not be repaired, 2 if there was nothing to do)."""
    import click

    from target_freshbooks.reconcile.report_csv import read_latest
    from target_freshbooks.run import Run

    differences: list[Difference] = []
    if latest:
        path = Path(latest)
        if not path.exists():
            click.echo(f"replay --force --drifted: no {path}: run `target-freshbooks reconcile` first (or give the "
                       "path of its latest.json)", err=True)
            return 2
        differences = [d for d in read_latest(path) if d.repairable]
    if not source_keys and not differences:
        click.echo("Nothing to repair: give --source-key KEY or --drifted (after a reconcile that found drift).")
        return 0
    run = Run.start(settings, kind="replay")
    repairs: list[Repair] = []
    try:
        duplicates = [d for d in differences if d.kind == "duplicate"]
        keys = list(dict.fromkeys([*source_keys, *(d.source_key for d in differences
                                                   if d.kind in FORCED_KINDS and d.source_key)]))
        for difference in differences:
            if difference.kind == "only_in_freshbooks":
                repairs.append(Repair(difference.source_key or "", difference.stream, "left",
                                      f"{difference.detail}: the next sync writes its void; not forced"))
        for difference in duplicates:
            repairs.append(remove_duplicate(run.loader, difference))
        for key in keys:
            repairs.extend(force_replay(run.loader, key))
        run.loader.retry_parked()
        run.finish()
        for repair in repairs:
            click.echo(f"forced: {repair.stream} {repair.source_key} → {repair.outcome}"
                       + (f" ({repair.detail})" if repair.detail else ""))
        click.echo(run.summary_text(), err=True)
    finally:
        run.close()
    return 1 if any(r.failed for r in repairs) or run.loader.summary.dead_lettered else 0
