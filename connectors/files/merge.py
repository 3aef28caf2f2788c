"""Write operations merged into one file's table, by key, in order: one result per operation.

A row is found by its primary key (an op's `target_id`), else by the external-id column holding the
op's hub id, else it is new. A new row's key is the value the op gives for the key column, or the hub
id when it gives none. Rows no op touches keep their text exactly; changed ones stay where they were;
new ones go at the end; columns an op brings that the file lacks are appended to the header.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.files.formats import Dialect, Row, Table, Unwritable, csv_cell, jsonl_line
from hub.io.connector import ObjectSpec
from hub.io.records import Record, RecordError, WriteOp, WriteResult

META = ("_file", "_line")  # where a read record came from; never written as columns


def key_text(value: Any) -> str | None:
    """A key value as the text ids are compared by (None for an empty or nested value)."""
    if value is None or value == "" or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return format(value, "f") if isinstance(value, Decimal) else str(value)


class TableEditor:
    """Applies write and delete operations to a Table, keeping its key indexes current."""

    def __init__(
        self,
        table: Table,
        dialect: Dialect,
        obj: ObjectSpec,
        *,
        file: str,
        stamp: str,
        fixed: Mapping[str, Any],
    ) -> None:
        self.table, self.dialect, self.file, self.stamp = table, dialect, file, stamp
        self.key, self.hub, self.cursor = obj.primary_key, obj.external_id_field, obj.cursor_field
        self.fixed = dict(fixed)  # the mapping filter's values, which every written row gets
        self.changed = False
        self.by_key: dict[str, Row] = {}
        self.by_hub: dict[str, Row] = {}
        for row in table.rows:
            if row.values is not None:
                self._index(row)

    def _keys(self, row: Row) -> tuple[str | None, str | None]:
        """A row's key and hub id as text."""
        values = row.values or {}
        return key_text(values.get(self.key)), key_text(values.get(self.hub)) if self.hub else None

    def _index(self, row: Row) -> None:
        key, hub_id = self._keys(row)
        if key is not None:
            self.by_key[key] = row
        if hub_id is not None:
            self.by_hub[hub_id] = row

    def _unindex(self, row: Row) -> None:
        key, hub_id = self._keys(row)
        if key is not None and self.by_key.get(key) is row:
            del self.by_key[key]
        if hub_id is not None and self.by_hub.get(hub_id) is row:
            del self.by_hub[hub_id]

    # Operations ------------------------------------------------------------------------------
    def upsert(self, op: WriteOp) -> WriteResult:
        """Update the op's row or add one; a RecordError when the op cannot be written."""
        values = {k: v for k, v in op.values.items() if k not in META} | self.fixed
        row, missing = self._row(op, values)
        if missing is not None:
            return WriteResult(op.target_id, error=missing)
        merged = self._merged(row, values, op.hub_id)
        key = key_text(merged.get(self.key))
        refused = self._refusal(row, merged, key)
        if refused is not None:
            return WriteResult(op.target_id, error=refused)
        assert key is not None
        self._apply(row, merged)
        return WriteResult(key, created=row is None)

    def remove(self, record_id: str) -> WriteResult:
        """Delete the row with this key (a row already gone counts as deleted)."""
        row = self.by_key.get(record_id)
        if row is not None:
            self._unindex(row)
            row.text, row.values, row.dirty = "", None, False  # renders as nothing
            self.changed = True
        return WriteResult(record_id)

    # Steps -----------------------------------------------------------------------------------
    def _row(self, op: WriteOp, values: Record) -> tuple[Row | None, RecordError | None]:
        """The row an op changes (None: a new row), or why there is none to change."""
        if op.target_id is not None:
            row = self.by_key.get(op.target_id)
            if row is None:
                message = f"no row of {self.file} has {self.key} {op.target_id!r}"
                return None, RecordError("not_found", message, (self.key,))
            return row, None
        if self.hub:
            return self.by_hub.get(op.hub_id), None
        return self.by_key.get(key_text(values.get(self.key, op.hub_id)) or ""), None

    def _merged(self, row: Row | None, values: Record, hub_id: str) -> Record:
        if row is None:
            start: Record = {self.key: hub_id} | ({self.hub: None} if self.hub else {})
            merged = start | values
        else:
            merged = dict(row.values or {}) | values
        if self.hub:
            merged[self.hub] = hub_id
        if self.cursor and self.cursor not in values:
            merged[self.cursor] = self.stamp
        return merged

    def _refusal(self, row: Row | None, merged: Record, key: str | None) -> RecordError | None:
        """Why a merged row cannot be written: no key, a key another row has, an unwritable value."""
        if key is None:
            message = f"{self.key} is empty: every row of {self.file} needs a value in its key column"
            return RecordError("missing_key", message, (self.key,))
        other = self.by_key.get(key)
        if other is not None and other is not row:
            message = f"another row of {self.file} already has {self.key} {key!r}"
            return RecordError("duplicate_key", message, (self.key,))
        try:
            self._check_writable(merged)
        except Unwritable as exc:
            return RecordError("unwritable", f"{exc.field}: {exc.problem}", (exc.field,))
        return None

    def _check_writable(self, merged: Record) -> None:
        if self.dialect.format == "jsonl":
            jsonl_line(merged, "\n")
            return
        for name, value in merged.items():
            csv_cell(name, value)

    def _apply(self, row: Row | None, merged: Record) -> None:
        if row is None:
            row = Row(0, "", merged, dirty=True)
            self.table.rows.append(row)
        else:
            self._unindex(row)
            row.values, row.dirty = merged, True
        self._index(row)
        known = set(self.table.columns)
        self.table.columns += [name for name in merged if name not in known]
        self.changed = True


__all__ = ["META", "TableEditor", "key_text"]
