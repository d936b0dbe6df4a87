"""Reconcile tests: a small seeded sandbox synced once through the three plugins' executables (piped, no Meltano),
then `target-freshbooks reconcile` run against it (its own process, as a user runs it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sandbox.freshbooks.testing import SideDoor
from sandbox.testing import RunningSandbox, running_sandbox, seed_database

from sandbox import credentials

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "target"))
from target_harness import authorize_target, target_config

BIN = Path(sys.executable).parent
START_DATE = "2026-05-01"
SEED, INVOICES = 7, 60


@pytest.fixture(scope="session")
def small_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reconcile-template") / "sandbox.db"
    seed_database(path, seed=SEED, invoices=INVOICES)
    return path


@pytest.fixture
def small_sandbox(small_template: Path, tmp_path: Path) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path / "sandbox.db", template=small_template) as running:
        yield running


@dataclass
class Result:
    exit_code: int
    output: str


@dataclass
class Books:
    """One sandbox, the pipeline's configs, and the commands run against them."""

    sandbox: RunningSandbox
    tmp_path: Path
    target: dict[str, Any]

    @property
    def fb(self) -> SideDoor:
        return SideDoor(self.sandbox.fb_url)

    def write(self, name: str, config: dict[str, Any]) -> Path:
        path = self.tmp_path / name
        path.write_text(json.dumps(config))
        return path

    def sync(self) -> None:
        """tap | mapper | target, as `meltano run` would pipe them (a fresh tap state: a full read)."""
        tap = self.write("tap.json", self.sandbox.tap_config(start_date=START_DATE))
        mapper = self.write("mapper.json", {"business_timezone": "America/New_York"})
        target = self.write("target.json", self.target)
        env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
        pipeline = (f"tap-servicetitan --config {tap} | map-servicetitan-freshbooks --config {mapper} "
                    f"| target-freshbooks --config {target} > {self.tmp_path / 'state.jsonl'}")
        done = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, "\n".join(x for x in done.stderr.splitlines() if "METRIC" not in x)[-5000:]

    def command(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """`target-freshbooks <command> --config ...` as a user runs it: its own process, stdout and stderr."""
        config = self.write("target-cmd.json", self.target)
        done = subprocess.run([str(BIN / "target-freshbooks"), args[0], "--config", str(config), *args[1:]],
                              env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=600)
        return Result(done.returncode, done.stdout)

    def reconcile(self, *args: str) -> Result:
        return self.command("reconcile", "--out", str(self.tmp_path / "reports"), *args)


@pytest.fixture
def books(small_sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Books:
    """An authorized target whose reconcile settings point at the same sandbox (secrets from the tap's env)."""
    monkeypatch.setenv("TAP_SERVICETITAN_CLIENT_ID", credentials.ST_CLIENT_ID)
    monkeypatch.setenv("TAP_SERVICETITAN_CLIENT_SECRET", credentials.ST_CLIENT_SECRET)
    monkeypatch.setenv("TAP_SERVICETITAN_APP_KEY", credentials.ST_APP_KEY)
    config = target_config(small_sandbox, tmp_path, servicetitan_tenant_id=str(credentials.ST_TENANT_ID),
                           servicetitan_api_url=small_sandbox.st_url, servicetitan_auth_url=small_sandbox.st_url,
                           servicetitan_start_date=START_DATE)
    authorize_target(config, tmp_path)
    return Books(small_sandbox, tmp_path, config)
