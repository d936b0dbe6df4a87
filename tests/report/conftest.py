"""The report tests' setup: Debian's Chromium, installed when missing (headless, to open the HTML report).

Under CI (`CI=true`) a Chromium that cannot be had fails the test that needs it; elsewhere it skips it.
Two xdist workers may both need it: a file lock makes one install and the other wait.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser")
INSTALL_LOCK = Path("/tmp/report-tests-chromium.lock")
APT_TIMEOUT_S = 900


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def install_chromium() -> str:
    """`apt-get update` then `apt-get install -y chromium` (Debian's package), as root; the output on failure."""
    if os.geteuid() != 0:
        return "not root: cannot apt-get install chromium (install Debian's `chromium` package)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=APT_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{' '.join(command)}: {error}"
        if done.returncode != 0:
            return f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}"
    return ""


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of a headless-capable Chromium, installing Debian's package when missing."""
    found = find_chromium()
    if found is None:
        with INSTALL_LOCK.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            found = find_chromium()
            problem = install_chromium() if found is None else ""
            found = found or find_chromium()
        if found is None:
            message = f"Chromium is needed to open the HTML report and could not be installed: {problem}"
            if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
                pytest.fail(message)
            pytest.skip(message)
    return found
