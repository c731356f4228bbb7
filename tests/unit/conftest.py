"""The unit suite's world: two accounts, their containers on a FakeWap, a dict-backed
repository, a recording publisher, a dict-backed health memory and a fixed clock. No
network, no database, no stand-in: every test here runs in milliseconds.

``mine`` is alice's fully capable agent (file roots, hot reload, catalogue of tags);
``bare`` is alice's agent with no capability and no access parameters; ``theirs`` is
bob's. Use cases are built the way ``service.http.app.routes`` builds them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from service.domain import CAP_FILE_READ, CAP_FILE_WRITE, CAP_RESTART, AccessParameters
from service.sessions import Caller
from service.usecases.ownership import Ownership
from service.usecases.streams import StreamBounds, StreamGate
from tests.fakes.clock import FixedClock
from tests.fakes.events import RecordingEventPublisher
from tests.fakes.health_memory import FakeHealthMemory
from tests.fakes.repository import FakeContainerRepository
from tests.fakes.wap import FakeWap

ALICE = Caller("alice", "session-alice", 4_102_444_800.0)
BOB = Caller("bob", "session-bob", 4_102_444_800.0)
MINE = "a11ce000-0000-4000-8000-000000000001"
BARE = "a11ce000-0000-4000-8000-000000000003"
THEIRS = "b0b00000-0000-4000-8000-000000000001"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
IMAGE = "armory/agent"
INSTRUCTIONS = "/app/config/instructions"


@dataclass
class World:
    clock: FixedClock
    wap: FakeWap
    repository: FakeContainerRepository
    events: RecordingEventPublisher
    ownership: Ownership
    streams: StreamGate
    memory: FakeHealthMemory

    def wap_id(self, container_id: str) -> str:
        return self.repository.containers[container_id].wap_id


@pytest.fixture
def world() -> World:
    clock = FixedClock()
    wap = FakeWap(clock=clock)
    repository = FakeContainerRepository(clock=clock)
    access = AccessParameters(
        writable_paths=("/app/config", "/app/data"), read_only_paths=("/app/logs",)
    )
    repository.add_container(
        MINE,
        account_id="alice",
        project_id="project-alice",
        image=IMAGE,
        tag="1.4.0",
        capabilities=(CAP_FILE_READ, CAP_FILE_WRITE, CAP_RESTART),
        access=access,
        instructions_dir=INSTRUCTIONS,
        supports_hot_reload=True,
    )
    repository.add_container(BARE, account_id="alice", project_id="project-alice", image=IMAGE)
    repository.add_container(
        THEIRS,
        account_id="bob",
        project_id="project-bob",
        image=IMAGE,
        capabilities=(CAP_FILE_READ, CAP_FILE_WRITE, CAP_RESTART),
        access=access,
    )
    repository.add_catalogue(IMAGE, "1.3.0", "1.4.0", "1.5.0")
    for container in repository.containers.values():
        wap.add_container(
            container.wap_id,
            image=IMAGE,
            tag=container.tag,
            env={"LOG_LEVEL": "info", "OPENAI_API_KEY": "sk-secret", "PATH": "/usr/bin"},
            files={
                "/app/config/agent.yaml": b"name: agent\n",
                f"{INSTRUCTIONS}/system.md": b"# Be helpful\n",
                "/app/data/blob.bin": bytes(range(256)),
                "/app/logs/agent.log": b"started\n",
            },
            hot_reload_dirs=(INSTRUCTIONS,),
            logs=("line 1", "line 2", "line 3"),
        )
    events = RecordingEventPublisher(clock=clock)
    streams = StreamGate(StreamBounds(per_account=2, max_seconds=60, idle_seconds=10))
    return World(clock, wap, repository, events, Ownership(repository), streams, FakeHealthMemory())
