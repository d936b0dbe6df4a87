"""What a run reports about itself: progress lines while it runs, the calls and duration in its summary, and
`audit --runs` listing past runs with their figures."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections import Counter

import pytest
from target_freshbooks.cli import main
from target_freshbooks.errors import ConfigError
from target_freshbooks.progress import Progress
from target_freshbooks.run import Run
from target_freshbooks.settings import Settings
from target_harness import Messages, TargetEnv, write_config
from target_records import records


def clients(*rows: dict) -> Messages:
    messages = Messages()
    for row in rows:
        messages.record("clients", row)
    return messages


def runs(env: TargetEnv) -> list[dict]:
    result = env.command("audit", "--runs", "--json")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_audit_runs_lists_two_syncs_newest_first_with_their_counts(env: TargetEnv) -> None:
    first, second = records()["clients"]
    assert env.run(clients(first)).exit_code == 0
    changed = {**first, "bus_phone": "541-555-0199"}
    no_key = {"organization": "Nameless Co", "email": "nameless@mail.example"}  # dead-lettered: no source_key
    assert env.run(clients(changed, second, no_key)).exit_code == 1

    newest, oldest = runs(env)

    assert (oldest["kind"], oldest["status"], oldest["records"]) == ("sync", "finished", 1)
    assert (oldest["created"], oldest["updated"], oldest["failed"]) == (1, 0, 0)
    assert (newest["kind"], newest["status"], newest["records"]) == ("sync", "finished", 3)
    assert (newest["created"], newest["updated"], newest["failed"]) == (1, 1, 1)
    assert newest["calls"] > 0 and oldest["calls"] > 0
    table = env.command("audit", "--runs", "--limit", "1").output.splitlines()
    assert table[0].split() == ["run", "kind", "status", "started", "duration", "records", "created", "updated",
                                "failed", "left_behind", "calls", "rate_limited"]
    assert len(table) == 2 and table[1].startswith(newest["run"])


def test_replay_is_a_run_of_its_own_kind(env: TargetEnv) -> None:
    env.run(clients({"organization": "Nameless Co"}))  # no source_key: dead-lettered
    assert env.command("replay").exit_code == 1  # it fails again

    newest, oldest = runs(env)
    assert (newest["kind"], newest["status"], newest["failed"]) == ("replay", "finished", 1)
    assert oldest["kind"] == "sync"


def test_a_run_that_stops_is_recorded_failed_with_its_error(env: TargetEnv) -> None:
    with pytest.raises(Exception, match="not accepted"):
        env.run(clients(records()["clients"][0]).record("estimates", {"source_key": "test:estimate:1"}))

    (run,) = runs(env)
    assert (run["status"], run["created"]) == ("failed", 1)
    assert "'estimates' is not accepted" in run["error"]
    assert "Failed runs:" in env.command("audit", "--runs").output


def test_the_summary_counts_calls_by_method_and_status_and_the_429s(env: TargetEnv,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    faults = env.sandbox.ctx.fb_faults
    faults.settings.retry_after = 0
    faults.burst_left = 2  # the run's first two calls are answered 429

    env.run(clients(records()["clients"][0]))

    summary = capsys.readouterr().err
    assert "429 x2; 2 rate-limited (429), each waited out as Retry-After said" in summary
    assert runs(env)[0]["rate_limited"] == 2


def test_the_summary_counts_the_calls_freshbooks_received(env: TargetEnv, capsys: pytest.CaptureFixture[str]) -> None:
    env.sandbox.ctx.fb_stats.reset()
    env.run(clients(*records()["clients"]))

    received: Counter[str] = Counter()
    for key, count in env.sandbox.ctx.fb_stats.snapshot()["calls"].items():
        method, _, path = key.partition(" ")
        if not path.startswith(("/_sandbox", "/auth/oauth")):  # the side door; token grants are not API calls
            received[method] += count
    methods = ", ".join(f"{method} {n}" for method, n in sorted(received.items()))
    summary = capsys.readouterr().err
    assert f"Calls to FreshBooks: {sum(received.values())} ({methods}); answers: " in summary
    assert "Duration: " in summary and "(2 records)" in summary
    assert runs(env)[0]["calls"] == sum(received.values())


def test_progress_lines_name_each_stream_with_its_rate_while_the_run_goes_on(
        env: TargetEnv, caplog: pytest.LogCaptureFixture) -> None:
    env.sandbox.ctx.fb_faults.settings.latency_ms = 60  # each call takes a while: the run lasts a few ticks
    caplog.set_level(logging.INFO, logger="target-freshbooks")

    # One writer: the two clients finish ticks apart (two writers would finish them together, at the end).
    env.run(clients(*records()["clients"]), progress_every_seconds=0.2, write_workers=1)

    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Progress after")]
    assert any("clients: 1 records done" in line or "clients: 2 records done" in line for line in lines), lines
    assert all("records/s; total not known in advance" in line for line in lines if "clients:" in line)


def test_progress_gives_an_eta_when_the_total_is_known() -> None:
    now = [0.0]
    progress = Progress(30, clock=lambda: now[0])
    progress.expect("invoices", 10)
    for _ in range(4):
        progress.advance("invoices")
    now[0] = 2.0

    assert progress.lines() == ["Progress after 2s: invoices: 4 of 10 records done, 2.0 records/s; ETA 3s"]
    now[0] = 32.0
    assert progress.lines() == ["Progress after 32s: no record finished in the last 30s (4 so far); waiting on "
                                "FreshBooks or on the input"]


def test_progress_every_seconds_is_checked() -> None:
    config = {"client_id": "c", "client_secret": "s", "redirect_uri": "https://app.example/callback",
              "progress_every_seconds": "often"}
    with pytest.raises(ConfigError, match=r"progress_every_seconds \(env TARGET_FRESHBOOKS_PROGRESS_EVERY_SECONDS\) "
                       "must be a number of seconds, zero or more"):
        Settings.from_config(config)


def test_an_overlapping_run_is_refused_with_a_clear_message_and_exit_code_1(
        env: TargetEnv, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """What a frequent schedule's run meets when the previous one is still writing to the account."""
    config = write_config(env.config, env.tmp_path / "overlap.json")
    monkeypatch.setattr(sys, "stdin", io.StringIO(clients(records()["clients"][0]).text()))
    running = Run.start(Settings.from_config(env.config))
    try:
        with pytest.raises(SystemExit) as exited:
            main(["--config", str(config)])
    finally:
        running.close()

    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert f"target-freshbooks: error: Another target-freshbooks run ({running.run_id}" in error
    assert "only one run per account may run at a time. Wait for it to finish." in error
    assert env.fb.records("clients") == []
