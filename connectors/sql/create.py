"""A missing target table made from the mapping (`options.create_table`), as dlt makes its own.

    create_table: true                                  # types from the canonical schema
    create_table: {columns: {employees: integer, annual_revenue: numeric}}

The table gets the mapping's fields as columns: the primary key an autoincrementing integer (BIGSERIAL
on PostgreSQL, INTEGER PRIMARY KEY on SQLite), the external-id column text and UNIQUE (the ON CONFLICT
target of upserts), the cursor column a timestamp (with time zone where the database has one); a
column a field fills unchanged takes its canonical field's type (the engine adds them to `columns`:
`hub.engine.sync.implied_columns`: integer, numeric for numbers and decimal amounts, boolean,
timestamp, date, json), every other column text; `columns` gives any column (the primary key too) one
of the types in `COLUMN_TYPES`, over the schema's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from hub.errors import ConfigError
from hub.io.connector import ObjectSpec

COLUMN_TYPES: dict[str, Callable[[], sa.types.TypeEngine[Any]]] = {
    "text": sa.Text,
    "integer": lambda: sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
    "numeric": sa.Numeric,
    "float": sa.Float,
    "boolean": sa.Boolean,
    "date": sa.Date,
    "timestamp": lambda: sa.DateTime(timezone=True),
    "uuid": sa.Uuid,
    "json": sa.JSON,
}
OPTION: dict[str, Any] = {
    "description": (
        "Create the table when it is missing, from the mapping's fields: the primary key an "
        "autoincrementing integer, the external-id column text and UNIQUE, the cursor column a timestamp, "
        "a column a field fills unchanged its canonical field's type, the rest text; `columns` names a "
        "type over those."
    ),
    "default": False,
    "examples": [True, {"columns": {"employees": "integer", "annual_revenue": "numeric"}}],
    "anyOf": [
        {"type": "boolean"},
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "columns": {
                    "type": "object",
                    "description": "A type per column, for the columns that should not be text.",
                    "additionalProperties": {"enum": sorted(COLUMN_TYPES)},
                }
            },
        },
    ],
}


def wanted(obj: ObjectSpec) -> bool:
    """Whether the mapping asks for its table to be created when missing."""
    option = obj.options.get("create_table")
    return bool(option) and not obj.options.get("query")


def create_missing(conn: sa.Connection, obj: ObjectSpec) -> bool:
    """Create `obj`'s table unless it exists; whether it was created. On PostgreSQL the check and
    the creation hold a transaction lock on the table's name, so the parts of a backfill starting at
    once make it once (the others wait, then find it)."""
    schema, _, name = obj.name.rpartition(".")
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"omnihub:{obj.name}"}
        )
    if sa.inspect(conn).has_table(name, schema=schema or None):
        return False
    table_for(obj, name, schema or None).create(conn, checkfirst=True)
    return True


def table_for(obj: ObjectSpec, name: str, schema: str | None) -> sa.Table:
    """The table a mapping describes (see the module's docstring for the columns' types)."""
    option = obj.options.get("create_table")
    types: Mapping[str, str] = option.get("columns", {}) if isinstance(option, Mapping) else {}
    names = [obj.primary_key, obj.external_id_field, obj.cursor_field, *obj.fields, *obj.filter]
    columns = [_column(obj, column, types.get(column)) for column in dict.fromkeys(n for n in names if n)]
    return sa.Table(name, sa.MetaData(), *columns, schema=schema)


def _column(obj: ObjectSpec, name: str, declared: str | None) -> sa.Column[Any]:
    if "." in name:
        raise ConfigError(
            f"sql: create_table cannot make a column for the nested field {name!r} of {obj.name!r}; "
            "a SQL mapping names columns"
        )
    if name == obj.primary_key:
        if declared in (None, "integer"):
            return sa.Column(name, COLUMN_TYPES["integer"](), primary_key=True, autoincrement=True)
        return sa.Column(name, _type(declared), primary_key=True, autoincrement=False)
    if name == obj.external_id_field:
        return sa.Column(name, _type(declared or "text"), unique=True)
    if name == obj.cursor_field:
        return sa.Column(name, _type(declared or "timestamp"))
    return sa.Column(name, _type(declared or "text"))


def _type(declared: str | None) -> sa.types.TypeEngine[Any]:
    return COLUMN_TYPES[declared or "text"]()
