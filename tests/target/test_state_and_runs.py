"""STATE only after the records before it are in the ledger; dry runs; unknown streams; the run lock."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from singer_sdk import Target
from target_freshbooks.errors import FreshBooksHTTPError, RunLockedError, UnknownStreamError
from target_freshbooks.http import FreshBooksClient
from target_freshbooks.ledger.models import RunLock
from target_freshbooks.ledger.store import Ledger
from target_freshbooks.run import Run
from target_freshbooks.settings import Settings
from target_freshbooks.target import TargetFreshBooks
from target_harness import Messages, TargetEnv
from target_records import catalog, records

from sandbox import credentials


def ledger_actions(url: str) -> set[tuple[str, str, str]]:
    ledger = Ledger(url)
    try:
        return {(e.stream, e.source_key, e.action) for e in ledger.trail("default")}
    finally:
        ledger.close()


def test_state_is_emitted_only_once_the_records_before_it_are_in_the_ledger(
        env: TargetEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    data = records()
    messages = (Messages().record("clients", data["clients"][0]).state({"bookmark": 1})
                .record("clients", data["clients"][1]).record("invoices", data["invoices"][1])
                .state({"bookmark": 2}))
    seen: list[tuple[dict, set]] = []
    write_state = Target._write_state_message

    def spy(self: Target, state: dict) -> None:
        seen.append((state, ledger_actions(env.config["ledger_url"])))
        write_state(self, state)

    monkeypatch.setattr(Target, "_write_state_message", spy)
    run = env.run(messages)

    assert run.states == [{"bookmark": 1}, {"bookmark": 2}]
    first, second = seen[0][1], seen[1][1]
    assert ("clients", "test:customer:1", "create") in first
    assert not any(key == "test:customer:2" for _, key, _ in first)
    assert ("clients", "test:customer:2", "create") in second
    assert ("invoices", "test:invoice:101", "park") in second  # parked is an outcome too (its item is missing)


def lines_then_outage(messages: Messages, env: TargetEnv, trigger: str) -> Iterator[str]:
    """Singer lines; FreshBooks starts answering 503 to everything when the trigger line is read."""
    for line in messages.text().splitlines(keepends=True):
        if trigger in line:
            env.sandbox.ctx.fb_faults.settings.rate_503 = 1.0
        yield line


def test_state_is_withheld_past_a_record_freshbooks_did_not_take(env: TargetEnv,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FreshBooksClient, "backoff_factor", 0.01)
    monkeypatch.setattr(FreshBooksClient, "max_backoff", 0.02)
    data = records()
    messages = (Messages().record("clients", data["clients"][0]).state({"bookmark": 1})
                .record("clients", data["clients"][1]).state({"bookmark": 2}))
    target = TargetFreshBooks(config=dict(env.config), validate_config=True)
    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(FreshBooksHTTPError) as failure:
        target.listen(lines_then_outage(messages, env, "test:customer:2"))  # type: ignore[arg-type]

    assert [json.loads(line) for line in out.getvalue().splitlines()] == [{"bookmark": 1}]
    message = str(failure.value)
    assert "test:customer:2" in message and "503" in message and "/users/clients" in message

    env.sandbox.ctx.fb_faults.settings.rate_503 = 0.0
    rerun = env.run(messages)  # the lock was released; the record that had no outcome is written now
    assert rerun.states == [{"bookmark": 1}, {"bookmark": 2}]
    assert rerun.counts("clients") == {"unchanged": 1, "created": 1}
    assert len(env.fb.records("clients")) == 2


def test_dry_run_reports_and_writes_nothing(env: TargetEnv, capsys: pytest.CaptureFixture[str]) -> None:
    data = records()
    env.fb.reset_stats()

    dry = env.run(catalog(data, state={"bookmark": 1}), dry_run=True)

    assert env.fb.writes() == 0
    assert dry.states == []  # Meltano must not think these records were loaded
    for stream, rows in data.items():
        assert dry.counts(stream) == {"created": len(rows)}, stream
    assert "DRY RUN" in capsys.readouterr().err

    real = env.run(catalog(data, state={"bookmark": 1}))
    assert real.states == [{"bookmark": 1}]
    for stream, rows in data.items():
        assert real.counts(stream) == {"created": len(rows)}, stream


def test_dry_run_of_changes_reports_updates(env: TargetEnv) -> None:
    data = records()
    env.run(catalog(data))
    data["clients"][0]["bus_phone"] = "541-555-0123"
    env.fb.reset_stats()
    dry = env.run(catalog(data), dry_run=True)
    assert dry.counts("clients") == {"updated": 1, "unchanged": 1}
    assert env.fb.writes() == 0
    assert env.run(catalog(data)).counts("clients") == {"updated": 1, "unchanged": 1}


def test_unknown_stream_is_refused_naming_the_accepted_ones(env: TargetEnv) -> None:
    with pytest.raises(UnknownStreamError) as refused:
        env.run(Messages().record("estimates", {"source_key": "test:estimate:1"}))
    message = str(refused.value)
    assert "'estimates'" in message
    assert ("bill_payments, bill_vendors, bills, clients, credit_notes, invoices, items, journal_entries, payments, "
            "skipped, taxes") in message


def test_a_second_concurrent_run_fails_clearly(env: TargetEnv) -> None:
    first = Run.start(Settings.from_config(env.config))
    try:
        with pytest.raises(RunLockedError) as locked:
            env.run(Messages().record("clients", records()["clients"][0]))
        assert first.run_id in str(locked.value) and credentials.FB_ACCOUNT_ID in str(locked.value)
    finally:
        first.close()
    assert env.run(Messages().record("clients", records()["clients"][0])).counts("clients") == {"created": 1}


def test_a_lock_left_by_a_dead_process_is_taken_over(env: TargetEnv) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    ledger = Ledger(env.config["ledger_url"])
    try:
        with ledger.session() as s:
            s.add(RunLock(tenant="default", account_id=credentials.FB_ACCOUNT_ID, run_id="crashed-run",
                          host=socket.gethostname(), pid=holder.pid, acquired_at=time.time(),
                          heartbeat_at=time.time()))
        with pytest.raises(RunLockedError, match=f"pid {holder.pid}"):
            env.run(Messages().record("clients", records()["clients"][0]))
    finally:
        holder.kill()
        holder.wait()
        ledger.close()

    run = env.run(Messages().record("clients", records()["clients"][0]))
    assert run.counts("clients") == {"created": 1}


def test_a_lock_left_by_a_killed_run_that_stayed_a_zombie_is_taken_over(env: TargetEnv) -> None:
    """`kill -9` of a run whose parent never reaps it (an init that does not wait, as in containers) leaves a
    zombie: its pid still answers signal 0, yet it will never write again."""
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    holder.kill()
    deadline = time.monotonic() + 10
    while "Z" not in Path(f"/proc/{holder.pid}/stat").read_text().rpartition(")")[2].split()[:1]:
        assert time.monotonic() < deadline, "the killed child never became a zombie"
        time.sleep(0.05)
    ledger = Ledger(env.config["ledger_url"])
    try:
        with ledger.session() as s:
            s.add(RunLock(tenant="default", account_id=credentials.FB_ACCOUNT_ID, run_id="killed-run",
                          host=socket.gethostname(), pid=holder.pid, acquired_at=time.time(),
                          heartbeat_at=time.time()))
        run = env.run(Messages().record("clients", records()["clients"][0]))
        assert run.counts("clients") == {"created": 1}
    finally:
        holder.wait()
        ledger.close()
