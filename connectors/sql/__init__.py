"""SQL databases through SQLAlchemy 2: finance tools' and data warehouses' tables (PostgreSQL through
psycopg 3, SQLite, and any dialect SQLAlchemy has a driver for).

Connection (Airflow conn_type `omnihub_sql`), in one of two forms; the password is always the
connection's password field, never part of a URL in the extras:
        extra `url` = a SQLAlchemy URL without the password, e.g.
        `postgresql+psycopg://finance@db.example.com:5432/ledger` or `sqlite:////srv/exports/ledger.db`;
        or host, schema (= the database), login, port and extra `dialect` (`postgresql+psycopg`).
        `postgresql://` means psycopg 3. Other extras: `connect_timeout` (seconds, 10) and the retry
        settings every connector takes. A missing SQLite file is an error, never a new empty database.
        PostgreSQL sessions run in UTC (`-c TimeZone=UTC`) so naive timestamps read as UTC.
Objects: a mapping's `object` is a table (`invoices` or `finance.invoices`). `options.query` replaces
        the table with a SELECT for reading (`SELECT … FROM (query) AS omnihub_query WHERE …`); such an
        object is read-only. `options.create_table: true` creates a missing table from the mapping's
        fields (connectors/sql/create.py: integer primary key, UNIQUE external id, timestamp cursor).
        Reads run in transactions that are rolled back, never committed.
Reads:  ordered by (cursor column, primary key), so rows sharing one cursor value are never lost or
        repeated at a page boundary. PostgreSQL streams one `… WHERE cursor >= since ORDER BY cursor, pk`
        through a server-side cursor, a page at a time (one statement per read: a table without an
        index on the cursor is sorted once, not once per page); a transient failure resumes with a new
        statement after the last row read, `(cursor > c OR (cursor = c AND pk > p))`. Other databases
        page by that keyset, `LIMIT n` per statement. Without a cursor field, a full read keyed by the
        primary key; a full read also returns, first, rows whose cursor is NULL. The page cursor is
        the last row's time as an aware UTC datetime. `count` is one `COUNT(*)`; fetch and find are
        IN lists of 500 values. NUMERIC comes back as Decimal, date-times as ISO 8601 UTC text
        (`2024-03-01T12:00:00Z`; naive values are UTC), dates as `YYYY-MM-DD`.
Writes: an op without a target id upserts by the mapping's external_id_field (which gets the hub id);
        with a target id it updates the row with that primary key (a missing row is `not_found`).
        One transaction per batch: PostgreSQL COPYs the batch into a temporary staging table and
        merges it with one `INSERT … SELECT … ON CONFLICT (ext) DO UPDATE … RETURNING` (falling back
        to a multi-row `INSERT … VALUES … ON CONFLICT` when COPY or the merge is refused); SQLite
        `INSERT … ON CONFLICT (ext) DO UPDATE … RETURNING` after a SELECT of the keys already
        present; other dialects, or an external-id column without a unique constraint of its own,
        select, update and insert. The COPY counts as part of its merge statement (one API call). The
        cursor column is stamped with the current UTC time unless the op sets it (`options.stamp_cursor:
        false` leaves it to the database). Values are converted to their columns' types first; a
        batch the database refuses is split in halves until each refused record stands alone with
        the database's own code (`NotNullViolation`, `SQLITE_CONSTRAINT_NOTNULL`, …) and message,
        while the others are written. Replaying a batch is safe: every write is an upsert or update.
Quirks:  transient failures (serialization failure, deadlock, a busy SQLite file, a dropped connection,
        a server refusing connections) replay the whole transaction with the retry policy's backoff;
        each statement counts as one API call. SQLite keeps times as text and NUMERIC as binary
        floating point: cursors must be stored as `YYYY-MM-DD HH:MM:SS[.ffffff]` (what SQLAlchemy and
        CURRENT_TIMESTAMP write), and decimals are exact only to 15 significant digits (PostgreSQL's
        numeric is exact). A `query` returns the driver's own types (SQLite gives floats for NUMERIC).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from connectors.sql.create import OPTION as CREATE_OPTION
from connectors.sql.create import create_missing, wanted
from connectors.sql.database import Database
from connectors.sql.source import Source, key_values, raw_key, reflect, since_value, unique_alone
from connectors.sql.values import cursor_moment, readable
from connectors.sql.writes import IN_CHUNK, Row, Strategy, TableWriter, chunks, refusal
from hub.errors import ConfigError, UnsupportedOperation
from hub.io.connections import Connection
from hub.io.connector import Connector, FieldInfo, FormField, ObjectShape, ObjectSpec, ShardMode
from hub.io.http import ApiCalls, RetryPolicy
from hub.io.records import Page, Record, WriteOp, WriteResult

KEY = "omnihub_key_"  # labels of the keyset columns a read selects besides the record's own


class SQLConnector(Connector):
    """A SQL database (SQLAlchemy 2): tables or SELECT queries read by cursor, upserts by external id."""

    system = "sql"
    display_name = "SQL database"
    conn_type = "omnihub_sql"
    default_conn_id = "sql_default"
    max_batch = 1000
    max_page = 10_000
    reads_windows = True
    form_fields = {
        **{k: v for k, v in Connector.form_fields.items() if k != "ca_bundle"},
        "retry_attempts": FormField(
            "Retry attempts",
            "Tries per transaction on deadlocks, serialization failures and lost connections (8)",
            kind="integer",
        ),
        "url": FormField(
            "SQLAlchemy URL",
            "dialect+driver://user@host:port/database, without the password (instead of the fields "
            "above), e.g. sqlite:////srv/exports/ledger.db",
        ),
        "dialect": FormField("Dialect", "SQLAlchemy dialect+driver when the fields above are used"),
        "connect_timeout": FormField(
            "Connect timeout", "Seconds to wait for a connection (10)", kind="integer"
        ),
    }
    standard_fields = {
        "hidden": [],
        "labels": {"schema": "Database", "login": "User"},
        "placeholders": {"host": "db.example.com", "schema": "ledger", "login": "finance", "port": "5432"},
    }
    options_schema = Connector.extended_options(
        {
            "query": {
                "type": "string",
                "minLength": 1,
                "description": (
                    "A SELECT read in place of the table (`SELECT … FROM (query) AS omnihub_query WHERE …`, "
                    "paged on the cursor and primary key columns it returns); such an object is read-only."
                ),
                "examples": ["SELECT id, number, total, updated_at FROM finance.invoices WHERE total > 0"],
            },
            "create_table": CREATE_OPTION,
            "stamp_cursor": {
                "type": "boolean",
                "description": (
                    "Stamp a written row's cursor column with the time of the write (unless the record "
                    "sets it); false leaves it to the database (a default or a trigger)."
                ),
                "default": True,
                "examples": [False],
            },
        },
        "What the SQL connector reads (a table, or a query) and how it stamps what it writes.",
    )

    def __init__(
        self, connection: Connection, *, calls: ApiCalls | None = None, policy: RetryPolicy | None = None
    ) -> None:
        super().__init__(connection, calls=calls, policy=policy)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # stamps the cursor column on writes
        self._sources: dict[tuple[str, str | None], Source] = {}

    @cached_property
    def database(self) -> Database:
        """The database and its retrying transaction runner (no connection is made until used)."""
        return Database(self.connection, calls=self.calls, policy=self.policy or self._policy())

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (event hooks attach here)."""
        return self.database.engine

    def check(self) -> str:
        server = self.database.server()
        return f"connection {self.connection.conn_id!r} reached {server}"

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.dispose()
        super().close()

    def _source(self, obj: ObjectSpec) -> Source:
        query = obj.options.get("query")
        key = (obj.name, str(query) if query else None)
        if key not in self._sources:
            if wanted(obj):
                self.database.run(
                    lambda conn: create_missing(conn, obj), what=f"creating {obj.name!r}", write=True
                )
            self._sources[key] = self.database.run(
                lambda conn: reflect(conn, obj), what=f"reading {obj.name!r}"
            )
        return self._sources[key]

    def describe(self, object_name: str, sample: int = 100) -> ObjectShape:
        """A table's columns (SQLAlchemy's reflection: type, NOT NULL without a default, the primary
        key) and its first `sample` rows by primary key, as reads give them."""
        probe = ObjectSpec(object_name, (), "")
        source = self._source(probe)
        table = source.table
        assert table is not None  # a plain object name always reflects a table
        keys = [c.name for c in table.primary_key.columns] or [next(iter(table.columns)).name]
        fields = tuple(
            FieldInfo(
                column.name,
                label=column.comment or "",
                type=str(column.type).lower(),
                required=not column.nullable
                and column.server_default is None
                and column.default is None
                and not (column.primary_key and column.autoincrement in (True, "auto")),
                readonly=column.computed is not None,
            )
            for column in table.columns
        )
        rows: list[dict[str, Any]] = []
        if sample > 0:
            for page in self.read_changes(ObjectSpec(object_name, (), keys[0]), None, sample):
                rows += [dict(record) for record in page.records][: sample - len(rows)]
                if len(rows) >= sample:
                    break
        return ObjectShape(object_name, fields, tuple(rows))

    # Reads ------------------------------------------------------------------------------------
    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        source = self._source(obj)
        size = max(1, min(page_size, self.max_page))
        where = source.filters(obj) + source.shard_filter(obj)
        pk = source.column(obj.primary_key)
        if not obj.cursor_field:
            yield from self._pages(obj, source, where, [pk], size)
            return
        cursor = source.column(obj.cursor_field)
        where += self._window(cursor, since, obj.until)
        if since is None:
            yield from self._pages(obj, source, [*where, cursor.is_(None)], [pk], size)
            where.append(cursor.is_not(None))
        yield from self._pages(obj, source, where, [raw_key(self.database.dialect, cursor), pk], size)

    def _window(
        self, cursor: sa.ColumnElement[Any], since: datetime | None, until: datetime | None
    ) -> list[sa.ColumnElement[bool]]:
        """The cursor column at or after `since` and before `until` (a backfill's time window)."""
        dialect, bounds = self.database.dialect, []
        if since is not None:
            bounds.append(cursor >= since_value(dialect, cursor, since))
        if until is not None:
            bounds.append(cursor < since_value(dialect, cursor, until))
        return bounds

    def shard_mode(self, obj: ObjectSpec) -> ShardMode:
        """Parts of a backfill by their integer keys (an even split, whatever the times), else by time
        windows on the cursor column, else each reading everything."""
        source = self._source(obj)
        if isinstance(source.column(obj.primary_key).type, sa.Integer):
            return "key"
        return "window" if obj.cursor_field else "filter"

    def _pages(
        self,
        obj: ObjectSpec,
        source: Source,
        where: list[sa.ColumnElement[bool]],
        keys: list[sa.ColumnElement[Any]],
        size: int,
    ) -> Iterator[Page]:
        """Pages ordered by `keys`: one streamed statement on PostgreSQL, a keyset statement per page
        elsewhere (each resuming after the last row it had)."""
        names = source.read_names(obj)
        kept = _kept_as_read(source, names)
        columns = [source.column(n) for n in names] + [k.label(f"{KEY}{i}") for i, k in enumerate(keys)]
        base = sa.select(*columns).select_from(source.selectable).where(*where).order_by(*keys)

        def after(last: list[Any] | None) -> sa.Select[Any]:
            return base if last is None else base.where(_after(keys, last))

        if self.database.dialect == "postgresql":
            batches = self.database.stream(after, len(keys), size, what=f"reading {obj.name!r}")
        else:
            batches = self._keyset(obj, after, len(keys), size)
        for rows in batches:
            records = [_record(names, kept, row) for row in rows]
            yield Page(records, self._page_cursor(obj, rows[-1], len(keys) > 1))

    def _keyset(
        self, obj: ObjectSpec, after: Callable[[list[Any] | None], sa.Select[Any]], keys: int, size: int
    ) -> Iterator[list[sa.Row[Any]]]:
        """Rows `size` at a time, a statement each (`LIMIT size`), each after the last row of the one
        before; the keys are the select's last `keys` columns."""
        last: list[Any] | None = None
        while True:
            rows = self._rows(after(last).limit(size), obj)
            if not rows:
                return
            yield rows
            if len(rows) < size:
                return
            last = list(rows[-1][-keys:])

    def _rows(self, statement: sa.Select[Any], obj: ObjectSpec) -> list[sa.Row[Any]]:
        return self.database.run(
            lambda conn: list(conn.execute(statement).all()), what=f"reading {obj.name!r}"
        )

    def _page_cursor(self, obj: ObjectSpec, row: sa.Row[Any], by_cursor: bool) -> datetime | None:
        if not by_cursor or obj.cursor_field is None:
            return None
        return cursor_moment(row._mapping[obj.cursor_field], obj.cursor_field)

    def count(self, obj: ObjectSpec, since: datetime | None) -> int | None:
        source = self._source(obj)
        where = source.filters(obj) + source.shard_filter(obj)
        if obj.cursor_field:
            where += self._window(source.column(obj.cursor_field), since, obj.until)
        statement = sa.select(sa.func.count()).select_from(source.selectable).where(*where)
        return int(
            self.database.run(
                lambda conn: conn.execute(statement).scalar_one(), what=f"counting {obj.name!r}"
            )
        )

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        return self.find(obj, {obj.primary_key: ids}, filtered=False)

    def find(
        self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]], *, filtered: bool = True
    ) -> list[Record]:
        """Rows whose columns hold one of the given values, for every column in `criteria`."""
        source = self._source(obj)
        wanted = {name: key_values(source.column(name), values) for name, values in criteria.items()}
        if not wanted or not all(wanted.values()):
            return []
        widest = max(wanted, key=lambda name: len(wanted[name]))
        names = source.read_names(obj)
        kept = _kept_as_read(source, names)
        where: list[sa.ColumnElement[bool]] = [
            source.column(n).in_(v) for n, v in wanted.items() if n != widest
        ]
        where += source.filters(obj) if filtered else []
        found: list[Record] = []
        for part in chunks(wanted[widest], IN_CHUNK):
            statement = (
                sa.select(*(source.column(n) for n in names))
                .select_from(source.selectable)
                .where(source.column(widest).in_(list(part)), *where)
            )
            rows = self._rows(statement, obj)
            found += [_record(names, kept, row) for row in rows]
        return found

    # Writes -----------------------------------------------------------------------------------
    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        if not ops:
            return []
        writer = self._writer(obj, any(op.target_id is None for op in ops))
        stamp = self.clock() if obj.options.get("stamp_cursor", True) and obj.cursor_field else None
        results: list[WriteResult | None] = [None] * len(ops)
        rows: list[Row] = []
        for index, op in enumerate(ops):
            prepared = writer.prepare(index, op, stamp)
            if isinstance(prepared, Row):
                rows.append(prepared)
            else:
                results[index] = prepared
        for batch in chunks(rows, self.batch_size(obj)):
            for index, result in self._write_rows(writer, batch).items():
                results[index] = result
        assert all(result is not None for result in results)
        return [result for result in results if result is not None]

    def _writer(self, obj: ObjectSpec, upserts: bool) -> TableWriter:
        source = self._source(obj)
        if source.table is None:
            raise UnsupportedOperation(
                f"sql: {obj.name!r} reads a query (options.query); it cannot be written"
            )
        source.column(obj.primary_key)
        if upserts and not obj.external_id_field:
            raise ConfigError(
                f"sql: writing {obj.name!r} needs the mapping's external_id_field: the column that keeps "
                "the hub id, so a replayed batch updates instead of inserting twice"
            )
        ext = obj.external_id_field
        if ext:
            source.column(ext)
        dialect = self.database.dialect
        strategy: Strategy = "generic"
        if ext and dialect in ("postgresql", "sqlite") and unique_alone(source.table, ext):
            strategy = "postgresql" if dialect == "postgresql" else "sqlite"
            if not self.engine.dialect.insert_returning:  # SQLite before 3.35
                strategy = "generic"
        return TableWriter(source.table, obj, dialect, strategy)

    def _write_rows(self, writer: TableWriter, rows: Sequence[Row]) -> dict[int, WriteResult]:
        """Rows in one transaction; when the database refuses it, halve until the refused stand alone."""
        try:
            return self.database.run(
                lambda conn: writer.apply(conn, rows),
                what=f"writing {writer.obj.name!r}",
                write=True,
                keep_refusals=True,
            )
        except sa.exc.StatementError as exc:
            if len(rows) == 1:
                return {rows[0].index: WriteResult(rows[0].op.target_id, error=refusal(exc))}
        half = len(rows) // 2
        return self._write_rows(writer, rows[:half]) | self._write_rows(writer, rows[half:])


def _record(names: list[str], kept: frozenset[str], row: sa.Row[Any]) -> Record:
    """A row as the record the hub reads: the named columns, times as ISO text."""
    values = row._mapping
    return {name: values[name] if name in kept else readable(values[name]) for name in names}


def _kept_as_read(source: Source, names: list[str]) -> frozenset[str]:
    """The columns whose values a record holds as the driver gives them (text, numbers, booleans):
    only the others go through `readable`, which would hand these back unchanged, row after row."""
    plain = (sa.String, sa.Integer, sa.Numeric, sa.Boolean)
    return frozenset(n for n in names if isinstance(source.column(n).type, plain))


def _after(keys: list[sa.ColumnElement[Any]], last: list[Any]) -> sa.ColumnElement[bool]:
    """Rows after `last` in the order of `keys`: (k0 > v0) OR (k0 = v0 AND k1 > v1) …"""
    head, value = keys[0], last[0]
    beyond: sa.ColumnElement[bool] = head > value
    if len(keys) == 1:
        return beyond
    return sa.or_(beyond, sa.and_(head == value, _after(keys[1:], last[1:])))


__all__ = ["SQLConnector"]
