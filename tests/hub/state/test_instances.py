"""Two instances of one system: state keyed by connection (`system@connection` for any but the
default), a sync from one SQL database to another, PostgreSQL stores widened in place, and a store
written before instances handing its state to the one connection a project now uses."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.project.loading import Endpoint
from hub.state import StateStore, XrefRow
from hub.state.database import open_database
from hub.state.rows import PageCommit, QuarantineEntry
from tests.hub import kit_sql_project


def hub(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_an_instance_is_its_system_for_the_default_connection_else_system_at_connection() -> None:
    assert Endpoint("salesforce", "salesforce_default", "salesforce/account").instance == "salesforce"
    assert (
        Endpoint("salesforce", "salesforce_eu", "salesforce/account").instance == "salesforce@salesforce_eu"
    )


@pytest.fixture
def two_databases(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A project syncing accounts from one SQLite database (sql_default) to another (warehouse)."""
    return kit_sql_project.two_databases(tmp_path)


def test_a_sync_between_two_databases_of_one_system_keeps_two_sets_of_ids(
    two_databases: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, env = two_databases
    code, stdout, stderr = hub("validate", "--project", str(project), env=env)
    assert code == 0, stdout + stderr
    code, stdout, stderr = hub("sync", "crm_to_dw", "--json", "--project", str(project), env=env)
    assert code == 0, stdout + stderr
    assert json.loads(stdout)["created"] == 25
    code, stdout, _ = hub("sync", "crm_to_dw", "--json", "--project", str(project), env=env)
    again = json.loads(stdout)
    assert (again["created"], again["updated"]) == (0, 0)
    with sqlite3.connect(tmp_path / "dw.db") as db:
        assert db.execute("SELECT count(*), count(DISTINCT hub_id) FROM dw_accounts").fetchone() == (25, 25)
    with sqlite3.connect(project / ".hub" / "state.db") as db:
        keys = dict(db.execute("SELECT system, count(*) FROM hub_xref GROUP BY system").fetchall())
    assert keys == {"sql": 25, "sql@warehouse": 25}  # the same ids (1..25) in both, never mixed


def test_a_postgresql_store_from_before_instances_is_widened_in_place(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE hub_xref (entity varchar(50), system varchar(50), external_id varchar(255), "
            "hub_id varchar(36) NOT NULL, last_hash varchar(32), last_modified varchar(40), deleted boolean "
            "NOT NULL, updated_at varchar(40) NOT NULL, PRIMARY KEY (entity, system, external_id))"
        )
    open_database(pg_url).dispose()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        widths = conn.execute(
            "SELECT table_name, character_maximum_length FROM information_schema.columns "
            "WHERE column_name = 'system' AND table_name LIKE 'hub_%' ORDER BY table_name"
        ).fetchall()
    assert widths == [
        ("hub_cursors", 200),
        ("hub_identity_records", 200),
        ("hub_overrides", 200),
        ("hub_quarantine", 200),
        ("hub_xref", 200),
    ]
    store = StateStore(pg_url)
    long_key = "salesforce@" + "salesforce_after_the_merger_" * 5
    store.commit_page(PageCommit("s", "r", xrefs=[XrefRow("account", long_key, "001", "h1")]))
    assert store.xrefs_by_external("account", long_key, ["001"])["001"].hub_id == "h1"


def test_state_kept_under_the_system_moves_to_the_one_instance_a_project_uses(store_url: str) -> None:
    store = StateStore(store_url)
    store.commit_page(
        PageCommit(
            "s",
            "run",
            xrefs=[XrefRow("account", "salesforce", "001", "h1")],
            quarantined=[QuarantineEntry("salesforce", "Account", "002", "map", [{"message": "x"}], {})],
            cursor=("salesforce", "Account", "2024-05-01T00:00:00Z"),
        )
    )
    instance = "salesforce@salesforce_eu"
    assert store.adopt_instances({instance: "salesforce"}) == [instance]
    assert store.xrefs_by_external("account", instance, ["001"]) and not store.xrefs_by_external(
        "account", "salesforce", ["001"]
    )
    assert store.cursor("s", instance, "Account") == "2024-05-01T00:00:00Z"
    assert [q.system for q in store.quarantined("s")] == [instance]
    # once it holds state of its own, nothing moves again
    store.commit_page(PageCommit("s", "run", xrefs=[XrefRow("account", "salesforce", "009", "h9")]))
    assert store.adopt_instances({instance: "salesforce"}) == []
    assert store.xrefs_by_external("account", "salesforce", ["009"])


def test_a_store_from_0_2_keeps_one_hub_index_instead_of_two(store_url: str) -> None:
    """0.2 kept a unique (entity, system, hub_id) and an index on (entity, hub_id); one unique
    (entity, hub_id, system) does both, and a store from then is moved to it on open."""
    from sqlalchemy import create_engine, text

    engine = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE hub_xref (entity varchar(50), system varchar(200), external_id varchar(255), "
                "hub_id varchar(36) NOT NULL, last_hash varchar(32), last_modified varchar(40), deleted "
                "boolean NOT NULL, updated_at varchar(40) NOT NULL, PRIMARY KEY (entity, system, external_id), "
                "CONSTRAINT uq_hub_xref_hub UNIQUE (entity, system, hub_id))"
            )
        )
        conn.execute(text("CREATE INDEX ix_hub_xref_hub ON hub_xref (entity, hub_id)"))
    store = StateStore(store_url)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            query = "SELECT indexname FROM pg_indexes WHERE tablename = 'hub_xref' ORDER BY 1"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'hub_xref' ORDER BY 1"
        indexes = [row[0] for row in conn.execute(text(query))]
    engine.dispose()
    assert "ix_hub_xref_hub" not in indexes and "uq_hub_xref_hub_system" in indexes
    if store_url.startswith("postgresql"):
        assert indexes == ["hub_xref_pkey", "uq_hub_xref_hub_system"]
    StateStore(store_url).close()  # a second open finds nothing to move
    store.commit_page(PageCommit("s", "r", xrefs=[XrefRow("account", "odoo", "1", "h1")]))
    with pytest.raises(Exception):  # noqa: B017 - the database's own integrity error
        store.commit_page(PageCommit("s", "r", xrefs=[XrefRow("account", "odoo", "2", "h1")]))
    assert store.xrefs_by_hub("account", "odoo", ["h1"])["h1"].external_id == "1"
    store.close()
