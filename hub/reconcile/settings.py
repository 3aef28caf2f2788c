"""A sync's `reconcile:` section, read into typed settings with defaults."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import pandas as pd

from hub.errors import ConfigError
from hub.project.mapping import CompiledMapping, path_getter
from hub.project.transforms import REGISTRY, CompileContext, parse_duration
from hub.reconcile.frames import FrameComparison, compare_frames

Status = Literal["pass", "warn", "fail"]
UNCOMPARED = frozenset({"updated_at", "hub_id"})
"""Fields both mappings read that a reconciliation compares only when `compare` names them."""


@dataclass(frozen=True)
class Thresholds:
    """Limits beyond which a report fails (and `hub reconcile` exits 1)."""

    max_unequal_rows: int | None = None
    max_unequal_ratio: float | None = None
    max_missing: int | None = None

    def breaches(self, summary: Mapping[str, Any]) -> list[str]:
        """Which limits the summary crosses, as sentences."""
        found = []
        missing = summary["only_left"] + summary["only_right"]
        ratio = summary["unequal"] / summary["matched"] if summary["matched"] else 0.0
        if self.max_unequal_rows is not None and summary["unequal"] > self.max_unequal_rows:
            found.append(f"{summary['unequal']} unequal rows > max_unequal_rows {self.max_unequal_rows}")
        if self.max_unequal_ratio is not None and ratio > self.max_unequal_ratio:
            found.append(f"unequal ratio {ratio:.4f} > max_unequal_ratio {self.max_unequal_ratio}")
        if self.max_missing is not None and missing > self.max_missing:
            found.append(f"{missing} missing records > max_missing {self.max_missing}")
        return found

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Computed:
    """A compared value built from canonical fields (`{field: full_name, template: "…"}`)."""

    name: str
    build: Callable[[Mapping[str, Any]], Any]


@dataclass
class Settings:
    """Everything a reconciliation of one sync is configured with."""

    compare: list[str]
    computed: list[Computed] = field(default_factory=list)
    normalizers: dict[str, list[str]] = field(default_factory=dict)
    tolerances: dict[str, dict[str, float]] = field(default_factory=dict)
    min_age: timedelta = timedelta(0)
    partitions: int = 1
    sensitive: list[str] = field(default_factory=list)
    thresholds: Thresholds = field(default_factory=Thresholds)
    source_of_truth: Literal["source", "target"] = "source"

    @property
    def fields(self) -> list[str]:
        return [*self.compare, *(c.name for c in self.computed)]

    def compare_frames(self, left: pd.DataFrame, right: pd.DataFrame) -> FrameComparison:
        """Compare two frames of canonical rows (keyed `_key`) with these settings."""
        return compare_frames(
            left, right, "_key", compare=self.fields, normalizers=self.normalizers, tolerances=self.tolerances
        )


def _readable(mapping: CompiledMapping) -> set[str]:
    return {f.canonical for f in mapping.spec.fields if f.reads and f.canonical}


def settings_for(
    raw: Mapping[str, Any] | None, source: CompiledMapping, target: CompiledMapping, policy: str
) -> Settings:
    """Settings from a sync's `reconcile:` section, defaulting to every field both mappings read."""
    raw = raw or {}
    common = sorted((_readable(source) & _readable(target)) - UNCOMPARED)
    compare, computed = [], []
    for entry in raw.get("compare") or common:
        if isinstance(entry, dict):
            template = REGISTRY["template"].factory(entry["template"], CompileContext(getter=path_getter))
            computed.append(Computed(str(entry["field"]), template))
        elif entry in _readable(source) and entry in _readable(target):
            compare.append(str(entry))
        else:
            raise ConfigError(
                f"reconcile.compare: {entry!r} is not read by both {source.spec.key} and "
                f"{target.spec.key}; compare one of: {', '.join(common)}"
            )
    limits = raw.get("thresholds") or {}
    return Settings(
        compare=compare,
        computed=computed,
        normalizers=dict(raw.get("normalizers") or {}),
        tolerances=dict(raw.get("tolerances") or {}),
        min_age=parse_duration(raw.get("min_age", 0)),
        partitions=int(raw.get("partitions", 1)),
        sensitive=list(raw.get("sensitive") or []),
        thresholds=Thresholds(
            limits.get("max_unequal_rows"), limits.get("max_unequal_ratio"), limits.get("max_missing")
        ),
        source_of_truth=raw.get("source_of_truth") or ("target" if policy == "target_wins" else "source"),
    )


def status_of(summary: Mapping[str, Any], breaches: list[str]) -> Status:
    """fail when a threshold is crossed, warn when anything differs, pass otherwise."""
    if breaches:
        return "fail"
    keys = ("only_left", "only_right", "duplicates_left", "duplicates_right", "unequal")
    return "warn" if any(summary[k] for k in keys) else "pass"
