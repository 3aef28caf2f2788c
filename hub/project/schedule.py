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
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def schedule_problem(text: str) -> str | None:
    """None when `text` is a valid preset or five-field cron expression, else what is wrong."""
    if text.startswith("@"):
        return (
            None if text in PRESETS else f"unknown preset {text!r}; use one of {', '.join(sorted(PRESETS))}"
        )
    parts = text.split()
    if len(parts) != 5:
        return (
            f"{text!r} is not a schedule: a cron expression has 5 fields (minute hour day month weekday), "
            f"not {len(parts)}, as in '0 * * * *'; or a preset such as @hourly"
        )
    for position, (part, (name, low, high)) in enumerate(zip(parts, _FIELDS, strict=True)):
        for item in part.lower().split(","):
            problem = _atom_problem(item, name, low, high, _NAMES.get(position, ()))
            if problem:
                return problem
    return _never_problem(parts)


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


def _never_problem(parts: list[str]) -> str | None:
    """A day of month that none of the months has (`0 0 31 2 *`): Airflow accepts the expression,
    then fails to find the DAG's next run. With a day of week too, cron runs on either, so it runs."""
    if parts[4] != "*" or parts[2] == "*":
        return None
    days = _values(parts[2], 1, 31, ())
    months = _values(parts[3], 1, 12, _NAMES[3])
    longest = max(_MONTH_DAYS[month - 1] for month in months)
    if min(days) <= longest:
        return None
    return (
        f"day of month {min(days)} never comes in month {parts[3]} ({longest} days at most), so this "
        "schedule would never run"
    )


def _values(part: str, low: int, high: int, names: tuple[str, ...]) -> set[int]:
    """The numbers a valid cron field stands for (`1-5/2,9` is 1, 3, 5, 9)."""
    found: set[int] = set()
    for item in part.lower().split(","):
        match = _ATOM.fullmatch(item)
        if match is None:  # checked before: cannot happen
            continue
        bounds = [_number(b, names) for b in match.group(1).split("-")] if match.group(1) != "*" else []
        step = int(match.group(2) or 1)
        first, last = (bounds[0], bounds[-1]) if bounds else (low, high)
        if len(bounds) == 1 and match.group(2) is not None:
            last = high  # `5/10`: from 5, every 10
        span = range(first, last + 1) if first <= last else [*range(first, high + 1), *range(low, last + 1)]
        found |= set(list(span)[::step])
    return found


def _number(bound: str, names: tuple[str, ...]) -> int:
    return names.index(bound) + 1 if bound in names else int(bound)
