"""`hub init DIR`: start a project of your own over Omnihub's library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.cli.base import app, guarded
from hub.cli.console import out
from hub.project.scaffold import STARTER_SYNCS, init_project


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="The new project's folder (made when missing).")] = Path("."),
    name: Annotated[
        str | None, typer.Option("--name", help="The project's name (default: the folder's).")
    ] = None,
    syncs: Annotated[
        str,
        typer.Option(
            "--syncs",
            metavar="A,B",
            help="The library syncs the project starts with, comma-separated ('' for none).",
        ),
    ] = ",".join(STARTER_SYNCS),
) -> None:
    """Write a new project: omnihub.yaml, mappings/, syncs/, schemas/, dags/, .env.example, a README and
    a CI example; `hub validate` passes on it at once."""

    def body() -> int:
        chosen = [s.strip() for s in syncs.split(",") if s.strip()]
        written = init_project(folder, name, chosen)
        for path in written:
            out.print(f"wrote {path}", markup=False, highlight=False)
        out.print(
            f"next: cd {folder} && hub validate   (the README there walks through the sandbox)",
            markup=False,
            highlight=False,
        )
        return 0

    guarded(body)
