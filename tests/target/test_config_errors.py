"""Every invalid setting of the three plugins stops them before any write, with a message naming the setting and
the fix; secrets come from the environment (which wins) and are never echoed; the ledger is owner-only."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from map_servicetitan_freshbooks.settings import MapperSettings
from sandbox.testing import RunningSandbox
from tap_servicetitan.config import TapSettings, config_problems
from target_freshbooks.errors import ConfigError
from target_freshbooks.ledger.store import Ledger
from target_freshbooks.settings import Settings

from sandbox import credentials

BIN = Path(sys.executable).parent
SECRET = "s3cr3t-value-never-echoed"

TARGET_OK: dict[str, Any] = {"client_id": "cid", "client_secret": SECRET, "redirect_uri": "https://x.example/cb"}
TAP_OK: dict[str, Any] = {"client_id": "cid", "client_secret": SECRET, "app_key": "ak", "tenant_id": "123"}


def target_error(**config: Any) -> str:
    with pytest.raises(ConfigError) as raised:
        Settings.from_config({**TARGET_OK, **config}, environ={})
    return str(raised.value)


@pytest.mark.parametrize(("setting", "value", "expected"), [
    ("api_url", "api.freshbooks.com", "https://api.freshbooks.com"),
    ("api_url", "htps://api.freshbooks.com", "https://api.freshbooks.com"),
    ("api_url", "http://api.freshbooks.com", "use https"),
    ("api_url", "https://", "https://api.freshbooks.com"),
    ("api_url", "https://api.freshbooks.com:notaport", "https://api.freshbooks.com"),
    ("auth_url", "ftp://auth.freshbooks.com", "https://auth.freshbooks.com"),
    ("auth_url", "http://10.0.0.5", "use https"),
    ("redirect_uri", "http://your.app/cb", "https://your.app/freshbooks/callback"),
    ("redirect_uri", "callback", "https://your.app/freshbooks/callback"),
    ("request_timeout", "soon", "number of seconds"),
    ("request_timeout", 0, "more than zero"),
    ("request_timeout", -3, "more than zero"),
    ("lease_settle_seconds", -1, "zero or more"),
    ("lease_settle_seconds", "nan", "zero or more"),
    ("dry_run", "maybe", "true or false"),
    ("refund_mode", "cash_back", "reduce_payment, negative_payment"),
    ("books_closed_through", "31/12/2024", "YYYY-MM-DD"),
    ("token_encryption_key", "not-a-fernet-key", "Fernet.generate_key()"),
    ("ledger_url", "not a url at all://", "sqlite:///"),
    ("tenant", ["a"], "must be a string"),
])
def test_a_bad_target_setting_is_named_with_its_fix(setting: str, value: Any, expected: str) -> None:
    message = target_error(**{setting: value})
    assert setting in message
    assert expected in message
    assert SECRET not in message


def test_every_bad_target_setting_is_reported_at_once() -> None:
    message = target_error(api_url="nope", request_timeout="x", refund_mode="y", client_id="")
    for name in ("api_url", "request_timeout", "refund_mode", "client_id", "TARGET_FRESHBOOKS_CLIENT_ID"):
        assert name in message


def test_loopback_http_and_good_values_pass() -> None:
    settings = Settings.from_config({**TARGET_OK, "api_url": "http://127.0.0.1:8702/", "auth_url": "http://localhost:1",
                                     "dry_run": "false", "request_timeout": "12.5", "lease_settle_seconds": 0,
                                     "token_encryption_key": Fernet.generate_key().decode()}, environ={})
    assert settings.api_url == "http://127.0.0.1:8702"
    assert settings.dry_run is False and settings.request_timeout == 12.5 and settings.lease_settle_seconds == 0


def test_target_secrets_come_from_the_environment_which_wins() -> None:
    key = Fernet.generate_key().decode()
    environ = {"TARGET_FRESHBOOKS_CLIENT_ID": "env-id", "TARGET_FRESHBOOKS_CLIENT_SECRET": "env-secret",
               "TARGET_FRESHBOOKS_TOKEN_KEY": key, "TARGET_FRESHBOOKS_LEDGER_URL": "sqlite:////tmp/env-ledger.db"}
    settings = Settings.from_config({"client_id": "file-id", "client_secret": "file-secret",
                                     "redirect_uri": "https://x.example/cb"}, environ=environ)
    assert (settings.client_id, settings.client_secret) == ("env-id", "env-secret")
    assert settings.token_encryption_key == key and settings.ledger_url == "sqlite:////tmp/env-ledger.db"
    assert "env-secret" not in repr(settings) and key not in repr(settings)
    alias = Settings.from_config({**TARGET_OK, "client_secret": None},
                                 environ={"TARGET_FRESHBOOKS_CLIENT_SECRET": "only-env",
                                          "TARGET_FRESHBOOKS_TOKEN_ENCRYPTION_KEY": key})
    assert alias.client_secret == "only-env" and alias.token_encryption_key == key


def test_a_missing_target_secret_names_its_environment_variable() -> None:
    message = target_error(client_secret=None)
    assert "client_secret" in message and "TARGET_FRESHBOOKS_CLIENT_SECRET" in message


@pytest.mark.parametrize(("setting", "value", "expected"), [
    ("api_url", "api.servicetitan.io", "https://api.servicetitan.io"),
    ("api_url", "http://api.servicetitan.io", "must use https"),
    ("auth_url", "https://", "https://auth.servicetitan.io"),
    ("auth_url", "https://auth.servicetitan.io/?x=1", "without credentials, query or fragment"),
    ("tenant_id", "acme", "numeric tenant ID"),
    ("start_date", "yesterday", "2026-01-01"),
    ("page_size", 0, "between 1 and 5000"),
    ("page_size", "many", "between 1 and 5000"),
    ("request_timeout", 0, "between 1 and 3600"),
    ("max_requests_per_second", 5000, "between 0.01 and 1000"),
])
def test_a_bad_tap_setting_is_named_with_its_fix(setting: str, value: Any, expected: str) -> None:
    problems = config_problems({**TAP_OK, setting: value}, environ={})
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{setting}:") and expected in problems[0]
    assert SECRET not in problems[0]
    with pytest.raises(ValueError, match=setting):
        TapSettings.from_config({**TAP_OK, setting: value}, environ={})


def test_tap_secrets_come_from_the_environment_which_wins() -> None:
    environ = {"TAP_SERVICETITAN_CLIENT_SECRET": "env-secret", "TAP_SERVICETITAN_APP_KEY": "env-key",
               "TAP_SERVICETITAN_CLIENT_ID": "env-id"}
    settings = TapSettings.from_config({"tenant_id": "123", "client_secret": "file-secret"}, environ=environ)
    assert (settings.client_id, settings.client_secret, settings.app_key) == ("env-id", "env-secret", "env-key")
    assert "env-secret" not in repr(settings)
    missing = config_problems({"tenant_id": "123"}, environ={})
    assert any("TAP_SERVICETITAN_CLIENT_SECRET" in p for p in missing)
    assert any("TAP_SERVICETITAN_APP_KEY" in p for p in missing)
    assert config_problems({"tenant_id": "123", "api_url": "http://127.0.0.1:8701"}, environ=environ) == []


@pytest.mark.parametrize(("setting", "value", "expected"), [
    ("business_timezone", "Mars/Olympus", "MAP_SERVICETITAN_FRESHBOOKS_BUSINESS_TIMEZONE"),
    ("business_timezone", "", "America/New_York"),
    ("currency_code", "dollars", "ISO 4217"),
    ("missing_item_policy", "ignore", "create, review"),
    ("freshbooks_tax_rounding", "never", "per_line, per_invoice"),
    ("rounding_line_name", "  ", "must not be empty"),
    ("adjustment_mode", "x", "credit_note, negative_invoice"),
    ("cutover_date", "2024-02-30", "YYYY-MM-DD"),
    ("journal_cutover_date", "soon", "YYYY-MM-DD"),
    ("invoice_mode", "journal_entry", "journal_cutover_date"),
    ("pre_cutover_invoices", "list", "cutover_date"),
    ("payment_type_map", {"Visa": "Bitcoin"}, "not a FreshBooks payment type"),
])
def test_a_bad_mapper_setting_is_named_with_its_fix(setting: str, value: Any, expected: str) -> None:
    config = {"business_timezone": "America/New_York", setting: value}
    with pytest.raises(ValueError) as raised:
        MapperSettings.from_config(config)
    message = str(raised.value)
    assert expected in message
    assert setting in message or setting in ("invoice_mode", "pre_cutover_invoices")


def cli(name: str, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TARGET_FRESHBOOKS_", "TAP_SERVICETITAN_"))}
    return subprocess.run([str(BIN / name), *args], input=stdin, capture_output=True, text=True, timeout=120,
                          env={**clean, **env}, check=False)


def test_the_target_stops_before_any_call_on_a_malformed_api_url(empty_sandbox: RunningSandbox,
                                                                  tmp_path: Path) -> None:
    """The run reads its settings before it opens the ledger or calls FreshBooks: `InvalidSchema` never shows."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"client_id": credentials.FB_CLIENT_ID, "redirect_uri": credentials.FB_REDIRECT_URI,
                                  "api_url": "127.0.0.1:8702", "auth_url": empty_sandbox.fb_url}))
    empty_sandbox.ctx.fb_stats.reset()
    lines = [{"type": "SCHEMA", "stream": "clients", "schema": {"properties": {}}, "key_properties": ["source_key"]},
             {"type": "RECORD", "stream": "clients", "record": {"source_key": "x:1", "organization": "A"}}]
    done = cli("target-freshbooks", "--config", str(config), stdin="\n".join(map(json.dumps, lines)) + "\n",
               TARGET_FRESHBOOKS_CLIENT_SECRET=SECRET,
               TARGET_FRESHBOOKS_LEDGER_URL=f"sqlite:///{tmp_path / 'ledger.db'}")
    assert done.returncode == 1
    assert "api_url" in done.stderr and "https://api.freshbooks.com" in done.stderr
    assert "Traceback" not in done.stderr and "InvalidSchema" not in done.stderr and SECRET not in done.stderr
    assert not (tmp_path / "ledger.db").exists()
    assert empty_sandbox.ctx.fb_stats.count() == 0


def test_the_tap_stops_before_any_call_on_a_malformed_auth_url(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"tenant_id": "123", "auth_url": "auth.servicetitan.io"}))
    done = cli("tap-servicetitan", "--config", str(config),
               TAP_SERVICETITAN_CLIENT_ID="cid", TAP_SERVICETITAN_CLIENT_SECRET=SECRET, TAP_SERVICETITAN_APP_KEY="ak")
    assert done.returncode != 0
    assert "auth_url" in done.stderr and "https://auth.servicetitan.io" in done.stderr
    assert SECRET not in done.stderr + done.stdout


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_ledger_is_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "ledgers" / "ledger.db"
    ledger = Ledger(f"sqlite:///{path}")
    try:
        with ledger.session() as session:
            session.connection().exec_driver_sql("SELECT 1")
    finally:
        ledger.close()
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    for extra in path.parent.glob("ledger.db-*"):
        assert mode(extra) == 0o600, extra


def test_an_existing_world_readable_ledger_is_tightened(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "ledger.db"
    Ledger(f"sqlite:///{path}").close()
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING):
        Ledger(f"sqlite:///{path}").close()
    assert mode(path) == 0o600
    assert "made it owner-only" in caplog.text
