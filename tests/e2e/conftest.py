"""End-to-end fixtures: Meltano's plugins are installed once per session (`meltano_sys_dir`, tests/conftest.py);
each test gets its own sandbox copy, its own Meltano state database and its own ledger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_harness import Pipeline
from sandbox.testing import RunningSandbox


@pytest.fixture
def pipeline(sandbox: RunningSandbox, meltano_sys_dir: Path, tmp_path: Path) -> Iterator[Pipeline]:
    yield Pipeline(sandbox, meltano_sys_dir, tmp_path)
