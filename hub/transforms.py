"""The transform set of mapping files, as a registry of small factories.

A transform entry in YAML is either a bare name (`trim`) or a one-key mapping whose value holds the
arguments (`{e164: {default_region: US}}`, `{truncate: 80}`). Each factory checks its arguments once,
at compile time, and returns a plain callable; nothing per record looks at YAML again.

Kinds of transform:
- value transforms take the current value (never None unless `handles_none`) and return the next;
- record-aware ones also receive the whole input record (e.g. `e164` reading the country field);
- sources (`template`, `coalesce`) ignore the current value and build one from the input record.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.phone import PhoneError, to_e164

Getter = Callable[[Mapping[str, Any]], Any]


class TransformError(ValueError):
    """A transform refused a value; the message says what it got and what it expected."""


class TransformArgsError(ValueError):
    """A transform was given arguments it cannot use (a project-file mistake)."""


@dataclass(frozen=True)
class CompileContext:
    """What a factory may need besides its arguments: how to read a path of the input record."""

    getter: Callable[[str], Getter]


@dataclass(frozen=True)
class Transform:
    """A registered transform: its factory and how the compiler must call the result."""

    name: str
    summary: str
    factory: Callable[[Any, CompileContext], Callable[..., Any]]
    takes_args: bool = False
    needs_args: bool = False
    takes_record: bool = False
    source: bool = False
    handles_none: bool = False
    inline: Callable[[Any], str] | None = None
    """Python source doing what the callable does to `v`, for the compiler to inline (hot transforms)."""


REGISTRY: dict[str, Transform] = {}


def register(
    name: str, summary: str, inline: Callable[[Any], str] | None = None, **flags: bool
) -> Callable[[Any], Any]:
    """Class-free registration decorator: `@register("trim", "…")` on a factory."""

    def decorate(factory: Callable[[Any, CompileContext], Callable[..., Any]]) -> Any:
        REGISTRY[name] = Transform(name, summary, factory, inline=inline, **flags)
        return factory

    return decorate


def _text_method(method: Callable[[str], str]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        return method(value) if isinstance(value, str) else value

    return apply


@register(
    "trim",
    "strip surrounding whitespace; an empty result becomes null",
    inline=lambda args: "(v.strip() or None) if isinstance(v, str) else v",
)
def _trim(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def trim(value: Any) -> Any:
        if isinstance(value, str):
            return value.strip() or None
        return value

    return trim


@register("lower", "lower-case text", inline=lambda args: "v.lower() if isinstance(v, str) else v")
def _lower(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    return _text_method(str.lower)


@register("upper", "upper-case text", inline=lambda args: "v.upper() if isinstance(v, str) else v")
def _upper(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    return _text_method(str.upper)


@register("title", "title-case text")
def _title(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    return _text_method(str.title)


@register("string", "any scalar as text (numbers keep their exact digits)")
def _string(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def string(value: Any) -> Any:
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)

    return string


@register(
    "truncate",
    "cut text to at most N characters",
    takes_args=True,
    needs_args=True,
    inline=lambda args: f"v[:{int(args)}] if isinstance(v, str) else v",
)
def _truncate(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    limit = _positive_int(args, "truncate")

    def truncate(value: Any) -> Any:
        return value[:limit] if isinstance(value, str) else value

    return truncate


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TransformArgsError(f"{what} needs a positive whole number, got {value!r}")
    return value


@register(
    "e164",
    "phone number to E.164; national numbers read in `default_region` or the region found in `region_field`",
    takes_args=True,
    takes_record=True,
)
def _e164(args: Any, ctx: CompileContext) -> Callable[[Any, Any], Any]:
    options = _options(args, "e164", {"default_region", "region_field"})
    default = options.get("default_region")
    region_of = ctx.getter(options["region_field"]) if "region_field" in options else None

    def e164(value: Any, record: Any) -> Any:
        if not isinstance(value, str):
            raise TransformError(f"expected a phone number as text, got {value!r}")
        region = (region_of(record) if region_of else None) or default
        try:
            return to_e164(value, region if isinstance(region, str) else None)
        except PhoneError as exc:
            raise TransformError(str(exc)) from None

    return e164


def _options(
    args: Any, what: str, allowed: set[str], required: frozenset[str] = frozenset()
) -> dict[str, Any]:
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        raise TransformArgsError(f"{what} takes a mapping of options ({', '.join(sorted(allowed))})")
    unknown = set(args) - allowed
    if unknown:
        raise TransformArgsError(
            f"{what} has no option {sorted(unknown)[0]!r}; options are {', '.join(sorted(allowed))}"
        )
    missing = required - set(args)
    if missing:
        raise TransformArgsError(f"{what} needs the option {sorted(missing)[0]!r}")
    return dict(args)


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
    options = _options(args, "datetime", {"input_format", "timezone", "output"})
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
    options = _options(args, "date", {"input_format", "output"})
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


@register("decimal", "exact decimal number as text (`places` rounds half-even)", takes_args=True)
def _decimal(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    options = _options(args, "decimal", {"places"})
    quantum = Decimal(1).scaleb(-_positive_or_zero(options["places"])) if "places" in options else None

    def to_decimal(value: Any) -> Any:
        number = _as_decimal(value)
        if quantum is not None:
            number = number.quantize(quantum)
        text = format(number, "f")
        return "0" if text in ("-0", "") else text

    return to_decimal


def _positive_or_zero(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TransformArgsError(f"places needs a whole number of 0 or more, got {value!r}")
    return value


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise TransformError(f"expected a number, got {value!r}")
    if isinstance(value, float):
        value = repr(value)  # the shortest text that round-trips, not the binary expansion
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        raise TransformError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise TransformError(f"{value!r} is not a finite number")
    return number


@register("number", "number from text or number (integers stay integers)")
def _number(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def to_number(value: Any) -> Any:
        number = _as_decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)

    return to_number


@register("integer", "whole number from text or number")
def _integer(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def to_integer(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        number = _as_decimal(value)
        if number != number.to_integral_value():
            raise TransformError(f"{value!r} is not a whole number")
        return int(number)

    return to_integer


_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off", ""})


@register("boolean", "true/false from booleans, 0/1 and words like yes/no")
def _boolean(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def to_boolean(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise TransformError(f"{value!r} is not a yes/no value")

    return to_boolean


@register(
    "map",
    "replace values by a table (`values`), with an optional `default`",
    takes_args=True,
    needs_args=True,
)
def _map(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    options = _options(args, "map", {"values", "default"}, frozenset({"values"}))
    table = options["values"]
    if not isinstance(table, Mapping):
        raise TransformArgsError("map needs `values`: a mapping from input to output values")
    lookup = {_map_key(k): v for k, v in table.items()}
    has_default, default = "default" in options, options.get("default")

    def map_value(value: Any) -> Any:
        key = _map_key(value)
        if key in lookup:
            return lookup[key]
        if has_default:
            return default
        raise TransformError(f"{value!r} is not in the value map ({', '.join(map(repr, table))})")

    return map_value


def _map_key(value: Any) -> Any:
    # YAML keys arrive as text or numbers; compare booleans and numbers by their text as well.
    return value if isinstance(value, str) else repr(value)


@register("default", "use this value when the input is empty", takes_args=True, handles_none=True)
def _default(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def default(value: Any) -> Any:
        return args if value is None or value == "" else value

    return default


@register(
    "split",
    "split text on `sep` (default whitespace); `index` picks one part, `maxsplit` limits the splits, "
    "`reverse` splits from the right (missing parts are then the leading ones)",
    takes_args=True,
)
def _split(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    options = _options(args, "split", {"sep", "index", "maxsplit", "reverse"})
    sep, index, limit = options.get("sep"), options.get("index"), options.get("maxsplit", -1)
    reverse = bool(options.get("reverse", False))

    def split(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        parts: list[Any] = text.rsplit(sep, limit) if reverse else text.split(sep, limit)
        if reverse and limit >= 0:
            parts = [None] * (limit + 1 - len(parts)) + parts
        if index is None:
            return parts
        try:
            part = parts[index]
        except IndexError:
            return None
        return (part.strip() or None) if isinstance(part, str) else None

    return split


@register("join", "join a list into text with `sep` (default a space)", takes_args=True)
def _join(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    sep = _options(args, "join", {"sep"}).get("sep", " ")

    def join(value: Any) -> Any:
        if isinstance(value, list):
            return sep.join(str(v) for v in value if v not in (None, "")) or None
        return value

    return join


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


@register("url", "web address with a scheme (https:// added when missing), host lower-cased")
def _url(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def url(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return None
        if " " in text:
            raise TransformError(f"{value!r} is not a web address")
        if not _SCHEME.match(text):
            text = "https://" + text
        scheme, _, rest = text.partition("://")
        host, slash, path = rest.partition("/")
        return f"{scheme.lower()}://{host.lower()}{slash}{path}"

    return url


_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6])\s*/?\s*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


@register("html_text", "HTML (as rich-text fields store it) to plain text, one line per paragraph")
def _html_text(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def html_text(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = html.unescape(_TAGS.sub("", _BREAKS.sub("\n", value)))
        lines = [" ".join(line.split()) for line in text.splitlines()]
        return "\n".join(line for line in lines if line) or None

    return html_text


_FIELD = re.compile(r"\{([^{}]+)\}")


@register(
    "template",
    'build text from several fields: "{FirstName} {LastName}"',
    takes_args=True,
    needs_args=True,
    source=True,
)
def _template(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    if not isinstance(args, str) or not _FIELD.search(args):
        raise TransformArgsError('template needs text naming fields in braces, e.g. "{a} {b}"')
    names = list(dict.fromkeys(_FIELD.findall(args)))
    getters = [(name, ctx.getter(name)) for name in names]
    pattern = _FIELD.sub(lambda m: "{" + str(names.index(m.group(1))) + "}", args)

    def template(record: Any) -> Any:
        values = ["" if (v := get(record)) is None else v for _, get in getters]
        text = " ".join(pattern.format(*values).split())
        return text or None

    return template


def template_fields(args: Any) -> list[str]:
    """The field names a template refers to."""
    return list(dict.fromkeys(_FIELD.findall(args))) if isinstance(args, str) else []


@register(
    "coalesce",
    "the first non-empty value among several fields",
    takes_args=True,
    needs_args=True,
    source=True,
)
def _coalesce(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    if not isinstance(args, list) or not args or not all(isinstance(a, str) for a in args):
        raise TransformArgsError("coalesce needs a list of field names")
    getters = [ctx.getter(name) for name in args]

    def coalesce(record: Any) -> Any:
        for get in getters:
            value = get(record)
            if value is not None and value != "":
                return value
        return None

    return coalesce


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
