"""`Reconciler.run(sync)`: read both systems in full, join, compare, look twice, heal, report.

both sides ─▶ canonical rows ─▶ join on hub_id, then on match keys ─▶ drop in-flight (min_age)
─▶ compare field by field ─▶ re-read flagged records once ─▶ [heal] ─▶ thresholds ─▶ reports
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hub.engine.filters import filter_exit, reading_spec
from hub.engine.sync import SyncEngine
from hub.io.connector import Connector
from hub.io.http import ApiCalls
from hub.ops.alerts import check_run
from hub.project.loading import Project, SyncSpec
from hub.reconcile.frames import FrameComparison
from hub.reconcile.heal import heal
from hub.reconcile.partitions import compare_partitioned
from hub.reconcile.reconciliation import Reconciliation
from hub.reconcile.settings import Settings, settings_for, status_of
from hub.reconcile.sides import ID, KEY, ReconSide, SideReader, young_keys
from hub.report import ReportFiles, write_reports
from hub.report.document import counts
from hub.state import StateStore

log = logging.getLogger("hub.reconcile")


class Reconciler:
    """Reconciles the project's syncs, using the sync engine's connectors and mappings."""

    def __init__(
        self,
        project: Project,
        store: StateStore,
        *,
        engine: SyncEngine | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.project, self.store, self.clock = project, store, clock
        self.engine = engine or SyncEngine(project, store)

    def run(
        self,
        name: str,
        *,
        heal_records: bool = False,
        min_age: timedelta | None = None,
        work_folder: Path | None = None,
    ) -> Reconciliation:
        """Reconcile one sync; with `heal_records`, re-sync what differs from the side of truth."""
        spec, settings = self.prepare(name, min_age)
        calls, started = ApiCalls(), time.monotonic()
        run_id = self.store.start_run(name, "reconcile")
        try:
            sides = self.sides(spec, calls)
            result = self._compare(spec, settings, sides, work_folder)
        except BaseException as exc:  # an error, Ctrl-C or SIGTERM: the run is not left `running`
            self.store.abandon_run(run_id, exc, calls.snapshot())
            raise
        result.run_id, result.started_at = run_id, self.clock()
        return self.conclude(result, heal_records, calls, started)

    def prepare(self, name: str, min_age: timedelta | None = None) -> tuple[SyncSpec, Settings]:
        """A sync's definition and reconciliation settings (`min_age` overriding the YAML's)."""
        spec = self.engine.spec(name)
        self.engine.adopt_instances()
        src_map = self.engine.compiled(spec.source.mapping)
        tgt_map = self.engine.compiled(spec.target.mapping)
        settings = settings_for(spec.reconcile, src_map, tgt_map, spec.conflict.policy)
        if min_age is not None:
            settings.min_age = min_age
        return spec, settings

    def sides(self, spec: SyncSpec, calls: ApiCalls) -> dict[str, ReconSide]:
        """Both systems of a sync, connected, counting API calls into `calls`."""
        return {role: self._side(role, spec, calls) for role in ("source", "target")}

    def conclude(
        self, result: Reconciliation, heal_records: bool, calls: ApiCalls, started: float
    ) -> Reconciliation:
        """Heal (when asked), apply the thresholds, close the connections."""
        if heal_records:
            try:
                result.healed = heal(self.engine, result.sync, result.settings, result)
            except BaseException as exc:  # as in `run`: the run is recorded as it stopped
                self.store.abandon_run(result.run_id, exc, calls.snapshot())
                raise
        result.breaches = result.settings.thresholds.breaches(result.comparison.summary)
        result.status = status_of(result.comparison.summary, result.breaches)
        result.api_calls, result.duration_s = calls.snapshot(), time.monotonic() - started
        for side in result.sides.values():
            side.connector.close()
        return result

    def report(self, result: Reconciliation, out: Path) -> tuple[ReportFiles, dict[str, Any]]:
        """Record the run (same numbers as the JSON report) and write its reports."""
        numbers = counts(result)
        details = {
            "report": str(out / result.sync.name / result.run_id / "report.html"),
            "breaches": result.breaches,
            "healed": result.healed,
            "fields": result.comparison.summary["fields"],
        }
        self.store.finish_run(result.run_id, result.status, numbers, result.api_calls, details=details)
        result.alerts = [d.as_dict() for d in check_run(self.store, result.run_id)]
        return write_reports(result, out, self.store)

    def _side(self, role: str, spec: SyncSpec, calls: ApiCalls) -> ReconSide:
        endpoint = spec.source if role == "source" else spec.target
        compiled = self.engine.compiled(endpoint.mapping)
        connector: Connector = self.engine.connect(endpoint, calls)
        obj = compiled.object_spec()
        if role == "source" and filter_exit(spec, obj):  # read as the sync reads it
            obj = reading_spec(obj)
        return ReconSide(role, endpoint.system, connector, compiled, obj, instance=endpoint.instance)

    def reader(self, spec: SyncSpec, side: ReconSide, settings: Settings) -> SideReader:
        """Reads one side; the target's records that another source's sync wrote are left out."""
        owner = spec.source.instance if side.role == "target" else None
        linked_only = owner is not None and (spec.reconcile or {}).get("target_scope") == "linked"
        leaving = filter_exit(spec, side.mapping.object_spec()) if side.role == "source" else None
        return SideReader(
            self.store,
            spec.entity,
            side,
            settings.compare,
            settings.computed,
            owner=owner,
            linked_only=linked_only,
            leaving=leaving,
            outranked_by=self.engine.outranked_by(spec),
        )

    def pages(
        self, spec: SyncSpec, side: ReconSide, settings: Settings, cutoff: datetime, young: set[str]
    ) -> Iterator[pd.DataFrame]:
        """One side's records page by page; with a `min_age`, the keys of records changed after
        `cutoff` are added to `young` as their pages pass."""
        for frame in self.reader(spec, side, settings).stream(settings.fields):
            young.update(young_keys([frame], cutoff) if settings.min_age else ())
            yield frame

    def _compare(
        self, spec: SyncSpec, settings: Settings, sides: dict[str, ReconSide], work_folder: Path | None
    ) -> Reconciliation:
        compare = self._in_memory if settings.partitions <= 1 else self._by_partition
        first, ids, young = compare(spec, settings, sides, work_folder)
        return self.settle(spec, settings, sides, first, ids, young)

    def settle(
        self,
        spec: SyncSpec,
        settings: Settings,
        sides: dict[str, ReconSide],
        first: FrameComparison,
        ids: dict[str, dict[str, str]],
        young: int,
    ) -> Reconciliation:
        """From a first comparison: set quarantined records aside, re-read what was flagged, once."""
        held = self._quarantined(spec, first, ids)
        first = first.without(np.array(held, dtype=object))
        recheck = self._recheck(spec, settings, sides, first, ids)
        comparison = first.without(first.flagged_keys()).add(recheck) if recheck is not None else first
        result = Reconciliation(spec, "", settings, comparison, sides, self.clock(), ids=ids)
        result.quarantined = len(held)
        result.skipped_young, result.rechecked = young, len(first.flagged_keys())
        return result

    def _in_memory(
        self, spec: SyncSpec, settings: Settings, sides: dict[str, ReconSide], work_folder: Path | None
    ) -> tuple[FrameComparison, dict[str, dict[str, str]], int]:
        for side in sides.values():
            self.reader(spec, side, settings).read_all()
        left, right = (sides[r].frame(settings.fields) for r in ("source", "target"))
        pair_by_match_keys(left, right, self.engine.match_rules(spec))
        young = young_keys([left, right], self.clock() - settings.min_age) if settings.min_age else set()
        left, right = left[~left[KEY].isin(young)], right[~right[KEY].isin(young)]
        ids = {
            "source": dict(zip(left[KEY], left[ID], strict=True)),
            "target": dict(zip(right[KEY], right[ID], strict=True)),
        }
        comparison = settings.compare_frames(left, right)
        return comparison, ids, len(young)

    def _by_partition(
        self, spec: SyncSpec, settings: Settings, sides: dict[str, ReconSide], work_folder: Path | None
    ) -> tuple[FrameComparison, dict[str, dict[str, str]], int]:
        """Pages stream to hash partitions on disk: memory holds one page and one partition pair.

        Records the hub never linked are not paired by match keys here (they would need every
        partition at once): they show as missing on their side.
        """
        young: set[str] = set()
        cutoff = self.clock() - settings.min_age
        ids: dict[str, dict[str, str]] = {"source": {}, "target": {}}

        def drop_young(left: pd.DataFrame, right: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
            return left[~left[KEY].isin(young)], right[~right[KEY].isin(young)]

        def remember_ids(result: FrameComparison, left: pd.DataFrame, right: pd.DataFrame) -> None:
            flagged = pd.Index(result.flagged_keys())
            for role, frame in (("source", left), ("target", right)):
                if ID not in frame.columns:  # an empty partition
                    continue
                hit = frame[frame[KEY].isin(flagged)]
                ids[role].update(zip(hit[KEY], hit[ID], strict=True))

        folder = (work_folder or Path(".hub")) / "partitions" / spec.name
        comparison = compare_partitioned(
            self.pages(spec, sides["source"], settings, cutoff, young),
            self.pages(spec, sides["target"], settings, cutoff, young),
            KEY,
            partitions=settings.partitions,
            folder=folder,
            columns=settings.fields,
            prepare=drop_young,
            on_partition=remember_ids,
            normalizers=settings.normalizers,
            tolerances=settings.tolerances,
        )
        return comparison, ids, len(young)

    def _quarantined(
        self, spec: SyncSpec, comparison: FrameComparison, ids: dict[str, dict[str, str]]
    ) -> list[str]:
        """Keys missing from the target, unequal there, or only there because the sync set their
        source record aside: known (the quarantine says why), not discrepancies."""
        by_id = {ids["source"][k]: k for k in comparison.flagged_keys() if k in ids["source"]}
        unread = [str(k) for k in comparison.only_right if k not in ids["source"]]  # unmappable there
        linked = self.store.xrefs_by_hub(spec.entity, spec.source.instance, unread) if unread else {}
        by_id |= {row.external_id: hub_id for hub_id, row in linked.items()}
        held = self.store.quarantined(spec.name, record_ids=list(by_id)) if by_id else []
        return [by_id[q.record_id] for q in held if q.system == spec.source.instance]

    def _recheck(
        self,
        spec: SyncSpec,
        settings: Settings,
        sides: dict[str, ReconSide],
        first: FrameComparison,
        ids: dict[str, dict[str, str]],
    ) -> FrameComparison | None:
        """Read every flagged record again and compare once more: in-flight changes settle."""
        flagged = first.flagged_keys()
        if not len(flagged):
            return None
        again = {}
        for role, side in sides.items():
            fresh = ReconSide(
                role, side.system, side.connector, side.mapping, side.obj, instance=side.instance
            )
            wanted = [ids[role][k] for k in flagged if k in ids[role]]
            again[role] = self.reader(spec, fresh, settings).fetch(wanted).frame(settings.fields)
        left, right = again["source"], again["target"]
        pair_by_match_keys(left, right, self.engine.match_rules(spec))
        keep = pd.Index(flagged)
        left, right = left[left[KEY].isin(keep)], right[right[KEY].isin(keep)]
        return settings.compare_frames(left, right)


def pair_by_match_keys(left: pd.DataFrame, right: pd.DataFrame, rules: list[list[str]]) -> None:
    """Give records the hub cannot join by hub_id a shared key when a match rule pairs them uniquely.

    Only orphans take part: rows without a key, or whose key the other side does not have. Rows still
    without a key afterwards get one of their own (`source:<id>`), so they show as missing.
    """
    for rule in rules:
        if all(f in left.columns and f in right.columns for f in rule):
            _pair(left, right, rule)
    for frame, role in ((left, "source"), (right, "target")):
        missing = frame[KEY].isna()
        frame.loc[missing, KEY] = role + ":" + frame.loc[missing, ID].astype("str")


def _pair(left: pd.DataFrame, right: pd.DataFrame, rule: list[str]) -> None:
    lefts, rights = _unique_values(left, right, rule), _unique_values(right, left, rule)
    for value, li in lefts.items():
        ri = rights.get(value)
        if ri is None:
            continue
        mine, theirs = left.at[li, KEY], right.at[ri, KEY]
        shared = mine if isinstance(mine, str) else theirs if isinstance(theirs, str) else f"match:{value}"
        left.at[li, KEY], right.at[ri, KEY] = shared, shared


def _unique_values(frame: pd.DataFrame, other: pd.DataFrame, rule: list[str]) -> dict[str, Any]:
    """Match-rule values of this side's orphans that occur once: value → row label."""
    orphans = frame[frame[KEY].isna() | ~frame[KEY].isin(other[KEY].dropna())][rule].dropna()
    found: dict[str, Any] = {}
    seen: set[str] = set()
    for label, values in zip(orphans.index, orphans.itertuples(index=False), strict=True):
        value = "\x1f".join(str(v).strip().casefold() for v in values)
        if value in seen:
            found.pop(value, None)
        else:
            seen.add(value)
            found[value] = label
    return found
