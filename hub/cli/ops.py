"""`hub console`: the ops console alone, over the project's state store (for teams without Airflow's UI)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer

from hub.cli.base import ProjectOption, StateOption, app, engine, guarded, load, state_store
from hub.cli.console import err


@app.command()
def console(
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on (only this machine by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8090,
    user: Annotated[
        str | None,
        typer.Option("--user", help="Who acts, as the audit keeps it (default: HUB_USER, the login)."),
    ] = None,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Look only: retries, overrides and heals are refused.")
    ] = False,
    reports: Annotated[
        Path | None,
        typer.Option("--reports", help="The reconciliation reports' folder (HUB_REPORTS, .hub/reports)."),
    ] = None,
) -> None:
    """The ops console in a browser: runs, quarantine triage, reports and alerts (Ctrl-C stops it).

    Whoever starts it is the user every action is recorded under. It listens on this machine only
    unless --host says otherwise; behind Airflow, the console is in Airflow's UI instead (`make airflow`)."""

    def body() -> int:
        import uvicorn

        from hub.console.auth import LocalAuthority
        from hub.console.service import ConsoleService
        from hub.console.web import create_app
        from hub.report import reports_folder

        loaded = load(project)
        store = state_store(loaded.root, state_url)
        folder = reports or reports_folder(loaded.root)
        folder = folder if folder.is_absolute() else loaded.root / folder
        service = ConsoleService(loaded, store, lambda sync: engine(project, state_url, sync), folder)
        actor = user or os.environ.get("HUB_USER") or getpass.getuser()
        application = create_app(lambda: service, LocalAuthority(actor, can_edit=not read_only))
        err.print(
            f"Omnihub console for {loaded.root} at http://{host}:{port}/ as {actor}"
            f" ({'viewer' if read_only else 'editor'}); Ctrl-C stops it",
            markup=False,
            highlight=False,
        )
        uvicorn.run(application, host=host, port=port, log_level="warning")
        return 0

    guarded(body)
