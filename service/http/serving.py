"""How the service is served: Sanic's own HTTP/1 server for the API, Socket.io beside it.

The API runs on Sanic's own server (its HTTP/1 protocol, TouchUp on, no access log),
with Sanic's worker manager for more than one worker. Socket.io stays on
python-socketio's maintained ASGI integration: a uvicorn server for
``socketio.ASGIApp`` on a second port, started by the Sanic app's
``after_server_start`` listener on the very loop that serves the API, so the
in-memory client manager reaches every socket of the embedded default. With more
than one worker, only the first serves Socket.io and the others publish to it
through Redis (one process holds every socket, so the polling transport needs no
sticky sessions inside one instance).

Each process configures its logging (``logging_setup``) when it builds the app. With more
than one worker, metrics go through prometheus-client's multiprocess mode: ``run`` gives
the workers an empty ``PROMETHEUS_MULTIPROC_DIR`` before they start (``service.metrics``).

``bench/README.md`` records the measurements behind this arrangement; the README
shows a reverse proxy that puts both ports under one origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import os
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

import socketio
import uvicorn
from sanic import Sanic
from sanic.worker.loader import AppLoader

from service import logging_setup, metrics
from service.http.app import create_app
from service.settings import Settings, SettingsError

App = Sanic[Any, Any]
log = logging.getLogger("armory.http")

SOCKETIO_PATH = "socket.io"
# Sanic names its server processes Sanic-Server-0-0, Sanic-Server-1-0, ... (server number,
# then restart count); one process (no worker manager) sets no name at all.
_FIRST_WORKER = re.compile(r"(.*-)?Server-0(-\d+)?")


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket. IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets
    that say they are TCP, and without it a kept-alive answer can wait ~40 ms (Nagle)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()  # a port in use: no socket left for the collector to warn about
        raise
    sock.set_inheritable(True)
    return sock


class _Uvicorn(uvicorn.Server):
    """A uvicorn server that leaves the process's signals to Sanic."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class SocketIOServer:
    """Serves ``sio`` (a ``socketio.AsyncServer``) on ``sock`` from the running loop."""

    def __init__(self, sio: Any, sock: socket.socket, *, shutdown_timeout: float) -> None:
        app = socketio.ASGIApp(sio, socketio_path=SOCKETIO_PATH)
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_level="warning",
            log_config=None,  # its records go to the root logger's handler (logging_setup)
            access_log=False,
            server_header=False,  # no banner naming the stack
            loop="asyncio",
            # No per-message deflate (as Node's socket.io by default): compressing each
            # small event once per socket cost more CPU than it saved (bench/README.md).
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=max(1, round(shutdown_timeout)),
        )
        self._server = _Uvicorn(config)
        self._sio = sio
        self._sock = sock
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve([self._sock]), name="socketio")
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what made it fail
                raise RuntimeError("the Socket.io server stopped at start-up")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        await _send_sockets_away(self._sio)
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=5)
        except TimeoutError:
            self._server.force_exit = True
            await task


async def _send_sockets_away(sio: Any) -> None:
    """Tell every client to go first (engine.io's close packet, which answers a pending
    long poll), or uvicorn would wait for each open connection until its graceful timeout.
    Not waiting for a client to fetch it: one that polled once and left never will."""
    eio = sio.eio
    for client in list(eio.sockets.values()):
        await client.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)


def serve_socketio_beside(
    app: App,
    settings: Settings,
    sock: Callable[[], socket.socket] | socket.socket,
    *,
    api_port: int,
) -> None:
    """Start Socket.io with the API (``after_server_start``), stop it before the API
    stops (``before_server_stop``, so the app's own shutdown closes what is left).
    Pages of the API's own origin (``api_port``) may open sockets."""

    @app.after_server_start
    async def start_socketio(app: App) -> None:
        worker = os.environ.get("SANIC_WORKER_NAME")
        if worker is not None and not _FIRST_WORKER.fullmatch(worker):
            return  # another worker serves Socket.io; this one publishes through Redis
        server = SocketIOServer(
            app.ctx.sio,
            sock() if callable(sock) else sock,
            shutdown_timeout=settings.server.graceful_shutdown_timeout,
        )
        app.ctx.realtime.origins.own_ports.update({api_port, server.port})
        await server.start()
        app.ctx.socketio_server = server

    @app.before_server_stop
    async def stop_socketio(app: App) -> None:
        server = getattr(app.ctx, "socketio_server", None)
        if server is not None:
            await server.stop()


def socketio_port(settings: Settings, api_port: int) -> int:
    return settings.socketio_port if settings.socketio_port is not None else api_port + 1


def build(settings: Settings, host: str, port: int) -> App:
    """The app as ``serve`` runs it, in each worker (Sanic's app loader calls this)."""
    logging_setup.configure(settings.observability)  # each worker is a process of its own
    app = create_app(settings)

    @app.after_server_stop
    async def leave_metrics(app: App) -> None:
        metrics.worker_stopped()  # its streams and sockets no longer count

    @app.after_server_start
    async def freeze_startup_objects(app: App) -> None:
        # Everything built at start-up lives as long as the process: moved out of the
        # collector's generations, a full collection no longer walks it (long pauses
        # otherwise show as the hot path's p99).
        gc.collect()
        gc.freeze()

    sio_port = socketio_port(settings, port)
    serve_socketio_beside(app, settings, lambda: listening_socket(host, sio_port), api_port=port)
    return app


def require_redis_for_workers(settings: Settings, workers: int) -> None:
    """More than one worker needs Redis (``SettingsError`` otherwise): only the first
    worker holds the sockets, so an event emitted in another reaches them only through
    Redis; the in-process manager would drop it."""
    if workers > 1 and settings.redis_url is None:
        raise SettingsError(
            f"--workers {workers}: more than one worker needs Redis, or events emitted in "
            "one worker are lost to the sockets another holds. Set REDIS_URL (for example "
            "REDIS_URL=redis://127.0.0.1:6379/0), or serve with --workers 1."
        )


def run(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve until a signal stops it: one process, or Sanic's worker manager with
    ``workers`` processes (which needs Redis: checked before any port is bound)."""
    require_redis_for_workers(settings, workers)
    if workers == 1:
        app = build(settings, host, port)
        app.prepare(host=host, port=port, single_process=True, access_log=False, motd=False)
        Sanic.serve_single(primary=app)
        return
    if settings.observability.metrics_enabled:
        # Every worker answers /metrics for all: prometheus-client's multiprocess mode, in
        # a directory emptied now, that the workers (spawned later) find in their env.
        metrics.prepare_multiprocess_dir()
    # A partial, not a lambda: worker processes are spawned and unpickle it.
    loader = AppLoader(factory=functools.partial(build, settings, host, port))
    app = loader.load()
    app.prepare(host=host, port=port, workers=workers, access_log=False, motd=False)
    Sanic.serve(primary=app, app_loader=loader)
