"""A project: canonical schemas, mappings and syncs, loaded from their folders with positions.

`Project.load(root)` never raises for a user's mistake: it collects `Problem`s (path:line:column)
and keeps whatever loaded cleanly, so one broken sync file does not hide the others. Semantic
checks across files (references, transforms, fields) live in `hub.project.checks`.

A file is refused whole, with one problem, when it cannot be read as a project file (`yamldoc` bounds
its size, encoding, nesting, aliases and tags), when a mapping's file name is not one a sync can write
in `mapping:`, or when a `.yaml` and a `.yml` file define the same thing (a sync's name, the id of its
Airflow DAGs, is checked with the sync: `hub.project.checks.syncs`). A schema is refused when it
cannot be used: not a valid JSON Schema, a `pattern` that is not a regular expression, a `$ref` to
nothing or back to itself, or a `$ref` into a schema refused for any of these reasons
(`validation.schema_flaws`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema_specifications import REGISTRY as SPECIFICATIONS  # type: ignore[import-untyped]
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from hub.errors import ConfigError, Problem
from hub.identity.settings import SCHEMA_KEY, IdentitySettings, read_settings, settings_problems
from hub.project.extensions import extended, extension_problems
from hub.project.formats import format_checker
from hub.project.hints import suggest
from hub.project.projectfile import PROJECT_FILE, ProjectFile, Selection, read_project_file
from hub.project.validation import CanonicalValidator, schema_flaws
from hub.project.yamldoc import Document, PathItem, load_document, plain, yaml_files

Layer = Literal["library", "project"]
SyncMode = Literal["insert", "update", "upsert", "mirror"]
Policy = Literal["source_wins", "target_wins", "newest_wins", "owners"]
Direction = Literal["both", "inbound", "outbound"]
META_SCHEMAS = ("mapping.schema.json", "sync.schema.json", "recon_report.schema.json")
SCHEMA_BASE = "https://omnihub.dev/schemas/"
MAPPING_NAME = re.compile(r"[a-z0-9_]+")
"""A mapping's file name, as a sync's `mapping: <system>/<name>` may name it (sync.schema.json)."""


@dataclass(frozen=True)
class Origin:
    """Where a schema, mapping or sync is defined: the library's file or the project's, and the
    library file a project file replaces."""

    layer: Layer
    path: str
    line: int = 1
    replaces: str | None = None

    def __str__(self) -> str:
        told = f"{self.layer} {self.path}:{self.line}"
        return f"{told} (replaces the library's {self.replaces})" if self.replaces else told


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

    @property
    def instance(self) -> str:
        """The system instance the hub keeps state under (cursors, cross-references, quarantine): the
        system for its default connection (`salesforce`), `system@connection` for any other, so two
        Salesforce orgs, or two databases, never share ids."""
        return instance_of(self.system, self.connection)


def instance_of(system: str, connection: str) -> str:
    """`system` for `<system>_default`, else `system@connection` (Endpoint.instance)."""
    return system if connection == f"{system}_default" else f"{system}@{connection}"


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
    identity: bool = False  # link first-met records to the hub record their identity keys name
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
        self.sync_files: dict[str, str] = {}  # every sync file found, valid or not: name -> shown path
        self.mapping_files: dict[str, str] = {}  # every mapping file found, valid or not: key -> shown path
        self.registry: Registry[Any] = Registry()  # the schemas by $id, for their $refs between files
        self.schema_files: dict[str, str] = {}  # schema file name -> shown path (library's or project's)
        self.extensions: dict[str, Document] = {}  # entity -> the project's extension of its schema
        self.extension_files: dict[str, str] = {}  # entity -> its extension's shown path, usable or not
        self.settings: ProjectFile | None = None  # omnihub.yaml, when the project has one
        self.library: Path | None = None  # the library's root, when the project uses it
        self.origins: dict[tuple[str, str], Origin] = {}  # (kind, name) -> where its definition is
        self._validators: dict[str, CanonicalValidator] = {}

    @classmethod
    def load(cls, root: str | Path = ".") -> Project:
        """Load every schema, mapping and sync under `root`, over the library's when the project has an
        omnihub.yaml; problems are kept, not raised."""
        project = cls(Path(root).resolve())
        project._load_settings()
        project._load_systems()
        project._load_schemas()
        project._load_mappings()
        project._load_syncs()
        project._leave_unused()
        return project

    # The project file and the library ----------------------------------------------------------
    def _load_settings(self) -> None:
        from hub import library

        path = self.root / PROJECT_FILE
        if not path.exists():
            return  # a project of its own, as Omnihub's source tree is: no library under it
        doc = self._read(path)
        if doc is None:
            return
        self.settings, problems = read_project_file(doc, library.version())
        self.problems += problems
        try:
            shipped = library.root()
        except ConfigError as exc:
            self.problems.append(Problem(doc.path, 1, 1, str(exc)))
            return
        if shipped != self.root:
            self.library = shipped

    def _layers(self, *parts: str) -> list[tuple[Layer, Path]]:
        """The folders a kind of file is read from, the library's first (the project's win)."""
        layers: list[tuple[Layer, Path]] = []
        if self.library is not None:
            layers.append(("library", self.library.joinpath(*parts)))
        layers.append(("project", self.root.joinpath(*parts)))
        return layers

    def origin(self, kind: str, name: str) -> Origin | None:
        """Where the effective definition of a schema, mapping or sync (`kind`) came from."""
        return self.origins.get((kind, name))

    def _leave_unused(self) -> None:
        """Drop the library's mappings and syncs that the project does not use (omnihub.yaml's
        `library:`; a used sync brings its mappings and the syncs it references), with any problem
        found in them: a project answers only for what it runs."""
        if self.library is None:
            return
        settings = self.settings
        chosen = settings.syncs if settings is not None else Selection()
        mappings = settings.mappings if settings is not None else Selection()
        if settings is not None:
            self._unknown_names(settings.doc, chosen, "syncs", self.sync_files)
            self._unknown_names(settings.doc, mappings, "mappings", self.mapping_files)
        used_syncs = {n for n in self.sync_files if self._layer("sync", n) == "project" or n in chosen}
        queue = list(used_syncs)
        while queue:
            spec = self.syncs.get(queue.pop())
            for other in spec.references.values() if spec else ():
                if other not in used_syncs and other in self.sync_files:
                    used_syncs.add(other)
                    queue.append(other)
        used_mappings = {
            k for k in self.mapping_files if self._layer("mapping", k) == "project" or k in mappings
        }
        for name in used_syncs:
            if (spec := self.syncs.get(name)) is not None:
                used_mappings |= {spec.source.mapping, spec.target.mapping}
        dropped = set()
        for name in [n for n in self.sync_files if n not in used_syncs]:
            dropped.add(self.sync_files.pop(name))
            self.syncs.pop(name, None)
            self.sync_docs.pop(name, None)
            self.origins.pop(("sync", name), None)
        for key in [k for k in self.mapping_files if k not in used_mappings]:
            dropped.add(self.mapping_files.pop(key))
            self.mappings.pop(key, None)
            self.mapping_docs.pop(key, None)
            self.origins.pop(("mapping", key), None)
        self.problems = [p for p in self.problems if p.path not in dropped]

    def _unknown_names(self, doc: Document, chosen: Selection, what: str, found: dict[str, str]) -> None:
        library = [n for n in found if self._layer(what[:-1], n) == "library"]
        for name in chosen.names:
            if name not in found:
                where = chosen.where.get(name, ("library", what))
                hint = suggest(name, library)
                self.problems.append(
                    doc.problem(
                        list(where), f"the library has no {what[:-1]} {name!r}{hint}; `hub {what}` lists them"
                    )
                )

    def _layer(self, kind: str, name: str) -> Layer | None:
        origin = self.origins.get((kind, name))
        return origin.layer if origin else None

    def _override(self, kind: str, name: str, layer: Layer, shown: str, files: dict[str, str]) -> None:
        """Record where `name`'s definition is; a project file replacing the library's forgets the
        library's (it is no twin of it)."""
        before = self.origins.get((kind, name))
        if before is None:
            self.origins[(kind, name)] = Origin(layer, shown, 1)
        elif before.layer == "library" and layer == "project":
            files.pop(name, None)
            self.origins[(kind, name)] = Origin(layer, shown, 1, before.path)

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

    def _read(self, path: Path, shown: str | None = None) -> Document | None:
        try:
            return load_document(path, shown or self.display(path))
        except ConfigError as exc:
            self.problems.extend(exc.problems)
            return None

    # Schemas ---------------------------------------------------------------------------------
    def _load_schemas(self) -> None:
        folder = self.root / "schemas"
        if self.library is None and not folder.is_dir():
            self.problems.append(Problem(self.display(folder), 1, 1, "no schemas/ folder in the project"))
            return
        files: dict[str, tuple[Layer, Path]] = {}
        for layer, where in self._layers("schemas"):
            if where.is_dir():
                for path in sorted(p for p in where.glob("*.json") if not p.name.startswith(".")):
                    files[path.name] = (layer, path)  # the project's replaces the library's
        canonical: dict[str, Document] = {}
        for name, (layer, path) in files.items():
            shown = self.display(path)
            self.schema_files[name] = shown
            replaced = self.library / "schemas" / name if self.library and layer == "project" else None
            self.origins[("schema", name.removesuffix(".schema.json"))] = Origin(
                layer, shown, 1, self.display(replaced) if replaced and replaced.is_file() else None
            )
            doc = self._read(path)
            if doc is None:
                continue
            if not isinstance(doc.data, dict):
                self.problems.append(doc.problem([], "a schema file holds a JSON object"))
            elif path.name in META_SCHEMAS:  # alone, with the drafts' own, as jsonschema applies it
                meta = {path.name: doc}
                self._refuse_flawed(meta, SPECIFICATIONS)
                self.meta_schemas.update((name, doc.data) for name, doc in meta.items())
            elif self._schema_is_sound(doc, path):
                canonical[path.name.removesuffix(".schema.json")] = doc
        if self.library is not None:
            self._extend(canonical, folder)
        self.registry = self._refuse_flawed(canonical, Registry())  # the compiled validator's references
        self.schemas = {name: doc.data for name, doc in canonical.items()}
        self.schema_docs = canonical

    def _extend(self, canonical: dict[str, Document], folder: Path) -> None:
        """Apply the project's extensions (`schemas/<entity>.yaml`: fields added to an entity, and
        which of them are required) to copies of the entities' schemas."""
        for path in yaml_files(folder):
            doc = self._read(path)
            if doc is None:
                continue
            entity = path.stem
            self.extension_files[entity] = doc.path
            base = canonical.get(entity)
            if base is None:
                known = ", ".join(sorted(n for n in canonical if n != "common"))
                self.problems.append(
                    doc.problem(
                        [],
                        f"extends entity {entity!r}, which is not a canonical entity (known: {known}); "
                        "name the file after the entity it extends",
                    )
                )
                continue
            problems = extension_problems(doc, base.data, self.schema_files.get(f"{entity}.schema.json", ""))
            self.problems += problems
            if problems:
                continue
            self.extensions[entity] = doc
            canonical[entity] = Document(base.path, extended(base.data, doc.data), base.text)

    def _schema_is_sound(self, doc: Document, path: Path) -> bool:
        data = doc.data
        problems = [
            doc.problem(list(e.absolute_path), f"not a valid JSON Schema: {e.message}")
            for e in Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(data)
        ]
        expected = SCHEMA_BASE + path.name
        if not problems and path.name != "common.schema.json" and data.get("$id") != expected:
            problems.append(doc.problem(["$id"], f"$id must be {expected!r} (it names this file)"))
        if not problems and SCHEMA_KEY in data:
            problems += settings_problems(doc, [SCHEMA_KEY], data[SCHEMA_KEY], data.get("properties") or {})
        self.problems.extend(problems)
        return not problems

    def _refuse_flawed(self, docs: dict[str, Document], registry: Registry[Any]) -> Registry[Any]:
        """Refuse (drop from `docs`, with their problems) the schemas `schema_flaws` finds flaws in, until
        the others refer only to each other and to `registry`; returns `registry` with those left."""
        refused: dict[str, str] = {}  # $id -> file, of schemas dropped
        while True:
            found = registry.with_resources(
                (doc.data["$id"], DRAFT202012.create_resource(doc.data))
                for doc in docs.values()
                if "$id" in doc.data
            )
            flawed = {name: schema_flaws(doc.data, found, refused) for name, doc in docs.items()}
            flawed = {name: flaws for name, flaws in flawed.items() if flaws}
            if not flawed:
                return found
            for name, flaws in flawed.items():
                doc = docs.pop(name)
                self.problems += [doc.problem(list(f.where), f.message, key=f.key) for f in flaws]
                refused[str(doc.data.get("$id", doc.path))] = doc.path

    def entity_schema(self, entity: str) -> dict[str, Any] | None:
        """The canonical schema of an entity (None for unknown entities and common defs)."""
        return None if entity == "common" else self.schemas.get(entity)

    def identity_settings(self, entity: str) -> IdentitySettings | None:
        """How an entity's records are resolved into identities: its schema's `x-identity`, or its
        extension's `identity:` (None: the entity has no identity rules)."""
        schema = self.entity_schema(entity) or {}
        return read_settings(schema[SCHEMA_KEY]) if SCHEMA_KEY in schema else None

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
            if meta not in self.schema_files:  # else refused, with its own problems
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
        for layer, folder in self._layers("mappings"):
            for path in yaml_files(folder, "*/*"):
                if path.parent.name != "syncs":
                    self._load_mapping(layer, path)

    def _load_mapping(self, layer: Layer, path: Path) -> None:
        key = f"{path.parent.name}/{path.stem}"
        self._override("mapping", key, layer, self.display(path), self.mapping_files)
        doc = self._claim(path, f"mapping {key!r}", key, self.mapping_files, _mapping_name_problem(path))
        self.mappings.pop(key, None)  # the twin's too: which of the two is meant, nobody knows
        self.mapping_docs[key] = doc or Document(self.mapping_files[key], None)  # found, not usable
        if doc is not None and self._conforms(doc, "mapping.schema.json"):
            self.mappings[key] = _mapping_spec(key, doc)

    def _load_syncs(self) -> None:
        folders = [*self._layers("mappings", "syncs")]
        if self.settings is not None:  # a project of its own keeps its syncs in syncs/ as well
            folders.append(("project", self.root / "syncs"))
        for layer, folder in folders:
            for path in yaml_files(folder):
                self._load_sync(layer, path)

    def _load_sync(self, layer: Layer, path: Path) -> None:
        name = path.stem
        self._override("sync", name, layer, self.display(path), self.sync_files)
        doc = self._claim(path, f"sync {name!r}", name, self.sync_files)  # its name: checks.syncs
        self.syncs.pop(name, None)  # the twin's too: which of the two is meant, nobody knows
        self.sync_docs.pop(name, None)
        if doc is None:
            return
        self.sync_docs[name] = doc
        if self._conforms(doc, "sync.schema.json"):
            spec = _sync_spec(name, doc, self.problems)
            if spec is not None:
                self.syncs[name] = spec

    def _claim(
        self, path: Path, what: str, name: str, files: dict[str, str], naming: str | None = None
    ) -> Document | None:
        """The document of a mapping or sync file (`what`), recorded in `files` under its name; None
        (and one problem) when its name cannot be used (`naming`), when a `.yaml` twin already has the
        name, or when it cannot be read."""
        shown, twin = self.display(path), files.get(name)
        files[name] = shown
        if twin is not None:
            naming = f"{what} is also written in {twin} (.yaml and .yml name it alike); keep one of the two"
        if naming is not None:
            self.problems.append(Problem(shown, 1, 1, naming))
            return None
        return self._read(path, shown)

    def sync(self, name: str) -> SyncSpec:
        """A sync by name, or ConfigError: its problems when its file is not valid, else the known names."""
        if name not in self.syncs:
            if name in self.sync_files:
                raise ConfigError(self.problems_for_sync(name) or f"sync {name!r} is not valid")
            known = ", ".join(sorted(self.sync_files)) or "none"
            raise ConfigError(f"no sync named {name!r} in mappings/syncs/ (known: {known})")
        return self.syncs[name]

    @cached_property
    def checked(self) -> list[Problem]:
        """Every problem of the project: loading's and every check's (`hub validate`), computed once."""
        from hub.project.checks import check_project

        return check_project(self)

    def problems_for_sync(self, name: str) -> list[Problem]:
        """The gate every run passes (`hub validate`'s checks, kept to what this sync depends on).

        A sync is stopped by a problem in its own file, in its two mappings, in the schemas of the
        entities they carry or refer to (and the shared and meta schemas), in the systems the project
        describes for it, and in any sync its `references` would run first. Problems elsewhere do not
        stop it: one broken file costs only the syncs that use it."""
        files = self._files_of(name, set())
        return [p for p in self.checked if p.path in files]

    def _files_of(self, name: str, seen: set[str]) -> set[str]:
        seen.add(name)
        files = {self.sync_files.get(name, f"mappings/syncs/{name}.yaml")}
        files |= {
            self.schema_files.get(meta, f"schemas/{meta}") for meta in (*META_SCHEMAS, "common.schema.json")
        }
        spec = self.syncs.get(name)
        if spec is None:
            return files
        entities = {spec.entity, *spec.references, *spec.reference_match}
        for endpoint in (spec.source, spec.target):
            files.add(self.mapping_files.get(endpoint.mapping, f"mappings/{endpoint.mapping}.yaml"))
            mapping = self.mappings.get(endpoint.mapping)
            entities |= {f.ref for f in mapping.fields if f.ref} if mapping else set()
            if endpoint.system in self._described:
                files.add(self._described[endpoint.system])
        files |= {self.schema_files.get(f"{e}.schema.json", f"schemas/{e}.schema.json") for e in entities}
        files |= {self.extension_files[e] for e in entities if e in self.extension_files}
        for other in spec.references.values():
            if other not in seen:
                files |= self._files_of(other, seen)
        return files

    @cached_property
    def _described(self) -> dict[str, str]:
        """Systems the project describes in YAML, with their files as problems show them."""
        from connectors.registry import DESCRIBED

        return {system: self.display(path) for system, path in DESCRIBED.items()}


def _mapping_name_problem(path: Path) -> str | None:
    name = path.stem
    if MAPPING_NAME.fullmatch(name):
        return None
    better = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "my_mapping"
    return (
        f"{name!r} cannot be a mapping name, which a sync writes as {path.parent.name}/<name>: use "
        f"lowercase letters, digits and '_'; rename the file {better}{path.suffix}"
    )


def _meta_problem(doc: Document, error: ValidationError) -> Problem:
    where = list(error.absolute_path)
    schema: Any = error.schema
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            options = ", ".join(sorted(allowed))
            close = difflib.get_close_matches(extra[0], allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return doc.problem(
                [*where, extra[0]], f"unknown key {extra[0]!r}{hint}; expected one of: {options}", key=True
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
        identity=bool(data.get("identity", False)),
        filter_exit=plain(data.get("filter_exit") or {}),
        schedule=data.get("schedule"),
        overlap=overlap,
        batch_size=data.get("batch_size"),
        page_size=data.get("page_size"),
        airflow=plain(data.get("airflow") or {}),
        reconcile=plain(data.get("reconcile")),
        description=str(data.get("description", "")),
    )
