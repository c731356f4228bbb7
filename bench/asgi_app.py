"""The arrangement the service had before it moved to Sanic's own server, kept to measure
against: the whole app under an ASGI server, Socket.io in front of Sanic in one ASGI app
(bench/run's ``LOOP-HTTP-wN`` variants serve ``bench.asgi_app:app_from_env`` with uvicorn).

Not used by the service; settings come from the environment, as for ``armory-agents serve``.
"""

from __future__ import annotations

from typing import Any

import socketio

from service.http.app import create_app
from service.settings import Settings


def app_from_env() -> Any:
    app = create_app(Settings.from_env())
    return socketio.ASGIApp(app.ctx.sio, other_asgi_app=app, socketio_path="socket.io")
