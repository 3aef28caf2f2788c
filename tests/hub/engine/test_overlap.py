"""A run's pages in step (issue 16): each page is written and committed on a worker thread while the
next is read and mapped. The target ends as a run without it leaves it, counts add up, and a page
that fails stops the run with nothing after it committed; the rerun finishes without a duplicate."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connectors.sql import SQLConnector
from hub.cli import app
from tests.hub.kit_sql_project import two_databases


def project_of(tmp_path: Path, rows: int) -> tuple[Path, dict[str, str]]:
    project, env = two_databases(tmp_path, rows, "page_size: 7\nbatch_size: 7\n")
    return project, {**env, "HUB_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}"}


def sync(project: Path, env: dict[str, str], overlap: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        app, ["sync", "crm_to_dw", "--json", "--project", str(project)], env={**env, "HUB_OVERLAP": overlap}
    )
    return result.exit_code, json.loads(result.stdout) if result.stdout.startswith("{") else {}


@pytest.mark.parametrize("overlap", ["1", "0"])
def test_pages_in_step_leave_what_pages_in_turn_do(tmp_path: Path, overlap: str) -> None:
    project, env = project_of(tmp_path, 50)
    code, said = sync(project, env, overlap)
    assert code == 0 and (said["read"], said["created"], said["updated"]) == (50, 50, 0)
    code, said = sync(project, env, overlap)  # the cursor's overlap window reads them again
    assert code == 0 and (said["created"], said["updated"], said["unchanged"]) == (0, 0, 50)
    with sqlite3.connect(tmp_path / "dw.db") as db:
        assert db.execute("SELECT count(*), count(DISTINCT hub_id) FROM dw_accounts").fetchone() == (50, 50)


def test_a_page_that_fails_in_flight_stops_the_run_and_the_rerun_doubles_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, env = project_of(tmp_path, 50)
    real = SQLConnector.write
    calls = {"n": 0}

    def third_write_fails(self: SQLConnector, obj: Any, ops: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the warehouse went away")
        return real(self, obj, ops)

    monkeypatch.setattr(SQLConnector, "write", third_write_fails)
    code, said = sync(project, env, "1")
    assert code != 0 and said["status"] == "failed" and said["created"] == 14
    with sqlite3.connect(tmp_path / "dw.db") as db:
        assert db.execute("SELECT count(*) FROM dw_accounts").fetchone() == (14,)  # two pages, no more
    with sqlite3.connect(tmp_path / "state.db") as db:
        cursor = db.execute("SELECT value FROM hub_cursors WHERE object = 'crm_accounts'").fetchone()
    assert cursor == ("2024-05-01T10:00:13Z",)  # the second page's last record: nothing after it committed
    monkeypatch.setattr(SQLConnector, "write", real)
    code, said = sync(project, env, "1")
    assert code == 0
    with sqlite3.connect(tmp_path / "dw.db") as db:
        assert db.execute("SELECT count(*), count(DISTINCT hub_id) FROM dw_accounts").fetchone() == (50, 50)
