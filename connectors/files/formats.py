"""The two export formats, line by line: CSV (every value stays the text of its cell) and JSON Lines
(numbers with a fraction or exponent become exact `Decimal`s, so money never passes through a float).

A file is read into a `Table` whose rows keep their line number and raw text: reads name the line of a
bad record, and a rewrite leaves every row it did not change byte for byte as it was. A row that
cannot be read (wrong number of cells, bad JSON, bytes the encoding cannot decode) keeps its text
and says why in `problem`; only a file that cannot be read at all raises `Malformed`.

    table = parse(data, Dialect("csv"))
    table.rows[0].values   # {"id": "P-1", "amount": "0.10", "memo": None}
    render(table, Dialect("csv")) == data
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from hub.io import exactjson
from hub.io.records import Record

Format = Literal["csv", "jsonl"]
EXTENSIONS: dict[str, Format] = {"csv": "csv", "tsv": "csv", "jsonl": "jsonl", "ndjson": "jsonl"}
QUOTING = "a quoted cell is never closed, or text follows its closing quote"
UTF8 = ("utf-8", "utf8", "utf-8-sig", "utf_8")
ESCAPED = re.compile("[\udc80-\udcff]")  # an undecodable byte, kept as a surrogate escape


class Malformed(Exception):
    """A file (or one line of it) that cannot be read; `line` is where the problem starts."""

    def __init__(self, line: int, problem: str) -> None:
        self.line, self.problem = line, problem
        super().__init__(f"line {line}: {problem}")


class Unwritable(Exception):
    """A value that the file's format cannot hold (a nested object in a CSV cell, NaN in JSON)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True)
class Dialect:
    """How one file is written: its format, CSV delimiter and text encoding."""

    format: Format
    delimiter: str = ","
    encoding: str = "utf-8"


@dataclass
class Row:
    """One record of a file: its values, or the problem that makes it unreadable.

    A row with neither is filler (a blank line) that reads skip and rewrites keep."""

    line: int  # where the record starts, 1-based (0: not in the file yet)
    text: str  # the raw text, line ending included
    values: Record | None = None
    problem: str | None = None
    dirty: bool = False  # changed since it was read: rendered again from its values


@dataclass
class Table:
    """A whole file: the header (CSV), the rows in file order, and how lines end."""

    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    header: str | None = None  # the raw header text (CSV files that exist)
    width: int = 0  # columns the header text holds; later ones were added by a write
    newline: str = "\n"
    bom: bytes = b""
    escaped: bool = False  # the text holds undecodable bytes as surrogate escapes (kept on rewrite)


def parse(data: bytes, dialect: Dialect) -> Table:
    """A file's bytes as a Table (Malformed when it cannot be read at all: an unknown encoding, a
    header that cannot be split or decoded, a column named twice)."""
    bom, text, escaped = _decode(data, dialect.encoding)
    table = _parse_csv(text, dialect.delimiter) if dialect.format == "csv" else _parse_jsonl(text)
    table.bom, table.escaped = bom, escaped
    if escaped:
        _refuse_undecodable(table, dialect.encoding)
    return table


def _decode(data: bytes, encoding: str) -> tuple[bytes, str, bool]:
    """The BOM, the text, and whether undecodable bytes had to be kept as surrogate escapes."""
    bom = codecs.BOM_UTF8 if encoding.lower() in UTF8 and data.startswith(codecs.BOM_UTF8) else b""
    codec = "utf-8" if bom else encoding
    try:
        return bom, data[len(bom) :].decode(codec), False
    except UnicodeDecodeError:
        return bom, data[len(bom) :].decode(codec, errors="surrogateescape"), True
    except LookupError:
        raise Malformed(1, f"unknown encoding {encoding!r}") from None


def _refuse_undecodable(table: Table, encoding: str) -> None:
    """Rows holding a byte the encoding cannot decode become unreadable; a header holding one makes
    the whole file unreadable (no row can be named without it)."""
    found = ESCAPED.search(table.header or "")
    if found:
        line = (table.header or "")[: found.start()].count("\n") + 1
        raise Malformed(line, _undecodable(found.group(), encoding))
    for row in table.rows:
        found = ESCAPED.search(row.text) if row.values is not None else None
        if found:
            row.values, row.problem = None, _undecodable(found.group(), encoding)


def _undecodable(escape: str, encoding: str) -> str:
    byte = ord(escape) - 0xDC00
    return f"byte 0x{byte:02x} is not {encoding} text; set the `encoding` option (e.g. cp1252)"


def _lines(text: str) -> list[str]:
    """The physical lines of a text, endings kept (\\n, \\r\\n or \\r, never other separators)."""
    return list(io.StringIO(text, newline=""))


def _ending(line: str) -> str:
    return "\r\n" if line.endswith("\r\n") else line[-1] if line.endswith(("\n", "\r")) else "\n"


# CSV ----------------------------------------------------------------------------------------------
def _records(lines: list[str], delimiter: str) -> Iterator[tuple[int, list[str] | None, str]]:
    """(first line, cells, raw text) per CSV record; cells None for a quoting error (the rest of the
    file then comes as that one record: nothing after it can be split reliably)."""
    position = 0

    def feed() -> Iterator[str]:
        nonlocal position
        while position < len(lines):
            position += 1
            yield lines[position - 1]

    reader = csv.reader(feed(), delimiter=delimiter, strict=True)
    start = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield start + 1, None, "".join(lines[start:])
            return
        yield start + 1, cells, "".join(lines[start:position])
        start = position


def _parse_csv(text: str, delimiter: str) -> Table:
    lines = _lines(text)
    table: Table | None = None
    leading = ""
    for line, cells, raw in _records(lines, delimiter):
        if table is None and cells is None:
            raise Malformed(line, QUOTING)
        if table is None:
            assert cells is not None
            if not any(cells):
                leading += raw
                continue
            table = Table(_column_names(cells, line), header=leading + raw, width=len(cells))
            table.newline = _ending(raw)
            continue
        table.rows.append(_csv_row(table, line, cells, raw))
    return table or Table([], header=leading or None)


def _column_names(cells: list[str], line: int) -> list[str]:
    """Header cells as column names; an empty one is named by its position (`column_3`)."""
    names = [cell or f"column_{number}" for number, cell in enumerate(cells, 1)]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise Malformed(line, f"column {name!r} appears twice in the header")
        seen.add(name)
    return names


def _csv_row(table: Table, line: int, cells: list[str] | None, raw: str) -> Row:
    if cells is None:
        return Row(line, raw, problem=QUOTING)
    if not any(cells):
        return Row(line, raw)
    if len(cells) != table.width:
        return Row(line, raw, problem=f"{len(cells)} cells where the header has {table.width}")
    return Row(line, raw, {name: cell or None for name, cell in zip(table.columns, cells, strict=True)})


def csv_cell(name: str, value: Any) -> str:
    """A value as the text of a CSV cell (None: an empty cell); Unwritable for nested values."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise Unwritable(name, f"{value} is not a number a file can hold")
        return format(value, "f")
    if isinstance(value, float) and not math.isfinite(value):
        raise Unwritable(name, f"{value} is not a number a file can hold")
    if isinstance(value, (dict, list, tuple, set)):
        raise Unwritable(name, f"a {type(value).__name__} cannot be written to a CSV cell")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def csv_line(cells: list[str], delimiter: str, newline: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerow(cells)
    return out.getvalue()


# JSON Lines ---------------------------------------------------------------------------------------
def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_jsonl(text: str) -> Table:
    table = Table([])
    seen: dict[str, None] = {}
    for number, raw in enumerate(_lines(text), 1):
        if number == 1:
            table.newline = _ending(raw)
        row = _jsonl_row(number, raw)
        seen |= dict.fromkeys(row.values or ())
        table.rows.append(row)
    table.columns = list(seen)
    return table


def _jsonl_row(number: int, raw: str) -> Row:
    if not raw.strip():
        return Row(number, raw)
    try:
        value = json.loads(raw.rstrip("\r\n"), parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return Row(number, raw, problem=f"not valid JSON ({exc.msg} at column {exc.colno})")
    except ValueError as exc:
        return Row(number, raw, problem=f"not valid JSON ({exc})")
    if not isinstance(value, dict):
        return Row(number, raw, problem=f"a JSON {_json_kind(value)}, where each line must be an object")
    return Row(number, raw, value)


def _json_kind(value: Any) -> str:
    kinds = {list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"a {type(value).__name__} cannot be written as JSON")


def jsonl_line(values: Record, newline: str) -> str:
    """One record as a line of JSON (exact decimals; Unwritable for NaN, ∞ and non-JSON values)."""
    try:
        text = exactjson.dumps(
            values, default=_json_default, allow_nan=False, ensure_ascii=False, separators=(",", ":")
        )
    except (TypeError, ValueError) as exc:
        raise Unwritable(_culprit(values), str(exc)) from None
    return text + newline


def _culprit(values: Record) -> str:
    """The first field whose value JSON cannot hold, for the error that names it."""
    for name, value in values.items():
        try:
            exactjson.dumps({name: value}, default=_json_default, allow_nan=False)
        except (TypeError, ValueError):
            return name
    return "(record)"


# Rendering ----------------------------------------------------------------------------------------
def render_row(table: Table, row: Row, dialect: Dialect) -> str:
    """A changed row's text in the table's current columns (Unwritable when a value cannot be)."""
    values = row.values or {}
    if dialect.format == "jsonl":
        return jsonl_line(values, table.newline)
    cells = [csv_cell(name, values.get(name)) for name in table.columns]
    return csv_line(cells, dialect.delimiter, table.newline)


def render(table: Table, dialect: Dialect) -> bytes:
    """The file's new bytes: untouched rows as they were (CSV rows padded to added columns)."""
    parts = [_header(table, dialect)] if dialect.format == "csv" else []
    added = len(table.columns) - table.width if dialect.format == "csv" else 0
    for row in table.rows:
        if row.dirty:
            parts.append(render_row(table, row, dialect))
        elif row.values is not None and added > 0:
            parts.append(_extended(row.text, dialect.delimiter * added, table.newline))
        else:
            parts.append(row.text)
    text = "".join(_terminated(parts, table.newline))
    encoding = "utf-8" if table.bom else dialect.encoding
    return table.bom + text.encode(encoding, errors="surrogateescape" if table.escaped else "strict")


def _header(table: Table, dialect: Dialect) -> str:
    if table.header is None:
        return csv_line(table.columns, dialect.delimiter, table.newline)
    added = table.columns[table.width :]
    if not added:
        return table.header
    tail = csv_line(added, dialect.delimiter, "")
    if not table.width:  # only blank lines stood before: the header starts after them
        return table.header + tail + table.newline
    return _extended(table.header, dialect.delimiter + tail, table.newline)


def _extended(text: str, tail: str, newline: str) -> str:
    """A record's text with `tail` (more cells) added before its line ending."""
    body = text.rstrip("\r\n")
    return body + tail + (text[len(body) :] or newline)


def _terminated(parts: list[str], newline: str) -> Iterator[str]:
    """The parts, each ending its line (a last line written without an ending gets one)."""
    for part in parts:
        yield part if not part or part.endswith(("\n", "\r")) else part + newline


__all__ = [
    "EXTENSIONS",
    "Dialect",
    "Format",
    "Malformed",
    "Row",
    "Table",
    "Unwritable",
    "csv_cell",
    "jsonl_line",
    "parse",
    "render",
    "render_row",
]
