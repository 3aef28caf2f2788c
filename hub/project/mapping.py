"""The mapping compiler: a mapping file becomes two plain functions, inbound and outbound.

`compile_mapping` resolves every transform once and generates the source of one function per
direction, so the per-record path does no YAML lookups, no regex compilation and no reflection:

    def to_canonical(r, refs):
        v = r.get('Email')
        if v is not None:
            v = t3(v)
        ...
        return {'email': o3, 'mailing_address': {'city': o7, ...}, ...}

When the fast function raises, the record is mapped again field by field to collect every reason
(`MappingFailure.problems`), which is what quarantine stores. References to other entities are
looked up in `refs` tables the sync engine fills per page from the cross-reference store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from hub.errors import HubError, MappingError, Problem, UnresolvedReference
from hub.io.connector import ObjectSpec, written_filter
from hub.io.records import Record
from hub.project.codegen import GeneratedCode, load_generated
from hub.project.loading import FieldSpec, MappingSpec, Project, TransformCall
from hub.project.schemapaths import canonical_paths, is_container
from hub.project.transforms import (
    REGISTRY,
    CompileContext,
    Transform,
    TransformArgsError,
    TransformError,
    template_fields,
)
from hub.project.transforms.signatures import args_problem, named
from hub.project.yamldoc import Document

Refs = Mapping[str, Mapping[str, str]]
"""Per referenced entity: system id → hub_id (inbound) or hub_id → system id (outbound)."""

_EMPTY: dict[str, Any] = {}


@dataclass(frozen=True)
class FieldProblem:
    """Why one field of one record could not be mapped (`reference`: entity and id not yet synced)."""

    field: str
    code: str
    message: str
    reference: tuple[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"field": self.field, "rule": self.code, "message": self.message}
        if self.reference is not None:
            found["entity"], found["value"] = self.reference
        return found


class MappingFailure(HubError):
    """A record could not be mapped; `problems` holds every reason found."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))

    @property
    def unresolved(self) -> list[FieldProblem]:
        return [p for p in self.problems if p.code == "unresolved_reference"]


class MappingCompileError(HubError):
    """A mapping file cannot be compiled; each problem is located in the file."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def path_getter(path: str) -> Callable[[Mapping[str, Any]], Any]:
    """A function reading a dotted path from nested dicts (None when any step is missing)."""
    parts = path.split(".")
    if len(parts) == 1:
        return lambda record: record.get(path)

    def get(record: Mapping[str, Any]) -> Any:
        value: Any = record
        for part in parts:
            if not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value

    return get


@dataclass
class _Step:
    call: Callable[..., Any]
    takes_record: bool
    handles_none: bool
    source: bool
    inline: str | None = None
    label: str = ""  # the transform as the YAML names it, for readers of the generated code


@dataclass
class _Plan:
    """One field in one direction, ready to run."""

    label: str
    read: str | None
    write: str
    steps: list[_Step]
    ref: str | None = None
    constant: Any = None
    has_constant: bool = False
    reads_paths: list[str] = field(default_factory=list)


def _steps(calls: tuple[TransformCall, ...], doc: Document, problems: list[Problem]) -> list[_Step]:
    context = CompileContext(getter=path_getter)
    steps = []
    for position, call in enumerate(calls):
        spec = REGISTRY.get(call.name)
        if spec is None:
            problems.append(doc.problem(call.where, _unknown_transform(call.name)))
            continue
        if spec.source and position != 0:
            problems.append(
                doc.problem(
                    call.where,
                    f"{call.name} builds a value from the record, so it must come first in its list",
                )
            )
        step = _step(spec, call, context, doc, problems)
        if step is not None:
            steps.append(step)
    return steps


def _step(
    spec: Transform, call: TransformCall, context: CompileContext, doc: Document, problems: list[Problem]
) -> _Step | None:
    """One transform entry compiled; None, and a problem located at the argument, when its arguments
    do not fit the transform's declared signature or its factory refuses them. The signature is
    checked first: factories let some mistakes through (`{trim: both}` was ignored) and word others for
    programs rather than for the file's author."""
    wrong = args_problem(spec, call.args)
    if wrong is not None:
        problems.append(doc.problem([*call.where, *wrong.where], wrong.message, key=wrong.key))
        return None
    try:
        fn = spec.factory(call.args, context)
    except TransformArgsError as exc:
        at = call.where if call.args is None else (*call.where, call.name, *exc.at)
        problems.append(doc.problem(at, named(call.name, str(exc))))
        return None
    inline = spec.inline(call.args) if spec.inline else None
    label = call.name if call.args is None else f"{call.name} {call.args!r}"
    return _Step(fn, spec.takes_record, spec.handles_none, spec.source, inline, label)


def nesting_problems(spec: MappingSpec) -> list[Problem]:
    """Canonical fields filled both whole and field by field (`billing_address` and, beside it,
    `billing_address.city`): a record holds one or the other, and the generated code would have to put
    a value where the object of fields goes (it raised TypeError, a traceback in `hub validate`). One
    problem per object, located at the first field that clashes with an earlier one."""
    filled: dict[str, int] = {}
    problems, told = [], set()
    for f in spec.fields:
        path = f.canonical
        if not f.reads or path is None:
            continue
        clash = next((p for p in filled if _nested(p, path) or _nested(path, p)), None)
        if clash is not None and min(path, clash, key=len) not in told:
            told.add(min(path, clash, key=len))
            line = spec.doc.position(["fields", filled[clash], "canonical"])[0]
            problems.append(spec.doc.problem(["fields", f.index, "canonical"], _nesting(path, clash, line)))
        filled.setdefault(path, f.index)
    return problems


def _nested(inner: str, outer: str) -> bool:
    return inner.startswith(outer + ".")


def _nesting(path: str, clash: str, line: int) -> str:
    advice, other = "fill the object or its fields, not both", f"the field at line {line}"
    if _nested(path, clash):
        whole = f"canonical field {clash!r} is filled whole by {other}"
        return f"{whole}, so {path!r} cannot be filled too; {advice}"
    return f"canonical field {path!r} cannot be filled whole: {other} fills {clash!r} inside it; {advice}"


def _unknown_transform(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, REGISTRY, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown transform {name!r}{hint}; known: {', '.join(sorted(REGISTRY))}"


def _source_paths(calls: tuple[TransformCall, ...]) -> list[str]:
    if not calls:
        return []
    first = calls[0]
    if first.name == "template":
        return template_fields(first.args)
    if first.name == "coalesce" and isinstance(first.args, list):
        return [str(a) for a in first.args]
    return []


def _plans(
    spec: MappingSpec, inbound: bool, only: frozenset[str] | None, problems: list[Problem]
) -> list[_Plan]:
    plans = []
    for f in spec.fields:
        if not (f.reads if inbound else f.writes):
            continue
        if not inbound and only is not None and f.canonical is not None and f.canonical not in only:
            continue
        plans.append(_plan(spec, f, inbound, problems))
    return plans


def _plan(spec: MappingSpec, f: FieldSpec, inbound: bool, problems: list[Problem]) -> _Plan:
    calls = f.inbound if inbound else f.outbound
    read, write = (f.system, f.canonical) if inbound else (f.canonical, f.system)
    sources = _source_paths(calls)
    steps = _steps(calls, spec.doc, problems)
    starts_with_source = bool(steps) and steps[0].source
    return _Plan(
        label=str(write),
        read=None if (starts_with_source or f.has_value) else read,
        write=str(write),
        steps=steps,
        ref=f.ref,
        constant=f.value,
        has_constant=f.has_value,
        reads_paths=sources if starts_with_source else ([read] if read and not f.has_value else []),
    )


class _Codegen:
    """Accumulates generated source and the constants it refers to."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"_E": _EMPTY}
        self.about: dict[str, str] = {"_E": "an empty mapping (a missing level of a path)"}
        self.lines: list[str] = []

    def const(self, value: Any, prefix: str, about: str | None = None) -> str:
        """A name in the generated code for `value` (`about`: what a reader should read it as)."""
        name = f"_{prefix}{len(self.namespace)}"
        self.namespace[name] = value
        if about:
            self.about[name] = about
        return name

    def load(self, kind: str, name: str, function: str) -> tuple[Callable[..., Any], GeneratedCode]:
        """Run the accumulated lines (defining `function`), registered for tracebacks and readers."""
        code = load_generated(kind, name, "\n".join(self.lines) + "\n", self.namespace, self.about)
        generated: Callable[..., Any] = self.namespace[function]
        return generated, code

    def read_expression(self, path: str, var: str) -> str:
        parts = path.split(".")
        expression = f"{var}.get({parts[0]!r})"
        for part in parts[1:]:
            expression = f"({expression} or _E).get({part!r})"
        return expression


def _ref_lookup(table: Mapping[str, str], value: Any, entity: str, label: str, system: str) -> str:
    key = value if isinstance(value, str) else str(value)
    found = table.get(key)
    if found is None:
        raise UnresolvedReference(label, entity, system, key)
    return found


def _emit_field(gen: _Codegen, plan: _Plan, index: int, source_var: str, system: str) -> None:
    lines = gen.lines
    lines.append(f"    # {plan.label} <- {plan.read if plan.read is not None else '(built)'}")
    if plan.has_constant:
        lines.append(f"    v = {gen.const(plan.constant, 'k')}")
    elif plan.read is not None:
        lines.append(f"    v = {gen.read_expression(plan.read, source_var)}")
    else:
        lines.append("    v = None")
    for step in plan.steps:
        if step.inline is not None:  # the same semantics as step.call, without a call per record
            lines += ["    if v is not None:", f"        v = {step.inline}"]
            continue
        call = gen.const(step.call, "t", f"transform {step.label}")
        args = source_var if step.source else (f"v, {source_var}" if step.takes_record else "v")
        if step.source or step.handles_none:
            lines.append(f"    v = {call}({args})")
        else:
            lines += ["    if v is not None:", f"        v = {call}({args})"]
    if plan.ref is not None:
        table = f"refs.get({plan.ref!r}, _E)"
        lines += [
            "    if v is not None:",
            f"        v = _ref({table}, v, {plan.ref!r}, {plan.label!r}, {system!r})",
        ]
    lines.append(f"    o{index} = v")


def _nested_literal(pairs: list[tuple[str, str]]) -> str:
    """Source of a dict literal placing each variable at its (possibly dotted) path."""
    tree: dict[str, Any] = {}
    for path, var in pairs:
        node = tree
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = var

    def render(node: dict[str, Any]) -> str:
        items = (f"{k!r}: {render(v) if isinstance(v, dict) else v}" for k, v in node.items())
        return "{" + ", ".join(items) + "}"

    return render(tree)


def _generate(
    plans: list[_Plan], *, nested_output: bool, extra: Mapping[str, Any], system: str, name: str, key: str
) -> tuple[Callable[..., Record], GeneratedCode]:
    """One function mapping a record; on any failure it maps again field by field to name the causes."""
    gen = _Codegen()
    gen.namespace |= {"_ref": _ref_lookup, "_fail": _failure(plans, system)}
    gen.about |= {
        "_ref": "a reference's id through the cross-references (UnresolvedReference when unknown)",
        "_fail": "maps the record again field by field to raise MappingFailure naming every cause",
    }
    for index, plan in enumerate(plans):
        _emit_field(gen, plan, index, "r", system)
    pairs = [(p.write, f"o{i}") for i, p in enumerate(plans)]
    pairs += [(k, gen.const(v, "f")) for k, v in extra.items()]
    flat = "{" + ", ".join(f"{k!r}: {v}" for k, v in pairs) + "}"
    literal = _nested_literal(pairs) if nested_output else flat
    body = [f"    {line}" for line in gen.lines]
    lines = [
        f"def {name}(r, refs=_E):",
        "    try:",
        *body,
        f"        return {literal}",
        "    except Exception:",
        "        _fail(r, refs)",
        "        raise",
    ]
    gen.lines = lines
    return gen.load("mapping", f"{key}.{name}", name)


def _failure(plans: list[_Plan], system: str) -> Callable[[Mapping[str, Any], Refs], None]:
    def fail(record: Mapping[str, Any], refs: Refs) -> None:
        raise MappingFailure(_diagnose(plans, record, refs, system)) from None

    return fail


def _run_plan(plan: _Plan, record: Mapping[str, Any], refs: Refs, system: str) -> Any:
    """The slow twin of the generated code for one field, used to name what failed."""
    value = plan.constant if plan.has_constant else (path_getter(plan.read)(record) if plan.read else None)
    for step in plan.steps:
        if step.source:
            value = step.call(record)
        elif value is not None or step.handles_none:
            value = step.call(value, record) if step.takes_record else step.call(value)
    if plan.ref is not None and value is not None:
        value = _ref_lookup(refs.get(plan.ref, _EMPTY), value, plan.ref, plan.label, system)
    return value


def _diagnose(plans: list[_Plan], record: Mapping[str, Any], refs: Refs, system: str) -> list[FieldProblem]:
    return _field_by_field(plans, record, refs, system, {})[1]


def _field_by_field(
    plans: list[_Plan], record: Mapping[str, Any], refs: Refs, system: str, given: Mapping[str, Any]
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """The record mapped one field at a time (`given` canonical values standing in for what their
    fields would map to): the nested canonical record, and every reason a field failed."""
    out: dict[str, Any] = {}
    problems = []
    for plan in plans:
        try:
            value = given[plan.write] if plan.write in given else _run_plan(plan, record, refs, system)
            _place(out, plan.write, value)
        except UnresolvedReference as exc:
            problems.append(FieldProblem(exc.field, exc.code, exc.message, (exc.entity, exc.value)))
        except MappingError as exc:
            problems.append(FieldProblem(exc.field, exc.code, exc.message))
        except (TransformError, AttributeError, TypeError, ValueError) as exc:
            problems.append(FieldProblem(plan.label, "transform", str(exc)))
    for path, value in given.items():
        if not any(plan.write == path for plan in plans):
            _place(out, path, value)
    if not given:
        problems = problems or [FieldProblem("(record)", "mapping", "the record could not be mapped")]
    return out, problems


def _place(out: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = out
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


def make_digest(
    paths: Iterable[str],
    containers: frozenset[str] = frozenset(),
    built: Sequence[_Plan] = (),
    system: str = "",
    key: str = "",
) -> tuple[Callable[[Record], str], GeneratedCode]:
    """A generated function hashing the values at `paths` of a canonical record (stable order), and
    the system values of the `built` fields (each made from several canonical ones) as they are
    written. A built field that cannot be computed hashes as None: the record's own mapping reports
    that failure, with its causes. Returns the function and its generated source (`key` names it)."""
    gen = _Codegen()
    gen.namespace["_h"], gen.about["_h"] = hashlib.blake2b, "hashlib.blake2b"
    gen.namespace["_j"] = lambda v: json.dumps(v, sort_keys=True, default=str)
    gen.about["_j"] = "json.dumps(value, sort_keys=True), for lists and objects"
    items = []
    for path in sorted(set(paths)):
        expression = gen.read_expression(path, "c")
        items.append(f"_j({expression})" if path in containers else expression)
    for index, plan in enumerate(built):
        _emit_field(gen, plan, index, "c", system)
    fields = gen.lines
    items += [f"o{index}" for index in range(len(built))]
    body = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    gen.lines = ["def digest(c, refs=_E):"]
    if fields:
        gen.lines += ["    try:", *(f"    {line}" for line in fields), "    except Exception:"]
        gen.lines += [f"        o{index} = None" for index in range(len(built))]
    gen.lines.append(f"    return _h(repr({body}).encode(), digest_size=16).hexdigest()")
    return gen.load("digest", key or "canonical fields", "digest")


class GeneratedMapping(NamedTuple):
    """The generated source of a compiled mapping's functions (`hub validate --show-generated`)."""

    to_canonical: GeneratedCode
    to_system: GeneratedCode
    digest: GeneratedCode


class CompiledMapping:
    """A mapping ready for the per-record path, in both directions.

    `to_canonical(record, refs)` maps a system record to its canonical form (without hub_id);
    `to_system(canonical, refs)` maps a canonical record to the system's field values. Both are the
    generated functions themselves (no wrapper per record) and raise MappingFailure on bad data.
    """

    to_canonical: Callable[..., Record]
    to_system: Callable[..., Record]

    def __init__(self, spec: MappingSpec, project: Project, owned: frozenset[str] | None = None) -> None:
        self.spec = spec
        problems: list[Problem] = nesting_problems(spec)
        self._in = _plans(spec, True, None, problems)
        self._out = _plans(spec, False, owned, problems)
        if problems:
            raise MappingCompileError(problems)
        schema = project.entity_schema(spec.entity) or {}
        paths = canonical_paths(schema, project.registry)
        self.containers = frozenset(p for p, s in paths.items() if is_container(s))
        self.to_canonical, inbound = _generate(
            self._in, nested_output=True, extra={}, system=spec.system, name="to_canonical", key=spec.key
        )
        self.to_system, outbound = _generate(
            self._out,
            nested_output=False,
            extra=written_filter(spec.filter),
            system=spec.system,
            name="to_system",
            key=spec.key,
        )
        self.written_paths = sorted({p for plan in self._out for p in plan.reads_paths})
        # A system field built from several canonical ones (Zendesk's or Odoo's one `name` from first
        # and last name) is hashed as written: "Ruben van Leeuwen" read back splits differently, but
        # writes the same name again, so the echo check of a bidirectional pair must see one value.
        built = [plan for plan in self._out if plan.steps and plan.steps[0].source and plan.ref is None]
        plain = {p for plan in self._out if plan not in built for p in plan.reads_paths}
        self.digest, digest = make_digest(sorted(plain), self.containers, built, spec.system, spec.key)
        self.generated = GeneratedMapping(inbound, outbound, digest)

    def to_canonical_given(self, record: Mapping[str, Any], refs: Refs, given: Mapping[str, Any]) -> Record:
        """The canonical record with the `given` canonical values (ops' overrides, by dotted path) in
        place of what their fields map to, so a field whose mapping fails does not fail the record when
        it is given; MappingFailure names any other field that fails."""
        out, problems = _field_by_field(self._in, record, refs, self.spec.system, given)
        if problems:
            raise MappingFailure(problems)
        return out

    def inputs_of(self, canonical: str) -> list[str]:
        """The system paths the canonical field `canonical` (or any field inside it) is mapped from."""
        found: set[str] = set()
        for plan in self._in:
            if plan.write == canonical or plan.write.startswith(f"{canonical}."):
                found.update([plan.read] if plan.read else [])
                found.update(plan.reads_paths)
        return sorted(found)

    def object_spec(self, batch_size: int | None = None) -> ObjectSpec:
        """The connector's view of the mapping's object (with a sync's batch size, when it sets one)."""
        spec = self.spec
        options = {**spec.options, "batch_size": batch_size} if batch_size else spec.options
        return ObjectSpec(
            name=spec.object,
            fields=tuple(self.read_fields),
            primary_key=spec.primary_key,
            cursor_field=spec.cursor_field,
            external_id_field=spec.external_id_field,
            filter=spec.filter,
            options=options,
        )

    @property
    def read_fields(self) -> list[str]:
        """System fields to fetch: everything inbound reads, plus keys, cursor and external id."""
        spec = self.spec
        wanted = [spec.primary_key, spec.cursor_field, spec.external_id_field, *spec.filter]
        wanted += [p for plan in self._in for p in plan.reads_paths]
        return list(dict.fromkeys(w for w in wanted if w))

    def inbound_refs(self) -> list[tuple[str, str]]:
        """(system path, entity) of every reference read inbound."""
        return [(p.read, p.ref) for p in self._in if p.ref and p.read]

    def outbound_refs(self) -> list[tuple[str, str]]:
        """(canonical path, entity) of every reference written outbound."""
        return [(p.read, p.ref) for p in self._out if p.ref and p.read]

    def system_field_of(self, canonical: str) -> str | None:
        """The system field an outbound field fills straight from `canonical`, if any."""
        for plan in self._out:
            if plan.read == canonical:
                return plan.write
        return None


def referenced_values(
    records: Iterable[Mapping[str, Any]], refs: list[tuple[str, str]]
) -> dict[str, set[str]]:
    """Per entity, the distinct reference values found at the given paths of `records`."""
    found: dict[str, set[str]] = {}
    getters = [(path_getter(path), entity) for path, entity in refs]
    for record in records:
        for get, entity in getters:
            value = get(record)
            if value is not None and value is not False:
                found.setdefault(entity, set()).add(value if isinstance(value, str) else str(value))
    return found
