"""The ``ping`` of each real adapter, as ``/readyz`` uses it: the Pony repository (and the
ownership cache in front of it) on SQLite and PostgreSQL, the WAP client on the stub."""

from __future__ import annotations

from typing import Any

import pytest

from service import demo, errors
from service.adapters.change_feeds import change_feed
from service.adapters.database import DatabaseTarget
from service.adapters.migrations import migrate
from service.adapters.ownership_cache import CachedContainerRepository
from service.adapters.pony_repository import PonyContainerRepository
from service.adapters.seeding import seed
from service.adapters.wap_client import WapClient
from service.settings import Settings
from tests.fixtures.ports import free_port


async def test_the_repository_and_its_cache_ping_both_databases(any_target: DatabaseTarget) -> None:
    migrate(any_target)
    seed(any_target, demo.PROJECTS, demo.CONTAINERS, demo.CATALOGUE)
    cache = CachedContainerRepository(
        PonyContainerRepository(any_target, threads=1), change_feed(any_target), max_age=30.0
    )
    await cache.start()
    try:
        await cache.ping()
        await cache.inner.ping()
    finally:
        await cache.stop()


async def test_the_wap_client_pings_the_one_call_that_names_no_container(
    settings: Settings, wap_stub: Any
) -> None:
    wap_stub.clear_calls()
    async with WapClient(settings) as wap:
        await wap.ping()
    assert [(c["method"], c["path"]) for c in wap_stub.calls()] == [("GET", "/containers/health")]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"wap_password": "wrong"}, errors.UpstreamError),
        ({"wap_url": "http://127.0.0.1:{port}"}, errors.UpstreamUnavailable),
    ],
    ids=["credentials refused", "nothing listening"],
)
async def test_the_wap_client_ping_raises_what_every_call_raises(
    settings: Settings, changes: dict[str, str], error: type[errors.ApiError]
) -> None:
    changed = {k: v.format(port=free_port()) for k, v in changes.items()}
    async with WapClient(settings.replace(**changed)) as wap:
        with pytest.raises(error):
            await wap.ping()
