"""`hub airflow`: Airflow with the hub's DAGs, the emulators and their connections (`make airflow`)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Annotated

import typer

from hub.cli.base import ProjectOption, app, check_ports, guarded, listening, load
from hub.cli.console import err, out

METADATA_BACKENDS = ("sqlite", "postgresql", "postgres", "mysql")
"""The databases Airflow keeps its metadata in."""


def _metadata_url(value: str | None) -> str | None:
    """`--metadata`, checked before anything starts: a database URL Airflow can use."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from hub.state.database import shown

    if value is None:
        return value
    try:
        backend = make_url(value).drivername.partition("+")[0]
    except (ArgumentError, ValueError):
        backend = ""
    if backend not in METADATA_BACKENDS:
        raise typer.BadParameter(
            f"{shown(value)} is not a database URL Airflow can use; give one such as "
            "postgresql://user:password@host:5432/airflow (or leave it out for SQLite in .hub/airflow)"
        )
    return value


@app.command("airflow")
def airflow_up(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of Airflow's UI and API server.")] = 8080,
    sandbox_port: Annotated[
        int, typer.Option(min=0, max=65535, help="First port of the emulators (0: free ones).")
    ] = 8440,
    accounts: Annotated[int, typer.Option(min=0, help="Accounts to seed in the CRM emulator.")] = 200,
    contacts: Annotated[int, typer.Option(min=0, help="Contacts to seed in the CRM emulator.")] = 1000,
    paused: Annotated[
        bool, typer.Option("--paused", help="Leave the DAGs paused (default: unpaused, so they run).")
    ] = False,
    metadata: Annotated[
        str | None,
        typer.Option(
            callback=_metadata_url, help="Airflow metadata database URL (default SQLite in .hub/airflow)."
        ),
    ] = None,
    project: ProjectOption = Path("."),
) -> None:
    """Start Airflow (API server + UI, scheduler, DAG processor) on the hub's DAGs, with the emulators
    seeded and their connections stored in Airflow; print the UI address and login (Ctrl-C stops)."""
    from connectors.registry import EMULATORS, sandbox_class
    from hub.airflow.stack import AirflowStack

    def body() -> int:
        loaded = load(project)
        root = loaded.root
        dag_ids = [f"sync__{name}" for name in sorted(loaded.syncs)]
        dag_ids += [f"reconcile__{name}" for name, spec in sorted(loaded.syncs.items()) if spec.reconcile]
        check_ports("--port", port)
        check_ports("--sandbox-port", sandbox_port, len(EMULATORS))
        home = root / ".hub" / "airflow"
        state = home / "state.db"  # the emulators start empty: so does the hub state that mirrors them
        state.unlink(missing_ok=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        started = time.monotonic()
        err.print(f"starting the emulators ({accounts:,} accounts, {contacts:,} contacts)")
        with listening("--sandbox-port", sandbox_port):
            sandbox = sandbox_class().start(
                folder=root / ".hub" / "sandbox",
                port=sandbox_port,
                scale={"accounts": accounts, "contacts": contacts},
            )
        stack = AirflowStack(
            home=home,
            project=root,
            port=port,
            metadata_url=metadata,
            environ={"HUB_STATE_URL": f"sqlite:///{state}", "HUB_REPORTS": str(root / ".hub" / "reports")},
            users={"viewer": "viewer", "editor": "user"},
        )
        try:
            err.print(f"migrating Airflow's metadata database in {home}")
            stack.migrate()
            systems = [*sandbox.servers, *sandbox.drops]  # the emulators and the payments drop folder
            stack.import_connections({sandbox.conn_ids[s]: sandbox.connection(s) for s in systems})
            err.print("starting the API server, scheduler and DAG processor")
            stack.start()
            for dag_id in dag_ids:  # all stored first: an unpaused DAG's first run starts at once
                stack.wait_for_dag(dag_id)
            for dag_id in dag_ids if not paused else ():
                stack.unpause(dag_id)
            out.print(f"DAGs:        {', '.join(dag_ids)}{' (paused)' if paused else ''}")
            out.print(f"Airflow UI:  {stack.url}", markup=False, highlight=False)
            out.print(f"login:       admin / {stack.password}", markup=False, highlight=False)
            out.print(
                f'console:     {stack.url}/omnihub/ ("Omnihub" in the UI\'s navigation); also '
                f"viewer / {stack.password_of('viewer')} (looks only) and "
                f"editor / {stack.password_of('editor')} (acts)",
                markup=False,
                highlight=False,
            )
            out.print(f"connections: {', '.join(sorted(sandbox.conn_ids.values()))} (the emulators)")
            out.print(f"logs:        {home / 'logs'}", markup=False, highlight=False)
            err.print(f"ready in {time.monotonic() - started:.0f} s; Ctrl-C stops Airflow and the emulators")
            while not stop.wait(2):  # a process that exits stops everything; a slow one (a busy
                stack.check_alive()  # scheduler misses heartbeats on 2 cores) is left to catch up
        except KeyboardInterrupt:
            pass
        finally:
            err.print("stopping")
            stack.stop()
            sandbox.stop()
        return 0

    guarded(body)
