"""One run against FreshBooks: ledger opened (and migrated), tokens, account chosen, lock held.

Used by the Singer target and by `replay`. Closing releases the lock; a lock left by a dead process is
taken over by the next run. The run is in `run_history` from the moment it holds the lock: `finish` releases
the FreshBooks lease and records the run's figures (the summary, printed after it, shows the same), a run
closed without `finish` is recorded failed with its error.
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from target_freshbooks.auth import Membership, OAuthClient, TokenCipher, TokenManager, choose_account
from target_freshbooks.http import FreshBooksClient
from target_freshbooks.lease import FreshBooksLease, LeasedClient, deployment_id
from target_freshbooks.ledger import run_history
from target_freshbooks.ledger.dry_run import DryRunLedger
from target_freshbooks.ledger.rate_budget import shared_slots
from target_freshbooks.ledger.store import AccountLedger, Ledger
from target_freshbooks.limiter import RateLimiter
from target_freshbooks.loader import Loader
from target_freshbooks.progress import Progress
from target_freshbooks.settings import Settings
from target_freshbooks.summary import CallCount

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
    kind: str = "sync"
    calls: CallCount = field(default_factory=CallCount)
    progress: Progress | None = None
    started: float = field(default_factory=time.monotonic)
    finished: bool = False
    ended: float | None = None
    first_call_seconds: float = 0.0
    """How long the run's first FreshBooks call took (sizes the writer pool)."""

    @classmethod
    def start(cls, settings: Settings, *, dry_run: bool | None = None, kind: str = "sync") -> Run:
        """`kind` is what `audit --runs` shows: `sync` (a dry one is `dry_run`) or `replay`."""
        dry_run = settings.dry_run if dry_run is None else dry_run
        kind = "dry_run" if dry_run and kind == "sync" else kind
        calls = CallCount()
        ledger = Ledger(settings.ledger_url)
        try:
            tokens = token_manager(settings, ledger)
            client = LeasedClient(settings.api_url, tokens, timeout=settings.request_timeout, dry_run=dry_run,
                                  limiter=RateLimiter(settings.max_requests_per_second,
                                                      shared=shared_slots(settings, ledger)))
            client.on_call = calls
            asked = time.monotonic()
            me = client.me()
            first_call = time.monotonic() - asked
            account = choose_account(me, settings.account_id)
            run_id = uuid.uuid4().hex[:12]
            ledger.acquire_lock(settings.tenant, account.account_id, run_id)
            client.lease = FreshBooksLease(client, account.account_id,
                                           deployment_id(settings.ledger_url, settings.tenant), run_id,
                                           settle_seconds=settings.lease_settle_seconds)
            run_history.start_run(ledger, settings.tenant, account.account_id, run_id, kind)
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
        progress = Progress(settings.progress_every_seconds)
        loader.summary.progress = progress
        progress.start()
        return cls(settings, ledger, client, account, run_id, loader, kind=kind, calls=calls, progress=progress,
                   first_call_seconds=first_call)

    @property
    def dry_run(self) -> bool:
        return self.loader.dry_run

    def summary_text(self) -> str:
        what = "DRY RUN, nothing written; what would happen" if self.dry_run else "summary"
        title = (f"target-freshbooks run {self.run_id} {what} (tenant {self.settings.tenant!r}, "
                 f"FreshBooks account {self.account.account_id}):")
        return self.loader.summary.render(title, calls=self.calls, seconds=self.seconds)

    def expect(self, rows: Iterable[Any]) -> None:
        """The records (with a `stream`) this run will load, known beforehand: progress lines then give an ETA."""
        if self.progress is not None:
            for stream, total in Counter(str(row.stream) for row in rows).items():
                self.progress.expect(stream, total)

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def finish(self) -> None:
        """The run's work is done: release the lease, record the figures in `run_history` as finished."""
        self._stop_progress()
        self._release_lease()
        self.ended = time.monotonic()
        self._record(run_history.FINISHED)
        self.finished = True

    def close(self) -> None:
        """Release the lease and the lock; a run that did not `finish` is recorded failed, with the exception
        that is ending it (close is called from `except` and `finally` blocks)."""
        if self.closed:
            return
        self.closed = True
        self._stop_progress()
        if not self.finished:
            error = sys.exc_info()[1]
            try:
                self._record(run_history.FAILED, f"{type(error).__name__}: {error}" if error else
                             "the run stopped before its end")
            except Exception as exc:  # never hide the run's own outcome
                logger.warning("Could not record the run's end in run_history: %s", exc)
        self._release_lease()
        try:
            self.ledger.release_lock(self.settings.tenant, self.account.account_id, self.run_id)
        finally:
            self.ledger.close()

    def _release_lease(self) -> None:
        try:
            if isinstance(self.client, LeasedClient) and self.client.lease is not None:
                self.client.lease.release()
        except Exception as exc:  # the lease then expires by itself; never hide the run's own outcome
            logger.warning("Could not release the FreshBooks lease: %s", exc)

    def _stop_progress(self) -> None:
        if self.progress is not None:
            self.progress.stop()

    def _record(self, status: str, error: str | None = None) -> None:
        figures = self.loader.summary.figures()
        run_history.finish_run(self.ledger, self.run_id, status=status, seconds=round(self.seconds, 3),
                               records=figures["records"], counts=figures["counts"],
                               left_behind=figures["left_behind"], calls=self.calls.as_dict(), error=error)
