"""Checks of one mapping file: its system and entity, every field's canonical name, direction and
transforms, that it compiles (each transform's arguments fit its declared signature), and that what
each field puts into its canonical field, or takes out of it, is of the canonical field's type.

The type checks speak only where types are known: a value read from a system has no declared type,
so a chain is judged by what its transforms give (`integer` gives a whole number, `trim` what it was
given), and a constant by the canonical field's schema. Null always fits: an empty value is left out."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing.exceptions import Unresolvable

from hub.errors import Problem
from hub.project.checks.common import MANAGED, entity_paths, suggest
from hub.project.checks.options import option_problems
from hub.project.formats import format_checker
from hub.project.loading import FieldSpec, MappingSpec, Project
from hub.project.mapping import CompiledMapping, MappingCompileError
from hub.project.transforms import REGISTRY, Kinds, json_type, template_fields
from hub.project.transforms.signatures import kind_words
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
    else:
        problems += _object_problems(mapping)
    problems += option_problems(mapping)
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
    if not problems:  # every transform exists and takes its arguments: what they give can be told
        for f in mapping.fields:
            problems += _type_problems(project, doc, f, paths)
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


def _object_problems(mapping: MappingSpec) -> list[Problem]:
    """A mapping of a system described in YAML names an object its description has. Shipped connectors
    read whatever their system holds (any Salesforce object, any Odoo model), so only described systems,
    whose objects are all written down, are checked; a wrong one otherwise fails the first run."""
    from connectors.registry import DESCRIBED

    if mapping.system not in DESCRIBED:
        return []
    from connectors.rest import declarative_connector

    objects = list(declarative_connector(DESCRIBED[mapping.system]).spec.objects)
    if mapping.object in objects:
        return []
    return [
        mapping.doc.problem(
            ["object"],
            f"{mapping.system} describes no object {mapping.object!r}{suggest(mapping.object, objects)}; "
            f"it describes {', '.join(objects)}",
        )
    ]


# Types --------------------------------------------------------------------------------------------
def _type_problems(project: Project, doc: Document, f: FieldSpec, paths: dict[str, Any]) -> list[Problem]:
    """What a field reads into its canonical field fits the field's type (a constant, its schema), and
    the first transform it writes out with can use that type. A reference is left out: it is read and
    written as ids, whatever its transforms do to them."""
    schema = paths.get(f.canonical) if f.canonical is not None else None
    if schema is None or f.ref is not None:
        return []
    wanted = _declared(schema)
    problems = []
    if f.reads and f.has_value and not f.inbound:
        problems += _constant_problems(project, doc, f, schema)
    elif f.reads and wanted is not None:
        problems += _inbound_problems(doc, f, wanted)
    if f.writes and not f.has_value and f.outbound and wanted is not None:
        problems += _outbound_problems(doc, f, wanted)
    return problems


def _declared(schema: dict[str, Any]) -> frozenset[str] | None:
    """The JSON types a canonical field declares (None: it declares none, so any fits)."""
    types = schema.get("type")
    if types is None:
        return None
    return frozenset([types] if isinstance(types, str) else types)


def _fits(kinds: frozenset[str], wanted: frozenset[str]) -> bool:
    """Whether values of `kinds` can go where `wanted` are declared. Null always can, and whole numbers
    and numbers are not told apart (`number` keeps integers whole; a number field takes both)."""
    numeric = {"integer", "number"}
    return all(k == "null" or k in wanted or (k in numeric and wanted & numeric) for k in kinds)


def _inbound_problems(doc: Document, f: FieldSpec, wanted: frozenset[str]) -> list[Problem]:
    """The value after the inbound chain is of the canonical field's type, when the chain says what
    it gives; the transform (or constant) that decided the type is blamed, where it is written."""
    kinds: Kinds = frozenset({json_type(f.value)}) if f.has_value else None
    subject, where = f"value {f.value!r} is", list[PathItem](["fields", f.index, "value"])
    for call in f.inbound:
        given = REGISTRY[call.name].result(call.args, kinds)
        if given != kinds:
            subject, where = f"{call.name} gives", list(call.where)
        kinds = given
    if kinds is None or _fits(kinds, wanted):
        return []
    message = f"{subject} {kind_words(kinds)}, but canonical field {f.canonical!r} is {kind_words(wanted)}"
    return [doc.problem(where, message)]


def _outbound_problems(doc: Document, f: FieldSpec, wanted: frozenset[str]) -> list[Problem]:
    """The first transform written out with can use the canonical field's values: one of its types
    at least (a field of text or numbers may well be trimmed)."""
    call = f.outbound[0]
    spec = REGISTRY[call.name]
    if spec.source or spec.accepts is None:
        return []
    usable = frozenset(spec.accepts)
    if any(_fits(frozenset({kind}), usable) for kind in wanted - {"null"}) or wanted <= {"null"}:
        return []
    message = (
        f"{call.name} takes {kind_words(usable)}, but canonical field {f.canonical!r} is {kind_words(wanted)}"
    )
    return [doc.problem(list(call.where), message)]


def _constant_problems(
    project: Project, doc: Document, f: FieldSpec, schema: dict[str, Any]
) -> list[Problem]:
    """A constant read into a canonical field is one its schema takes (null aside: it leaves the
    field empty, which the record's own validation judges)."""
    if f.value is None:
        return []
    validator = Draft202012Validator(schema, registry=project.registry, format_checker=format_checker())
    try:
        error = best_match(validator.iter_errors(f.value))
    except Unresolvable:  # a $ref inside the field's schema, relative to a file it no longer sits in
        return []
    if error is None:
        return []
    wanted = _declared(schema)
    if error.validator == "type" and not error.path and wanted is not None:
        message = f"value {f.value!r} is not {kind_words(wanted)}, as canonical field {f.canonical!r} needs"
    else:
        message = f"value {f.value!r} does not fit canonical field {f.canonical!r}: {error.message}"
    return [doc.problem(["fields", f.index, "value"], message)]
