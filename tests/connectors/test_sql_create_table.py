"""`create_table: true`: a missing target table is made from the mapping (an autoincrementing primary
key, the external-id column UNIQUE, the cursor a timestamp, the rest text unless typed), on SQLite and
PostgreSQL, and an existing table is left as it is."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.sql import SQLConnector
from hub.errors import ConfigError
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.records import WriteOp
from tests.connectors.kit_sql import pg_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A database URL and the schema prefix tables go in ("" on SQLite)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dw.sqlite'}"
        sa.create_engine(url).connect().close()  # the file must exist
        yield url, ""
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(pg_url())
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    yield pg_url(), f"{schema}."
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


def connector(url: str) -> SQLConnector:
    spec = {"conn_type": "omnihub_sql", "extra": {"url": url}}
    return SQLConnector(parse_connection("warehouse", json.dumps(spec)))


def accounts(prefix: str, create: Any) -> ObjectSpec:
    fields = ("id", "updated_at", "hub_id", "name", "employees")
    return ObjectSpec(
        f"{prefix}accounts", fields, "id", "updated_at", "hub_id", options={"create_table": create}
    )


def test_a_missing_table_is_created_from_the_mapping_and_upserts_by_its_unique_hub_id(
    database: tuple[str, str],
) -> None:
    url, prefix = database
    sql = connector(url)
    obj = accounts(prefix, {"columns": {"employees": "integer"}})
    first = sql.write(obj, [WriteOp(f"hub-{i}", {"name": f"Co {i}", "employees": str(i)}) for i in range(3)])
    assert [(r.id, r.created) for r in first] == [("1", True), ("2", True), ("3", True)]
    again = sql.write(obj, [WriteOp("hub-1", {"name": "Renamed", "employees": 7})])
    assert (again[0].id, again[0].created) == ("2", False)
    shape = {f.name: f for f in sql.describe(obj.name, sample=0).fields}
    assert list(shape) == ["id", "hub_id", "updated_at", "name", "employees"]
    assert "int" in shape["id"].type and "int" in shape["employees"].type
    assert shape["name"].type == "text" and shape["updated_at"].type.startswith(("timestamp", "datetime"))
    rows = {r["hub_id"]: r for p in sql.read_changes(obj, None, 10) for r in p.records}
    assert rows["hub-1"]["name"] == "Renamed" and rows["hub-1"]["employees"] == 7
    assert all(r["updated_at"].endswith("Z") for r in rows.values())  # stamped as a time
    engine = sa.create_engine(url)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO {prefix}accounts (hub_id, name) VALUES ('hub-0', 'Twin')")
    engine.dispose()
    sql.close()


def test_without_the_option_a_missing_table_is_still_an_error_and_an_existing_one_is_kept(
    database: tuple[str, str],
) -> None:
    url, prefix = database
    with pytest.raises(ConfigError, match="there is no table"):
        connector(url).write(accounts(prefix, False), [WriteOp("hub-1", {"name": "Co"})])
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE {prefix}accounts (id {'SERIAL' if prefix else 'INTEGER'} PRIMARY KEY, "
            "hub_id TEXT UNIQUE, name TEXT, "
            "employees TEXT, updated_at TIMESTAMP, note TEXT)"
        )
    engine.dispose()
    sql = connector(url)
    assert sql.write(accounts(prefix, True), [WriteOp("hub-1", {"name": "Co"})])[0].created
    assert "note" in {f.name for f in sql.describe(f"{prefix}accounts", sample=0).fields}
    sql.close()
