"""`hub validate`: every check across schemas, mappings and syncs, each problem located in its file.

`Project.load` already reports syntax errors and meta-schema violations; these modules add what a
schema cannot express: fields that do not exist in the canonical model, unknown transforms and bad
transform arguments, syncs naming missing mappings, entities or syncs, mismatched systems, match
keys the target cannot search, bad schedules.

    hub.project.checks.mappings    one mapping file
    hub.project.checks.options     a mapping's options:, against its connector's options_schema
    hub.project.checks.syncs       one sync file
    hub.project.checks.reconcile   a sync's reconcile: section
"""

from __future__ import annotations

from hub.errors import Problem
from hub.project.checks.mappings import check_mapping
from hub.project.checks.syncs import check_sync
from hub.project.loading import Project


def check_project(project: Project) -> list[Problem]:
    """Every problem in the project, sorted by file and position, without duplicates."""
    problems = list(project.problems)
    for mapping in project.mappings.values():
        problems += check_mapping(project, mapping)
    for sync in project.syncs.values():
        problems += check_sync(project, sync)
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.path, p.line, p.column, p.message))


__all__ = ["check_mapping", "check_project", "check_sync"]
