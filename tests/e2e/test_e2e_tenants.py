"""Many companies at once: three ServiceTitan tenants, each booking into its own FreshBooks account, run by
`meltano run` from one project at the same time, through the company blocks of `meltano.yml`, with one
PostgreSQL ledger and one Meltano state database shared by all.

Each tenant is its own sandbox (its own seed, tenant id and account id). Each account must hold exactly its
own tenant's invoices; ledger rows, tokens, locks and state stay with their company; and the runs, started
together, do not collide on Meltano's run directory (`orchestrate/isolated_run.py`): not across companies, and
not when one company's run overlaps its own previous one (that one is refused, saying why, or runs after it).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from e2e_harness import REPO
from e2e_truth import expected_sync
from postgres_cluster import Cluster
from sandbox.freshbooks.testing import SideDoor
from sandbox.testing import RunningSandbox
from tenants import COMPANIES, company_env, tenant_sandboxes

sys.path.insert(0, str(REPO / "orchestrate"))
import isolated_run

pytestmark = pytest.mark.e2e

INVOICES = 60
PIPELINE = ("run", "tap-servicetitan", "servicetitan-to-freshbooks", "target-freshbooks")
OVERLAP_REFUSALS = ("already running", "Another target-freshbooks run", "Another deployment")


@pytest.fixture
def sandboxes(tmp_path: Path) -> Iterator[dict[str, RunningSandbox]]:
    with tenant_sandboxes(tmp_path, INVOICES) as running:
        yield running


def sql(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        return conn.execute(query).fetchall()


def test_three_tenants_at_once_share_ledger_and_state_and_nothing_crosses(
        sandboxes: dict[str, RunningSandbox], meltano_sys_dir: Path, postgres_cluster: Cluster) -> None:
    ledger_url, state_url = postgres_cluster.create_database("ledger"), postgres_cluster.create_database("meltano")
    shared = {"TARGET_FRESHBOOKS_LEDGER_URL": ledger_url, "MELTANO_DATABASE_URI": state_url}
    envs = {c.name: company_env(c, sandboxes[c.name], meltano_sys_dir, shared) for c in COMPANIES}
    for company in COMPANIES:  # adding a company: its block, then its FreshBooks consent once
        done = isolated_run.run(["invoke", "target-freshbooks:authorize"], envs[company.name], timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]

    # All three companies at once, and acme twice (a run overlapping its own previous one).
    starts = [*envs, "acme"]
    with ThreadPoolExecutor(len(starts)) as pool:
        runs = list(pool.map(lambda name: (name, isolated_run.run(PIPELINE, envs[name], timeout=600)), starts))
    assert not [name for name, done in runs if "Invalid catalog" in done.stderr]
    acme = [done for name, done in runs if name == "acme"]
    others = {name: done for name, done in runs if name != "acme"}
    assert {name: done.returncode for name, done in others.items()} == {"birch": 0, "cedar": 0}, \
        {name: done.stderr[-3000:] for name, done in others.items() if done.returncode}
    assert 0 in [done.returncode for done in acme], [done.stderr[-3000:] for done in acme]
    for refused in (done for done in acme if done.returncode):  # refused before writing, saying why
        assert any(reason in refused.stderr for reason in OVERLAP_REFUSALS), refused.stderr[-3000:]

    ledger_invoices = sql(ledger_url, "SELECT tenant, account_id, freshbooks_id FROM id_map WHERE stream = 'invoices'")
    for company in COMPANIES:
        fb = SideDoor(sandboxes[company.name].fb_url)
        preexisting = set(fb.preexisting()["records"]["invoices"])
        synced = [i for i in fb.records("invoices") if i["vis_state"] == 0 and i["id"] not in preexisting]
        copies = Counter(i["invoice_number"] for i in synced)
        totals = {i["invoice_number"]: Decimal(i["amount"]["amount"]) for i in synced}
        expected = expected_sync(sandboxes[company.name].ctx.store).invoices
        assert len(expected) > 10
        # Every invoice of this tenant, once, to the cent; what else is there is this tenant's own too.
        assert {n: copies[n] for n in expected} == dict.fromkeys(expected, 1), company.name
        assert {n: totals[n] for n in expected} == {n: Decimal(i["total"]) for n, i in expected.items()}
        assert max(copies.values()) == 1, f"{company.name}: duplicated invoices"
        account_ids = {str(i["id"]) for i in fb.records("invoices")}
        mine = {fid for tenant, account, fid in ledger_invoices
                if (tenant, account) == (company.tenant, company.account)}
        assert mine and mine <= account_ids, f"{company.name}: ledger ids not in its own FreshBooks account"

    pairs = {(c.tenant, c.account) for c in COMPANIES}
    assert set(sql(ledger_url, "SELECT DISTINCT tenant, account_id FROM id_map")) == pairs
    assert set(sql(ledger_url, "SELECT DISTINCT tenant, account_id FROM audit_log")) == pairs
    tokens = sorted(tenant for (tenant,) in sql(ledger_url, "SELECT tenant FROM oauth_tokens"))
    assert tokens == sorted(c.tenant for c in COMPANIES)
    assert sql(ledger_url, "SELECT tenant, account_id FROM run_locks") == []
    states = {state_id for (state_id,) in sql(state_url, "SELECT state_id FROM state")}
    assert states == {f"{c.name}:tap-servicetitan-to-target-freshbooks" for c in COMPANIES}
