"""Checks of a mapping's `options:` against what its system's connector says it understands
(`Connector.options_schema`): a connector reads only the options it knows, so a misspelt one, one
meant for another system or one of the wrong type would otherwise be ignored at run time, silently."""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from hub.errors import Problem
from hub.io.mapping_options import options_schema, shipped_options
from hub.project.checks.common import suggest
from hub.project.loading import MappingSpec

SENTENCE_END = re.compile(r"\.\s+(?=[A-Z])")
"""Where a description's first sentence ends (not at "e.g. x"): the part a problem quotes."""
JSON_TYPES = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def option_problems(mapping: MappingSpec) -> list[Problem]:
    """Problems of a mapping's options, in file order (none for a system nobody knows: the mapping's
    own check says so)."""
    schema = options_schema(mapping.system)
    if schema is None or not mapping.options:
        return []
    doc = mapping.doc
    errors = sorted(
        Draft202012Validator(schema).iter_errors(mapping.options),
        key=lambda e: doc.position(["options", *e.absolute_path]),
    )
    problems: list[Problem] = []
    for error in errors:
        where = ["options", *error.absolute_path]
        if error.validator == "additionalProperties" and not error.absolute_path:
            problems += [
                doc.problem([*where, name], unknown_option(mapping.system, name, schema), key=True)
                for name in mapping.options
                if name not in schema.get("properties", {})
            ]
        else:
            label = ".".join(map(str, error.absolute_path))
            problems.append(doc.problem(where, f"{mapping.system} option {label!r} {_wrong(error)}"))
    return problems


def unknown_option(system: str, name: str, schema: dict[str, Any]) -> str:
    """What to say of an option the system's connector does not read: the near miss it may be, or the
    systems that have it, and the options there are."""
    known = list(schema.get("properties", {}))
    hint = suggest(name, known)
    if not hint:
        others = [other for other, s in shipped_options().items() if name in s.get("properties", {})]
        hint = f" (an option of {', '.join(others)})" if others and system not in others else ""
    return f"{system} has no mapping option {name!r}{hint}; options: {', '.join(known) or 'none'}"


def _wrong(error: ValidationError) -> str:
    """What is wrong with an option's value, in the words of the option's own schema."""
    schema: Any = error.schema
    value: Any = error.validator_value
    if error.validator == "type":
        wanted = value if isinstance(value, list) else [value]
        return (
            f"must be {' or '.join(JSON_TYPES.get(str(t), str(t)) for t in wanted)}, not {error.instance!r}"
        )
    if error.validator == "enum":
        return f"must be one of: {', '.join(map(str, value))}; not {error.instance!r}"
    described = str(schema.get("description", "")) if isinstance(schema, dict) else ""
    described = SENTENCE_END.split(described)[0].rstrip(".")
    reason = described if described and error.validator in ("anyOf", "oneOf", "pattern") else error.message
    return f"cannot be {error.instance!r}: {reason}"
