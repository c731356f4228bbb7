"""Database outages as the repository sees them (``service.adapters.database``): which
driver errors mean "unreachable", and how ``OutageGate`` answers them with a 503 and
keeps callers from queueing behind a database that does not answer."""

from __future__ import annotations

import asyncio
import sqlite3

import psycopg2
import pytest
from pony import orm
from pony.orm import dbapiprovider

from service import errors
from service.adapters.database import OutageGate, unavailable

REFUSED = psycopg2.OperationalError("connection to server failed: Connection refused")


@pytest.mark.parametrize(
    "exc",
    [
        REFUSED,
        psycopg2.InterfaceError("connection already closed"),
        dbapiprovider.OperationalError(REFUSED),  # as Pony wraps it
        orm.ConnectionClosedError("Transaction cannot be continued"),
        sqlite3.OperationalError("database is locked"),
    ],
)
def test_connection_failures_mean_the_database_is_unavailable(exc: Exception) -> None:
    assert unavailable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        psycopg2.IntegrityError("duplicate key"),
        dbapiprovider.IntegrityError(psycopg2.IntegrityError("duplicate key")),
        orm.TransactionIntegrityError("duplicate key"),
        sqlite3.OperationalError("no such table: container_launch"),
        ValueError("not a database error"),
    ],
)
def test_a_refused_query_is_not_an_outage(exc: Exception) -> None:
    assert not unavailable(exc)


async def _fail_with(exc: Exception) -> None:
    raise exc


async def test_an_outage_answers_503_with_retry_after_and_keeps_the_cause() -> None:
    gate = OutageGate(retry_after=3)
    with pytest.raises(errors.DatabaseUnavailable) as raised:
        await gate.run(lambda: _fail_with(REFUSED))
    assert raised.value.status == 503
    assert raised.value.headers == {"Retry-After": "3"}
    assert raised.value.__cause__ is REFUSED
    assert gate.down


async def test_other_errors_pass_through_unchanged() -> None:
    gate = OutageGate()
    integrity = orm.TransactionIntegrityError("duplicate key")
    with pytest.raises(orm.TransactionIntegrityError):
        await gate.run(lambda: _fail_with(integrity))
    assert not gate.down


async def test_while_down_one_call_probes_and_the_others_answer_at_once() -> None:
    gate = OutageGate()
    with pytest.raises(errors.DatabaseUnavailable):
        await gate.run(lambda: _fail_with(REFUSED))
    answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    calls = 0

    async def slow() -> str:
        nonlocal calls
        calls += 1
        return await answer

    probe = asyncio.create_task(gate.run(slow))
    await asyncio.sleep(0)
    second = asyncio.create_task(gate.run(slow))
    await asyncio.sleep(0)
    answered_at_once = second.done()  # not queued behind the probe
    answer.set_result("back")
    assert answered_at_once and isinstance(second.exception(), errors.DatabaseUnavailable)
    assert calls == 1
    assert await probe == "back"
    assert not gate.down  # the probe's success ends the outage
    assert await gate.run(slow) == "back"
    assert calls == 2
