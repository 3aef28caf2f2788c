"""Transforms of dates and date-times, and the durations sync files use."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.project.transforms import (
    CompileContext,
    TransformArgsError,
    TransformError,
    parse_options,
    register,
)


def _zone(name: Any) -> Any:
    if name in (None, "UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise TransformArgsError(f"unknown time zone {name!r}") from None


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
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    micro = moment.microsecond
    if micro:
        text += f".{micro // 1000:03d}" if micro % 1000 == 0 else f".{micro:06d}"
    return text + "Z"


_PRESETS = {"odoo": "%Y-%m-%d %H:%M:%S", "salesforce": "salesforce", "iso": None, "epoch_ms": "epoch_ms"}


@register(
    "datetime",
    "date-time to ISO 8601 UTC (`input_format`, `timezone` for naive values, "
    "`output`: iso | odoo | salesforce | epoch_ms | a strftime pattern)",
    takes_args=True,
)
def _datetime(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    options = parse_options(args, "datetime", {"input_format", "timezone", "output"})
    zone = _zone(options.get("timezone"))
    input_format = options.get("input_format")
    output = _PRESETS.get(options.get("output", "iso"), options.get("output"))
    fast = input_format is None and output is None

    def to_datetime(value: Any) -> Any:
        if fast and isinstance(value, str) and len(value) == 28 and value.endswith("+0000"):
            # Salesforce's "2024-01-15T14:22:10.456+0000": already UTC, reformat without parsing.
            return (value[:19] + "Z") if value[20:23] == "000" else value[:23] + "Z"
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
    "date", "date to YYYY-MM-DD (`input_format`; `output` a strftime pattern or epoch_ms)", takes_args=True
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
    takes_args=True,
    needs_args=True,
)
def _offset(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    shift = parse_duration(args)

    def offset(value: Any) -> Any:
        return format_utc(_parse_datetime(value, None, UTC) + shift)

    return offset


_DURATION = re.compile(r"(-?)(\d+)\s*(ms|s|m|h|d)")


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> timedelta:
    """`90`, `"90s"`, `"5m"`, `"2h"`, `"1d"` or `"-1h"` as a timedelta (bare numbers are seconds)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = _DURATION.fullmatch(str(value).strip())
    if match is None:
        raise TransformArgsError(f"{value!r} is not a duration such as 90s, 5m, 2h or 1d")
    sign = -1 if match.group(1) else 1
    return timedelta(seconds=sign * int(match.group(2)) * _UNITS[match.group(3)])
