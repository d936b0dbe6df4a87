"""What a map function gets (the run's settings and memory) and what it gives back (records, skip records)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from map_servicetitan_freshbooks.settings import MapperSettings
from map_servicetitan_freshbooks.taxes import TaxPlan
from map_servicetitan_freshbooks.values import SourceRecord

Record = dict[str, Any]

TIMING = "timing"
"""Skip category: the record waits on something in ServiceTitan (e.g. posting)."""
FILTERED = "filtered"
"""Skip category: a configured rule leaves the record out."""
UNSUPPORTED = "unsupported"
"""Skip category: the connector does not move this kind of record."""


class Output(NamedTuple):
    """A record for an output stream other than its mapping's own (the map function chooses per record)."""

    stream: str
    record: Record


@dataclass
class RunContext:
    """The settings, and this run's memory: tax zones and payment types, sent by the tap before they are used."""

    settings: MapperSettings
    zone_plans: dict[str, TaxPlan] = field(default_factory=dict)
    payment_type_names: dict[str, str] = field(default_factory=dict)
    listed_invoices: dict[str, str] = field(default_factory=dict)
    """Invoices dated before `cutover_date` listed instead of sent (`pre_cutover_invoices: list`): key → number."""


MapFunction = Callable[[SourceRecord, RunContext], list[Record | Output]]
"""Maps one source record: plain records go to the mapping's output stream, `Output`s to the stream they name."""


def skip_record(key: str, reason: str, category: str, **fields: Any) -> Record:
    """A record the target counts and writes nothing for (the contract's `skip_reason`)."""
    return {"source_key": key, "skip_reason": reason, "skip_category": category, **fields}
