"""Field helpers shared by the business models: one2many lists, related values, recompute stamps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.fields import Compute, Env, FieldSpec, Record
from connectors.emulators.odoo.ordering import parse_order, sort_records

COMPANY_ID = 1  # the company's partner; the company currency is USD
COMPANY_CURRENCY_ID = 2  # EUR is id 1 and USD id 2 in every database (base/data/res_currency_data.xml)


def one2many_ids(db: Database, relation: str, inverse: str, owner_id: int) -> list[int]:
    """Ids of the records of `relation` pointing at `owner_id`, in the relation's default order.

    Archived ones are left out, as Odoo's active_test leaves them out of a one2many.
    """
    table = db.tables[relation]
    rows = [table[line_id] for line_id in db.children(relation, inverse).get(owner_id, [])]
    if "active" in db.spec(relation).fields:
        rows = [row for row in rows if row.get("active")]
    return [row["id"] for row in sort_records(db, relation, rows, parse_order(db, relation, None))]


def one2many(string: str, relation: str, inverse: str, **extra: Any) -> FieldSpec:
    """A one2many field: read as the ids of its lines, written with commands (`(0, 0, vals)`...)."""

    def lines(db: Database, record: Record) -> list[int]:
        return one2many_ids(db, relation, inverse, record["id"])

    return FieldSpec(
        "one2many",
        string,
        relation=relation,
        inverse_name=inverse,
        store=False,
        search=True,
        compute=lines,
        **extra,
    )


def related(model: str, path: str) -> Compute:
    """The value at the end of a dotted path of many2one fields (`order_id.currency_id`)."""
    names = path.split(".")

    def follow(db: Database, record: Record) -> Any:
        current_model, current = model, record
        for name in names[:-1]:
            relation = db.spec(current_model).fields[name].relation
            target = db.value(current_model, current, name)
            found = db.tables[relation].get(target) if relation and target else None
            if found is None:
                return None
            current_model, current = str(relation), found
        return db.value(current_model, current, names[-1])

    return follow


def touch(env: Env, model: str, ids: Iterable[int | None]) -> None:
    """Stamp write_date/write_uid on records whose stored computed values were recomputed.

    Odoo's `_write` of recomputed stored fields sets the log-access columns too, so an order whose
    lines change (and so its totals) is "modified" for anyone reading changes by write_date.
    """
    table = env.db.tables[model]
    stamp = {"write_date": env.db.now(), "write_uid": env.uid}
    for record_id in sorted({record_id for record_id in ids if record_id and record_id in table}):
        env.db.update(model, record_id, stamp)


def records_of(db: Database, model: str, ids: Iterable[int]) -> list[Record]:
    """The records with these ids that exist, in the given order."""
    table = db.tables[model]
    return [table[record_id] for record_id in ids if record_id in table]


def today(db: Database) -> str:
    """`fields.Date.context_today` for a UTC user: the date part of the transaction's now."""
    return db.now()[:10]
