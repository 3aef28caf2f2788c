"""The SQL connector's bulk work on PostgreSQL: a page is COPYed into a staging table and merged by
one `INSERT … SELECT … ON CONFLICT … RETURNING`; what COPY cannot carry falls back to the multi-row
statement, and refused records are still isolated one by one. A read is one statement streamed a page
at a time, resumed after its last row when the connection breaks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
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


def driver_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the driver sends: the statements of SQLAlchemy and of the driver's own cursors alike."""
    seen: list[str] = []
    execute = psycopg.Cursor.execute

    def recorded(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(query))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", recorded)
    return seen


def test_a_page_is_copied_then_merged_in_one_statement_and_a_rerun_updates_it(
    schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, table, obj = customers(schema)
    sql = connector()
    ops = [WriteOp(f"hub-{i}", {"name": f"Company {i}"}) for i in range(900)]
    assert sql.count(obj, None) == 0  # reflects the table first
    seen = driver_statements(monkeypatch)
    first = sql.write(obj, ops)
    assert all(r.ok and r.created for r in first)
    merges = [s for s in seen if "INSERT INTO" in s]
    assert len(merges) == 1 and "FROM staged" in merges[0] and "VALUES" not in merges[0]
    # three round trips besides the transaction's own: the savepoint with the stage, the COPY (not an
    # execute), the merge with the savepoint's release; no ping of a connection in use
    assert (
        len(seen) == 2
        and seen[0].startswith("SAVEPOINT")
        and seen[1].endswith("RELEASE SAVEPOINT omnihub_stage")
    )
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


def test_the_staging_table_is_emptied_to_nothing_at_each_commit(schema: str) -> None:
    """The merge's DELETE only marks the staged rows dead; without the truncation at commit the stage
    kept every page a connection ever wrote, and each merge scanned them all (a 1,000,000-row load
    spent 25 s of server time there, 9 s without the pile)."""
    engine, _, obj = customers(schema)
    sql = connector()
    for page in range(3):
        assert all(
            r.ok for r in sql.write(obj, [WriteOp(f"hub-{page}-{i}", {"name": "C"}) for i in range(500)])
        )
    with sql.engine.connect() as conn:  # the pooled connection that holds the temporary stage
        sizes = conn.execute(
            sa.text(
                "SELECT pg_relation_size(oid) FROM pg_class "
                "WHERE relnamespace = pg_my_temp_schema() AND relname LIKE 'omnihub_stage%'"
            )
        ).scalars()
        assert list(sizes) == [0]
    with engine.connect() as conn:
        assert conn.execute(sa.text(f'SELECT count(*) FROM "{schema}".customers')).scalar() == 1500
    engine.dispose()


def stamped(engine: sa.Engine, table: sa.Table, count: int) -> list[str]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        {"hub_id": f"h{i}", "name": f"C{i}", "updated_at": start + timedelta(seconds=i // 3)}
        for i in range(count)
    ]
    with engine.begin() as conn:
        return [str(i) for i in conn.execute(table.insert().returning(table.c.id), rows).scalars()]


def test_a_read_is_one_statement_streamed_a_page_at_a_time(schema: str) -> None:
    engine, table, obj = customers(schema)
    made = stamped(engine, table, 25)
    sql = connector()
    assert sql.count(obj, None) == 25  # reflects the table first
    seen, before = statements(sql), sql.calls.total("sql")
    pages = list(sql.read_changes(obj, datetime(2024, 1, 1, tzinfo=UTC), 4))
    assert [len(p.records) for p in pages] == [4] * 6 + [1]
    assert [str(r["id"]) for p in pages for r in p.records] == made
    assert len(seen) == 1 and "ORDER BY" in seen[0] and "LIMIT" not in seen[0]
    assert sql.calls.total("sql") - before == 1
    engine.dispose()


def test_a_read_whose_connection_breaks_resumes_after_its_last_row(schema: str) -> None:
    """The server ends the reading session after the second page: the read waits, starts a new statement
    after the last row it handed out (rows sharing its time included), and no row is lost or repeated."""
    engine, table, obj = customers(schema)
    made = stamped(engine, table, 25)
    sql = connector()
    sql.database.sleep = lambda seconds: None
    readers: list[int] = []
    event.listen(
        sql.engine, "before_cursor_execute", lambda *a: readers.append(a[1].connection.info.backend_pid)
    )
    pages = sql.read_changes(obj, datetime(2024, 1, 1, tzinfo=UTC), 4)
    got = [next(pages), next(pages)]
    with engine.begin() as admin:
        admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": readers[-1]})
    got += list(pages)
    ids = [str(r["id"]) for p in got for r in p.records]
    assert ids == made
    assert sql.calls.retries() == {"sql": 1} and sql.calls.total("sql") >= 2
    engine.dispose()
