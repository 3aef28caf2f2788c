"""`hub validate`: every check across schemas, mappings and syncs, each problem located in its file.

`Project.load` already reports syntax errors and meta-schema violations; this module adds what a
schema cannot express: fields that do not exist in the canonical model, unknown transforms and bad
transform arguments, syncs naming missing mappings, entities or syncs, mismatched systems, match
keys the target cannot search, bad schedules.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from hub.errors import Problem
from hub.project.loading import FieldSpec, MappingSpec, Project, SyncSpec
from hub.project.mapping import CompiledMapping, MappingCompileError
from hub.project.schedule import schedule_problem
from hub.project.schemapaths import canonical_paths
from hub.project.transforms import template_fields
from hub.project.yamldoc import Document, PathItem

MANAGED = frozenset({"hub_id"})


def check_project(project: Project) -> list[Problem]:
    """Every problem in the project, sorted by file and position, without duplicates."""
    problems = list(project.problems)
    for mapping in project.mappings.values():
        problems += check_mapping(project, mapping)
    for sync in project.syncs.values():
        problems += check_sync(project, sync)
    problems += _connection_problems(project)
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.path, p.line, p.column, p.message))


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _paths(project: Project, entity: str) -> dict[str, dict[str, Any]] | None:
    schema = project.entity_schema(entity)
    return None if schema is None else canonical_paths(schema, project.registry)


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
                f"{_suggest(mapping.system, known)}; known: {', '.join(known)}",
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
    paths = _paths(project, mapping.entity)
    if paths is None:
        known = project.entities()
        problems.append(
            doc.problem(
                ["entity"],
                f"unknown entity {mapping.entity!r}"
                f"{_suggest(mapping.entity, known)}; known: {', '.join(known)}",
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
                    f"exist in the entity's schema{_suggest(f.canonical, paths)}",
                )
            )
    problems += _direction_problems(doc, f, where)
    if f.ref is not None and project.entity_schema(f.ref) is None:
        problems.append(
            doc.problem(
                [*where, "ref"], f"ref names unknown entity {f.ref!r}{_suggest(f.ref, project.entities())}"
            )
        )
    for call in f.outbound:
        if call.name == "template" and f.direction != "inbound":
            problems += [
                doc.problem(
                    list(call.where),
                    f"template field {name!r} is not a canonical field{_suggest(name, paths)}",
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


def check_sync(project: Project, sync: SyncSpec) -> list[Problem]:
    """Problems of one sync file."""
    doc = sync.doc
    problems = []
    paths = _paths(project, sync.entity)
    if paths is None:
        problems.append(
            doc.problem(
                ["entity"], f"unknown entity {sync.entity!r}{_suggest(sync.entity, project.entities())}"
            )
        )
    for side in ("source", "target"):
        problems += _endpoint_problems(project, sync, side)
    if sync.source.system == sync.target.system and sync.source.connection == sync.target.connection:
        problems.append(doc.problem(["target"], "source and target are the same connection"))
    elif sync.source.system == sync.target.system:
        mixed = (
            f"source and target are both {sync.source.system}: the hub keeps one set of cross-references "
            f"per system, so a sync between two {sync.source.system} connections would mix their ids "
            "(not supported)"
        )
        problems.append(doc.problem(["target", "system"], mixed))
    if problems or paths is None:
        return problems
    problems += _match_problems(project, sync, paths)
    problems += _reference_problems(project, sync)
    problems += _reference_match_problems(project, sync)
    problems += _owner_problems(sync, paths)
    problems += _filter_exit_problems(project, sync, paths)
    problems += _reconcile_problems(project, sync)
    if sync.schedule is not None and (message := schedule_problem(sync.schedule)):
        problems.append(doc.problem(["schedule"], message))
    return problems


def _connection_problems(project: Project) -> list[Problem]:
    """One connection per system: the cross-references are keyed by system, so the records of two
    accounts of one system (two Salesforce orgs) would share one id space. The connection most syncs
    use is taken as the system's; the others are reported where they are named."""
    uses: dict[str, dict[str, list[str]]] = {}  # system -> connection -> syncs naming it
    for name, sync in sorted(project.syncs.items()):
        if sync.source.system != sync.target.system:  # a same-system sync is reported on its own
            for endpoint in (sync.source, sync.target):
                uses.setdefault(endpoint.system, {}).setdefault(endpoint.connection, []).append(name)
    problems = []
    for system, connections in uses.items():
        main = max(connections, key=lambda c: len(connections[c]))
        for connection, names in connections.items():
            if connection == main:
                continue
            message = (
                f"{system} is reached through connection {main!r} elsewhere (sync {connections[main][0]!r}): "
                f"the hub keeps one set of cross-references per system, so a second {system} connection "
                "would mix their ids; use one connection per system"
            )
            for name in names:
                sync = project.syncs[name]
                side = "source" if sync.source.system == system else "target"
                problems.append(sync.doc.problem([side, "connection"], message))
    return problems


def _endpoint_problems(project: Project, sync: SyncSpec, side: str) -> list[Problem]:
    doc, endpoint = sync.doc, getattr(sync, side)
    mapping = project.mappings.get(endpoint.mapping)
    if mapping is None:
        if endpoint.mapping in project.mapping_docs:
            return [doc.problem([side, "mapping"], f"mapping {endpoint.mapping!r} has problems of its own")]
        known = sorted(project.mapping_docs)
        return [
            doc.problem(
                [side, "mapping"],
                f"no mapping file mappings/{endpoint.mapping}.yaml{_suggest(endpoint.mapping, known)}",
            )
        ]
    problems = []
    if mapping.system != endpoint.system:
        problems.append(
            doc.problem(
                [side, "system"],
                f"{side} system is {endpoint.system!r} but mapping "
                f"{endpoint.mapping!r} is for {mapping.system!r}",
            )
        )
    if mapping.entity != sync.entity:
        problems.append(
            doc.problem(
                [side, "mapping"],
                f"mapping {endpoint.mapping!r} maps entity {mapping.entity!r}, not {sync.entity!r}",
            )
        )
    if side == "target" and not mapping.external_id_field:
        problems.append(
            doc.problem(
                [side, "mapping"],
                f"target mapping {endpoint.mapping!r} has no "
                "external_id_field, so writes could not be replayed safely",
            )
        )
    if side == "source" and sync.mode == "mirror" and not mapping.cursor_field:
        problems.append(doc.problem(["mode"], "mirror needs a source mapping with a cursor_field"))
    return problems


def _match_problems(project: Project, sync: SyncSpec, paths: dict[str, Any]) -> list[Problem]:
    target = project.mappings[sync.target.mapping]
    written = {f.canonical for f in target.fields if f.writes and f.canonical}
    problems = []
    for i, rule in enumerate(sync.match or []):
        for j, path in enumerate(rule):
            if path not in paths:
                problems.append(
                    sync.doc.problem(
                        ["match", i, j],
                        f"match key {path!r} is not a field of {sync.entity}{_suggest(path, paths)}",
                    )
                )
            elif path not in written:
                problems.append(
                    sync.doc.problem(
                        ["match", i, j],
                        f"match key {path!r} is not written by "
                        f"mapping {target.key!r}, so the target cannot be searched on it",
                    )
                )
    return problems


def _reference_problems(project: Project, sync: SyncSpec) -> list[Problem]:
    problems = []
    for entity, other in sync.references.items():
        where: list[PathItem] = ["references", entity]
        spec = project.syncs.get(other)
        if spec is None:
            problems.append(
                sync.doc.problem(where, f"no sync named {other!r}{_suggest(other, project.syncs)}")
            )
        elif spec.entity != entity:
            problems.append(
                sync.doc.problem(where, f"sync {other!r} carries {spec.entity!r}, not {entity!r}")
            )
        elif (spec.source.system, spec.target.system) != (sync.source.system, sync.target.system):
            problems.append(
                sync.doc.problem(
                    where,
                    f"sync {other!r} runs {spec.source.system} to "
                    f"{spec.target.system}; this one needs the same direction",
                )
            )
    return problems


def _reference_match_problems(project: Project, sync: SyncSpec) -> list[Problem]:
    problems = []
    source = project.mappings[sync.source.mapping]
    for entity, rule in sync.reference_match.items():
        where: list[PathItem] = ["reference_match", entity]
        if not any(f.ref == entity and f.reads for f in source.fields):
            problems.append(
                sync.doc.problem(where, f"mapping {source.key!r} reads no reference to {entity!r}")
            )
            continue
        paths = _paths(project, entity) or {}
        unknown = [(i, name) for i, name in enumerate(rule) if name not in paths]
        for index, name in unknown:
            problems.append(
                sync.doc.problem([*where, index], f"{entity!r} has no field {name!r}{_suggest(name, paths)}")
            )
        for system in (sync.source.system, sync.target.system):
            found = project.mappings_of(system, entity)
            if len(found) != 1:
                many = f"{len(found)} mappings ({', '.join(m.key for m in found)})" if found else "no mapping"
                problems.append(sync.doc.problem(where, f"{system} has {many} of {entity!r}; one is needed"))
                continue
            for index, name in enumerate(rule):
                if name in paths and not any(f.canonical == name and f.writes for f in found[0].fields):
                    problems.append(
                        sync.doc.problem([*where, index], f"mapping {found[0].key!r} does not carry {name!r}")
                    )
    return problems


def _filter_exit_problems(project: Project, sync: SyncSpec, paths: dict[str, Any]) -> list[Problem]:
    """filter_exit needs a filter to leave, and sets fields of the entity that the target receives."""
    if not sync.filter_exit:
        return []
    source, target = project.mappings[sync.source.mapping], project.mappings[sync.target.mapping]
    if not source.filter:
        message = f"mapping {source.key!r} has no filter, so no record can leave it"
        return [sync.doc.problem(["filter_exit"], message)]
    written = {f.canonical for f in target.fields if f.writes and f.canonical}
    problems = []
    for name in sync.filter_exit:
        if name not in paths:
            message = f"{sync.entity!r} has no field {name!r}{_suggest(name, paths)}"
            problems.append(sync.doc.problem(["filter_exit", name], message))
        elif name not in written:
            message = f"mapping {target.key!r} does not write {name!r}, so the target would never see it"
            problems.append(sync.doc.problem(["filter_exit", name], message))
    return problems


def _reconcile_problems(project: Project, sync: SyncSpec) -> list[Problem]:
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
    message = f"{name!r} is not read by {missing}, so it cannot be compared{_suggest(name, both)}"
    return sync.doc.problem(["reconcile", "compare", index], message)


def _owner_problems(sync: SyncSpec, paths: dict[str, Any]) -> list[Problem]:
    return [
        sync.doc.problem(
            ["conflict", "owners", name], f"owner given for unknown field {name!r}{_suggest(name, paths)}"
        )
        for name in sync.conflict.owners
        if name not in paths
    ]
