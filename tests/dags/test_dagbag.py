"""The DAG folder as Airflow's own DagBag loads it: the exact DAGs, their settings, broken YAML as an
import error, and parsing that touches neither network nor database."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import Asset

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "sync__crm_accounts_to_erp",
    "sync__crm_contacts_to_erp",
    "reconcile__crm_accounts_to_erp",
    "reconcile__crm_contacts_to_erp",
    "sync__hubspot_companies_to_erp",
    "reconcile__hubspot_companies_to_erp",
    "sync__crm_contacts_to_marketing",
    "reconcile__crm_contacts_to_marketing",
    "sync__crm_accounts_to_helpdesk",
    "reconcile__crm_accounts_to_helpdesk",
    "sync__crm_contacts_to_helpdesk",
    "reconcile__crm_contacts_to_helpdesk",
    "sync__helpdesk_contacts_to_crm",  # no reconcile section: its pair reconciles the same records
    "sync__helpdesk_tickets_to_crm",
    "reconcile__helpdesk_tickets_to_crm",
    "sync__freshdesk_tickets_to_crm",
    "reconcile__freshdesk_tickets_to_crm",
    "sync__crm_accounts_to_netsuite",
    "reconcile__crm_accounts_to_netsuite",
    "sync__erp_orders_to_crm",
    "reconcile__erp_orders_to_crm",
    "sync__erp_invoices_to_crm",
    "reconcile__erp_invoices_to_crm",
    "sync__finance_ledger_from_files",
    "reconcile__finance_ledger_from_files",
    "sync__hr_departments_to_erp",
    "reconcile__hr_departments_to_erp",
    "sync__hr_employees_to_erp",
    "reconcile__hr_employees_to_erp",
    "sync__hr_agents_to_helpdesk",
    "reconcile__hr_agents_to_helpdesk",
    "identity__resolve",
}


def copy_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for folder in ("schemas", "mappings", "dags"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


def load(folder: Path) -> DagBag:
    return DagBag(dag_folder=str(folder))


def test_the_dag_folder_has_exactly_one_dag_per_sync_and_reconciliation() -> None:
    bag = load(ROOT / "dags")
    assert bag.import_errors == {}
    assert set(bag.dags) == EXPECTED


def test_schedules_retries_owners_and_tags_come_from_the_yaml() -> None:
    bag = load(ROOT / "dags")
    sync = bag.dags["sync__crm_accounts_to_erp"]
    assert sync.schedule == "*/15 * * * *"
    assert sync.catchup is False and sync.max_active_runs == 1
    assert set(sync.tags) == {"omnihub", "crm", "erp", "salesforce", "odoo"}
    task = sync.get_task("sync")
    assert (task.owner, task.retries, task.retry_delay.total_seconds()) == ("integrations", 2, 300)
    assert [o.uri for o in task.outlets] == ["omnihub://sync/crm_accounts_to_erp"]
    assert sync.params["full"] is False
    reconcile = bag.dags["reconcile__crm_accounts_to_erp"]
    assert reconcile.get_task("reconcile").outlets == []
    assert reconcile.schedule == [Asset("omnihub://sync/crm_accounts_to_erp")]  # after every sync
    assert reconcile.params["heal"] is False and reconcile.params["min_age"] is None


def test_adding_a_yaml_file_adds_its_dags(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    text = (root / "mappings/syncs/crm_accounts_to_erp.yaml").read_text()
    text = text.replace('schedule: "*/15 * * * *"', "schedule: '@daily'").replace("reconcile:", "unused:", 1)
    text = text.split("\nunused:")[0] + "\n"  # the copy has no reconciliation
    (root / "mappings/syncs/accounts_daily.yaml").write_text(text)
    bag = load(root / "dags")
    assert bag.import_errors == {}
    assert set(bag.dags) == EXPECTED | {"sync__accounts_daily"}
    assert bag.dags["sync__accounts_daily"].schedule == "@daily"


def test_a_reconciliation_with_its_own_schedule_does_not_wait_for_the_sync(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    path = root / "mappings/syncs/crm_contacts_to_erp.yaml"
    path.write_text(path.read_text().replace("reconcile:\n", "reconcile:\n  schedule: '@hourly'\n", 1))
    bag = load(root / "dags")
    assert bag.dags["reconcile__crm_contacts_to_erp"].schedule == "@hourly"


def test_broken_yaml_is_an_import_error_with_the_validators_location(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    path = root / "mappings/syncs/crm_contacts_to_erp.yaml"
    lines = path.read_text().splitlines()
    number = next(i for i, line in enumerate(lines) if line.startswith("mode:"))
    lines[number] = "mode: upsertt"
    path.write_text("\n".join(lines) + "\n")
    bag = load(root / "dags")
    assert list(bag.import_errors) == [str(root / "dags" / "omnihub.py")]
    message = next(iter(bag.import_errors.values()))
    assert f"mappings/syncs/crm_contacts_to_erp.yaml:{number + 1}:7: " in message
    assert "upsertt" in message
    # the healthy sync keeps its DAGs; the broken one is not silently missing, it is the error above
    assert set(bag.dags) == EXPECTED - {"sync__crm_contacts_to_erp", "reconcile__crm_contacts_to_erp"}


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    path = root / "mappings/salesforce/account.yaml"
    path.write_text(path.read_text() + "fields: [unclosed\n")
    bag = load(root / "dags")
    message = next(iter(bag.import_errors.values()))
    assert "mappings/salesforce/account.yaml:" in message
    assert "sync__crm_accounts_to_erp" not in bag.dags


def without(*syncs: str) -> set[str]:
    """EXPECTED without the DAGs of these syncs."""
    return EXPECTED - {f"{kind}__{name}" for name in syncs for kind in ("sync", "reconcile")}


def test_a_sync_file_that_cannot_be_parsed_costs_its_dags_and_those_that_reference_it(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    path = root / "mappings/syncs/crm_accounts_to_erp.yaml"
    path.write_text(path.read_text().replace("mode: upsert", "mode: [upsert"))
    bag = load(root / "dags")
    (message,) = bag.import_errors.values()
    assert "not loaded: the DAGs of crm_accounts_to_erp, crm_contacts_to_erp:" in message
    assert "mappings/syncs/crm_accounts_to_erp.yaml:" in message and "invalid YAML" in message
    # crm_contacts_to_erp brings accounts over through it: it would stop mid-run, so it does not start
    assert set(bag.dags) == without("crm_accounts_to_erp", "crm_contacts_to_erp")


def test_a_broken_schema_costs_only_the_syncs_of_its_entity(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    (root / "schemas/ticket.schema.json").write_text('{"$id": "broken"')
    bag = load(root / "dags")
    (message,) = bag.import_errors.values()
    assert "schemas/ticket.schema.json:1:" in message and "invalid JSON" in message
    assert set(bag.dags) == without("helpdesk_tickets_to_crm", "freshdesk_tickets_to_crm")


def test_a_sync_file_named_as_no_dag_can_be_costs_only_itself(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    source = root / "mappings/syncs/crm_accounts_to_erp.yaml"
    (root / "mappings/syncs/crm_accounts_to_erp (copy).yaml").write_text(source.read_text())
    bag = load(root / "dags")
    (message,) = bag.import_errors.values()
    assert "not loaded: the DAGs of crm_accounts_to_erp (copy):" in message
    assert "mappings/syncs/crm_accounts_to_erp (copy).yaml:1:1: " in message
    assert set(bag.dags) == EXPECTED


def test_a_problem_no_sync_depends_on_is_shown_and_costs_nothing(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    (root / "mappings/salesforce/unused.yaml").write_text("system: salesforce\nobject: Lead\n")
    bag = load(root / "dags")
    (message,) = bag.import_errors.values()
    assert "Omnihub project files have problems (every sync's DAGs still load):" in message
    assert "mappings/salesforce/unused.yaml:" in message
    assert set(bag.dags) == EXPECTED


def test_parsing_touches_no_network_database_or_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("parse time must stay offline")

    import sqlalchemy

    import hub.io.connections

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(sqlalchemy, "create_engine", refuse)
    monkeypatch.setattr(hub.io.connections, "_resolver", refuse)
    for name in ("AIRFLOW_CONN_SALESFORCE_DEFAULT", "AIRFLOW_CONN_ODOO_DEFAULT"):
        monkeypatch.delenv(name, raising=False)
    bag = load(ROOT / "dags")
    assert bag.import_errors == {}
    assert set(bag.dags) == EXPECTED


def test_assets_link_each_sync_to_its_reconciliation() -> None:
    bag = load(ROOT / "dags")
    for name in ("crm_accounts_to_erp", "crm_contacts_to_erp", "hubspot_companies_to_erp"):
        published = bag.dags[f"sync__{name}"].get_task("sync").outlets
        assert published == [Asset(f"omnihub://sync/{name}")]


def test_identity_resolves_after_any_sync_of_a_customer_or_what_they_have() -> None:
    bag = load(ROOT / "dags")
    dag = bag.dags["identity__resolve"]
    assert [t.task_id for t in dag.tasks] == ["resolve"]
    watched = {asset.name for asset in dag.timetable.asset_condition.objects}  # type: ignore[attr-defined]
    assert "omnihub://sync/hubspot_companies_to_erp" in watched
    assert (
        "omnihub://sync/helpdesk_tickets_to_crm" in watched
        and "omnihub://sync/erp_invoices_to_crm" in watched
    )
    assert "omnihub://sync/hr_employees_to_erp" not in watched  # read by each resolution; starts none


def test_a_partitioned_reconciliation_maps_a_task_over_partitions(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    path = root / "mappings/syncs/crm_contacts_to_erp.yaml"
    path.write_text(path.read_text().replace("reconcile:\n", "reconcile:\n  partitions: 8\n", 1))
    bag = load(root / "dags")
    dag = bag.dags["reconcile__crm_contacts_to_erp"]
    assert [t.task_id for t in dag.topological_sort()] == ["spill", "compare", "reconcile"]
    compare = dag.get_task("compare")
    assert type(compare).__name__ == "MappedOperator"  # one task instance per partition at run time
    assert dag.get_task("reconcile").op_kwargs["staged"] is True
    assert [t.task_id for t in bag.dags["reconcile__crm_accounts_to_erp"].tasks] == ["reconcile"]
