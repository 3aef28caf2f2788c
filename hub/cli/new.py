"""`hub new mapping SYSTEM OBJECT ENTITY` and `hub new sync NAME`: files proposed for you."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.cli.base import ProjectOption, app, guarded, load
from hub.cli.console import err, out
from hub.errors import ConfigError
from hub.project.loading import MappingSpec, Project

new_app = typer.Typer(no_args_is_help=True, help="Mappings and syncs proposed for you.")
app.add_typer(new_app, name="new")


@new_app.command("mapping")
def new_mapping(
    system: Annotated[str, typer.Argument(help="The system (`hub connectors` lists them).")],
    object_name: Annotated[
        str, typer.Argument(metavar="OBJECT", help="Its object: Account, res.partner, a table, a glob.")
    ],
    entity: Annotated[str, typer.Argument(help="The canonical entity (`hub schemas` lists them).")],
    connection: Annotated[
        str | None, typer.Option("--connection", "-c", help="Connection id (default: <system>_default).")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The mapping's name (default: the entity).")
    ] = None,
    sample: Annotated[
        int, typer.Option("--sample", min=0, max=2000, help="Records read to profile values.")
    ] = 200,
    stdout: Annotated[
        bool, typer.Option("--stdout", help="Print the mapping instead of writing it.")
    ] = False,
    project: ProjectOption = Path("."),
) -> None:
    """Read OBJECT's fields from the live SYSTEM, profile a sample of its records, and write
    mappings/SYSTEM/NAME.yaml: each field proposed with its transforms and a confidence, the required
    canonical fields it could not fill, and the fields it left out."""

    def body() -> int:
        from connectors.registry import connector_class, systems
        from hub.io.connections import get_connection
        from hub.project.propose import Knowledge, propose, render

        loaded = load(project)
        if system not in systems():
            raise ConfigError(f"unknown system {system!r}; known: {', '.join(systems())}")
        if loaded.entity_schema(entity) is None:
            raise ConfigError(f"no canonical entity {entity!r}; known: {', '.join(loaded.entities())}")
        path = loaded.root / "mappings" / system / f"{name or entity}.yaml"
        if not stdout and path.exists():
            raise ConfigError(f"{loaded.display(path)} exists; pass --name for another, or --stdout")
        kind = connector_class(system)
        conn_id = connection or kind.default_conn_id
        connector = kind(get_connection(conn_id))
        try:
            err.print(f"reading {object_name!r} from {system} ({conn_id}) …", markup=False, highlight=False)
            shape = connector.describe(object_name, sample)
        finally:
            connector.close()
        knowledge = Knowledge.learn(taught_by(loaded).values())
        proposal = propose(loaded, system, shape, entity, knowledge)
        text = render(
            proposal,
            f"{system} {object_name!r} ({len(shape.fields)} fields, {len(shape.sample)} records sampled)",
        )
        if stdout:
            out.print(text, markup=False, highlight=False, end="")
            return 0
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        out.print(
            f"wrote {loaded.display(path)}: {len(proposal.fields)} fields proposed, "
            f"{len(proposal.unfilled_required)} required left to map, {len(proposal.left_out)} left out",
            markup=False,
            highlight=False,
        )
        problems = [p for p in load(project).checked if p.path == loaded.display(path)]
        for problem in problems:
            out.print(str(problem), markup=False, highlight=False)
        return 1 if problems else 0

    guarded(body)


def taught_by(loaded: Project) -> dict[str, MappingSpec]:
    """The mappings proposals learn from: the library's, whatever the project uses of it, and the
    project's own (which replace the library's of the same name)."""
    from hub import library

    root = library.root()
    shipped = Project.load(root).mappings if loaded.root != root else {}
    return {**shipped, **loaded.mappings}


@new_app.command("sync")
def new_sync(
    name: Annotated[str, typer.Argument(help="The sync's name (its DAG is sync__NAME).")],
    source: Annotated[str, typer.Option("--from", help="The source mapping, SYSTEM/NAME.")],
    target: Annotated[str, typer.Option("--to", help="The target mapping, SYSTEM/NAME.")],
    source_connection: Annotated[str | None, typer.Option("--from-connection")] = None,
    target_connection: Annotated[str | None, typer.Option("--to-connection")] = None,
    mode: Annotated[str, typer.Option(help="insert, update, upsert or mirror.")] = "upsert",
    project: ProjectOption = Path("."),
) -> None:
    """Write syncs/NAME.yaml from two mappings of one entity."""

    def body() -> int:
        from connectors.registry import connector_class

        loaded = load(project)
        ends = []
        for option, key, conn in (("--from", source, source_connection), ("--to", target, target_connection)):
            mapping = loaded.mappings.get(key)
            if mapping is None:
                known = ", ".join(sorted(loaded.mappings)) or "none"
                raise ConfigError(
                    f"{option} {key!r}: no such mapping in the project or its library; known: {known}"
                )
            ends.append((mapping, conn or connector_class(mapping.system).default_conn_id))
        (left, left_conn), (right, right_conn) = ends
        if left.entity != right.entity:
            raise ConfigError(
                f"{source} carries {left.entity!r} and {target} {right.entity!r}: a sync joins two "
                "mappings of one entity"
            )
        if mode not in ("insert", "update", "upsert", "mirror"):
            raise ConfigError(f"--mode {mode!r}: one of insert, update, upsert, mirror")
        path = loaded.root / "syncs" / f"{name}.yaml"
        if path.exists() or name in loaded.sync_files:
            raise ConfigError(
                f"a sync named {name!r} exists ({loaded.sync_files.get(name, path)}); choose another name"
            )
        refs = sorted({f.ref for f in right.fields if f.ref} - {left.entity})
        text = (
            "# yaml-language-server: $schema=../schemas/sync.schema.json\n"
            f"# Written by `hub new sync`: {left.system} {left.object} -> {right.system} {right.object}.\n"
            f"entity: {left.entity}\n"
            f"source: {{system: {left.system}, connection: {left_conn}, mapping: {source}}}\n"
            f"target: {{system: {right.system}, connection: {right_conn}, mapping: {target}}}\n"
            f"mode: {mode}\n"
            "conflict: source_wins\n"
            "schedule: '@hourly'\n"
        )
        if refs:
            text += (
                "# The target refers to: "
                + ", ".join(refs)
                + " — name the syncs that bring them under `references:`\n"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        out.print(f"wrote {loaded.display(path)}", markup=False, highlight=False)
        problems = [p for p in load(project).checked if p.path == loaded.display(path)]
        for problem in problems:
            out.print(str(problem), markup=False, highlight=False)
        return 1 if problems else 0

    guarded(body)
