"""Receive ServiceTitan's webhooks and start a sync soon after: debounced, never two at once.

    .venv/bin/python scripts/servicetitan_webhook.py [--host 127.0.0.1] [--port 8780]

Every POST whose signature checks out is answered 200 at once (ServiceTitan retries an answer that is not
2xx after 10, 30, 60 and 300 s) and (re)starts a quiet period of `ST_WEBHOOK_DEBOUNCE_SECONDS`; when it ends,
the command runs (by default the 15-minute schedule's job). Events that arrive while it runs start one more
run after it. A steady stream of events still runs the command at least every `ST_WEBHOOK_MAX_DELAY_SECONDS`.
The run itself is the ordinary pipeline: it reads what changed since its state, so what the event was about
does not matter, and a run refused because another is going loses nothing (the next one catches up).

ServiceTitan signs its webhooks with an optional HMAC key, but the header, the hash and its encoding are not
documented (UNCONFIRMED: see sandbox/FIDELITY.md, Webhooks), so all three are settings:

    ST_WEBHOOK_KEY                the app's HMAC key; without it signatures are not checked (a warning says so)
    ST_WEBHOOK_SIGNATURE_HEADER   default X-ServiceTitan-Signature
    ST_WEBHOOK_ALGORITHM          a hashlib name, default sha256
    ST_WEBHOOK_ENCODING           base64 (default) or hex; a `sha256=` style prefix is accepted
    ST_WEBHOOK_DEBOUNCE_SECONDS   default 60
    ST_WEBHOOK_MAX_DELAY_SECONDS  default 600
    ST_WEBHOOK_COMMAND            default `meltano schedule run frequent-servicetitan-to-freshbooks`
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import logging
import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

logger = logging.getLogger("servicetitan-webhook")

DEFAULT_COMMAND = "meltano schedule run frequent-servicetitan-to-freshbooks"
MAX_BODY = 1_000_000


@dataclass(frozen=True)
class Signature:
    """How a webhook's body is signed: HMAC(key, body) with `algorithm`, in `header`, `encoding`-encoded."""

    key: str | None
    header: str = "X-ServiceTitan-Signature"
    algorithm: str = "sha256"
    encoding: str = "base64"

    def sign(self, body: bytes) -> str:
        digest = hmac.new((self.key or "").encode(), body, self.algorithm).digest()
        return digest.hex() if self.encoding == "hex" else base64.b64encode(digest).decode()

    def valid(self, sent: str | None, body: bytes) -> bool:
        """Whether `sent` (the signature header's value) signs `body`; always, without a key."""
        if not self.key:
            return True
        sent = (sent or "").strip()
        sent = sent.split("=", 1)[1] if sent.lower().startswith(f"{self.algorithm}=") else sent
        return bool(sent) and hmac.compare_digest(sent, self.sign(body))


class DebouncedRunner:
    """Runs `run` once things have been quiet for `debounce` seconds after the last `poke`, one run at a time."""

    def __init__(self, run: Callable[[], int], debounce: float, max_delay: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.run, self.debounce, self.max_delay, self.clock = run, debounce, max_delay, clock
        self._lock = threading.Lock()
        self._due: float | None = None
        self._first: float | None = None
        self._worker: threading.Thread | None = None

    def poke(self) -> None:
        with self._lock:
            now = self.clock()
            self._first = now if self._first is None else self._first
            self._due = min(now + self.debounce, self._first + self.max_delay)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="webhook-runner", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                if self._due is None:
                    self._worker = None
                    return
                wait = self._due - self.clock()
                if wait <= 0:
                    self._due = self._first = None
            if wait > 0:
                time.sleep(min(wait, 0.5))
                continue
            try:
                code = self.run()
                logger.info("Sync finished with exit code %s%s", code, "" if code == 0 else
                            " (see its log; a run refused because another one is going catches up next time)")
            except Exception as exc:  # the receiver keeps serving
                logger.error("Could not start the sync: %s", exc)


def command_runner(command: str) -> Callable[[], int]:
    def run() -> int:
        logger.info("Starting: %s", command)
        return subprocess.run(shlex.split(command), check=False).returncode
    return run


def handler(signature: Signature, runner: DebouncedRunner) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, b'{"error": "too large"}')
                return
            body = self.rfile.read(length)
            if not signature.valid(self.headers.get(signature.header), body):
                logger.warning("Refused a webhook to %s: its signature (header %s) does not match", self.path,
                               signature.header)
                self._answer(401, b'{"error": "bad signature"}')
                return
            runner.poke()
            self._answer(200, b'{"queued": true}')

        def do_GET(self) -> None:
            self._answer(200, b'{"ok": true}')

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            logger.debug(format, *args)

    return Handler


def from_environment(environ: Mapping[str, str]) -> tuple[Signature, float, float, str]:
    signature = Signature(environ.get("ST_WEBHOOK_KEY") or None,
                          environ.get("ST_WEBHOOK_SIGNATURE_HEADER") or Signature.header,
                          environ.get("ST_WEBHOOK_ALGORITHM") or Signature.algorithm,
                          environ.get("ST_WEBHOOK_ENCODING") or Signature.encoding)
    if signature.algorithm not in hashlib.algorithms_available or signature.encoding not in ("base64", "hex"):
        raise SystemExit("ST_WEBHOOK_ALGORITHM must be a hashlib name (e.g. sha256) and ST_WEBHOOK_ENCODING base64 "
                         "or hex")
    return (signature, float(environ.get("ST_WEBHOOK_DEBOUNCE_SECONDS") or 60),
            float(environ.get("ST_WEBHOOK_MAX_DELAY_SECONDS") or 600), environ.get("ST_WEBHOOK_COMMAND") or
            DEFAULT_COMMAND)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="put a TLS proxy in front: ServiceTitan calls https")
    parser.add_argument("--port", type=int, default=8780)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    signature, debounce, max_delay, command = from_environment(os.environ)
    if not signature.key:
        logger.warning("ST_WEBHOOK_KEY is not set: webhook signatures are not checked")
    runner = DebouncedRunner(command_runner(command), debounce, max_delay)
    server = ThreadingHTTPServer((args.host, args.port), handler(signature, runner))
    logger.info("Listening on http://%s:%s; a sync starts %gs after the last event", args.host, args.port, debounce)
    server.serve_forever()


if __name__ == "__main__":
    main()
