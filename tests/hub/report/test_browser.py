"""The index and a report as a browser shows them: Debian's headless Chromium renders both from disk.

`make test` installs Chromium when the machine lacks it. The screenshots stay in tests/artifacts/.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.emulators.sandbox import Sandbox
from hub.reconcile.engine import Reconciler

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "tests" / "artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium(profile: Path, *args: str) -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    done = subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_index_and_report_render_with_their_charts_and_tables(
    edited: tuple[Reconciler, Sandbox, Path], tmp_path: Path
) -> None:
    reconciler, _, out = edited
    for _ in range(2):
        files, doc = reconciler.report(reconciler.run("crm_contacts_to_erp", min_age=timedelta(0)), out)
    ARTIFACTS.mkdir(exist_ok=True)
    report_dom = chromium(tmp_path / "profile", "--dump-dom", files.html.as_uri())
    assert '<svg class="chart bar-chart"' in report_dom and '<svg class="chart trend-chart"' in report_dom
    assert report_dom.count('<rect class="bar"') == len(doc["fields"])
    assert '<table class="samples">' in report_dom and 'id="tiles"' in report_dom
    index_dom = chromium(tmp_path / "profile", "--dump-dom", files.index.as_uri())
    assert '<table id="syncs">' in index_dom and "status-warn" in index_dom
    for name, page in (("report", files.html), ("index", files.index)):
        shot = ARTIFACTS / f"{name}.png"
        shot.unlink(missing_ok=True)
        chromium(tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,1800", page.as_uri())
        assert shot.stat().st_size > 10_000
