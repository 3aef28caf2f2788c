"""`make demo` runs `hub demo`: the full-size demonstration, as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_demo_creates_everything_valid_then_writes_nothing(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for folder in ("schemas", "mappings"):
        subprocess.run(["cp", "-r", str(ROOT / folder), str(project / folder)], check=True)
    result = subprocess.run(
        [sys.executable, "-m", "hub", "demo", "--project", str(project)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "2,000 accounts and 10,000 contacts" in out
    assert "Second run: nothing changed, so nothing is written" in out
    assert "the second run wrote nothing" in out
    assert "is not a valid email" in out and "is quarantined by crm_accounts_to_erp" in out
    assert "the reports show exactly the 4 edits made in Odoo, and nothing else" in out
    assert "one customer in 5 systems; no twin company is twice in Odoo" in out
    assert list((project / ".hub" / "customers").glob("account-*.html"))
    assert "alert: quarantined 300: up from a median of 0" in out and "the drift raised 2 alerts" in out
    index = project / ".hub" / "reports" / "index.html"
    assert f"Index of every sync's latest report: {index}" in out and index.exists()
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "hub",
            "quarantine",
            "list",
            "--json",
            "--project",
            str(project),
            "--state-url",
            "sqlite:///.hub/demo/state/state.db",
            "--limit",
            "2000",  # the drift's 300 come first, newest first
        ],
        capture_output=True,
        text=True,
        cwd=project,
        timeout=60,
    )
    assert '"stage": "validate"' in listed.stdout
