"""``FanoutSocket.poll``: what Engine.IO's own poll answers, without a task per wait."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

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
