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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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


def parse_options(
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


# Each module registers its transforms on import.
from hub.project.transforms import lists, records, text, time, values  # noqa: E402, F401
from hub.project.transforms.records import template_fields  # noqa: E402
from hub.project.transforms.time import format_utc, parse_duration  # noqa: E402

__all__ = [
    "REGISTRY",
    "CompileContext",
    "Transform",
    "TransformArgsError",
    "TransformError",
    "format_utc",
    "parse_duration",
    "register",
    "template_fields",
]
