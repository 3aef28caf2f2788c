"""The SQL connector's bulk writes on PostgreSQL: a page is COPYed into a staging table and merged by
one `INSERT … SELECT … ON CONFLICT … RETURNING`; what COPY cannot carry falls back to the multi-row
statement, and refused records are still isolated one by one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import JSONB

from connectors.sql import SQLConnector
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.records import WriteOp
from tests.connectors.kit_sql import pg_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema() -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(pg_url())
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    yield name
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    engine.dispose()


def connector() -> SQLConnector:
    spec = f'{{"conn_type": "omnihub_sql", "extra": {{"url": "{pg_url()}"}}}}'
    return SQLConnector(parse_connection("sql_default", spec))


def customers(schema: str, *extra: sa.Column[Any]) -> tuple[sa.Engine, sa.Table, ObjectSpec]:
    engine = sa.create_engine(pg_url())
    table = sa.Table(
        "customers",
        sa.MetaData(),
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("hub_id", sa.String(64), unique=True),
        sa.Column("name", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        *extra,
        schema=schema,
    )
    table.create(engine)
    fields = ("id", "hub_id", "name", "updated_at", *(c.name for c in extra))
    return engine, table, ObjectSpec(f"{schema}.customers", fields, "id", "updated_at", "hub_id")


def statements(connector: SQLConnector) -> list[str]:
    seen: list[str] = []
    event.listen(connector.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_a_page_is_copied_then_merged_in_one_statement_and_a_rerun_updates_it(schema: str) -> None:
    engine, table, obj = customers(schema)
    sql = connector()
    ops = [WriteOp(f"hub-{i}", {"name": f"Company {i}"}) for i in range(900)]
    seen = statements(sql)
    first = sql.write(obj, ops)
    assert all(r.ok and r.created for r in first)
    merges = [s for s in seen if "INSERT INTO" in s]
    assert len(merges) == 1 and "FROM staged" in merges[0] and "VALUES" not in merges[0]
    again = sql.write(obj, [WriteOp(op.hub_id, {"name": "Renamed"}) for op in ops[:300]])
    assert all(r.ok and not r.created for r in again)
    assert [r.id for r in again] == [r.id for r in first[:300]]
    with engine.connect() as conn:
        names = dict(conn.execute(sa.select(table.c.name, sa.func.count()).group_by(table.c.name)).all())
        stamped = conn.execute(sa.select(sa.func.count()).where(table.c.updated_at.is_(None))).scalar()
    assert names["Renamed"] == 300 and len(names) == 601 and stamped == 0
    engine.dispose()


def test_what_copy_cannot_carry_falls_back_and_a_refused_record_stands_alone(schema: str) -> None:
    engine, table, obj = customers(schema, sa.Column("profile", JSONB))
    sql = connector()
    ops = [WriteOp(f"hub-{i}", {"name": f"Company {i}", "profile": {"tier": i}}) for i in range(10)]
    ops[4] = WriteOp("hub-4", {"name": "A name far longer than twenty characters"})
    results = sql.write(obj, ops)
    assert [r.ok for r in results] == [True] * 4 + [False] + [True] * 5
    assert results[4].error is not None and results[4].error.code == "StringDataRightTruncation"
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.hub_id, table.c.profile).order_by(table.c.id)).all()
    assert len(rows) == 9 and rows[0].profile == {"tier": 0}
    engine.dispose()
