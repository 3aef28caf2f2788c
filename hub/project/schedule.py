"""Schedules as Airflow accepts them: cron expressions and presets, checked without a dependency."""

from __future__ import annotations

import re

PRESETS = frozenset(
    {
        "@once",
        "@continuous",
        "@hourly",
        "@daily",
        "@midnight",
        "@weekly",
        "@monthly",
        "@quarterly",
        "@yearly",
        "@annually",
    }
)
_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_NAMES = {
    3: ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    4: ("sun", "mon", "tue", "wed", "thu", "fri", "sat"),
}
_ATOM = re.compile(r"(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/(\d+))?")


def schedule_problem(text: str) -> str | None:
    """None when `text` is a valid preset or five-field cron expression, else what is wrong."""
    if text.startswith("@"):
        return (
            None if text in PRESETS else f"unknown preset {text!r}; use one of {', '.join(sorted(PRESETS))}"
        )
    parts = text.split()
    if len(parts) != 5:
        return f"a cron expression has 5 fields (minute hour day month weekday); {text!r} has {len(parts)}"
    for position, (part, (name, low, high)) in enumerate(zip(parts, _FIELDS, strict=True)):
        for item in part.lower().split(","):
            problem = _atom_problem(item, name, low, high, _NAMES.get(position, ()))
            if problem:
                return problem
    return None


def _atom_problem(item: str, name: str, low: int, high: int, names: tuple[str, ...]) -> str | None:
    match = _ATOM.fullmatch(item)
    if match is None:
        return f"{item!r} is not a valid {name} field"
    for bound in match.group(1).split("-") if match.group(1) != "*" else []:
        value = names.index(bound) + (1 if len(names) == 12 else 0) if bound in names else None
        if value is None and not bound.isdigit():
            return f"{bound!r} is not a valid {name}"
        number = int(bound) if value is None else value
        if not low <= number <= high:
            return f"{name} {number} is out of range {low}-{high}"
    if match.group(2) is not None and int(match.group(2)) == 0:
        return f"step 0 in {item!r} would never advance"
    return None
