"""Reconciliation reports: a JSON summary, a CSV of every discrepancy, an HTML page, and an index.

.hub/reports/index.html                              every sync's latest report, by status
.hub/reports/<sync>/<run_id>/report.json|.csv|.html  one run
.hub/reports/<sync>/latest.json                      the latest run's JSON (feeds the index)
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from hub.report.charts import bar_chart, trend_chart
from hub.report.document import counts, document, write_csv
from hub.state import StateStore

if TYPE_CHECKING:
    from hub.reconcile.reconciliation import Reconciliation

TREND_RUNS = 30


@dataclass(frozen=True)
class ReportFiles:
    """Where one run's report went."""

    folder: Path
    json: Path
    csv: Path
    html: Path
    index: Path


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("hub.report", "templates"),
        autoescape=select_autoescape(["j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _style() -> str:
    return files("hub.report").joinpath("templates/_style.css").read_text(encoding="utf-8")


def _trend(store: StateStore, sync: str) -> list[tuple[str, int, int]]:
    runs = [r for r in store.runs(sync, kind="reconcile", limit=TREND_RUNS) if r.counts]
    return [
        (
            r.started_at[5:16].replace("T", " "),
            int(r.counts.get("unequal", 0)),
            int(r.counts.get("only_in_source", 0)) + int(r.counts.get("only_in_target", 0)),
        )
        for r in reversed(runs)
    ]


def _tiles(doc: dict[str, Any]) -> list[tuple[str, int, bool]]:
    c = doc["counts"]
    return [
        ("in " + doc["source"]["system"], c["source_records"], False),
        ("in " + doc["target"]["system"], c["target_records"], False),
        ("matched", c["matched"], False),
        ("equal", c["equal"], False),
        ("unequal", c["unequal"], True),
        ("only in source", c["only_in_source"], True),
        ("only in target", c["only_in_target"], True),
        ("duplicates", c["duplicates_in_source"] + c["duplicates_in_target"], True),
        ("quarantined (known)", c["quarantined_in_source"], False),
        ("unreadable", c["unreadable_in_source"] + c["unreadable_in_target"], False),
        ("in flight, skipped", c["skipped_in_flight"], False),
    ]


def reports_folder(root: Path) -> Path:
    """Where a project's reconciliation reports are written and read: HUB_REPORTS, else `.hub/reports`."""
    configured = os.environ.get("HUB_REPORTS")
    return Path(configured) if configured else root / ".hub" / "reports"


def write_reports(result: Reconciliation, out: Path, store: StateStore) -> tuple[ReportFiles, dict[str, Any]]:
    """Write the run's JSON, CSV and HTML and refresh the index; returns the files and the document."""
    folder = out / result.sync.name / result.run_id
    folder.mkdir(parents=True, exist_ok=True)
    paths = ReportFiles(
        folder,
        folder / "report.json",
        folder / "discrepancies.csv",
        folder / "report.html",
        out / "index.html",
    )
    total = write_csv(result, paths.csv)
    names = {
        "json": str(paths.json),
        "csv": str(paths.csv),
        "html": str(paths.html),
        "json_name": paths.json.name,
        "csv_name": paths.csv.name,
    }
    doc = document(result, names)
    paths.json.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    shutil.copyfile(paths.json, out / result.sync.name / "latest.json")
    html = (
        _environment()
        .get_template("report.html.j2")
        .render(
            doc=doc,
            style=_style(),
            tiles=_tiles(doc),
            total_discrepancies=total,
            bar_chart=bar_chart([(f["field"], f["unequal"]) for f in doc["fields"]]),
            trend_chart=trend_chart(_trend(store, result.sync.name)),
            trend_runs=len(_trend(store, result.sync.name)),
            index_link="../../index.html",
        )
    )
    paths.html.write_text(html, encoding="utf-8")
    write_index(out)
    return paths, doc


def write_index(out: Path) -> Path:
    """The index of every sync's latest report."""
    reports = []
    for latest in sorted(out.glob("*/latest.json")):
        doc = json.loads(latest.read_text(encoding="utf-8"))
        reports.append((doc, f"{doc['sync']}/{doc['run_id']}/report.html"))
    path = out / "index.html"
    path.write_text(
        _environment()
        .get_template("index.html.j2")
        .render(
            reports=reports, style=_style(), generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        ),
        encoding="utf-8",
    )
    return path


__all__ = ["ReportFiles", "counts", "reports_folder", "write_index", "write_reports"]


def render_customer(view: dict[str, Any]) -> str:
    """A customer's 360° page (`hub.identity.customer.view`), in the reports' style."""
    template = _environment().get_template("customer.html.j2")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return template.render(view=view, style=_style(), generated_at=generated, shown=cell)


def cell(value: Any) -> str:
    """A canonical value in one table cell: an address or object as its filled parts."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(cell(v) for v in value.values() if v not in (None, "", [], {}))
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value)
    return str(value)
