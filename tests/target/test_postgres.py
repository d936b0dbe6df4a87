"""The ledger on PostgreSQL: migrations, tokens, lock and an idempotent run, against a throwaway cluster.

The cluster comes from `tests/postgres_cluster.py` (installed when missing; in CI a failure, never a skip).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sandbox.testing import RunningSandbox
from sqlalchemy import create_engine, inspect
from target_freshbooks.ledger import migrate
from target_freshbooks.ledger.store import Ledger
from target_harness import FreshBooks, authorize_target, run_target, target_config
from target_records import catalog, records


def test_ledger_on_postgresql(empty_sandbox: RunningSandbox, tmp_path: Path, postgres_url: str) -> None:
    config = target_config(empty_sandbox, tmp_path, ledger_url=postgres_url)
    authorize_target(config, tmp_path)
    fb = FreshBooks(empty_sandbox)
    data = records()

    first = run_target(config, catalog(data, state={"n": 1}))
    assert first.exit_code == 0 and first.states == [{"n": 1}]
    for stream, rows in data.items():
        assert first.counts(stream) == {"created": len(rows)}, stream

    fb.side.expire_tokens()  # the refresh's compare-and-swap runs on PostgreSQL too
    fb.reset_stats()
    again = run_target(config, catalog(data))
    assert fb.writes() == 0
    assert empty_sandbox.ctx.fb_stats.count("POST", "/auth/oauth/token") == 1
    assert again.counts("invoices") == {"unchanged": len(data["invoices"])}

    ledger = Ledger(postgres_url)
    try:
        assert {e.action for e in ledger.trail("default", source_key="test:invoice:100")} == {
            "create", "mark_sent", "unchanged"}
    finally:
        ledger.close()


def test_postgres_ledgers_opened_at_once_all_migrate_to_the_newest_schema(postgres_url: str) -> None:
    """Companies' runs starting together on one empty database: each process's migration succeeds."""
    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    opener = ("import sys; from target_freshbooks.ledger import migrate; from target_freshbooks.ledger.store import "
              "Ledger; ledger = Ledger(sys.argv[1]); print(migrate.current_revision(ledger.engine))")
    runs = [subprocess.Popen([sys.executable, "-c", opener, postgres_url], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outcomes = [run.communicate(timeout=120) for run in runs]

    assert [run.returncode for run in runs] == [0] * 4, [err[-2000:] for _, err in outcomes]
    assert [out.strip() for out, _ in outcomes] == heads * 4
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("id_map")}
            assert "last_payload" in columns and inspect(conn).has_table("run_history")
    finally:
        engine.dispose()
