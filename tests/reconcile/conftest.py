"""Reconcile tests: a small seeded sandbox synced once through the three plugins' executables (piped, no Meltano),
then `target-freshbooks reconcile` run against it (its own process, as a user runs it)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox.testing import RunningSandbox, running_sandbox, seed_database

from sandbox import credentials

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "target"))
from reconcile_books import START_DATE, Books
from target_harness import authorize_target, target_config

SEED, INVOICES = 7, 60


@pytest.fixture(scope="session")
def small_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reconcile-template") / "sandbox.db"
    seed_database(path, seed=SEED, invoices=INVOICES)
    return path


@pytest.fixture
def small_sandbox(small_template: Path, tmp_path: Path) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path / "sandbox.db", template=small_template) as running:
        yield running


@pytest.fixture
def books(small_sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Books:
    """An authorized target whose reconcile settings point at the same sandbox (secrets from the tap's env)."""
    monkeypatch.setenv("TAP_SERVICETITAN_CLIENT_ID", credentials.ST_CLIENT_ID)
    monkeypatch.setenv("TAP_SERVICETITAN_CLIENT_SECRET", credentials.ST_CLIENT_SECRET)
    monkeypatch.setenv("TAP_SERVICETITAN_APP_KEY", credentials.ST_APP_KEY)
    config = target_config(small_sandbox, tmp_path, servicetitan_tenant_id=str(credentials.ST_TENANT_ID),
                           servicetitan_api_url=small_sandbox.st_url, servicetitan_auth_url=small_sandbox.st_url,
                           servicetitan_start_date=START_DATE)
    authorize_target(config, tmp_path)
    return Books(small_sandbox, tmp_path, config)
