"""``FanoutManager``: python-socketio's ``AsyncManager`` with a cheaper emit to a room.

An event for a project goes to every socket in its room. python-socketio's emit encodes
the packet once, then creates one task per recipient (``asyncio.create_task`` of a
coroutine chain that ends in ``queue.put`` on that socket's Engine.IO queue) and waits
for them all: with 1,000 sockets, those tasks were a third of the service's CPU per
event (``bench/README.md``, the fan-out profile). Here the encoded Engine.IO packets go
straight onto each socket's queue (``put_nowait``: the queues are unbounded), in the
emitting task; each socket's own writer (websocket) or next poll (long-polling) sends
them, as before.

Each socket's writer then waits for its next packets in ``FanoutSocket.poll``: Engine.IO's
own wraps every wait in ``asyncio.wait_for`` (a task and a timer per message a socket is
sent: a quarter of the CPU per event at 1,000 sockets); this one takes what is queued
without waiting, a websocket's writer waits with no timer (its reader's ping timeout ends
it), and a long poll under one ``asyncio.timeout``. And while a websocket's
writer waits on an empty queue (``FanoutSocket.idle_websocket``) and its connection takes
bytes now (uvicorn's flow control), ``emit`` sends to it directly: no wake-up of the
writer, no queue round trip. A client that does not read is never waited for: its
packets are queued as before. The Engine.IO server (``server._EngineServer``) makes each
socket one as it connects.

What stays python-socketio's: an emit that asks for an acknowledgement (``callback``:
a packet per recipient), and a socket whose client has stopped answering pings (sent
through Engine.IO's own ``send_packet``, which closes it). Recipients, namespaces,
``skip_sid`` and the packet format are unchanged; the Redis manager (``redis_manager``)
delivers its local share through this same emit.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import socketio
from engineio import async_socket, exceptions
from engineio import packet as eio_packet
from socketio import packet


class FanoutManager(socketio.AsyncManager):  # type: ignore[misc]
    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: str | None = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: str | None = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to
            )
            return
        room = to or room
        if namespace not in self.rooms:
            return
        if isinstance(data, tuple):
            data = list(data)
        elif data is not None:
            data = [data]
        else:
            data = []
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event, *data]
        ).encode()
        packets = [
            eio_packet.Packet(eio_packet.MESSAGE, part)
            for part in (encoded if isinstance(encoded, list) else [encoded])
        ]
        texts = [pkt.encode() for pkt in packets]
        eio = self.server.eio
        sockets, ping_timeout, now = eio.sockets, eio.ping_timeout, time.time()
        late: list[str] = []
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skip:
                continue
            socket = sockets.get(eio_sid)
            if socket is None or socket.closed:
                continue  # gone since it joined: nothing to send to
            last_ping = socket.last_ping
            if last_ping and now - last_ping > ping_timeout:
                late.append(eio_sid)  # Engine.IO's own path closes it
                continue
            queue, sent = socket.queue, 0
            idle = getattr(socket, "idle_websocket", None)
            if idle is not None and queue.empty() and _writable_now(idle):
                # Its writer waits on an empty queue, and the connection takes bytes now:
                # send from here, in order, without waking the writer (a wake-up, a poll
                # and a queue round trip per socket). A client that does not read is
                # never waited for: its packets go to its queue, as any other's.
                try:
                    for text in texts:
                        await idle.send(text)
                        sent += 1
                except Exception:  # noqa: BLE001, S110 - its writer finds out and closes it
                    pass
            for pkt in packets[sent:]:
                queue.put_nowait(pkt)
        for eio_sid in late:
            for pkt in packets:
                await eio.send_packet(eio_sid, pkt)


def _writable_now(ws: Any) -> bool:
    """Whether a send on Engine.IO's ASGI websocket ``ws`` completes without waiting: the
    ASGI server is uvicorn's (its ``send`` a method of its protocol) and its ``writable``
    flow-control event is set. Anything else is not known to be, and is queued."""
    protocol = getattr(getattr(ws, "asgi_send", None), "__self__", None)
    writable = getattr(protocol, "writable", None)
    return isinstance(writable, asyncio.Event) and writable.is_set()


class FanoutSocket(async_socket.AsyncSocket):  # type: ignore[misc]
    """Engine.IO's socket, waiting for its next packets without a task per wait.

    ``idle_websocket`` is its websocket while its writer waits on an empty queue (else
    ``None``): ``FanoutManager.emit`` then sends to it directly."""

    idle_websocket: Any = None
    _websocket: Any = None

    async def _websocket_handler(self, ws: Any) -> Any:
        self._websocket = ws
        try:
            return await super()._websocket_handler(ws)
        finally:
            self._websocket = self.idle_websocket = None

    async def poll(self) -> list[Any]:
        """The packets queued for the client: at least one (a long poll waits up to the
        ping interval and timeout: ``QueueEmpty`` beyond, or if cancelled), or none once
        the socket is closing (the ``None`` its handler queues)."""
        queue = self.queue
        if queue.empty() and self.upgraded:
            # A websocket's writer: its reader ends on the ping timeout and then queues the
            # ``None`` that ends this wait, so no timer of its own is needed.
            self.idle_websocket = self._websocket
            try:
                first = await queue.get()
            except asyncio.CancelledError:
                raise exceptions.QueueEmpty() from None
            finally:
                self.idle_websocket = None
        elif queue.empty():
            server = self.server
            try:
                async with asyncio.timeout(server.ping_interval + server.ping_timeout):
                    first = await queue.get()
            except (TimeoutError, asyncio.CancelledError):
                raise exceptions.QueueEmpty() from None
        else:
            first = queue.get_nowait()
        queue.task_done()
        if first is None:
            return []
        packets = [first]
        while not queue.empty():
            pkt = queue.get_nowait()
            queue.task_done()
            if pkt is None:
                queue.put_nowait(None)  # still there for the next poll, which ends
                break
            packets.append(pkt)
        return packets
