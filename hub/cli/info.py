"""Commands that describe the project: validate, connectors, schemas."""

from __future__ import annotations

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
) -> None:
    """Check every schema, mapping and sync; each problem as path:line:column: message (exit 2)."""

    def body() -> int:
        loaded = load(project)
        problems = check_project(loaded)
        if show_generated is not None and not problems:
            return _show_generated(loaded, show_generated)
        if as_json:
            print_json({"ok": not problems, "problems": [p.__dict__ for p in problems]})
        else:
            for problem in problems:
                out.print(str(problem), markup=False, highlight=False)
            if not problems:
                counts = (len(loaded.entities()), len(loaded.mappings), len(loaded.syncs))
                out.print("ok: {} schemas, {} mappings, {} syncs".format(*counts), markup=False)
        return 2 if problems else 0

    guarded(body)


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
        if as_json:
            print_json({"entity": entity, "fields": paths})
        else:
            out.print(
                plain_table(
                    entity,
                    ["field", "type", "format / pattern", "description"],
                    [
                        (
                            p,
                            s.get("type", "object"),
                            s.get("format") or s.get("pattern"),
                            s.get("description", ""),
                        )
                        for p, s in paths.items()
                    ],
                )
            )
        return 0

    guarded(body)


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
