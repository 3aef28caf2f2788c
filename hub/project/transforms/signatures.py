"""A transform's arguments checked against its declared signature, in words a mapping's author reads.

Each transform declares the JSON Schema of its arguments (`Transform.args`). Checking a mapping's
arguments against it before the factory runs catches what factories let through or only trip over
per record (`{trim: both}` was ignored, `split: {sep: ""}` raised on the first value), and says so
at the argument itself: `ArgsProblem.where` continues the transform entry's path (`("split", "sep")`).

A schema may carry `errorMessage`, the keyword editors (the YAML language server) show when a value
of the right type is refused: `hub validate` then says the same words. A value of the wrong type is
told as such (`split: sep must be text, got 5`).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from hub.project.transforms import Transform

PathItem = str | int

KIND_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true/false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}
"""JSON types as people say them."""


@dataclass(frozen=True)
class ArgsProblem:
    """What is wrong with a transform's arguments, and where: a path under the transform's entry
    (`()` the entry, `(name,)` its arguments, `(name, "sep")` one option); `key` points at the key
    rather than its value (an option that does not exist)."""

    where: tuple[PathItem, ...]
    message: str
    key: bool = False


def kind_words(kinds: Iterable[str]) -> str:
    """`text`, `true/false, a number or text`: JSON types in words. Null is left out when others are
    there, and whole numbers when numbers are (a number may be whole)."""
    shown = {k for k in kinds if k != "null"} or {"null"}
    if "number" in shown:
        shown.discard("integer")
    words = [KIND_WORDS.get(k, k) for k in sorted(shown)]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def args_problem(transform: Transform, args: Any) -> ArgsProblem | None:
    """The first thing wrong with `args` for `transform` (None when they fit its signature)."""
    name = transform.name
    if transform.args is None:
        return None if args is None else ArgsProblem((name,), f"{name} takes no arguments, got {args!r}")
    if args is None:
        if not transform.needs_args:
            return None  # `- split` or `{split: }`: the defaults
        example = _flow({name: transform.args.get("examples", [None])[0]})
        return ArgsProblem((), f"{name} needs arguments, such as {example}")
    errors = list(_validator(transform.args).iter_errors(args))
    if not errors:
        return None
    return _problem(name, _first(errors))


_VALIDATORS: dict[int, tuple[dict[str, Any], Draft202012Validator]] = {}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """One validator per declared schema (kept with the schema, so its id cannot be reused)."""
    kept = _VALIDATORS.get(id(schema))
    if kept is None or kept[0] is not schema:
        kept = _VALIDATORS[id(schema)] = (schema, Draft202012Validator(schema))
    return kept[1]


def _first(errors: list[ValidationError]) -> ValidationError:
    """The error nearest the top of the arguments (the first found among equals): an unknown option
    before what is wrong inside another."""
    return min(errors, key=lambda e: len(e.absolute_path))


def _problem(name: str, error: ValidationError) -> ArgsProblem:
    path = tuple(error.absolute_path)
    where: tuple[PathItem, ...] = (name, *path)
    owner = name if not path else f"{name}: {_dotted(path)}"
    schema: Any = error.schema
    instance: Any = error.instance
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = next(k for k in instance if k not in allowed)
        close = difflib.get_close_matches(str(extra), allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        message = f"{owner} has no option {extra!r}{hint}; options are {', '.join(allowed)}"
        return ArgsProblem((*where, extra), message, key=True)
    if error.validator == "required":
        missing = next(k for k in schema["required"] if k not in instance)
        return ArgsProblem(where, f"{owner} needs the option {missing!r}")
    if error.validator in ("anyOf", "oneOf"):
        inner = [e for e in error.context or () if e.validator != "type"]
        if inner:
            return _problem(name, _first(inner))
    if error.validator != "type" and "errorMessage" in schema:
        return ArgsProblem(where, named(name, str(schema["errorMessage"])))
    wanted = _requirement(error)
    if not path:
        return ArgsProblem(where, f"{name} needs {wanted}, got {instance!r}")
    return ArgsProblem(where, f"{owner} must be {wanted}, got {instance!r}")


def named(name: str, message: str) -> str:
    """`message` about transform `name`, naming it once."""
    return message if message.startswith((f"{name} ", f"{name}:")) else f"{name}: {message}"


def _dotted(path: tuple[PathItem, ...]) -> str:
    return ".".join(str(step) for step in path)


def _requirement(error: ValidationError) -> str:
    """What the failing keyword asks for, as a noun phrase (`a whole number of 1 or more`)."""
    schema: Any = error.schema
    value: Any = error.validator_value
    kind = _kind(schema)
    if error.validator in ("anyOf", "oneOf"):
        return " or ".join(_kind(option) for option in value)
    if error.validator == "minimum":
        return f"{kind} of {value} or more"
    if error.validator == "maximum":
        return f"{kind} of {value} or less"
    if error.validator == "minLength":
        return "non-empty text" if value == 1 else f"text of {value} characters or more"
    if error.validator == "minItems":
        return "a non-empty list" if value == 1 else f"a list of {value} items or more"
    if error.validator == "minProperties":
        return "a non-empty mapping"
    if error.validator == "enum":
        shown = [str(v) if isinstance(v, str) else repr(v) for v in value]
        return " or ".join(shown) if len(shown) < 3 else f"one of {', '.join(shown[:-1])} or {shown[-1]}"
    if error.validator == "pattern":
        return f"text matching {value}"
    return kind if error.validator == "type" else error.message


def _kind(schema: Any) -> str:
    """The kind of value a schema takes, in words (a mapping of options names them)."""
    if not isinstance(schema, dict):
        return "a value"
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    if types == ["object"] and schema.get("properties"):
        return f"a mapping of options ({', '.join(sorted(schema['properties']))})"
    if types == ["object"]:
        return "a mapping"
    return kind_words(types) if types else "a value"


def _flow(value: Any) -> str:
    """A value written as YAML's flow style would (`{truncate: 80}`), for examples in messages."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, str) and value and value.replace("_", "").isalnum():
        return value
    return json.dumps(value)
