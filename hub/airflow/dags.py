"""DAGs generated from the project's syncs: parsing is offline and fast.

`build_dags` reads YAML and compiles mappings, and touches no network, database or connection store;
the tasks' callables (`hub.airflow.tasks`) are referenced here and run only when a task runs:

    sync__<name>       one task, `sync`; publishes the Asset omnihub://sync/<name>
    backfill__<name>   with `airflow: {backfill_shards: N}`: `shard` mapped over the N parts of a full
                       read (each on its own worker), then `finish` (the ordinary run from the
                       earliest cursor any part reached); manual only
    reconcile__<name>  one task, `reconcile`; by default scheduled on that Asset (after each sync).
                       With `partitions: N` in its settings: `spill` >> `compare` (mapped over the
                       N partitions, never over records) >> `reconcile`
    identity__resolve  one task, `resolve`: the identity clusters, golden records and what customers
                       have, after any sync of an organisation, a person or their activity (any of
                       those syncs' Assets)

A sync or mapping file with problems does not silently lose its DAG: it becomes an Airflow import
error carrying the validator's `path:line:column: message` lines, while the other DAGs still load.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Asset, AssetAny, Param
from airflow.sdk.exceptions import AirflowException

from hub.airflow.tasks import run_compare, run_identity, run_reconcile, run_spill, run_sync
from hub.errors import Problem
from hub.identity import ACTIVITY, PARTIES
from hub.project.loading import Project, SyncSpec
from hub.project.transforms import parse_duration

START = datetime(2024, 1, 1, tzinfo=UTC)
ASSET_URI = "omnihub://sync/{name}"


def _default_args(spec: SyncSpec) -> dict[str, Any]:
    options = spec.airflow
    return {
        "owner": options.get("owner", "omnihub"),
        "retries": int(options.get("retries", 0)),
        "retry_delay": parse_duration(options.get("retry_delay", "5m")),
    }


def _dag(dag_id: str, spec: SyncSpec, schedule: Any, purpose: str, params: dict[str, Param]) -> DAG:
    options = spec.airflow
    start = (
        datetime.fromisoformat(options["start_date"]).replace(tzinfo=UTC)
        if "start_date" in options
        else START
    )
    return DAG(
        dag_id=dag_id,
        schedule=schedule,
        start_date=start,
        catchup=False,
        max_active_runs=int(options.get("max_active_runs", 1)),
        default_args=_default_args(spec),
        tags=sorted({"omnihub", *options.get("tags", [])}),
        description=f"{purpose}: {spec.source.system} → {spec.target.system} ({spec.entity})",
        doc_md=spec.description or None,
        params=params,
    )


def sync_dag(spec: SyncSpec, root: Path) -> DAG:
    """sync__<name>: one task running the sync, publishing the sync's Asset when it succeeds."""
    params = {
        "full": Param(
            False, type="boolean", description="Read everything, not only what changed since the cursor"
        )
    }
    with _dag(f"sync__{spec.name}", spec, spec.schedule, "sync", params) as dag:
        PythonOperator(
            task_id="sync",
            python_callable=run_sync,
            op_kwargs={"sync_name": spec.name, "project_root": str(root)},
            outlets=[Asset(ASSET_URI.format(name=spec.name))],
        )
    return dag


def backfill_dag(spec: SyncSpec, root: Path) -> DAG:
    """backfill__<name>: the N shards of a full read as N mapped tasks, then the finishing run, which
    publishes the sync's Asset. Triggered by hand (a first load, a rebuild): never scheduled."""
    count = int(spec.airflow["backfill_shards"])
    common = {"sync_name": spec.name, "project_root": str(root)}
    with _dag(f"backfill__{spec.name}", spec, None, "backfill", {}) as dag:
        shards = PythonOperator.partial(task_id="shard", python_callable=run_sync).expand(
            op_kwargs=[{**common, "shard": f"{k}/{count}"} for k in range(count)]
        )
        finish = PythonOperator(
            task_id="finish",
            python_callable=run_sync,
            op_kwargs={**common, "finish_shards": count},
            outlets=[Asset(ASSET_URI.format(name=spec.name))],
        )
        shards >> finish
    return dag


def reconcile_dag(spec: SyncSpec, root: Path) -> DAG:
    """reconcile__<name>: on its own schedule, or after every successful sync (its Asset)."""
    schedule = (spec.reconcile or {}).get("schedule") or [Asset(ASSET_URI.format(name=spec.name))]
    params = {
        "heal": Param(False, type="boolean", description="Re-sync what differs, from the side of truth"),
        "min_age": Param(
            None,
            type=["null", "string"],
            description="Skip records changed more recently than this (e.g. 5m); empty: the YAML's min_age",
        ),
    }
    common = {"sync_name": spec.name, "project_root": str(root)}
    partitions = int((spec.reconcile or {}).get("partitions", 1))
    with _dag(f"reconcile__{spec.name}", spec, schedule, "reconcile", params) as dag:
        if partitions <= 1:
            PythonOperator(task_id="reconcile", python_callable=run_reconcile, op_kwargs=common)
        else:  # spill -> compare (mapped over partitions, never over records) -> reconcile
            spill = PythonOperator(task_id="spill", python_callable=run_spill, op_kwargs=common)
            compare = PythonOperator.partial(
                task_id="compare", python_callable=run_compare, op_kwargs=common
            ).expand(op_args=spill.output)
            finish = PythonOperator(
                task_id="reconcile", python_callable=run_reconcile, op_kwargs={**common, "staged": True}
            )
            spill >> compare >> finish
    return dag


def identity_dag(specs: list[SyncSpec], root: Path) -> DAG | None:
    """identity__resolve: after any sync of the entities identity resolution reads (None: no such sync)."""
    read = {*PARTIES, *ACTIVITY}
    assets = [Asset(ASSET_URI.format(name=s.name)) for s in specs if s.entity in read]
    if not any(s.entity in PARTIES for s in specs):
        return None
    with DAG(
        dag_id="identity__resolve",
        schedule=AssetAny(*assets),
        start_date=START,
        catchup=False,
        max_active_runs=1,
        default_args={"owner": "omnihub", "retries": 1, "retry_delay": parse_duration("5m")},
        tags=["omnihub", "identity"],
        description="identity: every organisation and person in every system, in clusters",
        params={
            "probable": Param(
                False, type="boolean", description="Also link people by Splink's probable pairs"
            )
        },
    ) as dag:
        PythonOperator(task_id="resolve", python_callable=run_identity, op_kwargs={"project_root": str(root)})
    return dag


class ProjectProblems(DAG):
    """Stands for the project files that have problems: Airflow records its validation failure as
    an import error (with every `path:line:column: message`) instead of losing DAGs silently."""

    problems: ClassVar[list[str]] = []

    def validate(self) -> None:
        raise AirflowException("\n".join(self.problems))


def build_dags(root: Path) -> dict[str, DAG]:
    """Every DAG of the project under `root`, keyed by dag_id, plus one standing for its problems.

    A sync is built only when `hub validate`'s checks find nothing in what it depends on (the gate
    every run passes, `Project.problems_for_sync`): a problem costs the DAGs of the syncs that use the
    file, and every other DAG loads. Every problem of the project, and which syncs it stops, becomes
    one Airflow import error."""
    project = Project.load(root)
    dags: dict[str, DAG] = {}
    stopped: list[str] = []
    for name in sorted(project.sync_files):
        spec, problems = project.syncs.get(name), project.problems_for_sync(name)
        if spec is None or problems:
            stopped.append(name)
            continue
        try:
            dags |= _dags_of(spec, project.root)
        except Exception as exc:  # a value the checks let through must not cost the other DAGs
            project.checked.append(Problem(project.sync_files[name], 1, 1, f"cannot build its DAGs: {exc}"))
            stopped.append(name)
    built = [project.syncs[name] for name in sorted(project.syncs) if name not in stopped]
    identity = identity_dag(built, project.root)
    if identity is not None:
        dags["identity__resolve"] = identity
    if project.checked:

        class OmnihubProjectProblems(ProjectProblems):
            problems = [_headline(stopped), *map(str, project.checked)]

        dags["omnihub__project_problems"] = OmnihubProjectProblems(
            dag_id="omnihub__project_problems", schedule=None, start_date=START
        )
    return dags


def _dags_of(spec: SyncSpec, root: Path) -> dict[str, DAG]:
    dags = {f"sync__{spec.name}": sync_dag(spec, root)}
    if spec.airflow.get("backfill_shards"):
        dags[f"backfill__{spec.name}"] = backfill_dag(spec, root)
    if spec.reconcile is not None:
        dags[f"reconcile__{spec.name}"] = reconcile_dag(spec, root)
    return dags


def _headline(stopped: list[str]) -> str:
    if not stopped:
        return "Omnihub project files have problems (every sync's DAGs still load):"
    return f"Omnihub project files have problems; not loaded: the DAGs of {', '.join(stopped)}:"
