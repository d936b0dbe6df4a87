"""The Singer target.

Sinks are singer-sdk `RecordSink`s: each record is written (or parked, held or dead-lettered) and its
outcome committed to the ledger before the next message is read, so records are handled in arrival order
across streams (clients and items before the invoices that use them, invoices before payments), nothing
is batched per stream, and draining has nothing left to reorder. A STATE message is emitted as soon as it
arrives, since every record before it already has its outcome; the end of input emits the last one again
only if it was not emitted yet. Dry runs emit no STATE (Meltano would skip the records next time).
"""

from __future__ import annotations

import copy
import sys
from functools import cached_property
from typing import IO, Any, ClassVar

from singer_sdk import Target
from singer_sdk.helpers.capabilities import PluginCapabilities, TargetCapabilities
from singer_sdk.plugin_base import PluginBase
from singer_sdk.sinks import RecordSink

from target_freshbooks.loader import check_stream
from target_freshbooks.run import Run
from target_freshbooks.settings import CONFIG_SCHEMA, Settings


class FreshBooksSink(RecordSink):
    """Hands each record to the run's loader (one sink class serves every accepted stream)."""

    # A record that does not match its SCHEMA is not fatal: the loader dead-letters it if it cannot be used.
    fail_on_record_validation_exception = False

    def __init__(self, target: TargetFreshBooks, stream_name: str, schema: dict, key_properties: Any) -> None:
        super().__init__(target=target, stream_name=stream_name, schema=schema, key_properties=key_properties)
        self.freshbooks_target = target

    def process_record(self, record: dict, context: dict) -> None:
        self.freshbooks_target.load_record(self.stream_name, record)


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_parallelism = 1
        self.exit_code = 0
        self._run: Run | None = None
        self._emitted_state: dict | None = None

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_config(self.config)

    @property
    def run(self) -> Run:
        """The run, started with the first record (or at the end of an input without records)."""
        if self._run is None:
            self._run = Run.start(self.settings)
        return self._run

    def close_run(self) -> None:
        if self._run is not None:
            self._run.close()

    def get_sink_class(self, stream_name: str) -> type[FreshBooksSink]:
        check_stream(stream_name)
        return FreshBooksSink

    def load_record(self, stream: str, record: dict[str, Any]) -> None:
        self.run.loader.load(stream, record)

    # Messages: a failure closes the run (releases the lock) before propagating.

    def _process_record_message(self, message_dict: dict) -> None:
        try:
            super()._process_record_message(message_dict)
        except BaseException:
            self.close_run()
            raise

    def _process_schema_message(self, message_dict: dict) -> None:
        try:
            super()._process_schema_message(message_dict)
        except BaseException:
            self.close_run()
            raise

    def _process_state_message(self, message_dict: dict) -> None:
        super()._process_state_message(message_dict)
        if self._latest_state is not None:
            self._write_state_message(copy.deepcopy(self._latest_state))

    def _write_state_message(self, state: dict) -> None:
        if self.settings.dry_run:
            self.logger.info("Dry run: STATE withheld (nothing was written).")
            return
        if state == self._emitted_state:
            return
        super()._write_state_message(state)
        self._emitted_state = copy.deepcopy(state)

    def process_endofpipe(self) -> None:
        try:
            run = self.run
            run.loader.retry_parked()
            super().process_endofpipe()
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
