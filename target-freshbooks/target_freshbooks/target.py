"""The Singer target.

Sinks are singer-sdk `RecordSink`s that hand each record to the run's loader. With one writer
(`write_workers: 1`, and every dry run) the record is written (or parked, held or dead-lettered) and its
outcome committed to the ledger before the next message is read. With more (the default), records go to
a pool of writers (`writers.py`) that keeps dependency order itself, by what each record touches
(`lanes.py`): a client before its invoices, an invoice before its payments and credits, one client's writes
one at a time, in arrival order; singer-sdk's own draining plays no part. Either way a STATE message is
emitted only once every record before it has its outcome in the ledger (the pool is drained first); the
end of input emits the last one again only if it was not emitted yet. Dry runs emit no STATE (Meltano would
skip the records next time).

A bad record never stops the run: a line that is not JSON (or not a usable Singer message), a RECORD
without `stream` or `record` or for a stream without SCHEMA, and a record that fails its stream's JSON
schema (dates included) are dead-lettered, naming the line or the record and the field, and reading goes
on. Only failures that are not one record's fault (FreshBooks down, authorization lost, a stream the
target does not accept, a SCHEMA message it cannot use) stop the run, before any later STATE.
"""

from __future__ import annotations

import copy
import decimal
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from functools import cached_property
from typing import IO, Any, ClassVar

from jsonschema.exceptions import best_match
from singer_sdk import Target
from singer_sdk.exceptions import (
    InvalidInputLine,
    InvalidJSONSchema,
    InvalidRecord,
    RecordsWithoutSchemaException,
)
from singer_sdk.helpers.capabilities import PluginCapabilities, TargetCapabilities
from singer_sdk.io_base import SingerReader
from singer_sdk.plugin_base import PluginBase
from singer_sdk.sinks import RecordSink

from target_freshbooks.errors import RecordRef, TargetError
from target_freshbooks.lanes import barrier, lanes_of
from target_freshbooks.loader import check_stream, normalize
from target_freshbooks.run import Run
from target_freshbooks.settings import CONFIG_SCHEMA, Settings
from target_freshbooks.sinks.base import Outcome
from target_freshbooks.validation import RAW_LINE, RAW_LINE_FIX, RAW_LINE_KEPT
from target_freshbooks.writers import WriterPool, auto_workers

UNKNOWN_STREAM = "(unknown stream)"


class BadLine(Exception):
    """An input line the target cannot use; dead-lettered by the reader, which then reads on."""

    def __init__(self, problem: str, *, stream: Any = None, source_key: Any = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.stream = stream if isinstance(stream, str) and stream.strip() else None
        self.source_key = source_key if isinstance(source_key, str) and source_key.strip() else None


class SchemaMessageError(TargetError):
    """A SCHEMA message singer-sdk cannot use: the run stops (every record of its stream would fail)."""


class SchemaViolation(Exception):
    """A record that fails its stream's JSON schema (or a date-like field singer-sdk cannot parse)."""

    def __init__(self, field: str | None, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


def _quoted(line: str, name: str) -> set[str]:
    return set(re.findall(rf'"{name}"\s*:\s*"((?:[^"\\]|\\.)*)"', line))


def salvage(line: str) -> tuple[str | None, str | None]:
    """The stream and source key of a line that is not JSON, when the line names exactly one of each."""
    streams, keys = _quoted(line, "stream"), _quoted(line, "source_key")
    return (next(iter(streams)) if len(streams) == 1 else None, next(iter(keys)) if len(keys) == 1 else None)


class LineReader(SingerReader):
    """Reads Singer messages line by line; a line that cannot be used goes to `on_bad_line`, not up the stack.

    Exceptions other than `BadLine` (and singer-sdk's own complaints about the shape of a message other than
    SCHEMA) propagate: they are not one record's fault and stop the run.
    """

    def __init__(self) -> None:
        super().__init__()
        self.on_bad_line: Callable[[int, str, BadLine], None] | None = None
        self.line_number = 0

    def process_lines(self, file_input: IO[str] | None, callbacks: dict[str, Callable[[dict], None]]) -> Counter[str]:
        stats: Counter[str] = Counter()
        for number, line in enumerate(file_input or self.default_input, start=1):
            self._current_message, self.line_number = line, number
            if not line.strip():
                continue
            try:
                kind = self._dispatch(line, callbacks)
            except BadLine as bad:
                if self.on_bad_line is None:
                    raise
                self.on_bad_line(number, line, bad)
                continue
            stats[kind] += 1
        return stats

    def _dispatch(self, line: str, callbacks: dict[str, Callable[[dict], None]]) -> str:
        try:
            message = json.loads(line, parse_float=decimal.Decimal)
        except ValueError as exc:
            stream, key = salvage(line)
            raise BadLine(f"is not JSON ({exc})", stream=stream, source_key=key) from None
        if not isinstance(message, dict):
            raise BadLine(f"is not a Singer message (a JSON object), but {type(message).__name__}")
        kind = message.get("type")
        record = message.get("record")
        key = record.get("source_key") if isinstance(record, dict) else None
        callback = callbacks.get(kind) if isinstance(kind, str) else None
        if callback is None or not isinstance(kind, str):
            raise BadLine("has no message `type`" if kind is None else f"has an unknown message type {kind!r}",
                          stream=message.get("stream"), source_key=key)
        try:
            callback(message)
        except (InvalidInputLine, RecordsWithoutSchemaException) as exc:
            if kind == "SCHEMA":
                raise
            raise BadLine(f"is a {kind} message singer-sdk cannot use ({exc})", stream=message.get("stream"),
                          source_key=key) from None
        return kind


class FreshBooksSink(RecordSink):
    """Hands each record to the run's loader (one sink class serves every accepted stream)."""

    # A record that does not match its SCHEMA is not fatal: `_validate_and_parse` keeps the failure and
    # `process_record` dead-letters the record, naming the field (singer-sdk's own handling is not used).
    fail_on_record_validation_exception = True

    def __init__(self, target: TargetFreshBooks, stream_name: str, schema: dict, key_properties: Any) -> None:
        super().__init__(target=target, stream_name=stream_name, schema=schema, key_properties=key_properties)
        self.freshbooks_target = target
        self._violation: SchemaViolation | None = None

    def _validate_and_parse(self, record: dict) -> dict:
        """Validate against the SCHEMA and parse its date-like fields; a failure is kept for `process_record`."""
        self._violation = None
        try:
            self._schema_check(record)
            self._parse_timestamps_in_record(record=record, schema=self.schema, treatment=self.datetime_error_treatment)
        except SchemaViolation as violation:
            self._violation = violation
        except ValueError as exc:  # singer-sdk: "Could not parse value '2026-13-45' for field 'create_date'."
            found = re.search(r"for field '([^']*)'", str(exc))
            self._violation = SchemaViolation(found.group(1) if found else None,
                                              f"{exc} The SCHEMA declares it a date or date-time")
        return record

    def _schema_check(self, record: dict) -> None:
        if self._validator is None:
            return
        inner = getattr(self._validator, "validator", None)
        if inner is not None and hasattr(inner, "iter_errors"):
            error = best_match(inner.iter_errors(record))
            if error is not None:
                path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
                if error.validator == "required" and not path:
                    found = re.match(r"'([^']*)'", error.message)
                    path = found.group(1) if found else path
                raise SchemaViolation(path or None, error.message)
            return
        try:
            self._validator.validate(record)
        except InvalidRecord as exc:
            raise SchemaViolation(None, str(exc)) from None

    def _singer_validate_message(self, record: dict) -> None:
        """No key-property check here: the loader dead-letters a record without `source_key`."""

    def process_record(self, record: dict, context: dict) -> None:
        violation, self._violation = self._violation, None
        if violation is None:
            self.freshbooks_target.load_record(self.stream_name, record)
            return
        key = record.get("source_key")
        key = key if isinstance(key, str) and key.strip() else "(no source_key)"
        where = f"field {violation.field!r}" if violation.field else "the record"
        self.freshbooks_target.dead_letter(
            self.stream_name, key, record, f"{RecordRef(self.stream_name, key)}: {where} does not match the "
            f"stream's SCHEMA: {violation.problem}; fix the record (or its SCHEMA) in the producer",
            field=violation.field)


class TargetFreshBooks(Target):
    """Upserts FreshBooks-shaped records into FreshBooks, idempotently, through the ledger."""

    name = "target-freshbooks"
    package_name = "target-freshbooks"
    config_jsonschema = CONFIG_SCHEMA
    default_sink_class = FreshBooksSink
    # No schema flattening: it would break nested fields such as invoice `lines` and Money objects.
    capabilities: ClassVar[list[Any]] = [
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.STRUCTURED_LOGGING,
        TargetCapabilities.VALIDATE_RECORDS,
    ]

    message_reader_class = LineReader

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(self.message_reader, LineReader):
            self.message_reader.on_bad_line = self.dead_letter_line
        self.max_parallelism = 1
        self.exit_code = 0
        self._run: Run | None = None
        self._writers: WriterPool | None = None
        self._emitted_state: dict | None = None

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_config(self.config)

    @property
    def run(self) -> Run:
        """The run, started with the first record (or at the end of an input without records)."""
        if self._run is None:
            self._run = Run.start(self.settings)
            self._writers = self._start_writers(self._run)
        return self._run

    def _start_writers(self, run: Run) -> WriterPool | None:
        """The pool of writers, or None to write inline (one writer, or a dry run: it makes no writes)."""
        if run.dry_run:
            return None
        workers = self.settings.write_workers or auto_workers(self.settings.max_requests_per_second,
                                                               run.first_call_seconds)
        how = "set by write_workers" if self.settings.write_workers else (
            f"sized from max_requests_per_second {self.settings.max_requests_per_second:g} and a first call of "
            f"{run.first_call_seconds * 1000:.0f} ms")
        self.logger.info("Writing with %d writer%s (%s).", workers, "" if workers == 1 else "s", how)
        if workers == 1:
            return None
        return WriterPool(run.loader.load, run.client.state_lock, workers)

    def drain_writers(self) -> None:
        """Wait until every record read has its outcome (raises what stopped a writer, if anything did)."""
        if self._writers is not None:
            self._writers.drain()

    def close_run(self) -> None:
        """End the run; records already read still get their outcome first (as they would with one writer)."""
        if self._writers is not None:
            writers, self._writers = self._writers, None
            try:
                writers.drain()
            except BaseException as exc:  # what stopped a writer: the caller is already ending the run
                self.logger.debug("Writers stopped: %s", exc)
            writers.close()
        if self._run is not None:
            self._run.close()

    def get_sink_class(self, stream_name: str) -> type[FreshBooksSink]:
        check_stream(stream_name)
        return FreshBooksSink

    def load_record(self, stream: str, record: dict[str, Any]) -> None:
        run = self.run
        if self._writers is None:
            run.loader.load(stream, record)
            return
        try:  # from the record alone: no shared state, so no lock (writers hold it while they work)
            lanes = lanes_of(stream, record)
        except Exception as exc:  # a record too odd to place: alone, in arrival order; the loader judges it
            self.logger.debug("No lanes for a %s record (%s): written alone", stream, exc)
            lanes = barrier()
        self._writers.submit(stream, record, lanes)

    # Dead letters made before the loader sees a record: the line or the record could not be used.

    def dead_letter(self, stream: str, source_key: str, record: dict[str, Any], error: str, *,
                    field: str | None = None) -> None:
        """Dead-letter a record (or line) the loader never got; the record's other pending places are cleared,
        as the loader does for a record it dead-letters."""
        loader = self.run.loader
        self.drain_writers()  # rare: the records before it get their outcome first, as with one writer
        with self.run.client.state_lock.held():
            loader.ledger.dead_letter(stream, source_key, normalize(record), error=error, run_id=loader.run_id,
                                      field=field)
            loader.audit(RecordRef(stream, source_key), "dead_letter", error=error)
            loader.ledger.unpark(stream, source_key)
            loader.ledger.resolve_review(stream, source_key, resolution=Outcome.FAILED.value)
            loader.summary.record(stream, source_key, Outcome.FAILED)
        self.logger.error("Dead-lettered %s", error)

    def dead_letter_line(self, number: int, line: str, bad: BadLine) -> None:
        stream = bad.stream or UNKNOWN_STREAM
        key = bad.source_key or f"(line {number})"
        text = line.rstrip("\r\n")
        kept = text[:RAW_LINE_KEPT] + ("…" if len(text) > RAW_LINE_KEPT else "")
        problem = f"input line {number} {bad.problem}"
        self.dead_letter(stream, key, {"source_key": key, RAW_LINE: kept, "line": number, "problem": problem},
                         f"{RecordRef(stream, key)}: {problem}{RAW_LINE_FIX}")

    # Messages: a failure closes the run (releases the lock) before propagating.

    def _process_record_message(self, message_dict: dict) -> None:
        stream, record = message_dict.get("stream"), message_dict.get("record")
        key = record.get("source_key") if isinstance(record, dict) else None
        if not isinstance(stream, str) or not stream.strip():
            raise BadLine("is a RECORD without a `stream`", source_key=key)
        if not isinstance(record, dict):
            raise BadLine("is a RECORD without a `record` object", stream=stream)
        if stream not in self.mapper.stream_maps:
            raise BadLine(f"is a RECORD for stream {stream!r}, which had no SCHEMA message before it", stream=stream,
                          source_key=key)
        try:
            super()._process_record_message(message_dict)
        except (InvalidInputLine, RecordsWithoutSchemaException):
            raise  # the line's fault: the reader dead-letters it and reads on
        except BaseException:
            self.close_run()
            raise

    def _process_schema_message(self, message_dict: dict) -> None:
        """A SCHEMA singer-sdk cannot use stops the run (before any later STATE): dead-lettering it would
        dead-letter every record of its stream while STATE moves past them."""
        try:
            super()._process_schema_message(message_dict)
        except (InvalidInputLine, InvalidJSONSchema) as exc:
            self.close_run()
            line = getattr(self.message_reader, "line_number", 0)
            raise SchemaMessageError(f"Input line {line}: the SCHEMA message for stream "
                                     f"{message_dict.get('stream')!r} cannot be used ({exc}). Fix the producer and "
                                     "rerun; the run stopped before any later STATE, so nothing is skipped.") from exc
        except BaseException:
            self.close_run()
            raise

    def _process_state_message(self, message_dict: dict) -> None:
        super()._process_state_message(message_dict)
        if self._latest_state is not None:
            try:
                self._write_state_message(copy.deepcopy(self._latest_state))
            except BaseException:
                self.close_run()
                raise

    def _write_state_message(self, state: dict) -> None:
        """Emitted once every record read before it has its outcome (the writers are drained first)."""
        if self.settings.dry_run:
            self.logger.info("Dry run: STATE withheld (nothing was written).")
            return
        if state == self._emitted_state:
            return
        self.drain_writers()
        super()._write_state_message(state)
        self._emitted_state = copy.deepcopy(state)

    def process_endofpipe(self) -> None:
        try:
            run = self.run
            self.drain_writers()
            with run.client.state_lock.held():
                run.loader.retry_parked()
            super().process_endofpipe()
            run.finish()
            text = run.summary_text()
            print(text, file=sys.stderr, flush=True)
            self.logger.info("%s", text.replace("\n", " | "))
            self.exit_code = 1 if run.loader.summary.dead_lettered else 0
        finally:
            self.close_run()

    @classmethod
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: Any = None,
        file_input: IO[str] | None = None,
    ) -> None:
        """Like `Target.invoke`, then exit non-zero if the run dead-lettered anything."""
        PluginBase.invoke.__func__(cls, about=about, about_format=about_format)  # type: ignore[attr-defined]
        cls.print_version(print_fn=cls.logger.info)
        target = cls(
            config=config.config if config is not None else {},
            validate_config=True,
            parse_env_config=config.parse_env if config is not None else False,
        )
        target.listen(file_input)
        if target.exit_code:
            sys.exit(target.exit_code)
