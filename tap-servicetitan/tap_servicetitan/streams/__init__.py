"""The tap's streams, in the order they are emitted: what a record refers to comes before it."""

from __future__ import annotations

from tap_servicetitan.client import ServiceTitanStream
from tap_servicetitan.streams.accounting import (
    ApBillsStream,
    ApCreditsStream,
    ApPaymentsStream,
    CreditMemosStream,
    GLAccountsStream,
    InventoryBillsStream,
    InvoicesStream,
    PaymentsStream,
    PaymentTypesStream,
    TaxZonesStream,
)
from tap_servicetitan.streams.crm import CustomersStream, LocationsStream
from tap_servicetitan.streams.inventory import VendorsStream
from tap_servicetitan.streams.pricebook import EquipmentStream, MaterialsStream, ServicesStream

STREAM_TYPES: tuple[type[ServiceTitanStream], ...] = (
    TaxZonesStream,
    PaymentTypesStream,
    GLAccountsStream,
    CustomersStream,
    LocationsStream,
    MaterialsStream,
    ServicesStream,
    EquipmentStream,
    VendorsStream,
    InvoicesStream,
    PaymentsStream,
    CreditMemosStream,
    InventoryBillsStream,
    ApBillsStream,
    ApCreditsStream,
    ApPaymentsStream,
)

__all__ = ["STREAM_TYPES"]
