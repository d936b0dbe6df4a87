"""The history of runs (`run_history`): a row when a run starts (status `running`), its figures when it ends
(`finished`, or `failed` with the error), read back newest first by `audit --runs`.

A run killed with `kill -9` stays `running` in the history: nothing is left to record its end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from target_freshbooks.ledger.models import RunHistory
from target_freshbooks.ledger.store import Ledger, utcnow

RUNNING, FINISHED, FAILED = "running", "finished", "failed"


def start_run(ledger: Ledger, tenant: str, account_id: str, run_id: str, kind: str,
              started_at: datetime | None = None) -> None:
    with ledger.session() as s:
        s.add(RunHistory(run_id=run_id, tenant=tenant, account_id=account_id, kind=kind, status=RUNNING,
                         started_at=started_at or utcnow(), records=0))


def finish_run(ledger: Ledger, run_id: str, *, status: str, seconds: float, records: int,
               counts: dict[str, Any], left_behind: dict[str, Any], calls: dict[str, Any],
               error: str | None = None) -> None:
    with ledger.session() as s:
        s.execute(update(RunHistory).where(RunHistory.run_id == run_id).values(
            status=status, ended_at=utcnow(), seconds=seconds, records=records, counts=counts,
            left_behind=left_behind, calls=calls, error=error))


def list_runs(ledger: Ledger, tenant: str, *, account_id: str | None = None, limit: int = 20) -> list[RunHistory]:
    """The tenant's latest runs (of one account when given), newest first."""
    query = select(RunHistory).where(RunHistory.tenant == tenant)
    if account_id:
        query = query.where(RunHistory.account_id == account_id)
    with ledger.session() as s:
        return list(s.scalars(query.order_by(RunHistory.started_at.desc(), RunHistory.run_id).limit(limit)))
