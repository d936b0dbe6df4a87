"""Generate the tap's stream schemas from ServiceTitan's official OpenAPI specs.

    .venv/bin/python tap-servicetitan/scripts/generate_schemas.py [--spec-dir DIR]

DIR holds ServiceTitan's OpenAPI specs (`accounting-v2.json`, `crm-v2.json`, `inventory-v2.json`,
`pricebook-v2.json`, from ServiceTitan's developer portal); it defaults to `$SERVICETITAN_OPENAPI_DIR`, else
`../shared/reference/servicetitan-openapi` beside the repository. The generated schemas are committed, so
only a change of the specs needs this script.

Each stream's JSON schema is the spec's response schema for the endpoint the stream reads (the export
shape where an export is used), with `$ref`s resolved and OpenAPI-only keywords dropped:

- types and nullability are kept exactly as the spec declares them (money that the spec types as a
  string stays a string; numbers stay numbers and are parsed as Decimal by the tap);
- `format` is kept only for `date` and `date-time` (int64, decimal, html... are not JSON Schema formats);
- `enum`, `required`, `additionalProperties` and length limits are dropped, so that a value ServiceTitan
  adds later, or a field it leaves out, does not make a validating target reject the record.

Fields the tap adds (a customer's `email`, `emails` and `phone`) are appended after generation.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC_DIR = Path(os.environ.get("SERVICETITAN_OPENAPI_DIR")
                        or REPO_ROOT.parent / "shared" / "reference" / "servicetitan-openapi")
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "tap_servicetitan" / "schemas"

# stream name -> (spec file stem, component schema name)
STREAM_SOURCES: dict[str, tuple[str, str]] = {
    "tax_zones": ("accounting-v2", "Accounting.V2.TaxZoneResponse"),
    "payment_types": ("accounting-v2", "Accounting.V2.PaymentTypeResponse"),
    "gl_accounts": ("accounting-v2", "Accounting.V2.GlAccountExtendedResponse"),
    "customers": ("crm-v2", "Crm.V2.ExportCustomerResponse"),
    "locations": ("crm-v2", "Crm.V2.ExportLocationsResponse"),
    "materials": ("pricebook-v2", "Pricebook.V2.ExportMaterialResponse"),
    "services": ("pricebook-v2", "Pricebook.V2.ExportServiceResponse"),
    "equipment": ("pricebook-v2", "Pricebook.V2.ExportEquipmentResponse"),
    "vendors": ("inventory-v2", "Inventory.V2.VendorResponse"),
    "invoices": ("accounting-v2", "Accounting.V2.ExportInvoiceResponse"),
    "payments": ("accounting-v2", "Accounting.V2.ExportPaymentResponse"),
    "credit_memos": ("accounting-v2", "Accounting.V2.CreditMemos.CreditMemoPublicResponse"),
    "inventory_bills": ("accounting-v2", "Accounting.V2.ExportInventoryBillResponse"),
    "ap_bills": ("accounting-v2", "Accounting.V2.ApBillResponse"),
    "ap_credits": ("accounting-v2", "Accounting.V2.ApCreditResponse"),
    "ap_payments": ("accounting-v2", "Accounting.V2.ApPaymentResponse"),
}

ADDED_PROPERTIES: dict[str, dict[str, Any]] = {
    "customers": {
        "email": {
            "type": ["string", "null"],
            "description": "Added by the tap: the active Email contact's value with the lowest contact id.",
        },
        "emails": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Added by the tap: every active Email contact's value, ordered by contact id.",
        },
        "phone": {
            "type": ["string", "null"],
            "description": "Added by the tap: the first active Phone or MobilePhone contact's value (by contact id).",
        },
    },
}

KEPT_FORMATS = {"date", "date-time"}


class SpecConverter:
    """Turns one OpenAPI 3.1 component schema into a self-contained JSON schema."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.components: dict[str, Any] = spec["components"]["schemas"]

    def convert(self, name: str) -> dict[str, Any]:
        return self._node(self.components[name], stack=(name,))

    def _ref(self, ref: str, stack: tuple[str, ...]) -> dict[str, Any]:
        name = ref.rsplit("/", 1)[-1]
        if name in stack:  # a recursive schema: stop at an untyped object
            return {"type": ["object", "null"]}
        return self._node(self.components[name], stack=(*stack, name))

    def _node(self, node: dict[str, Any], stack: tuple[str, ...]) -> dict[str, Any]:
        if "$ref" in node:
            out = self._ref(node["$ref"], stack)
            return _with_description(out, node)
        for combinator in ("oneOf", "anyOf", "allOf"):
            if combinator in node:
                return self._combined(node, node[combinator], stack)

        out: dict[str, Any] = {}
        types = node.get("type")
        if types is not None:
            out["type"] = list(types) if isinstance(types, list) else types
        if node.get("nullable") is True:
            out["type"] = _add_null(out.get("type"))
        if node.get("description"):
            out["description"] = node["description"]
        if node.get("format") in KEPT_FORMATS:
            out["format"] = node["format"]
        if "properties" in node:
            out["properties"] = {key: self._node(value, stack) for key, value in node["properties"].items()}
        if "items" in node:
            out["items"] = self._node(node["items"], stack)
        if "additionalProperties" in node and isinstance(node["additionalProperties"], dict):
            out["additionalProperties"] = self._node(node["additionalProperties"], stack)
        return out

    def _combined(self, node: dict[str, Any], options: list[dict[str, Any]], stack: tuple[str, ...]) -> dict[str, Any]:
        nullable = any(option.get("type") == "null" for option in options)
        concrete = [option for option in options if option.get("type") != "null"]
        if len(concrete) != 1:
            raise ValueError(f"cannot flatten a union of {len(concrete)} schemas in {stack[-1]}")
        out = self._node(concrete[0], stack)
        if nullable or node.get("nullable") is True:
            out["type"] = _add_null(out.get("type"))
        return _with_description(out, node)


def _add_null(types: Any) -> Any:
    if types is None:
        return None
    as_list = list(types) if isinstance(types, list) else [types]
    return as_list if "null" in as_list else [*as_list, "null"]


def _with_description(out: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    if node.get("description"):
        out = {**out, "description": node["description"]}
    return out


def build_schema(spec_dir: Path, stream: str) -> dict[str, Any]:
    spec_file, component = STREAM_SOURCES[stream]
    spec = json.loads((spec_dir / f"{spec_file}.json").read_text())
    schema = SpecConverter(spec).convert(component)
    schema["type"] = "object"
    schema.setdefault("properties", {}).update(ADDED_PROPERTIES.get(stream, {}))
    schema["description"] = f"{component} ({spec_file}.json)" + (
        " plus fields added by the tap" if stream in ADDED_PROPERTIES else ""
    )
    return schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec-dir", type=Path, default=DEFAULT_SPEC_DIR)
    parser.add_argument("--out-dir", type=Path, default=SCHEMA_DIR)
    args = parser.parse_args()
    missing = sorted({f"{stem}.json" for stem, _ in STREAM_SOURCES.values()
                      if not (args.spec_dir / f"{stem}.json").is_file()})
    if missing:
        parser.error(f"no ServiceTitan OpenAPI specs in {args.spec_dir} (missing {', '.join(missing)}): download "
                     "them from ServiceTitan's developer portal and pass their directory with --spec-dir DIR (or "
                     "set SERVICETITAN_OPENAPI_DIR)")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for stream in STREAM_SOURCES:
        schema = build_schema(args.spec_dir, stream)
        path = args.out_dir / f"{stream}.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        print(f"{path}: {len(schema['properties'])} properties")


if __name__ == "__main__":
    main()
