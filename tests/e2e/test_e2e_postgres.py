"""The end-to-end core cases on PostgreSQL: the ledger and Meltano's state (its system database, which holds
the state backend `systemdb`) both on one throwaway cluster, by URL, no SQLite file anywhere.

First sync matches ServiceTitan, a rerun writes nothing, a refused record is dead-lettered and `replay` lands
it once fixed, and a lost ledger (an emptied database) is rebuilt from FreshBooks without duplicates.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from e2e_harness import Pipeline
from e2e_truth import expected_sync
from postgres_cluster import Cluster
from sandbox.servicetitan.repository import Repository
from sandbox.testing import RunningSandbox, running_sandbox, seed_database

pytestmark = pytest.mark.e2e

STATE_ID = "sandbox:tap-servicetitan-to-target-freshbooks"
INVOICES = 120  # the SQLite suite covers volume; this one covers the backend


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    seed_database(tmp_path / "seed.db", seed=42, invoices=INVOICES)
    with running_sandbox(tmp_path / "sandbox.db", template=tmp_path / "seed.db") as running:
        yield running


@pytest.fixture
def pg_pipeline(pipeline: Pipeline, postgres_cluster: Cluster) -> Pipeline:
    pipeline.env["TARGET_FRESHBOOKS_LEDGER_URL"] = postgres_cluster.create_database("ledger")
    pipeline.env["MELTANO_DATABASE_URI"] = postgres_cluster.create_database("meltano")
    return pipeline


def active(pipeline: Pipeline, kind: str) -> list[dict]:
    return [r for r in pipeline.fb.records(kind) if r.get("vis_state", 0) == 0]


def fingerprint(pipeline: Pipeline) -> Counter:
    return Counter({kind: len(active(pipeline, kind)) for kind in ("clients", "items", "invoices", "payments")})


def stored_states(url: str) -> dict[str, dict]:
    """Meltano's state rows, read straight from PostgreSQL."""
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        rows = conn.execute("SELECT state_id, completed_state FROM state").fetchall()
    return {state_id: completed if isinstance(completed, dict) else json.loads(completed or "{}")
            for state_id, completed in rows}


def test_postgres_first_sync_rerun_replay_and_lost_ledger(pg_pipeline: Pipeline, postgres_cluster: Cluster) -> None:
    pipeline = pg_pipeline
    pipeline.authorize()
    pipeline.run()

    expected = expected_sync(pipeline.sandbox.ctx.store)
    invoices = Counter(i["invoice_number"] for i in active(pipeline, "invoices"))
    totals = {i["invoice_number"]: Decimal(i["amount"]["amount"]) for i in active(pipeline, "invoices")}
    assert len(expected.invoices) > 20
    assert {n: invoices[n] for n in expected.invoices} == dict.fromkeys(expected.invoices, 1)
    assert {n: totals[n] for n in expected.invoices} == {n: Decimal(i["total"]) for n, i in expected.invoices.items()}
    states = stored_states(pipeline.env["MELTANO_DATABASE_URI"])
    assert set(states) == {STATE_ID} and states[STATE_ID]["singer_state"]["bookmarks"]
    assert not pipeline.ledger.exists() and not (pipeline.ledger.parent / "meltano.db").exists()

    # A rerun from the state kept on PostgreSQL writes nothing.
    pipeline.reset_stats()
    pipeline.run()
    assert pipeline.freshbooks_writes() == 0

    # A bookkeeper deletes an invoice in FreshBooks, the office edits it in ServiceTitan: dead-lettered.
    number, st = next((n, i) for n, i in expected.invoices.items() if i["invoiceDate"][:10] >= "2026-06-01")
    [fb] = [i for i in active(pipeline, "invoices") if i["invoice_number"] == number]
    pipeline.fb.update("invoices", fb["id"], {"vis_state": 1})
    Repository(pipeline.sandbox.ctx.store, pipeline.sandbox.ctx.clock.now()).update(
        "invoices", st["id"], {"dueDate": "2026-12-31T00:00:00Z"})
    assert pipeline.run(check=False).returncode != 0
    letters = pipeline.meltano("invoke", "target-freshbooks:audit", "--dead-letters", "--json").stdout
    assert f"servicetitan:invoice:{st['id']}" in letters

    pipeline.fb.update("invoices", fb["id"], {"vis_state": 0})  # restored: replay lands the edit
    pipeline.meltano("invoke", "target-freshbooks:replay")
    [again] = [i for i in active(pipeline, "invoices") if i["invoice_number"] == number]
    assert (again["id"], again["due_date"]) == (fb["id"], "2026-12-31")

    # The ledger's database is lost (emptied) and the state cleared: rebuilt from FreshBooks, nothing created.
    counts = fingerprint(pipeline)
    ledger_url = pipeline.env["TARGET_FRESHBOOKS_LEDGER_URL"]
    postgres_cluster.drop_database(ledger_url)
    postgres_cluster.create_database_named(ledger_url.rsplit("/", 1)[1])
    pipeline.meltano("state", "clear", "--force", STATE_ID)
    pipeline.authorize()
    pipeline.reset_stats()
    pipeline.run()
    assert pipeline.freshbooks_creates() == 0
    assert fingerprint(pipeline) == counts
