"""`target-freshbooks replay`: re-send dead letters and released review items; with `--force`, re-send the
record last written for a source key (or every repairable difference of the latest `reconcile`) to repair
drift in FreshBooks (see docs/reconcile.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from target_freshbooks.commands import config_option, load_settings
from target_freshbooks.errors import UnknownStreamError
from target_freshbooks.loader import check_stream
from target_freshbooks.run import Run
from target_freshbooks.sinks.base import Outcome


@click.command()
@config_option
@click.option("--stream", help="Only this stream.")
@click.option("--source-key", "source_keys", multiple=True, help="Only this record (repeatable).")
@click.option("--force", is_flag=True, help="Re-send the record last written for each --source-key even if unchanged "
              "(recreates what was deleted in FreshBooks, overwrites edits made there to the connector's objects).")
@click.option("--drifted", "drifted", is_flag=False, flag_value=str(Path("output") / "reconcile" / "latest.json"),
              default=None, metavar="[PATH]", help="With --force: repair every repairable difference of the latest "
              "reconcile (its latest.json; default output/reconcile/latest.json).")
def replay(config_files: tuple[str, ...], stream: str | None, source_keys: tuple[str, ...], force: bool,
           drifted: str | None) -> None:
    """Re-send dead-lettered records and released review items (all, or --stream, or --source-key),
    then retry parked records; report each outcome. Exits 1 if any of them fails again.
    With --force: re-send the records named by --source-key or --drifted, written or not."""
    settings = load_settings(config_files)
    if stream:
        check_stream(stream)
    if drifted and not force:
        raise click.UsageError("--drifted repairs what reconcile found: give it with --force")
    if force:
        from target_freshbooks.reconcile.repair import replay_forced

        sys.exit(replay_forced(settings, source_keys, drifted))
    source_key = source_keys[0] if len(source_keys) == 1 else None
    if len(source_keys) > 1:
        raise click.UsageError("give one --source-key (several only with --force)")
    run = Run.start(settings, kind="replay")
    try:
        loader = run.loader
        run.expect([*loader.ledger.open_dead_letters(stream, source_key),
                    *loader.ledger.released_reviews(stream, source_key)])
        failed_unreadable = False
        results: list[tuple[str, str, str, Outcome]] = []
        for letter in loader.ledger.open_dead_letters(stream, source_key):
            try:
                check_stream(letter.stream)
            except UnknownStreamError:
                click.echo(f"dead letter: {letter.stream} {letter.source_key} → not replayable: its stream is not "
                           "one this target accepts (an unreadable input line); fix the producer and run again")
                failed_unreadable = True
                continue
            results.append(("dead letter", letter.stream, letter.source_key, loader.load(letter.stream, letter.record)))
        for item in loader.ledger.released_reviews(stream, source_key):
            results.append(("released review", item.stream, item.source_key,
                            loader.load(item.stream, item.record, released=True)))
        loader.retry_parked()
        failed = failed_unreadable
        for kind, s, key, outcome in results:
            line = f"{kind}: {s} {key} → {outcome.value}"
            if outcome is Outcome.FAILED:
                failed = True
                letters = loader.ledger.open_dead_letters(s, key)
                if letters:
                    line += f" ({letters[0].error})"
            click.echo(line)
        if not results and not failed_unreadable:
            click.echo("Nothing to replay: no open dead letters or released review items"
                       f"{' for ' + (source_key or stream or '') if (stream or source_key) else ''}.")
        run.finish()
        click.echo(run.summary_text(), err=True)
    finally:
        run.close()
    if failed or run.loader.summary.dead_lettered:
        sys.exit(1)
