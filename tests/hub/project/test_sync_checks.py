"""Sync files mean what they say: what the broken-file corpus cannot hold (a problem reported in two
files, a line whose wording the meta-schema owns), and the ties between the checks and what they
guard: the reconciler's normalisers and thresholds, Airflow's schedules and DAG building."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import pendulum
import pytest
from airflow.sdk import DAG
from airflow.serialization.serialized_objects import DagSerialization
from airflow.timetables.base import TimeRestriction

from hub.airflow.dags import _dags_of
from hub.project.checks import check_project
from hub.project.checks import reconcile as reconcile_checks
from hub.project.checks.durations import MAX_DURATION
from hub.project.loading import Project
from hub.project.schedule import schedule_problem
from hub.reconcile.normalize import NORMALIZERS
from hub.reconcile.settings import UNCOMPARED, Thresholds
from tests.hub.project.test_checks import ROOT, copy_project

CONTACTS = (
    "entity: contact\n"
    "source: {system: salesforce, connection: salesforce_default, mapping: salesforce/contact}\n"
    "target: {system: odoo, connection: odoo_default, mapping: odoo/contact}\n"
)
SCHEMA = json.loads((ROOT / "schemas/sync.schema.json").read_text())


def problems_with(project: Path, sync: str) -> list[str]:
    (project / "mappings/syncs/extra.yaml").write_text(CONTACTS + sync)
    return [str(p) for p in check_project(Project.load(project))]


def test_a_cycle_of_references_is_reported_on_each_sync_in_it(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    departments = project / "mappings/syncs/hr_departments_to_erp.yaml"
    departments.write_text(
        departments.read_text().replace("schedule:", "references: {employee: hr_employees_to_erp}\nschedule:")
    )
    mapping = project / "mappings/bamboohr/department.yaml"  # the head of a department: an employee
    mapping.write_text(mapping.read_text() + "  - {canonical: manager, system: managerId, ref: employee}\n")
    cycle = "references make a cycle ({}): each sync would wait on the other to bring its records over first"
    assert [p.split("; keep")[0] for p in map(str, check_project(Project.load(project)))] == [
        "mappings/syncs/hr_departments_to_erp.yaml:14:24: "
        + cycle.format("hr_departments_to_erp -> hr_employees_to_erp -> hr_departments_to_erp"),
        "mappings/syncs/hr_employees_to_erp.yaml:17:15: "
        + cycle.format("hr_employees_to_erp -> hr_departments_to_erp -> hr_employees_to_erp"),
    ]


def test_a_sync_referring_to_itself_is_a_hierarchy_not_a_cycle() -> None:
    shipped = Project.load(ROOT)
    assert shipped.syncs["hr_employees_to_erp"].references["employee"] == "hr_employees_to_erp"
    assert check_project(shipped) == []


def test_a_reference_to_a_sync_with_problems_says_so(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    accounts = project / "mappings/syncs/crm_accounts_to_erp.yaml"
    accounts.write_text(accounts.read_text().replace("overlap: 2m", "overlap: 2 minutes"))
    found = [str(p) for p in check_project(Project.load(project))]
    assert (
        "mappings/syncs/crm_contacts_to_erp.yaml:13:12: sync 'crm_accounts_to_erp' has problems of its own"
        in found
    )


def test_an_unknown_airflow_key_is_located_with_the_keys_it_may_be(tmp_path: Path) -> None:
    (line,) = problems_with(copy_project(tmp_path), "airflow: {retry: 3}\n")
    assert line.startswith("mappings/syncs/extra.yaml:4:11: unknown key 'retry'") and "retries" in line


@pytest.mark.parametrize(
    ("sync", "expected"),
    [
        ("airflow: {tags: [" + "x" * 101 + "]}\n", "4:18: airflow.tags.0: "),
        (
            "reconcile: {partitions: 1025}\n",
            "4:25: reconcile.partitions: 1025 is greater than the maximum of 1024",
        ),
        ("overlap: 315360001\n", "4:10: overlap: 315360001 is greater than the maximum of 315360000"),
        ("airflow: {retry_delay: -60}\n", "4:24: airflow.retry_delay: -60 is less than the minimum of 0"),
    ],
)
def test_values_airflow_or_the_reconciler_cannot_take_are_refused(
    sync: str, expected: str, tmp_path: Path
) -> None:
    (line,) = problems_with(copy_project(tmp_path), sync)
    assert line.startswith(f"mappings/syncs/extra.yaml:{expected}")


@pytest.mark.parametrize(
    "sync",
    [
        "schedule: '@continuous'\nairflow: {max_active_runs: 1, retry_delay: 0s, retries: 0}\n",
        "schedule: '@once'\nairflow: {start_date: '2024-02-29', tags: [" + "x" * 100 + "], owner: ''}\n",
        "overlap: 3650d\nreconcile: {partitions: 1024, min_age: 0, schedule: '0 0 29 2 *'}\n",
        "reconcile: {compare: [{field: full_name, template: '{first_name} {last_name}'}], sensitive: [full_name]}\n",
    ],
)
def test_values_the_checks_let_through_build_dags(sync: str, tmp_path: Path) -> None:
    assert problems_with(project := copy_project(tmp_path), sync) == []
    assert _dags_of(Project.load(project).syncs["extra"], project)


def test_the_meta_schema_names_the_reconcilers_normalizers_and_thresholds() -> None:
    reconcile = SCHEMA["properties"]["reconcile"]["properties"]
    assert reconcile["normalizers"]["additionalProperties"]["items"]["enum"] == list(NORMALIZERS)
    assert list(reconcile["thresholds"]["properties"]) == [f.name for f in fields(Thresholds)]
    assert reconcile_checks.UNCOMPARED == UNCOMPARED


def test_the_longest_duration_is_the_meta_schemas_maximum() -> None:
    seconds = int(MAX_DURATION.total_seconds())
    assert SCHEMA["properties"]["overlap"]["maximum"] == seconds
    assert SCHEMA["properties"]["reconcile"]["properties"]["min_age"]["maximum"] == seconds
    assert SCHEMA["properties"]["airflow"]["properties"]["retry_delay"]["maximum"] == seconds


def airflow_accepts(schedule: str) -> bool:
    """Whether Airflow builds a DAG on this schedule and finds its next run."""
    try:
        dag = DagSerialization.from_dict(
            DagSerialization.to_dict(
                DAG(dag_id="probe", schedule=schedule, start_date=datetime(2024, 1, 1, tzinfo=UTC))
            )
        )
        restriction = TimeRestriction(
            earliest=pendulum.datetime(2024, 1, 1, tz="UTC"), latest=None, catchup=False
        )
        dag.timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    except Exception:
        return False
    return True


@pytest.mark.parametrize(
    "schedule",
    [
        "*/15 * * * *",
        "0 6 * * mon-fri",
        "0 0 29 2 *",
        "0 0 31 */2 *",
        "0 0 31 2 1",
        "@hourly",
        "0 0 30 2 *",
        "0 0 31 apr,jun *",
        "0 25 * * *",
        "every hour",
        "0 0 * * 8",
        "0,,5 * * * *",
    ],
)
def test_schedules_are_refused_exactly_when_airflow_would_fail_on_them(schedule: str) -> None:
    assert (schedule_problem(schedule) is None) == airflow_accepts(schedule)
