"""Fixtures of the ServiceTitan simulator's tests (the seeded sandbox itself comes from tests/conftest.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox.store import Store
from sandbox.testing import RunningSandbox
from st_harness import StClient


@pytest.fixture
def st(sandbox: RunningSandbox) -> StClient:
    """An authenticated client of the seeded ServiceTitan simulator."""
    return StClient(sandbox.st_url)


@pytest.fixture(scope="module")
def seeded_store(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The seeded data opened directly (a private copy), to check what the seed wrote."""
    path = tmp_path_factory.mktemp("st-seeded") / "sandbox.db"
    shutil.copyfile(seeded_template, path)
    store = Store(path)
    yield store
    store.close()
