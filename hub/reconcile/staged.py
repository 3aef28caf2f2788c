"""A partitioned reconciliation in three steps that may run in different processes, or on different
hosts sharing `folder`: what Airflow's dynamic task mapping runs (one mapped task per partition,
never per record).

    spill(name)            read both systems in full; every page to hash partitions on disk
    compare(name, p)       compare partition p of both sides; its result next to the partitions
    finish(name)           merge the results, then as `Reconciler.run`: quarantine-aware, one
                           re-read of flagged records, heal, thresholds (the report is the caller's)

Memory in each step is one page or one pair of partitions, as in `hub reconcile` with partitions.
Each step can be retried: spill starts over, compare overwrites its own result, finish reads them.
"""

from __future__ import annotations

import json
import pickle
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from hub.io.http import ApiCalls
from hub.reconcile.engine import Reconciler
from hub.reconcile.frames import FrameComparison
from hub.reconcile.partitions import load_partition, spill
from hub.reconcile.reconciliation import Reconciliation
from hub.reconcile.sides import ID, KEY

META = "meta.json"


@dataclass
class StagedReconciliation:
    """The three steps of one reconciliation, sharing a work folder."""

    reconciler: Reconciler
    name: str
    folder: Path

    def spill(self, min_age: timedelta | None = None) -> list[int]:
        """Read both systems into hash partitions; the partition numbers, for the mapped compares."""
        spec, settings = self.reconciler.prepare(self.name, min_age)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        started, calls = datetime.now(UTC), ApiCalls()
        sides = self.reconciler.sides(spec, calls)
        cutoff = self.reconciler.clock() - settings.min_age
        young: set[str] = set()
        try:
            for role, side in sides.items():
                pages = self.reconciler.pages(spec, side, settings, cutoff, young)
                spill(pages, KEY, settings.partitions, self.folder / role)
        finally:
            for side in sides.values():
                side.connector.close()
        meta = {
            "partitions": settings.partitions,
            "min_age_s": settings.min_age.total_seconds(),
            "started_at": started.isoformat(),
            "api_calls": calls.snapshot(),
            "young": sorted(young),
        }
        (self.folder / META).write_text(json.dumps(meta))
        return list(range(settings.partitions))

    def _meta(self) -> dict[str, Any]:
        path = self.folder / META
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: the spill step has not run (or another host ran it)")
        meta: dict[str, Any] = json.loads(path.read_text())
        return meta

    def compare(self, partition: int) -> dict[str, int]:
        """Compare one partition of both sides; its counts (the full result stays on disk)."""
        meta = self._meta()
        _, settings = self.reconciler.prepare(self.name, timedelta(seconds=meta["min_age_s"]))
        names = [KEY, *settings.fields]
        young = pd.Index(meta["young"])
        left = load_partition(self.folder / "source" / str(partition), names)
        right = load_partition(self.folder / "target" / str(partition), names)
        left, right = left[~left[KEY].isin(young)], right[~right[KEY].isin(young)]
        result = settings.compare_frames(left, right)
        flagged = pd.Index(result.flagged_keys())
        ids: dict[str, dict[str, str]] = {"source": {}, "target": {}}
        for role, frame in (("source", left), ("target", right)):
            if ID in frame.columns:
                hit = frame[frame[KEY].isin(flagged)]
                ids[role].update(zip(hit[KEY], hit[ID], strict=True))
        results = self.folder / "results"
        results.mkdir(exist_ok=True)
        partial = results / f"{partition}.pickle.tmp"
        partial.write_bytes(pickle.dumps((result, ids)))
        partial.replace(results / f"{partition}.pickle")  # whole or absent, even if killed
        summary = result.summary
        return {k: int(v) for k, v in summary.items() if k != "fields"}

    def finish(self, heal_records: bool = False) -> Reconciliation:
        """Merge every partition's result and conclude as `Reconciler.run` does."""
        meta = self._meta()
        reconciler = self.reconciler
        spec, settings = reconciler.prepare(self.name, timedelta(seconds=meta["min_age_s"]))
        total, ids = FrameComparison.empty(), {"source": dict[str, str](), "target": dict[str, str]()}
        for partition in range(meta["partitions"]):
            path = self.folder / "results" / f"{partition}.pickle"
            if not path.exists():
                raise FileNotFoundError(
                    f"partition {partition} has no result ({path}): its compare step failed"
                )
            result, found = pickle.loads(path.read_bytes())
            total = total.add(result)
            for role in ids:
                ids[role].update(found[role])
        calls, started = ApiCalls(), time.monotonic()
        run_id = reconciler.store.start_run(self.name, "reconcile")
        sides = reconciler.sides(spec, calls)
        outcome = reconciler.settle(spec, settings, sides, total, ids, len(meta["young"]))
        outcome.run_id, outcome.started_at = run_id, datetime.fromisoformat(meta["started_at"])
        outcome = reconciler.conclude(outcome, heal_records, calls, started)
        for system, number in meta["api_calls"].items():  # the reads of the spill step count too
            outcome.api_calls[system] = outcome.api_calls.get(system, 0) + number
        outcome.duration_s = (datetime.now(UTC) - outcome.started_at).total_seconds()
        shutil.rmtree(self.folder, ignore_errors=True)
        return outcome
