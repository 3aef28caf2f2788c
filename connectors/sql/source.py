"""What a mapping's object is in the database: a reflected table, or a read-only SELECT (`query`).

source = reflect(conn, obj)      # obj.name "invoices" or "finance.invoices"
select(*source.read_columns(obj)).select_from(source.selectable).where(*source.filters(obj))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from psycopg.postgres import types as pg_types

from connectors.sql.values import column_value, sqlite_text
from hub.errors import ConfigError
from hub.io.connector import ObjectSpec, filter_terms

PG_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    **dict.fromkeys(("int2", "int4", "int8", "oid"), sa.BigInteger()),
    **dict.fromkeys(("float4", "float8"), sa.Float()),
    **dict.fromkeys(("text", "varchar", "bpchar", "name"), sa.String()),
    "numeric": sa.Numeric(),
    "bool": sa.Boolean(),
    "date": sa.Date(),
    "timestamp": sa.DateTime(),
    "timestamptz": sa.DateTime(timezone=True),
    "uuid": sa.Uuid(),
}
"""Types of a query's columns on PostgreSQL, by type name, so ids given as text compare as numbers."""


@dataclass(frozen=True)
class Source:
    """A table or a query, with its columns by name."""

    name: str
    selectable: sa.FromClause
    table: sa.Table | None  # None: a query, which cannot be written

    def column(self, name: str) -> sa.ColumnElement[Any]:
        """A column by name (ConfigError naming the object and its columns when there is none)."""
        try:
            return self.selectable.c[name]
        except KeyError:
            known = ", ".join(self.selectable.c.keys())
            raise ConfigError(f"sql: {self.name} has no column {name!r}; its columns are: {known}") from None

    def read_names(self, obj: ObjectSpec) -> list[str]:
        """The columns a read returns: the mapping's fields with the keys, or every column."""
        if not obj.fields:
            return list(self.selectable.c.keys())
        wanted = [obj.primary_key, obj.cursor_field, *obj.fields]
        names = list(dict.fromkeys(name for name in wanted if name))
        for name in names:
            self.column(name)
        return names

    def shard_filter(self, obj: ObjectSpec) -> list[sa.ColumnElement[bool]]:
        """A backfill part's records, on an integer key (`Shard.owns`: |key| mod count = index);
        nothing on any other key, which the engine then filters."""
        if obj.shard is None:
            return []
        key = self.column(obj.primary_key)
        if not isinstance(key.type, sa.Integer):
            return []
        index, count = obj.shard
        return [sa.func.abs(key) % count == index]

    def filters(self, obj: ObjectSpec) -> list[sa.ColumnElement[bool]]:
        """The mapping's filter as SQL conditions (NULL counts as "not equal", as `passes_filter` has it)."""
        conditions: list[sa.ColumnElement[bool]] = []
        for name, operator, expected in filter_terms(obj):
            column = self.column(name)
            if operator == "=":
                conditions.append(column.is_(None) if expected is None else column == expected)
            elif operator == "!=":
                conditions.append(column.is_distinct_from(expected))
            else:
                conditions.append(sa.or_(column.is_(None), column.not_in(list(expected))))
        return conditions


def reflect(conn: sa.Connection, obj: ObjectSpec) -> Source:
    """The object of a mapping: its `query` option when set, else the table `[schema.]name`."""
    query = obj.options.get("query")
    if query:
        return _query_source(conn, obj, str(query))
    schema, _, name = obj.name.rpartition(".")
    try:
        table = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=conn)
    except sa.exc.NoSuchTableError:
        raise ConfigError(
            f"sql: there is no table {obj.name!r} in the database (the mapping's object names "
            "a table, optionally as schema.table, or set options.query)"
        ) from None
    return Source(obj.name, table, table)


def _query_source(conn: sa.Connection, obj: ObjectSpec, query: str) -> Source:
    """A SELECT as a subquery; its columns and (on PostgreSQL) their types come from running it for
    zero rows. The cursor column reads as a date-time even where the driver gives text (SQLite)."""
    body = query.strip().rstrip(";").strip()
    probe = conn.exec_driver_sql(f"SELECT * FROM ({body}) AS omnihub_query WHERE 1 = 0")
    described = [(str(d[0]), _server_type(conn, d[1])) for d in probe.cursor.description or ()]
    escaped = body.replace(":", r"\:")  # the query's own colons (casts, literals) are not parameters
    columns = [
        sa.column(n, sa.DateTime() if n == obj.cursor_field and type_ is None else type_)
        for n, type_ in described
    ]
    textual = sa.text(escaped).columns(*columns)
    return Source(f"query {obj.name!r}", textual.subquery("omnihub_query"), None)


def _server_type(conn: sa.Connection, type_code: Any) -> sa.types.TypeEngine[Any] | None:
    """The SQLAlchemy type of a PostgreSQL result column (by its type OID); None elsewhere."""
    if conn.dialect.name != "postgresql" or not isinstance(type_code, int):
        return None
    info = pg_types.get(type_code)
    return PG_TYPES.get(info.name) if info is not None else None


def since_value(dialect: str, column: sa.ColumnElement[Any], since: datetime) -> Any:
    """`since` as the cursor column compares with it (naive UTC for timestamp without time zone)."""
    moment = since.astimezone(UTC)
    is_date = isinstance(column.type, sa.Date)
    if dialect == "sqlite":  # times are text there: compare with the shortest spelling
        return sa.literal(moment.date().isoformat() if is_date else sqlite_text(moment), sa.String)
    if is_date:
        return moment.date()
    if isinstance(column.type, sa.DateTime) and not column.type.timezone:
        return moment.replace(tzinfo=None)
    return moment


def raw_key(dialect: str, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A keyset column as stored: on SQLite, times are compared as the text they are kept as."""
    return sa.type_coerce(column, sa.String) if dialect == "sqlite" else column


def key_values(column: sa.ColumnElement[Any], values: Any) -> list[Any]:
    """Distinct values converted for `column`; values it cannot hold are left out (they match nothing)."""
    kept: list[Any] = []
    for value in dict.fromkeys(values):
        try:
            kept.append(column_value(column, value))
        except ValueError:
            continue
    return [v for v in dict.fromkeys(kept) if v is not None]


def unique_alone(table: sa.Table, name: str) -> bool:
    """Whether one column is unique on its own (an upsert's ON CONFLICT target must be)."""
    sets = [tuple(c.name for c in table.primary_key.columns)]
    sets += [
        tuple(c.name for c in con.columns)
        for con in table.constraints
        if isinstance(con, sa.UniqueConstraint)
    ]
    sets += [
        tuple(c.name for c in index.columns)
        for index in table.indexes
        if index.unique and not _partial(index)
    ]
    return (name,) in sets


def _partial(index: sa.Index) -> bool:
    """Whether a unique index covers only some rows (`WHERE …`): no ON CONFLICT target then."""
    return any(key.endswith("_where") and value is not None for key, value in index.dialect_kwargs.items())
