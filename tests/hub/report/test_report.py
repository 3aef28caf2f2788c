"""Reports: the JSON follows its schema, the CSV holds every discrepancy, HTML is self-contained and masked."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from connectors.emulators.sandbox import Sandbox
from hub.cli import app
from hub.reconcile.engine import Reconciler
from hub.report.charts import bar_chart, trend_chart
from hub.report.document import mask

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "schemas" / "recon_report.schema.json").read_text())


def test_the_json_report_follows_its_schema(edited: tuple[Reconciler, Sandbox, Path]) -> None:
    reconciler, _, out = edited
    result = reconciler.run("crm_contacts_to_erp", min_age=timedelta(0))
    files, doc = reconciler.report(result, out)
    written = json.loads(files.json.read_text())
    assert list(Draft202012Validator(SCHEMA).iter_errors(written)) == []
    assert written == json.loads(json.dumps(doc, default=str))
    assert written["status"] == "warn" and written["counts"]["unequal"] == 1
    assert written["counts"]["only_in_source"] == 1
    assert {f["field"]: f["unequal"] for f in written["fields"]}["title"] == 1
    phone = next(s for s in written["samples"] if s["field"] == "phone")
    assert phone["target_value"] == "+33•••••••50" and "40 20" not in files.json.read_text()


def test_the_csv_holds_every_discrepancy_and_the_runs_table_the_same_numbers(
    edited: tuple[Reconciler, Sandbox, Path],
) -> None:
    reconciler, _, out = edited
    result = reconciler.run("crm_contacts_to_erp", min_age=timedelta(0))
    files, doc = reconciler.report(result, out)
    rows = list(csv.DictReader(files.csv.open()))
    assert {(r["field"], r["kind"]) for r in rows} == {
        ("phone", "different"),
        ("title", "different"),
        ("", "only_in_source"),
    }
    assert all(r["key"] and r["source_id"] for r in rows)
    run = reconciler.store.run(result.run_id)
    assert run is not None and run.kind == "reconcile" and run.status == "warn"
    assert run.counts == doc["counts"]


def test_html_report_and_index_are_self_contained(edited: tuple[Reconciler, Sandbox, Path]) -> None:
    reconciler, _, out = edited
    for _ in range(3):  # a trend needs history
        files, _doc = reconciler.report(reconciler.run("crm_contacts_to_erp", min_age=timedelta(0)), out)
    page = files.html.read_text()
    assert 'class="chart bar-chart"' in page and 'class="chart trend-chart"' in page
    assert page.count("<circle") == 6  # 3 runs x (unequal, missing)
    assert '<table class="samples">' in page and "Head of" not in page
    assert "+33•••••••50" in page and "40 20 50" not in page
    assert "http://" not in page and "https://" not in page.replace("https://omnihub", "")
    index = files.index.read_text()
    assert "crm_contacts_to_erp" in index and "status-warn" in index
    assert f"crm_contacts_to_erp/{_doc['run_id']}/report.html" in index


def test_reconcile_command_exits_1_on_a_crossed_threshold(
    edited: tuple[Reconciler, Sandbox, Path], tmp_path: Path
) -> None:
    _, _, out = edited
    state = f"sqlite:///{tmp_path / 'state.db'}"
    args = [
        "reconcile",
        "crm_contacts_to_erp",
        "--json",
        "--min-age",
        "0s",
        "--project",
        str(ROOT),
        "--state-url",
        state,
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    summary = json.loads(result.stdout)
    assert result.exit_code == 0 and summary["status"] == "warn" and summary["unequal"] == 1
    runs = json.loads(
        CliRunner().invoke(app, ["runs", "--json", "--state-url", state, "--project", str(ROOT)]).stdout
    )
    latest = runs["runs"][0]
    assert latest["kind"] == "reconcile" and latest["counts"]["unequal"] == summary["unequal"]
    assert latest["counts"]["only_in_source"] == summary["only_in_source"]
    tight = tmp_path / "tight"
    for folder in ("schemas", "mappings"):
        __import__("shutil").copytree(ROOT / folder, tight / folder)
    sync_file = tight / "mappings" / "syncs" / "crm_contacts_to_erp.yaml"
    sync_file.write_text(sync_file.read_text().replace("max_missing: 100", "max_missing: 0"))
    failing = CliRunner().invoke(
        app, [*args[:-4], "--project", str(tight), "--state-url", state, "--out", str(out)]
    )
    assert failing.exit_code == 1, failing.output
    assert json.loads(failing.stdout)["breaches"] == ["1 missing records > max_missing 0"]


def test_masks_and_charts() -> None:
    assert mask("+447700900422") == "+44••••••••22"
    assert mask("abc") == "•••" and mask(None) is None
    assert bar_chart([("b", 1), ("a", 5)]).index(">a<") < bar_chart([("b", 1), ("a", 5)]).index(">b<")
    assert "no earlier runs" in trend_chart([])
