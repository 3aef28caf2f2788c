"""Writes to one table: upserts keyed by the external-id column and updates by primary key, a batch per
transaction, with the records the database refuses isolated from the rest.

Upserts (ops without a target id) take one statement per batch where the database can say itself
whether each row was inserted or updated: PostgreSQL's `INSERT … ON CONFLICT (ext) DO UPDATE …
RETURNING id, ext, (xmax = 0)`. SQLite runs `INSERT … ON CONFLICT DO UPDATE … RETURNING` after one
SELECT of the keys already there (to tell creates from updates). Other dialects, and tables whose
external-id column is not unique on its own, select the existing keys, update those and insert the
rest. Updates (ops with a target id) select which ids exist, then run one executemany UPDATE.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha1
from typing import Any, Literal, TypeVar

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from connectors.sql.database import driver_message, is_transient, sqlstate
from connectors.sql.values import column_value, converter, stamp_value
from hub.io.connector import ObjectSpec, written_filter
from hub.io.records import RecordError, WriteOp, WriteResult

Strategy = Literal["postgresql", "sqlite", "generic"]
T = TypeVar("T")
IN_CHUNK = 500  # values per IN list (Oracle allows 1000; every database takes this many)
PARAMETER_LIMITS = {"postgresql": 60_000, "sqlite": 30_000 if sqlite3.sqlite_version_info >= (3, 32) else 999}
STAGE = "omnihub_stage"  # the temporary table a PostgreSQL page is copied into
KEY_FIELDS = re.compile(r"Key \(([^)]*)\)=")
SQLITE_FIELDS = re.compile(r"constraint failed: ([\w.]+(?:, [\w.]+)*)")


@dataclass
class Row:
    """One op ready to write: its place in the batch, its converted values and its key."""

    index: int
    op: WriteOp
    values: dict[str, Any]
    key: Any  # the primary key to update (with a target id) or the external id to upsert by


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `size`."""
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]


class TableWriter:
    """Writes rows of one table with the best upsert its database offers."""

    def __init__(self, table: sa.Table, obj: ObjectSpec, dialect: str, strategy: Strategy) -> None:
        self.table = table
        self.obj = obj
        self.dialect = dialect
        self.strategy = strategy
        self.pk = table.c[obj.primary_key]
        self.ext = table.c[obj.external_id_field] if obj.external_id_field else None
        self.filtered = written_filter(obj.filter)
        # chosen once per column, not once per value: a page converts hundreds of thousands of values
        self.converters = {column.name: converter(column) for column in table.columns}
        cursor = obj.cursor_field
        self.stamped = table.c[cursor] if cursor is not None and cursor in table.c else None
        self._stamp: tuple[datetime | None, Any] = (None, None)

    # Preparing -------------------------------------------------------------------------------
    def prepare(self, index: int, op: WriteOp, stamp: datetime | None) -> Row | WriteResult:
        """The op as a row to write, or the result refusing it (unknown column, unconvertible value)."""
        values = {**self.filtered, **op.values} if self.filtered else dict(op.values)
        if self.ext is not None:
            values[self.ext.name] = op.hub_id
        if stamp is not None and self.stamped is not None and self.stamped.name not in op.values:
            stamped = self._stamp_value(stamp)
            if stamped is not None:
                values[self.stamped.name] = stamped
        converters = self.converters
        if not converters.keys() >= values.keys():
            unknown = tuple(name for name in values if name not in converters)
            message = f"{self.table.fullname} has no column {', '.join(map(repr, unknown))}"
            return WriteResult(op.target_id, error=RecordError("unknown_field", message, unknown))
        converted: dict[str, Any] = {}
        for name, value in values.items():
            try:
                converted[name] = None if value is None else converters[name](value)
            except ValueError as exc:
                return WriteResult(
                    op.target_id, error=RecordError("invalid_value", f"{name}: {exc}", (name,))
                )
        return self._keyed(index, op, converted)

    def _stamp_value(self, stamp: datetime) -> Any:
        """The write's time as the cursor column keeps it (worked out once per write, not per row)."""
        if self._stamp[0] is not stamp:
            assert self.stamped is not None
            self._stamp = (stamp, stamp_value(self.stamped, stamp))
        return self._stamp[1]

    def _keyed(self, index: int, op: WriteOp, values: dict[str, Any]) -> Row | WriteResult:
        if op.target_id is None:
            assert self.ext is not None  # the connector refuses upserts without an external id column
            return Row(index, op, values, values[self.ext.name])
        try:
            key = column_value(self.pk, op.target_id)
        except ValueError:
            key = None
        if key is None:
            return WriteResult(op.target_id, error=_not_found(self.table, self.pk, op.target_id))
        return Row(index, op, values, key)

    # Writing ---------------------------------------------------------------------------------
    def apply(self, conn: sa.Connection, rows: Sequence[Row]) -> dict[int, WriteResult]:
        """Write rows in the caller's transaction; results by the rows' batch positions."""
        results: dict[int, WriteResult] = {}
        updates = [row for row in rows if row.op.target_id is not None]
        if updates:
            results |= self._update_by_id(conn, updates)
        for round_ in _rounds([row for row in rows if row.op.target_id is None]):
            for group in self._statement_groups(round_):
                results |= self._upsert(conn, group)
        return results

    def _statement_groups(self, rows: Sequence[Row]) -> Iterator[Sequence[Row]]:
        """Rows that can share one statement: the same columns, within the parameter limit."""
        by_columns: dict[tuple[str, ...], list[Row]] = defaultdict(list)
        for row in rows:
            by_columns[tuple(row.values)].append(row)
        limit = PARAMETER_LIMITS.get(self.dialect, 2_000)
        for columns, group in by_columns.items():
            yield from chunks(group, limit // max(1, len(columns)))

    def _update_by_id(self, conn: sa.Connection, rows: Sequence[Row]) -> dict[int, WriteResult]:
        present: set[str] = set()
        for part in chunks(rows, IN_CHUNK):
            found = conn.execute(sa.select(self.pk).where(self.pk.in_([r.key for r in part])))
            present |= {str(value) for value in found.scalars()}
        results = {
            r.index: WriteResult(r.op.target_id, error=_not_found(self.table, self.pk, r.op.target_id))
            for r in rows
            if str(r.key) not in present
        }
        kept = [r for r in rows if str(r.key) in present]
        for group in self._statement_groups(kept):
            self._update_where(conn, self.pk, group)
        return results | {r.index: WriteResult(str(r.op.target_id)) for r in kept}

    def _update_where(self, conn: sa.Connection, key: sa.Column[Any], rows: Sequence[Row]) -> None:
        """One executemany UPDATE … WHERE key = ? of rows that set the same columns."""
        names = list(rows[0].values)
        params = {
            name: sa.bindparam(f"omnihub_{i}", type_=self.table.c[name].type) for i, name in enumerate(names)
        }
        where = key == sa.bindparam("omnihub_key", type_=key.type)
        statement = sa.update(self.table).where(where).values(params)
        conn.execute(
            statement,
            [
                {"omnihub_key": r.key, **{f"omnihub_{i}": r.values[n] for i, n in enumerate(names)}}
                for r in rows
            ],
        )

    def _upsert(self, conn: sa.Connection, rows: Sequence[Row]) -> dict[int, WriteResult]:
        assert self.ext is not None
        if self.strategy == "postgresql":
            ids = self._copied_upsert(conn, rows)
            if ids is None:  # the bulk path was refused: the row-by-row statement names the culprit
                ids = self._returning_upsert(conn, rows, pg_insert)
        elif self.strategy == "sqlite":
            existing = self._existing(conn, rows)
            ids = {
                key: (pk, key not in existing)
                for key, (pk, _) in self._returning_upsert(conn, rows, sqlite_insert).items()
            }
        else:
            ids = self._select_then_write(conn, rows)
        return {r.index: WriteResult(str(ids[str(r.key)][0]), created=ids[str(r.key)][1]) for r in rows}

    def _copied_upsert(self, conn: sa.Connection, rows: Sequence[Row]) -> dict[str, tuple[Any, bool]] | None:
        """PostgreSQL: COPY the rows into a temporary staging table shaped like the target, then one
        `WITH staged AS (DELETE FROM stage RETURNING …) INSERT … SELECT … ON CONFLICT (ext) DO UPDATE
        … RETURNING pk, ext, (xmax = 0)`, which also empties the stage for the next page.

        The staging table lives as long as the pooled connection (created when missing) and is emptied
        to nothing at each commit (`ON COMMIT DELETE ROWS`): the DELETE only marks its rows dead, and
        without the truncation a long load's every page scanned all the pages before it. Everything
        takes three round trips: the savepoint with the stage's creation and the COPY through the
        driver's cursor, and the upsert with the savepoint's release through SQLAlchemy (each round
        trip of a write thread waits its turn for the interpreter as well as for the server, so
        statements without parameters share one query string). None when the database
        or the driver refuses any of it, so the caller's multi-row statement can say which row it was."""
        assert self.ext is not None
        quote = conn.dialect.identifier_preparer.quote
        names = list(rows[0].values)
        columns = ", ".join(quote(n) for n in names)
        target = conn.dialect.identifier_preparer.format_table(self.table)
        stage = f"{STAGE}_{sha1(f'{target} {columns}'.encode()).hexdigest()[:12]}"
        updated = [n for n in names if n != self.ext.name] or [self.ext.name]
        upsert = (
            f"WITH staged AS (DELETE FROM {stage} RETURNING {columns}) "
            f"INSERT INTO {target} ({columns}) SELECT {columns} FROM staged "
            f"ON CONFLICT ({quote(self.ext.name)}) DO UPDATE SET "
            + ", ".join(f"{quote(n)} = EXCLUDED.{quote(n)}" for n in updated)
            + f" RETURNING {quote(self.pk.name)}, {quote(self.ext.name)}, (xmax = 0)"
            + f"; RELEASE SAVEPOINT {STAGE}"
        )
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            # statements without parameters: one round trip each, as one query string
            cursor.execute(
                f"SAVEPOINT {STAGE}; CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS "
                f"AS SELECT {columns} FROM {target} WITH NO DATA"
            )
            with cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row.values[n] for n in names])
            found = conn.exec_driver_sql(upsert).all()  # through SQLAlchemy: the API call counted
        except psycopg.Error as exc:  # from the driver's cursor: the hub's handling wants SQLAlchemy's
            _undo_refused(cursor, sa.exc.DBAPIError.instance(None, None, exc, psycopg.Error))
            return None
        except sa.exc.DBAPIError as exc:
            _undo_refused(cursor, exc)
            return None
        return {str(ext): (pk, bool(made)) for pk, ext, made in found}

    def _returning_upsert(
        self, conn: sa.Connection, rows: Sequence[Row], insert: Any
    ) -> dict[str, tuple[Any, bool]]:
        """INSERT … VALUES (…), (…) ON CONFLICT (ext) DO UPDATE … RETURNING pk, ext[, created].

        Executed with many parameter sets, SQLAlchemy sends one multi-row statement per page of
        rows ("insertmanyvalues") and compiles it once, however many batches follow."""
        assert self.ext is not None
        statement = insert(self.table)
        names = [n for n in rows[0].values if n != self.ext.name] or [self.ext.name]
        statement = statement.on_conflict_do_update(
            index_elements=[self.ext], set_={n: statement.excluded[n] for n in names}
        )
        created = sa.literal_column("xmax = 0") if self.strategy == "postgresql" else sa.true()
        returning = statement.returning(self.pk, self.ext, created.label("omnihub_created"))
        found = conn.execute(returning, [r.values for r in rows])
        return {str(ext): (pk, bool(made)) for pk, ext, made in found}

    def _existing(self, conn: sa.Connection, rows: Sequence[Row]) -> dict[str, Any]:
        """Primary keys of the rows already holding these external ids, by external id."""
        assert self.ext is not None
        found: dict[str, Any] = {}
        for part in chunks(rows, IN_CHUNK):
            statement = sa.select(self.ext, self.pk).where(self.ext.in_([r.key for r in part]))
            found |= {str(ext): pk for ext, pk in conn.execute(statement)}
        return found

    def _select_then_write(self, conn: sa.Connection, rows: Sequence[Row]) -> dict[str, tuple[Any, bool]]:
        """The portable upsert: update the external ids that exist, insert the others, read their ids."""
        assert self.ext is not None
        existing = self._existing(conn, rows)
        updates = [r for r in rows if str(r.key) in existing]
        inserts = [r for r in rows if str(r.key) not in existing]
        if updates:
            self._update_where(conn, self.ext, updates)
        if inserts:
            conn.execute(sa.insert(self.table), [r.values for r in inserts])
        made = self._existing(conn, inserts) if inserts else {}
        return {key: (pk, False) for key, pk in existing.items()} | {
            key: (pk, True) for key, pk in made.items()
        }


def _undo_refused(cursor: Any, exc: sa.exc.StatementError) -> None:
    """Undo a bulk attempt the database or the driver refused (the caller falls back to the statement
    that names the row); a transient failure goes on up and replays the whole transaction."""
    if isinstance(exc, sa.exc.DBAPIError) and is_transient(exc):
        raise exc
    cursor.execute(f"ROLLBACK TO SAVEPOINT {STAGE}")


def _rounds(rows: Sequence[Row]) -> list[list[Row]]:
    """Rows split so no statement names one key twice: the n-th occurrence of a key in round n."""
    rounds: list[list[Row]] = []
    seen: dict[str, int] = defaultdict(int)
    for row in rows:
        turn = seen[str(row.key)]
        seen[str(row.key)] += 1
        if turn == len(rounds):
            rounds.append([])
        rounds[turn].append(row)
    return rounds


def _not_found(table: sa.Table, pk: sa.Column[Any], target_id: Any) -> RecordError:
    return RecordError("not_found", f"{table.fullname} has no row with {pk.name} = {target_id!r}", (pk.name,))


def refusal(exc: sa.exc.StatementError) -> RecordError:
    """The database's refusal of one record: its own error code, its message and the columns named."""
    orig = exc.orig
    message = driver_message(exc)
    if not isinstance(exc, sa.exc.DBAPIError):
        return RecordError("invalid_value", message)
    code = getattr(orig, "sqlite_errorname", None) or (type(orig).__name__ if sqlstate(exc) else None)
    return RecordError(str(code or type(orig).__name__), message, _fields(orig, message))


def _fields(orig: Any, message: str) -> tuple[str, ...]:
    column = getattr(getattr(orig, "diag", None), "column_name", None)
    if column:
        return (str(column),)
    found = KEY_FIELDS.search(message)
    if found:
        return tuple(name.strip().strip('"') for name in found.group(1).split(","))
    found = SQLITE_FIELDS.search(message)
    if found:
        return tuple(name.strip().rsplit(".", 1)[-1] for name in found.group(1).split(","))
    return ()
