"""Values between records and SQL columns: what a read gives the hub, what a write binds, cursor times.

Reads keep numbers exact (NUMERIC/DECIMAL columns come back as `Decimal`) and turn times into the
text every other connector gives: date-times as ISO 8601 UTC with `Z` (a naive value is UTC), dates
as `YYYY-MM-DD`. Writes take what the hub sends (mostly text and numbers) and convert each value to
its column's Python type first, so a value no column can hold is refused before the database is
asked, with a message naming the column.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

import sqlalchemy as sa

from hub.errors import ConfigError
from hub.project.transforms.time import utc_text
from hub.project.transforms.values import as_decimal

T = TypeVar("T")
TRUE_TEXT = frozenset({"true", "t", "yes", "y", "1"})
FALSE_TEXT = frozenset({"false", "f", "no", "n", "0"})


def iso_utc(moment: datetime) -> str:
    """`2024-03-01T12:00:00Z` (fractions only when present); a naive value is taken as UTC."""
    return utc_text(as_utc(moment))


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime (naive values are UTC)."""
    if moment.tzinfo is UTC:
        return moment
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def readable(value: Any) -> Any:
    """A column value as a record holds it: times as ISO text, UUIDs as text, the rest unchanged."""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def cursor_moment(value: Any, column: str) -> datetime:
    """A cursor column's value as an aware UTC datetime (ConfigError when it holds no time)."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return as_utc(datetime.fromisoformat(value.strip()))
        except ValueError:
            pass
    raise ConfigError(
        f"sql: the cursor column {column!r} holds {value!r}, not a date-time; "
        "name a timestamp column as the mapping's cursor_field"
    )


def sqlite_text(moment: datetime) -> str:
    """A UTC moment as SQLite compares stored times: `YYYY-MM-DD HH:MM:SS[.fff]`, no trailing zeros.

    The shortest form is compared as text, so it is at or below every spelling of the same instant
    (`12:00:00` and `12:00:00.000000` both sort at or after `12:00:00`)."""
    text = as_utc(moment).replace(tzinfo=None).isoformat(sep=" ")
    return text.rstrip("0").rstrip(".") if "." in text else text


def stamp_value(column: sa.ColumnElement[Any], moment: datetime) -> Any:
    """The current time as a cursor column keeps it, or None when the column holds no time."""
    if isinstance(column.type, (sa.DateTime, sa.Date)):
        return moment
    if isinstance(column.type, sa.String):  # SQLite's untyped times: the text SQLAlchemy writes
        return as_utc(moment).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return None


def column_value(column: sa.ColumnElement[Any], value: Any) -> Any:
    """`value` converted for `column` (ValueError saying why when it cannot be)."""
    if value is None:
        return None
    return converter(column)(value)


def converter(column: sa.ColumnElement[Any]) -> Callable[[Any], Any]:
    """What converts a (non-null) value for `column`: pick it once, call it for every row."""
    type_ = column.type
    for kind, convert in _CONVERTERS:
        if isinstance(type_, kind):
            return partial(convert, type_)
    return _unchanged


def _unchanged(value: Any) -> Any:
    return value


def _to_datetime(type_: Any, value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        moment = _parse(datetime.fromisoformat, value, "a date-time (ISO 8601)")
    else:
        raise ValueError(f"{value!r} is not a date-time")
    moment = as_utc(moment)
    return moment if getattr(type_, "timezone", False) else moment.replace(tzinfo=None)


def _to_date(type_: Any, value: Any) -> date:
    if isinstance(value, datetime):
        return as_utc(value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 10:
            return as_utc(_parse(datetime.fromisoformat, text, "a date (YYYY-MM-DD)")).date()
        return _parse(date.fromisoformat, text, "a date (YYYY-MM-DD)")
    raise ValueError(f"{value!r} is not a date")


def _to_time(type_: Any, value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        return _parse(time.fromisoformat, value, "a time of day (HH:MM:SS)")
    raise ValueError(f"{value!r} is not a time of day")


def _to_uuid(type_: Any, value: Any) -> Any:
    if isinstance(value, UUID) or not getattr(type_, "as_uuid", True):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a UUID") from None


def _to_float(type_: Any, value: Any) -> float:
    return float(_to_decimal(type_, value))


def _to_decimal(type_: Any, value: Any) -> Decimal:
    return as_decimal(value)


def _to_integer(type_: Any, value: Any) -> int:
    if isinstance(value, int):
        return int(value)
    number = _to_decimal(type_, value)
    if number != number.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def _to_boolean(type_: Any, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE_TEXT or text in FALSE_TEXT:
        return text in TRUE_TEXT
    raise ValueError(f"{value!r} is not a boolean")


def _to_text(type_: Any, value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _parse(parse: Callable[[str], T], text: str, expected: str) -> T:
    try:
        return parse(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not {expected}") from None


# Order matters: Float is a Numeric, and DateTime is checked before Date.
_CONVERTERS: tuple[tuple[type[Any], Callable[[Any, Any], Any]], ...] = (
    (sa.DateTime, _to_datetime),
    (sa.Date, _to_date),
    (sa.Time, _to_time),
    (sa.Float, _to_float),
    (sa.Numeric, _to_decimal),
    (sa.Integer, _to_integer),
    (sa.Boolean, _to_boolean),
    (sa.Uuid, _to_uuid),
    (sa.String, _to_text),
)
