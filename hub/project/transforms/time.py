"""Transforms of dates and date-times, and the durations sync files use."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.project.transforms import (
    CompileContext,
    Kinds,
    TransformArgsError,
    TransformError,
    parse_options,
    register,
)

MOMENTS = ("string", "integer", "number")
"""What a date or date-time is read from: text (ISO 8601 or `input_format`), or seconds or milliseconds
since 1970."""

_INPUT_FORMAT = {
    "type": "string",
    "minLength": 1,
    "description": "The strftime pattern of the values read (without it: ISO 8601, or seconds or "
    "milliseconds since 1970).",
    "examples": ["%d/%m/%Y", "%Y-%m-%d %H:%M:%S"],
}


def _moment_gives(args: Any, given: Kinds) -> Kinds:
    """Milliseconds since 1970 (a whole number) with `output: epoch_ms`, else text."""
    epoch = isinstance(args, dict) and args.get("output") == "epoch_ms"
    return frozenset({"integer" if epoch else "string"})


def _zone(name: Any) -> Any:
    if name in (None, "UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise TransformArgsError(f"unknown time zone {name!r}", ("timezone",)) from None


def _parse_datetime(value: Any, input_format: str | None, zone: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        parsed = datetime.fromtimestamp(value / 1000.0 if value > 1e11 else value, UTC)
    elif isinstance(value, str):
        parsed = _parse_datetime_text(value.strip(), input_format)
    else:
        raise TransformError(f"expected a date-time, got {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _parse_datetime_text(text: str, input_format: str | None) -> datetime:
    try:
        if input_format:
            return datetime.strptime(text, input_format)
        if text.isdigit() and len(text) >= 10:
            stamp = int(text)
            return datetime.fromtimestamp(stamp / 1000.0 if stamp > 1e11 else stamp, UTC)
        return datetime.fromisoformat(text)
    except ValueError:
        expected = f"the form {input_format}" if input_format else "ISO 8601"
        raise TransformError(f"{text!r} is not a date-time in {expected}") from None


def format_utc(moment: datetime) -> str:
    """Canonical date-time text: ISO 8601 in UTC with `Z`, fractions only when present."""
    return utc_text(moment if moment.tzinfo is UTC else moment.astimezone(UTC))


def utc_text(moment: datetime) -> str:
    """An aware UTC `moment` as canonical text: `2024-03-01T12:00:00Z`, `….123Z` for whole
    milliseconds, `….123456Z` otherwise. From `isoformat`, a third of `strftime`'s cost: every
    record of a load passes here at least once."""
    text = moment.isoformat()  # 2024-03-01T12:00:00[.123456]+00:00
    micro = moment.microsecond
    if micro and micro % 1000 == 0:
        return text[:23] + "Z"
    return text[:-6] + "Z"


def is_utc_text(value: str) -> bool:
    """Whether `value` is canonical date-time text already (what `utc_text` writes), so a transform
    can pass it on as it is: a load's every record arrives so from a source that keeps UTC times
    (the SQL connector's records, the hub's own), and parsing and writing it again costs three times
    as much as this check. The parse still proves the date and the time exist."""
    size = len(value)
    if size not in (20, 24, 27) or value[-1] != "Z" or value[10] != "T":
        return False
    if value[4] != "-" or value[7] != "-" or value[13] != ":" or value[16] != ":":
        return False
    # fractions only when present, in milliseconds when they are whole ones
    if size > 20 and (value[19] != "." or value[size - 4 : size - 1] == "000"):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


_PRESETS = {"odoo": "%Y-%m-%d %H:%M:%S", "salesforce": "salesforce", "iso": None, "epoch_ms": "epoch_ms"}


@register(
    "datetime",
    "date-time to ISO 8601 UTC (`input_format`, `timezone` for naive values, "
    "`output`: iso | odoo | salesforce | epoch_ms | a strftime pattern)",
    args={
        "type": "object",
        "description": "How values are read and written; without options, ISO 8601 in, UTC with Z out.",
        "additionalProperties": False,
        "properties": {
            "input_format": _INPUT_FORMAT,
            "timezone": {
                "type": "string",
                "minLength": 1,
                "default": "UTC",
                "description": "The time zone (an IANA name) of values that carry none.",
                "examples": ["Europe/Berlin", "America/New_York"],
            },
            "output": {
                "type": "string",
                "minLength": 1,
                "default": "iso",
                "description": "iso (UTC with Z), odoo, salesforce, epoch_ms (milliseconds since 1970, a "
                "number) or a strftime pattern.",
                "examples": ["iso", "odoo", "salesforce", "epoch_ms", "%Y-%m-%d %H:%M"],
            },
        },
        "examples": [{"output": "odoo"}, {"input_format": "%d/%m/%Y %H:%M", "timezone": "Europe/Berlin"}],
    },
    gives="string",
    gives_for=_moment_gives,
    accepts=MOMENTS,
)
def _datetime(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    options = parse_options(args, "datetime", {"input_format", "timezone", "output"})
    zone = _zone(options.get("timezone"))
    input_format = options.get("input_format")
    output = _PRESETS.get(options.get("output", "iso"), options.get("output"))
    fast = input_format is None and output is None

    def to_datetime(value: Any) -> Any:
        if fast and isinstance(value, str):
            if len(value) == 28 and value.endswith("+0000"):
                # Salesforce's "2024-01-15T14:22:10.456+0000": already UTC, reformat without parsing.
                return (value[:19] + "Z") if value[20:23] == "000" else value[:23] + "Z"
            if is_utc_text(value):
                return value
        moment = _parse_datetime(value, input_format, zone)
        return _render(moment, output)

    return to_datetime


def _render(moment: datetime, output: str | None) -> Any:
    if output is None:
        return format_utc(moment)
    if output == "salesforce":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    if output == "epoch_ms":
        return int(moment.timestamp() * 1000)
    return moment.strftime(output)


@register(
    "date",
    "date to YYYY-MM-DD (`input_format`; `output` a strftime pattern or epoch_ms)",
    args={
        "type": "object",
        "description": "How values are read and written; without options, YYYY-MM-DD both ways.",
        "additionalProperties": False,
        "properties": {
            "input_format": _INPUT_FORMAT,
            "output": {
                "type": "string",
                "minLength": 1,
                "description": "A strftime pattern, or epoch_ms (midnight UTC in milliseconds since 1970, "
                "a number); without it, YYYY-MM-DD.",
                "examples": ["%d.%m.%Y", "epoch_ms"],
            },
        },
        "examples": [{"input_format": "%d/%m/%Y"}, {"output": "epoch_ms"}],
    },
    gives="string",
    gives_for=_moment_gives,
    accepts=MOMENTS,
)
def _date(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    options = parse_options(args, "date", {"input_format", "output"})
    input_format, output = options.get("input_format"), options.get("output")

    def to_date(value: Any) -> Any:
        if isinstance(value, str) and input_format is None and len(value) == 10 and output is None:
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                raise TransformError(f"{value!r} is not a date in the form YYYY-MM-DD") from None
        day = _parse_datetime(value, input_format, UTC).date()
        if output == "epoch_ms":
            return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
        return day.strftime(output) if output else day.isoformat()

    return to_date


@register(
    "offset",
    "shift a date-time by a duration such as `-1h` (for systems that lie about their time zone)",
    needs_args=True,
    args={
        "type": ["string", "number"],
        "pattern": r"^\s*-?[0-9]+\s*(ms|s|m|h|d)\s*$",
        "description": "How far to shift: a whole number of ms, s, m, h or d, negative to go back (a bare "
        "number is seconds).",
        "examples": ["-1h", "30m"],
        "errorMessage": "offset needs a duration such as -1h, 90s, 5m or 1d",
    },
    gives="string",
    accepts=MOMENTS,
)
def _offset(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    shift = parse_duration(args)

    def offset(value: Any) -> Any:
        try:
            return format_utc(_parse_datetime(value, None, UTC) + shift)
        except OverflowError:  # past year 9999: the record's problem, not a crash of the run
            raise TransformError(f"{value!r} shifted by {args!r} is outside the calendar") from None

    return offset


_DURATION = re.compile(r"(-?)(\d+)\s*(ms|s|m|h|d)")


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


_EXAMPLES = "such as 90s, 5m, 2h or 1d"


def parse_duration(value: Any) -> timedelta:
    """`90`, `"90s"`, `"5m"`, `"2h"`, `"1d"` or `"-1h"` as a timedelta (bare numbers are seconds).

    TransformArgsError for anything else, and for a duration no timedelta holds (`9999999999d` would
    raise OverflowError, a traceback where a located problem is due)."""
    try:
        return _duration(value)
    except OverflowError:
        raise TransformArgsError(
            f"{value!r} is longer than any duration can be (999999999 days); give one {_EXAMPLES}"
        ) from None


def _duration(value: Any) -> timedelta:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value:  # NaN
            raise TransformArgsError(f"{value!r} is not a duration {_EXAMPLES}")
        return timedelta(seconds=value)
    match = _DURATION.fullmatch(str(value).strip())
    if match is None:
        raise TransformArgsError(f"{value!r} is not a duration {_EXAMPLES}")
    sign = -1 if match.group(1) else 1
    return timedelta(seconds=sign * int(match.group(2)) * _UNITS[match.group(3)])
