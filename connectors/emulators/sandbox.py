"""All emulators at once, seeded, on consecutive local ports: what `hub sandbox serve` and the demo run.

with Sandbox.start(folder=Path(".hub/sandbox"), port=8440) as sandbox:
    os.environ.update(sandbox.environment())   # AIRFLOW_CONN_SALESFORCE_DEFAULT, ...

Besides the emulators it keeps a finance drop folder (`folder/files`, reached through `files_default`)
holding a bank's export of payments against the sandbox Odoo's open invoices.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.emulators.ledger import write_payments_export
from connectors.emulators.server import EmulatorApp, EmulatorServer
from connectors.emulators.tls import ensure_tls_files
from connectors.registry import EMULATORS, connector_class, emulator_class

DEFAULT_SCALE = {"accounts": 200, "contacts": 1000, "customers": 50, "orders": 100, "departments": 8}
"""What tests seed when they name no scale."""
BACK_OFFICE = {"customers": 150, "orders": 300, "departments": 8, "employees": 150, "netsuite_customers": 40}
"""The demo's back office: Odoo's customers (some of the CRM's companies), orders and departments,
BambooHR's employees, NetSuite's own customers."""
DEMO_SCALE = {"accounts": 2000, "contacts": 10000, **BACK_OFFICE}
"""What `hub demo` seeds, and `hub sandbox serve` at `--scale 1`. Salesforce's accounts and contacts
size the others: HubSpot's companies and contacts, Mailchimp's members, Zendesk's and Freshdesk's
organizations, people and tickets."""
FIXED = frozenset({"departments"})  # the departments of a company do not grow with its customers


def demo_scale(factor: float = 1.0, **counts: int | None) -> dict[str, int]:
    """The demo's data times `factor` (each kind rounded, at least one while `factor` > 0), with
    `counts` given explicitly (None: scaled) winning."""
    scaled = {
        kind: number if kind in FIXED else (max(1, round(number * factor)) if factor > 0 else 0)
        for kind, number in DEMO_SCALE.items()
    }
    return scaled | {kind: number for kind, number in counts.items() if number is not None}


@dataclass
class Sandbox:
    """Running emulators by system, and the connections that reach them."""

    apps: dict[str, EmulatorApp]
    servers: dict[str, EmulatorServer]
    ca_bundle: str
    conn_ids: dict[str, str] = field(default_factory=dict)
    drops: dict[str, Path] = field(default_factory=dict)  # folder systems (files) by name

    demo_scale = staticmethod(demo_scale)

    @classmethod
    def start(
        cls,
        *,
        folder: Path,
        port: int = 0,
        scale: dict[str, int] | None = None,
        seed: int = 7,
        fault_rate: float = 0.0,
        fault_kinds: tuple[str, ...] = ("rate_limit",),
        latency_ms: float = 0.0,
        systems: list[str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> Sandbox:
        """Start and seed one emulator per system (ports `port`, `port`+1, … or free ones when 0).

        `clock` (tests) replaces the real UTC time every emulator stamps its writes with.
        """
        tls = ensure_tls_files(folder / "tls")
        sandbox = cls({}, {}, tls.ca_cert)
        try:
            for offset, system in enumerate(systems or list(EMULATORS)):
                options: dict[str, Any] = {"clock": clock} if clock else {}
                app: EmulatorApp = emulator_class(system)(
                    fault_rate=fault_rate,
                    fault_kinds=fault_kinds,
                    latency_ms=latency_ms,
                    seed=seed,
                    **options,
                )
                app.seed_sandbox(scale or DEFAULT_SCALE, seed)
                server = EmulatorServer(
                    app, port=port + offset if port else 0, tls=tls if app.needs_tls else None
                )
                sandbox.apps[system], sandbox.servers[system] = app, server.start()
                sandbox.conn_ids[system] = connector_class(system).default_conn_id
            if "odoo" in sandbox.apps:
                write_payments_export(sandbox.apps["odoo"], folder / "files", seed)
                sandbox.drops["files"] = folder / "files"
                sandbox.conn_ids["files"] = connector_class("files").default_conn_id
        except BaseException:
            sandbox.stop()
            raise
        return sandbox

    def connection(self, system: str) -> dict[str, Any]:
        """Airflow's JSON form of the connection to one emulator (or drop folder)."""
        if system in self.drops:
            return {"conn_type": connector_class(system).conn_type, "host": str(self.drops[system].resolve())}
        server = self.servers[system]
        return self.apps[system].connection(server.url, self.ca_bundle if server.tls else None)

    def environment(self) -> dict[str, str]:
        """AIRFLOW_CONN_<ID> variables pointing at every emulator."""
        return {
            f"AIRFLOW_CONN_{self.conn_ids[s].upper()}": json.dumps(self.connection(s))
            for s in [*self.servers, *self.drops]
        }

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
