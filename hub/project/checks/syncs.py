"""Checks of one sync file: its name, entity, endpoints and their mappings, match keys, references
(and cycles of them), conflict policy and owners, filter_exit, schedule, durations, and its
`airflow:` and `reconcile:` sections. Two connections of one system are two instances, each with its
own state (`Endpoint.instance`): a sync may join them; only one connection at both ends is refused."""

from __future__ import annotations

import re
from typing import Any

from hub.errors import Problem
from hub.project.checks.airflow import airflow_problems
from hub.project.checks.common import entity_paths, suggest
from hub.project.checks.durations import duration_problems
from hub.project.checks.reconcile import reconcile_problems
from hub.project.loading import Project, SyncSpec
from hub.project.schedule import schedule_problem
from hub.project.yamldoc import PathItem

DAG_NAME = re.compile(r"[\w.-]+")
"""What Airflow accepts in a DAG id (`sync__<name>`, `reconcile__<name>`)."""
LONGEST_NAME = 250 - len("reconcile__")
"""Airflow's DAG ids have at most 250 characters."""


def check_sync(project: Project, sync: SyncSpec) -> list[Problem]:
    """Problems of one sync file."""
    paths = entity_paths(project, sync.entity)
    own = _name_problems(sync) + duration_problems(sync) + airflow_problems(sync)
    frame = _frame_problems(project, sync, paths)
    if frame or paths is None:  # the rest would only echo a wrong entity or endpoint
        return own + frame
    return own + _content_problems(project, sync, paths)


def _frame_problems(project: Project, sync: SyncSpec, paths: dict[str, Any] | None) -> list[Problem]:
    """The entity, the two endpoints and their mappings."""
    doc, problems = sync.doc, []
    if paths is None:
        message = f"unknown entity {sync.entity!r}{suggest(sync.entity, project.entities())}"
        problems.append(doc.problem(["entity"], message))
    for side in ("source", "target"):
        problems += _endpoint_problems(project, sync, side)
    if sync.source.system == sync.target.system and sync.source.connection == sync.target.connection:
        problems.append(
            doc.problem(
                ["target", "connection"],
                f"source and target are the same connection ({sync.source.connection}); a sync between two "
                f"{sync.source.system} instances names two connections",
            )
        )
    return problems


def _content_problems(project: Project, sync: SyncSpec, paths: dict[str, Any]) -> list[Problem]:
    """What the sync says once its entity and endpoints hold: keys, references, policy, reconcile."""
    problems = _match_problems(project, sync, paths)
    problems += _reference_problems(project, sync)
    problems += _cycle_problems(project, sync)
    problems += _reference_match_problems(project, sync)
    problems += _identity_problems(project, sync)
    problems += _owner_problems(sync, paths)
    problems += _newest_wins_problems(project, sync)
    problems += _filter_exit_problems(project, sync, paths)
    problems += reconcile_problems(project, sync)
    if sync.schedule is not None and (message := schedule_problem(sync.schedule)):
        problems.append(sync.doc.problem(["schedule"], message))
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
                f"no mapping file mappings/{endpoint.mapping}.yaml{suggest(endpoint.mapping, known)}",
            )
        ]
    problems = []
    known_systems = project.systems()
    if endpoint.system not in known_systems:
        problems.append(
            doc.problem(
                [side, "system"],
                f"unknown system {endpoint.system!r}{suggest(endpoint.system, known_systems)}; "
                f"known: {', '.join(known_systems)}",
            )
        )
    elif mapping.system != endpoint.system:
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
                        f"match key {path!r} is not a field of {sync.entity}{suggest(path, paths)}",
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


def _name_problems(sync: SyncSpec) -> list[Problem]:
    """The file's name names the sync's Airflow DAGs, so it is one Airflow accepts."""
    if DAG_NAME.fullmatch(sync.name) and len(sync.name) <= LONGEST_NAME:
        return []
    message = (
        f"the file name {sync.name!r} cannot name the sync's Airflow DAGs (sync__{sync.name}): "
        f"rename the file with letters, digits, _ . and - only, at most {LONGEST_NAME} of them"
    )
    return [Problem(sync.doc.path, 1, 1, message)]


def _reference_problems(project: Project, sync: SyncSpec) -> list[Problem]:
    return [
        sync.doc.problem(["references", entity], message)
        for entity, other in sync.references.items()
        if (message := _reference_problem(project, sync, entity, other))
    ]


def _reference_problem(project: Project, sync: SyncSpec, entity: str, other: str) -> str | None:
    """What keeps `other` from bringing the records of `entity` this sync refers to over, if anything."""
    spec, source = project.syncs.get(other), project.mappings[sync.source.mapping]
    if spec is None:
        if other in project.sync_files:
            return f"sync {other!r} has problems of its own"
        return f"no sync named {other!r}{suggest(other, project.sync_files)}"
    if spec.entity != entity:
        return f"sync {other!r} carries {spec.entity!r}, not {entity!r}"
    if (spec.source.system, spec.target.system) != (sync.source.system, sync.target.system):
        return (
            f"sync {other!r} runs {spec.source.system} to {spec.target.system}; "
            "this one needs the same direction"
        )
    if not any(f.ref == entity and f.reads for f in source.fields):
        return f"mapping {source.key!r} reads no reference to {entity!r}, so {other!r} is never run"
    if spec.mode == "update":
        return f"sync {other!r} only updates (mode: update), so it cannot bring a missing {entity} over"
    return None


def _cycle_problems(project: Project, sync: SyncSpec) -> list[Problem]:
    """Syncs that bring each other's records over (a sync referring to itself is a hierarchy, and fine)."""
    problems = []
    for entity, other in sync.references.items():
        if other == sync.name or other not in project.syncs:
            continue
        cycle = _way_back(project, other, sync.name, [sync.name, other])
        if cycle:
            message = (
                f"references make a cycle ({' -> '.join(cycle)}): each sync would wait on the other to "
                "bring its records over first; keep references one way (a sync may refer to itself, "
                "for a hierarchy)"
            )
            problems.append(sync.doc.problem(["references", entity], message))
    return problems


def _way_back(project: Project, current: str, goal: str, path: list[str]) -> list[str] | None:
    """The syncs from `current` whose references lead back to `goal`, if any do."""
    for other in project.syncs[current].references.values():
        if other == goal:
            return [*path, goal]
        if other in project.syncs and other not in path:
            found = _way_back(project, other, goal, [*path, other])
            if found:
                return found
    return None


def _newest_wins_problems(project: Project, sync: SyncSpec) -> list[Problem]:
    """newest_wins compares both sides' updated_at: a side that does not read it loses every conflict."""
    if sync.conflict.policy != "newest_wins":
        return []
    sides = [project.mappings[sync.source.mapping], project.mappings[sync.target.mapping]]
    blind = [m.key for m in sides if not any(f.canonical == "updated_at" and f.reads for f in m.fields)]
    if not blind:
        return []
    winner = "target" if sides[0].key in blind else "source"
    message = (
        f"newest_wins compares updated_at, which {' and '.join(blind)} does not read, so the {winner} "
        "would win every conflict; map updated_at on both sides, or choose source_wins or target_wins"
    )
    return [sync.doc.problem(["conflict"], message)]


def _identity_problems(project: Project, sync: SyncSpec) -> list[Problem]:
    if not sync.identity or project.identity_settings(sync.entity) is not None:
        return []
    known = " and ".join(e for e in project.entities() if project.identity_settings(e) is not None)
    return [
        sync.doc.problem(
            ["identity"],
            f"{sync.entity!r} has no identity rules ({known or 'no entity'} have); give them in "
            f"schemas/{sync.entity}.yaml (identity: rules:)",
        )
    ]


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
        paths = entity_paths(project, entity) or {}
        unknown = [(i, name) for i, name in enumerate(rule) if name not in paths]
        for index, name in unknown:
            problems.append(
                sync.doc.problem([*where, index], f"{entity!r} has no field {name!r}{suggest(name, paths)}")
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
            message = f"{sync.entity!r} has no field {name!r}{suggest(name, paths)}"
            problems.append(sync.doc.problem(["filter_exit", name], message))
        elif name not in written:
            message = f"mapping {target.key!r} does not write {name!r}, so the target would never see it"
            problems.append(sync.doc.problem(["filter_exit", name], message))
    return problems


def _owner_problems(sync: SyncSpec, paths: dict[str, Any]) -> list[Problem]:
    return [
        sync.doc.problem(
            ["conflict", "owners", name], f"owner given for unknown field {name!r}{suggest(name, paths)}"
        )
        for name in sync.conflict.owners
        if name not in paths
    ]
