"""Checks of one mapping file: its system and entity, every field's canonical name, direction and
transforms, and that it compiles."""

from __future__ import annotations

from typing import Any

from hub.errors import Problem
from hub.project.checks.common import MANAGED, entity_paths, suggest
from hub.project.loading import FieldSpec, MappingSpec, Project
from hub.project.mapping import CompiledMapping, MappingCompileError
from hub.project.transforms import template_fields
from hub.project.yamldoc import Document, PathItem


def check_mapping(project: Project, mapping: MappingSpec) -> list[Problem]:
    """Problems of one mapping file."""
    doc = mapping.doc
    problems = []
    folder = mapping.key.split("/")[0]
    known = project.systems()
    if mapping.system not in known:
        problems.append(
            doc.problem(
                ["system"],
                f"unknown system {mapping.system!r}"
                f"{suggest(mapping.system, known)}; known: {', '.join(known)}",
            )
        )
    elif mapping.system != folder:
        problems.append(
            doc.problem(
                ["system"],
                f"system is {mapping.system!r} but the file is in "
                f"mappings/{folder}/; move it or fix the system",
            )
        )
    paths = entity_paths(project, mapping.entity)
    if paths is None:
        known = project.entities()
        problems.append(
            doc.problem(
                ["entity"],
                f"unknown entity {mapping.entity!r}"
                f"{suggest(mapping.entity, known)}; known: {', '.join(known)}",
            )
        )
        return problems
    seen: dict[tuple[str, str], int] = {}
    for f in mapping.fields:
        problems += _field_problems(project, doc, f, paths, seen)
    if not problems:
        try:
            CompiledMapping(mapping, project)
        except MappingCompileError as exc:
            problems += exc.problems
    return problems


def _field_problems(
    project: Project, doc: Document, f: FieldSpec, paths: dict[str, Any], seen: dict[tuple[str, str], int]
) -> list[Problem]:
    where: list[PathItem] = ["fields", f.index]
    problems = []
    if f.canonical is not None:
        if f.canonical in MANAGED:
            problems.append(
                doc.problem(
                    [*where, "canonical"],
                    "hub_id is kept by the hub itself: name "
                    "the system field in the mapping's external_id_field instead",
                )
            )
        elif f.canonical not in paths:
            problems.append(
                doc.problem(
                    [*where, "canonical"],
                    f"canonical field {f.canonical!r} does not "
                    f"exist in the entity's schema{suggest(f.canonical, paths)}",
                )
            )
    problems += _direction_problems(doc, f, where)
    if f.ref is not None and project.entity_schema(f.ref) is None:
        problems.append(
            doc.problem(
                [*where, "ref"], f"ref names unknown entity {f.ref!r}{suggest(f.ref, project.entities())}"
            )
        )
    for call in f.outbound:
        if call.name == "template" and f.direction != "inbound":
            problems += [
                doc.problem(
                    list(call.where),
                    f"template field {name!r} is not a canonical field{suggest(name, paths)}",
                )
                for name in template_fields(call.args)
                if name not in paths
            ]
    problems += _duplicate_problems(doc, f, where, seen)
    return problems


def _direction_problems(doc: Document, f: FieldSpec, where: list[PathItem]) -> list[Problem]:
    produced = f.has_value or any(c.name in ("template", "coalesce") for c in f.inbound[:1])
    built_out = f.has_value or any(c.name in ("template", "coalesce") for c in f.outbound[:1])
    if f.direction in ("both", "inbound") and f.canonical is None:
        return [doc.problem(where, "a field read inbound needs `canonical` (or set direction: outbound)")]
    if f.direction in ("both", "outbound") and f.system is None:
        return [doc.problem(where, "a field written outbound needs `system` (or set direction: inbound)")]
    if f.direction == "inbound" and f.system is None and not produced:
        return [doc.problem(where, "nothing to read: give `system`, `value` or a template/coalesce")]
    if f.direction == "outbound" and f.canonical is None and not built_out:
        return [doc.problem(where, "nothing to write: give `canonical`, `value` or a template/coalesce")]
    return []


def _duplicate_problems(
    doc: Document, f: FieldSpec, where: list[PathItem], seen: dict[tuple[str, str], int]
) -> list[Problem]:
    problems = []
    for direction, name in (
        ("in", f.canonical if f.reads else None),
        ("out", f.system if f.writes else None),
    ):
        if name is None:
            continue
        first = seen.setdefault((direction, name), f.index)
        if first != f.index:
            side = "canonical field" if direction == "in" else "system field"
            problems.append(doc.problem(where, f"{side} {name!r} is already filled by fields[{first}]"))
    return problems


