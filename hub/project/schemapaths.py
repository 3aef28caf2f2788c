"""The field paths a canonical schema defines, with `$ref`s resolved (`address.city`, `lines`), and the
walk over a schema's subschemas that `hub.project.validation` checks them with."""

from __future__ import annotations

from collections.abc import Container, Iterator
from typing import Any

from referencing import Registry
from referencing.exceptions import Unresolvable

SchemaPath = tuple[str | int, ...]


def canonical_paths(schema: dict[str, Any], registry: Registry[Any]) -> dict[str, dict[str, Any]]:
    """Every property path of `schema` (objects are walked; arrays are leaves) → its subschema.

    A schema that refers to itself (a tree of objects) is walked once: its properties do not go on
    into the same schema again. A `$ref` to nothing, or back to where it started without a property
    in between, stands for no field (`Project.load` reports both in the schema's file)."""
    paths: dict[str, dict[str, Any]] = {}
    root, resolver, origin = _resolve(schema, registry.resolver(base_uri=schema.get("$id", "")))
    _walk(root, "", resolver, paths, frozenset({origin}))
    return paths


def _resolve(schema: Any, resolver: Any) -> tuple[Any, Any, int]:
    """The schema with its `$ref`s followed (their siblings kept), its resolver and what it is by
    identity (the last schema a `$ref` reached, else itself)."""
    origin, followed = id(schema), set()
    while isinstance(schema, dict) and "$ref" in schema:
        try:
            resolved = resolver.lookup(schema["$ref"])
        except Unresolvable:
            return {}, resolver, origin
        origin = id(resolved.contents)
        if origin in followed:
            return {}, resolver, origin
        followed.add(origin)
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema, resolver = {**resolved.contents, **extra}, resolved.resolver
    return schema, resolver, origin


def _walk(
    schema: Any, prefix: str, resolver: Any, paths: dict[str, dict[str, Any]], seen: frozenset[int]
) -> None:
    """The properties of a resolved schema; `seen` holds the schemas walked on the way here."""
    if not isinstance(schema, dict) or len(seen) > 9:
        return
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        resolved, sub_resolver, origin = _resolve(sub, resolver)
        paths[path] = resolved if isinstance(resolved, dict) else {}
        if "properties" in paths[path] and origin not in seen:
            _walk(resolved, path + ".", sub_resolver, paths, seen | {origin})


def is_container(subschema: dict[str, Any]) -> bool:
    """Whether values at this path may be objects or arrays (they hash by their JSON text)."""
    types = subschema.get("type", [])
    types = types if isinstance(types, list) else [types]
    return bool({"object", "array"} & set(types)) or "properties" in subschema or not types


SAME_VALUE = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas")
"""Keywords whose subschemas apply to the very value their schema applies to (`$ref` too)."""
INNER_VALUES = (
    "properties",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "unevaluatedProperties",
    "items",
    "prefixItems",
    "contains",
    "unevaluatedItems",
)
"""Keywords whose subschemas apply to the values inside it (its properties, its items)."""
_NAMED = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"})
_LISTED = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
_ALL = frozenset({*SAME_VALUE, *INNER_VALUES, "$defs", "definitions"})


def subschemas(schema: Any, *, keywords: Container[str] = _ALL) -> Iterator[tuple[SchemaPath, Any]]:
    """The subschemas directly under `schema`, with their paths from it, through `keywords` (by
    default every keyword that holds subschemas, definitions included)."""
    if not isinstance(schema, dict):
        return
    for keyword, value in schema.items():
        if keyword not in keywords:
            continue
        if keyword in _NAMED and isinstance(value, dict):
            yield from (((keyword, name), sub) for name, sub in value.items())
        elif keyword in _LISTED and isinstance(value, list):
            yield from (((keyword, index), sub) for index, sub in enumerate(value))
        elif isinstance(value, dict | bool):
            yield (keyword,), value


def every_subschema(schema: Any) -> Iterator[tuple[SchemaPath, dict[str, Any]]]:
    """Every schema object in a schema document (the document first) with its path, walked without
    recursion: a document nests as deep as its file (32 levels at most, `yamldoc.MAX_DEPTH`)."""
    pending: list[tuple[SchemaPath, Any]] = [((), schema)]
    while pending:
        path, node = pending.pop()
        if isinstance(node, dict):
            yield path, node
            pending.extend(reversed([((*path, *step), sub) for step, sub in subschemas(node)]))
