"""create / write / unlink: value conversion, log-access stamping, references and constraints.

What Odoo checks in Python raises Odoo's exceptions directly; what PostgreSQL checks (NOT NULL,
foreign keys, CHECK and UNIQUE constraints) raises an `IntegrityViolation`, which the RPC layer
turns into the ValidationError Odoo shows and `load` into its own import messages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from connectors.emulators.odoo.amounts import round_money, to_decimal
from connectors.emulators.odoo.commands import (
    CREATE,
    DELETE,
    LINK,
    SET,
    UNLINK,
    UPDATE,
    many2many_ids,
    parse_commands,
)
from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.errors import (
    PG_CHECK,
    PG_FOREIGN_KEY,
    PG_NOT_NULL,
    PG_UNIQUE,
    IntegrityViolation,
    MissingError,
)
from connectors.emulators.odoo.fields import (
    MAGIC_COLUMNS,
    Env,
    FieldSpec,
    ModelSpec,
    Record,
    to_column,
)


def create_records(
    db: Database,
    model: str,
    vals_list: Iterable[Mapping[str, Any]],
    uid: int,
    context: Mapping[str, Any] | None = None,
) -> list[int]:
    """Create one record per dict of values (one2many commands included); returns their ids."""
    env = Env(db, uid, context or {})
    spec = db.spec(model)
    given = [dict(vals) for vals in vals_list]
    lines = [_pop_one2many(spec, vals) for vals in given]
    prepared = [prepare_values(spec, vals, creating=True, context=env.context) for vals in given]
    if spec.hooks.prepare is not None:
        for values in prepared:
            spec.hooks.prepare(env, values)
    now = db.now()
    stamps = {"create_uid": uid, "write_uid": uid, "create_date": now, "write_date": now}
    ids = [db.insert(model, {**values, **stamps}) for values in prepared]
    for record_id, values in zip(ids, prepared, strict=True):
        _round_monetary(db, spec, record_id)
        _check_references(db, spec, db.tables[model][record_id], values)
    for record_id, commands in zip(ids, lines, strict=True):
        for name, value in commands.items():
            apply_one2many(env, spec, record_id, name, value)
    validate(db, spec, ids)
    _after_change(env, spec, ids)
    return ids


def write_records(
    db: Database,
    model: str,
    ids: list[int],
    vals: Mapping[str, Any],
    uid: int,
    context: Mapping[str, Any] | None = None,
) -> None:
    """Write the same values to every record of `ids`, stamping write_date and write_uid."""
    env = Env(db, uid, context or {})
    spec, table = db.spec(model), db.tables[model]
    missing = [record_id for record_id in ids if record_id not in table]
    if missing:
        raise MissingError(
            "One of the documents you are trying to access has been deleted, please try again after "
            f"refreshing.\n\n(Document type: {model}, Operation: write, Records: {missing[:6]}, User: {uid})"
        )
    plain = dict(vals)
    lines = _pop_one2many(spec, plain)
    links = {name: plain.pop(name) for name in list(plain) if spec.fields[name].type == "many2many"}
    changes = prepare_values(spec, plain, creating=False)
    _check_dereferences(db, spec, changes, uid)
    if spec.hooks.before_write is not None and ids:
        spec.hooks.before_write(env, [table[record_id] for record_id in ids], dict(vals))
    stamps = {"write_uid": uid, "write_date": db.now()} if vals else {}
    for record_id in ids:
        record_changes = {**changes, **_many2many_changes(spec, table[record_id], links)}
        db.update(model, record_id, {**record_changes, **stamps})
        _round_monetary(db, spec, record_id)
        _check_references(db, spec, table[record_id], record_changes)
        for name, value in lines.items():
            apply_one2many(env, spec, record_id, name, value)
    validate(db, spec, ids)
    _after_change(env, spec, ids)


def unlink_records(
    db: Database, model: str, ids: list[int], uid: int = 1, context: Mapping[str, Any] | None = None
) -> None:
    """Delete records (missing ones are ignored), applying every foreign key's ON DELETE rule."""
    env = Env(db, uid, context or {})
    spec, table = db.spec(model), db.tables[model]
    doomed = {record_id for record_id in ids if record_id in table}
    if not doomed:
        return
    if spec.hooks.before_unlink is not None:
        spec.hooks.before_unlink(env, [table[record_id] for record_id in sorted(doomed)])
    for other_model, name, field in _references_to(db, model):
        _on_delete(env, model, doomed, other_model, name, field)
    _drop_many2many_links(db, model, doomed)
    gone = [dict(table[record_id]) for record_id in sorted(doomed) if record_id in table]
    for record in gone:
        db.delete(model, record["id"])
    if spec.hooks.after_change is not None:
        spec.hooks.after_change(env, gone)


def prepare_values(
    spec: ModelSpec, vals: Mapping[str, Any], *, creating: bool, context: Mapping[str, Any] | None = None
) -> Record:
    """Column values for `vals`: unknown fields refused, magic and computed ones dropped, defaults added.

    A new record takes `default_<field>` keys of the context before the fields' own defaults.
    """
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
            if name in values or name in MAGIC_COLUMNS:
                continue
            if context and f"default_{name}" in context:
                values[name] = to_column(f"{spec.name}.{name}", field, context[f"default_{name}"])
            elif field.default is not None:
                values[name] = to_column(f"{spec.name}.{name}", field, field.default_value())
    return values


# ---- x2many fields ----


def _pop_one2many(spec: ModelSpec, vals: Record) -> dict[str, Any]:
    """Take the one2many values (commands applied once the record exists) out of `vals`."""
    return {
        name: vals.pop(name)
        for name in list(vals)
        if name in spec.fields and spec.fields[name].type == "one2many" and spec.fields[name].inverse_name
    }


def _many2many_changes(spec: ModelSpec, record: Record, links: Mapping[str, Any]) -> Record:
    return {
        name: many2many_ids(f"{spec.name}.{name}", record.get(name) or [], value)
        for name, value in links.items()
        if spec.fields[name].writable
    }


def apply_one2many(env: Env, spec: ModelSpec, record_id: int, name: str, value: Any) -> None:
    """Apply one2many commands to the lines of one record (`(0, 0, vals)` creates a line...)."""
    field = spec.fields[name]
    assert field.relation is not None and field.inverse_name is not None
    db, relation, inverse = env.db, field.relation, field.inverse_name
    for command in parse_commands(f"{spec.name}.{name}", value):
        current = list(db.children(relation, inverse).get(record_id, []))
        if command.code == CREATE:
            create_records(db, relation, [{**(command.values or {}), inverse: record_id}], env.uid)
        elif command.code == UPDATE:
            write_records(db, relation, [command.id], command.values or {}, env.uid)
        elif command.code == DELETE:
            unlink_records(db, relation, [command.id], env.uid)
        elif command.code == LINK:
            write_records(db, relation, [command.id], {inverse: record_id}, env.uid)
        else:
            kept = set(command.ids) if command.code == SET else set()
            dropped = [command.id] if command.code == UNLINK else [i for i in current if i not in kept]
            _drop_lines(env, relation, inverse, dropped)
            for line_id in command.ids:
                if line_id not in current:
                    write_records(db, relation, [line_id], {inverse: record_id}, env.uid)


def _drop_lines(env: Env, relation: str, inverse: str, line_ids: list[int]) -> None:
    """Unlinked lines are deleted when their link is required or cascades, else detached."""
    if not line_ids:
        return
    field = env.db.spec(relation).fields[inverse]
    if field.required or field.ondelete == "cascade":
        unlink_records(env.db, relation, line_ids, env.uid)
    else:
        write_records(env.db, relation, line_ids, {inverse: False}, env.uid)


def _drop_many2many_links(db: Database, model: str, doomed: set[int]) -> None:
    """Relation-table rows pointing at deleted records go with them (ON DELETE CASCADE)."""
    for other, other_spec in db.specs.items():
        for name, field in other_spec.stored_columns():
            if field.type != "many2many" or field.relation != model:
                continue
            for record in db.tables[other].values():
                linked = record.get(name) or []
                if doomed.intersection(linked):
                    db.update(other, record["id"], {name: [i for i in linked if i not in doomed]})


def _round_monetary(db: Database, spec: ModelSpec, record_id: int) -> None:
    """Monetary columns hold amounts rounded to their record's currency (`Monetary.convert_to_cache`)."""
    record = db.tables[spec.name][record_id]
    for name in spec.monetary_columns:
        if not record.get(name):
            continue
        currency_id = db.value(spec.name, record, spec.fields[name].currency_field)
        if currency_id:
            rounded = float(round_money(db, currency_id, to_decimal(record[name])))
            if rounded != record[name]:
                db.update(spec.name, record_id, {name: rounded})


def _after_change(env: Env, spec: ModelSpec, ids: list[int]) -> None:
    if spec.hooks.after_change is not None:
        table = env.db.tables[spec.name]
        spec.hooks.after_change(env, [table[record_id] for record_id in ids if record_id in table])


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
        field = spec.fields.get(name)  # keys outside the field table are emulator bookkeeping
        if field is None or field.relation is None or field.type == "one2many":
            continue
        targets = record.get(name) or [] if field.type == "many2many" else [record.get(name)]
        for target in targets:
            if target is not None and target not in db.tables[field.relation]:
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


def _on_delete(env: Env, model: str, doomed: set[int], other: str, name: str, field: FieldSpec) -> None:
    db = env.db
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
        unlink_records(db, other, referencing, env.uid, env.context)
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
