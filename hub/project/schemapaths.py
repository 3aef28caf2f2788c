"""The field paths a canonical schema defines, with `$ref`s resolved (`address.city`, `lines`)."""

from __future__ import annotations

from typing import Any

from referencing import Registry


def canonical_paths(schema: dict[str, Any], registry: Registry[Any]) -> dict[str, dict[str, Any]]:
    """Every property path of `schema` (objects are walked; arrays are leaves) → its subschema."""
    paths: dict[str, dict[str, Any]] = {}
    resolver = registry.resolver(base_uri=schema.get("$id", ""))
    _walk(schema, "", resolver, paths, depth=0)
    return paths


def _resolve(schema: Any, resolver: Any) -> tuple[Any, Any]:
    while isinstance(schema, dict) and "$ref" in schema:
        resolved = resolver.lookup(schema["$ref"])
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema, resolver = {**resolved.contents, **extra}, resolved.resolver
    return schema, resolver


def _walk(schema: Any, prefix: str, resolver: Any, paths: dict[str, dict[str, Any]], depth: int) -> None:
    schema, resolver = _resolve(schema, resolver)
    if not isinstance(schema, dict) or depth > 8:
        return
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        resolved, sub_resolver = _resolve(sub, resolver)
        paths[path] = resolved if isinstance(resolved, dict) else {}
        if "properties" in paths[path]:
            _walk(resolved, path + ".", sub_resolver, paths, depth + 1)


def is_container(subschema: dict[str, Any]) -> bool:
    """Whether values at this path may be objects or arrays (they hash by their JSON text)."""
    types = subschema.get("type", [])
    types = types if isinstance(types, list) else [types]
    return bool({"object", "array"} & set(types)) or "properties" in subschema or not types
