"""The JSON summary and the CSV of every discrepancy (schema: schemas/recon_report.schema.json)."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.io.redact import redact

if TYPE_CHECKING:
    from hub.reconcile.reconciliation import Reconciliation

REPORT_VERSION = "1.0.0"
SAMPLE_SIZE = 50
KINDS = {
    "different": "different",
    "only_left": "only_in_source",
    "only_right": "only_in_target",
    "duplicate_left": "duplicate_in_source",
    "duplicate_right": "duplicate_in_target",
}
CSV_COLUMNS = ["key", "source_id", "target_id", "field", "source_value", "target_value", "kind"]


def mask(value: Any) -> str | None:
    """A sensitive value shown only by its ends: "+44••••••58"."""
    if value is None:
        return None
    text = str(value)
    return "•" * len(text) if len(text) <= 6 else text[:3] + "•" * (len(text) - 5) + text[-2:]


def shown(value: Any, sensitive: bool) -> Any:
    """A value as a report may show it: masked when sensitive, secrets redacted, NaN as null."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalars become plain JSON-able numbers
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if sensitive:
        return mask(value)
    return value if isinstance(value, (bool, int, float)) else redact(value)


def discrepancy_rows(result: Reconciliation) -> Iterator[dict[str, Any]]:
    """Every discrepancy as a row of the CSV (and the samples), values masked where configured."""
    sensitive = set(result.settings.sensitive)
    for key, field, left, right, kind in result.comparison.discrepancies():
        hidden = field in sensitive
        yield {
            "key": str(key),
            "source_id": result.ids["source"].get(key),
            "target_id": result.ids["target"].get(key),
            "field": field,
            "source_value": shown(left, hidden),
            "target_value": shown(right, hidden),
            "kind": KINDS[kind],
        }


def counts(result: Reconciliation) -> dict[str, int]:
    summary = result.comparison.summary
    return {
        "source_records": result.sides["source"].read,
        "target_records": result.sides["target"].read,
        "matched": summary["matched"],
        "equal": summary["equal"],
        "unequal": summary["unequal"],
        "only_in_source": summary["only_left"],
        "only_in_target": summary["only_right"],
        "duplicates_in_source": summary["duplicates_left"],
        "duplicates_in_target": summary["duplicates_right"],
        "quarantined_in_source": result.quarantined,
        "skipped_in_flight": result.skipped_young,
        "rechecked": result.rechecked,
        "unreadable_in_source": len(result.sides["source"].unreadable),
        "unreadable_in_target": len(result.sides["target"].unreadable),
    }


def _side(result: Reconciliation, role: str) -> dict[str, Any]:
    side = result.sides[role]
    endpoint = result.sync.source if role == "source" else result.sync.target
    return {
        "system": side.system,
        "object": side.obj.name,
        "connection": endpoint.connection,
        "mapping": endpoint.mapping,
    }


def _fields(result: Reconciliation) -> list[dict[str, Any]]:
    found = []
    for name, stats in result.comparison.fields.items():
        gap = stats.max_difference
        found.append(
            {
                "field": name,
                "unequal": stats.unequal,
                "null_differences": stats.null_differences,
                "max_difference": None if gap is None or math.isnan(gap) else gap,
                "tolerance": stats.tolerance.as_dict() if stats.tolerance else None,
                "normalizers": list(result.settings.normalizers.get(name, [])),
                "sensitive": name in result.settings.sensitive,
            }
        )
    return found


def document(result: Reconciliation, files: dict[str, str]) -> dict[str, Any]:
    """The report's JSON document."""
    samples: list[dict[str, Any]] = []
    for row in discrepancy_rows(result):
        if len(samples) >= SAMPLE_SIZE:
            break
        samples.append(row)
    thresholds = {**result.settings.thresholds.as_dict(), "breaches": result.breaches}
    return {
        "report_version": REPORT_VERSION,
        "run_id": result.run_id,
        "sync": result.sync.name,
        "entity": result.sync.entity,
        "status": result.status,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": _side(result, "source"),
        "target": _side(result, "target"),
        "counts": counts(result),
        "fields": _fields(result),
        "thresholds": thresholds,
        "samples": samples,
        "unreadable": {role: side.unreadable[:SAMPLE_SIZE] for role, side in result.sides.items()},
        "min_age_s": result.settings.min_age.total_seconds(),
        "healed": result.healed or None,
        "api_calls": result.api_calls,
        "duration_s": round(result.duration_s, 3),
        "files": files,
    }


def write_csv(result: Reconciliation, path: Path) -> int:
    """Every discrepancy, one per line; returns how many."""
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in discrepancy_rows(result):
            writer.writerow(row)
            written += 1
    return written
