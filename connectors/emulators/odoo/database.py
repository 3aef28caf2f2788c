"""The in-memory database behind the emulator: tables, id sequences, transactions and indexes.

Every RPC call runs in one `transaction()`: an exception rolls back every insert, update and delete
it made (an undo log), like PostgreSQL rolling back Odoo's cursor. Id sequences, as in PostgreSQL,
are not rolled back. Records are plain dicts of column values keyed by field name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from connectors.emulators.odoo.fields import DATETIME_FORMAT, ModelSpec, Record, empty_column

Clock = Callable[[], datetime]
UndoStep = Callable[[], None]


class Database:
    """Tables of records for a set of models, with an undo log for transactions."""

    def __init__(self, name: str, models: Iterable[ModelSpec], clock: Clock, major: int = 17) -> None:
        self.name = name
        self.clock = clock
        self.major = major  # the server's major version, where Odoo's wording differs between versions
        self.specs: dict[str, ModelSpec] = {spec.name: spec for spec in models}
        self.tables: dict[str, dict[int, Record]] = {name: {} for name in self.specs}
        self._sequences: dict[str, int] = dict.fromkeys(self.specs, 0)
        self._undo: list[UndoStep] = []
        self._depth = 0
        self._transaction_now: str | None = None
        self._version = 0
        self._index_cache: dict[tuple[str, str], dict[int, list[int]]] = {}
        self._index_version = -1
        self._memo: dict[Any, Any] = {}
        self._memo_version = -1
        self._numbers: dict[str, int] = {}

    # ---- transactions ----

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block atomically: on an exception, undo everything it changed and re-raise."""
        mark = self.savepoint()
        self._depth += 1
        try:
            yield
        except BaseException:
            self.rollback_to(mark)
            raise
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._undo.clear()
                self._transaction_now = None

    def savepoint(self) -> int:
        """A mark `rollback_to` can return to."""
        return len(self._undo)

    def rollback_to(self, mark: int) -> None:
        """Undo every change made since `mark`, newest first."""
        while len(self._undo) > mark:
            self._undo.pop()()
        self._version += 1

    def now(self) -> str:
        """The current UTC time as Odoo stores it; fixed for a whole transaction, like `now()`."""
        if self._depth and self._transaction_now is not None:
            return self._transaction_now
        moment = self.clock()
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        stamp = moment.strftime(DATETIME_FORMAT)
        if self._depth:
            self._transaction_now = stamp
        return stamp

    def next_number(self, code: str) -> int:
        """The next value of a named sequence (`ir.sequence`): like PostgreSQL's, never rolled back."""
        self._numbers[code] = self._numbers.get(code, 0) + 1
        return self._numbers[code]

    # ---- raw mutations (journaled) ----

    def insert(self, model: str, values: Record, *, record_id: int | None = None) -> int:
        """Store a new record with the next id of the model's sequence (or `record_id`); returns the id."""
        if record_id is None:
            record_id = self._sequences[model] + 1
        self._sequences[model] = max(self._sequences[model], record_id)
        table = self.tables[model]
        record = {name: empty_column(spec) for name, spec in self.specs[model].stored_columns()}
        record.update(values, id=record_id)
        table[record_id] = record
        self._journal(lambda: _discard(table, record_id))
        return record_id

    def update(self, model: str, record_id: int, changes: Record) -> None:
        """Change some columns of a record."""
        record = self.tables[model][record_id]
        previous = {name: record.get(name) for name in changes}
        record.update(changes)
        self._journal(lambda: record.update(previous))

    def delete(self, model: str, record_id: int) -> None:
        """Remove a record."""
        table = self.tables[model]
        record = table.pop(record_id)
        self._journal(lambda: table.__setitem__(record_id, record))

    def _journal(self, step: UndoStep) -> None:
        self._version += 1
        if self._depth:
            self._undo.append(step)

    # ---- reading ----

    def spec(self, model: str) -> ModelSpec:
        return self.specs[model]

    def value(self, model: str, record: Record, name: str) -> Any:
        """A field's column value for a record, computing it when the field is computed."""
        spec = self.specs[model].fields[name]
        if spec.compute is not None:
            return spec.compute(self, record)
        return record.get(name)

    def display_name(self, model: str, record_id: int) -> str:
        """The display name of a record (what many2one values show next to the id)."""
        record = self.tables[model].get(record_id)
        if record is None:
            return f"{model},{record_id}"
        return str(self.value(model, record, "display_name") or "")

    def children(self, model: str, parent_field: str) -> dict[int, list[int]]:
        """Index parent id -> ids of the records of `model` pointing to it through `parent_field`."""
        if self._index_version != self._version:
            self._index_cache.clear()
            self._index_version = self._version
        key = (model, parent_field)
        if key not in self._index_cache:
            index: dict[int, list[int]] = defaultdict(list)
            for record in self.tables[model].values():
                parent = record.get(parent_field)
                if parent is not None:
                    index[parent].append(record["id"])
            self._index_cache[key] = index
        return self._index_cache[key]

    def memo(self, key: Any, build: Callable[[], Any]) -> Any:
        """A value derived from the data, built once until the next change (indexes for computes)."""
        if self._memo_version != self._version:
            self._memo.clear()
            self._memo_version = self._version
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]


def _discard(table: dict[int, Record], record_id: int) -> None:
    table.pop(record_id, None)


def default_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)
