"""The SQL connector against real databases: a SQLite file and the local PostgreSQL (a throwaway schema).

Keyset paging, exact decimals and times, batched upserts with refused records isolated, transient
failures replayed and counted, connection errors an operator can act on, no password anywhere.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from connectors.sql import SQLConnector
from connectors.sql.database import database_url
from hub.errors import AuthenticationError, ConfigError, RetryableAPIError, UnsupportedOperation
from hub.io.connections import Connection, parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import WriteOp
from tests.connectors.kit_sql import pg_url

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
QUICK = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.002)
SECRET = "S3cret-Pass-777"
PEOPLE_FIELDS = ("id", "updated_at", "hub_id", "name", "email")


@dataclass
class Db:
    """One throwaway database: the test's own engine, the schema tables go in, the connector's URL."""

    kind: str
    url: str
    schema: str | None
    engine: sa.Engine

    def name(self, table: str) -> str:
        return f"{self.schema}.{table}" if self.schema else table

    def connector(self, password: str | None = None, **extra: Any) -> SQLConnector:
        spec: dict[str, Any] = {"conn_type": "omnihub_sql", "extra": {"url": self.url, **extra}}
        if password:
            spec["password"] = password
        return SQLConnector(parse_connection("sql_default", json.dumps(spec)), policy=QUICK)

    def table(self, name: str, *columns: sa.Column[Any], **options: Any) -> sa.Table:
        table = sa.Table(name, sa.MetaData(), *columns, schema=self.schema, **options)
        table.create(self.engine)
        return table

    def insert(self, table: sa.Table, rows: list[dict[str, Any]]) -> list[str]:
        with self.engine.begin() as conn:
            made = conn.execute(table.insert().returning(table.c.id), rows)
            return [str(i) for i in made.scalars()]

    def rows(self, table: sa.Table) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    if request.param == "sqlite":
        url = f"sqlite:///{(tmp_path / 'finance.sqlite').resolve()}"
        engine = sa.create_engine(url)
        with engine.connect():
            pass  # creates the file
        yield Db("sqlite", url, None, engine)
        engine.dispose()
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(pg_url())
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield Db("postgresql", pg_url(), schema, engine)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


def people(db: Db, *, unique_hub_id: bool = True) -> tuple[sa.Table, ObjectSpec]:
    table = db.table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("updated_at", sa.DateTime),
        sa.Column("hub_id", sa.String(64), unique=unique_hub_id),
        sa.Column("name", sa.String(20), nullable=False),
        sa.Column("email", sa.String(200)),
        sa.Column("active", sa.Boolean),
        sa.Column("age", sa.Integer),
    )
    return table, ObjectSpec(db.name("people"), PEOPLE_FIELDS, "id", "updated_at", "hub_id")


def person(i: int, **values: Any) -> WriteOp:
    return WriteOp(str(uuid.uuid4()), {"name": f"Person {i}", "email": f"p{i}@example.com", **values})


def read(connector: SQLConnector, obj: ObjectSpec, since: datetime | None = None, page: int = 3) -> list[Any]:
    return [r for p in connector.read_changes(obj, since, page) for r in p.records]


def naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def sql_calls(connector: SQLConnector) -> int:
    return connector.calls.total("sql")


def fail_statements(engine: sa.Engine, plan: list[bool], error: Callable[[], Exception]) -> None:
    """Raise `error()` for the statements whose turn in `plan` is True (later ones run normally)."""
    turns = iter(plan)

    def before(*args: Any) -> None:
        if next(turns, False):
            raise error()

    event.listen(engine, "before_cursor_execute", before)


def transient(db: Db) -> Exception:
    if db.kind == "sqlite":
        return sqlite3.OperationalError("database is locked")
    return psycopg.errors.SerializationFailure("could not serialize access due to concurrent update")


# Connections ----------------------------------------------------------------------------------------
def test_a_url_extra_takes_the_password_from_the_password_field() -> None:
    conn = Connection(
        "sql_default",
        "omnihub_sql",
        password=SECRET,
        extra={"url": "postgresql://finance@db.example.com:5432/ledger"},
    )
    url = database_url(conn)
    assert url.drivername == "postgresql+psycopg"  # plain postgresql means psycopg 3
    assert (url.username, url.host, url.port, url.database, url.password) == (
        "finance",
        "db.example.com",
        5432,
        "ledger",
        SECRET,
    )
    assert SECRET not in repr(url) and SECRET not in str(url)


def test_the_standard_fields_name_the_database_too() -> None:
    conn = parse_connection("sql_default", f"omnihub-sql://finance:{SECRET}@db.example.com:6432/ledger")
    url = database_url(conn)
    assert (url.drivername, url.host, url.port, url.database, url.password) == (
        "postgresql+psycopg",
        "db.example.com",
        6432,
        "ledger",
        SECRET,
    )
    mysql = Connection(
        "x", "omnihub_sql", host="h", schema="db", login="u", extra={"dialect": "mysql+pymysql"}
    )
    assert database_url(mysql).drivername == "mysql+pymysql"


def test_a_password_inside_the_url_extra_is_refused_without_showing_it() -> None:
    conn = Connection("sql_default", "omnihub_sql", extra={"url": f"postgresql://finance:{SECRET}@db/ledger"})
    with pytest.raises(ConfigError) as caught:
        database_url(conn)
    assert "password field" in str(caught.value) and SECRET not in str(caught.value)


def test_a_missing_sqlite_file_is_a_configuration_error_not_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "typo.sqlite"
    conn = Connection("sql_default", "omnihub_sql", extra={"url": f"sqlite:///{path}"})
    with pytest.raises(ConfigError, match="does not exist"):
        SQLConnector(conn).check()
    assert not path.exists()


def test_a_connection_naming_no_database_says_how_to_name_one() -> None:
    with pytest.raises(ConfigError, match="extra 'url'"):
        SQLConnector(Connection("sql_default", "omnihub_sql")).check()


def test_check_says_which_server_it_reached(db: Db) -> None:
    message = db.connector(SECRET if db.kind == "postgresql" else None).check()
    assert "'sql_default'" in message
    assert ("SQLite 3." if db.kind == "sqlite" else "PostgreSQL ") in message
    assert SECRET not in message


@pytest.mark.postgres
def test_a_refused_login_names_the_connection_and_never_the_password() -> None:
    role = f"nobody_{uuid.uuid4().hex[:8]}"  # trust auth accepts any password, but not an unknown role
    url = pg_url().replace("postgres@", f"{role}@")
    spec = {"conn_type": "omnihub_sql", "password": SECRET, "extra": {"url": url}}
    connector = SQLConnector(parse_connection("sql_default", json.dumps(spec)), policy=QUICK)
    with pytest.raises(AuthenticationError) as caught:
        connector.check()
    message = str(caught.value)
    assert "'sql_default'" in message and role in message and SECRET not in message
    assert connector.calls.retries() == {}  # a refusal is not retried


@pytest.mark.postgres
def test_a_missing_database_is_a_configuration_error() -> None:
    name = f"no_db_{uuid.uuid4().hex[:8]}"
    spec = {
        "conn_type": "omnihub_sql",
        "password": SECRET,
        "extra": {"url": pg_url().rsplit("/", 1)[0] + f"/{name}"},
    }
    connector = SQLConnector(parse_connection("sql_default", json.dumps(spec)), policy=QUICK)
    with pytest.raises(ConfigError) as caught:
        connector.fetch(ObjectSpec("people", ("id",), "id"), ["1"])
    message = str(caught.value)
    assert "'sql_default'" in message and f'database "{name}" does not exist' in message
    assert SECRET not in message


def test_an_unreachable_server_is_retried_then_reported(caplog: pytest.LogCaptureFixture) -> None:
    url = "postgresql+psycopg://finance@127.0.0.1:1/ledger"  # nothing listens on port 1
    spec = {"conn_type": "omnihub_sql", "password": SECRET, "extra": {"url": url}}
    connector = SQLConnector(parse_connection("sql_default", json.dumps(spec)), policy=QUICK)
    with caplog.at_level(logging.WARNING), pytest.raises(RetryableAPIError) as caught:
        connector.check()
    assert "still failing after 4 attempts" in str(caught.value) and SECRET not in str(caught.value)
    assert connector.calls.retries() == {"sql": 3}
    assert caplog.records and all(SECRET not in r.getMessage() for r in caplog.records)


def test_a_missing_table_or_column_is_a_clear_configuration_error(db: Db) -> None:
    people(db)
    connector = db.connector()
    with pytest.raises(ConfigError, match="no table"):
        connector.count(ObjectSpec(db.name("peeple"), (), "id"), None)
    with pytest.raises(ConfigError, match="has no column 'nmae'; its columns are: id, updated_at"):
        read(connector, ObjectSpec(db.name("people"), ("id", "nmae"), "id"))


# Reads ------------------------------------------------------------------------------------------------
def test_keyset_paging_never_loses_or_repeats_rows_sharing_a_time(db: Db) -> None:
    table, obj = people(db)
    times = [START] * 5 + [START + timedelta(seconds=1)] * 4 + [START + timedelta(seconds=2)]
    made = db.insert(table, [{"name": f"P{i}", "updated_at": naive(t)} for i, t in enumerate(times)])
    connector = db.connector()
    for page in (1, 2, 3, 4, 5):
        ids = [str(r["id"]) for r in read(connector, obj, None, page)]
        assert ids == made  # each once, oldest first (ties by id)
    pages = list(connector.read_changes(obj, START + timedelta(seconds=1), 3))
    assert [len(p.records) for p in pages] == [3, 2]
    assert [p.cursor for p in pages] == [START + timedelta(seconds=1), START + timedelta(seconds=2)]
    assert all(p.cursor is not None and p.cursor.tzinfo is not None for p in pages)


def test_sqlite_times_spelled_differently_still_page_exactly(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, updated_at DATETIME, memo TEXT)")
        spellings = [
            "2024-03-01 12:00:00",
            "2024-03-01 12:00:00.000000",
            "2024-03-01 12:00:00",
            "2024-03-01 12:00:00.5",
        ]
        spellings += ["2024-03-01 11:59:59", "2024-03-01 12:00:00.000000", "2024-03-01 12:00:01"]
        raw.executemany("INSERT INTO entries (updated_at, memo) VALUES (?, 'x')", [(s,) for s in spellings])
    spec = {"conn_type": "omnihub_sql", "extra": {"url": f"sqlite:///{path}"}}
    connector = SQLConnector(parse_connection("sql_default", json.dumps(spec)))
    obj = ObjectSpec("entries", ("id", "updated_at"), "id", "updated_at")
    for page in (1, 2, 3):
        ids = [r["id"] for r in read(connector, obj, START, page)]
        assert sorted(ids) == [1, 2, 3, 4, 6, 7] and len(ids) == len(set(ids))
    assert read(connector, obj, START, 10)[-1]["updated_at"] == "2024-03-01T12:00:01Z"
    assert connector.count(obj, START) == 6


def test_a_naive_timestamp_is_utc_and_an_aware_one_is_converted(db: Db) -> None:
    table, obj = people(db)
    db.insert(table, [{"name": "Naive", "updated_at": datetime(2024, 3, 1, 12, 0, 0, 250000)}])
    page = next(iter(db.connector().read_changes(obj, None, 10)))
    assert page.records[0]["updated_at"] == "2024-03-01T12:00:00.250Z"
    assert page.cursor == datetime(2024, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
    if db.kind == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE TABLE {db.name('events')} (id int PRIMARY KEY, at timestamptz)")
            conn.exec_driver_sql(f"INSERT INTO {db.name('events')} VALUES (1, '2024-03-01 14:00:00+02')")
        events = ObjectSpec(db.name("events"), ("id", "at"), "id", "at")
        pages = list(db.connector().read_changes(events, datetime(2024, 3, 1, 12, tzinfo=UTC), 10))
        assert pages[0].records == [{"id": 1, "at": "2024-03-01T12:00:00Z"}]
        assert pages[0].cursor == datetime(2024, 3, 1, 12, tzinfo=UTC)


def test_a_full_read_includes_rows_never_stamped_and_works_without_a_cursor(db: Db) -> None:
    table, obj = people(db)
    made = db.insert(
        table, [{"name": f"P{i}", "updated_at": None if i % 3 == 0 else naive(START)} for i in range(8)]
    )
    connector = db.connector()
    assert sorted(str(r["id"]) for r in read(connector, obj)) == sorted(made)
    assert len(read(connector, obj, START - timedelta(seconds=1))) == 5  # NULLs carry no change time
    unordered = ObjectSpec(obj.name, ("id", "name"), "id")
    assert [str(r["id"]) for r in read(connector, unordered, None, 3)] == made
    assert all(p.cursor is None for p in connector.read_changes(unordered, None, 3))


def test_count_and_the_mapping_filter_are_sql_conditions(db: Db) -> None:
    table, obj = people(db)
    rows = [
        {"name": f"P{i}", "updated_at": naive(START + timedelta(minutes=i)), "active": i % 2 == 0}
        for i in range(6)
    ]
    rows.append({"name": "Nobody", "updated_at": naive(START), "active": None})
    db.insert(table, rows)
    connector = db.connector()
    active = ObjectSpec(obj.name, obj.fields, "id", "updated_at", "hub_id", filter={"active": True})
    assert connector.count(obj, None) == 7
    assert connector.count(active, None) == 3
    assert connector.count(active, START + timedelta(minutes=2)) == 2
    assert sorted(r["name"] for r in read(connector, active)) == ["P0", "P2", "P4"]
    not_active = ObjectSpec(obj.name, obj.fields, "id", filter={"active": {"not": True}})
    assert sorted(r["name"] for r in read(connector, not_active)) == ["Nobody", "P1", "P3", "P5"]
    not_in = ObjectSpec(obj.name, obj.fields, "id", filter={"name": {"not_in": ["P0", "P1", "Nobody"]}})
    assert connector.count(not_in, None) == 4


def test_numbers_stay_exact_and_times_read_as_text(db: Db) -> None:
    big = db.kind == "postgresql"
    db.table(
        "invoices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("hub_id", sa.String(64), unique=True),
        sa.Column("total", sa.Numeric(20 if big else 12, 2)),
        sa.Column("due", sa.Date),
        sa.Column("rate", sa.Float),
        sa.Column("paid", sa.Boolean),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    obj = ObjectSpec(db.name("invoices"), (), "id", "updated_at", "hub_id")
    connector = db.connector()
    total = "123456789012345678.91" if big else "1234567890.10"
    op = WriteOp("inv-1", {"total": total, "due": "2024-04-30", "rate": "0.25", "paid": "true"})
    second = WriteOp(
        "inv-2", {"total": 0.1, "due": "2024-05-01T00:00:00Z", "updated_at": "2024-03-01T14:00:00+02:00"}
    )
    results = connector.write(obj, [op, second])
    assert all(r.ok for r in results), results
    records = connector.fetch(obj, [str(r.id) for r in results])
    first = next(r for r in records if r["hub_id"] == "inv-1")
    assert first["total"] == Decimal(total) and isinstance(first["total"], Decimal)
    assert str(first["total"]) == total
    assert (first["due"], first["rate"], first["paid"]) == ("2024-04-30", 0.25, True)
    other = next(r for r in records if r["hub_id"] == "inv-2")
    assert other["total"] == Decimal("0.10") and other["due"] == "2024-05-01"
    assert other["updated_at"] == "2024-03-01T12:00:00Z"


def test_fetch_and_find_use_in_lists_in_chunks(db: Db) -> None:
    table, obj = people(db)
    made = db.insert(
        table,
        [{"name": f"P{i}", "email": f"p{i}@example.com", "updated_at": naive(START)} for i in range(1200)],
    )
    connector = db.connector()
    connector.count(obj, None)  # reflected once before counting statements
    before = sql_calls(connector)
    fetched = connector.fetch(obj, [*made, "999999", "not-a-number", made[0]])
    assert sorted(str(r["id"]) for r in fetched) == sorted(made)
    assert sql_calls(connector) - before == 3  # 1200 ids in IN lists of 500
    found = connector.find(obj, {"email": ["p7@example.com", "p8@example.com", "nobody@example.com"]})
    assert sorted(r["name"] for r in found) == ["P7", "P8"]
    both = connector.find(obj, {"email": ["p7@example.com", "p8@example.com"], "name": ["P8"]})
    assert [r["name"] for r in both] == ["P8"]
    assert connector.find(obj, {"id": ["abc"]}) == []


# Writes -----------------------------------------------------------------------------------------------
def test_an_upsert_by_hub_id_creates_then_updates_in_one_statement_per_batch(db: Db) -> None:
    table, obj = people(db)
    connector = db.connector()
    connector.count(obj, None)
    ops = [person(i) for i in range(50)]
    before = sql_calls(connector)
    first = connector.write(obj, ops)
    statements = sql_calls(connector) - before
    assert statements == (1 if db.kind == "postgresql" else 2)  # SQLite first selects the existing keys
    assert all(r.ok and r.created for r in first)
    again = connector.write(obj, [WriteOp(op.hub_id, {**op.values, "name": "Renamed"}) for op in ops])
    assert all(r.ok and not r.created for r in again)
    assert [r.id for r in again] == [r.id for r in first]
    stored = db.rows(table)
    assert len(stored) == 50 and {r["name"] for r in stored} == {"Renamed"}
    assert [r["hub_id"] for r in stored] == [op.hub_id for op in ops]


def test_a_target_id_updates_that_row_and_a_missing_one_is_not_found(db: Db) -> None:
    table, obj = people(db)
    connector = db.connector()
    made = connector.write(obj, [person(1), person(2)])
    ops = [
        WriteOp("hub-a", {"name": "Updated"}, target_id=made[1].id),
        WriteOp("hub-b", {"name": "Ghost"}, target_id="424242"),
        WriteOp("hub-c", {"name": "Ghost"}, target_id="not-an-id"),
        person(3),
    ]
    results = connector.write(obj, ops)
    assert [r.ok for r in results] == [True, False, False, True]
    assert results[0].id == made[1].id and not results[0].created
    assert results[1].error is not None and results[1].error.code == "not_found"
    assert "424242" in results[1].error.message
    stored = {str(r["id"]): r for r in db.rows(table)}
    assert stored[str(made[1].id)]["name"] == "Updated" and stored[str(made[1].id)]["hub_id"] == "hub-a"
    assert len(stored) == 3


def test_a_mixed_batch_isolates_what_the_database_refuses(db: Db) -> None:
    table, obj = people(db)
    connector = db.connector()
    existing = person(0)
    taken = connector.write(obj, [existing])[0]
    ops = [
        person(1),
        person(2, name=None),  # NOT NULL
        person(3),
        person(4, age="forty"),  # not a number: refused before the database is asked
        person(5, name="x" * 30) if db.kind == "postgresql" else person(5, nickname="Five"),
        person(6),
        person(7),
        person(8, id=int(str(taken.id))),  # an id another row has: the primary key refuses it
    ]
    results = connector.write(obj, ops)
    assert [r.ok for r in results] == [True, False, True, False, False, True, True, False]
    not_null, bad_number, fifth, pk = results[1].error, results[3].error, results[4].error, results[7].error
    assert not_null is not None and not_null.fields == ("name",)
    if db.kind == "postgresql":
        assert not_null.code == "NotNullViolation" and "not-null" in not_null.message
        assert fifth is not None and fifth.code == "StringDataRightTruncation"
        assert pk is not None and pk.code == "UniqueViolation" and pk.fields == ("id",)
    else:
        assert not_null.code == "SQLITE_CONSTRAINT_NOTNULL" and "NOT NULL" in not_null.message
        assert fifth is not None and fifth.code == "unknown_field" and fifth.fields == ("nickname",)
        assert pk is not None and pk.code.startswith("SQLITE_CONSTRAINT") and pk.fields == ("id",)
    assert bad_number is not None and bad_number.code == "invalid_value" and "forty" in bad_number.message
    stored = {r["hub_id"] for r in db.rows(table)}
    assert stored == {existing.hub_id} | {ops[i].hub_id for i in (0, 2, 5, 6)}


def test_without_a_unique_hub_id_column_the_portable_upsert_still_replays_safely(db: Db) -> None:
    table, obj = people(db, unique_hub_id=False)
    connector = db.connector()
    ops = [person(i) for i in range(5)]
    first = connector.write(obj, ops)
    again = connector.write(obj, [*ops, ops[0]])  # the same hub id twice in one batch
    assert all(r.created for r in first) and not any(r.created for r in again)
    assert [r.id for r in again] == [r.id for r in first] + [first[0].id]
    assert len(db.rows(table)) == 5


def test_the_same_hub_id_twice_in_one_batch_is_one_row(db: Db) -> None:
    table, obj = people(db)
    op = person(1)
    results = db.connector().write(obj, [op, WriteOp(op.hub_id, {"name": "Later"})])
    assert results[0].created and not results[1].created and results[0].id == results[1].id
    assert [r["name"] for r in db.rows(table)] == ["Later"]


def test_writes_stamp_the_cursor_column_and_the_filter_values(db: Db) -> None:
    table, obj = people(db)
    connector = db.connector()
    connector.clock = lambda: START
    filtered = ObjectSpec(obj.name, obj.fields, "id", "updated_at", "hub_id", filter={"active": True})
    connector.write(filtered, [person(1), person(2, updated_at="2020-01-01T00:00:00Z")])
    unstamped = ObjectSpec(
        obj.name, obj.fields, "id", "updated_at", "hub_id", options={"stamp_cursor": False}
    )
    connector.write(unstamped, [person(3)])
    stored = db.rows(table)
    assert [r["updated_at"] for r in stored] == [naive(START), datetime(2020, 1, 1), None]
    assert [r["active"] for r in stored] == [True, True, None]
    assert [r["id"] for r in read(connector, obj, START)] == [stored[0]["id"]]


@pytest.mark.postgres
@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_a_uuid_column_keeps_the_hub_id_on_postgresql(db: Db) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE {db.name('accounts')} (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), hub uuid UNIQUE, name text)"
        )
    obj = ObjectSpec(db.name("accounts"), ("id", "hub", "name"), "id", None, "hub")
    connector = db.connector()
    op = WriteOp(str(uuid.uuid4()), {"name": "Acme"})
    first = connector.write(obj, [op])
    again = connector.write(obj, [WriteOp(op.hub_id.upper(), {"name": "Acme Ltd"})])
    assert first[0].created and not again[0].created and first[0].id == again[0].id
    assert connector.fetch(obj, [str(first[0].id)]) == [
        {"id": first[0].id, "hub": op.hub_id, "name": "Acme Ltd"}
    ]
    assert connector.write(obj, [WriteOp("not-a-uuid", {"name": "X"})])[0].error is not None


def test_upserts_need_the_column_that_keeps_the_hub_id(db: Db) -> None:
    people(db)
    bare = ObjectSpec(db.name("people"), PEOPLE_FIELDS, "id", "updated_at")
    with pytest.raises(ConfigError, match="external_id_field"):
        db.connector().write(bare, [person(1)])


# Queries ----------------------------------------------------------------------------------------------
def test_a_query_is_read_like_a_table_and_cannot_be_written(db: Db) -> None:
    table, _ = people(db)
    rows = [
        {"name": f"P{i}", "updated_at": naive(START + timedelta(seconds=i // 2)), "age": 20 + i}
        for i in range(9)
    ]
    db.insert(table, rows)
    cast = "::text" if db.kind == "postgresql" else ""
    query = (
        f"SELECT id, updated_at, upper(name){cast} AS shout, age FROM {db.name('people')} WHERE age >= 22;"
    )
    view = ObjectSpec("adults", ("id", "updated_at", "shout"), "id", "updated_at", options={"query": query})
    connector = db.connector()
    found = read(connector, view, START + timedelta(seconds=1), 2)
    assert [r["shout"] for r in found] == [f"P{i}" for i in range(2, 9)]
    assert set(found[0]) == {"id", "updated_at", "shout"} and found[0]["updated_at"] == "2024-03-01T12:00:01Z"
    assert connector.count(view, None) == 7
    assert [r["shout"] for r in connector.find(view, {"shout": ["P3", "P0"]})] == ["P3"]
    assert [r["shout"] for r in connector.fetch(view, [str(found[0]["id"]), "x"])] == ["P2"]
    with pytest.raises(UnsupportedOperation, match="reads a query"):
        connector.write(view, [person(1)])


# Transient failures -------------------------------------------------------------------------------------
def test_a_transient_failure_mid_transaction_replays_the_whole_batch(db: Db) -> None:
    table, obj = people(db)
    connector = db.connector()
    made = connector.write(obj, [person(1)])
    ops = [WriteOp("hub-1", {"name": "Moved"}, target_id=made[0].id), person(2), person(3)]
    # statements of the batch: select present ids, update, [select existing keys,] upsert: fail the last
    last = 3 if db.kind == "postgresql" else 4
    fail_statements(connector.engine, [False] * (last - 1) + [True], lambda: transient(db))
    results = connector.write(obj, ops)
    assert all(r.ok for r in results) and results[1].created and results[2].created
    assert connector.calls.retries() == {"sql": 1}
    assert sorted(r["name"] for r in db.rows(table)) == ["Moved", "Person 2", "Person 3"]


@pytest.mark.postgres
@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_a_connection_the_server_kills_mid_batch_is_replayed(db: Db) -> None:
    table, obj = people(db)
    connector = db.connector()
    made = connector.write(obj, [person(1)])
    turns = iter([False, True])  # the batch's second statement finds its connection gone

    def kill(conn: sa.Connection, cursor: Any, *args: Any) -> None:
        if next(turns, False):
            with db.engine.begin() as admin:
                admin.execute(
                    sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": cursor.connection.info.backend_pid}
                )

    event.listen(connector.engine, "before_cursor_execute", kill)
    results = connector.write(obj, [WriteOp("hub-1", {"name": "Moved"}, target_id=made[0].id), person(2)])
    assert all(r.ok for r in results) and connector.calls.retries() == {"sql": 1}
    assert sorted(r["name"] for r in db.rows(table)) == ["Moved", "Person 2"]


def test_deadlocks_and_dropped_connections_during_reads_are_retried(db: Db) -> None:
    table, obj = people(db)
    db.insert(table, [{"name": f"P{i}", "updated_at": naive(START)} for i in range(5)])
    connector = db.connector()
    connector.count(obj, None)
    faults: list[Exception] = [
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.OperationalError("server closed the connection unexpectedly"),
    ]
    if db.kind == "sqlite":
        faults = [
            sqlite3.OperationalError("database is locked"),
            sqlite3.OperationalError("database table is locked"),
        ]
    errors = iter(faults)
    fail_statements(connector.engine, [True, False, True], lambda: next(errors))
    assert len(read(connector, obj, None, 2)) == 5
    assert connector.calls.retries() == {"sql": 2}


def test_when_transient_failures_never_stop_the_error_says_so(
    db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    table, obj = people(db)
    connector = db.connector(SECRET if db.kind == "postgresql" else None)
    connector.count(obj, None)
    fail_statements(connector.engine, [True] * 10, lambda: transient(db))
    with caplog.at_level(logging.WARNING), pytest.raises(RetryableAPIError) as caught:
        connector.write(obj, [person(1)])
    assert "still failing after 4 attempts" in str(caught.value)
    assert connector.calls.retries() == {"sql": 3}
    assert SECRET not in str(caught.value) and all(SECRET not in r.getMessage() for r in caplog.records)
    assert db.rows(table) == []


def test_a_backfill_part_reads_only_its_own_rows_on_an_integer_key(db: Db) -> None:
    """Issue 16: a shard's read is narrowed in the database (|id| mod count = index, what Shard.owns
    gives it), so two parts read half each and together every row once; a text key is not narrowed."""
    from dataclasses import replace

    from hub.engine.pipeline import Shard

    table, obj = people(db)
    ids = db.insert(
        table, [{"name": f"P{i}", "updated_at": naive(START + timedelta(minutes=i))} for i in range(11)]
    )
    connector = db.connector()
    parts = []
    for index in range(2):
        part = replace(obj, shard=(index, 2))
        got = [str(r["id"]) for r in read(connector, part)]
        assert got and all(Shard(index, 2).owns(i) for i in got)
        assert connector.count(part, None) == len(got)
        parts += got
    assert sorted(parts, key=int) == ids
    # a key the database cannot divide: every row comes back, for the engine to keep its own
    texts = db.table(
        "texts", sa.Column("code", sa.String(10), primary_key=True), sa.Column("name", sa.String(20))
    )
    with db.engine.begin() as conn:
        conn.execute(texts.insert(), [{"code": f"c{i}", "name": "x"} for i in range(5)])
    text_obj = ObjectSpec(db.name("texts"), ("code", "name"), "code", shard=(0, 2))
    assert len(read(connector, text_obj)) == 5
    connector.close()


def test_a_shard_owns_integer_ids_by_remainder_and_others_by_hash() -> None:
    from hub.engine.pipeline import Shard

    assert [Shard(1, 3).owns(i) for i in ("1", "4", "-4", "5")] == [True, True, True, False]
    owners = [[Shard(k, 3).owns(f"003A{i}") for k in range(3)].count(True) for i in range(200)]
    assert owners == [1] * 200  # each text id in exactly one part
    assert {k for k in range(3) for i in range(200) if Shard(k, 3).owns(f"003A{i}")} == {0, 1, 2}
