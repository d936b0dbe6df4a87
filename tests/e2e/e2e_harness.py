"""The e2e harness: the real Meltano project (`meltano.yml`) running the three plugins against one sandbox."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from freshbooks_writes import accounting_writes
from freshbooks_writes import reset as reset_writes
from sandbox.freshbooks.testing import SideDoor
from sandbox.testing import RunningSandbox

REPO = Path(__file__).resolve().parents[2]
MELTANO = shutil.which("meltano", path=str(Path(sys.executable).parent)) or "meltano"


class Pipeline:
    """`meltano` commands against one sandbox, with this test's own state and ledger."""

    def __init__(self, sandbox: RunningSandbox, sys_dir: Path, workdir: Path) -> None:
        self.sandbox = sandbox
        self.fb = SideDoor(sandbox.fb_url)
        self.ledger = workdir / "ledger.db"
        self.env = {
            **os.environ,
            "MELTANO_SYS_DIR_ROOT": str(sys_dir),
            "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_ENVIRONMENT": "sandbox",
            "TAP_SERVICETITAN_API_URL": sandbox.st_url,
            "TAP_SERVICETITAN_AUTH_URL": sandbox.st_url,
            "TARGET_FRESHBOOKS_API_URL": sandbox.fb_url,
            "TARGET_FRESHBOOKS_AUTH_URL": sandbox.fb_url,
            "TARGET_FRESHBOOKS_LEDGER_URL": f"sqlite:///{self.ledger}",
            "TARGET_FRESHBOOKS_TOKEN_KEY": Fernet.generate_key().decode(),
            "TARGET_FRESHBOOKS_LEASE_SETTLE_SECONDS": "0.2",  # loopback writes land in milliseconds
            "TARGET_FRESHBOOKS_MAX_REQUESTS_PER_SECOND": "1000",  # no rate limit in the sandbox unless asked
        }

    def meltano(self, *args: str, check: bool = True, **extra_env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([MELTANO, *args], cwd=REPO, env={**self.env, **extra_env},
                              capture_output=True, text=True, timeout=900)
        if check:
            assert done.returncode == 0, f"meltano {' '.join(args)} failed:\n{done.stdout}\n{done.stderr[-6000:]}"
        return done

    def authorize(self) -> None:
        self.meltano("invoke", "target-freshbooks:authorize")

    def run(self, *extra: str, check: bool = True, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return self.meltano("run", *extra, "tap-servicetitan", "servicetitan-to-freshbooks", "target-freshbooks",
                            check=check, **extra_env)

    def reset_stats(self) -> None:
        reset_writes(self.sandbox, self.fb)
        self.sandbox.ctx.st_stats.reset()

    def freshbooks_writes(self) -> int:
        """Calls since the last reset that could change FreshBooks' accounting data (not the account lease)."""
        return accounting_writes(self.sandbox, self.fb)

    def freshbooks_creates(self) -> int:
        return accounting_writes(self.sandbox, self.fb, "POST")
