"""`target-freshbooks audit`: the audit trail, the review queue (and releasing from it), dead letters,
parked records, past runs. Reads the ledger only: no FreshBooks call, no token key needed."""

from __future__ import annotations

import json
from typing import Any

import click

from target_freshbooks.commands import config_option, load_settings
from target_freshbooks.ledger.models import RunHistory
from target_freshbooks.ledger.run_history import list_runs
from target_freshbooks.ledger.store import Ledger
from target_freshbooks.progress import duration

RUN_COLUMNS = ["run", "kind", "status", "started", "duration", "records", "created", "updated", "failed",
               "left_behind", "calls", "rate_limited"]


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def _outcome(run: RunHistory, outcome: str) -> int:
    return sum(int(per_outcome.get(outcome, 0)) for per_outcome in (run.counts or {}).values())


def run_row(run: RunHistory) -> dict[str, Any]:
    """One line of `audit --runs`: a run's figures, outcomes summed over its streams."""
    calls = run.calls or {}
    return {"run": run.run_id, "kind": run.kind, "status": run.status, "started": _when(run.started_at),
            "duration": duration(run.seconds) if run.seconds is not None else "", "records": run.records,
            "created": _outcome(run, "created"), "updated": _outcome(run, "updated"),
            "failed": _outcome(run, "failed"), "left_behind": sum((run.left_behind or {}).values()),
            "calls": calls.get("total", 0), "rate_limited": calls.get("429", 0), "account": run.account_id,
            "error": run.error, "counts": run.counts, "calls_by": calls}


def _emit(rows: list[dict[str, Any]], columns: list[str], as_json: bool, empty: str) -> None:
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, default=str))
        return
    if not rows:
        click.echo(empty)
        return
    widths = {c: max(len(c), *(len(str(r.get(c) if r.get(c) is not None else "")) for r in rows)) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        click.echo("  ".join(str(row.get(c) if row.get(c) is not None else "").ljust(widths[c])
                             for c in columns).rstrip())


@click.command()
@config_option
@click.option("--source-key", help="Trail of this record (and of its sub-records, e.g. payment applications).")
@click.option("--freshbooks-id", help="Trail of this FreshBooks object id.")
@click.option("--stream", help="Restrict to one stream.")
@click.option("--review", is_flag=True, help="Show the review queue (open items).")
@click.option("--release", "release_key", metavar="SOURCE_KEY",
              help="Release the review item of SOURCE_KEY; `replay` then writes it.")
@click.option("--dead-letters", is_flag=True, help="Show open dead letters with FreshBooks' errors.")
@click.option("--parked", is_flag=True, help="Show parked records and what they wait on.")
@click.option("--runs", is_flag=True, help="List past runs, newest first, with their figures.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Runs --runs lists.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit(config_files: tuple[str, ...], source_key: str | None, freshbooks_id: str | None, stream: str | None,
          review: bool, release_key: str | None, dead_letters: bool, parked: bool, runs: bool, limit: int,
          as_json: bool) -> None:
    """Show what the target did, and what waits for a person."""
    settings = load_settings(config_files)
    ledger = Ledger(settings.ledger_url)
    tenant, account = settings.tenant, settings.account_id
    try:
        if release_key:
            items = ledger.release_review(tenant, release_key, account_id=account, stream=stream)
            if not items:
                raise click.ClickException(f"No open review item for {release_key!r}"
                                           f"{' in stream ' + stream if stream else ''}.")
            for item in items:
                click.echo(f"Released {item.stream} {item.source_key} (reason: {item.reason}). "
                           "Run `target-freshbooks replay` to write it.")
            return
        if review:
            rows = [{"stream": i.stream, "source_key": i.source_key, "released": i.released, "reason": i.reason,
                     "since": _when(i.created_at), "account": i.account_id}
                    for i in ledger.reviews(tenant, account_id=account) if not stream or i.stream == stream]
            _emit(rows, ["stream", "source_key", "released", "since", "reason"], as_json, "The review queue is empty.")
            return
        if dead_letters:
            rows = [{"stream": d.stream, "source_key": d.source_key, "status": d.http_status, "errno": d.errno,
                     "field": d.field, "attempts": d.attempts, "since": _when(d.created_at), "error": d.error}
                    for d in ledger.dead_letters(tenant, account_id=account) if not stream or d.stream == stream]
            _emit(rows, ["stream", "source_key", "status", "errno", "field", "attempts", "error"], as_json,
                  "No open dead letters.")
            return
        if runs:
            rows = [run_row(run) for run in list_runs(ledger, tenant, account_id=account, limit=limit)]
            _emit(rows, RUN_COLUMNS, as_json, "No runs recorded yet.")
            failed = [row for row in rows if row["status"] == "failed" and row["error"]]
            if failed and not as_json:
                click.echo("Failed runs:")
                for row in failed:
                    click.echo(f"  {row['run']}: {row['error']}")
            return
        if parked:
            rows = [{"stream": p.stream, "source_key": p.source_key, "waiting_on": f"{p.waiting_stream} "
                     f"{p.waiting_key}", "attempts": p.attempts, "since": _when(p.created_at), "reason": p.reason}
                    for p in ledger.parked(tenant, account_id=account) if not stream or p.stream == stream]
            _emit(rows, ["stream", "source_key", "waiting_on", "attempts", "since"], as_json, "No parked records.")
            return
        if not source_key and not freshbooks_id:
            raise click.UsageError("Give --source-key or --freshbooks-id (or --review, --release, --dead-letters, "
                                   "--parked, --runs).")
        entries = ledger.trail(tenant, account_id=account, source_key=source_key, freshbooks_id=freshbooks_id,
                               stream=stream, include_children=True)
        rows = [{"at": _when(e.at), "run": e.run_id, "stream": e.stream, "source_key": e.source_key,
                 "action": e.action, "freshbooks_id": e.freshbooks_id, "status": e.http_status,
                 "detail": e.error or e.detail, "account": e.account_id} for e in entries]
        _emit(rows, ["at", "run", "stream", "source_key", "action", "freshbooks_id", "status", "detail"], as_json,
              "No audit entries.")
    finally:
        ledger.close()
