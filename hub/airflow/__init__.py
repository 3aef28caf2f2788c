"""Airflow: DAGs generated from the project's syncs, connections from Airflow, hooks for its UI.

The only module of the engine that imports Airflow; `dags/omnihub.py` and Airflow itself (for the
hooks) import it. Parsing is offline and fast: `build_dags` reads YAML and compiles mappings, and
touches no network, database or connection store. Tasks call the engine:

    sync__<name>       one task, `sync`; publishes the Asset omnihub://sync/<name>
    reconcile__<name>  one task, `reconcile`; by default scheduled on that Asset (after each sync).
                       With `partitions: N` in its settings: `spill` >> `compare` (mapped over the
                       N partitions, never over records) >> `reconcile`

A sync or mapping file with problems does not silently lose its DAG: it becomes an Airflow import
error carrying the validator's `path:line:column: message` lines, while the other DAGs still load.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Asset, BaseHook, Param
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowNotFoundException

from connectors.registry import connector_class, shipped_systems
from hub.errors import ConfigError, ConnectionNotFound, LockError, Problem
from hub.io.connections import Connection, set_resolver
from hub.io.connector import Connector
from hub.project.checks import check_project
from hub.project.loading import Project, SyncSpec
from hub.project.transforms import parse_duration

log = logging.getLogger("hub.airflow")
START = datetime(2024, 1, 1, tzinfo=UTC)
ASSET_URI = "omnihub://sync/{name}"


def airflow_connection(conn_id: str) -> Connection:
    """A connection from Airflow (its Connections, and so any secrets backend), as the hub uses it."""
    try:
        found = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise ConnectionNotFound(
            f"connection {conn_id!r} is not defined in Airflow (Admin > Connections, AIRFLOW_CONN_"
            f"{conn_id.upper()}, or a secrets backend)"
        ) from None
    return Connection(
        conn_id,
        found.conn_type,
        found.host,
        found.login,
        found.password,
        found.schema,
        found.port,
        dict(found.extra_dejson or {}),
    )


def _engine_for(project_root: str) -> Any:
    from hub.engine.sync import SyncEngine
    from hub.state import StateStore

    set_resolver(airflow_connection)
    project = Project.load(project_root)
    return SyncEngine(project, StateStore.open(project.root))


def run_sync(sync_name: str, project_root: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The `sync` task: run the sync; only counts go to XCom. A failed run fails the task.

    The watermark is the hub's own cursor in its state store, not the run's data interval: manual
    and asset-triggered runs have none, and a retried or late run must not skip or repeat records.
    """
    full = bool((params or {}).get("full"))
    engine = _engine_for(project_root)
    patience = float(os.environ.get("HUB_LOCK_WAIT", "600"))
    deadline = time.monotonic() + patience
    while True:
        try:
            result = engine.sync(sync_name, full=full)
            break
        except ConfigError as exc:  # retrying cannot mend a broken file or a missing connection
            raise AirflowFailException(f"sync {sync_name}: {exc}") from None
        except LockError as exc:  # another run holds it (e.g. a sync pulling references): wait for it
            if time.monotonic() >= deadline:
                raise AirflowException(f"sync {sync_name}: {exc} (waited {patience:.0f} s)") from None
            log.info("sync %s waits: %s", sync_name, exc)
            time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))
    summary: dict[str, Any] = result.summary()
    log.info("sync %s: %s", sync_name, summary)
    if result.status == "failed":
        raise AirflowException(f"sync {sync_name} failed: {result.error}")
    return summary


def _min_age(params: Mapping[str, Any] | None) -> timedelta | None:
    value = (params or {}).get("min_age")
    return parse_duration(value) if value not in (None, "") else None


def _reconciler(project_root: str) -> Any:
    """A reconciler over the project's sync engine, with connections from Airflow."""
    from hub.reconcile.engine import Reconciler

    engine = _engine_for(project_root)
    return Reconciler(engine.project, engine.store, engine=engine)


def _staged(project_root: str, sync_name: str, run_id: str | None, reconciler: Any = None) -> Any:
    """The steps of a partitioned reconciliation, in a work folder of this DAG run (HUB_WORK, or
    .hub/work under the project: with workers on several hosts it must be a shared file system).
    They use `reconciler` when the caller has one, else a new one."""
    from hub.reconcile.staged import StagedReconciliation

    base = Path(os.environ.get("HUB_WORK") or Path(project_root) / ".hub" / "work")
    folder = base / "reconcile" / sync_name / re.sub(r"[^A-Za-z0-9_.-]", "_", run_id or "manual")
    return StagedReconciliation(reconciler or _reconciler(project_root), sync_name, folder)


def run_spill(
    sync_name: str, project_root: str, params: Mapping[str, Any] | None = None, run_id: str | None = None
) -> list[list[int]]:
    """The `spill` task of a partitioned reconciliation: both systems read into hash partitions on
    disk. XCom gets the partition numbers (as the mapped `compare` task's op_args), never records."""
    try:
        partitions = _staged(project_root, sync_name, run_id).spill(_min_age(params))
    except ConfigError as exc:
        raise AirflowFailException(f"reconciliation of {sync_name}: {exc}") from None
    log.info("reconcile %s: %d partitions spilled", sync_name, len(partitions))
    return [[partition] for partition in partitions]


def run_compare(
    partition: int, sync_name: str, project_root: str, run_id: str | None = None
) -> dict[str, int]:
    """One mapped `compare` task: one partition of both sides; XCom gets its counts."""
    counts: dict[str, int] = _staged(project_root, sync_name, run_id).compare(partition)
    log.info("reconcile %s, partition %d: %s", sync_name, partition, counts)
    return counts


def run_reconcile(
    sync_name: str,
    project_root: str,
    params: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    staged: bool = False,
) -> dict[str, Any]:
    """The `reconcile` task: reconcile (or, `staged`, merge the partitions compared before) and write
    the reports; fails, without retries, when a threshold is crossed, naming the report."""
    heal_records = bool((params or {}).get("heal"))
    reconciler = _reconciler(project_root)
    try:
        if staged:
            result = _staged(project_root, sync_name, run_id, reconciler).finish(heal_records)
        else:
            result = reconciler.run(sync_name, heal_records=heal_records, min_age=_min_age(params))
    except ConfigError as exc:
        raise AirflowFailException(f"reconciliation of {sync_name}: {exc}") from None
    out = Path(os.environ.get("HUB_REPORTS", reconciler.project.root / ".hub" / "reports"))
    files, doc = reconciler.report(result, out)
    summary = {"status": doc["status"], **doc["counts"], "report": str(files.html), "index": str(files.index)}
    log.info("reconcile %s: %s; report: %s", sync_name, doc["status"], files.html)
    if result.status == "fail":  # a finding, not a fault: no retry would change it
        raise AirflowFailException(
            f"reconciliation of {sync_name} crossed its thresholds "
            f"({'; '.join(result.breaches)}); report: {files.html}"
        )
    return summary


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


class ProjectProblems(DAG):
    """Stands for the project files that have problems: Airflow records its validation failure as
    an import error (with every `path:line:column: message`) instead of losing DAGs silently."""

    problems: ClassVar[list[str]] = []

    def validate(self) -> None:
        raise AirflowException("Omnihub project files have problems:\n" + "\n".join(self.problems))


def _files_of(project: Project, name: str) -> set[str]:
    files = {f"mappings/syncs/{name}.yaml"}
    spec = project.syncs.get(name)
    if spec is not None:
        files |= {f"mappings/{spec.source.mapping}.yaml", f"mappings/{spec.target.mapping}.yaml"}
    return files


def build_dags(root: Path) -> dict[str, DAG]:
    """Every DAG of the project under `root`, keyed by dag_id (plus one standing for any problems)."""
    project = Project.load(root)
    problems = check_project(project)
    dags: dict[str, DAG] = {}
    shared: list[Problem] = [p for p in problems if p.path.startswith("schemas/")]  # every sync's
    broken = list(shared)
    for name in sorted(project.sync_docs):
        own = [p for p in problems if p.path in _files_of(project, name)]
        spec = project.syncs.get(name)
        if own or shared or spec is None:
            broken += [p for p in own if p not in broken]
            continue
        dags[f"sync__{name}"] = sync_dag(spec, project.root)
        if spec.reconcile is not None:
            dags[f"reconcile__{name}"] = reconcile_dag(spec, project.root)
    if broken:
        holder = type("OmnihubProjectProblems", (ProjectProblems,), {"problems": [str(p) for p in broken]})
        dags["omnihub__project_problems"] = holder(
            dag_id="omnihub__project_problems", schedule=None, start_date=START
        )
    return dags


class OmnihubHook(BaseHook):
    """Gives Airflow a connection type per connector (the form in the UI, `airflow connections test`)."""

    conn_name_attr = "conn_id"
    system: ClassVar[str] = ""

    def __init__(self, conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id or connector_class(self.system).default_conn_id

    def get_conn(self) -> Connector:
        """The connector, built from the Airflow connection (it touches the network only when used)."""
        return connector_class(self.system)(airflow_connection(self.conn_id))

    def test_connection(self) -> tuple[bool, str]:
        """The UI's Test button: log in to the system (no records are read or written)."""
        connector = self.get_conn()
        try:
            return True, connector.check()
        except Exception as exc:  # every failure is the answer the form shows
            return False, f"{type(exc).__name__}: {exc}"
        finally:
            connector.close()


def _hook(system: str) -> type[OmnihubHook]:
    connector = connector_class(system)
    name = f"{connector.__name__.removesuffix('Connector')}Hook"
    attributes = {
        "system": system,
        "conn_type": connector.conn_type,
        "hook_name": connector.display_name,
        "default_conn_name": connector.default_conn_id,
        "__module__": __name__,
    }
    return type(name, (OmnihubHook,), attributes)


for _system in shipped_systems():  # one hook class per shipped connector: hub.airflow.SalesforceHook, …
    _cls = _hook(_system)
    globals()[_cls.__name__] = _cls
