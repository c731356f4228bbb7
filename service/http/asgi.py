"""The ASGI application the servers run: the Sanic app (and, later, Socket.io)."""

from __future__ import annotations

from typing import Any

from sanic import Sanic

from service.settings import Settings

App = Sanic[Any, Any]


def asgi_app(app: App) -> Any:
    """Wrap the Sanic app for an ASGI server (uvicorn)."""
    return app


def app_from_env() -> Any:
    """uvicorn factory (``--factory service.http.asgi:app_from_env``) for ``serve``."""
    from service.http.app import create_app

    return asgi_app(create_app(Settings.from_env()))
