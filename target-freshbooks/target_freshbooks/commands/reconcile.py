"""`target-freshbooks reconcile`: do the books match? Reads ServiceTitan and FreshBooks live and compares them.

Exit status: 0 when nothing drifts (timing differences and objects made in FreshBooks are fine), 1 when
anything drifts, 2 when it could not finish (bad settings, an API unreachable).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import click

from target_freshbooks.commands import _coerce, config_option, load_settings, read_config_files
from target_freshbooks.errors import TargetError
from target_freshbooks.settings import CONFIG_SCHEMA, ENV_PREFIX

DEFAULT_OUT = Path("output") / "reconcile"
RECONCILE_SETTINGS = ("servicetitan_tenant_id", "servicetitan_api_url", "servicetitan_auth_url",
                      "servicetitan_start_date", "invoice_number_prefix", "invoice_sync_statuses",
                      "business_timezone", "reconcile_mode", "journal_account_map")


def raw_config(config_files: tuple[str, ...], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The reconcile settings from the config files and TARGET_FRESHBOOKS_<SETTING> (which wins)."""
    import os

    environ = os.environ if environ is None else environ
    config = read_config_files(config_files)
    for setting in RECONCILE_SETTINGS:
        value = environ.get(ENV_PREFIX + setting.upper())
        if value not in (None, ""):
            schema = CONFIG_SCHEMA["properties"].get(setting, {"type": "string"})
            if setting == "invoice_sync_statuses" and value.strip().startswith("["):
                config[setting] = json.loads(value)
            else:
                config[setting] = _coerce(value, schema)
    return config


def _as_of(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint="--as-of") from None


@click.command()
@config_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=str(DEFAULT_OUT), show_default=True,
              help="Directory of the reports (reconcile-<timestamp>.csv/.html and latest.json).")
@click.option("--as-of", "as_of", metavar="DATE", help="Age receivables as of this day (default: today).")
def reconcile(config_files: tuple[str, ...], out_dir: str, as_of: str | None) -> None:
    """Compare ServiceTitan's AR, invoices, payments and credits with FreshBooks' (both read live); print a
    summary, write CSV and HTML reports. Exits 0 if the books match (timing differences apart), 1 if
    anything drifts, 2 if it could not finish."""
    from requests import RequestException

    from target_freshbooks.reconcile.report_csv import summary_text, write_csv, write_latest
    from target_freshbooks.reconcile.report_html import render_html
    from target_freshbooks.reconcile.run import run_reconcile

    logging.getLogger("target-freshbooks").setLevel(logging.WARNING)
    try:
        settings = load_settings(config_files)
        report = run_reconcile(settings, raw_config(config_files), _as_of(as_of))
    except (TargetError, RequestException, OSError) as exc:
        click.echo(f"target-freshbooks reconcile: error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:  # the tap's own errors (e.g. ServiceTitan unreachable after its retries)
        click.echo(f"target-freshbooks reconcile: error: could not read both systems: {type(exc).__name__}: {exc} "
                   "(ServiceTitan is read with the settings servicetitan_tenant_id, servicetitan_api_url, "
                   "servicetitan_auth_url and the secrets in TAP_SERVICETITAN_CLIENT_ID, "
                   "TAP_SERVICETITAN_CLIENT_SECRET, TAP_SERVICETITAN_APP_KEY)", err=True)
        sys.exit(2)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = report.generated_at.strftime("%Y%m%dT%H%M%SZ")
    reports = {"CSV": str(out / f"reconcile-{stamp}.csv"), "HTML": str(out / f"reconcile-{stamp}.html"),
               "differences for replay --force --drifted": str(out / "latest.json")}
    write_csv(report, Path(reports["CSV"]))
    Path(reports["HTML"]).write_text(render_html(report))
    write_latest(report, out / "latest.json", reports)
    click.echo(summary_text(report, reports))
    sys.exit(1 if report.drifted else 0)
