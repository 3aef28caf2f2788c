"""SuiteQL text for the NetSuite connector: record type names, literals, filter conditions and IN lists
cut to size, and the windows (one query each) that a read moves through.

    condition("email", "=", "ada@example.com")   # "email = 'ada@example.com'"
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from hub.errors import FatalAPIError
from hub.io.connector import ObjectSpec

IN_CHUNK = 500
Mode = Literal["from", "after", "at", "ids"]


@dataclass(frozen=True)
class Window:
    """One SuiteQL query of a read: where it starts and which records of that start it skips.

    `from`: cursor >= instant, dropping `skip` (ids already returned at that instant); `after`:
    cursor > instant; `at`: cursor = instant and id > after_id (one crowded instant, by id); `ids`:
    id > after_id (objects without a cursor field)."""

    mode: Mode
    instant: str | None = None  # the cursor as the user's local `YYYY-MM-DDTHH:MM:SS`
    after_id: int = 0
    skip: frozenset[int] = frozenset()


@dataclass
class Seen:
    """What a window has returned so far: the latest instant, the ids at it, the last id."""

    instant: str | None = None
    ids_at_instant: set[int] | None = None
    last_id: int = 0


def table_of(obj: ObjectSpec) -> str:
    """The record type an object names (`customer`), checked to be a plain SuiteQL name."""
    name = obj.name.lower()
    if not name.replace("_", "").isalnum():
        raise FatalAPIError("netsuite", f"unknown object {obj.name!r}; name a record type such as customer")
    return name


def literal(value: Any) -> str:
    """A value as a SuiteQL literal: strings quoted (`''` inside), booleans `'T'`/`'F'`."""
    if isinstance(value, bool):
        return "'T'" if value else "'F'"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def condition(name: str, operator: str, value: Any) -> str:
    """One mapping filter term as SuiteQL."""
    column = name.lower()
    if value is None:
        return f"{column} IS {'NOT ' if operator == '!=' else ''}NULL"
    if operator == "=":
        return f"{column} = {literal(value)}"
    if operator == "not in":  # the hub's filters keep empty fields, SQL's <> and NOT IN would not
        return f"({column} NOT IN ({', '.join(literal(v) for v in value)}) OR {column} IS NULL)"
    return f"({column} <> {literal(value)} OR {column} IS NULL)"


def chunks(lists: Mapping[str, list[Any]]) -> Iterator[dict[str, list[Any]]]:
    """The criteria with each value list cut into IN-sized chunks (every combination of chunks)."""
    combos: list[dict[str, list[Any]]] = [{}]
    for name, values in lists.items():
        parts = [values[i : i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]
        combos = [{**combo, name: part} for combo in combos for part in parts]
    yield from combos


__all__ = ["IN_CHUNK", "Mode", "Seen", "Window", "chunks", "condition", "literal", "table_of"]
