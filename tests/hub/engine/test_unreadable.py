"""Records a source cannot read, end to end: a customers export (Files connector) synced into HubSpot
companies (HubSpot emulator) through `hub sync`, `hub quarantine list` and `hub quarantine retry`.

Two malformed lines of a CSV are quarantined at the stage "read", naming file, line and problem, while
the good rows go through and the cursor moves on; fixing the file brings the fixed rows over and
resolves the entries (also when the fixed row's cursor is older than the stored one); lines still bad
stay quarantined under their current line numbers; an unchanged run writes nothing and quarantines
nothing new. Both read modes run: by cursor column and by file modification time.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connectors.emulators.sandbox import Sandbox
from hub.cli import app
from hub.project.loading import Project
from hub.state import StateStore
from tests.emulated import start_sandbox

ROOT = Path(__file__).resolve().parents[3]
SYNC = "customers_to_crm"
FILE = "customers/2024-03.csv"
OLD = "2024-03-01T10:00:00Z"  # older than any stored cursor: rows with it are not changes
NOW = datetime.now(UTC).replace(microsecond=0)
HEADER = "id,updated_at,name\n"

SOURCE_MAPPING = """\
system: files
object: customers/*.csv
entity: account
primary_key: id
{cursor}
fields:
  - canonical: name
    system: name
    transforms: [trim]
  - canonical: updated_at
    system: updated_at
    inbound: [datetime]
    direction: inbound
"""
SYNC_FILE = """\
description: A customers export becomes HubSpot companies.
entity: account
source: {system: files, connection: files_default, mapping: files/account}
target: {system: hubspot, connection: hubspot_default, mapping: hubspot/company}
mode: upsert
match: [[name]]
conflict: source_wins
"""


@pytest.fixture(params=["cursor column", "file time"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Schemas, the shipped HubSpot company mapping, a Files account mapping and the sync."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "schemas", root / "schemas")
    (root / "mappings" / "hubspot").mkdir(parents=True)
    shutil.copy(ROOT / "mappings" / "hubspot" / "company.yaml", root / "mappings" / "hubspot")
    (root / "mappings" / "files").mkdir()
    cursor = "cursor_field: updated_at" if request.param == "cursor column" else ""
    (root / "mappings" / "files" / "account.yaml").write_text(SOURCE_MAPPING.format(cursor=cursor))
    (root / "mappings" / "syncs").mkdir()
    (root / "mappings" / "syncs" / f"{SYNC}.yaml").write_text(SYNC_FILE)
    assert Project.load(root).problems == []
    return root


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = start_sandbox(tmp_path / "sandbox", monkeypatch, accounts=0, contacts=0, systems=["hubspot"])
    yield sandbox
    sandbox.stop()


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    (folder / "customers").mkdir(parents=True)
    return folder


@pytest.fixture
def env(sandbox: Sandbox, exports: Path, tmp_path: Path) -> dict[str, str]:
    files = {"conn_type": "omnihub_files", "host": str(exports)}
    return {
        **sandbox.environment(),
        "AIRFLOW_CONN_FILES_DEFAULT": json.dumps(files),
        "HUB_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
    }


def export(folder: Path, name: str, rows: list[str], when: datetime) -> None:
    """Write an export file (header and rows) as another program would, modified at `when`."""
    path = folder / name
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    os.utime(path, (when.timestamp(), when.timestamp()))


def hub(project: Path, env: dict[str, str], *args: str) -> tuple[int, Any]:
    """Run `hub …` with JSON output; the exit code and the parsed output."""
    result = CliRunner().invoke(app, [*args, "--json", "--project", str(project)], env=env)
    return result.exit_code, json.loads(result.stdout)


def companies(sandbox: Sandbox) -> dict[str, int]:
    """HubSpot company names, each with how many companies have it."""
    names: dict[str, int] = {}
    for record in sandbox.apps["hubspot"].records("companies"):  # type: ignore[attr-defined]
        names[record["name"]] = names.get(record["name"], 0) + 1
    return names


def open_entries(project: Path, env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Open quarantine entries as `hub quarantine list --json` shows them, by record id."""
    code, listed = hub(project, env, "quarantine", "list", SYNC)
    assert code == 0
    return {row["record_id"]: row for row in listed["quarantine"]}


def test_malformed_lines_are_quarantined_and_fixing_the_file_brings_them_over(
    project: Path, env: dict[str, str], exports: Path, sandbox: Sandbox
) -> None:
    export(exports, "customers/2024-02.csv", [f"C0,{OLD},Initech"], NOW - timedelta(hours=2))
    rows = [f"C1,{OLD},Acme", f"C2,{OLD}", f"C3,{OLD},Globex", f"C4,{OLD},Hooli,Inc", f"C5,{OLD},Stark"]
    export(exports, FILE, rows, NOW - timedelta(hours=1))

    code, first = hub(project, env, "sync", SYNC)
    assert (code, first["status"], first["created"], first["quarantined"]) == (1, "partial", 4, 2)
    assert first["read"] == 6
    assert companies(sandbox) == {"Initech": 1, "Acme": 1, "Globex": 1, "Stark": 1}
    entries = open_entries(project, env)
    assert set(entries) == {f"{FILE}:3", f"{FILE}:5"}
    short, long = entries[f"{FILE}:3"], entries[f"{FILE}:5"]
    assert (short["stage"], short["system"], short["record"]["text"]) == ("read", "files", f"C2,{OLD}\n")
    assert short["errors"] == [
        {
            "field": "(record)",
            "rule": "unreadable",
            "message": f"{FILE} line 3: 2 cells where the header has 3",
            "file": FILE,
            "line": 3,
        }
    ]
    assert long["errors"][0]["message"] == f"{FILE} line 5: 4 cells where the header has 3"
    table = CliRunner().invoke(app, ["quarantine", "list", SYNC, "--project", str(project)], env=env)
    assert f"files:{FILE}:3" in table.stdout and f"(record): {FILE} line 3" in table.stdout
    assert "open: 2" in table.stdout

    code, unchanged = hub(project, env, "sync", SYNC)  # the bad lines are still there, unchanged
    assert (code, unchanged["created"], unchanged["updated"], unchanged["quarantined"]) == (0, 0, 0, 0)
    assert {k: e["attempts"] for k, e in open_entries(project, env).items()} == {
        f"{FILE}:3": 1,
        f"{FILE}:5": 1,
    }

    # Line 3 fixed (its cursor still the old one); a new row moves the still bad line to line 6.
    fresh = (NOW - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [f"C1,{OLD},Acme", f"C2,{OLD},Umbrella", f"C3,{OLD},Globex", f"C6,{fresh},Wayne"]
    export(exports, FILE, [*rows, f"C4,{OLD},Hooli,Inc", f"C5,{OLD},Stark"], NOW - timedelta(minutes=30))
    code, fixed = hub(project, env, "sync", SYNC)
    assert (code, fixed["created"], fixed["updated"], fixed["quarantined"]) == (1, 2, 0, 1)  # line 6 is new
    assert companies(sandbox) == {n: 1 for n in ("Initech", "Acme", "Globex", "Stark", "Umbrella", "Wayne")}
    entries = open_entries(project, env)
    assert list(entries) == [f"{FILE}:6"]
    assert entries[f"{FILE}:6"]["errors"][0]["message"] == f"{FILE} line 6: 4 cells where the header has 3"
    store = StateStore(env["HUB_STATE_URL"])
    resolved = {q.record_id: q.status for q in store.quarantined(SYNC, status=None)}
    store.close()
    assert resolved == {f"{FILE}:3": "resolved", f"{FILE}:5": "resolved", f"{FILE}:6": "open"}

    code, again = hub(project, env, "sync", SYNC)
    assert (code, again["created"], again["updated"], again["quarantined"]) == (0, 0, 0, 0)
    assert "hubspot" not in again["api_calls"]  # not one call to the target
    assert list(open_entries(project, env)) == [f"{FILE}:6"]


def test_quarantine_retry_reads_the_file_again(
    project: Path, env: dict[str, str], exports: Path, sandbox: Sandbox
) -> None:
    export(exports, FILE, [f"C1,{OLD},Acme", f"C2,{OLD}"], NOW - timedelta(hours=1))
    code, first = hub(project, env, "sync", SYNC)
    assert (code, first["created"], first["quarantined"]) == (1, 1, 1)

    code, kept = hub(project, env, "quarantine", "retry", SYNC)  # still bad: kept, one attempt more
    assert (code, kept["status"], kept["quarantined"], kept["created"]) == (1, "partial", 1, 0)
    assert open_entries(project, env)[f"{FILE}:3"]["attempts"] == 2

    # Fixed in place, its modification time kept: no sync would see it, a retry does.
    stamp = (exports / FILE).stat().st_mtime
    (exports / FILE).write_text(HEADER + f"C1,{OLD},Acme\nC2,{OLD},Umbrella\n", encoding="utf-8")
    os.utime(exports / FILE, (stamp, stamp))
    code, retried = hub(project, env, "quarantine", "retry", SYNC)
    assert (code, retried["status"], retried["created"], retried["quarantined"]) == (0, "success", 1, 0)
    assert companies(sandbox) == {"Acme": 1, "Umbrella": 1}
    assert open_entries(project, env) == {}

    (exports / FILE).unlink()  # a file gone takes its bad lines' entries with it
    export(exports, "customers/2024-04.csv", ["C9"], NOW - timedelta(minutes=5))
    code, _ = hub(project, env, "sync", SYNC)
    assert list(open_entries(project, env)) == ["customers/2024-04.csv:2"]
    (exports / "customers" / "2024-04.csv").unlink()
    code, gone = hub(project, env, "quarantine", "retry", SYNC)
    assert (code, gone["quarantined"]) == (0, 0)
    store = StateStore(env["HUB_STATE_URL"])
    [entry] = store.quarantined(SYNC, record_ids=["customers/2024-04.csv:2"], status=None)
    store.close()
    assert entry.status == "gone"
