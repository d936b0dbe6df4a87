"""Fixtures shared by every test: a seeded sandbox on free loopback ports.

The seed runs once per session into a template file; each test gets its own copy, so tests may write
freely without seeing each other's changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres_cluster import Cluster, ClusterUnavailable, running_cluster
from sandbox.testing import RunningSandbox, running_sandbox, seed_database

TEST_SEED = 42
TEST_INVOICES = 300


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sandbox database seeded once per session (small volume)."""
    path = tmp_path_factory.mktemp("sandbox-template") / "sandbox.db"
    seed_database(path, seed=TEST_SEED, invoices=TEST_INVOICES)
    return path


@pytest.fixture
def sandbox(seeded_template: Path, tmp_path: Path) -> Iterator[RunningSandbox]:
    """Both simulators, seeded, on free ports, with this test's own copy of the data."""
    with running_sandbox(tmp_path / "sandbox.db", template=seeded_template) as running:
        yield running


@pytest.fixture
def empty_sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    """Both simulators over an empty database."""
    with running_sandbox(tmp_path / "empty.db") as running:
        yield running


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster (installed when missing); skipped where it cannot start, failed in CI."""
    try:
        with running_cluster() as cluster:
            yield cluster
    except ClusterUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the PostgreSQL tests: {exc}")
        pytest.skip(str(exc))


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> str:
    """A new empty database on the session's cluster: its SQLAlchemy URL."""
    return postgres_cluster.create_database("ledger")


@pytest.fixture(scope="session")
def meltano_sys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Meltano system directory with the project's plugins installed (once per session)."""
    sys_dir = tmp_path_factory.mktemp("meltano-sys")
    meltano = shutil.which("meltano", path=str(Path(sys.executable).parent)) or "meltano"
    env = {**os.environ, "MELTANO_SYS_DIR_ROOT": str(sys_dir), "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run([meltano, "install"], cwd=Path(__file__).resolve().parents[1], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return sys_dir
