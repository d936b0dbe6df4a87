"""The mapper's settings: the JSON schema users see in `--about`, and the validated settings the code uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from singer_sdk import typing as th

from map_servicetitan_freshbooks.payment_types import DEFAULT_PAYMENT_TYPE_MAP, FRESHBOOKS_PAYMENT_TYPES
from map_servicetitan_freshbooks.values import BusinessCalendar

MISSING_ITEM_POLICIES = ("create", "review")
TAX_ROUNDING_MODES = ("per_line", "per_invoice")
MALFORMED_RECORD_POLICIES = ("review", "fail")
DEFAULT_SYNC_STATUSES = ("Posted", "Exported")
UNAPPLIED_PAYMENT_POLICIES = ("credit", "review")
ADJUSTMENT_MODES = ("credit_note", "negative_invoice")
INVOICE_MODES = ("invoice", "journal_entry")
PRE_CUTOVER_MODES = ("sync", "list")
JOURNAL_REQUIRED_ROLES = ("accounts_receivable", "undeposited_funds", "revenue_default", "sales_tax")
MISSING_VENDOR_POLICIES = ("review", "create")
BILL_NUMBER_SOURCES = ("referenceNumber", "vendorNumber")
EXPENSE_CATEGORY_ROLES = ("tax", "shipping", "other", "rounding")
DEFAULT_EXPENSE_CATEGORY = "Cost of Goods Sold"

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "business_timezone",
        th.StringType,
        required=True,
        title="Business time zone",
        description=(
            "IANA time zone of the business (e.g. `America/Los_Angeles`). ServiceTitan date-times are UTC; "
            "invoice and payment dates are the calendar dates in this zone."
        ),
        examples=["America/Los_Angeles", "America/New_York"],
    ),
    th.Property(
        "midnight_utc_is_date",
        th.BooleanType,
        default=True,
        description=(
            "ServiceTitan types calendar dates (invoice, due and payment dates) as date-times at midnight UTC. "
            "When true, a value at exactly 00:00:00 UTC keeps its own date instead of being moved into "
            "`business_timezone` (which would date it a day early in the Americas)."
        ),
    ),
    th.Property(
        "currency_code",
        th.StringType,
        default="USD",
        description="ISO 4217 currency of every client, invoice, item and payment.",
    ),
    th.Property(
        "invoice_number_prefix",
        th.StringType,
        default="ST-",
        description="Prefix of FreshBooks invoice numbers; the rest is the ServiceTitan `referenceNumber`.",
    ),
    th.Property(
        "invoice_sync_statuses",
        th.ArrayType(th.StringType),
        default=list(DEFAULT_SYNC_STATUSES),
        description=(
            "ServiceTitan `syncStatus` values (case-insensitive) of the invoices that sync; others are skipped "
            "(logged). Inactive (voided) invoices always pass, as deletions."
        ),
    ),
    th.Property(
        "sync_zero_total_invoices",
        th.BooleanType,
        default=True,
        description="Whether invoices whose ServiceTitan `total` is 0 sync.",
    ),
    th.Property(
        "include_non_chargeable_lines",
        th.BooleanType,
        default=True,
        description=(
            "Whether invoice items with `isChargeable: false` appear as $0 lines (true) or are left out (false)."
        ),
    ),
    th.Property(
        "price_modifiers_as_discounts",
        th.BooleanType,
        default=True,
        description=(
            "Whether `PriceModifier` items become discount lines (negative unit cost, named after the "
            "modifier) whatever the sign ServiceTitan gives them; false keeps ServiceTitan's sign (for fees)."
        ),
    ),
    th.Property(
        "missing_item_policy",
        th.StringType(allowed_values=list(MISSING_ITEM_POLICIES)),
        default="create",
        description=(
            "What the target does with an invoice line whose pricebook item is not in FreshBooks: `create` it "
            "from the line's fallback fields, or hold the invoice for `review`."
        ),
    ),
    th.Property(
        "freshbooks_tax_rounding",
        th.StringType(allowed_values=list(TAX_ROUNDING_MODES)),
        default="per_line",
        description=(
            "How FreshBooks rounds tax: `per_line` (each line's tax half-up to the cent) or `per_invoice` "
            "(all lines' taxes summed, then rounded once). Set it to what the FreshBooks account does "
            "(the simulator's `tax_rounding`): the rounding line is computed with it."
        ),
    ),
    th.Property(
        "rounding_line_name",
        th.StringType,
        default="Sales tax rounding adjustment",
        description=(
            "Name of the untaxed line that makes the FreshBooks total equal the ServiceTitan total to the cent."
        ),
    ),
    th.Property(
        "malformed_record_policy",
        th.StringType(allowed_values=list(MALFORMED_RECORD_POLICIES)),
        default="review",
        description=(
            "What a malformed record (unparsable money or date, a missing invoice id in an application...) "
            "becomes: `review` sends a record with only its source key and a `review_reason` naming the stream, "
            "record id and field (the target holds it for a person); `fail` stops the run with that message. "
            "A record without an id always stops the run: it cannot be given a source key."
        ),
    ),
    th.Property(
        "unapplied_payment_policy",
        th.StringType(allowed_values=list(UNAPPLIED_PAYMENT_POLICIES)),
        default="credit",
        description=(
            "What becomes of the part of a payment applied to no invoice (`unappliedAmount`, e.g. an "
            "overpayment): `credit` sends it as the payment's `unapplied` amount, which the target keeps as the "
            "client's prepayment credit note; `review` sends it too but holds the payment for a person, with a "
            "`review_reason` naming the remainder."
        ),
    ),
    th.Property(
        "credit_number_prefix",
        th.StringType,
        default="",
        description=(
            "Prefix of the FreshBooks credit note numbers of ServiceTitan credit memos; the rest is the memo's "
            "`referenceNumber` (its id if it has none). Adjustment invoices use `invoice_number_prefix`."
        ),
    ),
    th.Property(
        "adjustment_mode",
        th.StringType(allowed_values=list(ADJUSTMENT_MODES)),
        default="credit_note",
        description=(
            "What an adjustment invoice with a negative total (`adjustmentToId` set) becomes: `credit_note` "
            "(a goodwill credit note with the invoice's lines negated, left as the client's credit) or "
            "`negative_invoice` (an invoice with negative lines, as ServiceTitan shows it)."
        ),
    ),
    th.Property(
        "invoice_mode",
        th.StringType(allowed_values=list(INVOICE_MODES)),
        default="invoice",
        description=(
            "`invoice` (default): ServiceTitan invoices, payments and credit memos become FreshBooks invoices, "
            "payments and credit notes. `journal_entry`: each becomes one balanced FreshBooks journal entry "
            "(stream `journal_entries`), posted to the accounts of `journal_account_map`; needs "
            "`journal_cutover_date`. See README: what journal mode costs."
        ),
    ),
    th.Property(
        "journal_account_map",
        th.ObjectType(additional_properties=th.StringType),
        default={},
        description=(
            "ServiceTitan GL account number or name (case-insensitive) → FreshBooks sub-account number or name, "
            "plus the role keys `accounts_receivable`, `undeposited_funds`, `revenue_default`, `sales_tax` "
            "(required in journal mode) and `customer_credit`, `credit_memos`, `discounts`, `rounding`, "
            "`revenue_service`, `revenue_material`, `revenue_equipment` (optional)."
        ),
    ),
    th.Property(
        "journal_cutover_date",
        th.StringType,
        default="",
        description=(
            "`YYYY-MM-DD` (empty: none): documents dated before it are in invoice mode, those on or after it in "
            "journal mode, whichever `invoice_mode` is set (the other mode's documents are skip records), so no "
            "document is ever both. Required with `invoice_mode: journal_entry`."
        ),
    ),
    th.Property(
        "payment_type_map",
        th.ObjectType(additional_properties=th.StringType),
        default={},
        description=(
            "ServiceTitan payment type name (case-insensitive) → FreshBooks payment type, merged over the "
            "built-in table (see README). Unmapped names become `Other`."
        ),
    ),
    th.Property(
        "cutover_date",
        th.StringType,
        default="",
        description=(
            "`YYYY-MM-DD` (empty: none): the first day whose invoices FreshBooks gets from this connector, when "
            "the FreshBooks account already holds the history before it (invoices entered by hand, or an "
            "opening balance). What becomes of the invoices dated before it is `pre_cutover_invoices`."
        ),
    ),
    th.Property(
        "pre_cutover_invoices",
        th.StringType(allowed_values=list(PRE_CUTOVER_MODES)),
        default="sync",
        description=(
            "What the first run brings for invoices dated before `cutover_date`: `sync` (default) sends them "
            "like any invoice; `list` sends none of them, only skip records (category `filtered`) whose `detail` "
            "gives each invoice's number and balance for the bookkeeper, and skips the payments and credit memos "
            "applied only to them. Needs `cutover_date`."
        ),
    ),
    th.Property(
        "missing_vendor_policy",
        th.StringType(allowed_values=list(MISSING_VENDOR_POLICIES)),
        default="review",
        description=(
            "What the target does with a ServiceTitan vendor it finds no FreshBooks bill vendor for (by name, "
            "email or account number): `review` (default) holds it, and its bills, in the review queue, so bills "
            "flow only for vendors registered in FreshBooks; `create` creates the vendor."
        ),
    ),
    th.Property(
        "expense_category_map",
        th.ObjectType(additional_properties=th.StringType),
        default={},
        description=(
            "ServiceTitan GL account number or name (case-insensitive; the number is tried first) of a bill line "
            "→ FreshBooks expense category name, plus the role keys `tax`, `shipping`, `other` (a bill's tax, "
            "shipping and other-charges lines) and `rounding`. Anything unmapped gets `default_expense_category`."
        ),
    ),
    th.Property(
        "default_expense_category",
        th.StringType,
        default=DEFAULT_EXPENSE_CATEGORY,
        description=(
            "FreshBooks expense category of the bill lines `expense_category_map` does not place. The default, "
            "`Cost of Goods Sold`, is one of FreshBooks' standard categories: ServiceTitan bills buy stock for jobs."
        ),
    ),
    th.Property(
        "bill_number_source",
        th.StringType(allowed_values=list(BILL_NUMBER_SOURCES)),
        default="referenceNumber",
        description=(
            "Which ServiceTitan field becomes the FreshBooks `bill_number`: `referenceNumber` (default: "
            "ServiceTitan's own bill number, unique in the tenant) or `vendorNumber` (the vendor's invoice number, "
            "`referenceNumber` when blank)."
        ),
    ),
    th.Property(
        "bill_payment_type_map",
        th.ObjectType(additional_properties=th.StringType),
        default={},
        description=(
            "ServiceTitan AP payment `method` (case-insensitive; the API's values are `AccountingSystem` and "
            "`ServiceTitan`) → FreshBooks payment type, merged over the built-in payment type table (see README). "
            "An unmapped method gives `Check` when ServiceTitan printed a check (`printCheck`), else `Other`. "
            "AP credits are always `Credit`."
        ),
    ),
).to_dict()


@dataclass(frozen=True)
class MapperSettings:
    """Validated settings."""

    business_timezone: ZoneInfo
    midnight_utc_is_date: bool
    currency_code: str
    invoice_number_prefix: str
    invoice_sync_statuses: frozenset[str]
    sync_zero_total_invoices: bool
    include_non_chargeable_lines: bool
    price_modifiers_as_discounts: bool
    missing_item_policy: str
    freshbooks_tax_rounding: str
    rounding_line_name: str
    malformed_record_policy: str
    payment_type_map: Mapping[str, str]
    unapplied_payment_policy: str
    credit_number_prefix: str
    adjustment_mode: str
    invoice_mode: str = "invoice"
    journal_account_map: Mapping[str, str] = field(default_factory=dict)
    """Lower-cased ServiceTitan GL number/name or role → FreshBooks sub-account number or name."""
    journal_cutover_date: date | None = None
    cutover_date: date | None = None
    pre_cutover_invoices: str = "sync"
    missing_vendor_policy: str = "review"
    expense_category_map: Mapping[str, str] = field(default_factory=dict)
    """Lower-cased ServiceTitan GL number/name or role → FreshBooks expense category name."""
    default_expense_category: str = DEFAULT_EXPENSE_CATEGORY
    bill_number_source: str = "referenceNumber"
    bill_payment_type_map: Mapping[str, str] = field(default_factory=dict)

    @property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(self.business_timezone, self.midnight_utc_is_date)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MapperSettings:
        """Validate a config dict (already checked against `CONFIG_SCHEMA`); raise ValueError naming the setting."""
        return cls(
            business_timezone=_time_zone(config.get("business_timezone")),
            midnight_utc_is_date=bool(config.get("midnight_utc_is_date", True)),
            currency_code=_currency(config.get("currency_code", "USD")),
            invoice_number_prefix=str(config.get("invoice_number_prefix", "ST-") or ""),
            invoice_sync_statuses=frozenset(
                str(status).strip().lower() for status in config.get("invoice_sync_statuses", DEFAULT_SYNC_STATUSES)
            ),
            sync_zero_total_invoices=bool(config.get("sync_zero_total_invoices", True)),
            include_non_chargeable_lines=bool(config.get("include_non_chargeable_lines", True)),
            price_modifiers_as_discounts=bool(config.get("price_modifiers_as_discounts", True)),
            missing_item_policy=_choice(config, "missing_item_policy", "create", MISSING_ITEM_POLICIES),
            freshbooks_tax_rounding=_choice(config, "freshbooks_tax_rounding", "per_line", TAX_ROUNDING_MODES),
            rounding_line_name=_non_empty(config, "rounding_line_name", "Sales tax rounding adjustment"),
            malformed_record_policy=_choice(config, "malformed_record_policy", "review", MALFORMED_RECORD_POLICIES),
            payment_type_map=_payment_type_map(config.get("payment_type_map") or {}),
            missing_vendor_policy=_choice(config, "missing_vendor_policy", "review", MISSING_VENDOR_POLICIES),
            expense_category_map=_expense_category_map(config.get("expense_category_map") or {}),
            default_expense_category=_non_empty(config, "default_expense_category", DEFAULT_EXPENSE_CATEGORY),
            bill_number_source=_choice(config, "bill_number_source", "referenceNumber", BILL_NUMBER_SOURCES),
            bill_payment_type_map=_payment_type_map(config.get("bill_payment_type_map") or {},
                                                    "bill_payment_type_map"),
            unapplied_payment_policy=_choice(config, "unapplied_payment_policy", "credit", UNAPPLIED_PAYMENT_POLICIES),
            credit_number_prefix=_text(config, "credit_number_prefix", ""),
            adjustment_mode=_choice(config, "adjustment_mode", "credit_note", ADJUSTMENT_MODES),
            **_journal(config),
            **_cutover(config),
        )


def _journal(config: Mapping[str, Any]) -> dict[str, Any]:
    """`invoice_mode`, `journal_account_map` and `journal_cutover_date`, checked together."""
    mode = _choice(config, "invoice_mode", "invoice", INVOICE_MODES)
    raw_map = config.get("journal_account_map") or {}
    if not isinstance(raw_map, Mapping):
        raise ValueError("setting 'journal_account_map' must be an object: ServiceTitan GL account or role → "
                         "FreshBooks sub-account")
    accounts = {str(key).strip().lower(): str(value).strip() for key, value in raw_map.items()
                if str(value or "").strip()}
    raw_date = config.get("journal_cutover_date")
    cutover = None
    if raw_date not in (None, ""):
        try:
            cutover = date.fromisoformat(str(raw_date)[:10])
        except ValueError:
            raise ValueError(f"setting 'journal_cutover_date': {raw_date!r} is not a date (YYYY-MM-DD; "
                             f"{_where('journal_cutover_date')})") from None
    if mode == "journal_entry":
        if cutover is None:
            raise ValueError(
                "setting 'journal_cutover_date' is required with invoice_mode 'journal_entry': documents dated "
                "before it stay in invoice mode and those on or after it are posted as journal entries, so no "
                "document is ever both an invoice and a journal entry"
            )
        missing = [role for role in JOURNAL_REQUIRED_ROLES if role not in accounts]
        if missing:
            raise ValueError(f"setting 'journal_account_map' needs the role key(s) {', '.join(missing)} with "
                             "invoice_mode 'journal_entry' (each naming a FreshBooks sub-account number or name)")
    return {"invoice_mode": mode, "journal_account_map": accounts, "journal_cutover_date": cutover}


def _cutover(config: Mapping[str, Any]) -> dict[str, Any]:
    """`cutover_date` and `pre_cutover_invoices`, checked together."""
    mode = _choice(config, "pre_cutover_invoices", "sync", PRE_CUTOVER_MODES)
    raw_date = config.get("cutover_date")
    cutover = None
    if raw_date not in (None, ""):
        try:
            cutover = date.fromisoformat(str(raw_date).strip())
        except ValueError:
            raise ValueError(f"setting 'cutover_date': {raw_date!r} is not a date (YYYY-MM-DD; "
                             f"{_where('cutover_date')})") from None
    if mode == "list" and cutover is None:
        raise ValueError("setting 'cutover_date' is required with pre_cutover_invoices 'list': the invoices dated "
                         "before it are listed for the bookkeeper instead of sent")
    return {"cutover_date": cutover, "pre_cutover_invoices": mode}


def _where(name: str) -> str:
    """Where a setting is fixed: the mapper plugin's config in meltano.yml, or its environment variable."""
    return f"set {name} in meltano.yml or env MAP_SERVICETITAN_FRESHBOOKS_{name.upper()}"


def _time_zone(name: Any) -> ZoneInfo:
    if not name or not isinstance(name, str):
        raise ValueError(
            "setting 'business_timezone' is required: the IANA time zone of the business, e.g. 'America/New_York' "
            f"({_where('business_timezone')})"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"setting 'business_timezone': {name!r} is not an IANA time zone name; use e.g. 'America/Chicago' "
            f"({_where('business_timezone')})"
        ) from None


def _currency(code: Any) -> str:
    text = str(code or "").strip().upper()
    if len(text) != 3 or not text.isalpha():
        raise ValueError(f"setting 'currency_code': {code!r} is not an ISO 4217 code such as 'USD' "
                         f"({_where('currency_code')})")
    return text


def _choice(config: Mapping[str, Any], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = config.get(name, default)
    if value not in allowed:
        raise ValueError(f"setting '{name}': {value!r} is not one of {', '.join(allowed)} ({_where(name)})")
    return str(value)


def _text(config: Mapping[str, Any], name: str, default: str) -> str:
    value = config.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ValueError(f"setting '{name}': {value!r} is not a string ({_where(name)})")
    return value


def _non_empty(config: Mapping[str, Any], name: str, default: str) -> str:
    value = str(config.get(name, default) or "").strip()
    if not value:
        raise ValueError(f"setting '{name}' must not be empty (default {default!r}; {_where(name)})")
    return value


def _expense_category_map(raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise ValueError("setting 'expense_category_map' must be an object: ServiceTitan GL account number or name, "
                         f"or a role ({', '.join(EXPENSE_CATEGORY_ROLES)}) → FreshBooks expense category name")
    table = {}
    for key, value in raw.items():
        category = str(value or "").strip()
        if not category:
            raise ValueError(f"setting 'expense_category_map': {key!r} maps to no category name "
                             f"({_where('expense_category_map')})")
        table[str(key).strip().lower()] = category
    return table


def _payment_type_map(overrides: Mapping[str, Any], setting: str = "payment_type_map") -> dict[str, str]:
    by_lower = {fb_type.lower(): fb_type for fb_type in FRESHBOOKS_PAYMENT_TYPES}
    table = {name.lower(): fb_type for name, fb_type in DEFAULT_PAYMENT_TYPE_MAP.items()}
    for name, fb_type in overrides.items():
        canonical = by_lower.get(str(fb_type).strip().lower())
        if canonical is None:
            raise ValueError(
                f"setting '{setting}': {name!r} maps to {fb_type!r}, which is not a FreshBooks payment "
                f"type; use one of {', '.join(FRESHBOOKS_PAYMENT_TYPES)}"
            )
        table[str(name).strip().lower()] = canonical
    return table

