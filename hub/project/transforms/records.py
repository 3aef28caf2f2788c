"""Transforms that build a value from several fields, or split one into parts."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from hub.project.transforms import (
    CompileContext,
    Kinds,
    TransformArgsError,
    parse_options,
    register,
)

_SPLIT = {
    "type": "object",
    "description": "How to split; without options, on runs of whitespace, into the list of parts.",
    "additionalProperties": False,
    "properties": {
        "sep": {
            "type": "string",
            "minLength": 1,
            "description": "The text between parts (without it: any run of whitespace).",
            "examples": [",", " "],
            "errorMessage": "sep must not be empty (an empty separator splits nothing)",
        },
        "index": {
            "type": "integer",
            "description": "Which part to give (0 the first, -1 the last); without it, the list of parts.",
            "examples": [0, -1],
        },
        "maxsplit": {
            "type": "integer",
            "minimum": -1,
            "default": -1,
            "description": "The most splits made (-1: no limit); the last part keeps the rest of the text.",
            "examples": [1],
        },
        "reverse": {
            "type": "boolean",
            "default": False,
            "description": "Split from the right, so that with maxsplit the first part keeps the rest.",
            "examples": [True],
        },
    },
    "examples": [{"sep": " ", "maxsplit": 1, "reverse": True, "index": 1}, {"sep": ","}],
}


def _split_gives(args: Any, given: Kinds) -> Kinds:
    """One part (text) with an `index`, else the list of parts."""
    return frozenset({"string" if isinstance(args, Mapping) and "index" in args else "array"})


@register(
    "split",
    "split text on `sep` (default whitespace); `index` picks one part, `maxsplit` limits the splits, "
    "`reverse` splits from the right (missing parts are then the leading ones)",
    args=_SPLIT,
    gives="array",
    gives_for=_split_gives,
    accepts=("string",),
)
def _split(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    options = parse_options(args, "split", {"sep", "index", "maxsplit", "reverse"})
    sep, index, limit = options.get("sep"), options.get("index"), options.get("maxsplit", -1)
    if sep == "":  # str.split("") raises on the first value
        raise TransformArgsError("sep must not be empty (an empty separator splits nothing)", ("sep",))
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


@register(
    "join",
    "join a list into text with `sep` (default a space)",
    args={
        "type": "object",
        "description": "How to join the items (empty ones are left out).",
        "additionalProperties": False,
        "properties": {
            "sep": {
                "type": "string",
                "default": " ",
                "description": "The text put between items.",
                "examples": [", ", "; "],
            }
        },
        "examples": [{"sep": ", "}],
    },
    gives="string",
    accepts=("array",),
)
def _join(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    sep = parse_options(args, "join", {"sep"}).get("sep", " ")

    def join(value: Any) -> Any:
        if isinstance(value, list):
            return sep.join(str(v) for v in value if v not in (None, "")) or None
        return value

    return join


_FIELD = re.compile(r"\{([^{}]+)\}")


@register(
    "template",
    'build text from several fields: "{FirstName} {LastName}"',
    needs_args=True,
    source=True,
    args={
        "type": "string",
        "pattern": r"\{[^{}]+\}",
        "description": "Text naming fields in braces (dotted for nested fields); each is replaced by the "
        "field's value, nothing when it is empty, and runs of spaces are collapsed.",
        "examples": ["{first_name} {last_name}", "{address.city}, {address.country}"],
        "errorMessage": 'template needs text naming fields in braces, e.g. "{a} {b}"',
    },
    gives="string",
)
def _template(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    if not isinstance(args, str) or not _FIELD.search(args):
        raise TransformArgsError('template needs text naming fields in braces, e.g. "{a} {b}"')
    if (problem := template_problem(args)) is not None:
        raise TransformArgsError(problem)
    names = template_fields(args)
    getters = [(name, ctx.getter(name)) for name in names]
    pattern = _positional(args, names)

    def template(record: Any) -> Any:
        values = ["" if (v := get(record)) is None else v for _, get in getters]
        text = " ".join(pattern.format(*values).split())
        return text or None

    return template


def template_fields(args: Any) -> list[str]:
    """The field names a template refers to."""
    return list(dict.fromkeys(_FIELD.findall(args))) if isinstance(args, str) else []


def _positional(text: str, names: list[str]) -> str:
    """The template with each field replaced by its position among `names` (`{0} {1}`), which
    str.format fills without reading the names as Python would (`{address.city}` is one field)."""
    return _FIELD.sub(lambda m: "{" + str(names.index(m.group(1))) + "}", text)


def template_problem(text: str, build: Callable[[str], object] | None = None) -> str | None:
    """Why `text` cannot build text (None when it can): a brace left open or standing alone, which
    str.format finds only when the first record comes. `build` tries the text as its transform reads
    it (by default as `template` does). One wording for every template a project writes: a mapping's
    `template` and `join_each`, and a reconciliation's computed fields."""
    names = template_fields(text)
    try:
        if build is None:
            _positional(text, names).format(*[""] * len(names))
        else:
            build(text)
    except (ValueError, IndexError, KeyError, TypeError, AttributeError) as exc:
        return f"template {text!r} does not build ({exc}); write each field in braces, as in '{{a}} {{b}}'"
    return None


@register(
    "coalesce",
    "the first non-empty value among several fields",
    needs_args=True,
    source=True,
    args={
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "string",
            "minLength": 1,
            "description": "A field path (dotted for nested fields).",
        },
        "description": "The fields to try, in order; the first with a value that is not empty wins.",
        "examples": [["MobilePhone", "Phone"]],
    },
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
