"""Transforms of text: trimming, case, truncation, phone numbers, web addresses, HTML."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from hub.project.transforms import (
    CompileContext,
    TransformArgsError,
    TransformError,
    parse_options,
    register,
)
from hub.project.transforms.phone import PhoneError, to_e164

TEXT = ("string",)
SCALARS = ("string", "number", "integer", "boolean")


def _text_method(method: Callable[[str], str]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        return method(value) if isinstance(value, str) else value

    return apply


@register(
    "trim",
    "strip surrounding whitespace; an empty result becomes null",
    inline=lambda args: "(v.strip() or None) if isinstance(v, str) else v",
    accepts=TEXT,
)
def _trim(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def trim(value: Any) -> Any:
        if isinstance(value, str):
            return value.strip() or None
        return value

    return trim


@register(
    "lower", "lower-case text", inline=lambda args: "v.lower() if isinstance(v, str) else v", accepts=TEXT
)
def _lower(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    return _text_method(str.lower)


@register(
    "upper", "upper-case text", inline=lambda args: "v.upper() if isinstance(v, str) else v", accepts=TEXT
)
def _upper(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    return _text_method(str.upper)


@register("title", "title-case text", accepts=TEXT)
def _title(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    return _text_method(str.title)


@register("string", "any scalar as text (numbers keep their exact digits)", gives="string", accepts=SCALARS)
def _string(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def string(value: Any) -> Any:
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)

    return string


@register(
    "truncate",
    "cut text to at most N characters",
    needs_args=True,
    inline=lambda args: f"v[:{int(args)}] if isinstance(v, str) else v",
    args={
        "type": "integer",
        "minimum": 1,
        "description": "The most characters kept: longer text is cut to this length.",
        "examples": [80, 255],
    },
    accepts=TEXT,
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
    takes_record=True,
    args={
        "type": "object",
        "description": "Where the country of a national number (one without +) comes from.",
        "additionalProperties": False,
        "properties": {
            "default_region": {
                "type": "string",
                "pattern": "^[A-Za-z]{2}$",
                "description": "The country (ISO 3166 alpha-2) of national numbers whose record names none.",
                "examples": ["US", "DE"],
                "errorMessage": "default_region must be a two-letter country code, such as US or DE",
            },
            "region_field": {
                "type": "string",
                "minLength": 1,
                "description": "The field of the record holding the country code (dotted for nested fields).",
                "examples": ["MailingCountryCode", "country_id.code"],
            },
        },
        "examples": [
            {"region_field": "MailingCountryCode", "default_region": "US"},
            {"default_region": "GB"},
        ],
    },
    gives="string",
    accepts=TEXT,
)
def _e164(args: Any, ctx: CompileContext) -> Callable[[Any, Any], Any]:
    options = parse_options(args, "e164", {"default_region", "region_field"})
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


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


@register("url", "web address with a scheme (https:// added when missing), host lower-cased", accepts=TEXT)
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


@register(
    "html_text", "HTML (as rich-text fields store it) to plain text, one line per paragraph", accepts=TEXT
)
def _html_text(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def html_text(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = html.unescape(_TAGS.sub("", _BREAKS.sub("\n", value)))
        lines = [" ".join(line.split()) for line in text.splitlines()]
        return "\n".join(line for line in lines if line) or None

    return html_text
