"""The transform set of mapping files, as a registry of small factories.

A transform entry in YAML is either a bare name (`trim`) or a one-key mapping whose value holds the
arguments (`{e164: {default_region: US}}`, `{truncate: 80}`). Each factory checks its arguments once,
at compile time, and returns a plain callable; nothing per record looks at YAML again.

Kinds of transform:
- value transforms take the current value (never None unless `handles_none`) and return the next;
- record-aware ones also receive the whole input record (e.g. `e164` reading the country field);
- sources (`template`, `coalesce`) ignore the current value and build one from the input record.

Every transform declares its signature when it registers: the JSON Schema of its arguments (`args`),
the JSON type it returns (`gives`) and the JSON types it can use (`accepts`). `hub validate` checks a
mapping's arguments against `args` before any factory runs (`signatures.args_problem`), and a field's
chain against its canonical field's type; `hub schemas --export` hands the same schemas to editors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

Getter = Callable[[Mapping[str, Any]], Any]
Kinds = frozenset[str] | None
"""JSON types a value may have (`string`, `integer`, `null`...); None when they are not known."""
GivesFor = Callable[[Any, Kinds], Kinds]


class TransformError(ValueError):
    """A transform refused a value; the message says what it got and what it expected."""


class TransformArgsError(ValueError):
    """A transform was given arguments it cannot use (a project-file mistake); `at` is the path of the
    argument at fault within the arguments (empty: the arguments as a whole), so that the problem is
    reported where it is written."""

    def __init__(self, message: str, at: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.at = at


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
    args: dict[str, Any] | None = None
    """The declared signature: a JSON Schema of the arguments (None: the transform takes none). Checked
    before the factory runs, and exported for editors by `hub schemas --export`."""
    gives: str | None = None
    """The JSON type of what it returns (`string`, `number`, `integer`, `boolean`, `array`, `object`);
    None when it returns the kind of value it was given."""
    accepts: tuple[str, ...] | None = None
    """The JSON types of the values it can use (None: any)."""
    gives_for: GivesFor | None = None
    """What it returns when that depends on its arguments or on what it is given (`split` with an
    `index` gives one part, `map` what its table holds): (args, given types) -> types returned."""

    def result(self, args: Any, given: Kinds) -> Kinds:
        """The JSON types it returns with these arguments, given values of the `given` types (None:
        not known). A source ignores what it is given."""
        if self.gives_for is not None:
            return self.gives_for(args, given)
        if self.gives is not None:
            return frozenset({self.gives})
        return None if self.source else given


REGISTRY: dict[str, Transform] = {}


def register(
    name: str,
    summary: str,
    inline: Callable[[Any], str] | None = None,
    *,
    args: dict[str, Any] | None = None,
    gives: str | None = None,
    accepts: tuple[str, ...] | None = None,
    gives_for: GivesFor | None = None,
    **flags: bool,
) -> Callable[[Any], Any]:
    """Class-free registration decorator: `@register("trim", "…", gives="string")` on a factory.

    The signature is declared here, beside the factory, so that what `hub validate` checks and what
    editors are told cannot drift from what the factory takes. `takes_args` follows from `args`; given
    anyway, it must agree (a transform taking arguments it does not describe would go unchecked)."""
    flags.setdefault("takes_args", args is not None)
    if flags["takes_args"] != (args is not None):
        raise TypeError(f"transform {name!r}: takes_args={flags['takes_args']} but args is {args!r}")

    def decorate(factory: Callable[[Any, CompileContext], Callable[..., Any]]) -> Any:
        REGISTRY[name] = Transform(
            name,
            summary,
            factory,
            inline=inline,
            args=args,
            gives=gives,
            accepts=accepts,
            gives_for=gives_for,
            **flags,
        )
        return factory

    return decorate


def json_type(value: Any) -> str:
    """The JSON type of a plain value, as JSON Schema names it (an exact Decimal is a number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, (float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, (list, tuple)) else "object"


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
from hub.project.transforms.records import template_fields, template_problem  # noqa: E402
from hub.project.transforms.time import format_utc, parse_duration  # noqa: E402

__all__ = [
    "REGISTRY",
    "CompileContext",
    "Kinds",
    "Transform",
    "TransformArgsError",
    "TransformError",
    "format_utc",
    "json_type",
    "parse_duration",
    "register",
    "template_fields",
    "template_problem",
]
