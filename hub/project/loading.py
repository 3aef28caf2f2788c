"""A project: canonical schemas, mappings and syncs, loaded from their folders with positions.

`Project.load(root)` never raises for a user's mistake: it collects `Problem`s (path:line:column)
and keeps whatever loaded cleanly, so one broken sync file does not hide the others. Semantic
checks across files (references, transforms, fields) live in `hub.project.checks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from hub.errors import ConfigError, Problem
from hub.project.formats import format_checker
from hub.project.validation import CanonicalValidator
from hub.project.yamldoc import Document, PathItem, load_document, plain

SyncMode = Literal["insert", "update", "upsert", "mirror"]
Policy = Literal["source_wins", "target_wins", "newest_wins", "owners"]
Direction = Literal["both", "inbound", "outbound"]
META_SCHEMAS = ("mapping.schema.json", "sync.schema.json", "recon_report.schema.json")
SCHEMA_BASE = "https://omnihub.dev/schemas/"


@dataclass(frozen=True)
class TransformCall:
    """One transform entry of a field: its name, its arguments and where it is written."""

    name: str
    args: Any
    where: tuple[PathItem, ...]


@dataclass(frozen=True)
class FieldSpec:
    """One entry of a mapping's `fields` list."""

    index: int
    canonical: str | None
    system: str | None
    direction: Direction
    inbound: tuple[TransformCall, ...]
    outbound: tuple[TransformCall, ...]
    ref: str | None = None
    value: Any = None
    has_value: bool = False

    @property
    def reads(self) -> bool:
        """Whether this field fills a canonical field from the system (inbound)."""
        return self.direction in ("both", "inbound") and self.canonical is not None

    @property
    def writes(self) -> bool:
        """Whether this field fills a system field from the canonical record (outbound)."""
        return self.direction in ("both", "outbound") and self.system is not None


@dataclass
class MappingSpec:
    """mappings/<system>/<entity>.yaml: one system object to and from one canonical entity."""

    key: str
    system: str
    object: str
    entity: str
    primary_key: str
    fields: list[FieldSpec]
    doc: Document
    cursor_field: str | None = None
    external_id_field: str | None = None
    filter: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Endpoint:
    """One side of a sync: system, connection id and mapping key."""

    system: str
    connection: str
    mapping: str


@dataclass(frozen=True)
class ConflictPolicy:
    """How a sync settles a record changed on both sides since the hub last wrote it."""

    policy: Policy = "source_wins"
    owners: dict[str, str] = field(default_factory=dict)
    default_owner: str = "source"

    def owner(self, canonical_field: str) -> str:
        """Which side owns a canonical field (its top-level name decides)."""
        return self.owners.get(
            canonical_field, self.owners.get(canonical_field.split(".")[0], self.default_owner)
        )


@dataclass
class SyncSpec:
    """mappings/syncs/<name>.yaml."""

    name: str
    entity: str
    source: Endpoint
    target: Endpoint
    doc: Document
    mode: SyncMode = "upsert"
    match: list[list[str]] | None = None
    conflict: ConflictPolicy = field(default_factory=ConflictPolicy)
    references: dict[str, str] = field(default_factory=dict)
    reference_match: dict[str, list[str]] = field(default_factory=dict)
    filter_exit: dict[str, Any] = field(default_factory=dict)
    schedule: str | None = None
    overlap: timedelta = timedelta(minutes=2)
    batch_size: int | None = None
    page_size: int | None = None
    airflow: dict[str, Any] = field(default_factory=dict)
    reconcile: dict[str, Any] | None = None
    description: str = ""


class Project:
    """Everything under a project root, loaded and located."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.schemas: dict[str, dict[str, Any]] = {}
        self.schema_docs: dict[str, Document] = {}
        self.meta_schemas: dict[str, dict[str, Any]] = {}
        self.mappings: dict[str, MappingSpec] = {}
        self.mapping_docs: dict[str, Document] = {}
        self.syncs: dict[str, SyncSpec] = {}
        self.sync_docs: dict[str, Document] = {}
        self._validators: dict[str, CanonicalValidator] = {}

    @classmethod
    def load(cls, root: str | Path = ".") -> Project:
        """Load every schema, mapping and sync under `root`; problems are kept, not raised."""
        project = cls(Path(root).resolve())
        project._load_systems()
        project._load_schemas()
        project._load_mappings()
        project._load_syncs()
        return project

    def mappings_of(self, system: str, entity: str) -> list[MappingSpec]:
        """The mappings of one entity in one system (in that system's folder)."""
        return [
            m
            for m in self.mappings.values()
            if (m.system, m.entity) == (system, entity) and m.key.startswith(f"{system}/")
        ]

    def display(self, path: Path) -> str:
        """A path as problems show it: relative to the project root when inside it."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    def _read(self, path: Path) -> Document | None:
        try:
            return load_document(path, self.display(path))
        except ConfigError as exc:
            self.problems.extend(exc.problems)
            return None

    # Schemas ---------------------------------------------------------------------------------
    def _load_schemas(self) -> None:
        folder = self.root / "schemas"
        if not folder.is_dir():
            self.problems.append(Problem(self.display(folder), 1, 1, "no schemas/ folder in the project"))
            return
        for path in sorted(folder.glob("*.json")):
            doc = self._read(path)
            if doc is None:
                continue
            data = doc.data
            if path.name in META_SCHEMAS:
                self.meta_schemas[path.name] = data
            elif self._schema_is_sound(doc, data, path):
                self.schemas[path.name.removesuffix(".schema.json")] = data
                self.schema_docs[path.name.removesuffix(".schema.json")] = doc

    def _schema_is_sound(self, doc: Document, data: Any, path: Path) -> bool:
        problems = [
            doc.problem(list(e.absolute_path), f"not a valid JSON Schema: {e.message}")
            for e in Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(data)
        ]
        if not problems and isinstance(data, dict):
            expected = SCHEMA_BASE + path.name
            if path.name != "common.schema.json" and data.get("$id") != expected:
                problems.append(doc.problem(["$id"], f"$id must be {expected!r} (it names this file)"))
        self.problems.extend(problems)
        return not problems

    @cached_property
    def registry(self) -> Registry[Any]:
        """All schemas by $id, for resolving references between schema files."""
        resources = [(s["$id"], DRAFT202012.create_resource(s)) for s in self.schemas.values() if "$id" in s]
        return Registry().with_resources(resources)

    def entity_schema(self, entity: str) -> dict[str, Any] | None:
        """The canonical schema of an entity (None for unknown entities and common defs)."""
        return None if entity == "common" else self.schemas.get(entity)

    def entities(self) -> list[str]:
        return sorted(name for name in self.schemas if name != "common")

    def validator(self, entity: str) -> CanonicalValidator:
        """The (cached) validator of an entity's canonical records."""
        if entity not in self._validators:
            schema = self.entity_schema(entity)
            if schema is None:
                raise ConfigError(f"no canonical schema for entity {entity!r}")
            self._validators[entity] = CanonicalValidator(schema, self.registry)
        return self._validators[entity]

    # Mappings and syncs ------------------------------------------------------------------
    def _conforms(self, doc: Document, meta: str) -> bool:
        schema = self.meta_schemas.get(meta)
        if schema is None:
            self.problems.append(Problem(f"schemas/{meta}", 1, 1, "meta-schema missing"))
            return False
        validator = Draft202012Validator(schema, format_checker=format_checker())
        errors = sorted(validator.iter_errors(doc.data), key=lambda e: doc.position(list(e.absolute_path)))
        self.problems.extend(_meta_problem(doc, e) for e in errors)
        return not errors

    def systems(self) -> list[str]:
        """Every system a mapping may name: the shipped ones and those the project describes."""
        from connectors.registry import systems

        return systems()

    def _load_systems(self) -> None:
        """Systems the project describes in YAML (`systems/*.yaml`, the declarative REST connector)."""
        from connectors.registry import describe_systems

        self.problems.extend(describe_systems(self.root / "systems", self.root))  # none: no folder

    def _load_mappings(self) -> None:
        base = self.root / "mappings"
        for path in sorted(base.glob("*/*.yaml")) if base.is_dir() else []:
            if path.parent.name == "syncs":
                continue
            key = f"{path.parent.name}/{path.stem}"
            doc = self._read(path)
            if doc is None:
                continue
            self.mapping_docs[key] = doc
            if self._conforms(doc, "mapping.schema.json"):
                self.mappings[key] = _mapping_spec(key, doc)

    def _load_syncs(self) -> None:
        folder = self.root / "mappings" / "syncs"
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            doc = self._read(path)
            if doc is None:
                continue
            self.sync_docs[path.stem] = doc
            if self._conforms(doc, "sync.schema.json"):
                spec = _sync_spec(path.stem, doc, self.problems)
                if spec is not None:
                    self.syncs[path.stem] = spec

    def sync(self, name: str) -> SyncSpec:
        """A sync by name, or ConfigError listing the known names."""
        if name not in self.syncs:
            if name in self.sync_docs:
                raise ConfigError(self.problems_for_sync(name) or f"sync {name!r} is not valid")
            known = ", ".join(sorted(self.syncs)) or "none"
            raise ConfigError(f"no sync named {name!r} in mappings/syncs/ (known: {known})")
        return self.syncs[name]

    def problems_for_sync(self, name: str) -> list[Problem]:
        """Problems in a sync's file, its two mappings' files and the schema files."""
        files = {f"mappings/syncs/{name}.yaml"}
        spec = self.syncs.get(name)
        if spec is not None:
            files |= {f"mappings/{spec.source.mapping}.yaml", f"mappings/{spec.target.mapping}.yaml"}
        return [p for p in self.problems if p.path in files or p.path.startswith("schemas/")]


def _meta_problem(doc: Document, error: ValidationError) -> Problem:
    where = list(error.absolute_path)
    schema: Any = error.schema
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            options = ", ".join(sorted(allowed))
            return doc.problem(
                [*where, extra[0]], f"unknown key {extra[0]!r}; expected one of: {options}", key=True
            )
    if error.validator == "required":
        return doc.problem(where, f"missing required key: {error.message.split(' is a')[0]}")
    if error.validator in ("enum", "anyOf"):
        return doc.problem(where, f"{error.instance!r} is not allowed here; {_expected(error)}")
    label = ".".join(map(str, where)) or "file"
    return doc.problem(where, f"{label}: {error.message}")


def _expected(error: ValidationError) -> str:
    options: Any = error.validator_value
    if error.validator == "enum":
        return "expected one of: " + ", ".join(map(str, options))
    names: list[str] = []
    for option in options:
        names += [str(v) for v in option.get("enum", [])] or [f"a {option.get('type', 'value')}"]
    return "expected one of: " + ", ".join(names)


def _transform_calls(raw: Any, where: tuple[PathItem, ...]) -> tuple[TransformCall, ...]:
    calls = []
    for index, entry in enumerate(raw or []):
        spot = (*where, index)
        if isinstance(entry, str):
            calls.append(TransformCall(entry, None, spot))
        else:
            name, args = next(iter(entry.items()))
            calls.append(TransformCall(str(name), plain(args), spot))
    return tuple(calls)


def _field_spec(index: int, raw: dict[str, Any]) -> FieldSpec:
    where: tuple[PathItem, ...] = ("fields", index)
    both = _transform_calls(raw.get("transforms"), (*where, "transforms"))
    return FieldSpec(
        index=index,
        canonical=raw.get("canonical"),
        system=raw.get("system"),
        direction=raw.get("direction", "both"),
        inbound=both + _transform_calls(raw.get("inbound"), (*where, "inbound")),
        outbound=both + _transform_calls(raw.get("outbound"), (*where, "outbound")),
        ref=raw.get("ref"),
        value=plain(raw.get("value")),
        has_value="value" in raw,
    )


def _mapping_spec(key: str, doc: Document) -> MappingSpec:
    data = doc.data
    return MappingSpec(
        key=key,
        system=data["system"],
        object=data["object"],
        entity=data["entity"],
        primary_key=data["primary_key"],
        cursor_field=data.get("cursor_field"),
        external_id_field=data.get("external_id_field"),
        filter=plain(data.get("filter") or {}),
        options=plain(data.get("options") or {}),
        doc=doc,
        fields=[_field_spec(i, f) for i, f in enumerate(data["fields"])],
    )


def _conflict(raw: Any) -> ConflictPolicy:
    if isinstance(raw, str):
        return ConflictPolicy(policy=raw)  # type: ignore[arg-type]
    if isinstance(raw, dict):
        return ConflictPolicy("owners", dict(plain(raw["owners"])), raw.get("default", "source"))
    return ConflictPolicy()


def _sync_spec(name: str, doc: Document, problems: list[Problem]) -> SyncSpec | None:
    from hub.project.transforms import TransformArgsError, parse_duration

    data = doc.data
    try:
        overlap = parse_duration(data.get("overlap", "2m"))
    except TransformArgsError as exc:
        problems.append(doc.problem(["overlap"], str(exc)))
        return None
    return SyncSpec(
        name=name,
        entity=data["entity"],
        doc=doc,
        source=Endpoint(**plain(data["source"])),
        target=Endpoint(**plain(data["target"])),
        mode=data.get("mode", "upsert"),
        match=plain(data.get("match")),
        conflict=_conflict(data.get("conflict")),
        references=plain(data.get("references") or {}),
        reference_match=plain(data.get("reference_match") or {}),
        filter_exit=plain(data.get("filter_exit") or {}),
        schedule=data.get("schedule"),
        overlap=overlap,
        batch_size=data.get("batch_size"),
        page_size=data.get("page_size"),
        airflow=plain(data.get("airflow") or {}),
        reconcile=plain(data.get("reconcile")),
        description=str(data.get("description", "")),
    )
