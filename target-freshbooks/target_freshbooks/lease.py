"""A lease kept in FreshBooks itself, so that two deployments (each with its own ledger) never write to one
FreshBooks account at the same time.

The ledger's run lock guards one deployment. A second deployment has another ledger and cannot see it, so
the account carries its own lease: one FreshBooks bill vendor named `LEASE_NAME` (a system record with no
bills; vendors are the one writable resource nothing else of the connector lists by name), whose note
holds the holder and its heartbeat. It is taken lazily, just before the run's first write, so a run that
has nothing to change writes nothing at all. FreshBooks has no compare-and-swap, so taking the lease follows Fischer's
protocol: read it; if someone else holds it and its heartbeat is fresh, stop; else write our claim, wait
`settle_seconds` (longer than a write takes to land), and read it again: whoever's claim is there holds it,
the other stops before writing anything. Two deployments started together thus end with exactly one
writer. A lease left by a crashed run is taken over at once by the same deployment (its ledger lock
already decided who runs) and by another one after `stale_after` seconds without a heartbeat.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import socket
import time
from dataclasses import dataclass
from typing import Any

from target_freshbooks.errors import AmbiguousWriteError, RecordRef, RunLockedError
from target_freshbooks.http import FreshBooksClient

logger = logging.getLogger("target-freshbooks")

LEASE_NAME = "ServiceTitan connector lease (system record, no bills: do not edit)"
VENDORS_PATH = "/accounting/account/{account}/bill_vendors/bill_vendors"
STALE_AFTER = 300.0
SETTLE_SECONDS = 2.0
HEARTBEAT_EVERY = 30.0
WRITE_TRIES = 6


def deployment_id(ledger_url: str, tenant: str) -> str:
    """Names a deployment by its ledger: runs sharing a ledger are already serialised by its lock."""
    return hashlib.sha256(f"{ledger_url}|{tenant}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Claim:
    deployment: str
    run_id: str
    host: str
    heartbeat: float

    @classmethod
    def parse(cls, text: Any) -> Claim | None:
        try:
            data = json.loads(str(text or ""))
            return cls(str(data["deployment"]), str(data["run_id"]), str(data["host"]), float(data["heartbeat"]))
        except (ValueError, KeyError, TypeError):
            return None

    def text(self) -> str:
        return json.dumps({"deployment": self.deployment, "run_id": self.run_id, "host": self.host,
                           "heartbeat": round(self.heartbeat, 1)})


class FreshBooksLease:
    """The account's lease for one run: `acquire` before any write, `heartbeat` while writing, `release`."""

    def __init__(self, client: FreshBooksClient, account_id: str, deployment: str, run_id: str, *,
                 settle_seconds: float = SETTLE_SECONDS, stale_after: float = STALE_AFTER) -> None:
        self.client = client
        self.path = VENDORS_PATH.format(account=account_id)
        self.account_id = account_id
        self.me = Claim(deployment, run_id, socket.gethostname(), 0.0)
        self.settle_seconds = settle_seconds
        self.stale_after = stale_after
        self.item_id: str | None = None
        self.last_beat = 0.0
        self.held = False

    def ensure(self) -> None:
        """Before a write: take the lease the first time, keep its heartbeat fresh after."""
        if self.held:
            self.heartbeat()
        else:
            self.acquire()

    def acquire(self) -> None:
        item = self._lease_item()
        holder = Claim.parse(item.get("note"))
        self._refuse_if_held(holder)
        self._write(self._claim())
        time.sleep(self.settle_seconds)
        holder = Claim.parse(self._read().get("note"))
        if holder is None or (holder.deployment, holder.run_id) != (self.me.deployment, self.me.run_id):
            raise RunLockedError(self._held_message(holder, "claimed it at the same moment"))
        self.held = True
        logger.info("Holding the FreshBooks lease of account %s (bill vendor %s).", self.account_id, self.item_id)

    def heartbeat(self) -> None:
        if self.item_id and time.time() - self.last_beat >= HEARTBEAT_EVERY:
            self._write(self._claim())

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        holder = Claim.parse(self._read().get("note"))
        if holder is not None and holder.run_id == self.me.run_id:
            self._write("")

    # ---------------------------------------------------------------------------------------------------

    def _claim(self) -> str:
        self.last_beat = time.time()
        return Claim(self.me.deployment, self.me.run_id, self.me.host, self.last_beat).text()

    def _refuse_if_held(self, holder: Claim | None) -> None:
        if holder is None or holder.deployment == self.me.deployment:
            return  # free, or our own deployment's (its ledger lock already said we may run)
        if time.time() - holder.heartbeat > self.stale_after:
            logger.warning("Taking over the FreshBooks lease of account %s left by run %s on %s (no heartbeat for "
                           "%d s).", self.account_id, holder.run_id, holder.host, time.time() - holder.heartbeat)
            return
        raise RunLockedError(self._held_message(holder, "is writing to it now"))

    def _held_message(self, holder: Claim | None, what: str) -> str:
        who = f"run {holder.run_id} on {holder.host}" if holder else "another run"
        return (f"Another deployment of the connector ({who}) {what}: FreshBooks account {self.account_id} takes "
                "one writer at a time, so this run stops before writing anything. Two deployments (separate "
                "ledgers) must not sync one account; if the other one is gone, its lease expires "
                f"{int(self.stale_after)} s after its last heartbeat (the bill vendor {LEASE_NAME!r}).")

    def _lease_item(self) -> dict[str, Any]:
        rows = self._lease_rows()
        for _ in range(WRITE_TRIES):
            if rows:
                break
            with contextlib.suppress(AmbiguousWriteError):  # made or not: the list says
                FreshBooksClient.create(self.client, self.path, "bill_vendor", {
                    "vendor_name": LEASE_NAME, "currency_code": "USD", "language": "en", "note": ""}, REF)
            rows = self._lease_rows()
        if not rows:
            raise RunLockedError("Could not make the FreshBooks account's lease (bill vendor "
                                 f"{LEASE_NAME!r}): FreshBooks never confirmed it; run again.")
        row = min(rows, key=lambda r: int(r["vendorid"]))  # two made at once: the first one is the lease
        self.item_id = str(row["vendorid"])
        return row

    def _lease_rows(self) -> list[dict[str, Any]]:
        return [row for row in self.client.list_all(self.path, "bill_vendors", (), REF)
                if row.get("vendor_name") == LEASE_NAME and int(row.get("vis_state") or 0) == 0]

    def _read(self) -> dict[str, Any]:
        return self.client.get(f"{self.path}/{self.item_id}", (), REF).get("bill_vendor") or {}

    def _write(self, note: str) -> None:
        """Setting the note is idempotent, so an unconfirmed write is simply sent again."""
        for attempt in range(WRITE_TRIES):
            try:
                FreshBooksClient.update(self.client, f"{self.path}/{self.item_id}", "bill_vendor", {"note": note},
                                        REF)
                return
            except AmbiguousWriteError:
                if attempt == WRITE_TRIES - 1:
                    raise


REF = RecordRef("lease", "FreshBooks account lease")


class LeasedClient(FreshBooksClient):
    """A FreshBooks client whose first write takes the account's lease (and later writes keep it alive)."""

    lease: FreshBooksLease | None = None

    def create(self, path: str, single: str, body: dict[str, Any], ref: RecordRef | None) -> dict[str, Any]:
        self._leased()
        return super().create(path, single, body, ref)

    def update(self, path: str, single: str, body: dict[str, Any], ref: RecordRef | None) -> dict[str, Any]:
        self._leased()
        return super().update(path, single, body, ref)

    def delete(self, path: str, ref: RecordRef | None) -> None:
        self._leased()
        super().delete(path, ref)

    def _leased(self) -> None:
        if self.lease is not None and not self.dry_run:
            with self.state_lock.pinned():  # other writers wait for the lease, never see it half renewed
                self.lease.ensure()
