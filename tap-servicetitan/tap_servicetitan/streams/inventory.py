"""Inventory streams: vendors (there is no vendor export, so a list read by `modifiedOn`)."""

from __future__ import annotations

from tap_servicetitan.stream_types import IncrementalListStream


class VendorsStream(IncrementalListStream):
    name = "vendors"
    module = "inventory"
    resource = "vendors"
