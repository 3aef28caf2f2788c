"""Drift alerts kept in the state store: found after every run (`check_run`), listed by `hub alerts`."""

from __future__ import annotations

import logging
import math
from typing import Any

from sqlalchemy import insert, select

from hub.ops.drift import HISTORY, UNJUDGED, Drift, drifts
from hub.state import StateStore
from hub.state.rows import now_text
from hub.state.tables import alerts

log = logging.getLogger("hub.alerts")


def check_run(store: StateStore, run_id: str) -> list[Drift]:
    """Compare a finished run with its sync's history and keep what drifted. Never raises: an alert
    that cannot be worked out must not fail the run it is about."""
    try:
        run = store.run(run_id)
        if run is None or run.status in UNJUDGED:
            return []
        found = drifts(run, store.runs(run.sync, kind=run.kind, limit=HISTORY + 1))
        if found:
            stamp = now_text()
            rows = [
                {
                    "sync": d.sync,
                    "run_id": d.run_id,
                    "kind": run.kind,
                    "metric": d.metric,
                    "value": d.value,
                    "median": d.median,
                    "deviation": d.deviation,
                    "score": None if math.isinf(d.score) else d.score,
                    "baseline": d.baseline,
                    "runs": d.runs,
                    "message": d.message,
                    "status": "open",
                    "created_at": stamp,
                }
                for d in found
            ]
            with store.engine.begin() as conn:
                conn.execute(insert(alerts), rows)
            for drift in found:
                log.warning("alert: %s %s: %s", run.kind, run.sync, drift.message)
        return found
    except Exception:  # reported, never raised into the run
        log.exception("drift check of run %s failed", run_id)
        return []


def listed(store: StateStore, sync: str | None = None, *, limit: int = 100) -> list[dict[str, Any]]:
    """Alerts, newest first."""
    query = select(alerts).order_by(alerts.c.id.desc()).limit(limit)
    if sync:
        query = query.where(alerts.c.sync == sync)
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
