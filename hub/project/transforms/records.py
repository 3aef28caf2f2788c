"""Transforms that build a value from several fields, or split one into parts."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hub.project.transforms import (
    CompileContext,
    TransformArgsError,
    parse_options,
    register,
)


@register(
    "split",
    "split text on `sep` (default whitespace); `index` picks one part, `maxsplit` limits the splits, "
    "`reverse` splits from the right (missing parts are then the leading ones)",
    takes_args=True,
)
def _split(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    options = parse_options(args, "split", {"sep", "index", "maxsplit", "reverse"})
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
