"""``FanoutSocket.poll``: what Engine.IO's own poll answers, without a task per wait."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from engineio import async_socket, exceptions
from engineio import packet as eio_packet

from service.realtime.fanout import FanoutSocket


def _server(ping: float = 0.05) -> SimpleNamespace:
    return SimpleNamespace(create_queue=asyncio.Queue, ping_interval=ping, ping_timeout=ping)


def _packet(text: str) -> eio_packet.Packet:
    return eio_packet.Packet(eio_packet.MESSAGE, text)


@pytest.mark.parametrize("cls", [async_socket.AsyncSocket, FanoutSocket])
@pytest.mark.parametrize("upgraded", [False, True])
async def test_poll_takes_everything_queued_up_to_a_close(cls: type, upgraded: bool) -> None:
    socket = cls(_server(), "sid")
    socket.upgraded = upgraded
    first, second = _packet("a"), _packet("b")
    for item in (first, second, None):
        socket.queue.put_nowait(item)
    assert await socket.poll() == [first, second]
    assert await socket.poll() == []  # the None stayed for the next poll
    assert socket.queue._unfinished_tasks == 0  # type: ignore[attr-defined]  # all marked done


@pytest.mark.parametrize("cls", [async_socket.AsyncSocket, FanoutSocket])
@pytest.mark.parametrize("upgraded", [False, True])
async def test_poll_waits_for_the_next_packet(cls: type, upgraded: bool) -> None:
    socket = cls(_server(ping=5), "sid")
    socket.upgraded = upgraded
    waiting = asyncio.ensure_future(socket.poll())
    await asyncio.sleep(0)
    assert not waiting.done()
    pkt = _packet("late")
    socket.queue.put_nowait(pkt)
    assert await waiting == [pkt]


@pytest.mark.parametrize("cls", [async_socket.AsyncSocket, FanoutSocket])
async def test_a_long_poll_with_nothing_to_send_ends_after_the_ping_timeout(cls: type) -> None:
    socket = cls(_server(ping=0.02), "sid")
    with pytest.raises(exceptions.QueueEmpty):
        await socket.poll()


@pytest.mark.parametrize("cls", [async_socket.AsyncSocket, FanoutSocket])
@pytest.mark.parametrize("upgraded", [False, True])
async def test_a_cancelled_poll_is_queue_empty(cls: type, upgraded: bool) -> None:
    socket = cls(_server(ping=5), "sid")
    socket.upgraded = upgraded
    waiting = asyncio.ensure_future(socket.poll())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(exceptions.QueueEmpty):
        await waiting


def test_the_engineio_server_makes_its_sockets_fanout_sockets() -> None:
    from service.realtime.server import CheckedServer

    sio = CheckedServer(async_mode="asgi")

    async def connect() -> type:
        sid = "s1"
        sio.eio.sockets[sid] = async_socket.AsyncSocket(sio.eio, sid)
        await sio.eio._trigger_event("connect", sid, {}, run_async=False)
        return type(sio.eio.sockets[sid])

    assert asyncio.run(connect()) is FanoutSocket


# -- FanoutManager.emit's direct send to an idle websocket -------------------------------


class _Protocol:
    """What ``_writable_now`` reads of uvicorn's websocket protocol."""

    def __init__(self, writable: bool) -> None:
        self.writable = asyncio.Event()
        if writable:
            self.writable.set()
        self.frames: list[str] = []

    async def send(self, message: dict[str, object]) -> None:
        self.frames.append(str(message["text"]))


class _WebSocket:
    """Engine.IO's ASGI websocket, as far as the direct send goes."""

    def __init__(self, writable: bool = True, fails: bool = False) -> None:
        self.protocol = _Protocol(writable)
        self.asgi_send = self.protocol.send
        self.fails = fails

    async def send(self, text: str) -> None:
        if self.fails:
            raise ConnectionError("gone")
        await self.asgi_send({"type": "websocket.send", "text": text})


async def _room_of(*websockets: _WebSocket | None) -> tuple[Any, list[FanoutSocket]]:
    from service.realtime.fanout import FanoutManager
    from service.realtime.server import CheckedServer

    sio = CheckedServer(async_mode="asgi", client_manager=FanoutManager())
    sockets = []
    for i, ws in enumerate(websockets):
        eio_sid = f"e{i}"
        socket = FanoutSocket(sio.eio, eio_sid)
        socket.idle_websocket = ws
        sio.eio.sockets[eio_sid] = socket
        sid = await sio.manager.connect(eio_sid, "/")
        await sio.manager.enter_room(sid, "/", "room")
        sockets.append(socket)
    return sio, sockets


async def test_an_idle_writable_websocket_is_sent_to_directly_in_order() -> None:
    ws = _WebSocket()
    sio, [socket] = await _room_of(ws)
    await sio.manager.emit("first", {"n": 1}, "/", room="room")
    await sio.manager.emit("second", {"n": 2}, "/", room="room")
    assert ws.protocol.frames == ['42["first",{"n":1}]', '42["second",{"n":2}]']
    assert socket.queue.empty()


@pytest.mark.parametrize(
    "ws", [None, _WebSocket(writable=False), _WebSocket(fails=True)], ids=["busy", "paused", "gone"]
)
async def test_a_websocket_not_known_to_take_bytes_now_gets_its_packets_queued(
    ws: _WebSocket | None,
) -> None:
    """A writer at work, a client that does not read (flow control), a send that fails:
    the packet goes to the socket's queue, and nobody waits for that client."""
    sio, [socket] = await _room_of(ws)
    await asyncio.wait_for(sio.manager.emit("evt", {"n": 1}, "/", room="room"), 1)
    assert socket.queue.get_nowait().encode() == '42["evt",{"n":1}]'
    assert ws is None or ws.protocol.frames == []


async def test_a_packet_waiting_in_the_queue_keeps_the_next_one_behind_it() -> None:
    ws = _WebSocket()
    sio, [socket] = await _room_of(ws)
    socket.queue.put_nowait(eio_packet.Packet(eio_packet.PING))
    await sio.manager.emit("evt", {"n": 1}, "/", room="room")
    assert ws.protocol.frames == []
    assert socket.queue.qsize() == 2
