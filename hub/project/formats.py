"""The string formats canonical schemas use, checked the same way by every validator.

`jsonschema` only checks a format when an optional package for it is installed, so the hub brings
its own checks and registers them on one `FormatChecker`. The reference validator (`jsonschema`) and
the compiled hot-path validator both call these functions, so their verdicts cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from jsonschema import FormatChecker

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?"
    r"(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+")


def is_email(value: str) -> bool:
    """A pragmatic address check: one @, a dotted domain, no spaces."""
    return _EMAIL.fullmatch(value) is not None


def is_uuid(value: str) -> bool:
    """The 8-4-4-4-12 hexadecimal form."""
    return _UUID.fullmatch(value) is not None


def is_date(value: str) -> bool:
    """A real calendar date written YYYY-MM-DD."""
    if _DATE.fullmatch(value) is None:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_date_time(value: str) -> bool:
    """An RFC 3339 date-time with an explicit offset (leap second allowed, as RFC 3339 does)."""
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    try:
        date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False
    return True


def is_uri(value: str) -> bool:
    """An absolute URI: a scheme, a colon, and no whitespace."""
    return _URI.fullmatch(value) is not None


FORMATS: dict[str, Callable[[str], bool]] = {
    "email": is_email,
    "uuid": is_uuid,
    "date": is_date,
    "date-time": is_date_time,
    "uri": is_uri,
}


def format_checker() -> FormatChecker:
    """A jsonschema FormatChecker that knows exactly the hub's formats."""
    checker = FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name)(_strings_only(check))
    return checker


def _strings_only(check: Callable[[str], bool]) -> Callable[[object], bool]:
    # JSON Schema formats constrain strings only; any other type passes the format keyword.
    def checked(instance: object) -> bool:
        return not isinstance(instance, str) or check(instance)

    return checked


def parse_date_time(value: str) -> datetime:
    """Parse a canonical date-time (trailing Z allowed)."""
    return datetime.fromisoformat(value)
