"""One run against FreshBooks: ledger opened (and migrated), tokens, account chosen, lock held.

Used by the Singer target and by `replay`. Closing releases the lock; a lock left by a dead process is
taken over by the next run.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from target_freshbooks.auth import Membership, OAuthClient, TokenCipher, TokenManager, choose_account
from target_freshbooks.http import FreshBooksClient
from target_freshbooks.lease import FreshBooksLease, LeasedClient, deployment_id
from target_freshbooks.ledger.dry_run import DryRunLedger
from target_freshbooks.ledger.store import AccountLedger, Ledger
from target_freshbooks.loader import Loader
from target_freshbooks.settings import Settings

logger = logging.getLogger("target-freshbooks")


def token_manager(settings: Settings, ledger: Ledger) -> TokenManager:
    cipher = TokenCipher.from_settings(settings)
    return TokenManager(ledger.tokens(settings.tenant, settings.client_id), cipher, OAuthClient(settings))


@dataclass
class Run:
    settings: Settings
    ledger: Ledger
    client: FreshBooksClient
    account: Membership
    run_id: str
    loader: Loader
    closed: bool = field(default=False)

    @classmethod
    def start(cls, settings: Settings, *, dry_run: bool | None = None) -> Run:
        dry_run = settings.dry_run if dry_run is None else dry_run
        ledger = Ledger(settings.ledger_url)
        try:
            tokens = token_manager(settings, ledger)
            client = LeasedClient(settings.api_url, tokens, timeout=settings.request_timeout, dry_run=dry_run)
            account = choose_account(client.me(), settings.account_id)
            run_id = uuid.uuid4().hex[:12]
            ledger.acquire_lock(settings.tenant, account.account_id, run_id)
            client.lease = FreshBooksLease(client, account.account_id,
                                           deployment_id(settings.ledger_url, settings.tenant), run_id,
                                           settle_seconds=settings.lease_settle_seconds)
        except BaseException:
            ledger.close()
            raise
        scope: AccountLedger = ledger.account(settings.tenant, account.account_id)
        if dry_run:
            scope = DryRunLedger(scope)
        loader = Loader(scope, client, account.account_id, run_id, dry_run=dry_run, settings=settings,
                        heartbeat=lambda: ledger.heartbeat(settings.tenant, account.account_id, run_id))
        logger.info("Run %s: tenant %r → FreshBooks account %s%s; ledger %s", run_id, settings.tenant, account,
                    " (DRY RUN: nothing will be written)" if dry_run else "", settings.ledger_url_for_display)
        return cls(settings, ledger, client, account, run_id, loader)

    @property
    def dry_run(self) -> bool:
        return self.loader.dry_run

    def summary_text(self) -> str:
        what = "DRY RUN, nothing written; what would happen" if self.dry_run else "summary"
        title = (f"target-freshbooks run {self.run_id} {what} (tenant {self.settings.tenant!r}, "
                 f"FreshBooks account {self.account.account_id}):")
        return self.loader.summary.render(title)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if isinstance(self.client, LeasedClient) and self.client.lease is not None:
                self.client.lease.release()
        except Exception as exc:  # the lease then expires by itself; never hide the run's own outcome
            logger.warning("Could not release the FreshBooks lease: %s", exc)
        try:
            self.ledger.release_lock(self.settings.tenant, self.account.account_id, self.run_id)
        finally:
            self.ledger.close()
