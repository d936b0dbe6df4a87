"""Pricebook streams: materials, services and equipment (each SKU's `code` is its item number)."""

from __future__ import annotations

from tap_servicetitan.stream_types import ExportStream


class MaterialsStream(ExportStream):
    name = "materials"
    module = "pricebook"
    resource = "export/materials"


class ServicesStream(ExportStream):
    name = "services"
    module = "pricebook"
    resource = "export/services"


class EquipmentStream(ExportStream):
    name = "equipment"
    module = "pricebook"
    resource = "export/equipment"
