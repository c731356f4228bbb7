"""Serve the API with Sanic's own HTTP server instead of uvicorn (bench/run's `sanic-wN` variant).

For measuring only: Sanic's server runs the Sanic app without the ASGI wrapper, so there is
no Socket.io here. Settings come from the environment, as for `armory-agents serve`.

Usage: sanic_serve.py --port PORT [--workers N]
"""

from __future__ import annotations

import argparse

from service.http.app import create_app
from service.settings import Settings

# Module level: with --workers > 1 Sanic starts processes that import this module again.
app = create_app(Settings.from_env(), name="armory_agents_bench")

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    app.run(
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        single_process=args.workers == 1,
        access_log=False,
        motd=False,
    )
