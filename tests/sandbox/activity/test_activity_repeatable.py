"""The same database, days and seed give the same changes; another seed gives others; each run is new."""

from __future__ import annotations

from pathlib import Path

from activity_harness import feed_tails, post_activity, resumed_feeds
from sandbox.testing import RunningSandbox, running_sandbox
from st_harness import StClient


def changes(st: StClient, tails: dict[str, str]) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    feeds = resumed_feeds(st, tails)
    feeds["credit_memos"] = st.ok("accounting", "/credit-memos", {"active": "Any", "pageSize": 5000})["data"]
    feeds["vendors"] = st.ok("inventory", "/vendors", {"active": "Any", "pageSize": 5000})["data"]
    return feeds


def test_same_seed_same_changes_other_seed_other_changes(sandbox: RunningSandbox, st: StClient,
                                                         seeded_template: Path, tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "twin.db", template=seeded_template) as twin:
        twin_st = StClient(twin.st_url)
        tails, twin_tails = feed_tails(st), feed_tails(twin_st)
        assert tails == twin_tails

        # No seed given: derived from the seeding seed and the clock, so the twins still agree.
        first = post_activity(sandbox.st_url, {"days": 2})
        assert post_activity(twin.st_url, {"days": 2}) == first
        mine, theirs = changes(st, tails), changes(twin_st, twin_tails)
        assert mine == theirs
        assert sum(len(records) for records in mine.values()) > 50

        # Another seed on the same data: other changes.
        tails, twin_tails = feed_tails(st), feed_tails(twin_st)
        post_activity(sandbox.st_url, {"days": 1, "seed": 1})
        post_activity(twin.st_url, {"days": 1, "seed": 2})
        mine, theirs = changes(st, tails), changes(twin_st, twin_tails)
        assert mine["invoices"] and theirs["invoices"]
        assert mine["invoices"] != theirs["invoices"]
        assert mine["payments"] != theirs["payments"]


def test_consecutive_runs_differ(sandbox: RunningSandbox) -> None:
    first = post_activity(sandbox.st_url, {"days": 1})
    second = post_activity(sandbox.st_url, {"days": 1})
    assert first["to"] == second["from"]
    assert first["seed"] != second["seed"]
