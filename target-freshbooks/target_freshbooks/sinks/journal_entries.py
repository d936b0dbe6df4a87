"""`journal_entries` → FreshBooks journal entries (`journal_entries/journal_entries`), create-only.

FreshBooks has no get, list, update or delete for journal entries, so an entry, once posted, stays. A record
is posted as entry number n of its source key (`K#n`); the ledger is what keeps a rerun from posting it again:

- `journal_entries` / K: the live entry's id and the hash of what it posts (date, currency, and each detail's
  sub-account, side and amount; a changed name or description alone posts nothing); state `deleted` when
  nothing of K is live (inactive, or nothing to post).
- `journal_postings` / `K#n` (parent K): entry n, state `active` (live), `deleted` (reversed) or `pending`
  (sent, not confirmed); `K#n:reversal`: the entry that reversed it.
- `journal_lines` / `K#n/i` (parent `K#n`): what entry n posted, kept so a correction can reverse exactly
  that: freshbooks_id = sub_accountid, payload_hash = `debit|12.34|2024-01-31|USD`.

A changed record posts a reversing entry (entry n's details with debit and credit swapped, dated as entry n,
description "Reversal of …", marker `[K#n:reversal]`) and then entry n+1; `active: false` posts the reversal
only. Every entry's description and every detail's description carry the marker `[K#n]`.

Lost ledger: when a key has no ledger row (or a posting is unconfirmed), the details ledger
`journal_entries/journal_entry_details` is scanned once per run for markers, and the postings found are written
back to the ledger (origin `rebuilt`) before anything is posted. If that endpoint is unavailable the scan finds
nothing (a warning), and an unconfirmed posting is held for review instead of being posted twice.

Mode: a key already written in invoice mode (`invoices`, `payments` or `credit_notes` in the ledger) is refused
(dead-lettered): one document is never both an invoice and a journal entry; `journal_cutover_date` decides.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from target_freshbooks.errors import FreshBooksHTTPError, RecordError, RecordRef
from target_freshbooks.sinks.base import (
    INACTIVE,
    Match,
    Outcome,
    Resource,
    ResourceSink,
    Review,
    confirmed_create,
    payload_hash,
    require,
)

logger = logging.getLogger("target-freshbooks")

POSTINGS = "journal_postings"
LINES = "journal_lines"
INVOICE_MODE_STREAMS = ("invoices", "payments", "credit_notes")
ACCOUNTS = Resource("journal_entry_accounts", "journal_entry_accounts", "journal_entry_account",
                    "journal_entry_accounts")
DETAILS = Resource("journal_entries", "journal_entry_details", "journal_entry_detail", "journal_entry_details")
JOURNAL_MARKER = re.compile(r"\[([^\[\]\s]+)#(\d+)(:reversal)?\]")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    sub_accountid: int
    side: str  # "debit" or "credit"
    amount: Decimal
    date: str
    currency: str

    def stored(self) -> str:
        return f"{self.side}|{self.amount}|{self.date}|{self.currency}"

    @classmethod
    def parse(cls, sub_accountid: str, stored: str) -> Line:
        side, amount, date, currency = stored.split("|")
        return cls(int(sub_accountid), side, Decimal(amount), date, currency)


@dataclass
class Found:
    """A posting found in FreshBooks' details ledger by its marker."""

    entryid: str
    lines: list[Line] = field(default_factory=list)


def journal_posting_of(ledger: Any, source_key: str) -> str | None:
    """The live journal entry id of a source key, if it was written in journal mode (for invoice-mode sinks)."""
    mapping = ledger.mapping("journal_entries", source_key)
    return mapping.freshbooks_id if mapping is not None and mapping.state == "active" else None


def money_digest(date: str, currency: str, details: list[dict[str, Any]]) -> str:
    """What a posting posts: its date, currency and each detail's sub-account, side and amount (not the texts)."""
    return payload_hash({"date": date, "currency": currency, "details": [
        [int(d["sub_accountid"]), "debit" if d.get("debit") else "credit", str(d.get("debit") or d.get("credit"))]
        for d in details]})


def _cents(value: Any, ref: RecordRef, where: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise RecordError(ref, f"{where}: {value!r} is not an amount") from None
    if amount <= 0:
        raise RecordError(ref, f"{where}: amounts must be positive (put a negative amount on the other side)")
    return amount


class JournalEntriesSink(ResourceSink):
    stream = "journal_entries"
    resource = Resource("journal_entries", "journal_entries", "journal_entry", "journal_entries", id_field="entryid")
    restorable = False

    # The record -----------------------------------------------------------------------------------------

    def upsert(self, record: dict[str, Any], ref: RecordRef, *, released: bool = False) -> Outcome:
        key = ref.source_key
        self.refuse_mode_switch(key, ref)
        self.recover(key, ref)
        parent = self.ctx.ledger.mapping(self.stream, key)
        live = self.live_posting(key)
        if record.get("active") is False:
            if live is None:
                if parent is None or parent.payload_hash != INACTIVE:
                    self.ctx.ledger.save_mapping(self.stream, key, None, INACTIVE, state="deleted", origin="none")
                self.ctx.audit(ref, "unchanged" if parent is not None else "skip",
                               detail="inactive: no journal entry of it is live")
                return Outcome.UNCHANGED
            self.reverse(live, record, ref)
            self.ctx.ledger.save_mapping(self.stream, key, None, INACTIVE, state="deleted", origin="created")
            return Outcome.DELETED
        payload = self.build_payload(record, ref, released=released)
        digest = money_digest(payload["user_entered_date"], payload["currency_code"], payload["details"])
        if parent is not None and parent.payload_hash == digest:
            self.ctx.audit(ref, "unchanged", freshbooks_id=parent.freshbooks_id)
            return Outcome.UNCHANGED
        if live is not None:
            self.reverse(live, record, ref)
        entryid = self.post_new(key, payload, digest, ref) if payload["details"] else None
        self.ctx.ledger.save_mapping(self.stream, key, entryid, digest, state="active" if entryid else "deleted",
                                     origin="created")
        if entryid is None:
            self.ctx.audit(ref, "skip", detail="nothing to post: every amount is zero")
        if live is None:
            return Outcome.CREATED if entryid else Outcome.UNCHANGED
        return Outcome.UPDATED

    def build_payload(self, record: dict[str, Any], ref: RecordRef, *, released: bool) -> dict[str, Any]:
        require(record, ref, "user_entered_date", "currency_code")
        raw = record.get("details")
        if not isinstance(raw, list):
            raise RecordError(ref, "missing required field: details (a list of {account, debit|credit})")
        details = []
        totals = {"debit": Decimal(0), "credit": Decimal(0)}
        for index, detail in enumerate(raw):
            where = f"details[{index}]"
            if not isinstance(detail, dict) or not detail.get("account"):
                raise RecordError(ref, f"{where} needs an `account` (FreshBooks sub-account number or name)")
            sides = [side for side in ("debit", "credit") if detail.get(side) not in (None, "")]
            if len(sides) != 1:
                raise RecordError(ref, f"{where} needs exactly one of debit or credit")
            amount = _cents(detail[sides[0]], ref, f"{where}.{sides[0]}")
            totals[sides[0]] += amount
            details.append({"sub_accountid": self.sub_account(str(detail["account"]), ref), sides[0]: str(amount),
                            "description": str(detail.get("description") or "")})
        if totals["debit"] != totals["credit"]:
            raise RecordError(ref, f"the entry does not balance: debits {totals['debit']} != credits "
                              f"{totals['credit']}")
        if len(details) == 1:
            raise RecordError(ref, "a journal entry needs at least two details")
        return {"name": str(record.get("name") or ref.source_key)[:100],
                "description": str(record.get("description") or ""),
                "currency_code": str(record["currency_code"]), "user_entered_date": str(record["user_entered_date"]),
                "details": details}

    # Modes ------------------------------------------------------------------------------------------------

    def refuse_mode_switch(self, key: str, ref: RecordRef) -> None:
        for stream in INVOICE_MODE_STREAMS:
            mapping = self.ctx.ledger.mapping(stream, key)
            if mapping is not None and mapping.freshbooks_id and mapping.state == "active":
                raise RecordError(ref, (
                    f"{key} is already in FreshBooks in invoice mode ({stream} id {mapping.freshbooks_id}); it is "
                    "not posted as a journal entry too. Set the mapper's journal_cutover_date after this document's "
                    "date so it stays in invoice mode (or delete it in FreshBooks, then replay)"))

    # Postings in the ledger -------------------------------------------------------------------------------

    def postings(self, key: str) -> list[tuple[int, Any]]:
        found = []
        n = 1
        while (row := self.ctx.ledger.mapping(POSTINGS, f"{key}#{n}")) is not None:
            found.append((n, row))
            n += 1
        return found

    def live_posting(self, key: str) -> int | None:
        live = [n for n, row in self.postings(key) if row.state == "active"]
        return live[-1] if live else None

    def lines(self, key: str, n: int) -> list[Line]:
        return [Line.parse(str(row.freshbooks_id), str(row.payload_hash))
                for row in self.ctx.ledger.children(LINES, f"{key}#{n}")]

    def save_lines(self, key: str, n: int, lines: list[Line]) -> None:
        for index, line in enumerate(lines, start=1):
            self.ctx.ledger.save_mapping(LINES, f"{key}#{n}/{index}", str(line.sub_accountid), line.stored(),
                                         origin="created", parent_key=f"{key}#{n}")

    # Writing ------------------------------------------------------------------------------------------------

    def post_new(self, key: str, payload: dict[str, Any], digest: str, ref: RecordRef) -> str:
        n = len(self.postings(key)) + 1
        tag = f"{key}#{n}"
        lines = [Line(int(d["sub_accountid"]), "debit" if "debit" in d else "credit",
                      Decimal(d.get("debit") or d["credit"]), payload["user_entered_date"], payload["currency_code"])
                 for d in payload["details"]]
        self.ctx.ledger.save_mapping(POSTINGS, tag, None, digest, state="pending", origin="created", parent_key=key)
        self.save_lines(key, n, lines)
        body = {**payload, "description": self.marked(payload["description"], tag),
                "details": [{**d, "description": self.marked(d["description"], tag)} for d in payload["details"]]}
        entryid = self.post(body, tag, ref)
        self.ctx.ledger.save_mapping(POSTINGS, tag, entryid, digest, state="active", origin="created", parent_key=key)
        return entryid

    def reverse(self, n: int, record: dict[str, Any], ref: RecordRef) -> str:
        key = ref.source_key
        original = self.ctx.ledger.mapping(POSTINGS, f"{key}#{n}")
        entryid = original.freshbooks_id if original is not None else None
        tag = f"{key}#{n}:reversal"
        lines = self.lines(key, n)
        if not lines:
            raise Review(f"entry {entryid} ({key}#{n}) must be reversed but the ledger does not know its details; "
                         "reverse it by hand in FreshBooks, then release this record")
        description = f"Reversal of journal entry {entryid} ({key}#{n})"
        body = {"name": f"Reversal: {record.get('name') or key!s}"[:100],
                "description": self.marked(description, tag), "currency_code": lines[0].currency,
                "user_entered_date": lines[0].date,
                "details": [{"sub_accountid": line.sub_accountid,
                             "credit" if line.side == "debit" else "debit": str(line.amount),
                             "description": self.marked(description, tag)} for line in lines]}
        self.ctx.ledger.save_mapping(POSTINGS, tag, None, None, state="pending", origin="created", parent_key=key)
        reversal = self.post(body, tag, ref)
        self.ctx.ledger.save_mapping(POSTINGS, tag, reversal, None, state="reversal", origin="created",
                                     parent_key=key)
        self.ctx.ledger.save_mapping(POSTINGS, f"{key}#{n}", entryid,
                                     original.payload_hash if original is not None else None, state="deleted",
                                     origin=original.origin if original is not None else "created", parent_key=key)
        self.ctx.audit(ref, "reverse", freshbooks_id=reversal, detail=f"reverses entry {entryid} ({key}#{n})")
        return reversal

    @staticmethod
    def marked(text: str, tag: str) -> str:
        text = (text or "").rstrip()
        return f"{text} [{tag}]" if text else f"[{tag}]"

    def post(self, body: dict[str, Any], tag: str, ref: RecordRef) -> str:
        """POST the entry (`confirmed_create`: after an unanswered POST, its marker is looked for first)."""

        def find() -> Match | None:
            found = (self.scan(ref, fresh=True) or {}).get(tag)
            return Match(found.entryid, f"marker [{tag}]") if found is not None else None

        entryid, _ = confirmed_create(self.ctx, self.path(), self.resource.single, body, ref, find, self.id_of)
        return entryid

    # Accounts -----------------------------------------------------------------------------------------------

    def sub_account(self, name: str, ref: RecordRef) -> int:
        """The `sub_accountid` of a sub-account number or name (or of an account with a single sub-account)."""
        index = self.ctx.cache.get("journal_entry_accounts")
        if index is None:
            index = self.ctx.cache["journal_entry_accounts"] = self.account_index(ref)
        wanted = name.strip().lower()
        for kind in ("sub_number", "sub_name", "number", "name"):
            ids = index[kind].get(wanted)
            if ids and len(ids) == 1:
                return ids[0]
            if ids:
                raise RecordError(ref, f"account {name!r} names {len(ids)} FreshBooks sub-accounts ({kind}); use the "
                                  "sub-account number in journal_account_map")
        known = sorted(index["labels"])
        raise RecordError(ref, f"account {name!r} is not in the FreshBooks chart of accounts; known sub-accounts: "
                          f"{', '.join(known)[:600]}. Fix journal_account_map")

    def account_index(self, ref: RecordRef) -> dict[str, Any]:
        index: dict[str, Any] = {"sub_number": {}, "sub_name": {}, "number": {}, "name": {}, "labels": set()}
        rows = self.ctx.client.list_all(ACCOUNTS.path(self.ctx.account_id), ACCOUNTS.plural, (), ref)
        for account in rows:
            subs = [s for s in account.get("sub_accounts") or [] if s.get("sub_accountid") is not None]
            for sub in subs:
                sub_id = int(sub["sub_accountid"])
                index["labels"].add(f"{sub.get('account_sub_number') or '-'} {sub.get('account_sub_name') or ''}")
                for kind, value in (("sub_number", sub.get("account_sub_number")),
                                    ("sub_name", sub.get("account_sub_name"))):
                    if value:
                        index[kind].setdefault(str(value).strip().lower(), []).append(sub_id)
            if len(subs) == 1:
                for kind, value in (("number", account.get("account_number")), ("name", account.get("account_name"))):
                    if value:
                        index[kind].setdefault(str(value).strip().lower(), []).append(int(subs[0]["sub_accountid"]))
        return index

    # Lost ledger ----------------------------------------------------------------------------------------------

    def recover(self, key: str, ref: RecordRef) -> None:
        """Before posting for a key the ledger does not know (or whose last posting is unconfirmed), look for its
        markers in FreshBooks' journal entry details and write what is found back to the ledger."""
        postings = self.postings(key)
        pending = [(n, row) for n, row in postings if row.state == "pending"]
        pending_reversals = [n for n, _ in postings
                             if (r := self.ctx.ledger.mapping(POSTINGS, f"{key}#{n}:reversal")) is not None
                             and r.state == "pending"]
        if postings and not pending and not pending_reversals:
            return
        if not postings and self.ctx.ledger.mapping(self.stream, key) is not None:
            return  # known: nothing was ever posted for it
        found = self.scan(ref, fresh=bool(pending or pending_reversals))
        if found is None:
            if pending or pending_reversals:
                raise Review(f"a journal entry of {key} was sent but not confirmed, and FreshBooks' journal entry "
                             f"details cannot be read to check; look for the marker [{key}#…] in FreshBooks, then "
                             "release this record")
            return
        for n in pending_reversals:
            tag = f"{key}#{n}:reversal"
            hit = found.get(tag)
            if hit is not None:
                self.ctx.ledger.save_mapping(POSTINGS, tag, hit.entryid, None, state="reversal", origin="rebuilt",
                                             parent_key=key)
                original = self.ctx.ledger.mapping(POSTINGS, f"{key}#{n}")
                self.ctx.ledger.save_mapping(POSTINGS, f"{key}#{n}", original.freshbooks_id if original else None,
                                             original.payload_hash if original else None, state="deleted",
                                             origin="rebuilt", parent_key=key)
            else:
                self.ctx.ledger.drop_mapping(POSTINGS, tag)
        for n, row in pending:
            hit = found.get(f"{key}#{n}")
            if hit is not None:
                self.ctx.ledger.save_mapping(POSTINGS, f"{key}#{n}", hit.entryid, row.payload_hash, state="active",
                                             origin="rebuilt", parent_key=key)
                self.ctx.ledger.save_mapping(self.stream, key, hit.entryid, row.payload_hash, origin="rebuilt")
                self.ctx.audit(ref, "adopt", freshbooks_id=hit.entryid, detail=f"marker [{key}#{n}] found")
            else:
                self.ctx.ledger.drop_mapping(POSTINGS, f"{key}#{n}")
                for index in range(1, len(self.lines(key, n)) + 1):
                    self.ctx.ledger.drop_mapping(LINES, f"{key}#{n}/{index}")
        if postings:
            return
        n = 1
        while (hit := found.get(f"{key}#{n}")) is not None:
            reversal = found.get(f"{key}#{n}:reversal")
            self.ctx.ledger.save_mapping(POSTINGS, f"{key}#{n}", hit.entryid, None,
                                         state="deleted" if reversal else "active", origin="rebuilt", parent_key=key)
            self.save_lines(key, n, hit.lines)
            if reversal is not None:
                self.ctx.ledger.save_mapping(POSTINGS, f"{key}#{n}:reversal", reversal.entryid, None,
                                             state="reversal", origin="rebuilt", parent_key=key)
            n += 1
        live = self.live_posting(key)
        if live is not None:
            entry = self.ctx.ledger.mapping(POSTINGS, f"{key}#{live}")
            lines = self.lines(key, live)
            digest = self.digest_of(lines) if lines else None
            self.ctx.ledger.save_mapping(self.stream, key, entry.freshbooks_id if entry else None, digest,
                                         origin="rebuilt")
            self.ctx.ledger.save_mapping(POSTINGS, f"{key}#{live}", entry.freshbooks_id if entry else None, digest,
                                         state="active", origin="rebuilt", parent_key=key)
            self.ctx.audit(ref, "adopt", freshbooks_id=entry.freshbooks_id if entry else None,
                           detail=f"rebuilt from journal entry details: {n - 1} posting(s) found by marker")
        elif n > 1:
            self.ctx.ledger.save_mapping(self.stream, key, None, INACTIVE, state="deleted", origin="rebuilt")
            self.ctx.audit(ref, "adopt", detail=f"rebuilt from journal entry details: {n - 1} reversed posting(s)")

    @staticmethod
    def digest_of(lines: list[Line]) -> str:
        """The hash `upsert` computes for a payload posting these lines (so a rebuilt ledger compares equal)."""
        return money_digest(lines[0].date, lines[0].currency,
                            [{"sub_accountid": line.sub_accountid, line.side: str(line.amount)} for line in lines])

    def scan(self, ref: RecordRef, *, fresh: bool = False) -> dict[str, Found] | None:
        """Postings found by marker in `journal_entry_details` (once per run unless `fresh`); None if unreadable."""
        if not fresh and "journal_markers" in self.ctx.cache:
            return self.ctx.cache["journal_markers"]
        found: dict[str, Found] | None = {}
        try:
            rows = list(self.ctx.client.list_all(DETAILS.path(self.ctx.account_id), DETAILS.plural, (), ref))
        except FreshBooksHTTPError as exc:
            logger.warning("Cannot read FreshBooks journal entry details (%s): a lost ledger cannot be rebuilt from "
                           "them", exc)
            rows, found = [], None
        for row in rows:
            assert found is not None
            tags = {match.group(1) + "#" + match.group(2) + (match.group(3) or "")
                    for match in JOURNAL_MARKER.finditer(str(row.get("description") or ""))}
            entry = row.get("entry") or {}
            sub = row.get("sub_account") or {}
            side = "debit" if _money(row.get("debit")) > 0 else "credit"
            amount = _money(row.get(side))
            currency = (row.get(side) or {}).get("code") if isinstance(row.get(side), dict) else None
            for tag in tags:
                posting = found.setdefault(tag, Found(str(entry.get("entryid") or entry.get("id"))))
                if amount > 0 and sub.get("sub_accountid") is not None and ":reversal" not in tag:
                    posting.lines.append(Line(int(sub["sub_accountid"]), side, amount,
                                              str(row.get("user_entered_date")), str(currency or "USD")))
        self.ctx.cache["journal_markers"] = found
        return found


def _money(value: Any) -> Decimal:
    raw = value.get("amount") if isinstance(value, dict) else value
    try:
        return Decimal(str(raw or "0")).quantize(CENT)
    except InvalidOperation:
        return Decimal(0)
