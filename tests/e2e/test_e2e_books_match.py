"""The books stay matched: after a first sync and after each of four simulated weeks of business (payments,
overpayments, refunds, credit memos, edits, voids, adjustments), every FreshBooks client's accounts
receivable equals its ServiceTitan customers' (timing differences apart), nothing is duplicated, reruns of
every kind write nothing new, and money per month (cash and invoiced revenue) agrees to the cent.

Expectations come from ServiceTitan's own records (`books_truth`), never from the connector or its ledger.
"""

from __future__ import annotations

import subprocess
import time

import pytest
import requests
from books_truth import Comparison, compare
from e2e_harness import Pipeline

pytestmark = pytest.mark.e2e

ROUNDS = 4
DAYS = 7
ACTIVITY_SEEDS = (101, 102, 103, 104)
STATE_ID = "sandbox:tap-servicetitan-to-target-freshbooks"


class Proof:
    """Runs and checks against one sandbox; problems are collected so the report shows every round."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.problems: list[str] = []
        self.started = time.monotonic()

    def log(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:7.1f}s] {text}", flush=True)

    def sync(self, label: str, *extra: str) -> None:
        done = self.pipeline.run(*extra, check=False)
        self.log(f"{label}: meltano run exited {done.returncode}")
        if done.returncode != 0:
            self.problems.append(f"{label}: meltano run exited {done.returncode}:\n{done.stderr[-3000:]}")

    def activity(self, seed: int) -> None:
        response = requests.post(f"{self.pipeline.sandbox.st_url}/_sandbox/activity",
                                 json={"days": DAYS, "seed": seed}, timeout=600)
        assert response.status_code == 200, response.text
        self.log(f"activity {DAYS} days seed {seed}: {response.json()['changes']}")

    def books(self, label: str) -> Comparison:
        comparison = compare(self.pipeline.sandbox.ctx.store, self.pipeline.fb)
        st, fb = comparison.st, comparison.fb
        # The truth first: ServiceTitan's own money rules hold, so what it says the books should be is sound.
        assert not st.sanity, f"{label}: ServiceTitan's data breaks its own rules:\n" + "\n".join(st.sanity[:30])
        self.log(f"{label}: in scope {({k: len(v) for k, v in st.in_scope.items()})}, held back "
                 f"{({k: len(v) for k, v in st.held_back.items()})}; {comparison.matched} clients matched, "
                 f"{len(comparison.drift)} drifting; connector credit notes {dict(fb.credit_numbers)}")
        for note in (*st.notes, *fb.unparsed, *comparison.simulator_disagreements()):
            self.log(f"{label}: note: {note}")
        if comparison.drift:
            self.problems.append(f"{label}: accounts receivable drift beyond timing differences:\n"
                                 f"{comparison.drift_table()}")
        if fb.duplicates:
            self.problems.append(f"{label}: duplicated in FreshBooks: {fb.duplicates[:30]}")
        print(f"--- {label}: drift\n{comparison.drift_table()}\n--- {label}: timing differences\n"
              f"{comparison.timing_table()}\n--- {label}: money per month where it differs\n"
              f"{comparison.month_table()}", flush=True)
        return comparison


@pytest.mark.timeout(1800)  # nine meltano runs; slow on a busy 2-core machine
def test_books_stay_matched_through_four_weeks_of_business(pipeline: Pipeline) -> None:
    proof = Proof(pipeline)
    pipeline.authorize()
    proof.sync("first sync")
    proof.books("first sync")

    for round_no, seed in enumerate(ACTIVITY_SEEDS[:ROUNDS], start=1):
        proof.activity(seed)
        proof.sync(f"week {round_no}")
        proof.books(f"week {round_no}")

    # A rerun with nothing new writes nothing.
    pipeline.reset_stats()
    proof.sync("rerun")
    if pipeline.freshbooks_writes():
        proof.problems.append(f"rerun: {pipeline.freshbooks_writes()} FreshBooks write calls, expected none")

    # Forget the tap's state and lose the ledger at once (each alone is the easier case, and
    # tests/e2e/test_e2e_sync.py runs them apart): everything is extracted again and the target rebuilds its
    # ledger from FreshBooks, changing nothing.
    pipeline.ledger.unlink()
    pipeline.meltano("state", "clear", "--force", STATE_ID)
    pipeline.authorize()
    pipeline.reset_stats()
    proof.sync("after state clear and a lost ledger")
    if pipeline.freshbooks_writes():
        proof.problems.append(f"after state clear and a lost ledger: {pipeline.freshbooks_writes()} FreshBooks "
                              "write calls, expected none")
    final = proof.books("after state clear and a lost ledger")

    # Money per month, to the cent.
    print(f"--- money per month where it differs\n{final.month_table()}", flush=True)
    if final.months:
        proof.problems.append(f"money per month differs:\n{final.month_table()}")

    # The product's own check agrees: `reconcile` (a Meltano plugin command) finds nothing beyond timing.
    done = reconcile(pipeline)
    proof.log(f"reconcile exited {done.returncode}:\n{done.stdout}")
    if done.returncode != 0:
        proof.problems.append(f"reconcile exited {done.returncode} (expected 0):\n{done.stdout}\n{done.stderr[-3000:]}")

    proof.log(f"done: {len(proof.problems)} problems")
    assert not proof.problems, "\n\n".join(proof.problems)


def reconcile(pipeline: Pipeline) -> subprocess.CompletedProcess[str]:
    """`meltano invoke target-freshbooks:reconcile` against this test's sandbox (its own ports)."""
    return pipeline.meltano("invoke", "target-freshbooks:reconcile", "--out", str(pipeline.ledger.parent / "reconcile"),
                            check=False, TARGET_FRESHBOOKS_SERVICETITAN_API_URL=pipeline.sandbox.st_url,
                            TARGET_FRESHBOOKS_SERVICETITAN_AUTH_URL=pipeline.sandbox.st_url)
