"""`target-freshbooks replay`: re-send dead letters and released review items."""

from __future__ import annotations

import sys

import click

from target_freshbooks.commands import config_option, load_settings
from target_freshbooks.errors import UnknownStreamError
from target_freshbooks.loader import check_stream
from target_freshbooks.run import Run
from target_freshbooks.sinks.base import Outcome


@click.command()
@config_option
@click.option("--stream", help="Only this stream.")
@click.option("--source-key", help="Only this record.")
def replay(config_files: tuple[str, ...], stream: str | None, source_key: str | None) -> None:
    """Re-send dead-lettered records and released review items (all, or --stream, or --source-key),
    then retry parked records; report each outcome. Exits 1 if any of them fails again."""
    settings = load_settings(config_files)
    if stream:
        check_stream(stream)
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
