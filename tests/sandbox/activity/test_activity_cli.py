"""`sandbox activity` on the command line, and the route's answers to bad requests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sandbox.context import SandboxContext
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.times import parse_time
from sandbox.testing import RunningSandbox


def sandbox_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sandbox.cli", *args], capture_output=True, text=True, timeout=120)


def test_cli_advances_two_days(seeded_template: Path, tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    shutil.copyfile(seeded_template, db)
    ctx = SandboxContext.open(db, use_env=False)
    before = ctx.clock.now()
    known = {i["id"] for i in iter_records(ctx.store, "invoices")}
    ctx.store.close()

    done = sandbox_cli("activity", "--db", str(db), "--days", "2")

    assert done.returncode == 0, done.stderr
    assert "invoices_created" in done.stdout and "payments_full" in done.stdout
    ctx = SandboxContext.open(db, use_env=False)
    try:
        assert ctx.clock.now() == before + timedelta(days=2)
        new = [i for i in iter_records(ctx.store, "invoices") if i["id"] not in known]
        assert new and all(before < parse_time(i["createdOn"]) <= before + timedelta(days=2) for i in new)
        reported = int(next(line for line in done.stdout.splitlines() if "invoices_created" in line).split()[-1])
        assert reported == len([i for i in new if i["adjustmentToId"] is None])
    finally:
        ctx.store.close()


def test_cli_refuses_a_database_that_is_not_seeded(tmp_path: Path) -> None:
    missing = sandbox_cli("activity", "--db", str(tmp_path / "missing.db"), "--days", "1")
    assert missing.returncode != 0 and "sandbox seed" in missing.stderr
    assert not (tmp_path / "missing.db").exists()
    SandboxContext.open(tmp_path / "empty.db", use_env=False).store.close()
    empty = sandbox_cli("activity", "--db", str(tmp_path / "empty.db"), "--days", "1")
    assert empty.returncode != 0 and "sandbox seed" in empty.stderr


def test_cli_names_a_bad_rate(seeded_template: Path, tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    shutil.copyfile(seeded_template, db)
    done = sandbox_cli("activity", "--db", str(db), "--days", "1", "--per-day", "jobz=3")
    assert done.returncode != 0 and "jobz" in done.stderr and "--per-day" in done.stderr


@pytest.mark.parametrize(("body", "named"), [
    ({}, "days"),
    ({"days": 0}, "days"),
    ({"days": "3"}, "days"),
    ({"days": 1, "seed": "x"}, "seed"),
    ({"days": 1, "volume": -1}, "volume"),
    ({"days": 1, "per_day": {"jobz": 1}}, "jobz"),
    ({"days": 1, "per_day": {"jobs": -2}}, "jobs"),
    ({"days": 1, "colour": "red"}, "colour"),
    ({"days": 1, "post_after_days": -1}, "post_after_days"),
    ({"days": 1, "post_after_days": "3"}, "post_after_days"),
    ({"days": 1, "post_after_days": 1.5}, "post_after_days"),
])
def test_route_names_what_is_wrong(sandbox: RunningSandbox, body: dict, named: str) -> None:  # type: ignore[type-arg]
    before = sandbox.ctx.clock.now()
    answer = requests.post(f"{sandbox.st_url}/_sandbox/activity", json=body, timeout=30)
    assert answer.status_code == 400
    assert named in answer.json()["error"]
    assert sandbox.ctx.clock.now() == before


def test_route_refuses_an_empty_simulator(empty_sandbox: RunningSandbox) -> None:
    answer = requests.post(f"{empty_sandbox.st_url}/_sandbox/activity", json={"days": 1}, timeout=30)
    assert answer.status_code == 409 and "sandbox seed" in answer.json()["error"]
