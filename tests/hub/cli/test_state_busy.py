"""A SQLite state store another process keeps busy past the wait (two runs at once under faults):
the run ends with one line saying what happened and what to do, never SQLAlchemy's own text."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hub.state import database
from tests.hub.state.test_instances import hub, two_databases  # noqa: F401 - the fixture


def test_a_busy_sqlite_store_is_one_line_with_what_to_do(
    two_databases: tuple[Path, dict[str, str]],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project, env = two_databases
    assert hub("sync", "crm_to_dw", "--project", str(project), env=env)[0] == 0  # the store exists
    monkeypatch.setattr(database, "SQLITE_BUSY_MS", 200)
    holder = sqlite3.connect(project / ".hub" / "state.db", timeout=1)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing, for longer than the wait
    try:
        code, stdout, stderr = hub("sync", "crm_to_dw", "--project", str(project), env=env)
    finally:
        holder.rollback()
        holder.close()
    assert code == 1, stdout + stderr
    assert stderr.count("\n") == 1 and "database is locked" in stderr
    assert "run one sync at a time on SQLite" in stderr and "PostgreSQL" in stderr
    assert "sqlalche.me" not in stderr and "Background on this error" not in stderr
