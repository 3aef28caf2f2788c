"""Checks of a sync's `reconcile:` section: what `hub.reconcile.settings.settings_for`, the reconciler
and the reconcile DAG read, so a reconciliation compares, masks and judges what the file says.

The meta-schema checks the shapes (normaliser names, threshold keys, bounds); these checks add what
needs the entity and the two mappings: compared fields both sides read, computed templates that
build, sensitive fields that are compared (a typo would show values in clear), tolerances on numbers
only, and the side `--heal` copies from being writable."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from hub.errors import Problem
from hub.project.checks.common import entity_paths, suggest
from hub.project.loading import MappingSpec, Project, SyncSpec
from hub.project.mapping import path_getter
from hub.project.schedule import schedule_problem
from hub.project.transforms import REGISTRY, CompileContext, TransformArgsError, template_fields
from hub.project.yamldoc import PathItem

UNCOMPARED = frozenset({"updated_at", "hub_id"})
"""As `hub.reconcile.settings.UNCOMPARED` (that module loads pandas, which validation and DAG parsing
never do; a test keeps the two equal): read by both, compared only when `compare` names them."""


_KINDS = {"string": "text", "boolean": "booleans", "object": "objects", "array": "lists"}


@dataclass
class Compared:
    """The fields a reconciliation compares: canonical ones, and computed ones with their templates."""

    plain: list[str] = field(default_factory=list)
    computed: dict[str, list[str]] = field(default_factory=dict)  # name -> fields its template uses
    where: dict[str, int] = field(default_factory=dict)  # name -> index in `compare`

    @property
    def names(self) -> list[str]:
        return [*self.plain, *self.computed]


@dataclass
class Context:
    """One sync's reconcile section with what checking it needs."""

    sync: SyncSpec
    raw: dict[str, Any]
    sides: tuple[MappingSpec, MappingSpec]
    paths: dict[str, dict[str, Any]]

    @property
    def both(self) -> set[str]:
        return _read(self.sides[0]) & _read(self.sides[1])

    def problem(self, where: list[PathItem], message: str) -> Problem:
        return self.sync.doc.problem(["reconcile", *where], message)


def reconcile_problems(project: Project, sync: SyncSpec) -> list[Problem]:
    """Every problem of a sync's `reconcile:` section (none when it has none)."""
    if sync.reconcile is None:
        return []
    sides = (project.mappings[sync.source.mapping], project.mappings[sync.target.mapping])
    ctx = Context(sync, sync.reconcile, sides, entity_paths(project, sync.entity) or {})
    compared, problems = _compare_problems(ctx)
    problems += _sensitive_problems(ctx, compared)
    problems += _named_field_problems(ctx, compared, "normalizers")
    problems += _tolerance_problems(ctx, compared)
    problems += _threshold_problems(ctx)
    problems += _truth_problems(ctx)
    schedule = ctx.raw.get("schedule")
    if schedule is not None and (message := schedule_problem(schedule)):
        problems.append(ctx.problem(["schedule"], message))
    return problems


# compare ----------------------------------------------------------------------------------------
def _compare_problems(ctx: Context) -> tuple[Compared, list[Problem]]:
    """The compared fields (by default, every field both mappings read), and what is wrong in them."""
    entries = ctx.raw.get("compare") or sorted(ctx.both - UNCOMPARED)
    compared, problems = Compared(), []
    for index, entry in enumerate(entries):
        name = entry["field"] if isinstance(entry, dict) else entry
        if name in compared.where:
            where: list[PathItem] = ["compare", index, *(["field"] if isinstance(entry, dict) else [])]
            message = f"{name!r} is already compared (compare[{compared.where[name]}])"
            problems.append(ctx.problem(where, message))
            continue
        compared.where[name] = index
        if isinstance(entry, dict) and name.startswith("_"):
            message = f"computed field {name!r} cannot start with '_' (the reconciler's own columns do)"
            problems.append(ctx.problem(["compare", index, "field"], message))
        elif isinstance(entry, dict):
            used, found = _template_problems(ctx, index, entry)
            compared.computed[name] = used
            problems += found
        elif name not in ctx.both:
            problems.append(_unread_problem(ctx, index, name))
        else:
            compared.plain.append(name)
    return compared, problems


def _template_problems(ctx: Context, index: int, entry: dict[str, Any]) -> tuple[list[str], list[Problem]]:
    """A computed field's template builds text, from canonical fields both mappings read."""
    where: list[PathItem] = ["compare", index, "template"]
    text = entry["template"]
    try:
        REGISTRY["template"].factory(text, CompileContext(getter=path_getter))({})
    except TransformArgsError as exc:
        return [], [ctx.problem(where, str(exc))]
    except (ValueError, IndexError, KeyError) as exc:
        message = f"template {text!r} does not build ({exc}); write each field in braces, as in '{{a}} {{b}}'"
        return [], [ctx.problem(where, message)]
    used, problems = template_fields(text), []
    for name in used:
        if name not in ctx.paths:
            message = f"template field {name!r} is not a field of {ctx.sync.entity}{suggest(name, ctx.paths)}"
            problems.append(ctx.problem(where, message))
        elif name not in ctx.both:
            missing = " and ".join(m.key for m in ctx.sides if name not in _read(m))
            message = (
                f"template field {name!r} is not read by {missing}, so {entry['field']!r} "
                f"would differ on every record{suggest(name, ctx.both)}"
            )
            problems.append(ctx.problem(where, message))
    return used, problems


def _read(mapping: MappingSpec) -> set[str]:
    """The canonical fields a mapping fills from its system."""
    return {f.canonical for f in mapping.fields if f.reads and f.canonical}


def _unread_problem(ctx: Context, index: int, name: str) -> Problem:
    missing = " and ".join(m.key for m in ctx.sides if name not in _read(m))
    message = f"{name!r} is not read by {missing}, so it cannot be compared{suggest(name, ctx.both)}"
    return ctx.problem(["compare", index], message)


# sensitive, normalizers, tolerances -----------------------------------------------------------------
def _sensitive_problems(ctx: Context, compared: Compared) -> list[Problem]:
    """Masked fields are compared ones (a typo would leave the field meant in clear), and a computed
    field built from a masked one is masked too."""
    sensitive = ctx.raw.get("sensitive") or []
    problems = []
    parts = {name for used in compared.computed.values() for name in used}
    for index, name in enumerate(sensitive):
        if name in compared.names or name in parts:
            continue
        if name in ctx.paths:
            message = f"{name!r} is not compared, so no report shows it{suggest(name, compared.names)}"
        else:
            message = (
                f"{name!r} is not a compared field{suggest(name, compared.names)}, so reports would "
                "show the field meant in clear"
            )
        problems.append(ctx.problem(["sensitive", index], message))
    for name, used in compared.computed.items():
        secret = [part for part in used if part in sensitive]
        if secret and name not in sensitive:
            message = (
                f"{name!r} is built from sensitive {secret[0]!r}, so reports would show it in clear; "
                f"add {name!r} to sensitive"
            )
            problems.append(ctx.problem(["compare", compared.where[name], "field"], message))
    return problems


def _named_field_problems(ctx: Context, compared: Compared, section: str) -> list[Problem]:
    """Per-field settings name compared fields."""
    return [
        ctx.problem(
            [section, name],
            f"{name!r} is not among the compared fields{suggest(name, compared.names)}",
        )
        for name in ctx.raw.get(section) or {}
        if name not in compared.names
    ]


def _tolerance_problems(ctx: Context, compared: Compared) -> list[Problem]:
    """Tolerances are finite and apply to numbers: on text, every value would compare as equal."""
    problems = _named_field_problems(ctx, compared, "tolerances")
    for name, limits in (ctx.raw.get("tolerances") or {}).items():
        if name not in compared.names:
            continue
        kind = "text built by a template" if name in compared.computed else _kind(ctx.paths.get(name, {}))
        if kind is not None:
            message = (
                f"{name!r} holds {kind}, not numbers: compared as numbers, all its values would count as "
                "equal; give tolerances to numeric fields only"
            )
            problems.append(ctx.problem(["tolerances", name], message))
            continue
        for key, value in limits.items():
            if not math.isfinite(value):
                message = f"{key} {value} is not a finite number; give 0 or more, such as 0.01"
                problems.append(ctx.problem(["tolerances", name, key], message))
    return problems


def _kind(schema: dict[str, Any]) -> str | None:
    """None for a number (JSON numbers and exact decimals written as text), else what the field holds."""
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    if {"number", "integer"} & set(types):
        return None
    pattern = schema.get("pattern")
    if "string" in types and pattern and re.search(pattern, "12.5") and not re.search(pattern, "twelve"):
        return None  # an exact decimal ("1250.00")
    shown = [_KINDS.get(t, t) for t in types if t != "null"]
    return " or ".join(shown) if shown else "values of any kind"


def _threshold_problems(ctx: Context) -> list[Problem]:
    """NaN passes the meta-schema's bounds, and would never be crossed."""
    ratio = (ctx.raw.get("thresholds") or {}).get("max_unequal_ratio")
    if isinstance(ratio, float) and math.isnan(ratio):
        message = "max_unequal_ratio nan is not a number, so it would never be crossed; give one from 0 to 1"
        return [ctx.problem(["thresholds", "max_unequal_ratio"], message)]
    return []


def _truth_problems(ctx: Context) -> list[Problem]:
    """`--heal` from the target writes the source through its mapping: it needs an external id field."""
    explicit = ctx.raw.get("source_of_truth")
    truth = explicit or ("target" if ctx.sync.conflict.policy == "target_wins" else "source")
    source = ctx.sides[0]
    if truth == "source" or source.external_id_field:
        return []
    why = "source_of_truth: target" if explicit else "conflict: target_wins"
    message = (
        f"with {why}, --heal writes the target's values to {source.key}, which has no external_id_field, "
        "so those writes could not be replayed safely; set source_of_truth: source"
    )
    where: list[PathItem] = ["reconcile", "source_of_truth"] if explicit else ["conflict"]
    return [ctx.sync.doc.problem(where, message)]
