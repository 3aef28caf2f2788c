"""create / write / unlink: value conversion, log-access stamping, references and constraints.

What Odoo checks in Python raises Odoo's exceptions directly; what PostgreSQL checks (NOT NULL,
foreign keys, CHECK and UNIQUE constraints) raises an `IntegrityViolation`, which the RPC layer
turns into the ValidationError Odoo shows and `load` into its own import messages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.errors import (
    PG_CHECK,
    PG_FOREIGN_KEY,
    PG_NOT_NULL,
    PG_UNIQUE,
    IntegrityViolation,
    MissingError,
)
from connectors.emulators.odoo.fields import MAGIC_COLUMNS, FieldSpec, ModelSpec, Record, to_column


def create_records(db: Database, model: str, vals_list: Iterable[Mapping[str, Any]], uid: int) -> list[int]:
    """Create one record per dict of values; returns their ids."""
    spec = db.spec(model)
    prepared = [prepare_values(spec, vals, creating=True) for vals in vals_list]
    now = db.now()
    stamps = {"create_uid": uid, "write_uid": uid, "create_date": now, "write_date": now}
    ids = [db.insert(model, {**values, **stamps}) for values in prepared]
    for record_id, values in zip(ids, prepared, strict=True):
        _check_references(db, spec, db.tables[model][record_id], values)
    validate(db, spec, ids)
    return ids


def write_records(db: Database, model: str, ids: list[int], vals: Mapping[str, Any], uid: int) -> None:
    """Write the same values to every record of `ids`, stamping write_date and write_uid."""
    spec, table = db.spec(model), db.tables[model]
    missing = [record_id for record_id in ids if record_id not in table]
    if missing:
        raise MissingError(
            "One of the documents you are trying to access has been deleted, please try again after "
            f"refreshing.\n\n(Document type: {model}, Operation: write, Records: {missing[:6]}, User: {uid})"
        )
    changes = prepare_values(spec, vals, creating=False)
    _check_dereferences(db, spec, changes, uid)
    stamps = {"write_uid": uid, "write_date": db.now()} if vals else {}
    for record_id in ids:
        db.update(model, record_id, {**changes, **stamps})
        _check_references(db, spec, table[record_id], changes)
    validate(db, spec, ids)


def unlink_records(db: Database, model: str, ids: list[int]) -> None:
    """Delete records (missing ones are ignored), applying every foreign key's ON DELETE rule."""
    table = db.tables[model]
    doomed = {record_id for record_id in ids if record_id in table}
    if not doomed:
        return
    for other_model, name, spec in _references_to(db, model):
        _on_delete(db, model, doomed, other_model, name, spec)
    for record_id in sorted(doomed):
        if record_id in table:
            db.delete(model, record_id)


def prepare_values(spec: ModelSpec, vals: Mapping[str, Any], *, creating: bool) -> Record:
    """Column values for `vals`: unknown fields refused, magic and computed ones dropped, defaults added."""
    for name in vals:
        if name not in spec.fields:
            raise ValueError(f"Invalid field {name!r} on model {spec.name!r}")
    values: Record = {}
    for name, value in vals.items():
        field = spec.fields[name]
        if name in MAGIC_COLUMNS or not field.writable:
            continue
        if field.inverse is not None:
            values.update(prepare_values(spec, field.inverse(value), creating=False))
            continue
        values[name] = to_column(f"{spec.name}.{name}", field, value)
    if creating:
        for name, field in spec.stored_columns():
            if name not in values and field.default is not None:
                values[name] = to_column(f"{spec.name}.{name}", field, field.default_value())
    return values


def validate(db: Database, spec: ModelSpec, ids: list[int]) -> None:
    """Run the NOT NULL, SQL and Python constraints on the given records."""
    table = db.tables[spec.name]
    records = [table[record_id] for record_id in ids if record_id in table]
    for record in records:
        _check_required(spec, record)
    for constraint in spec.sql_constraints:
        if constraint.unique:
            _check_unique(db, spec, records, constraint.name, constraint.unique)
        elif constraint.check is not None:
            _check_sql_check(spec, records, constraint.name, constraint.check)
    for check in spec.constraints:
        for record in records:
            check(db, record)


def _check_sql_check(
    spec: ModelSpec, records: list[Record], name: str, check: Callable[[Record], bool]
) -> None:
    constraint = f"{spec.table}_{name}"
    if not all(check(record) for record in records):
        message = f'new row for relation "{spec.table}" violates check constraint "{constraint}"\n'
        raise IntegrityViolation(PG_CHECK, spec.table, message, constraint=constraint)


def _check_required(spec: ModelSpec, record: Record) -> None:
    for name, field in spec.stored_columns():
        if field.required and record.get(name) is None:
            raise IntegrityViolation(
                PG_NOT_NULL,
                spec.table,
                f'null value in column "{name}" of relation "{spec.table}" violates not-null constraint\n',
                column=name,
            )


def _check_unique(
    db: Database, spec: ModelSpec, records: list[Record], name: str, columns: tuple[str, ...]
) -> None:
    def key(record: Record) -> tuple[Any, ...]:
        return tuple(record.get(column) for column in columns)

    counts = Counter(key(record) for record in db.tables[spec.name].values())
    for record in records:
        value = key(record)
        if None not in value and counts[value] > 1:
            shown = ", ".join(str(part) for part in value)
            raise IntegrityViolation(
                PG_UNIQUE,
                spec.table,
                f'duplicate key value violates unique constraint "{spec.table}_{name}"\n'
                f"DETAIL:  Key ({', '.join(columns)})=({shown}) already exists.\n",
                constraint=f"{spec.table}_{name}",
                columns=columns,
            )


def _check_references(db: Database, spec: ModelSpec, record: Record, values: Record) -> None:
    """Foreign keys: a many2one must point to an existing record."""
    for name in values:
        field = spec.fields[name]
        target = record.get(name)
        if field.type != "many2one" or target is None or field.relation is None:
            continue
        if target not in db.tables[field.relation]:
            raise _foreign_key_violation(db, spec, name, field, target)


def _foreign_key_violation(
    db: Database, spec: ModelSpec, name: str, field: FieldSpec, target: int
) -> Exception:
    assert field.relation is not None
    other = db.spec(field.relation).table
    constraint = f"{spec.table}_{name}_fkey"
    return IntegrityViolation(
        PG_FOREIGN_KEY,
        spec.table,
        f'insert or update on table "{spec.table}" violates foreign key constraint "{constraint}"\n'
        f'DETAIL:  Key ({name})=({target}) is not present in table "{other}".\n',
        constraint=constraint,
    )


def _check_dereferences(db: Database, spec: ModelSpec, changes: Record, uid: int) -> None:
    """Fields the model reads back while writing fail earlier, with Odoo's MissingError."""
    for name, target in changes.items():
        field = spec.fields[name]
        relation = field.relation
        if (
            field.dereferenced_on_write
            and relation
            and target is not None
            and target not in db.tables[relation]
        ):
            raise MissingError(
                f"Record does not exist or has been deleted.\n(Record: {relation}({target},), User: {uid})"
            )


def _references_to(db: Database, model: str) -> list[tuple[str, str, FieldSpec]]:
    """Every stored many2one column, on any model, that points to `model`."""
    return [
        (other, name, field)
        for other, other_spec in db.specs.items()
        for name, field in other_spec.stored_columns()
        if field.type == "many2one" and field.relation == model
    ]


def _on_delete(db: Database, model: str, doomed: set[int], other: str, name: str, field: FieldSpec) -> None:
    # Records deleted in the same call do not hold the key any more.
    spared = doomed if other == model else set()
    referencing = [
        record["id"]
        for record in db.tables[other].values()
        if record.get(name) in doomed and record["id"] not in spared
    ]
    if not referencing:
        return
    if field.ondelete == "restrict":
        raise _restrict_violation(db, model, other, name, db.tables[other][referencing[0]][name])
    if field.ondelete == "cascade":
        unlink_records(db, other, referencing)
        return
    for record_id in referencing:
        db.update(other, record_id, {name: None})


def _restrict_violation(db: Database, model: str, other: str, name: str, target: int) -> IntegrityViolation:
    table, other_table = db.spec(model).table, db.spec(other).table
    constraint = f"{other_table}_{name}_fkey"
    return IntegrityViolation(
        PG_FOREIGN_KEY,
        other_table,
        f'update or delete on table "{table}" violates foreign key constraint "{constraint}" on table '
        f'"{other_table}"\nDETAIL:  Key (id)=({target}) is still referenced from table "{other_table}".\n',
        constraint=constraint,
    )
