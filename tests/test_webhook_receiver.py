"""scripts/servicetitan_webhook.py: signed events start one sync after a quiet period, never two at once;
an event with a bad signature starts nothing."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "servicetitan_webhook.py"
KEY = "k" * 32


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("servicetitan_webhook", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


webhook = load()


class Syncs:
    """A stand-in for the sync command: records when each run starts and ends."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.runs: list[tuple[float, float]] = []

    def __call__(self) -> int:
        start = time.monotonic()
        time.sleep(self.seconds)
        self.runs.append((start, time.monotonic()))
        return 0


@pytest.fixture
def receiver() -> Iterator[tuple[str, Syncs, Any]]:
    syncs = Syncs(0.3)
    signature = webhook.Signature(KEY, encoding="hex")
    runner = webhook.DebouncedRunner(syncs, debounce=0.2, max_delay=5)
    server = webhook.ThreadingHTTPServer(("127.0.0.1", 0), webhook.handler(signature, runner))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/servicetitan", syncs, signature
    server.shutdown()


def post(url: str, body: bytes, signature: str) -> int:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"X-ServiceTitan-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_for(condition: Any, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_burst_of_signed_events_starts_one_sync(receiver: tuple[str, Syncs, Any]) -> None:
    url, syncs, signature = receiver
    for n in range(3):
        body = b'{"eventType": "InvoiceUpdated", "id": %d}' % n
        assert post(url, body, f"sha256={signature.sign(body)}") == 200

    wait_for(lambda: syncs.runs)
    time.sleep(0.5)
    assert len(syncs.runs) == 1


def test_events_during_a_sync_start_one_more_after_it(receiver: tuple[str, Syncs, Any]) -> None:
    url, syncs, signature = receiver
    body = b'{"eventType": "PaymentCreated"}'
    assert post(url, body, signature.sign(body)) == 200
    time.sleep(0.3)  # the first sync is running now
    assert post(url, body, signature.sign(body)) == 200
    assert post(url, body, signature.sign(body)) == 200

    wait_for(lambda: len(syncs.runs) == 2)
    (_, first_end), (second_start, _) = syncs.runs
    assert second_start >= first_end  # never two at once


def test_a_bad_signature_is_refused_and_starts_nothing(receiver: tuple[str, Syncs, Any]) -> None:
    url, syncs, _ = receiver
    assert post(url, b'{"eventType": "InvoiceUpdated"}', "c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ==") == 401
    time.sleep(0.4)
    assert syncs.runs == []
