"""The Dagster recipe (orchestrate/definitions.py): its definitions load, one job and one schedule per company
of meltano.yml; each company's job, launched in-process against its own sandbox with a shared PostgreSQL ledger
and state database, syncs and reconciles that company; a failed step alerts through the webhook."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from dagster import RetryPolicy
from postgres_cluster import Cluster
from sandbox.freshbooks.testing import SideDoor
from sandbox.testing import RunningSandbox
from tenants import COMPANIES, company_env, tenant_sandboxes

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "orchestrate"))
import definitions  # noqa: E402
import isolated_run  # noqa: E402

INVOICES = 30


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict]]]:
    """A chat webhook on loopback that keeps what it is sent."""
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


def test_dagster_definitions_have_a_job_and_a_schedule_per_company() -> None:
    defs = definitions.defs
    names = [c.name for c in COMPANIES]  # the company blocks of meltano.yml
    assert sorted(j.name for j in defs.get_all_job_defs()) == sorted(f"{n}_books" for n in names)
    for name in names:
        books = defs.get_job_def(f"{name}_books")
        assert [n.name for n in books.graph.nodes_in_topological_order] == [f"{name}_sync", f"{name}_reconcile"]
        assert books.op_retry_policy is not None and books.op_retry_policy.max_retries >= 1
        assert definitions.alert_on_failure in books.hook_defs
        schedule = defs.get_schedule_def(f"{name}_daily")
        assert schedule.job_name == books.name
    crons = {defs.get_schedule_def(f"{n}_daily").cron_schedule for n in names}
    assert len(crons) == len(names), "companies start at staggered times"


def test_dagster_runs_one_job_per_tenant_and_alerts_on_a_failure(
        tmp_path: Path, meltano_sys_dir: Path, postgres_cluster: Cluster, webhook: tuple[str, list[dict]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, alerts = webhook
    monkeypatch.setenv("CONNECTOR_ALERT_WEBHOOK", url)
    shared = {"TARGET_FRESHBOOKS_LEDGER_URL": postgres_cluster.create_database("ledger"),
              "MELTANO_DATABASE_URI": postgres_cluster.create_database("meltano")}
    with tenant_sandboxes(tmp_path, INVOICES) as sandboxes:
        envs = {c.name: company_env(c, sandboxes[c.name], meltano_sys_dir, shared) for c in COMPANIES}
        envs["cedar"]["CEDAR_ST_CLIENT_SECRET"] = "not-the-secret"  # this company's credentials were revoked
        for company in COMPANIES:
            done = isolated_run.run(["invoke", "target-freshbooks:authorize"], envs[company.name], timeout=300)
            assert done.returncode == 0, done.stderr[-3000:]

        def launch(company: str) -> bool:
            books = definitions.company_job(company, RetryPolicy(max_retries=1, delay=0))
            steps = (f"{company}_sync", f"{company}_reconcile")
            config = {"ops": {step: {"config": {"env": envs[company]}} for step in steps}}
            return books.execute_in_process(run_config=config, raise_on_error=False).success

        with ThreadPoolExecutor(len(COMPANIES)) as pool:  # as a Dagster deployment runs them: at once
            results = dict(zip(envs, pool.map(launch, envs), strict=True))

        assert results == {"acme": True, "birch": True, "cedar": False}
        for name in ("acme", "birch"):
            assert_synced(sandboxes[name])
        assert [a["text"] for a in alerts if "cedar" in a["text"]], alerts
        assert all("sync failed" in a["text"] and "cedar" in a["text"] for a in alerts), alerts


def assert_synced(sandbox: RunningSandbox) -> None:
    """Every invoice the sandbox's ServiceTitan tenant should send is in its own FreshBooks account."""
    sys.path.insert(0, str(REPO / "tests" / "e2e"))
    from e2e_truth import expected_sync

    numbers = {i["invoice_number"] for i in SideDoor(sandbox.fb_url).records("invoices") if i["vis_state"] == 0}
    expected = set(expected_sync(sandbox.ctx.store).invoices)
    assert expected and expected <= numbers
