"""The SQL subjects of the shared connector test kit (see tests/connectors/kit.py): one table of people,
in a SQLite file and in a throwaway schema of the local PostgreSQL server.

There is no emulator: the database is real. `app` is a `KitDatabase` (the kit's own engine, which
creates and edits rows directly, stamping them with the kit's clock) whose `faults` inject transient
failures into the connectors the kit builds, the way an emulator's fault injection does.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import event

from connectors.emulators.salesforce.ids import ManualClock
from connectors.sql import SQLConnector
from hub.io.connections import parse_connection
from hub.io.connector import Connector, ObjectSpec
from hub.io.records import WriteOp
from hub.testing import QUICK, Subject
from tests.connectors.kit import START

PG_ADMIN = os.environ.get("HUB_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
FAULT_KINDS = ("rate_limit", "unavailable", "disconnect")
FIELDS = ("id", "updated_at", "hub_id", "name", "email")
NO_SQLITE_CREDENTIALS = "SQLite is a local file: it has no login to refuse"
NO_PG_CREDENTIALS = (
    "the local PostgreSQL trusts local logins (trust auth), so no password can be refused; "
    "tests/connectors/test_sql.py checks a refused role instead"
)


def pg_url() -> str:
    """The local PostgreSQL server's URL for SQLAlchemy (psycopg 3)."""
    return PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1)


def people_table(metadata: sa.MetaData, schema: str | None = None) -> sa.Table:
    """The kit's table: an id, a cursor column (timestamp without time zone), the hub id, a required name."""
    return sa.Table(
        "kit_people",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("hub_id", sa.String(64), unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(200)),
        schema=schema,
    )


class SqlFaults:
    """Transient failures for a connector's transactions: with probability `rate`, the first statement
    of a transaction fails as a busy or overloaded database answers (then the connector replays it)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.configure(0.0, ())

    def configure(
        self, rate: float, kinds: tuple[str, ...] | list[str], latency_ms: float = 0.0, seed: int = 0
    ) -> None:
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; choose from {FAULT_KINDS}")
        self.rate, self.kinds, self._rng = rate, tuple(kinds), random.Random(seed)

    def attach(self, engine: sa.Engine) -> None:
        """Inject into every transaction of this engine from now on."""
        event.listen(engine, "begin", self._began)
        event.listen(engine, "before_cursor_execute", self._before)

    def _began(self, conn: sa.Connection) -> None:
        conn.info["kit_fault_due"] = True

    def _before(self, conn: sa.Connection, *args: Any) -> None:
        if not conn.info.pop("kit_fault_due", False):
            return
        if self.rate and self.kinds and self._rng.random() < self.rate:
            raise self.error(self._rng.choice(self.kinds))

    def error(self, kind: str) -> Exception:
        """The driver's own exception for a fault kind, as the database raises it."""
        if self.dialect == "sqlite":
            busy = sqlite3.OperationalError("database is locked")
            busy.sqlite_errorname = "SQLITE_BUSY"
            return busy
        if kind == "rate_limit":
            return psycopg.errors.TooManyConnections("sorry, too many clients already")
        if kind == "unavailable":
            return psycopg.errors.CannotConnectNow("the database system is starting up")
        return psycopg.OperationalError("server closed the connection unexpectedly")


class KitDatabase:
    """The kit's direct access to the database: rows made and changed without the connector."""

    def __init__(self, url: str, schema: str | None, clock: ManualClock) -> None:
        self.engine = sa.create_engine(url)
        self.table = people_table(sa.MetaData(), schema)
        self.clock = clock
        self.faults = SqlFaults(self.engine.dialect.name)
        self.table.create(self.engine)

    def create(self, i: int) -> str:
        values = {"name": f"Direct {i}", "email": f"direct{i}@example.com", "hub_id": str(uuid.uuid4())}
        with self.engine.begin() as conn:
            made = self.table.insert().values(**values, updated_at=self._now()).returning(self.table.c.id)
            return str(conn.execute(made).scalar_one())

    def edit(self, record_id: str) -> None:
        with self.engine.begin() as conn:
            change = self.table.update().where(self.table.c.id == int(record_id))
            conn.execute(change.values(name="Edited", updated_at=self._now()))

    def ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return {str(i) for i in conn.execute(sa.select(self.table.c.id)).scalars()}

    def _now(self) -> Any:
        return self.clock.now.replace(tzinfo=None)  # a naive UTC timestamp, as many tables keep them


@contextmanager
def sql_sqlite(folder: Path) -> Iterator[Subject]:
    path = folder / "kit.sqlite"
    url = f"sqlite:///{path.resolve()}"
    with _people(url, url, None) as kit:
        kit.no_credentials = NO_SQLITE_CREDENTIALS
        yield kit


@contextmanager
def sql_postgresql(folder: Path) -> Iterator[Subject]:
    schema = f"kit_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url())
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        with _people(pg_url(), pg_url(), schema) as kit:
            kit.no_credentials = NO_PG_CREDENTIALS
            yield kit
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@contextmanager
def _people(kit_url: str, connector_url: str, schema: str | None) -> Iterator[Subject]:
    clock = ManualClock(START)
    database = KitDatabase(kit_url, schema, clock)
    name = f"{schema}.kit_people" if schema else "kit_people"
    obj = ObjectSpec(name, FIELDS, "id", "updated_at", "hub_id")
    built: list[SQLConnector] = []

    def build(password: str | None) -> Connector:
        spec = {"conn_type": "omnihub_sql", "extra": {"url": connector_url}}
        given = {**spec, "password": password} if password is not None else spec
        connector = SQLConnector(parse_connection("sql_default", json.dumps(given)), policy=QUICK)
        connector.clock = clock
        database.faults.attach(connector.engine)
        built.append(connector)
        return connector

    def op(i: int, valid: bool) -> WriteOp:
        values = {"name": f"Kit {i}" if valid else None, "email": f"kit{i}@example.com"}
        return WriteOp(str(uuid.uuid4()), values)

    try:
        yield Subject(
            "sql",
            database,
            clock,
            obj,
            7,
            build,
            database.create,
            database.edit,
            op,
            database.ids,
            None,  # no password: the kit's databases need none
        )
    finally:
        for connector in built:
            connector.close()
        database.engine.dispose()
