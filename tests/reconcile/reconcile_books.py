"""The reconcile tests' books: one sandbox, the pipeline's configs, and the commands run against them.

Its own module, not conftest.py, so that tests import it by a name no other test folder's conftest shares."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.freshbooks.testing import SideDoor
from sandbox.testing import RunningSandbox

BIN = Path(sys.executable).parent
START_DATE = "2026-05-01"


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
