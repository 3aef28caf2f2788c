"""`hub airflow` (what `make airflow` runs): Airflow, the emulators and their connections, then a clean stop."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from connectors.registry import EMULATORS
from tests.dags.test_runs import free_port, free_ports

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


def test_hub_airflow_serves_the_dags_runs_them_and_stops_everything(
    tmp_path: Path, new_pg_database: Callable[[str], str]
) -> None:
    project = tmp_path / "project"
    for folder in ("schemas", "mappings", "dags"):
        shutil.copytree(ROOT / folder, project / folder)
    port, sandbox_port = free_port(), free_ports(len(EMULATORS))  # the emulators take consecutive ports
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "HUB_"))}
    command = [
        str(Path(sys.executable).parent / "hub"),
        "airflow",
        "--project",
        str(project),
        "--port",
        str(port),
    ]
    command += ["--sandbox-port", str(sandbox_port), "--accounts", "30", "--contacts", "60"]
    # Airflow's metadata on PostgreSQL: on SQLite (the default), with 29 DAGs starting at once, Airflow
    # now and then answers "Database error" to a task's state update (README, `make airflow`)
    metadata = new_pg_database("hub_af").replace("postgresql://", "postgresql+psycopg://")
    command += ["--metadata", metadata]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("logs:"):
                break
        printed = "".join(lines)
        assert f"Airflow UI:  http://127.0.0.1:{port}" in printed, printed
        password = next(x for x in lines if x.startswith("login:")).split(" / ")[1].strip()
        token = requests.post(
            f"http://127.0.0.1:{port}/auth/token",
            json={"username": "admin", "password": password},
            timeout=30,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        requests.post(  # besides the scheduled run, which the cron schedule decides on
            f"http://127.0.0.1:{port}/api/v2/dags/sync__crm_accounts_to_erp/dagRuns",
            json={"logical_date": None},
            headers=headers,
            timeout=30,
        ).raise_for_status()
        deadline, states = time.monotonic() + 300, set()
        while time.monotonic() < deadline:  # a sync's success triggers its reconciliation (the Asset)
            answer = requests.get(
                f"http://127.0.0.1:{port}/api/v2/dags/reconcile__crm_accounts_to_erp/dagRuns",
                headers=headers,
                timeout=30,
            )
            if answer.ok:  # a 5xx while SQLite is locked is asked again
                states = {(r["run_type"], r["state"]) for r in answer.json()["dag_runs"]}
            if ("asset_triggered", "success") in states:
                break
            time.sleep(2)
        if ("asset_triggered", "success") not in states:  # say what happened instead
            syncs = requests.get(
                f"http://127.0.0.1:{port}/api/v2/dags/~/dagRuns/~/taskInstances",
                headers=headers,
                timeout=30,
            ).text
            logs = project / ".hub" / "airflow" / "logs"
            tails = {
                str(p.relative_to(logs)): p.read_text(errors="replace")[-2000:] for p in logs.rglob("*.log")
            }
            raise AssertionError(
                f"no reconciliation after the sync: {states}; task instances {syncs}; logs {tails}"
            )
        conn = requests.get(
            f"http://127.0.0.1:{port}/api/v2/connections/odoo_default", headers=headers, timeout=30
        ).json()
        assert conn["conn_type"] == "odoo" and conn["password"] == "***"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        rest = process.communicate(timeout=90)[0]
    assert process.returncode == 0, "".join(lines) + rest
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5)
    survivors = subprocess.run(["pgrep", "-f", str(project)], capture_output=True, text=True).stdout.split()
    assert survivors == []
