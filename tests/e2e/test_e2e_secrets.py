"""The documented production setup (`MELTANO_ENVIRONMENT=prod`, every credential in the environment) leaves no
secret in any file, even when `meltano run` is killed with SIGKILL mid-run: Meltano writes the settings it knows
into `.meltano/run/<plugin>/*.config.json` and only deletes them when it exits cleanly, so `meltano.yml` does not
declare the secrets and the plugins read them from their environment variables. The ledger is owner-only.
After the kill, Meltano refuses the next run (a stale job) with a message naming `--force`, which the README
explains; the forced run then completes the sync.

The sandbox accepts only its fixed credentials, so this test (which runs the sandbox in-process) registers
distinctive ones with it: a ServiceTitan client id, client secret and app key, a FreshBooks client secret, and a
fresh Fernet token key."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from e2e_harness import MELTANO, REPO, Pipeline
from sandbox.servicetitan import auth as st_auth

from sandbox import credentials

pytestmark = pytest.mark.e2e


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_under(root: Path, since: float) -> list[Path]:
    """Every regular file under `root` written since `since` (plugin virtualenvs installed earlier are skipped)."""
    found = []
    for path in root.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime >= since:
                found.append(path)
        except OSError:
            continue
    return found


def test_no_secret_is_left_on_disk_after_a_killed_run(pipeline: Pipeline, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       request: pytest.FixtureRequest) -> None:
    tag = uuid.uuid4().hex[:12]
    st_id, st_secret, st_key = f"cid.e2e-{tag}", f"cs.e2e-secret-{tag}", f"ak.e2e-key-{tag}"
    fb_secret, token_key = f"fb-e2e-secret-{tag}", Fernet.generate_key().decode()
    monkeypatch.setitem(st_auth.CLIENTS, st_id, (st_secret, credentials.ST_TENANT_ID))
    st_auth.APP_KEYS.add(st_key)  # the set the ServiceTitan app checks (imported by name)
    request.addfinalizer(lambda: st_auth.APP_KEYS.discard(st_key))
    monkeypatch.setattr(credentials, "FB_CLIENT_SECRET", fb_secret)
    secrets = {"ServiceTitan client secret": st_secret, "ServiceTitan app key": st_key,
               "ServiceTitan client id": st_id, "FreshBooks client secret": fb_secret, "token key": token_key}
    needles = {name: value.encode() for name, value in secrets.items()}
    basic = base64.b64encode(f"{credentials.FB_CLIENT_ID}:{fb_secret}".encode())
    needles["FreshBooks basic auth"] = basic

    ledger = tmp_path / "private" / "ledger.db"  # the target creates the directory
    pipeline.env.update({
        # The README's production setup, pointed at the sandbox.
        "MELTANO_ENVIRONMENT": "prod",
        "TAP_SERVICETITAN_TENANT_ID": str(credentials.ST_TENANT_ID),
        "TAP_SERVICETITAN_START_DATE": "2026-05-01",
        "TAP_SERVICETITAN_CLIENT_ID": st_id,
        "TAP_SERVICETITAN_CLIENT_SECRET": st_secret,
        "TAP_SERVICETITAN_APP_KEY": st_key,
        "TARGET_FRESHBOOKS_CLIENT_ID": credentials.FB_CLIENT_ID,
        "TARGET_FRESHBOOKS_CLIENT_SECRET": fb_secret,
        "TARGET_FRESHBOOKS_REDIRECT_URI": credentials.FB_REDIRECT_URI,
        "TARGET_FRESHBOOKS_TENANT": str(credentials.ST_TENANT_ID),
        "TARGET_FRESHBOOKS_TOKEN_KEY": token_key,
        "TARGET_FRESHBOOKS_LEDGER_URL": f"sqlite:///{ledger}",
        "TARGET_FRESHBOOKS_LEASE_SETTLE_SECONDS": "0.2",
    })
    meltano_dir = Path(pipeline.env["MELTANO_SYS_DIR_ROOT"])  # what `.meltano/` is for this project
    started = time.time() - 1
    outputs: list[str] = []

    authorized = pipeline.meltano("invoke", "target-freshbooks:authorize")
    outputs += [authorized.stdout, authorized.stderr]

    # A run killed with SIGKILL once FreshBooks writes have begun.
    pipeline.reset_stats()
    log = tmp_path / "killed-run.log"
    with log.open("w") as sink:
        killed = subprocess.Popen([MELTANO, "run", "tap-servicetitan", "servicetitan-to-freshbooks",
                                   "target-freshbooks"], cwd=REPO, env=pipeline.env, stdout=sink,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.time() + 120
            while pipeline.freshbooks_creates() < 5 and killed.poll() is None and time.time() < deadline:
                time.sleep(0.05)
            assert killed.poll() is None, "the run ended before it could be killed:\n" + log.read_text()[-3000:]
            os.kill(killed.pid, signal.SIGKILL)
            killed.wait(timeout=30)
            deadline = time.time() + 60  # the plugins see their pipes close and exit by themselves
            while time.time() < deadline:
                try:
                    os.killpg(killed.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.2)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(killed.pid, signal.SIGKILL)  # only this test's run: its own process group
    outputs.append(log.read_text())
    left = [path for path in files_under(meltano_dir / "run", started) if path.name.endswith(".config.json")]
    assert any(pipeline.sandbox.st_url.encode() in path.read_bytes() for path in left), \
        "the killed run should have left Meltano's generated config files behind"

    # Meltano now refuses the run (its job is still `running` for 5 minutes): the message names --force.
    refused = pipeline.run(check=False)
    outputs += [refused.stdout, refused.stderr]
    assert refused.returncode != 0
    assert "is already running" in refused.stdout + refused.stderr and "--force" in refused.stdout + refused.stderr

    done = pipeline.run("--force")
    outputs += [done.stdout, done.stderr]
    assert pipeline.freshbooks_creates() > 100  # the forced run finished the sync

    # No secret in any file the runs left: Meltano's directory, the ledger, the logs, this test's directory.
    scanned = files_under(meltano_dir, started) + files_under(REPO / ".meltano", started) + [
        path for path in files_under(tmp_path, 0) if not path.name.startswith("sandbox.db")]
    assert ledger in scanned and any(path.name.endswith(".log") for path in scanned)
    for path in scanned:
        content = path.read_bytes()
        for name, needle in needles.items():
            assert needle not in content, f"{name} in {path}"
    for name, needle in needles.items():
        assert all(needle.decode() not in text for text in outputs), f"{name} in the output of a run"

    assert mode(ledger) == 0o600 and mode(ledger.parent) == 0o700
    for extra in ledger.parent.iterdir():
        assert mode(extra) == 0o600, extra
