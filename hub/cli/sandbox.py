"""`hub sandbox serve` and `hub demo`: the emulators, for people and for the demonstration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.cli.base import (
    ProjectOption,
    app,
    guarded,
    load,
    sandbox_app,
)
from hub.cli.console import err, out


@sandbox_app.command("serve")
def sandbox_serve(
    port: Annotated[int, typer.Option(help="First port; each emulator takes the next one.")] = 8440,
    accounts: Annotated[int, typer.Option(help="Accounts to seed in the CRM.")] = 200,
    contacts: Annotated[int, typer.Option(help="Contacts to seed in the CRM.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 7,
    fault_rate: Annotated[float, typer.Option(help="Share of requests answered with a fault (0-1).")] = 0.0,
    fault_kinds: Annotated[
        str, typer.Option(help="Comma-separated: rate_limit, unavailable, disconnect.")
    ] = ("rate_limit"),
    latency_ms: Annotated[float, typer.Option(help="Added latency per request.")] = 0.0,
    project: ProjectOption = Path("."),
) -> None:
    """Start the emulators, seed them and print the AIRFLOW_CONN_* lines that reach them (Ctrl-C stops)."""
    import signal
    import threading

    from connectors.registry import sandbox_class

    def body() -> int:
        kinds = tuple(k.strip() for k in fault_kinds.split(",") if k.strip())
        sandbox = sandbox_class().start(
            folder=project.resolve() / ".hub" / "sandbox",
            port=port,
            seed=seed,
            scale={"accounts": accounts, "contacts": contacts},
            fault_rate=fault_rate,
            fault_kinds=kinds,
            latency_ms=latency_ms,
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            for name, value in sandbox.environment().items():
                out.print(f"export {name}='{value}'", markup=False, highlight=False)
            for system, server in sandbox.servers.items():
                err.print(f"{system}: {server.url}")
            err.print("serving; Ctrl-C to stop")
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            sandbox.stop()
        return 0

    guarded(body)


@app.command()
def demo(
    accounts: Annotated[int, typer.Option(help="Accounts to seed in Salesforce.")] = 2000,
    contacts: Annotated[int, typer.Option(help="Contacts to seed in Salesforce.")] = 10000,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 7,
    project: ProjectOption = Path("."),
) -> None:
    """Sandbox, seed, every sync twice (the second writes nothing), edit Odoo, reconcile, stop everything."""
    from hub.cli.demo import run_demo

    guarded(lambda: run_demo(load(project).root, accounts=accounts, contacts=contacts, seed=seed))
