"""`--heal`: re-sync exactly the records a reconciliation found missing or different.

The side the sync's policy names as the source of truth is copied over the other: by default the
source (the sync runs again for those records, forced past change detection); with `target_wins`
or `source_of_truth: target`, the target's values are written back to the source through the same
pipeline run in reverse.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hub.engine.sync import SyncEngine
from hub.reconcile.settings import Settings

if TYPE_CHECKING:
    from hub.project.loading import SyncSpec
    from hub.reconcile.reconciliation import Reconciliation


def heal(engine: SyncEngine, spec: SyncSpec, settings: Settings, result: Reconciliation) -> dict[str, Any]:
    """Write the truth over the discrepancies; returns what was done (for the report)."""
    comparison = result.comparison
    truth = settings.source_of_truth
    other = "target" if truth == "source" else "source"
    missing = comparison.only_left if truth == "source" else comparison.only_right
    keys = [str(k) for k in [*missing, *comparison.unequal_keys]]
    ids = [result.ids[truth][k] for k in keys if k in result.ids[truth]]
    if not ids:
        return {"from": truth, "to": other, "records": 0}
    direction = (
        spec
        if truth == "source"
        else replace(
            spec,
            name=f"{spec.name}.reverse",
            source=spec.target,
            target=spec.source,
            references={},
            mode="upsert",
        )
    )
    pushed = engine.push(direction, ids, forget_targets=[str(k) for k in missing])
    return {
        "from": truth,
        "to": other,
        "records": len(ids),
        "run_id": pushed.run_id,
        "status": pushed.status,
        **pushed.counts.as_dict(),
    }
