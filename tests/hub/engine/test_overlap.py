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


def test_a_first_load_looks_up_no_target_record_of_the_hub_ids_it_minted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hub id minted for a page is in no target yet, so change detection does not look for it there;
    a rerun, whose hub ids all stand, looks up every one."""
    from hub.state import StateStore

    project, env = project_of(tmp_path, 30)
    asked: list[str] = []
    real = StateStore.xrefs_by_hub

    def recorded(self: StateStore, entity: str, system: str, hub_ids: Any) -> Any:
        hub_ids = list(hub_ids)
        asked.extend(hub_ids)
        return real(self, entity, system, hub_ids)

    monkeypatch.setattr(StateStore, "xrefs_by_hub", recorded)
    code, said = sync(project, env, "1")
    assert code == 0 and said["created"] == 30 and asked == []
    code, said = sync(project, env, "1")
    assert code == 0 and said["unchanged"] == 30 and len(set(asked)) == 30


def test_a_record_read_again_while_its_page_commits_is_known_to_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The source hands every page twice in a row and the state store commits slowly: the second copy
    is written while the first's commit is still in flight, and the writer still knows the records it
    just wrote (they are unchanged, not created twice)."""
    import time

    from hub.state import StateStore

    project, env = project_of(tmp_path, 28)
    read, commit, write = SQLConnector.read_changes, StateStore.commit_page, SQLConnector.write
    ops: list[Any] = []

    def every_page_twice(self: SQLConnector, *args: Any, **kwargs: Any) -> Any:
        for page in read(self, *args, **kwargs):
            yield page
            yield page

    def slowly(self: StateStore, page: Any) -> None:
        time.sleep(0.2)
        commit(self, page)

    def recorded(self: SQLConnector, obj: Any, batch: Any) -> Any:
        ops.extend(batch)
        return write(self, obj, batch)

    monkeypatch.setattr(SQLConnector, "read_changes", every_page_twice)
    monkeypatch.setattr(StateStore, "commit_page", slowly)
    monkeypatch.setattr(SQLConnector, "write", recorded)
    code, said = sync(project, env, "1")
    assert code == 0 and (said["created"], said["unchanged"]) == (28, 28)
    assert len(ops) == 28 and all(op.target_id is None for op in ops)
    with sqlite3.connect(tmp_path / "dw.db") as db:
        assert db.execute("SELECT count(*), count(DISTINCT hub_id) FROM dw_accounts").fetchone() == (28, 28)


def test_a_target_record_written_by_the_page_still_committing_is_not_matched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two source records with one name, in pages in a row, and the sync matching by name: the first
    creates its target record; the second, written while the first's commit is in flight, must not
    link to that record (another hub record owns it) but make its own."""
    import time

    from hub.state import StateStore

    project, env = two_databases(tmp_path, 14, "page_size: 7\nbatch_size: 7\nmatch: [[name]]\n")
    env = {**env, "HUB_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}"}
    with sqlite3.connect(tmp_path / "crm.db") as db:  # the 1st and the 8th (the next page) share a name
        db.execute("UPDATE crm_accounts SET name = 'Twin' WHERE id IN (1, 8)")
    commit = StateStore.commit_page

    def slowly(self: StateStore, page: Any) -> None:
        time.sleep(0.3)
        commit(self, page)

    monkeypatch.setattr(StateStore, "commit_page", slowly)
    code, said = sync(project, env, "1")
    assert code == 0 and said["created"] == 14
    with sqlite3.connect(tmp_path / "dw.db") as db:
        assert db.execute("SELECT count(*) FROM dw_accounts WHERE name = 'Twin'").fetchone() == (2,)
