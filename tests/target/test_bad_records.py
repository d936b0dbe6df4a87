"""A bad input line or record never stops the run: it is dead-lettered (naming the line or the record and the
field), the records after it land, the STATE messages after it are emitted, and the exit code is 1."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from typing import Any

import pytest
from target_freshbooks.ledger.store import Ledger
from target_freshbooks.settings import Settings
from target_freshbooks.target import SchemaMessageError, TargetFreshBooks
from target_harness import PERMISSIVE_SCHEMA, TargetEnv, TargetRun
from target_records import records

BEFORE_STATE = {"bookmarks": {"clients": "before"}}
AFTER_STATE = {"bookmarks": {"clients": "after"}}


def schema(stream: str, properties: dict[str, Any] | None = None) -> dict[str, Any]:
    body = PERMISSIVE_SCHEMA if properties is None else {"type": "object", "properties": properties}
    return {"type": "SCHEMA", "stream": stream, "schema": body, "key_properties": ["source_key"]}


def record(stream: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"type": "RECORD", "stream": stream, "record": value}


def around(*bad: str | dict[str, Any], first_schema: dict[str, Any] | None = None) -> str:
    """Input: a good client, STATE, the bad line(s), the other good client, STATE."""
    first, second = records()["clients"]
    lines: list[str | dict[str, Any]] = [first_schema or schema("clients"), record("clients", first),
                                         {"type": "STATE", "value": BEFORE_STATE}, *bad, record("clients", second),
                                         {"type": "STATE", "value": AFTER_STATE}]
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)


def dead_letters(env: TargetEnv) -> list[Any]:
    ledger = Ledger(env.config["ledger_url"])
    try:
        return ledger.dead_letters(Settings.from_config(env.config).tenant)
    finally:
        ledger.close()


def assert_run_went_on(env: TargetEnv, run: TargetRun) -> None:
    """Exit code 1 (dead letters), both good clients in FreshBooks, both STATE messages emitted."""
    assert run.exit_code == 1
    organizations = sorted(c["organization"] or c["fname"] for c in env.fb.records("clients"))
    assert organizations == ["Millbrook Dental", "Priya"]
    assert run.states == [BEFORE_STATE, AFTER_STATE]


def only_letter(env: TargetEnv) -> Any:
    [letter] = dead_letters(env)
    audit = env.command("audit", "--dead-letters", "--json")
    assert audit.exit_code == 0, audit.output
    [row] = [json.loads(line) for line in audit.output.splitlines() if line.strip()]
    assert (row["stream"], row["source_key"], row["error"]) == (letter.stream, letter.source_key, letter.error)
    return letter


def test_a_line_that_is_not_json_is_dead_lettered_with_the_line(env: TargetEnv) -> None:
    broken = "this is not json {"

    run = env.run(around(broken))

    assert_run_went_on(env, run)
    letter = only_letter(env)
    assert (letter.stream, letter.source_key) == ("(unknown stream)", "(line 4)")
    assert letter.record["raw_line"] == broken
    assert "input line 4 is not JSON" in letter.error
    assert "fix the producer and rerun" in letter.error


def test_a_truncated_record_keeps_its_stream_and_key_and_only_the_start_of_the_line(env: TargetEnv) -> None:
    whole = json.dumps(record("clients", {"source_key": "test:customer:3", "organization": "Cut Off Ltd",
                                          "notes": "x" * 500}))
    truncated = whole[:400]

    run = env.run(around(truncated))

    assert_run_went_on(env, run)
    letter = only_letter(env)
    assert (letter.stream, letter.source_key) == ("clients", "test:customer:3")
    assert letter.record["raw_line"] == truncated[:200] + "…"
    assert "clients record 'test:customer:3': input line 4 is not JSON" in letter.error
    assert run.counts("clients") == {"created": 2, "failed": 1}


def test_a_record_without_stream_is_dead_lettered_under_its_source_key(env: TargetEnv) -> None:
    line = {"type": "RECORD", "record": {"source_key": "test:customer:3", "organization": "No Stream Co"}}

    run = env.run(around(line))

    assert_run_went_on(env, run)
    letter = only_letter(env)
    assert (letter.stream, letter.source_key) == ("(unknown stream)", "test:customer:3")
    assert "input line 4 is a RECORD without a `stream`" in letter.error
    assert json.loads(letter.record["raw_line"]) == line


def test_a_record_message_without_a_record_is_dead_lettered_under_its_line(env: TargetEnv) -> None:
    run = env.run(around({"type": "RECORD", "stream": "clients"}))

    assert_run_went_on(env, run)
    letter = only_letter(env)
    assert (letter.stream, letter.source_key) == ("clients", "(line 4)")
    assert "input line 4 is a RECORD without a `record` object" in letter.error


def test_a_record_for_a_stream_without_schema_is_dead_lettered(env: TargetEnv) -> None:
    line = record("items", {"source_key": "test:service:20", "name": "Drain cleaning"})

    run = env.run(around(line))

    assert_run_went_on(env, run)
    letter = only_letter(env)
    assert (letter.stream, letter.source_key) == ("items", "test:service:20")
    assert "is a RECORD for stream 'items', which had no SCHEMA message before it" in letter.error
    assert env.fb.records("items") == []


def test_a_line_that_is_not_a_message_is_dead_lettered(env: TargetEnv) -> None:
    run = env.run(around('["RECORD", "clients"]', {"type": "STATE"}, {"stream": "clients"}))

    assert_run_went_on(env, run)
    letters = {letter.source_key: letter.error for letter in dead_letters(env)}
    assert set(letters) == {"(line 4)", "(line 5)", "(line 6)"}
    assert "is not a Singer message (a JSON object), but list" in letters["(line 4)"]
    assert "is a STATE message singer-sdk cannot use" in letters["(line 5)"] and "value" in letters["(line 5)"]
    assert "has no message `type`" in letters["(line 6)"]


def test_a_record_without_source_key_is_dead_lettered(env: TargetEnv) -> None:
    run = env.run(around(record("clients", {"organization": "Keyless Ltd"})))

    assert_run_went_on(env, run)
    letter = only_letter(env)
    assert (letter.stream, letter.source_key) == ("clients", "(no source_key)")
    assert "has no source_key" in letter.error
    assert letter.record == {"organization": "Keyless Ltd"}


def test_a_date_the_schema_declares_is_dead_lettered_when_it_is_not_a_date(env: TargetEnv) -> None:
    dated = schema("clients", {"source_key": {"type": "string"}, "organization": {"type": ["string", "null"]},
                               "fname": {"type": ["string", "null"]}, "since": {"type": "string", "format": "date"}})
    bad = {"source_key": "test:customer:3", "organization": "Bad Date Co", "since": "2026-13-45"}

    run = env.run(around(record("clients", bad), first_schema=dated))

    assert_run_went_on(env, run)
    letter = only_letter(env)
    assert (letter.stream, letter.source_key, letter.field) == ("clients", "test:customer:3", "since")
    assert "field 'since' does not match the stream's SCHEMA" in letter.error
    assert "2026-13-45" in letter.error
    assert letter.record == bad


def test_a_record_that_fails_its_schema_is_dead_lettered_naming_the_field(env: TargetEnv) -> None:
    typed = schema("clients", {"source_key": {"type": "string"}, "organization": {"type": ["string", "null"]},
                               "fname": {"type": ["string", "null"]}})
    bad = {"source_key": "test:customer:3", "organization": 12345}

    run = env.run(around(record("clients", bad), first_schema=typed))

    assert_run_went_on(env, run)
    letter = only_letter(env)
    assert (letter.stream, letter.source_key, letter.field) == ("clients", "test:customer:3", "organization")
    assert "field 'organization' does not match the stream's SCHEMA: 12345 is not of type" in letter.error


def test_a_raw_line_is_not_replayed_and_its_dead_letter_closes_when_the_fixed_record_lands(env: TargetEnv) -> None:
    fixed = {"source_key": "test:customer:3", "organization": "Cut Off Ltd"}
    truncated = json.dumps(record("clients", fixed))[:-10]
    assert env.run(around(truncated)).exit_code == 1

    replayed = env.command("replay")

    assert replayed.exit_code == 1
    assert "dead letter: clients test:customer:3 → failed" in replayed.output
    assert "input line 4 is not JSON" in replayed.output
    assert "cannot be replayed: fix the producer and rerun" in replayed.output
    assert "Cut Off Ltd" not in [c["organization"] for c in env.fb.records("clients")]

    rerun = env.run(around(json.dumps(record("clients", fixed))))  # the producer is fixed

    assert rerun.exit_code == 0
    assert "Cut Off Ltd" in [c["organization"] for c in env.fb.records("clients")]
    assert dead_letters(env) == []


def test_a_schema_message_the_target_cannot_use_stops_the_run_before_any_later_state(env: TargetEnv) -> None:
    target = TargetFreshBooks(config=dict(env.config), validate_config=True)
    out = io.StringIO()

    with redirect_stdout(out), pytest.raises(SchemaMessageError) as stopped:
        target.listen(io.StringIO(around({"type": "SCHEMA", "stream": "invoices", "schema": {"type": "object"},
                                          "key_properties": ["source_key"]})))

    assert "Input line 4: the SCHEMA message for stream 'invoices' cannot be used" in str(stopped.value)
    assert "properties" in str(stopped.value) and "Fix the producer and rerun" in str(stopped.value)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [BEFORE_STATE]
    assert [c["organization"] for c in env.fb.records("clients")] == ["Millbrook Dental"]
    assert dead_letters(env) == []


def test_replay_reports_an_unreadable_line_and_still_replays_the_other_dead_letters(env: TargetEnv) -> None:
    bad_client = {"source_key": "test:customer:9", "organization": "Nine", "currency_code": "XYZ"}
    run = env.run(around("this is not json {", record("clients", bad_client)))
    assert run.exit_code == 1
    assert len(dead_letters(env)) == 2
    replayed = env.command("replay")
    assert replayed.exit_code == 1  # the unreadable line cannot be replayed; the client is tried again
    assert "not replayable" in replayed.output and "(line 4)" in replayed.output
    assert "test:customer:9" in replayed.output
