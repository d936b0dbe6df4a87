"""Fixtures of the simulated-activity tests: a client of the seeded ServiceTitan simulator, and its feeds' tails.

The ServiceTitan tests' helpers (`st_harness`: an authenticated client, the official schemas, the money
rules re-implemented from FIDELITY.md) are shared from their directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sandbox.testing import RunningSandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "servicetitan"))

from st_harness import StClient


@pytest.fixture
def st(sandbox: RunningSandbox) -> StClient:
    """An authenticated client of the seeded ServiceTitan simulator."""
    return StClient(sandbox.st_url)
