"""Copy the official ServiceTitan OpenAPI specs, keeping only the operations the simulator implements.

Paths, parameters and schemas are copied unchanged (with every schema they reference), so responses
validated against the pruned files are validated against the official definitions. Re-run after the
simulator implements more operations:

    python tests/sandbox/servicetitan/specs/prune.py [SPEC_DIR]

SPEC_DIR defaults to `../shared/reference/servicetitan-openapi` beside the repository.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
SOURCE = HERE.resolve().parents[3].parent / "shared" / "reference" / "servicetitan-openapi"
OPERATIONS = {
    "crm": ["Customers_GetList", "Customers_Get", "Customers_GetContactList", "Customers_GetModifiedContactsList",
            "ExportCustomers_GetCustomers", "ExportContacts_CustomersContacts", "Locations_GetList", "Locations_Get",
            "ExportLocations_Locations"],
    "pricebook": ["Materials_GetList", "Materials_Get", "Export_Materials", "Services_GetList", "Services_Get",
                  "Export_Services", "Equipment_GetList", "Equipment_Get", "Export_Equipment"],
    "inventory": ["Vendors_GetList", "Vendors_GetById"],
    "accounting": ["Invoices_GetList", "Export_Invoices", "Export_InvoiceItems", "Invoices_MarkAsExported",
                   "Payments_GetList", "Export_Payments", "CreditMemos_GetCreditMemosList", "InventoryBills_GetList",
                   "InventoryBills_GetListPaginated", "Export_InventoryBills", "PaymentTypes_GetList",
                   "PaymentTypes_Get", "GlAccounts_GetList", "GlAccounts_GetAccount", "TaxZones_GetList",
                   "ApBills_GetListPaginated", "ApBills_GetById", "ApBills_MarkAsExported", "ApCredits_GetList",
                   "ApCredits_MarkAsExported", "ApPayments_GetList", "ApPayments_MarkAsExported"],
}
REF = re.compile(r'"#/components/schemas/([^"]+)"')


def prune(spec: dict, operations: list[str]) -> dict:
    paths: dict = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("operationId") in operations:
                paths.setdefault(path, {})[method] = operation
    found = {op.get("operationId") for item in paths.values() for op in item.values()}
    missing = set(operations) - found
    if missing:
        raise SystemExit(f"operations not in the spec: {sorted(missing)}")
    schemas = spec["components"]["schemas"]
    wanted: set[str] = set()
    queue = REF.findall(json.dumps(paths))
    while queue:
        name = queue.pop()
        if name not in wanted:
            wanted.add(name)
            queue.extend(REF.findall(json.dumps(schemas[name])))
    components = {k: v for k, v in spec["components"].items() if k != "schemas"}
    components["schemas"] = {name: schemas[name] for name in sorted(wanted)}
    return {**{k: v for k, v in spec.items() if k not in ("paths", "components")}, "paths": paths,
            "components": components}


def main(source: Path) -> None:
    for module, operations in OPERATIONS.items():
        spec = json.loads((source / f"{module}-v2.json").read_text())
        (HERE / f"{module}-v2.json").write_text(json.dumps(prune(spec, operations), indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)
