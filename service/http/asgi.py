"""The ASGI application the servers run: Socket.io in front of the Sanic app."""

from __future__ import annotations

from typing import Any

from sanic import Sanic

from service.settings import Settings

App = Sanic[Any, Any]


def asgi_app(app: App) -> Any:
    """Socket.io on ``/socket.io/``, everything else to the Sanic app.

    ``socketio.ASGIApp`` has no ``on_startup`` / ``on_shutdown`` of its own here, so
    it hands the ASGI lifespan to Sanic: its ``before_server_start`` ...
    ``after_server_stop`` listeners run (``tests/test_realtime_health.py`` checks it).
    """
    import socketio

    return socketio.ASGIApp(app.ctx.sio, other_asgi_app=app, socketio_path="socket.io")


def app_from_env() -> Any:
    """uvicorn factory (``--factory service.http.asgi:app_from_env``) for ``serve``."""
    from service.http.app import create_app

    return asgi_app(create_app(Settings.from_env()))
