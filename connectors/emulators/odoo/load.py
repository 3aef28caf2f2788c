"""Odoo's `load` (the import behind "Import records"): a matrix of strings to create or update.

Columns are field paths: `.id` (database id: the row updates that record), plain field names, and
`field/.id` or plain `field` (by name) for many2one. Cells are strings converted per field type
with the messages of `ir.fields.converter`; empty cells mean False. Any error rolls the whole call
back and answers `{"ids": False, "messages": [...]}`. Like `BaseModel.load` (17.0), rows are first
written as one batch and, when that fails, one by one to attribute the errors to rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.emulators.odoo import writes
from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.domain import DomainCompiler
from connectors.emulators.odoo.errors import PG_CHECK, PG_NOT_NULL, PG_UNIQUE, IntegrityViolation, UserError
from connectors.emulators.odoo.fields import (
    DATETIME_FORMAT,
    FieldSpec,
    ModelSpec,
    Record,
    to_date,
    to_datetime,
)

TRUE_WORDS = frozenset({"1", "true", "yes"})
FALSE_WORDS = frozenset({"", "0", "false", "no"})
TOO_MANY_ERRORS = (
    "Found more than 10 errors and more than one error per 10 records, "
    "interrupted to avoid showing too many errors."
)
Message = dict[str, Any]


class ImportFailure(Exception):
    """A cell that cannot be converted; `extra` is merged into the message (None: no field_name)."""

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


@dataclass
class Note:
    """A problem found while converting a cell that does not stop the conversion."""

    kind: str
    message: str
    extra: dict[str, Any] | None = None


@dataclass
class ImportRow:
    """One data row, converted: the record to update (if any) and the values to write."""

    index: int
    db_id: int | None
    values: Record = field(default_factory=dict)

    @property
    def info(self) -> Message:
        return {"rows": {"from": self.index, "to": self.index}, "record": self.index}


def fix_import_export_id_paths(name: str) -> list[str]:
    """`parent_id.id` / `parent_id:id` as `parent_id/.id` / `parent_id/id`, split on `/`."""
    fixed = re.sub(r"([^/])\.id", r"\1/.id", name)
    return re.sub(r"([^/]):id", r"\1/id", fixed).split("/")


def load_rows(
    db: Database, model: str, uid: int, context: Mapping[str, Any], fields: Sequence[str], data: Sequence[Any]
) -> dict[str, Any]:
    """Odoo's `load(fields, data)` answer: `{"ids": [...] | False, "messages": [...], "nextrow": 0}`."""
    paths = [fix_import_export_id_paths(name) for name in fields]
    _check_columns(db.spec(model), paths)
    messages: list[Message] = []
    converter = RowConverter(db, model, context, paths, messages)
    rows = [converter.convert(index, row) for index, row in enumerate(data)]
    mark = db.savepoint()
    ids = _apply_rows(db, model, uid, rows, messages)
    if any(message["type"] == "error" for message in messages):
        db.rollback_to(mark)
        return {"ids": False, "messages": messages, "nextrow": 0}
    return {"ids": ids, "messages": messages, "nextrow": 0}


def _check_columns(spec: ModelSpec, paths: list[list[str]]) -> None:
    for path in paths:
        top = path[0]
        if top == ".id" or not top:
            continue
        if top not in spec.fields:
            raise ValueError(f"Invalid field name {top!r}")
        if top == "id" or path[1:2] == ["id"]:
            raise ValueError("The Odoo emulator does not support external IDs in load(); use '.id' columns")
        if spec.fields[top].type in ("one2many", "many2many"):
            raise ValueError(f"The Odoo emulator does not support importing {spec.name}.{top} (x2many)")


class RowConverter:
    """Converts rows of strings into values, logging Odoo's import messages."""

    def __init__(
        self,
        db: Database,
        model: str,
        context: Mapping[str, Any],
        paths: list[list[str]],
        messages: list[Message],
    ) -> None:
        self.db, self.model, self.context = db, model, context
        self.spec = db.spec(model)
        self.paths, self.messages = paths, messages
        self.compiler = DomainCompiler(db, active_test=bool(context.get("active_test", True)))

    def convert(self, index: int, row: Sequence[Any]) -> ImportRow:
        converted = ImportRow(index, None)
        for path, cell in zip(self.paths, row, strict=False):
            text = "" if cell is None or cell is False else str(cell)
            if path[0] == ".id":
                converted.db_id = self._db_id(converted, text)
            elif path[0]:
                self._convert_cell(converted, path, text)
        return converted

    def _convert_cell(self, row: ImportRow, path: list[str], text: str) -> None:
        name = path[0]
        spec = self.spec.fields[name]
        if not text:
            row.values[name] = False
            return
        try:
            row.values[name], notes = self._value(spec, path[1] if len(path) > 1 else None, text)
        except ImportFailure as failure:
            notes = [Note("error", failure.message, failure.extra)]
        for note in notes:
            self.messages.append(_cell_message(row, name, spec, note))

    def _db_id(self, row: ImportRow, text: str) -> int | None:
        if not text:
            return None
        if text.strip().lstrip("-").isdigit() and self._visible(self.model, int(text)):
            return int(text)
        self.messages.append(
            {
                "rows": {"from": row.index, "to": row.index},
                "type": "error",
                "record": row.index,
                "field": ".id",
                "message": f"Unknown database identifier '{text}'",
            }
        )
        return None

    def _visible(self, model: str, record_id: int) -> bool:
        """Whether `search([('id', '=', record_id)])` finds it (archived records hide)."""
        record = self.db.tables[model].get(record_id)
        if record is None:
            return False
        return not self.compiler.active_test or record.get("active", True) is not False

    def _value(self, spec: FieldSpec, subfield: str | None, text: str) -> tuple[Any, list[Note]]:
        if spec.type == "many2one":
            return self._many2one(spec, subfield, text)
        if spec.type == "boolean":
            return _boolean(spec, text)
        if spec.type == "datetime":
            return self._datetime(spec, text), []
        return _SIMPLE_CONVERTERS.get(spec.type, _identity)(spec, text), []

    def _datetime(self, spec: FieldSpec, text: str) -> str:
        try:
            parsed = datetime.strptime(str(to_datetime(text)), DATETIME_FORMAT)
        except ValueError:
            raise ImportFailure(
                f"'{text}' does not seem to be a valid datetime for field '{spec.string}'",
                {"moreinfo": "Use the format '2012-12-31 23:59:59'"},
            ) from None
        local = parsed.replace(tzinfo=self._input_zone())
        return local.astimezone(UTC).strftime(DATETIME_FORMAT)

    def _input_zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(str(self.context.get("tz") or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def _many2one(self, spec: FieldSpec, subfield: str | None, text: str) -> tuple[Any, list[Note]]:
        assert spec.relation is not None
        if subfield == ".id":
            return self._by_database_id(spec, text), []
        if subfield is not None:
            raise ImportFailure("Can not create Many-To-One records indirectly, import the field separately")
        found = self.compiler.name_search_ids(spec.relation, text, "=", active_test=self.compiler.active_test)
        if not found:
            raise ImportFailure(
                f"No matching record found for name '{text}' in field '{spec.string}'",
                {"moreinfo": _possible_values_action(spec.relation, by_id=False)},
            )
        notes = []
        if len(found) > 1:
            message = (
                f"Found multiple matches for value '{text}' in field '{spec.string}' ({len(found)} matches)"
            )
            notes.append(Note("warning", message))
        return min(found), notes

    def _by_database_id(self, spec: FieldSpec, text: str) -> int | bool:
        assert spec.relation is not None
        if text.lower() in FALSE_WORDS:
            return False
        action = {"moreinfo": _possible_values_action(spec.relation, by_id=True)}
        if not text.strip().lstrip("-").isdigit():
            raise ImportFailure(f"Invalid database id '{text}' for the field '{spec.string}'", action)
        if not self._visible(spec.relation, int(text)):
            raise ImportFailure(
                f"No matching record found for database id '{text}' in field '{spec.string}'", action
            )
        return int(text)


def _cell_message(row: ImportRow, name: str, spec: FieldSpec, note: Note) -> Message:
    message: Message = {
        "rows": {"from": row.index, "to": row.index},
        "type": note.kind,
        "record": row.index,
        "field": name,
        "message": note.message,
    }
    if note.extra is not None:
        message.update(note.extra)
        message["field_name"] = spec.string
    return message


def _boolean(spec: FieldSpec, text: str) -> tuple[bool, list[Note]]:
    word = text.lower()
    if word in TRUE_WORDS:
        return True, []
    if word in FALSE_WORDS:
        return False, []
    # Odoo keeps True and reports an error: the row still fails the import.
    message = f"Unknown value '{text}' for boolean field '{spec.string}'"
    return True, [Note("error", message, {"moreinfo": "Use '1' for yes and '0' for no"})]


def _identity(spec: FieldSpec, text: str) -> str:
    return text


def _integer(spec: FieldSpec, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ImportFailure(
            f"'{text}' does not seem to be an integer for field '{spec.string}'", {}
        ) from None


def _float(spec: FieldSpec, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ImportFailure(f"'{text}' does not seem to be a number for field '{spec.string}'", {}) from None


def _date(spec: FieldSpec, text: str) -> str | None:
    try:
        return to_date(text)
    except ValueError:
        raise ImportFailure(
            f"'{text}' does not seem to be a valid date for field '{spec.string}'",
            {"moreinfo": "Use the format '2012-12-31'"},
        ) from None


def _selection(spec: FieldSpec, text: str) -> str:
    wanted = text.lower()
    for key, label in spec.selection:
        if wanted in (key.lower(), label.lower()):
            return key
    raise ImportFailure(
        f"Value '{text}' not found in selection field '{spec.string}'",
        {"moreinfo": [label or key for key, label in spec.selection]},
    )


_SIMPLE_CONVERTERS = {
    "integer": _integer,
    "float": _float,
    "monetary": _float,
    "date": _date,
    "selection": _selection,
}


def _possible_values_action(comodel: str, *, by_id: bool) -> dict[str, Any]:
    """The "See all possible values" action Odoo attaches to unresolved references."""
    action: dict[str, Any] = {
        "name": "Possible Values",
        "type": "ir.actions.act_window",
        "target": "new",
        "view_mode": "tree,form",
        "views": [[False, "list"], [False, "form"]],
        "context": {"create": False},
        "help": "See all possible values",
        "res_model": "ir.model.data" if by_id else comodel,
    }
    if by_id:
        action["domain"] = [["model", "=", comodel]]
    return action


# ---- writing the rows ----


def _apply_rows(
    db: Database, model: str, uid: int, rows: list[ImportRow], messages: list[Message]
) -> list[int]:
    """Write all rows as one batch; when that fails, row by row to find the failing ones."""
    mark = db.savepoint()
    try:
        return [_apply(db, model, uid, row) for row in rows]
    except Exception as exc:
        db.rollback_to(mark)
        batch_error = (
            {**rows[0].info, "type": "error", "message": str(exc)} if isinstance(exc, UserError) else None
        )
        return _apply_one_by_one(db, model, uid, rows, messages, batch_error)


def _apply(db: Database, model: str, uid: int, row: ImportRow) -> int:
    if row.db_id is not None:
        writes.write_records(db, model, [row.db_id], row.values, uid)
        return row.db_id
    return writes.create_records(db, model, [row.values], uid)[0]


def _apply_one_by_one(
    db: Database,
    model: str,
    uid: int,
    rows: list[ImportRow],
    messages: list[Message],
    batch_error: Message | None,
) -> list[int]:
    ids: list[int] = []
    errors = 0
    for position, row in enumerate(rows, 1):
        mark = db.savepoint()
        try:
            ids.append(_apply(db, model, uid, row))
        except Exception as exc:
            db.rollback_to(mark)
            errors += 1
            messages.append({**row.info, "type": "error", **_error_details(db.spec(model), exc)})
        if errors >= 10 and errors >= position / 10:
            messages.append({"type": "warning", "message": TOO_MANY_ERRORS})
            break
    # Odoo reports the batch's own error too, attributed to the first row, when it differs.
    if errors and batch_error is not None and batch_error not in messages:
        messages.insert(0, batch_error)
    return ids


def _error_details(spec: ModelSpec, exc: Exception) -> Message:
    """The message of a failed row, per error kind (`PGERROR_TO_OE` for database errors)."""
    if isinstance(exc, IntegrityViolation):
        return _database_error(spec, exc)
    if isinstance(exc, UserError):
        return {"message": str(exc)}
    return {
        "message": f"Unknown error during import: {type(exc)}: {exc}",
        "moreinfo": "Resolve other errors first",
    }


def _database_error(spec: ModelSpec, exc: IntegrityViolation) -> Message:
    if exc.pgcode == PG_NOT_NULL and exc.column:
        if exc.table != spec.table:
            return {"message": f"Missing required value for the field '{exc.column}'"}
        string = spec.fields[exc.column].string
        return {
            "message": f"Missing required value for the field '{string}' ({exc.column})",
            "field": exc.column,
        }
    if exc.pgcode == PG_CHECK:
        for constraint in spec.sql_constraints:
            if exc.constraint == f"{spec.table}_{constraint.name}":
                return {"message": f"'{constraint.message}'"}
    if exc.pgcode == PG_UNIQUE and len(exc.columns) == 1 and exc.table == spec.table:
        column = exc.columns[0]
        string = spec.fields[column].string
        message = (
            f"The value for the field '{column}' already exists "
            f"(this is probably '{string}' in the current model)."
        )
        return {"message": message, "field": column}
    return {"message": str(exc)}
