"""`hub`: the command line. Exit codes: 0 success, 1 the work found problems, 2 bad input.

hub init DIR                     start a project of your own over the library
hub validate                     check every schema, mapping and sync
hub plan SYNC [--json]           what a sync would do now; writes nothing
hub sync SYNC [--json] [--full]  run a sync
hub reconcile SYNC [--heal]      where both systems disagree, field by field; JSON, CSV and HTML reports
hub runs [SYNC] [--json]         recent runs and their counts
hub quarantine list|retry        records set aside, and running them again
hub alerts [SYNC]                runs whose volumes drifted from their sync's history
hub console [--port 8090]        the ops console alone: runs, quarantine triage, reports, alerts
hub sandbox serve [--port N]     local emulators, seeded, with their AIRFLOW_CONN_* lines
hub identity resolve|merge|split|explain   one person or organisation across every system
hub customer SEARCH [--json]     the 360° view of a customer
hub demo                         the end-to-end demonstration
hub airflow [--port 8080]        Airflow on the hub's DAGs, with the emulators and their connections
hub connectors / hub schemas     what the hub can connect to, and the canonical models
"""

from __future__ import annotations

import os

from hub.cli import airflow, identity, info, init, new, ops, reconcile, sandbox, syncs  # noqa: F401 - each module registers its commands
from hub.cli.base import app


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()


__all__ = ["app", "main"]
