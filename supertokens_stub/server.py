"""A SuperTokens core stand-in: the endpoints supertokens-python calls to verify sessions.

It runs on the stdlib ``ThreadingHTTPServer`` in a background thread, never on
an asyncio loop: the SDK fetches the JWKS with the blocking ``requests``
client, so a stand-in served by the same loop would deadlock the first fetch.

Core endpoints (the only ones the SDK calls for header/cookie sessions that are
verified locally, with ``check_database=False``):

* ``GET /.well-known/jwks.json`` the public signing key (fetched at warm-up and
  after the SDK's cache expires or a token names an unknown ``kid``);
* ``GET /apiversion`` ``{"versions": [...]}``, the CDI versions the installed SDK
  supports (the SDK asks before any other core API call);
* ``GET /hello`` a liveness probe, as on the real core.

Development and test endpoints, under ``/_stub/`` and never counted:

* ``POST /_stub/token`` ``{"sub": "alice", "ttlSeconds": 3600}`` answers
  ``{"accessToken": "..."}``, a token the SDK accepts;
* ``GET /_stub/calls`` ``{"calls": {path: count}}``.

Every other request (any method, any path) answers 404 and is counted, so a test
asserting on ``calls`` sees anything unexpected the SDK asked for.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from supertokens_python.constants import SUPPORTED_CDI_VERSIONS

from .keys import StubKey
from .tokens import mint_access_token

log = logging.getLogger("supertokens_stub")

CONTROL_PREFIX = "/_stub/"
MAX_BODY_BYTES = 64 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    core: StubCore


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "supertokens-stub"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        core = self.server.core
        path = urlsplit(self.path).path
        if not path.startswith(CONTROL_PREFIX):
            core._count(path)
        if method == "GET" and path == "/.well-known/jwks.json":
            self._json(200, core.key.jwks())
        elif method == "GET" and path == "/apiversion":
            self._json(200, {"versions": list(SUPPORTED_CDI_VERSIONS)})
        elif method == "GET" and path == "/hello":
            self._send(200, b"Hello\n", "text/plain; charset=utf-8")
        elif method == "GET" and path == "/_stub/calls":
            self._json(200, {"calls": core.calls})
        elif method == "POST" and path == "/_stub/token":
            self._mint()
        else:
            self._json(404, {"message": f"{method} {path} is not served by the stub core"})

    def _mint(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._json(413, {"message": "body too large"})
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._json(400, {"message": "body must be JSON"})
            return
        sub = body.get("sub") if isinstance(body, dict) else None
        ttl = body.get("ttlSeconds", 3600) if isinstance(body, dict) else None
        if not isinstance(sub, str) or not sub:
            self._json(400, {"message": "sub must be a non-empty string"})
            return
        if not isinstance(ttl, int) or isinstance(ttl, bool):
            self._json(400, {"message": "ttlSeconds must be a whole number"})
            return
        token = mint_access_token(self.server.core.key, sub, ttl_seconds=ttl)
        self._json(200, {"accessToken": token})

    def _json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class StubCore:
    """The stand-in, served from a background thread; ``start()``/``stop()`` or ``with``."""

    def __init__(self, key: StubKey, host: str = "127.0.0.1", port: int = 0) -> None:
        self.key = key
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port``, with the bound port once started."""
        host = self._host if ":" not in self._host else f"[{self._host}]"
        return f"http://{host}:{self._port}"

    @property
    def calls(self) -> dict[str, int]:
        """A snapshot of core requests per path (``/_stub/`` control calls excluded)."""
        with self._lock:
            return dict(self._calls)

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def _count(self, path: str) -> None:
        with self._lock:
            self._calls[path] += 1

    def start(self) -> StubCore:
        if self._server is not None:
            raise RuntimeError("the stub core is already running")
        server = _Server((self._host, self._port), _Handler)
        server.core = self
        self._port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"supertokens-stub:{self._port}",
            daemon=True,
        )
        self._thread.start()
        log.info("SuperTokens stub core on %s (kid %s)", self.url, self.key.kid)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> StubCore:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
