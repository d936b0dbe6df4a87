"""Helpers for the target's tests: config for a running sandbox, authorizing, running the target in-process
with hand-written FreshBooks-shaped records, and reading FreshBooks back through the simulator."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from freshbooks_writes import accounting_writes
from freshbooks_writes import reset as reset_writes
from sandbox.freshbooks.testing import FreshBooksApi, SideDoor, authorize
from sandbox.testing import RunningSandbox
from target_freshbooks.commands import register
from target_freshbooks.target import TargetFreshBooks

from sandbox import credentials

TOKEN_KEY = Fernet.generate_key().decode()

# What a tap would declare; the target reads only `source_key` from it (everything else passes through).
PERMISSIVE_SCHEMA = {"type": "object", "properties": {"source_key": {"type": "string"}}, "additionalProperties": True}


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "code": "USD"}


def target_config(sandbox: RunningSandbox, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "client_id": credentials.FB_CLIENT_ID,
        "client_secret": credentials.FB_CLIENT_SECRET,
        "redirect_uri": credentials.FB_REDIRECT_URI,
        "api_url": sandbox.fb_url,
        "auth_url": sandbox.fb_url,
        "ledger_url": f"sqlite:///{tmp_path / 'ledger.db'}",
        "token_encryption_key": TOKEN_KEY,
        "request_timeout": 10,
        "lease_settle_seconds": 0.2,  # loopback writes land in milliseconds
        "max_requests_per_second": 1000,  # the sandbox sets no rate limit unless a test asks for one
        **extra,
    }


def write_config(config: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(config))
    return path


def run_command(args: list[str], config: dict[str, Any], tmp_path: Path, input: str | None = None) -> Result:
    """Run `target-freshbooks <command> --config <file> ...` in-process."""
    config_file = write_config(config, tmp_path / f"config-{abs(hash(json.dumps(config, sort_keys=True)))}.json")
    return CliRunner().invoke(register(), [args[0], "--config", str(config_file), *args[1:]], input=input,
                              catch_exceptions=False)


def authorize_target(config: dict[str, Any], tmp_path: Path) -> Result:
    result = run_command(["authorize"], config, tmp_path)
    assert result.exit_code == 0, result.output
    return result


@dataclass
class Messages:
    """Singer messages in order; a SCHEMA is put before the first record of each stream."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    _schemas: set[str] = field(default_factory=set)

    def record(self, stream: str, record: dict[str, Any]) -> Messages:
        if stream not in self._schemas:
            self._schemas.add(stream)
            self.lines.append({"type": "SCHEMA", "stream": stream, "schema": PERMISSIVE_SCHEMA,
                               "key_properties": ["source_key"]})
        self.lines.append({"type": "RECORD", "stream": stream, "record": record})
        return self

    def state(self, value: dict[str, Any]) -> Messages:
        self.lines.append({"type": "STATE", "value": value})
        return self

    def text(self) -> str:
        return "".join(json.dumps(line) + "\n" for line in self.lines)


@dataclass
class TargetRun:
    exit_code: int
    states: list[dict[str, Any]]
    target: TargetFreshBooks

    def counts(self, stream: str) -> dict[str, int]:
        return dict(self.target.run.loader.summary.counts().get(stream, {}))


def run_target(config: dict[str, Any], messages: Messages | str) -> TargetRun:
    """Run the Singer target in-process over the messages; STATE lines are parsed from its stdout."""
    target = TargetFreshBooks(config=dict(config), validate_config=True)
    out = io.StringIO()
    text = messages.text() if isinstance(messages, Messages) else messages
    with redirect_stdout(out):
        target.listen(io.StringIO(text))
    states = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return TargetRun(target.exit_code, states, target)


class FreshBooks:
    """FreshBooks as the simulator has it: the API (with a token of its own) and the side door."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.api = FreshBooksApi(sandbox.fb_url, authorize(sandbox.fb_url)["access_token"])
        self.side = SideDoor(sandbox.fb_url)

    def records(self, resource: str, *, active_only: bool = True) -> list[dict[str, Any]]:
        rows = self.side.records(resource)
        return [r for r in rows if not active_only or r.get("vis_state", 0) == 0]

    def invoice(self, invoice_id: int | str) -> dict[str, Any]:
        return self.api.fetch("invoices/invoices", "invoice", int(invoice_id), params={"include[]": "lines"})

    def writes(self, method: str | None = None) -> int:
        """Write calls that change accounting data since the last reset (the account lease's are not)."""
        return accounting_writes(self.sandbox, self.side, method)

    def reset_stats(self) -> None:
        reset_writes(self.sandbox, self.side)


@dataclass
class TargetEnv:
    """A sandbox, a target config pointing at it (tokens already authorized), and FreshBooks to look at."""

    sandbox: RunningSandbox
    config: dict[str, Any]
    fb: FreshBooks
    tmp_path: Path

    def run(self, messages: Messages | str, **extra: Any) -> TargetRun:
        return run_target({**self.config, **extra}, messages)

    def command(self, *args: str, input: str | None = None, **extra: Any) -> Result:
        return run_command(list(args), {**self.config, **extra}, self.tmp_path, input=input)


def authorized_env(sandbox: RunningSandbox, tmp_path: Path) -> TargetEnv:
    config = target_config(sandbox, tmp_path)
    authorize_target(config, tmp_path)
    return TargetEnv(sandbox, config, FreshBooks(sandbox), tmp_path)
