"""The callables of the DAGs' tasks: each runs the engine and hands Airflow only small metadata.

    run_sync       the `sync` task: counts to XCom; a failed run fails the task
    run_spill      a partitioned reconciliation's `spill`: both systems into hash partitions on disk
    run_compare    one mapped `compare` task per partition, never per record
    run_reconcile  the `reconcile` task: reports written, thresholds enforced (no retries on a finding)
    run_identity   the `resolve` task of identity__resolve: clusters, golden records; counts to XCom

Connections come from Airflow (its Connections and secrets backends) through `airflow_connection`.
The DAG file references these callables, so this module is imported while Airflow parses the DAGs:
it imports the engine (and, through its registry, the connectors) only inside a running task.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from hub.airflow.hooks import airflow_connection
from hub.errors import ConfigError, LockError
from hub.io.connections import set_resolver
from hub.project.transforms import parse_duration

if TYPE_CHECKING:
    from hub.engine.sync import SyncEngine
    from hub.project.loading import Project
    from hub.reconcile.engine import Reconciler
    from hub.reconcile.staged import StagedReconciliation

log = logging.getLogger("hub.airflow")


def engine_for(project_root: str, sync_name: str | None) -> SyncEngine:
    """The project's sync engine over its state store, with connections from Airflow, once the sync
    (when one is named) passed the gate `hub validate` and the CLI use (ConfigError before anything
    is opened or written: the project may have changed since the DAGs were parsed)."""
    from hub.engine.sync import SyncEngine
    from hub.errors import ConfigError
    from hub.io.budget import share_with
    from hub.project.loading import Project
    from hub.project.projectfile import project_state
    from hub.state import StateStore
    from hub.state.database import STATE_SETTING

    set_resolver(airflow_connection)
    project = Project.load(project_root)
    if sync_name is not None:
        project.sync(sync_name)
        problems = project.problems_for_sync(sync_name)
        if problems:
            raise ConfigError(problems)
    configured = None if os.environ.get(STATE_SETTING) else project_state(project.root)
    store = StateStore.open(project.root, configured)
    share_with(store.url)  # API budgets shared in a PostgreSQL store (omnihub.yaml's `state:` too)
    return SyncEngine(project, store)


def run_sync(
    sync_name: str,
    project_root: str,
    params: Mapping[str, Any] | None = None,
    shard: str | None = None,
    finish_shards: int | None = None,
) -> dict[str, Any]:
    """The `sync` task: run the sync; only counts go to XCom. A failed run fails the task.

    The watermark is the hub's own cursor in its state store, not the run's data interval: manual
    and asset-triggered runs have none, and a retried or late run must not skip or repeat records.
    In a backfill (`backfill__<sync>`), `shard` ("K/N") runs one part, and `finish_shards` (N) the
    ordinary run that ends it once every part is done.
    """
    from hub.engine.pipeline import Shard

    full = bool((params or {}).get("full"))
    part = Shard.parse(shard) if shard else None
    try:
        patience = lock_wait()
        engine = engine_for(project_root, sync_name)
    except ConfigError as exc:  # retrying cannot mend a broken file or setting
        raise AirflowFailException(f"sync {sync_name}: {exc}") from None
    deadline = time.monotonic() + patience
    while True:
        try:
            if finish_shards is not None:
                result = engine.finish_backfill(sync_name, finish_shards)
            else:
                result = engine.sync(sync_name, full=full, shard=part)
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
    notify(engine.project, result.details.get("alerts") or [])
    if result.status == "failed" and "budget_spent" in result.details:  # retries would spend more of it
        raise AirflowFailException(f"sync {sync_name} failed: {result.error}")
    if result.status == "failed":
        raise AirflowException(f"sync {sync_name} failed: {result.error}")
    return summary


def run_identity(project_root: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The `resolve` task: every organisation and person in every system, in clusters with golden
    records (`hub.identity.run`); only counts go to XCom."""
    from hub.identity.run import IdentityRun

    try:
        engine = engine_for(project_root, None)
    except ConfigError as exc:  # retrying cannot mend a broken setting
        raise AirflowFailException(f"identity: {exc}") from None
    try:
        result = IdentityRun(engine, probable=bool((params or {}).get("probable"))).run()
    except ConfigError as exc:  # nor a broken file
        raise AirflowFailException(f"identity: {exc}") from None
    finally:
        engine.store.close()
    summary: dict[str, Any] = result.as_dict()
    log.info("identity: %s", summary)
    return summary


def notify(project: Project, alerts: list[dict[str, Any]]) -> int:
    """Send a run's drift alerts through the notifiers omnihub.yaml configures (`alerts: notifiers:`)."""
    settings = project.settings
    if not alerts or settings is None or not settings.notifiers:
        return 0
    from hub.airflow.notifiers import current_context, send_alerts

    return send_alerts(settings.notifiers, alerts, current_context())


def lock_wait() -> float:
    """HUB_LOCK_WAIT: how many seconds a sync task waits for a lock another run holds (600)."""
    text = os.environ.get("HUB_LOCK_WAIT", "").strip()
    try:
        seconds = float(text) if text else 600.0
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds < math.inf:
        raise ConfigError(
            f"HUB_LOCK_WAIT {text!r} is not a number of seconds from 0 up; give one such as 600"
        )
    return seconds


def _min_age(params: Mapping[str, Any] | None) -> timedelta | None:
    """The run's `min_age` param, checked as `hub validate` checks `reconcile.min_age`."""
    from hub.project.checks.durations import DURATIONS, duration_problem

    value = (params or {}).get("min_age")
    if value in (None, ""):
        return None
    problem = duration_problem(value, "min_age", DURATIONS[("reconcile", "min_age")])
    if problem:
        raise ConfigError(f"the run's param {problem}")
    return parse_duration(value)


def reconciler_for(project_root: str, sync_name: str) -> Reconciler:
    """A reconciler over the project's sync engine, with connections from Airflow."""
    from hub.reconcile.engine import Reconciler

    engine = engine_for(project_root, sync_name)
    return Reconciler(engine.project, engine.store, engine=engine)


def staged_for(
    project_root: str, sync_name: str, run_id: str | None, reconciler: Reconciler | None = None
) -> StagedReconciliation:
    """The steps of a partitioned reconciliation, in a work folder of this DAG run (HUB_WORK, or
    .hub/work under the project: with workers on several hosts it must be a shared file system).
    They use `reconciler` when the caller has one, else a new one."""
    from hub.reconcile.staged import StagedReconciliation

    base = Path(os.environ.get("HUB_WORK") or Path(project_root) / ".hub" / "work")
    folder = base / "reconcile" / sync_name / re.sub(r"[^A-Za-z0-9_.-]", "_", run_id or "manual")
    return StagedReconciliation(reconciler or reconciler_for(project_root, sync_name), sync_name, folder)


def run_spill(
    sync_name: str, project_root: str, params: Mapping[str, Any] | None = None, run_id: str | None = None
) -> list[list[int]]:
    """The `spill` task of a partitioned reconciliation: both systems read into hash partitions on
    disk. XCom gets the partition numbers (as the mapped `compare` task's op_args), never records."""
    try:
        partitions = staged_for(project_root, sync_name, run_id).spill(_min_age(params))
    except ConfigError as exc:
        raise AirflowFailException(f"reconciliation of {sync_name}: {exc}") from None
    log.info("reconcile %s: %d partitions spilled", sync_name, len(partitions))
    return [[partition] for partition in partitions]


def run_compare(
    partition: int, sync_name: str, project_root: str, run_id: str | None = None
) -> dict[str, int]:
    """One mapped `compare` task: one partition of both sides; XCom gets its counts."""
    try:
        counts: dict[str, int] = staged_for(project_root, sync_name, run_id).compare(partition)
    except ConfigError as exc:
        raise AirflowFailException(f"reconciliation of {sync_name}: {exc}") from None
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
    try:
        reconciler = reconciler_for(project_root, sync_name)
        if staged:
            result = staged_for(project_root, sync_name, run_id, reconciler).finish(heal_records)
        else:
            result = reconciler.run(sync_name, heal_records=heal_records, min_age=_min_age(params))
    except ConfigError as exc:
        raise AirflowFailException(f"reconciliation of {sync_name}: {exc}") from None
    from hub.report import reports_folder

    files, doc = reconciler.report(result, reports_folder(reconciler.project.root))
    summary = {"status": doc["status"], **doc["counts"], "report": str(files.html), "index": str(files.index)}
    log.info("reconcile %s: %s; report: %s", sync_name, doc["status"], files.html)
    notify(reconciler.project, result.alerts)
    if result.status == "fail":  # a finding, not a fault: no retry would change it
        raise AirflowFailException(
            f"reconciliation of {sync_name} crossed its thresholds "
            f"({'; '.join(result.breaches)}); report: {files.html}"
        )
    return summary
