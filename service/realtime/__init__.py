"""The real-time side: Socket.io events about a user's own containers.

    server.py     build_realtime(): the AsyncServer, its (in-memory or Redis) manager,
                  and the Realtime bundle the app factory starts and closes
    namespace.py  authentication at connect, rooms, expiry and re-authentication
    rooms.py      room names: one per (project, owning account)
    publisher.py  SocketIOEventPublisher: seq + time, the recent window, the emit
    eventlog.py   where seq and the window live (memory or Redis)
    health.py     the health monitor (polls WAP, emits on change)
    leader.py     one poller per deployment (a Redis lock)

The events and their payloads are described in ``contracts/events.yaml``.
"""

from __future__ import annotations

from service.realtime.rooms import room_for
from service.realtime.server import Realtime, build_realtime

__all__ = ["Realtime", "build_realtime", "room_for"]
