"""Run tap-servicetitan in-process and collect the Singer messages it writes."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tap_servicetitan.tap import TapServiceTitan


@dataclass
class TapRun:
    messages: list[dict[str, Any]]
    tap: TapServiceTitan
    error: BaseException | None = None
    _by_stream: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream]

    def record_streams(self) -> list[str]:
        """Streams in the order their first record was written."""
        order: list[str] = []
        for message in self.messages:
            if message["type"] == "RECORD" and message["stream"] not in order:
                order.append(message["stream"])
        return order

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, Any]:
        return self.states[-1]


def parse_messages(text: str) -> list[dict[str, Any]]:
    return [json.loads(line, parse_float=Decimal) for line in text.splitlines() if line.strip()]


def run_tap(
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    streams: Iterable[str] | None = None,
    expect_error: bool = False,
) -> TapRun:
    """One sync (of `streams` only, if given); with `expect_error`, the failure is returned instead of raised."""
    tap = TapServiceTitan(config=config, state=state or {})
    if streams is not None:
        wanted = set(streams)
        for name, stream in tap.streams.items():
            stream.selected = name in wanted
    out = io.StringIO()
    error: BaseException | None = None
    with redirect_stdout(out):
        try:
            tap.sync_all()
        except Exception as exc:
            if not expect_error:
                raise
            error = exc
    if expect_error and error is None:
        raise AssertionError("the tap was expected to fail but succeeded")
    return TapRun(messages=parse_messages(out.getvalue()), tap=tap, error=error)
