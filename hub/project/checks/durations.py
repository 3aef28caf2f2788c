"""Durations in a sync file (`overlap`, `reconcile.min_age`, `airflow.retry_delay`): they parse, and
they lie between nothing and ten years, so no run, reconciliation or Airflow retry computes a moment
before year 1 or skips what it should read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.errors import Problem
from hub.project.loading import SyncSpec
from hub.project.transforms import TransformArgsError, parse_duration
from hub.project.yamldoc import PathItem

MAX_DURATION = timedelta(days=3650)
"""The longest duration a sync file may give (the meta-schema's `maximum` for whole seconds)."""

DURATIONS: dict[tuple[PathItem, ...], str] = {
    ("overlap",): "each read would start after the stored cursor and skip what changed in between",
    ("reconcile", "min_age"): "no record changed during a reconciliation would be held back as in flight",
    ("airflow", "retry_delay"): "Airflow cannot wait a negative time before retrying",
}
"""Every duration of a sync file, with what a negative one would do."""


def duration_problems(sync: SyncSpec) -> list[Problem]:
    """A problem for each duration of the sync file that does not parse, is negative or too long."""
    problems = []
    for where, negative in DURATIONS.items():
        value = _value(sync.doc.data, where)
        if value is not None and (message := duration_problem(value, str(where[-1]), negative)):
            problems.append(sync.doc.problem(list(where), message))
    return problems


def duration_problem(value: Any, name: str, negative: str) -> str | None:
    """What is wrong with the duration `name` (None when nothing is); `negative` says what a negative
    one would do."""
    try:
        parsed: timedelta | None = parse_duration(value)
    except TransformArgsError as exc:
        return str(exc)
    except OverflowError:  # beyond what a timedelta holds
        parsed = None
    if parsed is not None and parsed < timedelta(0):
        return f"{name} {value!r} is negative: {negative}; give 0s or more, such as 2m"
    if parsed is None or parsed > MAX_DURATION:
        return f"{name} {value!r} is longer than ten years (3650d); give one such as 90s, 5m, 2h or 1d"
    return None


def _value(data: Any, where: tuple[PathItem, ...]) -> Any:
    for step in where:
        data = data.get(step) if isinstance(data, dict) else None
    return data
