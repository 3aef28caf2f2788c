"""The three ways a backfill splits a read (issue 16), on one SQL source: by time windows (each part
reads only its own), by key in the database, and by key in the engine (each part reads everything and
keeps its own). Whichever way, every record is written once and the finished backfill's cursor lets
the next run miss nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.sql import SQLConnector
from connectors.sql.source import Source
from hub.engine.pipeline import Shard
from hub.engine.sync import SyncEngine
from hub.io.connector import ObjectSpec, ShardMode
from hub.io.records import Page
from hub.project.loading import Project
from hub.state import StateStore
from tests.hub.kit_sql_project import two_databases

ROWS = 40


@pytest.mark.parametrize("mode", ["window", "key", "filter"])
def test_each_way_of_splitting_writes_every_record_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: ShardMode
) -> None:
    project, env = two_databases(tmp_path, ROWS, "page_size: 6\n")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(SQLConnector, "shard_mode", lambda self, obj: mode)
    if mode == "filter":  # as a connector that cannot narrow a read to a part's keys
        monkeypatch.setattr(Source, "shard_filter", lambda self, obj: [])
    fetched: list[int] = []
    real = SQLConnector.read_changes

    def counted(self: SQLConnector, obj: ObjectSpec, since: Any, size: int) -> Iterator[Page]:
        for page in real(self, obj, since, size):
            fetched.append(len(page.records))
            yield page

    monkeypatch.setattr(SQLConnector, "read_changes", counted)
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    engine = SyncEngine(Project.load(project), store)
    parts = [engine.sync("crm_to_dw", shard=Shard(k, 3)) for k in range(3)]
    assert sum(p.counts.read for p in parts) == ROWS  # each part processed its own records
    # a part reads its own alone, or, where the source cannot narrow its read, everything
    assert sum(fetched) == (3 * ROWS if mode == "filter" else ROWS) + (
        1 if mode == "window" else 0
    )  # the oldest change, for the plan
    assert sum(p.counts.created for p in parts) == ROWS
    finished = engine.finish_backfill("crm_to_dw", 3)
    assert finished.counts.created == 0
    with sqlite3.connect(tmp_path / "dw.db") as db:
        assert db.execute("SELECT count(*), count(DISTINCT hub_id) FROM dw_accounts").fetchone() == (
            ROWS,
            ROWS,
        )
    settled = store.cursor("crm_to_dw", "sql", "crm_accounts")
    assert settled is not None
    if mode == "window":  # where the windows end: when the plan was made, after every record's time
        assert settled == store.cursor("crm_to_dw", "sql", "crm_accounts") > "2024-05-01T10:00:39Z"


def test_time_windows_split_the_time_from_the_oldest_change_until_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The windows cut the time from the oldest record's change to the moment of the plan in equal
    whole-second parts, and a part run again gets the same window."""
    project, env = two_databases(tmp_path, ROWS, "page_size: 6\n")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(SQLConnector, "shard_mode", lambda self, obj: "window")
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    engine = SyncEngine(Project.load(project), store)
    seen: list[ObjectSpec] = []
    real = SQLConnector.read_changes

    def recorded(self: SQLConnector, obj: ObjectSpec, since: object, size: int) -> object:
        seen.append(obj)
        return real(self, obj, since, size)  # type: ignore[arg-type]

    monkeypatch.setattr(SQLConnector, "read_changes", recorded)
    engine.sync("crm_to_dw", shard=Shard(1, 4))
    plan = [store.cursor("crm_to_dw", "sql", f"crm_accounts#window{k}/4") for k in range(5)]
    assert plan[0] == "" and plan[1] is not None and plan[1] > "2024-05-01T10:00:00Z"  # the oldest change
    assert all(b and b.endswith("Z") and "." not in b for b in plan[1:])  # whole seconds
    assert plan[1:] == sorted(plan[1:])
    windows = [o.until for o in seen if o.until is not None]
    assert windows and {w.isoformat().replace("+00:00", "Z") for w in windows} == {plan[2]}
    engine.sync("crm_to_dw", shard=Shard(1, 4))  # run again: the same plan, the same window
    assert [store.cursor("crm_to_dw", "sql", f"crm_accounts#window{k}/4") for k in range(5)] == plan


@pytest.mark.parametrize("given", ["3/2", "1-2", "a/b"])
def test_a_part_named_wrongly_is_a_usage_error_saying_how_to_name_it(tmp_path: Path, given: str) -> None:
    from typer.testing import CliRunner

    from hub.cli import app

    root, env = two_databases(tmp_path, 1)
    result = CliRunner().invoke(app, ["sync", "crm_to_dw", "--shard", given, "--project", str(root)], env=env)
    assert result.exit_code == 2 and "give K/N with 0 <= K < N, such as 0/4" in result.output
    with pytest.raises(ValueError, match="give K/N"):
        Shard.parse(given)
