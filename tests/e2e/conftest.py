"""End-to-end fixtures: Meltano installs the plugins once per session into a temporary system directory;
each test gets its own sandbox copy, its own Meltano state database and its own ledger."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_harness import MELTANO, REPO, Pipeline
from sandbox.testing import RunningSandbox


@pytest.fixture(scope="session")
def meltano_sys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Meltano system directory with the project's plugins installed (once per session)."""
    sys_dir = tmp_path_factory.mktemp("meltano-sys")
    env = {**os.environ, "MELTANO_SYS_DIR_ROOT": str(sys_dir), "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run([MELTANO, "install"], cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return sys_dir


@pytest.fixture
def pipeline(sandbox: RunningSandbox, meltano_sys_dir: Path, tmp_path: Path) -> Iterator[Pipeline]:
    yield Pipeline(sandbox, meltano_sys_dir, tmp_path)
