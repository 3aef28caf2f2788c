"""`hub sandbox serve` and `hub demo`: the emulators, for people and for the demonstration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.cli.base import (
    ProjectOption,
    app,
    check_ports,
    guarded,
    listening,
    load,
    sandbox_app,
)
from hub.cli.console import err, out

Port = Annotated[
    int, typer.Option(min=0, max=65535, help="First port (0: free ones); each emulator takes the next.")
]


def _fault_kinds(value: str) -> str:
    from connectors.emulators.server import FAULT_KINDS

    unknown = [k.strip() for k in value.split(",") if k.strip() and k.strip() not in FAULT_KINDS]
    if unknown:
        raise typer.BadParameter(f"unknown kind {', '.join(unknown)}; choose from {', '.join(FAULT_KINDS)}")
    return value


@sandbox_app.command("serve")
def sandbox_serve(
    port: Port = 8440,
    scale: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Size of the seeded data as a share of the demo's (1: 2,000 accounts and 10,000 contacts in "
            "Salesforce, HubSpot, Mailchimp, Zendesk and Freshdesk; 150 customers, 300 orders and their "
            "invoices in Odoo; 150 employees in BambooHR; 40 customers in NetSuite).",
        ),
    ] = 1.0,
    accounts: Annotated[
        int | None, typer.Option(min=0, help="Accounts to seed in the CRM (default: by --scale).")
    ] = None,
    contacts: Annotated[
        int | None, typer.Option(min=0, help="Contacts to seed in the CRM (default: by --scale).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 7,
    fault_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of requests answered with a fault (0-1).")
    ] = 0.0,
    fault_kinds: Annotated[
        str,
        typer.Option(callback=_fault_kinds, help="Comma-separated: rate_limit, unavailable, disconnect."),
    ] = ("rate_limit"),
    latency_ms: Annotated[float, typer.Option(min=0.0, help="Added latency per request.")] = 0.0,
    project: ProjectOption = Path("."),
) -> None:
    """Start the emulators, seed them as the demo does and print the AIRFLOW_CONN_* lines that reach them
    (Ctrl-C stops)."""
    import signal
    import threading
    import time

    from connectors.registry import EMULATORS, sandbox_class

    def body() -> int:
        kinds = tuple(k.strip() for k in fault_kinds.split(",") if k.strip())
        check_ports("--port", port, len(EMULATORS))
        sizes = sandbox_class().demo_scale(scale, accounts=accounts, contacts=contacts)
        err.print(
            f"seeding: {sizes['accounts']:,} accounts and {sizes['contacts']:,} contacts (Salesforce, "
            f"HubSpot, Mailchimp, Zendesk, Freshdesk), {sizes['customers']:,} customers and "
            f"{sizes['orders']:,} orders (Odoo), {sizes['employees']:,} employees (BambooHR), "
            f"{sizes['netsuite_customers']:,} customers (NetSuite) ..."
        )
        started = time.monotonic()
        with listening("--port", port):
            sandbox = sandbox_class().start(
                folder=project.resolve() / ".hub" / "sandbox",
                port=port,
                seed=seed,
                scale=sizes,
                fault_rate=fault_rate,
                fault_kinds=kinds,
                latency_ms=latency_ms,
            )
        err.print(f"seeded in {time.monotonic() - started:.1f} s")
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
    accounts: Annotated[int, typer.Option(min=0, help="Accounts to seed in Salesforce.")] = 2000,
    contacts: Annotated[int, typer.Option(min=0, help="Contacts to seed in Salesforce.")] = 10000,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 7,
    project: ProjectOption = Path("."),
) -> None:
    """Sandbox, seed, every sync twice (the second writes nothing), edit Odoo, reconcile, stop everything."""
    from hub.cli.demo import run_demo

    guarded(lambda: run_demo(load(project).root, accounts=accounts, contacts=contacts, seed=seed))
