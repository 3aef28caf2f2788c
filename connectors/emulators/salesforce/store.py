"""The org's data in memory: records by object, unique indexes, and the rules every write goes through.

Records are never changed in place: each write stores a new dict. A query therefore keeps a true
snapshot by holding on to the dicts it matched, and a savepoint is a shallow copy of the tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.emulators.salesforce.errors import RowError, SfError, entity_deleted
from connectors.emulators.salesforce.ids import Clock, make_id, normalize_id, short_id, truncate_ms
from connectors.emulators.salesforce.objects import Catalog, FieldDef, SObjectDef
from connectors.emulators.salesforce.values import check_fields

Record = dict[str, Any]


class MissingRecord(RowError):
    """No record has this id."""

    def __init__(self) -> None:
        super().__init__(SfError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"))


class DeletedRecord(RowError):
    """The record is in the recycle bin."""

    def __init__(self) -> None:
        super().__init__(entity_deleted())


@dataclass
class Table:
    """The records of one object, in creation order, and the index of each unique field."""

    sobject: SObjectDef
    rows: dict[str, Record] = field(default_factory=dict)
    unique: dict[str, dict[str, str]] = field(default_factory=dict)
    counter: int = 0

    def __post_init__(self) -> None:
        self.unique = {f.name: {} for f in self.sobject.unique_fields}
        self.blank: Record = {
            f.name: f.default if f.default is not None else (False if f.type == "boolean" else None)
            for f in self.sobject.fields
        }

    def live(self, record_id: str) -> Record:
        """The record with this (18-character) id, unless missing or deleted."""
        record = self.rows.get(record_id)
        if record is None:
            raise MissingRecord()
        if record["IsDeleted"]:
            raise DeletedRecord()
        return record


Savepoint = dict[str, tuple[dict[str, Record], dict[str, dict[str, str]], int]]


class Store:
    """Every object's table, with validated writes stamped by the clock."""

    def __init__(self, catalog: Catalog, clock: Clock, user_id: str) -> None:
        self.catalog, self.clock, self.user_id = catalog, clock, user_id
        self.tables = {s.name: Table(s) for s in catalog.sobjects}

    def now(self) -> datetime:
        return truncate_ms(self.clock())

    def table(self, sobject: SObjectDef) -> Table:
        return self.tables[sobject.name]

    def get(self, record_id: str) -> Record | None:
        """Any record (deleted ones too) by 15- or 18-character id."""
        full = normalize_id(record_id)
        sobject = self.catalog.for_id(full) if full else None
        return self.tables[sobject.name].rows.get(full) if sobject and full else None

    def find(self, sobject: SObjectDef, key: FieldDef, value: Any) -> list[Record]:
        """Live records whose `key` field equals `value` (ids exactly, text case-insensitively)."""
        table = self.table(sobject)
        if key.type == "id":
            record = table.rows.get(normalize_id(str(value)) or "")
            return [record] if record and not record["IsDeleted"] else []
        if key.name in table.unique:
            found = table.unique[key.name].get(str(value).lower())
            return [table.rows[found]] if found else []
        wanted = str(value).lower()
        return [r for r in table.rows.values() if not r["IsDeleted"] and str(r[key.name]).lower() == wanted]

    # ---- writes ----

    def insert(self, sobject: SObjectDef, values: Record) -> str:
        """Create a record from validated `values` (canonical field names); returns its id."""
        errors = check_fields(sobject, values, creating=True) or self._cross_checks(sobject, values, None)
        if errors:
            raise RowError(*errors)
        now = self.now()
        return self._create(sobject, values, now, now)

    def update(self, sobject: SObjectDef, record_id: str, values: Record) -> None:
        """Change a live record; raises RowError (MissingRecord, DeletedRecord) when it cannot."""
        table = self.table(sobject)
        old = table.live(record_id)
        errors = check_fields(sobject, values, creating=False) or self._cross_checks(
            sobject, values, record_id
        )
        if errors:
            raise RowError(*errors)
        now = self.now()
        self._put(table, {**old, **values, **self._stamp(now)}, old)

    def upsert(self, sobject: SObjectDef, key: FieldDef, key_value: Any, values: Record) -> tuple[str, bool]:
        """Update the record whose `key` is `key_value`, or create it; returns (id, created)."""
        if key_value in (None, ""):
            if key.type != "id":
                raise RowError(SfError("MISSING_ARGUMENT", f"{key.name} not specified"))
            return self.insert(sobject, values), True
        matches = self.find(sobject, key, key_value)
        if len(matches) > 1:
            raise RowError(SfError("DUPLICATE_EXTERNAL_ID", f"{key.name}: more than one record found"))
        if matches:
            self.update(sobject, matches[0]["Id"], values)
            return matches[0]["Id"], False
        if key.type == "id":
            raise MissingRecord()
        return self.insert(sobject, {**values, key.name: key_value}), True

    def delete_many(self, ids: Iterable[str]) -> list[SfError | None]:
        """Move records to the recycle bin (with their cascade-deleted children); one error or None per id."""
        results: list[SfError | None] = []
        deleted: dict[str, set[str]] = {}
        for raw in ids:
            full = normalize_id(raw)
            sobject = self.catalog.for_id(full) if full else None
            if full is None or sobject is None:
                results.append(SfError("MALFORMED_ID", f"malformed id {raw}"))
                continue
            try:
                self._trash(self.table(sobject), self.table(sobject).live(full))
            except RowError as exc:
                results.append(exc.errors[0])
                continue
            deleted.setdefault(sobject.name, set()).add(full)
            results.append(None)
        self._cascade(deleted)
        return results

    def load(self, sobject: SObjectDef, values: Record, created: datetime, modified: datetime) -> str:
        """Store a record as an org holds it, unvalidated and with the given timestamps (seeding)."""
        return self._create(sobject, values, truncate_ms(created), truncate_ms(modified))

    def savepoint(self) -> Savepoint:
        return {
            name: (dict(t.rows), {k: dict(v) for k, v in t.unique.items()}, t.counter)
            for name, t in self.tables.items()
        }

    def rollback(self, savepoint: Savepoint) -> None:
        for name, (rows, unique, counter) in savepoint.items():
            table = self.tables[name]
            table.rows, table.unique, table.counter = rows, unique, counter

    # ---- internals ----

    def _stamp(self, now: datetime) -> Record:
        return {"LastModifiedDate": now, "SystemModstamp": now, "LastModifiedById": self.user_id}

    def _create(self, sobject: SObjectDef, values: Record, created: datetime, modified: datetime) -> str:
        table = self.table(sobject)
        table.counter += 1
        record_id = make_id(sobject.key_prefix, table.counter)
        record = {**table.blank, **values, "Id": record_id, "IsDeleted": False}
        record |= {"CreatedDate": created, "CreatedById": self.user_id, **self._stamp(modified)}
        for number in (f for f in sobject.fields if f.auto_number):
            record[number.name] = f"{table.counter:08d}"
        self._put(table, record, None)
        return record_id

    def _put(self, table: Table, record: Record, old: Record | None) -> None:
        if table.sobject.derive is not None:
            table.sobject.derive(record)
        for compound in table.sobject.compound_fields:
            record[compound.name] = (
                " ".join(str(record[p]) for p in compound.compound_of if record[p]) or None
            )
        for name, index in table.unique.items():
            if old is not None and old[name] and index.get(str(old[name]).lower()) == old["Id"]:
                del index[str(old[name]).lower()]
            if record[name] and not record["IsDeleted"]:
                index[str(record[name]).lower()] = record["Id"]
        table.rows[record["Id"]] = record

    def _trash(self, table: Table, record: Record) -> None:
        self._put(table, {**record, "IsDeleted": True, **self._stamp(self.now())}, record)

    def _cascade(self, deleted: dict[str, set[str]]) -> None:
        """Delete the children of deleted records whose lookup cascades (Contacts of an Account)."""
        while deleted:
            children: dict[str, set[str]] = {}
            for table in self.tables.values():
                for link in table.sobject.fields:
                    parents = deleted.get(link.reference_to or "") if link.cascade_delete else None
                    if parents:
                        trashed = self._trash_children(table, link.name, parents)
                        children.setdefault(table.sobject.name, set()).update(trashed)
            deleted = {name: ids for name, ids in children.items() if ids}

    def _trash_children(self, table: Table, link: str, parents: set[str]) -> list[str]:
        children = [r for r in table.rows.values() if not r["IsDeleted"] and r[link] in parents]
        for record in children:
            self._trash(table, record)
        return [r["Id"] for r in children]

    def _cross_checks(self, sobject: SObjectDef, values: Record, own_id: str | None) -> list[SfError]:
        errors: list[SfError] = []
        for name, value in list(values.items()):
            ref = sobject.by_name[name.lower()]
            if ref.type == "reference" and value is not None:
                error, values[name] = self._reference(ref, value)
                errors += [error] if error else []
        for unique in sobject.unique_fields:
            other = self.table(sobject).unique[unique.name].get(str(values.get(unique.name) or "").lower())
            if other and other != own_id:
                message = f"duplicate value found: {unique.name} duplicates value on record with id: "
                errors.append(SfError("DUPLICATE_VALUE", message + short_id(other)))
        return errors

    def _reference(self, ref: FieldDef, value: Any) -> tuple[SfError | None, Any]:
        """The error of a lookup value, if any, and the value as an 18-character id."""
        full, target = normalize_id(str(value)), self.catalog.get(ref.reference_to or "")
        wrong_type = f"{ref.label}: id value of incorrect type: {value}"
        if full is None or target is None:
            return SfError("MALFORMED_ID", wrong_type, (ref.name,)), value
        if full[:3] != target.key_prefix:
            return SfError("FIELD_INTEGRITY_EXCEPTION", wrong_type, (ref.name,)), value
        try:
            self.table(target).live(full)
        except RowError as exc:
            return exc.errors[0], value
        return None, full
