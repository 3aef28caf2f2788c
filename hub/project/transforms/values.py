"""Transforms of values: exact decimals, numbers, integers, booleans, value maps, defaults."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.project.transforms import (
    CompileContext,
    Kinds,
    TransformArgsError,
    TransformError,
    json_type,
    parse_options,
    register,
)

NUMERIC = ("string", "number", "integer")
"""What numbers are read from: numbers, or their text."""
SCALARS = ("string", "number", "integer", "boolean")


def _decimal_gives(args: Any, given: Kinds) -> Kinds:
    """An exact number with `as: number`, else its text."""
    as_number = isinstance(args, Mapping) and args.get("as") == "number"
    return frozenset({"number" if as_number else "string"})


def _map_gives(args: Any, given: Kinds) -> Kinds:
    """What the table gives, its default, and with `others: keep` what it was given."""
    if not isinstance(args, Mapping) or not isinstance(args.get("values"), Mapping):
        return None
    found = {json_type(v) for v in args["values"].values()}
    if "default" in args:
        found.add(json_type(args["default"]))
    if args.get("others") == "keep":
        return None if given is None else frozenset(found | given)
    return frozenset(found)


def _default_gives(args: Any, given: Kinds) -> Kinds:
    """What it was given, or the default's own type."""
    return None if given is None else given | {json_type(args)}


@register(
    "decimal",
    "exact decimal number as text (`places` rounds half-even); `as: number` gives an exact number "
    "instead, for systems whose APIs take JSON numbers (money to Salesforce, Odoo)",
    args={
        "type": "object",
        "description": "Rounding and form of the result; without options, the exact digits as text.",
        "additionalProperties": False,
        "properties": {
            "places": {
                "type": "integer",
                "minimum": 0,
                "description": "Decimal places to round to (half-even); without it, no rounding.",
                "examples": [2],
            },
            "as": {
                "enum": ["text", "number"],
                "default": "text",
                "description": 'text ("1250.00"), or number: an exact JSON number, for APIs taking numbers.',
                "examples": ["number"],
            },
        },
        "examples": [{"places": 2, "as": "number"}, {"places": 2}],
    },
    gives="string",
    gives_for=_decimal_gives,
    accepts=NUMERIC,
)
def _decimal(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    options = parse_options(args, "decimal", {"places", "as"})
    quantum = Decimal(1).scaleb(-_positive_or_zero(options["places"])) if "places" in options else None
    if options.get("as", "text") not in ("text", "number"):
        raise TransformArgsError(f"as must be text or number, got {options['as']!r}")
    as_number = options.get("as") == "number"

    def to_decimal(value: Any) -> Any:
        number = as_decimal(value)
        if quantum is not None:
            number = number.quantize(quantum)
        if as_number:
            return number + 0  # + 0 turns -0 into 0 and keeps every digit
        text = format(number, "f")
        return "0" if text in ("-0", "") else text

    return to_decimal


def _positive_or_zero(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TransformArgsError(f"places needs a whole number of 0 or more, got {value!r}")
    return value


def as_decimal(value: Any) -> Decimal:
    """A number or its text as an exact Decimal (a float by its shortest round-trip text); TransformError
    (a ValueError) for anything else, NaN and infinities included."""
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


@register("number", "number from text or number (integers stay integers)", gives="number", accepts=NUMERIC)
def _number(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def to_number(value: Any) -> Any:
        number = as_decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)

    return to_number


@register("integer", "whole number from text or number", gives="integer", accepts=NUMERIC)
def _integer(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def to_integer(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        number = as_decimal(value)
        if number != number.to_integral_value():
            raise TransformError(f"{value!r} is not a whole number")
        return int(number)

    return to_integer


_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})


_FALSE = frozenset({"false", "f", "no", "n", "0", "off", ""})


@register("boolean", "true/false from booleans, 0/1 and words like yes/no", gives="boolean", accepts=SCALARS)
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
    "replace values by a table (`values`), with an optional `default` for the others, or "
    "`others: keep` to let them through unchanged",
    needs_args=True,
    args={
        "type": "object",
        "description": "The table, and what becomes of values it does not list.",
        "additionalProperties": False,
        "required": ["values"],
        "properties": {
            "values": {
                "type": "object",
                "description": "Each value read (as text: yes, 1, true) with the value it becomes.",
                "examples": [{"Prospect": "prospect", "Customer - Direct": "customer"}],
            },
            "default": {
                "description": "The value of any input the table does not list (null allowed).",
                "examples": ["other", None],
            },
            "others": {
                "enum": ["error", "keep"],
                "default": "error",
                "description": "error: a value the table does not list fails the record; keep: it "
                "passes unchanged.",
                "examples": ["keep"],
            },
        },
        "allOf": [
            {
                "not": {"required": ["default", "others"], "properties": {"others": {"const": "keep"}}},
                "errorMessage": "map takes either a default or others: keep, not both",
            }
        ],
        "examples": [{"values": {"Prospect": "prospect", "Partner": "partner"}, "default": "other"}],
    },
    gives_for=_map_gives,
    accepts=SCALARS,
)
def _map(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    options = parse_options(args, "map", {"values", "default", "others"}, frozenset({"values"}))
    table = options["values"]
    if not isinstance(table, Mapping):
        raise TransformArgsError("map needs `values`: a mapping from input to output values")
    if options.get("others", "error") not in ("error", "keep"):
        raise TransformArgsError(f"map: others must be error or keep, got {options['others']!r}")
    if "default" in options and options.get("others") == "keep":
        raise TransformArgsError("map takes either a default or others: keep, not both")
    lookup = {_map_key(k): v for k, v in table.items()}
    has_default, default = "default" in options, options.get("default")
    keep = options.get("others") == "keep"

    def map_value(value: Any) -> Any:
        key = _map_key(value)
        if key in lookup:
            return lookup[key]
        if keep:
            return value
        if has_default:
            return default
        raise TransformError(f"{value!r} is not in the value map ({', '.join(map(repr, table))})")

    return map_value


def _map_key(value: Any) -> Any:
    # YAML keys arrive as text or numbers; compare booleans and numbers by their text as well.
    return value if isinstance(value, str) else repr(value)


@register(
    "default",
    "use this value when the input is empty",
    handles_none=True,
    args={"description": "The value used when the input is missing or empty text.", "examples": ["n/a", 0]},
    gives_for=_default_gives,
)
def _default(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    def default(value: Any) -> Any:
        return args if value is None or value == "" else value

    return default
