"""A ledger view for dry runs: reads the real ledger, keeps every write in memory (indexed by FreshBooks id
and by parent, so a lookup never scans every mapping the run made)."""

from __future__ import annotations

from collections import deque
from typing import Any

from target_freshbooks.ledger.models import DeadLetter, IdMap, MappingRow, ParkedRecord, ReviewItem
from target_freshbooks.ledger.store import AccountLedger

Key = tuple[str, str]
AUDIT_TRAIL_KEPT = 10_000
"""Audit entries a dry run keeps in memory (bounded: a dry run over 100,000 invoices must not grow with them)."""


class DryRunLedger(AccountLedger):
    def __init__(self, real: AccountLedger) -> None:
        super().__init__(real.ledger, real.tenant, real.account_id)
        self.mappings: dict[Key, IdMap | None] = {}
        self.by_id: dict[Key, str] = {}
        """(stream, FreshBooks id) → the source key this run mapped to it."""
        self.by_parent: dict[Key, set[str]] = {}
        """(stream, parent key) → source keys whose mapping this run wrote under that parent."""
        self.parked: dict[Key, ParkedRecord | None] = {}
        self.pending_overlay: dict[Key, str | None] = {}
        self.audit_trail: deque[dict[str, Any]] = deque(maxlen=AUDIT_TRAIL_KEPT)
        """The latest audit entries (a dry run writes none to the ledger): the log has them all."""

    def mapping(self, stream: str, source_key: str) -> IdMap | None:
        if (stream, source_key) in self.mappings:
            return self.mappings[(stream, source_key)]
        return super().mapping(stream, source_key)

    def key_for_id(self, stream: str, freshbooks_id: str) -> str | None:
        key = self.by_id.get((stream, str(freshbooks_id)))
        if key is not None:
            entry = self.mappings.get((stream, key))
            if entry is not None and entry.freshbooks_id == str(freshbooks_id):
                return key
        return super().key_for_id(stream, freshbooks_id)

    def children(self, stream: str, parent_key: str) -> list[IdMap]:
        found: dict[str, IdMap] = {e.source_key: e for e in super().children(stream, parent_key)}
        for key in list(found):
            if (stream, key) in self.mappings:  # rewritten in this run: its own entry decides
                found.pop(key)
        for key in self.by_parent.get((stream, parent_key), ()):
            entry = self.mappings.get((stream, key))
            if entry is not None and entry.parent_key == parent_key and entry.state == "active":
                found[key] = entry
        return list(found.values())

    def save_mapping(self, stream: str, source_key: str, freshbooks_id: str | None, payload_hash: str | None, *,
                     origin: str, state: str = "active", parent_key: str | None = None) -> None:
        self.mappings[(stream, source_key)] = MappingRow(
            stream, source_key, None if freshbooks_id is None else str(freshbooks_id), payload_hash, state, origin,
            parent_key)
        if freshbooks_id is not None:
            self.by_id[(stream, str(freshbooks_id))] = source_key
        if parent_key is not None:
            self.by_parent.setdefault((stream, parent_key), set()).add(source_key)

    def drop_mapping(self, stream: str, source_key: str) -> None:
        self.mappings[(stream, source_key)] = None

    def audit(self, run_id: str, stream: str, source_key: str, action: str, **fields: Any) -> None:
        self.audit_trail.append({"stream": stream, "source_key": source_key, "action": action, **fields})

    def pending(self, stream: str, source_key: str) -> str | None:
        if (stream, source_key) in self.pending_overlay:
            return self.pending_overlay[(stream, source_key)]
        return super().pending(stream, source_key)

    def park(self, stream: str, source_key: str, record: dict[str, Any], waiting_stream: str, waiting_key: str,
             reason: str) -> None:
        self.parked[(stream, source_key)] = ParkedRecord(
            stream=stream, source_key=source_key, record=record, waiting_stream=waiting_stream,
            waiting_key=waiting_key, reason=reason, attempts=1)
        self.pending_overlay[(stream, source_key)] = "parked"

    def unpark(self, stream: str, source_key: str) -> None:
        self.parked[(stream, source_key)] = None
        self.pending_overlay[(stream, source_key)] = None

    def parked_records(self) -> list[ParkedRecord]:
        rows = {(r.stream, r.source_key): r for r in super().parked_records()}
        for key, row in self.parked.items():
            if row is None:
                rows.pop(key, None)
            else:
                rows[key] = row
        return list(rows.values())

    def dead_letter(self, stream: str, source_key: str, record: dict[str, Any], **fields: Any) -> None:
        self.pending_overlay[(stream, source_key)] = "dead-lettered"

    def resolve_dead_letter(self, stream: str, source_key: str, resolution: str) -> None:
        self.pending_overlay[(stream, source_key)] = None

    def open_dead_letters(self, stream: str | None = None, source_key: str | None = None) -> list[DeadLetter]:
        return super().open_dead_letters(stream, source_key)

    def hold_for_review(self, stream: str, source_key: str, record: dict[str, Any], reason: str, run_id: str, *,
                        honour_release: bool = True) -> bool:
        self.pending_overlay[(stream, source_key)] = "in review"
        return False

    def resolve_review(self, stream: str, source_key: str, resolution: str) -> None:
        self.pending_overlay[(stream, source_key)] = None

    def released_reviews(self, stream: str | None = None, source_key: str | None = None) -> list[ReviewItem]:
        return super().released_reviews(stream, source_key)
