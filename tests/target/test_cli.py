"""The console script alone: `authorize`, then a hand-written .singer file through `target-freshbooks`,
then `audit`; exit codes and messages as a user sees them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from sandbox.testing import RunningSandbox
from target_harness import FreshBooks, target_config, write_config

DATA = Path(__file__).parent / "data" / "freshbooks_records.singer"
SCRIPT = Path(sys.executable).with_name("target-freshbooks")


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TARGET_FRESHBOOKS_")}
    return subprocess.run([str(SCRIPT), *args], input=stdin, capture_output=True, text=True, timeout=120,
                          env=env, check=False)


def singer_lines() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]


def test_singer_file_loads_through_the_cli(empty_sandbox: RunningSandbox, tmp_path: Path) -> None:
    config = write_config(target_config(empty_sandbox, tmp_path), tmp_path / "config.json")
    authorized = cli("authorize", "--config", str(config))
    assert authorized.returncode == 0, authorized.stderr
    assert "SBX7Q2" in authorized.stdout

    loaded = cli("--config", str(config), "--input", str(DATA))

    assert loaded.returncode == 0, loaded.stderr
    messages = singer_lines()
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    assert [json.loads(line) for line in loaded.stdout.splitlines() if line.strip()] == states
    assert "summary" in loaded.stderr and "invoices" in loaded.stderr

    fb = FreshBooks(empty_sandbox)
    records = [m for m in messages if m["type"] == "RECORD"]
    for stream in ("clients", "taxes", "invoices"):
        assert len(fb.records(stream)) == sum(1 for m in records if m["stream"] == stream), stream
    assert {i["sku"] for i in fb.records("items")} == {"PLB-BV-075", "SVC-WH-FLUSH", "SVC-TRIP"}
    invoices = {i["invoice_number"]: i for i in fb.records("invoices")}
    # 2 x 18.75 = 37.50 + 6.5% (2.44) + 1.5 x 110.00 = 165.00: 204.94; 100.00 paid by check 5512.
    assert Decimal(invoices["41001"]["amount"]["amount"]) == Decimal("204.94")
    assert Decimal(invoices["41001"]["outstanding"]["amount"]) == Decimal("104.94")
    assert invoices["41002"]["v3_status"] == "paid" and invoices["41003"]["v3_status"] == "paid"
    assert len(fb.records("payments")) == 3

    fb.reset_stats()
    again = cli("--config", str(config), "--input", str(DATA))
    assert again.returncode == 0, again.stderr
    assert fb.writes() == 0

    trail = cli("audit", "--config", str(config), "--source-key", "servicetitan:invoice:41001")
    assert trail.returncode == 0
    actions = [line.split()[5] for line in trail.stdout.splitlines()[1:]]
    assert actions == ["create", "mark_sent", "unchanged"]


def test_cli_exit_codes_and_messages(empty_sandbox: RunningSandbox, tmp_path: Path) -> None:
    config = write_config(target_config(empty_sandbox, tmp_path), tmp_path / "config.json")
    assert cli("authorize", "--config", str(config)).returncode == 0

    unknown = cli("--config", str(config), stdin=json.dumps(
        {"type": "SCHEMA", "stream": "estimates", "schema": {"properties": {}}, "key_properties": []}) + "\n")
    assert unknown.returncode != 0
    assert "'estimates'" in unknown.stderr
    assert ("bill_payments, bill_vendors, bills, clients, credit_notes, invoices, items, journal_entries, payments, "
            "skipped, taxes") in unknown.stderr

    bad = "\n".join(json.dumps(m) for m in [
        {"type": "SCHEMA", "stream": "clients", "schema": {"properties": {}}, "key_properties": ["source_key"]},
        {"type": "RECORD", "stream": "clients", "record": {"source_key": "x:1", "organization": "A", "email": "nope"}},
        {"type": "STATE", "value": {"n": 1}},
    ]) + "\n"
    failed = cli("--config", str(config), stdin=bad)
    assert failed.returncode == 1
    assert "Invalid email address" in failed.stderr
    assert json.loads(failed.stdout.strip()) == {"n": 1}  # a dead letter is an outcome: STATE still moves on

    no_tokens = write_config(target_config(empty_sandbox, tmp_path, tenant="other"), tmp_path / "other.json")
    never = cli("--config", str(no_tokens), stdin=bad)
    assert never.returncode == 1
    assert "authorize" in never.stderr and "Traceback" not in never.stderr
