"""One reconciliation run as the reports see it: the sync, its settings, both sides and the comparison.

Kept apart from the `Reconciler` that produces it, so the report layer depends on this record of a
run and never on the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.project.loading import SyncSpec
from hub.reconcile.frames import FrameComparison
from hub.reconcile.settings import Settings, Status
from hub.reconcile.sides import ReconSide


@dataclass
class Reconciliation:
    """Everything a report needs about one reconciliation run."""

    sync: SyncSpec
    run_id: str
    settings: Settings
    comparison: FrameComparison
    sides: dict[str, ReconSide]
    started_at: datetime
    duration_s: float = 0.0
    status: Status = "pass"
    breaches: list[str] = field(default_factory=list)
    skipped_young: int = 0
    rechecked: int = 0
    quarantined: int = 0
    healed: dict[str, Any] = field(default_factory=dict)
    api_calls: dict[str, int] = field(default_factory=dict)
    ids: dict[str, dict[str, str]] = field(default_factory=dict)
    alerts: list[dict[str, Any]] = field(default_factory=list)  # drift against its sync's history

    @property
    def exit_code(self) -> int:
        return 1 if self.status == "fail" else 0
