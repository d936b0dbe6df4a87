"""The Singer mapper: tap-servicetitan's streams in, the FreshBooks record contract out.

Each record maps on its own; the only memory is this run's tax zones and payment types, which the tap
sends (full table) before any invoice or payment. STATE passes through untouched.
"""

from __future__ import annotations

import typing as t
from collections import Counter

from singer_sdk import singerlib as singer
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import PluginCapabilities
from singer_sdk.mapper_base import InlineMapper

from map_servicetitan_freshbooks.clients import map_customer
from map_servicetitan_freshbooks.invoices import map_invoice
from map_servicetitan_freshbooks.items import PRICEBOOK_STREAMS, map_pricebook_item
from map_servicetitan_freshbooks.payments import is_refund, map_payment
from map_servicetitan_freshbooks.schemas import KEY_PROPERTIES, OUTPUT_SCHEMAS
from map_servicetitan_freshbooks.settings import CONFIG_SCHEMA, MapperSettings
from map_servicetitan_freshbooks.taxes import TaxPlan, zone_plan, zone_tax_records
from map_servicetitan_freshbooks.values import MappingError, SourceRecord

SOURCE_KEY_KIND = {
    "tax_zones": "taxzone",
    "customers": "customer",
    **PRICEBOOK_STREAMS,
    "invoices": "invoice",
    "payments": "payment",
}
"""Input stream → the kind in its records' source keys."""

OUTPUT_STREAM = {
    "tax_zones": "taxes",
    "customers": "clients",
    **dict.fromkeys(PRICEBOOK_STREAMS, "items"),
    "invoices": "invoices",
    "payments": "payments",
}
"""Input stream → the output stream its records become."""

REFERENCE_STREAMS = ("payment_types",)
"""Read for lookups only; nothing is written for them."""

LATER_STREAMS = {
    "vendors": "bill vendors come in a later issue",
    "inventory_bills": "bills come in a later issue",
    "credit_memos": "credit notes come in a later issue",
    "gl_accounts": "not needed by any FreshBooks record yet",
    "locations": "FreshBooks has no service locations; invoices carry the customer's address",
}
"""Known input streams that are dropped for now, and why."""


class ServiceTitanToFreshBooksMapper(InlineMapper):
    """Reshape tap-servicetitan records into FreshBooks-shaped records with source keys."""

    name = "map-servicetitan-freshbooks"
    config_jsonschema = CONFIG_SCHEMA
    capabilities: t.ClassVar = [PluginCapabilities.ABOUT, PluginCapabilities.STRUCTURED_LOGGING]

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        try:
            self.settings = MapperSettings.from_config(self.config)
        except ValueError as exc:
            raise ConfigValidationError(str(exc), errors=[str(exc)]) from exc
        self.zone_plans: dict[str, TaxPlan] = {}
        self.payment_type_names: dict[str, str] = {}
        self.schemas_sent: set[str] = set()
        self.dropped: Counter[str] = Counter()
        self.warned_streams: set[str] = set()

    # Singer messages

    def map_schema_message(self, message_dict: dict) -> t.Iterable[singer.Message]:
        output = OUTPUT_STREAM.get(message_dict["stream"])
        return self._schema_once(output) if output else []

    def map_record_message(self, message_dict: dict) -> t.Iterable[singer.Message]:
        stream = message_dict["stream"]
        source = SourceRecord(stream, message_dict["record"])
        try:
            records = self._map(source)
        except MappingError as exc:
            records = self._malformed(source, exc)
        output = OUTPUT_STREAM.get(stream)
        if output is None:
            return []
        messages: list[singer.Message] = list(self._schema_once(output))
        messages.extend(singer.RecordMessage(stream=output, record=record) for record in records)
        return messages

    def map_state_message(self, message_dict: dict) -> t.Iterable[singer.Message]:
        return [singer.StateMessage(value=message_dict["value"])]

    def map_activate_version_message(self, message_dict: dict) -> t.Iterable[singer.Message]:
        # Output streams are upserted by source key; a tap's table versions mean nothing to them.
        return []

    def process_endofpipe(self) -> None:
        for reason, count in sorted(self.dropped.items()):
            self.logger.info("Not mapped: %d %s", count, reason)
        super().process_endofpipe()

    # Mapping

    def _map(self, source: SourceRecord) -> list[dict[str, t.Any]]:
        stream = source.stream
        if stream == "tax_zones":
            plan = zone_plan(source)
            self.zone_plans[str(source.id)] = plan
            return zone_tax_records(source, plan)
        if stream == "payment_types":
            self.payment_type_names[str(source.id)] = str(source.data.get("name") or "")
            return []
        if stream == "customers":
            return [map_customer(source, self.settings)]
        if stream in PRICEBOOK_STREAMS:
            return [map_pricebook_item(source, self.settings)]
        if stream == "invoices":
            result = map_invoice(source, self.settings, self.zone_plans)
            if result.record is None:
                self.logger.info("Invoice %s not synced: %s", source.id, result.skipped_because)
                self.dropped[f"invoices skipped ({result.skipped_because})"] += 1
                return []
            return [result.record]
        if stream == "payments":
            if is_refund(source):
                self.logger.info(
                    "Payment %s is a refund of payment %s; refunds come in a later issue, so it is not synced",
                    source.id, source.data.get("refundedPaymentId"),
                )
                self.dropped["payments skipped (refunds, a later issue)"] += 1
                return []
            return [map_payment(source, self.settings, self.payment_type_names)]
        self._drop(stream)
        return []

    def _malformed(self, source: SourceRecord, error: MappingError) -> list[dict[str, t.Any]]:
        """A record for the review queue carrying the error, or the error itself (policy `fail`, or no id)."""
        kind = SOURCE_KEY_KIND.get(source.stream)
        record_id = source.data.get("id")
        if self.settings.malformed_record_policy == "fail" or kind is None or record_id in (None, ""):
            raise error
        self.logger.error("%s; the record goes to the review queue", error)
        self.dropped[f"{source.stream} records sent for review as malformed"] += 1
        return [{"source_key": f"servicetitan:{kind}:{record_id}", "review_reason": f"malformed ServiceTitan record: "
                 f"{error}"}]

    def _drop(self, stream: str) -> None:
        reason = LATER_STREAMS.get(stream)
        if stream not in self.warned_streams:
            self.warned_streams.add(stream)
            if reason:
                self.logger.info("Records of stream '%s' are not mapped: %s", stream, reason)
            else:
                self.logger.warning(
                    "Records of unknown stream '%s' are dropped; the mapper reads %s",
                    stream, ", ".join(sorted({*OUTPUT_STREAM, *REFERENCE_STREAMS, *LATER_STREAMS})),
                )
        self.dropped[f"{stream} records ({reason or 'unknown stream'})"] += 1

    def _schema_once(self, output: str) -> list[singer.Message]:
        if output in self.schemas_sent:
            return []
        self.schemas_sent.add(output)
        return [singer.SchemaMessage(stream=output, schema=OUTPUT_SCHEMAS[output], key_properties=KEY_PROPERTIES)]


if __name__ == "__main__":
    ServiceTitanToFreshBooksMapper.cli()
