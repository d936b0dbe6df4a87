"""Run both simulators on loopback: in the foreground (`sandbox serve`) or in a thread (tests, demo)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any, Literal

import uvicorn
from starlette.types import ASGIApp

from sandbox.admin import common_admin_routes
from sandbox.context import SandboxContext
from sandbox.faults import ErrorBody, FaultMiddleware, TransportExposingProtocol, freshbooks_error, servicetitan_error
from sandbox.stats import StatsMiddleware

Simulator = Literal["servicetitan", "freshbooks"]
log = logging.getLogger(__name__)


def build_app(ctx: SandboxContext, which: Simulator) -> ASGIApp:
    """One simulator's ASGI app: its routes, the common admin routes, and call counting."""
    settings: Any
    error_body: ErrorBody
    if which == "servicetitan":
        from sandbox.servicetitan.app import create_app

        stats, settings, injector, error_body = ctx.st_stats, ctx.st, ctx.st_faults, servicetitan_error
    else:
        from sandbox.freshbooks.app import create_app  # type: ignore[no-redef]

        stats, settings, injector, error_body = ctx.fb_stats, ctx.fb, ctx.fb_faults, freshbooks_error
    app = create_app(ctx, common_admin_routes(stats, settings, injector))
    return StatsMiddleware(FaultMiddleware(app, injector, error_body), stats)


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class SandboxServer:
    """Both simulators, each on its own loopback port, served by uvicorn on one event loop."""

    def __init__(self, ctx: SandboxContext, host: str = "127.0.0.1", st_port: int = 0, fb_port: int = 0):
        self.ctx = ctx
        self.host = host
        self._sockets = {"servicetitan": bind(host, st_port), "freshbooks": bind(host, fb_port)}
        self._servers: dict[str, uvicorn.Server] = {}
        self._thread: threading.Thread | None = None
        for name in self._sockets:
            config = uvicorn.Config(
                build_app(ctx, name),  # type: ignore[arg-type]
                log_level="warning",
                access_log=False,
                lifespan="off",
                http=TransportExposingProtocol,
                timeout_keep_alive=30,
            )
            self._servers[name] = uvicorn.Server(config)

    def port(self, which: Simulator) -> int:
        return int(self._sockets[which].getsockname()[1])

    def url(self, which: Simulator) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port(which)}"

    @property
    def st_url(self) -> str:
        return self.url("servicetitan")

    @property
    def fb_url(self) -> str:
        return self.url("freshbooks")

    async def serve(self) -> None:
        await asyncio.gather(
            *(server.serve(sockets=[self._sockets[name]]) for name, server in self._servers.items())
        )

    def run(self) -> None:
        """Serve in the foreground until interrupted."""
        asyncio.run(self.serve())

    def start(self) -> SandboxServer:
        """Serve in a background thread; returns once both ports accept connections."""
        self._thread = threading.Thread(target=self.run, name="sandbox-server", daemon=True)
        self._thread.start()
        for _ in range(500):
            if all(server.started for server in self._servers.values()):
                return self
            if not self._thread.is_alive():
                raise RuntimeError("sandbox server thread died while starting")
            threading.Event().wait(0.01)
        raise RuntimeError("sandbox server did not start within 5 s")

    def stop(self) -> None:
        for server in self._servers.values():
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        for sock in self._sockets.values():
            sock.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
