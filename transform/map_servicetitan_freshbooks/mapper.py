"""The Singer mapper: tap-servicetitan's streams in, the FreshBooks record contract out.

Each record maps on its own, by its stream's line in the registry (`registry.py`); the only memory is this
run's tax zones and payment types, which the tap sends (full table) before any invoice or payment. STATE
passes through untouched.
"""

from __future__ import annotations

import logging
import typing as t
from collections import Counter

from singer_sdk import singerlib as singer
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import PluginCapabilities
from singer_sdk.mapper_base import InlineMapper

from map_servicetitan_freshbooks.output import Output, Record, RunContext
from map_servicetitan_freshbooks.registry import REGISTRY, SKIPPED, Mapping
from map_servicetitan_freshbooks.schemas import KEY_PROPERTIES, OUTPUT_SCHEMAS
from map_servicetitan_freshbooks.settings import CONFIG_SCHEMA, MapperSettings
from map_servicetitan_freshbooks.values import MappingError, SourceRecord


class ServiceTitanToFreshBooksMapper(InlineMapper):
    """Reshape tap-servicetitan records into FreshBooks-shaped records with source keys."""

    name = "map-servicetitan-freshbooks"
    config_jsonschema = CONFIG_SCHEMA
    capabilities: t.ClassVar = [PluginCapabilities.ABOUT, PluginCapabilities.STRUCTURED_LOGGING]

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        try:
            self.run = RunContext(MapperSettings.from_config(self.config))
        except ValueError as exc:
            raise ConfigValidationError(str(exc), errors=[str(exc)]) from exc
        self.schemas_sent: set[str] = set()
        self.left_behind: Counter[str] = Counter()
        """Records that reach no FreshBooks object (skipped, held as malformed, unknown stream), by reason."""
        self.reference_only: Counter[str] = Counter()
        self.warned_streams: set[str] = set()

    # Singer messages

    def map_schema_message(self, message_dict: dict) -> t.Iterable[singer.Message]:
        mapping = REGISTRY.get(message_dict["stream"])
        return self._schema_once(mapping.output) if mapping and mapping.output else []

    def map_record_message(self, message_dict: dict) -> t.Iterable[singer.Message]:
        mapping = REGISTRY.get(message_dict["stream"])
        if mapping is None:
            self._unknown(message_dict["stream"])
            return []
        source = SourceRecord(mapping.source_stream, message_dict["record"], mapping.kind)
        try:
            outputs = mapping.map(source, self.run)
        except MappingError as exc:
            outputs = self._malformed(mapping, source, exc)
        if mapping.reference:
            self._note_once(mapping, f"Records of stream '{mapping.source_stream}' are read for reference only: "
                                     f"{mapping.note}")
            self.reference_only[f"{mapping.source_stream} records ({mapping.note})"] += 1
        messages: list[singer.Message] = []
        for output in outputs:
            stream, record = output if isinstance(output, Output) else (mapping.output, output)
            if stream not in mapping.outputs:
                raise RuntimeError(f"stream '{mapping.source_stream}' mapped a record to '{stream}', which its "
                                   f"registry line does not list ({', '.join(mapping.outputs)})")
            self._account(mapping, stream, record)
            messages.extend(self._schema_once(stream))
            messages.append(singer.RecordMessage(stream=stream, record=record))
        return messages

    def map_state_message(self, message_dict: dict) -> t.Iterable[singer.Message]:
        return [singer.StateMessage(value=message_dict["value"])]

    def map_activate_version_message(self, message_dict: dict) -> t.Iterable[singer.Message]:
        # Output streams are upserted by source key; a tap's table versions mean nothing to them.
        return []

    def process_endofpipe(self) -> None:
        level = logging.WARNING if self.left_behind else logging.INFO
        for reason, count in sorted(self.left_behind.items()):
            self.logger.log(level, "Not mapped: %d %s", count, reason)
        for reason, count in sorted(self.reference_only.items()):
            self.logger.log(level, "Read for reference only: %d %s", count, reason)
        super().process_endofpipe()

    # Bookkeeping

    def _account(self, mapping: Mapping, stream: str, record: Record) -> None:
        """Count and log what will reach no FreshBooks object."""
        reason = record.get("skip_reason")
        if not reason:
            return
        category = record.get("skip_category") or "filtered"
        if stream == SKIPPED:
            self._note_once(mapping, f"Records of stream '{mapping.source_stream}' are not mapped: {mapping.note}; "
                                     "each is sent as a skip record")
            self.left_behind[f"{mapping.source_stream} records sent as skipped ({category}: {mapping.note})"] += 1
            return
        self.logger.info("%s not synced: %s", record["source_key"], reason)
        self.left_behind[f"{stream} skipped ({category}: {reason})"] += 1

    def _malformed(self, mapping: Mapping, source: SourceRecord, error: MappingError) -> list[Record | Output]:
        """A record for the review queue carrying the error, or the error itself (policy `fail`, or no id)."""
        record_id = source.data.get("id")
        if self.run.settings.malformed_record_policy == "fail" or mapping.output is None or record_id in (None, ""):
            raise error
        self.logger.error("%s; the record goes to the review queue", error)
        self.left_behind[f"{source.stream} records sent for review as malformed"] += 1
        return [{"source_key": source.key(), "review_reason": f"malformed ServiceTitan record: {error}"}]

    def _note_once(self, mapping: Mapping, message: str) -> None:
        if mapping.source_stream not in self.warned_streams:
            self.warned_streams.add(mapping.source_stream)
            self.logger.info(message)

    def _unknown(self, stream: str) -> None:
        if stream not in self.warned_streams:
            self.warned_streams.add(stream)
            self.logger.warning("Records of unknown stream '%s' are dropped; the mapper reads %s",
                                stream, ", ".join(sorted(REGISTRY)))
        self.left_behind[f"{stream} records (unknown stream)"] += 1

    def _schema_once(self, output: str) -> list[singer.Message]:
        if output in self.schemas_sent:
            return []
        self.schemas_sent.add(output)
        return [singer.SchemaMessage(stream=output, schema=OUTPUT_SCHEMAS[output], key_properties=KEY_PROPERTIES)]


if __name__ == "__main__":
    ServiceTitanToFreshBooksMapper.cli()
