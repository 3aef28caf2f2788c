"""What the checks share: "did you mean" hints and the canonical fields of an entity."""

from __future__ import annotations

from typing import Any

from hub.project.hints import suggest
from hub.project.loading import Project
from hub.project.schemapaths import canonical_paths

MANAGED = frozenset({"hub_id"})
"""Canonical fields the hub keeps itself; no mapping fills them."""

__all__ = ["MANAGED", "entity_paths", "suggest"]


def entity_paths(project: Project, entity: str) -> dict[str, dict[str, Any]] | None:
    """Every canonical field path of an entity with its schema (None for an unknown entity)."""
    schema = project.entity_schema(entity)
    return None if schema is None else canonical_paths(schema, project.registry)
