"""Commands that describe the project: validate, connectors, schemas."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from hub.cli.base import (
    JsonOption,
    ProjectOption,
    app,
    guarded,
    load,
    print_json,
)
from hub.cli.console import out, plain_table
from hub.errors import ConfigError
from hub.project.checks import check_project
from hub.project.loading import Project


@app.command()
def validate(
    project: ProjectOption = Path("."),
    as_json: JsonOption = False,
    show_generated: Annotated[
        str | None,
        typer.Option(
            "--show-generated",
            metavar="SYNC",
            help="Also print the Python the sync runs for each record (mappings, validator, digests).",
        ),
    ] = None,
    origins: Annotated[
        bool,
        typer.Option("--origins", help="Also say where each schema, mapping and sync in effect is defined."),
    ] = False,
) -> None:
    """Check every schema, mapping and sync; each problem as path:line:column: message (exit 2)."""

    def body() -> int:
        loaded = load(project)
        problems = check_project(loaded)
        if show_generated is not None and not problems:
            return _show_generated(loaded, show_generated)
        if as_json:
            found = {"ok": not problems, "problems": [p.__dict__ for p in problems]}
            print_json({**found, "origins": _origins(loaded)} if origins else found)
        else:
            for problem in problems:
                out.print(str(problem), markup=False, highlight=False)
            if origins:
                for row in _origins(loaded):
                    told = f"{row['kind']:<8} {row['name']:<34} {row['layer']:<8} {row['path']}:{row['line']}"
                    told += f" (replaces {row['replaces']})" if row["replaces"] else ""
                    out.print(told, markup=False, highlight=False)
            if not problems:
                out.print(_ok_line(loaded), markup=False, highlight=False)
        return 2 if problems else 0

    guarded(body)


def _ok_line(loaded: Project) -> str:
    """`ok: 12 schemas, 27 mappings, 2 syncs`, and how many of each are the project's own when it
    stands on the library."""
    counts = {"schema": len(loaded.entities()), "mapping": len(loaded.mappings), "sync": len(loaded.syncs)}
    line = "ok: {} schemas, {} mappings, {} syncs".format(*counts.values())
    if loaded.library is None:
        return line
    own = {
        kind: sum(1 for (k, _), o in loaded.origins.items() if k == kind and o.layer == "project")
        for kind in counts
    }
    extended = len(loaded.extensions)
    return (
        f"{line} ({own['schema']} schemas, {extended} extensions, {own['mapping']} mappings and "
        f"{own['sync']} syncs of the project's; the rest from the library at {loaded.library}; "
        "--origins says which)"
    )


def _origins(loaded: Project) -> list[dict[str, object]]:
    """Where each schema, extension, mapping and sync in effect is defined."""
    rows: list[dict[str, object]] = []
    names = {
        "schema": loaded.entities(),
        "mapping": sorted(loaded.mapping_files),
        "sync": sorted(loaded.sync_files),
    }
    for kind, keys in names.items():
        for name in keys:
            origin = loaded.origin(kind, name)
            if origin is not None:
                rows.append(
                    {
                        "kind": kind,
                        "name": name,
                        "layer": origin.layer,
                        "path": origin.path,
                        "line": origin.line,
                        "replaces": origin.replaces,
                    }
                )
            if kind == "schema" and name in loaded.extension_files:
                rows.append(
                    {
                        "kind": "extends",
                        "name": name,
                        "layer": "project",
                        "path": loaded.extension_files[name],
                        "line": 1,
                        "replaces": None,
                    }
                )
    return rows


def _show_generated(loaded: Project, name: str) -> int:
    """Print the generated code of one sync, piece by piece, as tracebacks show it."""
    from hub.engine.sync import SyncEngine
    from hub.state import StateStore

    pieces = SyncEngine(loaded, StateStore("sqlite://")).generated(name)  # compiles; reads no state
    for index, (role, code) in enumerate(pieces, 1):
        out.print(f"{'' if index == 1 else chr(10)}# {index}. {role}", markup=False, highlight=False)
        out.print(code.listing(), markup=False, highlight=False, end="")
    return 0


@app.command()
def connectors(as_json: JsonOption = False) -> None:
    """The systems the hub can connect to, their connection fields and API limits."""
    from connectors.registry import connector_class, systems

    rows: list[dict[str, Any]] = []
    for system in systems():
        cls = connector_class(system)
        rows.append(
            {
                "system": system,
                "name": cls.display_name,
                "conn_type": cls.conn_type,
                "default_conn_id": cls.default_conn_id,
                "max_batch": cls.max_batch,
                "max_page": cls.max_page,
                "deletes": cls.supports_deletes,
                "extras": sorted(cls.form_fields),
            }
        )
    if as_json:
        print_json({"connectors": rows})
        return
    out.print(
        plain_table(
            "connectors",
            ["system", "name", "conn id", "batch", "page", "deletes", "extras"],
            [
                (
                    r["system"],
                    r["name"],
                    r["default_conn_id"],
                    r["max_batch"],
                    r["max_page"],
                    r["deletes"],
                    ", ".join(r["extras"]),
                )
                for r in rows
            ],
        )
    )


@app.command()
def schemas(
    entity: Annotated[str | None, typer.Argument(help="Show one entity's fields.")] = None,
    project: ProjectOption = Path("."),
    as_json: JsonOption = False,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            metavar="DIR",
            help="Write the meta-schemas of the project's files into DIR, enriched for editors (the "
            "transforms, each system's options, each entity's fields); one line per file written.",
        ),
    ] = None,
) -> None:
    """The canonical models (or one model's fields)."""
    from hub.project.schemapaths import canonical_paths

    def body() -> int:
        loaded = load(project)
        if export is not None:
            return _export(loaded, export)
        if entity is None:
            rows = [
                (
                    name,
                    s.get("version"),
                    len(s.get("properties", {})),
                    ", ".join(s.get("required", [])),
                    " | ".join("+".join(rule) for rule in s.get("x-match", [])),
                )
                for name, s in ((n, loaded.schemas[n]) for n in loaded.entities())
            ]
            if as_json:
                print_json(
                    {
                        "schemas": [
                            dict(zip(("entity", "version", "fields", "required", "match"), r, strict=True))
                            for r in rows
                        ]
                    }
                )
            else:
                out.print(
                    plain_table(
                        "canonical models", ["entity", "version", "fields", "required", "x-match"], rows
                    )
                )
            return 0
        schema = loaded.entity_schema(entity)
        if schema is None:
            raise ConfigError(f"no canonical entity {entity!r}; known: {', '.join(loaded.entities())}")
        paths = canonical_paths(schema, loaded.registry)
        where = _field_origins(loaded, entity, paths)
        if as_json:
            print_json({"entity": entity, "fields": paths, "origins": where})
        else:
            out.print(
                plain_table(
                    entity,
                    ["field", "type", "format / pattern", "description", "from"],
                    [
                        (
                            p,
                            s.get("type", "object"),
                            s.get("format") or s.get("pattern"),
                            s.get("description", ""),
                            where[p],
                        )
                        for p, s in paths.items()
                    ],
                )
            )
        return 0

    guarded(body)


def _field_origins(loaded: Project, entity: str, paths: Mapping[str, object]) -> dict[str, str]:
    """Where each field of an entity's merged model is defined: the schema's file, or the project's
    extension (with its line) for the fields it adds."""
    origin = loaded.origin("schema", entity)
    base = origin.path if origin else ""
    extension = loaded.extensions.get(entity)
    added = set(extension.data.get("properties", {})) if extension else set()
    found = {}
    for path in paths:
        top = path.split(".")[0].split("[")[0]
        if extension is not None and top in added:
            line, _ = extension.position(["properties", top], key=True)
            found[path] = f"{extension.path}:{line}"
        else:
            found[path] = base
    return found


def _export(loaded: Project, folder: Path) -> int:
    """`hub schemas --export DIR`: the editor schemas, each file written on a line of its own."""
    from hub.project.editor_schemas import export_schemas

    try:
        written = export_schemas(loaded, folder)
    except OSError as exc:
        raise ConfigError(f"cannot write the schemas into {folder}: {exc.strerror or exc}") from None
    for path in written:
        out.print(f"wrote {path}", markup=False, highlight=False)
    return 0
