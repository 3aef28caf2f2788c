"""The `order` argument of search: parsing (Odoo's syntax) and sorting with PostgreSQL's rules.

Ascending puts NULLs last and descending puts them first, unless `nulls first|last` says
otherwise; text sorts case-insensitively first (close to a database collation); a many2one sorts
by the related model's own default order; non-stored fields are ignored, as Odoo ignores them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.fields import Record

ORDER_PATTERN = re.compile(
    r'^(\s*([a-z0-9:_]+|"[a-z0-9:_]+")(\.id)?(\s+(desc|asc))?(\s+(nulls)\s+(first|last))?\s*(,|$))+(?<!,)$',
    re.IGNORECASE,
)
TERM_PATTERN = re.compile(
    r'\s*"?(?P<name>[a-z0-9:_]+)"?(?P<raw>\.id)?(?:\s+(?P<dir>desc|asc))?(?:\s+nulls\s+(?P<nulls>first|last))?',
    re.IGNORECASE,
)


@dataclass(frozen=True)
class OrderTerm:
    """One `field [asc|desc] [nulls first|last]` of an order specification."""

    field: str
    descending: bool = False
    nulls_first: bool = False
    raw_id: bool = False


def parse_order(db: Database, model: str, order: str | None) -> list[OrderTerm]:
    """The terms of `order` (the model's default order when empty); raises ValueError like Odoo."""
    spec = db.spec(model)
    text = order or spec.order
    if not ORDER_PATTERN.match(text):
        raise ValueError(
            f'Invalid "order" specified ({text}). A valid "order" specification is a comma-separated list '
            "of valid field names (optionally followed by asc/desc for the direction)"
        )
    terms = [_term(part) for part in text.split(",")]
    for term in terms:
        if term.field not in spec.fields:
            raise ValueError(f"Invalid field {term.field!r} on model {model!r}")
    return terms


def _term(text: str) -> OrderTerm:
    match = TERM_PATTERN.match(text)
    assert match is not None  # the whole specification matched ORDER_PATTERN already
    descending = (match["dir"] or "asc").lower() == "desc"
    nulls = (match["nulls"] or "").lower()
    nulls_first = nulls == "first" if nulls else descending
    return OrderTerm(match["name"], descending, nulls_first, bool(match["raw"]))


def sort_records(db: Database, model: str, records: list[Record], terms: list[OrderTerm]) -> list[Record]:
    """`records` sorted by `terms` (stable: one pass per term, last term first)."""
    ordered = list(records)
    for term in reversed(terms):
        key = _sort_key(db, model, term)
        if key is not None:
            ordered.sort(key=key, reverse=term.descending)
    return ordered


def _sort_key(db: Database, model: str, term: OrderTerm) -> Callable[[Record], Any] | None:
    spec = db.spec(model).fields[term.field]
    if not spec.store or spec.type in ("one2many", "many2many"):
        return None
    rank = _many2one_rank(db, spec.relation) if spec.type == "many2one" and not term.raw_id else None
    # Sorting descending reverses the flag too, so which flag value goes first depends on both.
    nulls_flag_is_null = term.nulls_first == term.descending
    name = term.field

    def key(record: Record) -> tuple[bool, Any]:
        value = db.value(model, record, name)
        if value is None:
            return (nulls_flag_is_null, 0)
        if rank is not None:
            value = rank.get(value, 0)
        elif isinstance(value, str):
            value = (value.casefold(), value)
        return (not nulls_flag_is_null, value)

    return key


def _many2one_rank(db: Database, comodel: str | None) -> dict[int, int]:
    """Position of every record of `comodel` in that model's default order."""
    assert comodel is not None
    records = list(db.tables[comodel].values())
    ordered = sort_records(db, comodel, records, parse_order(db, comodel, None))
    return {record["id"]: position for position, record in enumerate(ordered)}
