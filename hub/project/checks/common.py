"""What the checks share: "did you mean" hints and the canonical fields of an entity."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from hub.project.loading import Project
from hub.project.schemapaths import canonical_paths

MANAGED = frozenset({"hub_id"})
"""Canonical fields the hub keeps itself; no mapping fills them."""


def suggest(word: str, options: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when one of `options` is close to `word`, else nothing."""
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def entity_paths(project: Project, entity: str) -> dict[str, dict[str, Any]] | None:
    """Every canonical field path of an entity with its schema (None for an unknown entity)."""
    schema = project.entity_schema(entity)
    return None if schema is None else canonical_paths(schema, project.registry)
