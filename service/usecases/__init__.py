"""Use cases: what the API does, independent of HTTP, Pony, httpx and Socket.io."""
