"""The `sandbox` command: serve the simulators, seed them, and tell how to reach them."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from sandbox import credentials
from sandbox.context import SandboxContext
from sandbox.settings import apply_overrides, parse_pairs

DEFAULT_DB = Path(".sandbox") / "sandbox.db"


def db_option(func):  # type: ignore[no-untyped-def]
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=lambda: Path(os.environ.get("SANDBOX_DB", str(DEFAULT_DB))),
        show_default=f"$SANDBOX_DB or {DEFAULT_DB}",
        help="SQLite file holding both simulators' data.",
    )(func)


def open_context(db_path: Path, st: tuple[str, ...] = (), fb: tuple[str, ...] = ()) -> SandboxContext:
    ctx = SandboxContext.open(db_path)
    try:
        apply_overrides(ctx.st, parse_pairs(st))
        apply_overrides(ctx.fb, parse_pairs(fb))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    return ctx


@click.group()
@click.version_option(package_name="fieldbooks-sandbox")
def main() -> None:
    """Local simulators of the ServiceTitan and FreshBooks APIs."""


@main.command()
@db_option
@click.option("--host", default=lambda: os.environ.get("SANDBOX_HOST", "127.0.0.1"), show_default="127.0.0.1")
@click.option("--st-port", type=int, default=lambda: int(os.environ.get("SANDBOX_ST_PORT", 8701)),
              show_default="$SANDBOX_ST_PORT or 8701")
@click.option("--fb-port", type=int, default=lambda: int(os.environ.get("SANDBOX_FB_PORT", 8702)),
              show_default="$SANDBOX_FB_PORT or 8702")
@click.option("--st", multiple=True, metavar="FIELD=VALUE", help="A ServiceTitan simulator setting.")
@click.option("--fb", multiple=True, metavar="FIELD=VALUE", help="A FreshBooks simulator setting.")
@click.option("--latency-ms", type=float, default=None, help="Added to every answer of both simulators.")
@click.option("--jitter-ms", type=float, default=None, help="Random spread (±) around --latency-ms.")
@click.option("--faults", default=lambda: os.environ.get("SANDBOX_FAULTS", ""), metavar="SPEC",
              help="Fault injection, e.g. 'seed=7,st.rate_429=0.02,fb.rate_timeout_after_write=0.05' "
                   "(fields without st./fb. apply to both). Env: SANDBOX_FAULTS.")
def serve(db_path: Path, host: str, st_port: int, fb_port: int, st: tuple[str, ...], fb: tuple[str, ...],
          latency_ms: float | None, jitter_ms: float | None, faults: str) -> None:
    """Serve both simulators on loopback until interrupted."""
    from sandbox.server import SandboxServer

    if host not in {"127.0.0.1", "localhost", "::1"} and not host.startswith("127."):
        raise click.BadParameter("the sandbox serves on loopback only", param_hint="--host")
    ctx = open_context(db_path, st, fb)
    spec = ",".join(part for part in (
        faults,
        f"latency_ms={latency_ms}" if latency_ms is not None else "",
        f"jitter_ms={jitter_ms}" if jitter_ms is not None else "",
    ) if part)
    try:
        ctx.configure_faults(spec)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from exc
    server = SandboxServer(ctx, host=host, st_port=st_port, fb_port=fb_port)
    click.echo(f"ServiceTitan simulator: {server.st_url}  (auth: {server.st_url}/connect/token)")
    click.echo(f"FreshBooks simulator:   {server.fb_url}  (authorize: {server.fb_url}/oauth/authorize)")
    click.echo(f"Data: {db_path}   Press Ctrl+C to stop.")
    sys.stdout.flush()
    server.run()


@main.command()
@db_option
@click.option("--seed", "seed_number", type=int, default=42, show_default=True, help="Random seed.")
@click.option("--invoices", type=int, default=2000, show_default=True, help="ServiceTitan invoices to create.")
@click.option("--customers", type=int, default=None, help="ServiceTitan customers (default: about invoices/3).")
@click.option("--as-of", type=click.DateTime(), default=None,
              help="Simulated 'now' the history ends at (default 2026-10-31 17:00 UTC).")
@click.option("--keep", is_flag=True, help="Add to existing data instead of starting afresh.")
def seed(db_path: Path, seed_number: int, invoices: int, customers: int | None,
         as_of: datetime | None, keep: bool) -> None:
    """Fill both simulators with a realistic plumbing and HVAC company, deterministically."""
    from sandbox.seeding import seed_all

    if not keep and db_path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    ctx = open_context(db_path)
    started = time.perf_counter()
    summary = seed_all(
        ctx,
        seed=seed_number,
        invoices=invoices,
        customers=customers,
        as_of=as_of.replace(tzinfo=UTC) if as_of else None,
    )
    elapsed = time.perf_counter() - started
    for name, count in summary.items():
        click.echo(f"  {name:<28} {count:>8}")
    click.echo(f"Seeded {db_path} in {elapsed:.1f} s (seed {seed_number}).")


@main.command()
@db_option
@click.option("--days", type=click.IntRange(1, 3660), required=True, help="Simulated days to advance the clock by.")
@click.option("--seed", "seed_number", type=int, default=None,
              help="Random seed (default: derived from the seeding seed and the clock, so runs differ but repeat).")
@click.option("--volume", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Multiplies every per-day rate.")
@click.option("--per-day", multiple=True, metavar="KIND=RATE",
              help="Average changes of one kind per day, e.g. jobs=20 (a wrong kind lists the kinds).")
@click.option("--email-change-touches-customer/--email-change-leaves-customer", default=False, show_default=True,
              help="Whether a contact's new email also moves its customer's modifiedOn.")
@click.option("--post-after-days", type=click.IntRange(0, 3660), default=3, show_default=True,
              help="As each day closes, Pending invoices invoiced more than this many days before are posted.")
@click.option("--no-posting", is_flag=True, help="Post no invoices: they stay Pending.")
def activity(db_path: Path, days: int, seed_number: int | None, volume: float, per_day: tuple[str, ...],
             email_change_touches_customer: bool, post_after_days: int, no_posting: bool) -> None:
    """Advance ServiceTitan's simulated clock by DAYS of business: new customers, jobs, payments, edits..."""
    from sandbox.servicetitan.activity import ActivityOptions, NotSeeded, run_activity

    if not db_path.exists():
        raise click.ClickException(f"{db_path} does not exist: run `sandbox seed --db {db_path}` first")
    try:
        options = ActivityOptions.parse(volume, parse_pairs(per_day), email_change_touches_customer,
                                        None if no_posting else post_after_days)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--per-day") from exc
    ctx = open_context(db_path)
    try:
        summary = run_activity(ctx, days, seed=seed_number, options=options)
    except NotSeeded as exc:
        raise click.ClickException(f"{db_path}: {exc}") from exc
    finally:
        ctx.store.close()
    click.echo(f"ServiceTitan activity {summary['from']} -> {summary['to']} (seed {summary['seed']})")
    for name, count in summary["changes"].items():
        click.echo(f"  {name:<32} {count:>6}")
    click.echo("Records changed: " + ", ".join(f"{kind} {n}" for kind, n in summary["records"].items()))


@main.command()
def info() -> None:
    """Print the sandbox's fixed credentials and default URLs."""
    st_port = os.environ.get("SANDBOX_ST_PORT", "8701")
    fb_port = os.environ.get("SANDBOX_FB_PORT", "8702")
    click.echo("ServiceTitan simulator")
    click.echo(f"  api_url / auth_url: http://127.0.0.1:{st_port}")
    click.echo(f"  tenant_id:      {credentials.ST_TENANT_ID}")
    click.echo(f"  client_id:      {credentials.ST_CLIENT_ID}")
    click.echo(f"  client_secret:  {credentials.ST_CLIENT_SECRET}")
    click.echo(f"  app_key:        {credentials.ST_APP_KEY}")
    click.echo("FreshBooks simulator")
    click.echo(f"  api_url / auth_url: http://127.0.0.1:{fb_port}")
    click.echo(f"  client_id:      {credentials.FB_CLIENT_ID}")
    click.echo(f"  client_secret:  {credentials.FB_CLIENT_SECRET}")
    click.echo(f"  redirect_uri:   {credentials.FB_REDIRECT_URI}")
    click.echo(f"  account_id:     {credentials.FB_ACCOUNT_ID}")


if __name__ == "__main__":  # pragma: no cover
    main()
