"""`sandbox seed` then `sandbox serve`, used with curl as a person would."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox import credentials


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def curl(*args: str) -> dict:
    done = subprocess.run(["curl", "-s", "--max-time", "20", *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_seed_then_serve_then_curl(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    seeded = subprocess.run([sys.executable, "-m", "sandbox.cli", "seed", "--db", str(db), "--invoices", "60"],
                            capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    assert "servicetitan invoices" in seeded.stdout
    st_port, fb_port = free_port(), free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sandbox.cli", "serve", "--db", str(db), "--st-port", str(st_port),
         "--fb-port", str(fb_port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{st_port}"
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", st_port), timeout=0.2).close()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.05)
        token = curl("-X", "POST", f"{base}/connect/token", "-d", "grant_type=client_credentials",
                     "-d", f"client_id={credentials.ST_CLIENT_ID}",
                     "-d", f"client_secret={credentials.ST_CLIENT_SECRET}")
        headers = ["-H", f"Authorization: Bearer {token['access_token']}",
                   "-H", f"ST-App-Key: {credentials.ST_APP_KEY}"]
        tenant = f"{base}/accounting/v2/tenant/{credentials.ST_TENANT_ID}"
        page = curl(*headers, f"{tenant}/invoices?pageSize=5&includeTotal=true")
        assert page["totalCount"] > 0 and len(page["data"]) == 5
        feed = curl(*headers, f"{tenant}/export/invoices?from=2026-01-01")
        assert feed["data"] and "continueFrom" in feed
        refused = curl(f"{tenant}/invoices")
        assert refused["status"] == 401
        summary = curl(f"{base}/_sandbox/servicetitan/summary")
        assert summary["counts"]["invoices"] == 60
    finally:
        server.terminate()
        server.wait(timeout=10)
