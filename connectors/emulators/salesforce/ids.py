"""Salesforce record ids and timestamps: 18-character ids with their checksum, `...456+0000` datetimes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

Clock = Callable[[], datetime]

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_SHAPE = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-5]{3})?")
# The pod part of an id: real ids carry the instance that created them in characters 4-5.
POD = "8d"
DATETIME_SHAPE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:?\d{2})$"
)


def utc_now() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


def _checksum(id15: str) -> str:
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]) if "A" <= ch <= "Z")
        suffix += _CHECKSUM_CHARS[bits]
    return suffix


def make_id(prefix: str, number: int) -> str:
    """The 18-character id of the `number`-th record of the object whose key prefix is `prefix`."""
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
    id15 = f"{prefix}{POD}00{digits.rjust(8, '0')}"
    return id15 + _checksum(id15)


def normalize_id(value: str) -> str | None:
    """The 18-character form of a 15- or 18-character id, or None when `value` is not an id."""
    if not isinstance(value, str) or not _ID_SHAPE.fullmatch(value):
        return None
    id15 = value[:15]
    full = id15 + _checksum(id15)
    return full if len(value) == 15 or value[15:].upper() == full[15:].upper() else None


def short_id(record_id: str) -> str:
    """The 15-character id, as some error messages print it."""
    return record_id[:15]


def truncate_ms(moment: datetime) -> datetime:
    """`moment` in UTC with millisecond precision, as Salesforce stores timestamps."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def format_datetime(moment: datetime) -> str:
    """`2024-01-15T14:22:10.456+0000`, the way every Salesforce response writes a datetime."""
    moment = truncate_ms(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime | None:
    """An ISO-8601 datetime with Z or an offset (+00:00 or +0000), in UTC; None when malformed."""
    match = DATETIME_SHAPE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    except ValueError:
        return None
    moment += timedelta(microseconds=int((fraction or "0").ljust(6, "0")))
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return truncate_ms(moment)


def parse_date(text: str) -> date | None:
    """A `YYYY-MM-DD` date, or None when malformed."""
    try:
        return date.fromisoformat(text) if isinstance(text, str) and len(text) == 10 else None
    except ValueError:
        return None


class ManualClock:
    """A clock tests move by hand: `clock = ManualClock(datetime(2024, 3, 1, tzinfo=UTC))`."""

    def __init__(self, start: datetime) -> None:
        self.now = truncate_ms(start)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        """Move forward by `seconds` (and/or timedelta keywords); returns the new time."""
        self.now = truncate_ms(self.now + timedelta(seconds=seconds, **delta))
        return self.now
