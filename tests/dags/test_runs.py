"""The hub's DAGs run by real Airflow against the emulators: `airflow dags test`, a scheduler with a DAG
processor and API server driven over REST, and a Celery worker with Redis and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
import requests

from connectors.emulators.sandbox import Sandbox
from hub.airflow.stack import AirflowStack
from tests.emulated import start_sandbox

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def partners(sandbox: Sandbox, companies: bool) -> list[dict[str, Any]]:
    rows = sandbox.apps["odoo"].records("res.partner")  # type: ignore[attr-defined]
    return [r for r in rows if r["x_hub_id"] and r["is_company"] == companies]


def valid_accounts(sandbox: Sandbox) -> set[str]:
    invalid: dict[str, str] = sandbox.apps["salesforce"].invalid_records  # type: ignore[attr-defined]
    return {r["Id"] for r in sandbox.apps["salesforce"].records("Account") if r["Id"] not in invalid}  # type: ignore[attr-defined]


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = start_sandbox(tmp_path / "sandbox", monkeypatch, accounts=60, contacts=150)
    yield sandbox
    sandbox.stop()


def last_run(stack: AirflowStack, dag_id: str) -> dict[str, Any]:
    out = stack.airflow("dags", "list-runs", dag_id, "--output", "json").stdout
    runs = json.loads(next(line for line in reversed(out.splitlines()) if line.startswith("[")))
    return dict(max(runs, key=lambda run: run["start_date"]))


def test_airflow_dags_test_runs_a_sync_and_its_reconciliation(sandbox: Sandbox, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    stack = AirflowStack(
        home=tmp_path / "airflow",
        project=ROOT,
        environ={"HUB_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}", "HUB_REPORTS": str(reports)},
    )
    stack.migrate()
    stack.airflow("dags", "reserialize")

    stack.airflow("dags", "test", "sync__crm_accounts_to_erp")
    assert last_run(stack, "sync__crm_accounts_to_erp")["state"] == "success"
    written = partners(sandbox, companies=True)
    assert len({r["x_hub_id"] for r in written}) == len(written) == len(valid_accounts(sandbox))

    conf = json.dumps({"min_age": "0s"})
    stack.airflow("dags", "test", "reconcile__crm_accounts_to_erp", "--conf", conf)
    assert last_run(stack, "reconcile__crm_accounts_to_erp")["state"] == "success"
    assert list(reports.glob("crm_accounts_to_erp/*/report.html"))

    for record in written[:6]:  # 10% of the accounts edited in Odoo: over max_unequal_ratio 0.01
        sandbox.apps["odoo"].edit("res.partner", record["id"], {"website": "https://x.example"})  # type: ignore[attr-defined]
    done = stack.airflow("dags", "test", "reconcile__crm_accounts_to_erp", "--conf", conf, check=False)
    assert last_run(stack, "reconcile__crm_accounts_to_erp")["state"] == "failed"
    log = done.stdout + done.stderr
    assert "crossed its thresholds" in log
    newest = max(reports.glob("crm_accounts_to_erp/*/report.html"), key=lambda p: p.stat().st_mtime)
    assert f"report: {newest}" in log


def run_accounts_sync(stack: AirflowStack, sandbox: Sandbox, log: str) -> str:
    """Migrate, store the emulators' connections, start the stack, trigger the accounts sync over REST and
    wait for its success; its run id. Connections live in Airflow's metadata database (no AIRFLOW_CONN_*
    in the processes' environment): tasks read them through the API server, as from any secrets backend."""
    stack.migrate()
    stack.import_connections({sandbox.conn_ids[s]: sandbox.connection(s) for s in sandbox.servers})
    stack.start()
    stack.wait_for_dag("sync__crm_accounts_to_erp")
    stack.unpause("sync__crm_accounts_to_erp")
    run_id = stack.trigger("sync__crm_accounts_to_erp")
    run = stack.wait_for_run("sync__crm_accounts_to_erp", run_id)
    assert run["state"] == "success", stack.log(log)
    return run_id


def test_a_scheduler_runs_a_sync_triggered_through_the_rest_api(tmp_path: Path) -> None:
    sandbox = Sandbox.start(folder=tmp_path / "sandbox", scale={"accounts": 60, "contacts": 150}, seed=3)
    stack = AirflowStack(
        home=tmp_path / "airflow",
        project=ROOT,
        port=free_port(),
        environ={
            "HUB_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the run this test triggers
        },
    )
    try:
        run_id = run_accounts_sync(stack, sandbox, "scheduler")
        counts = stack.xcom("sync__crm_accounts_to_erp", run_id, "sync")
        assert counts["created"] == len(valid_accounts(sandbox)) == len(partners(sandbox, companies=True))
        assert set(counts) >= {"read", "created", "updated", "quarantined", "run_id"}
        # the UI's connection form knows each connector's type and fields
        forms = requests.get(
            f"{stack.url}/ui/connections/hook_meta",
            headers={"Authorization": f"Bearer {stack.token()}"},
            timeout=30,
        ).json()
        by_type = {form["connection_type"]: form for form in forms}
        salesforce, odoo = by_type["salesforce"], by_type["odoo"]
        assert salesforce["hook_class_name"] == "hub.airflow.SalesforceHook"
        assert salesforce["standard_fields"]["host"]["title"] == "Login URL"
        assert salesforce["extra_fields"]["client_secret"]["schema"]["format"] == "password"
        assert odoo["standard_fields"]["url_schema"]["title"] == "Database"
        started = list(stack.processes.values())
    finally:
        stack.stop()
        sandbox.stop()
    assert started and all(process.poll() is not None for process in started)
    with pytest.raises(requests.ConnectionError):  # nothing answers on the API server's port any more
        requests.get(f"{stack.url}/api/v2/monitor/health", timeout=5)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports, below Linux's ephemeral range (32768 and up), where
    the machine's own outgoing connections could take one of them between this check and the bind."""
    import random
    import socket

    for base in random.sample(range(20000, 32000 - count), 200):
        probes = [socket.socket() for _ in range(count)]
        try:
            for offset, probe in enumerate(probes):
                probe.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RuntimeError(f"no {count} consecutive free ports between 20000 and 32000")


@pytest.fixture
def databases(new_pg_database: Callable[[str], str]) -> tuple[str, str]:
    """Two throwaway PostgreSQL databases: Airflow's metadata and the hub state."""
    return new_pg_database("hub_af"), new_pg_database("hub_state")


def test_a_celery_worker_runs_a_sync_with_redis_and_postgresql(
    tmp_path: Path, databases: tuple[str, str]
) -> None:
    metadata, state = databases
    broker = "redis://127.0.0.1:6379/7"
    redis.Redis.from_url(broker).flushdb()
    sandbox = Sandbox.start(folder=tmp_path / "sandbox", scale={"accounts": 60, "contacts": 150}, seed=4)
    stack = AirflowStack(
        home=tmp_path / "airflow",
        project=ROOT,
        port=free_port(),
        executor="CeleryExecutor",
        metadata_url=metadata.replace("postgresql://", "postgresql+psycopg://"),
        celery_broker=broker,
        environ={"HUB_STATE_URL": state, "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False"},
    )
    try:
        run_accounts_sync(stack, sandbox, "celery-worker")
        assert "sync__crm_accounts_to_erp" in stack.log("celery-worker", lines=400)
        assert len(partners(sandbox, companies=True)) == len(valid_accounts(sandbox))
    finally:
        stack.stop()
        sandbox.stop()
    with psycopg.connect(state) as conn:  # the hub state went to PostgreSQL
        statuses = conn.execute("SELECT status FROM hub_runs WHERE sync = 'crm_accounts_to_erp'").fetchall()
    assert statuses == [("partial",)] or statuses == [("success",)]


def test_a_partitioned_reconciliation_runs_one_mapped_task_per_partition(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    for folder in ("schemas", "mappings", "dags"):
        shutil.copytree(ROOT / folder, project / folder)
    path = project / "mappings/syncs/crm_contacts_to_erp.yaml"
    path.write_text(path.read_text().replace("reconcile:\n", "reconcile:\n  partitions: 3\n", 1))
    stack = AirflowStack(
        home=tmp_path / "airflow",
        project=project,
        environ={"HUB_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}", "HUB_REPORTS": str(tmp_path / "r")},
    )
    stack.migrate()
    stack.airflow("dags", "reserialize")
    stack.airflow("dags", "test", "sync__crm_contacts_to_erp")
    done = stack.airflow(
        "dags", "test", "reconcile__crm_contacts_to_erp", "--conf", json.dumps({"min_age": "0s"})
    )
    assert last_run(stack, "reconcile__crm_contacts_to_erp")["state"] == "success"
    log = done.stdout + done.stderr
    for index in range(3):
        assert f"task_id=compare map_index={index}" in log
    assert "reconcile crm_contacts_to_erp: pass; report:" in log
    assert not list((project / ".hub" / "work").rglob("*.arrow"))  # the partitions are cleaned up


def test_a_backfill_runs_one_mapped_task_per_shard_then_finishes(sandbox: Sandbox, tmp_path: Path) -> None:
    """`airflow: {backfill_shards: 3}` makes backfill__<sync>: three mapped `shard` tasks (each part
    of the full read, on as many workers), then `finish`; every account once in Odoo."""
    project = tmp_path / "project"
    for folder in ("schemas", "mappings", "dags"):
        shutil.copytree(ROOT / folder, project / folder)
    path = project / "mappings/syncs/crm_accounts_to_erp.yaml"
    path.write_text(path.read_text().replace("airflow:\n", "airflow:\n  backfill_shards: 3\n", 1))
    state = tmp_path / "state.db"
    stack = AirflowStack(
        home=tmp_path / "airflow", project=project, environ={"HUB_STATE_URL": f"sqlite:///{state}"}
    )
    stack.migrate()
    stack.airflow("dags", "reserialize")
    done = stack.airflow("dags", "test", "backfill__crm_accounts_to_erp")
    assert last_run(stack, "backfill__crm_accounts_to_erp")["state"] == "success"
    log = done.stdout + done.stderr
    for index in range(3):
        assert f"task_id=shard map_index={index}" in log
    assert "task_id=finish" in log
    written = partners(sandbox, companies=True)
    assert len({r["x_hub_id"] for r in written}) == len(written) == len(valid_accounts(sandbox))
