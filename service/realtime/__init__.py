"""The real-time side: Socket.io events about a user's own containers.

    server.py     build_realtime(): the AsyncServer, its (in-memory or Redis) manager,
                  and the Realtime bundle the app factory starts and closes
    namespace.py  authentication at connect, rooms, expiry and re-authentication
    rooms.py      room names: one per (project, owning account)
    publisher.py  SocketIOEventPublisher: seq + time, the recent window, the emit
    eventlog.py   where seq and the window live (memory or Redis)
    health.py     the health monitor (runs the health watch use case on a schedule)
    leader.py     one poller per deployment (a Redis lock)

The events and their payloads are described in ``contracts/events.yaml``.
"""
