"""The Files connector: CSV and JSON Lines exports in a folder or at an fsspec URL (see the package
docstring, `connectors/files/__init__.py`, for the connection, reads, writes and quirks)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from connectors.files.formats import EXTENSIONS, Dialect, Format, Malformed, Table, parse, render
from connectors.files.merge import META, TableEditor, key_text
from connectors.files.storage import MAGIC, SYSTEM, FileInfo, Storage, check_relative
from hub.errors import ConfigError, FatalAPIError
from hub.io.connections import Connection
from hub.io.connector import (
    Connector,
    FieldInfo,
    FormField,
    ObjectShape,
    ObjectSpec,
    filter_terms,
    passes_filter,
    written_filter,
)
from hub.io.http import ApiCalls, RetryPolicy
from hub.io.records import Page, Record, Unreadable, WriteOp, WriteResult
from hub.io.redact import REDACTOR, is_secret_key

EARLIEST = datetime.min.replace(tzinfo=UTC)
DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
Entry = Record | Unreadable  # what one line (or record) of a file turned out to be
Stamped = tuple[datetime | None, Entry]  # an entry and the time it changed (None: unknown)


class MalformedRecord(FatalAPIError):
    """A file the connector cannot read at all: names the file, the line and the problem."""

    def __init__(self, file: str, line: int, problem: str) -> None:
        self.file, self.line, self.problem = file, line, problem
        super().__init__(
            SYSTEM,
            f"{file} line {line}: {problem} (the whole file cannot be read; fix it, or the options)",
            code="malformed",
        )


def unreadable(
    file: str, line: int, problem: str, text: str | None = None, field: str | None = None
) -> Unreadable:
    """A line of a file that cannot be read, as the engine quarantines it (id `file:line`)."""
    return Unreadable(
        f"{file}:{line}", file, f"{file} line {line}", problem, {"file": file, "line": line}, field, text
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """A time as ISO 8601 in UTC with `Z` (milliseconds when it has a fraction)."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond // 1000:03d}Z" if moment.microsecond else "Z")


def parse_cursor(value: Any) -> datetime:
    """A cursor column's value (ISO 8601 date-time or date; naive means UTC) as an aware time."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.strip())
    else:
        raise ValueError(f"{value!r} is not a date-time")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class FilesConnector(Connector):
    """CSV and JSON Lines files in a folder or at an fsspec URL."""

    system = SYSTEM
    display_name = "Files (CSV, JSON Lines)"
    conn_type = "omnihub_files"
    default_conn_id = "files_default"
    max_batch = 10_000  # ops merged into one rewrite of the file
    max_page = 10_000
    form_fields = {
        "storage_options": FormField(
            "Storage options",
            'JSON object of fsspec storage options, e.g. {"key": "…", "secret": "…"} for s3://',
            secret=True,
        ),
        "format": FormField("Format", "csv or jsonl; by default each file's extension says"),
        "delimiter": FormField("CSV delimiter", "One character, or tab (default ,)"),
        "encoding": FormField("Encoding", "Text encoding of the files (utf-8)"),
    }
    standard_fields = {
        "hidden": ["schema", "login", "password", "port"],
        "labels": {"host": "Folder or URL"},
        "placeholders": {"host": "/data/exports, file:///data/exports or s3://bucket/exports"},
    }
    options_schema = Connector.extended_options(
        {
            "format": {
                "enum": ["csv", "jsonl"],
                "description": (
                    "How the files read: csv or jsonl (JSON Lines). By default the connection's `format`, "
                    "else each file's extension (.csv, .tsv, .jsonl, .ndjson, past .gz/.bz2/.zst)."
                ),
                "examples": ["csv"],
            },
            "delimiter": {
                "type": "string",
                "anyOf": [{"minLength": 1, "maxLength": 1}, {"enum": sorted(DELIMITERS)}],
                "description": (
                    "The CSV delimiter: one character, or tab, comma, semicolon, pipe. By default the "
                    "connection's, else a tab for .tsv files and a comma for the others."
                ),
                "default": ",",
                "examples": [";", "tab"],
            },
            "encoding": {
                "type": "string",
                "minLength": 1,
                "description": (
                    "The files' text encoding, a Python codec name (a UTF-8 byte-order mark is read and "
                    "kept). By default the connection's, else utf-8."
                ),
                "default": "utf-8",
                "examples": ["cp1252", "utf-16"],
            },
        },
        "How the mapping's files read, in place of the connection's defaults.",
    )

    def __init__(
        self, connection: Connection, *, calls: ApiCalls | None = None, policy: RetryPolicy | None = None
    ) -> None:
        super().__init__(connection, calls=calls, policy=policy)
        self.clock: Callable[[], datetime] = _utc_now  # what a written cursor column is stamped with

    # Configuration ----------------------------------------------------------------------------
    @cached_property
    def storage(self) -> Storage:
        """The files under the connection's folder or URL."""
        return Storage(self._base(), self._storage_options(), self.calls, self.connection.conn_id)

    def _base(self) -> str:
        host, schema = (self.connection.host or "").strip(), (self.connection.schema or "").strip("/")
        if not host and not schema:
            raise ConfigError(
                f"connection {self.connection.conn_id!r} has no host: set it to a folder or an fsspec URL"
            )
        if not host:
            return f"/{schema}"
        return f"{host.rstrip('/')}/{schema}" if schema else host

    def _storage_options(self) -> dict[str, Any]:
        raw = self.connection.option("storage_options") or {}
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"connection {self.connection.conn_id!r}: storage_options is not valid JSON ({exc.msg})"
                ) from None
        if not isinstance(raw, dict):
            raise ConfigError(f"connection {self.connection.conn_id!r}: storage_options must be an object")
        REDACTOR.add(*_secret_values(raw))
        return raw

    def _option(self, obj: ObjectSpec, name: str) -> Any:
        """An option of the mapping (`options:`), else of the connection's extras."""
        value = obj.options.get(name)
        return value if value not in (None, "") else self.connection.option(name)

    def dialect(self, obj: ObjectSpec, file: str) -> Dialect:
        """How a file reads: the `format`, `delimiter` and `encoding` options, else its extension."""
        extension = _extension(file)
        chosen = self._option(obj, "format")
        fmt = str(chosen or EXTENSIONS.get(extension, "")).lower()
        if fmt not in ("csv", "jsonl"):
            problem = f"format {chosen!r} is not" if chosen else f"cannot tell the format of {file}:"
            raise FatalAPIError(SYSTEM, f"{problem} csv or jsonl (the option format)")
        delimiter = str(self._option(obj, "delimiter") or ("\t" if extension == "tsv" else ","))
        delimiter = DELIMITERS.get(delimiter.lower(), delimiter)
        if len(delimiter) != 1:
            raise FatalAPIError(SYSTEM, f"the CSV delimiter must be one character, not {delimiter!r}")
        encoding = str(self._option(obj, "encoding") or "utf-8")
        format_: Format = "csv" if fmt == "csv" else "jsonl"
        return Dialect(format_, delimiter, encoding)

    def check(self) -> str:
        return f"Files: {self.storage.check()}"

    def describe(self, object_name: str, sample: int = 100) -> ObjectShape:
        """The columns of the files matching `object_name` (a CSV header, a JSON Lines record's keys;
        the union, in the order first seen) and their first `sample` rows; every value is text in a
        CSV, so each column's type is what its values look like only to `hub new mapping`'s profile."""
        obj = ObjectSpec(object_name, (), "_line")  # no key is known yet: every row is read
        names: dict[str, None] = {}
        rows: list[dict[str, Any]] = []
        for page in self.read_changes(obj, None, max(1, sample)):
            for record in page.records:
                names.update(dict.fromkeys(k for k in record if k not in META))
                if len(rows) < sample:
                    rows.append({k: v for k, v in record.items() if k not in META})
            if len(rows) >= sample:
                break
        if not names:
            raise ConfigError(f"files: no readable rows in files matching {object_name!r}")
        return ObjectShape(object_name, tuple(FieldInfo(name, type="text") for name in names), tuple(rows))

    def record_id(self, obj: ObjectSpec, record: Record) -> str:
        return key_text(record.get(obj.primary_key)) or ""

    # Reads ------------------------------------------------------------------------------------
    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        """Changed files oldest first; with a cursor column, their rows changed since, by cursor.

        Lines that cannot be read come in the pages' `unreadable`, and every file read in full in
        their `covered`."""
        size = max(1, min(page_size, self.max_page))
        files = [
            f
            for f in self.storage.matching(obj.name)
            if since is None or f.modified is None or f.modified >= since
        ]
        covered: list[str] = []
        if obj.cursor_field:
            rows = self._by_cursor(obj, files, since, covered)
            yield from _pages(iter(rows), size, len(rows), covered)
        else:
            yield from _pages(self._by_file(obj, files, covered), size, None, covered)

    def read_again(self, obj: ObjectSpec, places: Sequence[str]) -> Iterator[Page]:
        """These files again, each whole in one page whatever its cursors say (for quarantined
        unreadable lines: the engine then settles them); files gone or no longer matching are left out."""
        wanted = set(places)
        for file in self.storage.matching(obj.name):
            if file.name in wanted:
                entries: list[Stamped] = [(None, entry) for _, entry in self._entries(obj, file)]
                yield _page(entries, len(entries), [file.name])

    def _by_file(self, obj: ObjectSpec, files: list[FileInfo], covered: list[str]) -> Iterator[Stamped]:
        """Every record (and unreadable line) of each file, stamped with the file's modification time."""
        for file in files:
            entries = self._entries(obj, file)
            covered.append(file.name)
            for _, entry in entries:
                yield file.modified, entry

    def _by_cursor(
        self, obj: ObjectSpec, files: list[FileInfo], since: datetime | None, covered: list[str]
    ) -> list[Stamped]:
        """Records whose cursor column is at or after `since`, ordered by (cursor, key); the changed
        files' unreadable lines always, first (their time is unknown: they never move the cursor)."""
        rows: list[Stamped] = []
        for file in files:
            for stamp, entry in self._entries(obj, file):
                if since is None or stamp is None or stamp >= since or isinstance(entry, Unreadable):
                    rows.append((stamp, entry))
            covered.append(file.name)
        rows.sort(key=lambda r: (r[0] or EARLIEST, self._order(obj, r[1])))
        return rows

    def _order(self, obj: ObjectSpec, entry: Entry) -> tuple[int, int, str]:
        """Keys in a natural order (9 before 10), unreadable lines after them by id."""
        if isinstance(entry, Unreadable):
            return (2, 0, entry.record_id)
        return _key_order(self.record_id(obj, entry))

    def _table(self, obj: ObjectSpec, file: FileInfo) -> Table:
        try:
            return parse(self.storage.read(file), self.dialect(obj, file.name))
        except Malformed as exc:
            raise MalformedRecord(file.name, exc.line, exc.problem) from None

    def _entries(self, obj: ObjectSpec, file: FileInfo) -> list[Stamped]:
        """A file's records that pass the mapping's filter, each with its `_file` and `_line` and
        stamped with its cursor (an empty cell: the file's time), and its lines that cannot be read
        (stamped None), in file order."""
        terms, found = _text_terms(obj), list[Stamped]()
        modified = file.modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if file.modified else None
        for row in self._table(obj, file).rows:
            if row.problem is not None:
                found.append((None, unreadable(file.name, row.line, row.problem, row.text)))
            elif row.values is not None:
                record = {**row.values, "_file": file.name, "_line": row.line, "_modified": modified}
                if passes_filter(terms, record, _text_of):
                    found.append(self._checked(obj, file, record, row.text))
        return found

    def _checked(self, obj: ObjectSpec, file: FileInfo, record: Record, text: str) -> Stamped:
        """A record and its cursor (an empty cell: the file's time), or why its line is unreadable:
        no key, or a cursor that is no date-time."""
        line, key, cursor = int(record["_line"]), obj.primary_key, obj.cursor_field
        if key_text(record.get(key)) is None:
            problem = f"no value in the key column {key!r}"
            return None, unreadable(file.name, line, problem, text, key)
        value = record.get(cursor) if cursor else None
        if value in (None, ""):
            return file.modified, record
        try:
            return parse_cursor(value), record
        except ValueError:
            problem = f"{cursor} {value!r} is not an ISO 8601 date-time"
            return None, unreadable(file.name, line, problem, text, cursor)

    def _everything(self, obj: ObjectSpec) -> Iterator[Record]:
        """Every readable record of the matching files, whatever its cursor cell holds (lines that
        cannot be read match nothing)."""
        keyed = replace(obj, cursor_field=None)
        for file in self.storage.matching(obj.name):
            yield from (e for _, e in self._entries(keyed, file) if not isinstance(e, Unreadable))

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        """By scanning the files; a key found in several rows gives the newest file's last row."""
        wanted = set(map(str, ids))
        found = {self.record_id(obj, r): r for r in self._everything(obj) if self.record_id(obj, r) in wanted}
        return [found[i] for i in dict.fromkeys(map(str, ids)) if i in found]

    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        """By scanning the files, comparing values as the text a file holds (1 matches "1")."""
        wanted = {name: {key_text(v) for v in values} for name, values in criteria.items()}
        return [
            r
            for r in self._everything(obj)
            if all(key_text(r.get(name)) in texts for name, texts in wanted.items())
        ]

    # Writes -----------------------------------------------------------------------------------
    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Merge the ops into the one file the object names, then replace that file atomically."""
        if not ops:
            return []
        return self._edit(obj, lambda editor: [editor.upsert(op) for op in ops])

    def delete(self, obj: ObjectSpec, ids: Sequence[str]) -> list[WriteResult]:
        """Remove the rows with these keys, in one rewrite of the file."""
        if not ids:
            return []
        return self._edit(obj, lambda editor: [editor.remove(str(i)) for i in ids])

    def _edit(self, obj: ObjectSpec, change: Callable[[TableEditor], list[WriteResult]]) -> list[WriteResult]:
        name = _plain_file(obj.name)
        dialect = self.dialect(obj, name)
        current = self.storage.stat(name)
        table = self._table(obj, current) if current else Table([])
        if dialect.format == "csv" and not table.width:  # no header yet: the mapping's fields
            table.columns = _columns(obj)
        editor = TableEditor(
            table,
            dialect,
            obj,
            file=name,
            stamp=iso_utc(self.clock()),
            fixed=written_filter(obj.filter),
        )
        results = change(editor)
        if editor.changed:
            self.storage.replace(name, render(table, dialect), expected=current)
        return results


# Helpers --------------------------------------------------------------------------------------------
def _pages(rows: Iterator[Stamped], size: int, total: int | None, covered: list[str]) -> Iterator[Page]:
    """Pages of `size` entries, each with the newest time among them as its cursor and the files
    read in full since the page before (`covered` fills up as `rows` reads files)."""
    batch: list[Stamped] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield _page(batch, total, covered)
            batch = []
    if batch or covered:
        yield _page(batch, total, covered)


def _page(batch: list[Stamped], total: int | None, covered: list[str]) -> Page:
    """A page of records and unreadable lines; takes the files covered so far (emptying the list)."""
    stamps = [stamp for stamp, _ in batch if stamp is not None]
    records = [entry for _, entry in batch if not isinstance(entry, Unreadable)]
    bad = [entry for _, entry in batch if isinstance(entry, Unreadable)]
    done = covered[:]
    covered.clear()
    return Page(records, max(stamps) if stamps else None, total, bad, done)


def _key_order(key: str) -> tuple[int, int, str]:
    """Keys in a natural order: numbers by value (9 before 10), then text."""
    return (0, int(key), key) if key.isdigit() else (1, 0, key)


def _extension(name: str) -> str:
    """A file's format extension, past any compression suffix (`payments.csv.gz` → csv)."""
    parts = name.rsplit("/", 1)[-1].lower().split(".")
    while len(parts) > 2 and parts[-1] in ("gz", "bz2", "xz", "zst", "lz4", "zip"):
        parts.pop()
    return parts[-1] if len(parts) > 1 else ""


def _plain_file(name: str) -> str:
    """The one file a write goes to; a glob names many, so writes refuse it."""
    name = check_relative(name)
    if MAGIC & set(name):
        raise FatalAPIError(
            SYSTEM, f"cannot write to {name!r}: writes need one file name, not a glob (e.g. payments.csv)"
        )
    return name


def _text_of(record: Record, name: str) -> str | None:
    return key_text(record.get(name))


def _text_terms(obj: ObjectSpec) -> list[tuple[str, str, Any]]:
    """The mapping's filter with values as a file's text (`true` in a CSV cell equals true)."""
    return [
        (name, operator, [key_text(v) for v in value] if operator == "not in" else key_text(value))
        for name, operator, value in filter_terms(obj)
    ]


def _columns(obj: ObjectSpec) -> list[str]:
    """A new file's header: key, external id, then the mapping's fields."""
    names = [obj.primary_key, *([obj.external_id_field] if obj.external_id_field else []), *obj.fields]
    return [n for n in dict.fromkeys(names) if n not in META]


def _secret_values(options: Mapping[str, Any], secret: bool = False) -> list[str]:
    """Values of secret-looking keys anywhere in nested storage options (to redact them)."""
    found: list[str] = []
    for key, value in options.items():
        hidden = secret or is_secret_key(str(key))
        if isinstance(value, Mapping):
            found += _secret_values(value, hidden)
        elif hidden and value not in (None, ""):
            found.append(str(value))
    return found


__all__ = ["FilesConnector", "MalformedRecord", "iso_utc", "parse_cursor", "unreadable"]
