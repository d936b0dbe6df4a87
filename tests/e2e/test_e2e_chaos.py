"""Chaos end to end: a sandbox of 300 invoices and a simulated week of corrections, every fault kind on both
simulators, the target killed with `kill -9` three times after real writing has started, reruns until a run
finishes, one fault-free run: FreshBooks then equals, object for object (keyed by source key, balances
included), what a fault-free run over an identical sandbox makes; nothing is duplicated and no invoice is
left in draft.

The procedure is `bench/chaos.py`'s (`make chaos` runs it at 10,000 invoices); its docstring says each step.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_harness import REPO, Pipeline
from sandbox.testing import RunningSandbox, running_sandbox

sys.path.insert(0, str(REPO / "bench"))
from chaos import DEFAULT_RATE, Chaos, activity, kill_window, own_run_dir, report

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DAYS = 7
ACTIVITY_SEED = 101
CHAOS_SEED = 7
KILLS = 3
RERUNS = 6


@pytest.fixture
def second_sandbox(seeded_template: Path, tmp_path: Path) -> Iterator[RunningSandbox]:
    """A sandbox seeded exactly as `sandbox`: the chaotic side."""
    (tmp_path / "chaos").mkdir()
    with running_sandbox(tmp_path / "chaos" / "sandbox.db", template=seeded_template) as running:
        yield running


@pytest.mark.timeout(1500)
def test_kill_9_and_every_fault_kind_leave_freshbooks_as_a_fault_free_run_does(
        sandbox: RunningSandbox, second_sandbox: RunningSandbox, meltano_sys_dir: Path, tmp_path: Path) -> None:
    began = time.monotonic()
    changes = activity(sandbox, DAYS, ACTIVITY_SEED)
    assert activity(second_sandbox, DAYS, ACTIVITY_SEED) == changes, "the two simulated weeks differ"
    print(f"activity {DAYS} days: {changes}", flush=True)
    (tmp_path / "clean").mkdir()
    clean_sys_dir = own_run_dir(meltano_sys_dir, tmp_path / "meltano-sys-clean")
    chaos = Chaos(Pipeline(sandbox, clean_sys_dir, tmp_path / "clean"),
                  Pipeline(second_sandbox, meltano_sys_dir, tmp_path / "chaos"),
                  seed=CHAOS_SEED, rate=DEFAULT_RATE, kills=KILLS, reruns=RERUNS,
                  kill_window=kill_window(300), workdir=tmp_path,
                  log=lambda s: print(s, flush=True), run_timeout=600)
    result = chaos.execute()
    result.seconds = time.monotonic() - began
    print(report(result, 300, DEFAULT_RATE), flush=True)

    assert result.kills >= KILLS, f"only {result.kills} kills after writing started"
    assert not result.problems, "\n".join(result.problems) + "\n\n" + report(result, 300, DEFAULT_RATE)

    # After the chaos (faults off again), `reconcile` finds nothing beyond timing differences.
    chaotic = chaos.chaotic
    done = chaotic.meltano("invoke", "target-freshbooks:reconcile", "--out", str(tmp_path / "reconcile"), check=False,
                           TARGET_FRESHBOOKS_SERVICETITAN_API_URL=chaotic.sandbox.st_url,
                           TARGET_FRESHBOOKS_SERVICETITAN_AUTH_URL=chaotic.sandbox.st_url)
    print(done.stdout, flush=True)
    assert done.returncode == 0, (f"reconcile after the chaos exited {done.returncode}:\n{done.stdout}\n"
                                  f"{done.stderr[-3000:]}")
