"""A tiny scripted ServiceTitan on a loopback port, for retry and auth behaviour (as tap-stackexchange
tests its retries against a local HTTP server).

It issues tokens (`tok-1`, `tok-2`, ...) at `/connect/token`, and answers GETs from per-path scripts:
each scripted answer is used once, in order; after that, every call gets the path's default answer
(an empty export page or an empty list page unless set). An answer is (status, headers, body), the
body a JSON-able value or raw JSON text; `"reset"` closes the connection without answering.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TENANT = "1234567"
CREDENTIALS = {"client_id": "cid.fake", "client_secret": "cs.fake-secret-value", "app_key": "ak.fake-app-key"}

Answer = tuple[int, dict[str, str], Any] | str


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


def problem(status: int, title: str, trace_id: str = "trace-fake-1") -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "traceId": trace_id, "errors": {}, "data": {}}


def export_page(records: list[dict[str, Any]], token: str = "end", has_more: bool = False) -> dict[str, Any]:
    return {"hasMore": has_more, "continueFrom": token, "data": records}


def list_page(records: list[dict[str, Any]], page: int = 1, has_more: bool = False) -> dict[str, Any]:
    return {"page": page, "pageSize": 5000, "hasMore": has_more, "totalCount": None, "data": records}


class FakeServiceTitan:
    def __init__(self, expires_in: int = 900) -> None:
        self.expires_in = expires_in
        self.calls: list[Call] = []
        self.tokens_issued = 0
        self.scripts: dict[str, deque[Answer]] = defaultdict(deque)
        self.defaults: dict[str, Answer] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def config(self, **extra: Any) -> dict[str, Any]:
        return {**CREDENTIALS, "tenant_id": TENANT, "api_url": self.url, "auth_url": self.url, **extra}

    def path(self, module: str, resource: str) -> str:
        return f"/{module}/v2/tenant/{TENANT}/{resource}"

    def script(self, path: str, *answers: Answer) -> None:
        self.scripts[path].extend(answers)

    def api_calls(self, path: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.path != "/connect/token" and (path is None or c.path == path)]

    def token_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path == "/connect/token"]

    def start(self) -> FakeServiceTitan:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, call: Call) -> Answer:
        with self._lock:
            self.calls.append(call)
            if self.scripts[call.path]:
                return self.scripts[call.path].popleft()
            if call.path == "/connect/token":
                self.tokens_issued += 1
                return 200, {}, {"access_token": f"tok-{self.tokens_issued}", "expires_in": self.expires_in,
                                 "token_type": "Bearer"}
            if call.path in self.defaults:
                return self.defaults[call.path]
        if "/export/" in call.path:
            return 200, {}, export_page([])
        return 200, {}, list_page([])

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                parsed = urlparse(self.path)
                call = Call(self.command, parsed.path, parse_qs(parsed.query), dict(self.headers.items()))
                answer = fake._answer(call)
                if answer == "reset":
                    self.close_connection = True
                    self.connection.close()
                    return
                status, headers, body = answer  # type: ignore[misc]
                payload = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

        return Handler
