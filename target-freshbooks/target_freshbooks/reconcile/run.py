"""One reconciliation: read both systems live, compare, fill the report (costs and margins included).

FreshBooks is read with the target's client in dry-run mode (a write would not be sent) and without the
run lock or the account lease: reconcile may run beside a sync. The ledger is opened only for the stored
OAuth tokens, never for a fact about the books.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from target_freshbooks.auth import choose_account
from target_freshbooks.errors import ConfigError
from target_freshbooks.http import FreshBooksClient
from target_freshbooks.ledger.store import Ledger
from target_freshbooks.reconcile import costs
from target_freshbooks.reconcile.compare import reconcile
from target_freshbooks.reconcile.freshbooks_side import AR_RESOURCES, freshbooks_books, read_resources
from target_freshbooks.reconcile.model import Reconciliation
from target_freshbooks.reconcile.rules import Rules
from target_freshbooks.reconcile.servicetitan_side import AR_STREAMS, read_streams, servicetitan_books
from target_freshbooks.settings import Settings

SERVICETITAN_SETTINGS = {"servicetitan_tenant_id": "tenant_id", "servicetitan_api_url": "api_url",
                         "servicetitan_auth_url": "auth_url", "servicetitan_request_timeout": "request_timeout"}


def tap_config(config: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """The tap's config for reading: no start_date (reconcile reads everything and applies the scope itself)."""
    found = {tap: config[ours] for ours, tap in SERVICETITAN_SETTINGS.items() if config.get(ours) not in (None, "")}
    if "tenant_id" not in found:
        raise ConfigError("Setting servicetitan_tenant_id is missing: reconcile reads ServiceTitan itself; set it "
                          "(env TARGET_FRESHBOOKS_SERVICETITAN_TENANT_ID) to the tap's tenant_id, and "
                          "servicetitan_api_url / servicetitan_auth_url to the tap's api_url / auth_url.")
    return found


def freshbooks_reader(settings: Settings) -> tuple[FreshBooksClient, str, Ledger]:
    from target_freshbooks.run import token_manager

    ledger = Ledger(settings.ledger_url)
    try:
        client = FreshBooksClient(settings.api_url, token_manager(settings, ledger),
                                  timeout=settings.request_timeout, dry_run=True)
        account = choose_account(client.me(), settings.account_id)
    except BaseException:
        ledger.close()
        raise
    return client, account.account_id, ledger


def run_reconcile(settings: Settings, config: Mapping[str, Any], as_of: date | None = None) -> Reconciliation:
    rules = Rules.from_config(config, settings.refund_mode)
    st_config = tap_config(config, settings)
    client, account_id, ledger = freshbooks_reader(settings)
    try:
        fb_data = read_resources(client, account_id, [*AR_RESOURCES, "journal_entry_details",
                                                      *costs.FRESHBOOKS_RESOURCES])
    finally:
        ledger.close()
    st_data = read_streams(st_config, [*AR_STREAMS, *costs.SERVICETITAN_STREAMS])
    now = datetime.now(UTC)
    st, fb = servicetitan_books(st_data, rules), freshbooks_books(fb_data, rules)
    mode = rules.mode
    if mode == "auto":
        mode = "journal_entry" if fb.journal_entries and not fb.owned_invoices else "invoice"
    report = Reconciliation(generated_at=now, tenant=str(st_config["tenant_id"]), account_id=account_id,
                            mode="journal_entry" if mode == "journal_entry" else "invoice")
    reconcile(st, fb, rules, report, as_of or now.astimezone(rules.zone).date())
    report.costs = costs.purchase_costs(st_data, fb_data, zone=rules.zone)
    report.margins = costs.job_margins(st_data, fb_data, invoice_number_prefix=rules.invoice_number_prefix)
    return report
