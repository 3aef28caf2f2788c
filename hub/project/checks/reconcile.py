"""Checks of a sync's `reconcile:` section against the two mappings it compares."""

from __future__ import annotations

from hub.errors import Problem
from hub.project.checks.common import suggest
from hub.project.loading import MappingSpec, Project, SyncSpec


def reconcile_problems(project: Project, sync: SyncSpec) -> list[Problem]:
    """Compared fields both mappings read (what reconciliation would refuse at its first run), and
    tolerances and normalizers that name compared fields."""
    if not sync.reconcile:
        return []
    compare = sync.reconcile.get("compare") or []
    sides = [project.mappings[sync.source.mapping], project.mappings[sync.target.mapping]]
    problems = [
        _unread_problem(sync, index, entry, sides)
        for index, entry in enumerate(compare)
        if isinstance(entry, str) and any(entry not in _read(m) for m in sides)
    ]
    compared = {e.get("field") if isinstance(e, dict) else e for e in compare}
    for section in ("tolerances", "normalizers"):
        problems += [
            sync.doc.problem(["reconcile", section, name], f"{name!r} is not among the compared fields")
            for name in sync.reconcile.get(section) or {}
            if compare and name not in compared
        ]
    return problems


def _read(mapping: MappingSpec) -> set[str]:
    """The canonical fields a mapping fills from its system."""
    return {f.canonical for f in mapping.fields if f.reads and f.canonical}


def _unread_problem(sync: SyncSpec, index: int, name: str, sides: list[MappingSpec]) -> Problem:
    missing = " and ".join(m.key for m in sides if name not in _read(m))
    both = _read(sides[0]) & _read(sides[1])
    message = f"{name!r} is not read by {missing}, so it cannot be compared{suggest(name, both)}"
    return sync.doc.problem(["reconcile", "compare", index], message)


