"""The readiness check behind ``/readyz``: every part at once, each within its timeout,
one check shared by concurrent probes, the answer kept for the cache window."""

from __future__ import annotations

import asyncio

from service import errors
from service.http.probes import FAILED, NOT_CONFIGURED, OK, TIMEOUT, Readiness
from tests.fakes.clock import FixedClock
from tests.fakes.repository import FakeContainerRepository
from tests.fakes.wap import FakeWap

TIMEOUT_SECONDS = 0.05  # how long a part that hangs is waited for, in these tests


class Part:
    """A dependency's ping: counts calls; ``gate`` (when set) holds each call until set;
    ``error`` makes calls fail."""

    def __init__(self) -> None:
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.error: Exception | None = None

    async def __call__(self) -> None:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error


def readiness(
    clock: FixedClock | None = None, cache_seconds: float = 2.0, **parts: Part | None
) -> Readiness:
    return Readiness(
        parts, timeout=TIMEOUT_SECONDS, cache_seconds=cache_seconds, clock=clock or FixedClock()
    )


async def test_every_part_answering_is_ready_and_an_unconfigured_part_does_not_count() -> None:
    report = await readiness(database=Part(), wap=Part(), redis=None).report()
    assert report.ready
    assert report.checks == {"database": OK, "wap": OK, "redis": NOT_CONFIGURED}


async def test_a_failing_part_is_named_and_the_others_still_answer() -> None:
    wap = Part()
    wap.error = errors.UpstreamUnavailable("no route to WAP")
    report = await readiness(database=Part(), wap=wap, redis=Part()).report()
    assert not report.ready
    assert report.checks == {"database": OK, "wap": FAILED, "redis": OK}
    assert report.failing == ["wap"]
    assert report.detail == "Not ready: wap (failed)."


async def test_a_part_that_does_not_answer_in_time_is_a_timeout() -> None:
    database = Part()
    database.gate = asyncio.Event()
    probe = readiness(database=database, wap=Part(), cache_seconds=0)
    report = await asyncio.wait_for(probe.report(), 5)
    assert report.checks == {"database": TIMEOUT, "wap": OK}
    await probe.close()


async def test_a_part_still_running_is_waited_for_again_not_asked_again() -> None:
    database = Part()
    database.gate = asyncio.Event()
    probe = readiness(database=database, cache_seconds=0)
    assert (await probe.report()).checks == {"database": TIMEOUT}
    assert (await probe.report()).checks == {"database": TIMEOUT}
    assert database.calls == 1  # a hung database holds one thread, not one per probe
    database.gate.set()
    await asyncio.sleep(0)  # the first call answers, late
    assert (await probe.report()).checks == {"database": OK}
    assert database.calls == 2  # once it has answered, the next check asks it anew


async def test_probes_arriving_together_share_one_check() -> None:
    wap = Part()
    wap.gate = asyncio.Event()
    probe = readiness(wap=wap, cache_seconds=0)
    waiting = [asyncio.create_task(probe.report()) for _ in range(5)]
    await asyncio.sleep(0)  # every probe is waiting
    wap.gate.set()
    reports = await asyncio.gather(*waiting)
    assert wap.calls == 1
    assert all(r.ready for r in reports)


async def test_a_probe_that_hangs_up_does_not_cancel_the_check_the_others_wait_for() -> None:
    wap = Part()
    wap.gate = asyncio.Event()
    probe = readiness(wap=wap, cache_seconds=0)
    first = asyncio.create_task(probe.report())
    second = asyncio.create_task(probe.report())
    while wap.calls == 0:  # both probes are waiting for the one call
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    first.cancel()
    wap.gate.set()
    assert (await second).ready
    assert wap.calls == 1


async def test_an_answer_is_kept_for_the_cache_window_then_checked_again() -> None:
    clock, wap = FixedClock(), Part()
    probe = readiness(clock, cache_seconds=2.0, wap=wap)
    await probe.report()
    clock.advance(1.9)
    await probe.report()
    assert wap.calls == 1
    clock.advance(0.2)
    await probe.report()
    assert wap.calls == 2


async def test_a_failure_is_kept_too_and_a_clock_set_back_does_not_prolong_it() -> None:
    clock, wap = FixedClock(), Part()
    wap.error = errors.UpstreamTimeout()
    probe = readiness(clock, cache_seconds=2.0, wap=wap)
    assert not (await probe.report()).ready
    wap.error = None
    assert not (await probe.report()).ready  # within the window: the same answer
    clock.advance(-60)
    assert (await probe.report()).ready
    assert wap.calls == 2


async def test_the_ports_fakes_ping_as_the_real_adapters_do() -> None:
    repository, wap = FakeContainerRepository(), FakeWap()
    repository.ping_error = errors.DatabaseUnavailable()
    wap.fail_next("ping", errors.UpstreamUnavailable("down"))
    probe = Readiness(
        {"database": repository.ping, "wap": wap.ping},
        timeout=1,
        cache_seconds=0,
        clock=FixedClock(),
    )
    assert (await probe.report()).checks == {"database": FAILED, "wap": FAILED}
    repository.ping_error = None
    assert (await probe.report()).ready
    assert repository.count("ping") == 2 and len(wap.calls_to("ping")) == 2
