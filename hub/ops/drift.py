"""Alerts on drift: a run's volumes against its own sync's history.

After each run, its volumes (records read, written, quarantined and failed; API calls; for a
reconciliation, its discrepancies) are compared with the same sync's recent finished runs of the same
kind. The baseline is robust: the median and the median absolute deviation (MAD, scaled by 1.4826 to
stand for a standard deviation), so one odd run in the history does not move it. When there is enough
history on the run's weekday (`WEEKDAY_MIN` runs), the baseline is those runs alone: a quiet Sunday is
compared with Sundays. A volume is an anomaly when it lies more than `threshold` robust deviations from
the median and differs from it by at least `min_change` of the median and `MIN_DELTA` records; a sync
that reads nothing for the first time after reading at least `ZERO_AFTER` records per run is always
one, whatever the spread.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from hub.state.rows import RunRow

METRICS = ("read", "written", "quarantined", "failed", "api_calls", "discrepancies")
HISTORY = 30  # recent runs looked at
MIN_HISTORY = 5  # fewer earlier runs: no baseline yet, no alert
WEEKDAY_MIN = 4  # earlier runs on the run's weekday that make a weekday baseline
MIN_DELTA = 10  # records: a smaller change is no alert, however steady the history
ZERO_AFTER = 1000  # a median read at least this, then a run reading nothing: an alert
MAD_SCALE = 1.4826
UNJUDGED = frozenset({"running", "interrupted", "failed"})
"""Runs that say nothing of a sync's volumes: not over, stopped, or failed (a failure is its own
signal): never judged, never part of a baseline. A reconciliation's `fail` (a threshold) is judged."""


@dataclass(frozen=True)
class Drift:
    """One volume of one run out of line with its sync's history."""

    sync: str
    run_id: str
    metric: str
    value: float
    median: float
    deviation: float  # the robust deviation (scaled MAD) it was judged against
    score: float  # how many robust deviations away (inf when the history never moved)
    baseline: str  # "weekday" or "all": which earlier runs made the baseline
    runs: int  # how many
    message: str

    def as_dict(self) -> dict[str, Any]:
        """As JSON keeps it (a score without bound is None)."""
        found = asdict(self)
        found["score"] = None if math.isinf(self.score) else self.score
        return found


def volumes(run: RunRow) -> dict[str, float]:
    """A finished run's volumes (`METRICS`; a sync has no discrepancies, a reconciliation no writes)."""
    counts: Mapping[str, Any] = run.counts or {}

    def number(key: str) -> float:
        value = counts.get(key)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0

    found = {"api_calls": float(sum(v for v in (run.api_calls or {}).values() if isinstance(v, int | float)))}
    if run.kind == "reconcile":
        found["read"] = number("source_records") + number("target_records")
        found["discrepancies"] = number("unequal") + number("only_in_source") + number("only_in_target")
        found["quarantined"] = number("quarantined_in_source")
    else:
        found |= {"read": number("read"), "written": number("created") + number("updated")}
        found |= {"quarantined": number("quarantined"), "failed": number("failed")}
    return found


def drifts(
    run: RunRow,
    history: Sequence[RunRow],
    *,
    threshold: float = 4.0,
    min_change: float = 0.5,
) -> list[Drift]:
    """The volumes of `run` out of line with `history` (the sync's earlier finished runs of its kind,
    any order; more than `HISTORY` are cut to the newest)."""
    earlier = sorted(
        (
            r
            for r in history
            if r.id != run.id
            and r.kind == run.kind
            and r.status not in UNJUDGED
            and r.started_at < run.started_at
        ),
        key=lambda r: r.started_at,
    )[-HISTORY:]
    if run.status in UNJUDGED or len(earlier) < MIN_HISTORY:
        return []
    day = _weekday(run.started_at)
    same_day = [r for r in earlier if _weekday(r.started_at) == day]
    baseline, kind = (same_day, "weekday") if len(same_day) >= WEEKDAY_MIN else (earlier, "all")
    now, history_volumes = volumes(run), [volumes(r) for r in baseline]
    found = []
    for metric in METRICS:
        if metric not in now:
            continue
        past = [v.get(metric, 0.0) for v in history_volumes]
        median = statistics.median(past)
        deviation = MAD_SCALE * statistics.median(abs(v - median) for v in past)
        value, delta = now[metric], abs(now[metric] - median)
        zero_read = metric == "read" and value == 0 and median >= ZERO_AFTER and min(past) > 0
        score = delta / deviation if deviation else (float("inf") if delta else 0.0)
        big = delta >= max(MIN_DELTA, min_change * median) and score > threshold
        if zero_read or big:
            found.append(
                Drift(
                    run.sync,
                    run.id,
                    metric,
                    value,
                    median,
                    deviation,
                    score,
                    kind,
                    len(baseline),
                    _message(metric, value, median, deviation, kind, len(baseline), zero_read),
                )
            )
    return found


def _weekday(stamp: str) -> int:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).weekday()


def _message(
    metric: str, value: float, median: float, deviation: float, kind: str, runs: int, zero_read: bool
) -> str:
    said = metric.replace("_", " ")
    over = f"the last {runs} runs" if kind == "all" else f"the last {runs} runs on this weekday"
    if zero_read:
        return f"read nothing, after a median of {median:,.0f} records a run over {over}"
    way = "up" if value > median else "down"
    return f"{said} {value:,.0f}: {way} from a median of {median:,.0f} (± {deviation:,.1f}) over {over}"
