"""The ledger on PostgreSQL: migrations, tokens, lock and an idempotent run, against a throwaway cluster.

Skipped where the PostgreSQL server binaries (`initdb`, `pg_ctl`) are not installed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sandbox.testing import RunningSandbox
from target_freshbooks.ledger.store import Ledger
from target_harness import FreshBooks, authorize_target, run_target, target_config
from target_records import catalog, records


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    base = Path(tempfile.mkdtemp(prefix="fb-ledger-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres user")
        os.chown(base, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", free_port()
    try:
        subprocess.run([*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-l", str(base / "log"), "-w", "-o",
                        f"-p {port} -h 127.0.0.1 -k {base} -F", "start"], check=True, capture_output=True,
                       timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"could not start a PostgreSQL cluster: {exc}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True,
                       timeout=60, check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    name = f"ledger_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"postgresql://postgres@{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@{postgres_server}/{name}"


def test_ledger_on_postgresql(empty_sandbox: RunningSandbox, tmp_path: Path, postgres_url: str) -> None:
    config = target_config(empty_sandbox, tmp_path, ledger_url=postgres_url)
    authorize_target(config, tmp_path)
    fb = FreshBooks(empty_sandbox)
    data = records()

    first = run_target(config, catalog(data, state={"n": 1}))
    assert first.exit_code == 0 and first.states == [{"n": 1}]
    for stream, rows in data.items():
        assert first.counts(stream) == {"created": len(rows)}, stream

    fb.side.expire_tokens()  # the refresh's compare-and-swap runs on PostgreSQL too
    fb.reset_stats()
    again = run_target(config, catalog(data))
    assert fb.writes() == 0
    assert empty_sandbox.ctx.fb_stats.count("POST", "/auth/oauth/token") == 1
    assert again.counts("invoices") == {"unchanged": len(data["invoices"])}

    ledger = Ledger(postgres_url)
    try:
        assert {e.action for e in ledger.trail("default", source_key="test:invoice:100")} == {
            "create", "mark_sent", "unchanged"}
    finally:
        ledger.close()
