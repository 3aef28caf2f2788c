"""Checks of a sync's `airflow:` section beyond its shape (the meta-schema's): every value
`hub.airflow.dags` reads builds a DAG, so no sync file can cost Airflow the project's DAGs."""

from __future__ import annotations

from datetime import date, datetime

from hub.errors import Problem
from hub.project.loading import SyncSpec


def airflow_problems(sync: SyncSpec) -> list[Problem]:
    """A start_date YAML read as a date rather than text, and a continuous schedule with parallel runs."""
    problems = []
    start = sync.airflow.get("start_date")
    if start is not None and not isinstance(start, str):
        problems.append(sync.doc.problem(["airflow", "start_date"], _start_date_message(start)))
    runs = sync.airflow.get("max_active_runs", 1)
    continuous = [
        name
        for name, schedule in (("schedule", sync.schedule), ("reconcile.schedule", _reconcile_schedule(sync)))
        if schedule == "@continuous"
    ]
    if continuous and runs > 1:
        message = (
            f"max_active_runs {runs} with {continuous[0]} '@continuous': Airflow runs a continuous DAG "
            "one run at a time; use max_active_runs: 1 or a cron schedule"
        )
        problems.append(sync.doc.problem(["airflow", "max_active_runs"], message))
    return problems


def _start_date_message(value: object) -> str:
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        return f'write start_date in quotes, "{day.isoformat()}": Airflow reads it as ISO text (YYYY-MM-DD)'
    return f'start_date {value!r} is not a date; write one in quotes, such as "2024-01-01"'


def _reconcile_schedule(sync: SyncSpec) -> object:
    return (sync.reconcile or {}).get("schedule")
