"""The Dagster recipe: every company of `meltano.yml` synced on a schedule, then reconciled, with retries and alerts.

    dagster dev -f orchestrate/definitions.py        # or a code location in a Dagster deployment

A company is a Meltano environment whose `target-freshbooks` names an `account_id` (README, Many companies): adding
one to `meltano.yml` adds its job and schedule here. Each job runs, through `dagster-meltano`,

1. `meltano --environment=<company> run tap-servicetitan servicetitan-to-freshbooks target-freshbooks`, its state
   under `<company>:tap-servicetitan-to-target-freshbooks` in the shared state backend (`MELTANO_DATABASE_URI`);
2. `meltano --environment=<company> invoke target-freshbooks:reconcile` (exit 1: the books drifted).

Every `meltano` command gets its own run directory (`isolated_run.py`), so companies run in parallel. A failed
step is retried (`RETRIES` times, `RETRY_DELAY` seconds apart: transient outages, a run lock still held); a
step that still fails raises an alert: a JSON POST (`{"text": ...}`, as Slack and most chat webhooks take it) to
`CONNECTOR_ALERT_WEBHOOK`, else an error in Dagster's log.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import urllib.request
from functools import cache
from pathlib import Path

import yaml
from dagster import (
    Backoff,
    Definitions,
    HookContext,
    JobDefinition,
    OpDefinition,
    ResourceDefinition,
    RetryPolicy,
    ScheduleDefinition,
    failure_hook,
    job,
)
from dagster_meltano import MeltanoResource, meltano_command_op

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
PIPELINE = "tap-servicetitan servicetitan-to-freshbooks target-freshbooks"
RETRIES = 2
RETRY_DELAY = 120  # seconds, doubled each time
SCHEDULE_HOUR = 3  # each company starts at 03:mm in TIMEZONE, a few minutes after the previous one
STAGGER_MINUTES = 7
TIMEZONE = os.environ.get("CONNECTOR_SCHEDULE_TIMEZONE", "America/New_York")
logger = logging.getLogger("orchestrate")


def companies(meltano_yml: Path = PROJECT / "meltano.yml") -> list[str]:
    """Environments whose target-freshbooks names an account: one per company."""
    project = yaml.safe_load(meltano_yml.read_text())
    found = []
    for environment in project.get("environments") or []:
        loaders = ((environment.get("config") or {}).get("plugins") or {}).get("loaders") or []
        if any(p.get("name") == "target-freshbooks" and (p.get("config") or {}).get("account_id") for p in loaders):
            found.append(environment["name"])
    return found


def alert(text: str) -> None:
    """Tell a person: the webhook if one is set, else Dagster's log."""
    url = os.environ.get("CONNECTOR_ALERT_WEBHOOK")
    if not url:
        logger.error("ALERT %s", text)
        return
    request = urllib.request.Request(url, data=json.dumps({"text": text}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10):
        pass


@failure_hook
def alert_on_failure(context: HookContext) -> None:
    step = "reconciliation found drift or could not run" if context.op.name.endswith("_reconcile") else "sync failed"
    error = context.op_exception
    alert(f"ServiceTitan → FreshBooks, company {context.job_name.removesuffix('_books')}: {step} "
          f"(run {context.run_id}, step {context.op.name}): {error}")


def meltano_resource() -> ResourceDefinition:
    """dagster-meltano's resource, each command started through `isolated_run.py` (its own run directory)."""
    command = f"{sys.executable} {HERE / 'isolated_run.py'}"
    return ResourceDefinition.hardcoded_resource(MeltanoResource(project_dir=str(PROJECT), meltano_bin=command))


def company_ops(company: str) -> tuple[OpDefinition, OpDefinition]:
    sync = meltano_command_op(f"--environment={company} run {PIPELINE}", dagster_name=f"{company}_sync")
    reconcile = meltano_command_op(f"--environment={company} invoke target-freshbooks:reconcile",
                                   dagster_name=f"{company}_reconcile")
    return sync, reconcile


DEFAULT_RETRY = RetryPolicy(max_retries=RETRIES, delay=RETRY_DELAY, backoff=Backoff.EXPONENTIAL)


@cache
def company_job(company: str, retry: RetryPolicy = DEFAULT_RETRY) -> JobDefinition:
    sync, reconcile = company_ops(company)

    @job(name=f"{company}_books", description=f"Sync company {company!r} to FreshBooks, then reconcile.",
         resource_defs={"meltano": meltano_resource()}, hooks={alert_on_failure},
         op_retry_policy=retry,
         tags={"company": company})
    def books() -> None:
        reconcile(after=sync())

    return books


def schedules(names: list[str]) -> list[ScheduleDefinition]:
    return [ScheduleDefinition(name=f"{name}_daily", job=company_job(name), execution_timezone=TIMEZONE,
                               cron_schedule=f"{(i * STAGGER_MINUTES) % 60} {SCHEDULE_HOUR} * * *")
            for i, name in enumerate(names)]


def build(names: list[str] | None = None) -> Definitions:
    names = companies() if names is None else names
    return Definitions(jobs=[company_job(n) for n in names], schedules=schedules(names))


defs = build()
