"""Run Schemathesis' engine (what ``st run`` runs) in-process and collect what it reports.

Used to show that each check *can* fail: ``test_checks_can_fail.py`` runs the suite's
configuration against deliberately broken apps and asserts on the failures reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schemathesis.engine import Status, events, from_schema


@dataclass
class Report:
    """Failed check name → operations it failed on; errors the engine hit."""

    failures: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    errors: list[str] = field(default_factory=list)
    scenarios: int = 0
    details: list[str] = field(default_factory=list)  # each failure's message and curl

    @property
    def failed_checks(self) -> set[str]:
        return set(self.failures)


def run_engine(schema: Any) -> Report:
    report = Report()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            report.scenarios += 1
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.status == Status.FAILURE:
                        report.failures[node.name].add(event.label or event.recorder.label)
                        if node.failure_info is not None:
                            failure = node.failure_info.failure
                            report.details.append(
                                f"{node.name}: {failure.title}: {failure.message}\n"
                                f"{node.failure_info.code_sample}"
                            )
        elif isinstance(event, events.NonFatalError):
            report.errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return report


def engine_config(
    *, phases: tuple[str, ...], max_examples: int = 10, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Overrides of ``schemathesis.toml`` for a short run of only ``phases``."""
    names = ("examples", "coverage", "fuzzing", "stateful")
    config: dict[str, Any] = {
        "phases": {name: {"enabled": name in phases} for name in names},
        "generation": {"max-examples": max_examples},
    }
    for key, value in (extra or {}).items():
        if isinstance(value, Mapping) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config
