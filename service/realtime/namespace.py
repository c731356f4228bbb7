"""The Socket.io entrypoint: who may connect, which rooms a socket joins, and for how long.

A socket authenticates at connect with a SuperTokens access token, taken from the
handshake's ``auth`` object (``{"token": "<access token>"}``) or else from the
``sAccessToken`` cookie. No token or a bad one refuses the connection; the client's
``connect_error`` gets ``{"message": <code>, "data": {"code", "detail"}}`` with our
error code (``unauthorised`` or ``try_refresh_token``, as in the HTTP API).

An accepted socket joins ``project:{projectId}:account:{accountId}`` for each project
in which its account owns containers, and nothing else. It is disconnected by the
server when its token expires, unless the client first sends an ``authenticate``
event with a fresh token of the same account (``{"token": ...}``; acknowledged with
``{"ok": true, "expiresAt": ...}`` or ``{"ok": false, "code", "message"}``). A
successful re-authentication also refreshes the socket's rooms.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any

import socketio
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from service import errors
from service.metrics import SOCKETS_CONNECTED
from service.realtime.rooms import room_for
from service.repository import AbstractContainerRepository
from service.sessions import ACCESS_TOKEN_COOKIE, AbstractSessionVerifier, Caller

log = logging.getLogger("armory.realtime")

AUTHENTICATE = "authenticate"


class Refused(Exception):
    """Why a connect or a re-authentication is refused: a stable code and a detail."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass
class _Socket:
    account_id: str
    rooms: set[str]
    expiry: asyncio.Task[None] | None = field(default=None, repr=False)


def presented_token(auth: Any, environ: dict[str, Any]) -> str | None:
    """The handshake's token: ``auth["token"]`` wins over the session cookie."""
    if isinstance(auth, dict):
        token = auth.get("token")
        if isinstance(token, str) and token.strip():
            return token.strip()
    header = environ.get("HTTP_COOKIE")
    if not isinstance(header, str) or not header:
        return None
    cookies: SimpleCookie = SimpleCookie()
    with contextlib.suppress(CookieError):
        cookies.load(header)
    morsel = cookies.get(ACCESS_TOKEN_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def rfc3339(epoch_seconds: float) -> str:
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class AgentNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """The ``/`` namespace. Holds no business rule beyond authentication and rooms."""

    def __init__(
        self,
        sessions: AbstractSessionVerifier,
        repository: AbstractContainerRepository,
        namespace: str = "/",
    ) -> None:
        super().__init__(namespace)
        self.sessions = sessions
        self.repository = repository
        self._sockets: dict[str, _Socket] = {}

    # --- events ---------------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        try:
            token = presented_token(auth, environ)
            if token is None:
                raise Refused(
                    errors.Unauthorised.code,
                    "No session: send auth {token} or the sAccessToken cookie.",
                )
            caller = await self._verify(token)
            rooms = await self._rooms_of(caller.account_id)
        except Refused as refused:
            raise SocketRefused(
                refused.code, {"code": refused.code, "detail": refused.detail}
            ) from None
        for room in rooms:
            await self.enter_room(sid, room)
        socket = _Socket(caller.account_id, rooms)
        self._sockets[sid] = socket
        SOCKETS_CONNECTED.inc()
        socket.expiry = self._expire_later(sid, caller.expires_at)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        socket = self._sockets.pop(sid, None)
        if socket is not None:
            SOCKETS_CONNECTED.dec()
            if socket.expiry is not None:
                socket.expiry.cancel()

    async def on_authenticate(self, sid: str, data: Any = None) -> dict[str, Any]:
        socket = self._sockets.get(sid)
        token = data.get("token") if isinstance(data, dict) else None
        try:
            if socket is None:
                raise Refused(errors.Unauthorised.code, "This socket is not authenticated.")
            if not isinstance(token, str) or not token.strip():
                raise Refused(errors.BadRequest.code, "Send {token: <access token>}.")
            caller = await self._verify(token.strip())
            if caller.account_id != socket.account_id:
                raise Refused(errors.Unauthorised.code, "The token belongs to another account.")
            rooms = await self._rooms_of(caller.account_id)
        except Refused as refused:
            return {"ok": False, "code": refused.code, "message": refused.detail}
        for room in socket.rooms - rooms:
            await self.leave_room(sid, room)
        for room in rooms - socket.rooms:
            await self.enter_room(sid, room)
        socket.rooms = rooms
        if socket.expiry is not None:
            socket.expiry.cancel()
        socket.expiry = self._expire_later(sid, caller.expires_at)
        return {"ok": True, "expiresAt": rfc3339(caller.expires_at)}

    # --- lifecycle ------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop every expiry timer (the server is shutting down)."""
        timers = [s.expiry for s in self._sockets.values() if s.expiry is not None]
        SOCKETS_CONNECTED.dec(len(self._sockets))
        self._sockets.clear()
        for timer in timers:
            timer.cancel()
        await asyncio.gather(*timers, return_exceptions=True)

    # --- helpers --------------------------------------------------------------------------

    async def _verify(self, token: str) -> Caller:
        try:
            return await self.sessions.verify(token)
        except errors.Unauthorised as exc:
            raise Refused(exc.instance_code, exc.detail) from None
        except Exception:
            log.exception("could not verify a socket's session")
            raise Refused("internal_error", "The session could not be verified.") from None

    async def _rooms_of(self, account_id: str) -> set[str]:
        try:
            projects = await self.repository.project_ids(account_id)
        except errors.DatabaseUnavailable as exc:  # a neighbour down: retry, as over HTTP
            log.warning("refused a socket: %s", exc.detail)
            raise Refused(exc.instance_code, exc.detail) from None
        except Exception:
            log.exception("could not list the containers of a socket's account")
            raise Refused("internal_error", "The account's containers could not be read.") from None
        return {room_for(project_id, account_id) for project_id in projects}

    def _expire_later(self, sid: str, expires_at: float) -> asyncio.Task[None]:
        return asyncio.create_task(self._expire(sid, expires_at), name=f"socket-expiry-{sid}")

    async def _expire(self, sid: str, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        # Forget the socket first: on_disconnect must not cancel this very task.
        if self._sockets.pop(sid, None) is None:
            return
        SOCKETS_CONNECTED.dec()
        try:
            await self.disconnect(sid)
        except Exception:
            log.exception("could not disconnect an expired socket")
