"""Field and model definitions: the data tables a model is declared with, and value conversions.

A model is a `ModelSpec` holding a field table (`FieldSpec` per name). Values are kept in their
"column" form (None for NULL, ids for many2one, strings for dates) and converted on the way in
(`to_column`, as `write` does) and out (`to_read`, as `read` does: empty values become `False`,
many2one becomes `[id, "Display Name"]`).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from connectors.emulators.odoo.commands import many2many_ids

if TYPE_CHECKING:
    from connectors.emulators.odoo.database import Database

FieldType = Literal[
    "char",
    "text",
    "html",
    "boolean",
    "integer",
    "float",
    "monetary",
    "date",
    "datetime",
    "selection",
    "many2one",
    "one2many",
    "many2many",
]
OnDelete = Literal["set null", "restrict", "cascade"]
Record = dict[str, Any]
Compute = Callable[["Database", Record], Any]
Inverse = Callable[[Any], dict[str, Any]]
Method = Callable[..., Any]

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAGIC_COLUMNS = frozenset({"id", "create_uid", "create_date", "write_uid", "write_date"})
TEXT_TYPES = frozenset({"char", "text", "html", "selection"})
RELATIONAL_TYPES = frozenset({"many2one", "one2many", "many2many"})


@dataclass(frozen=True)
class FieldSpec:
    """One field of a model, declared the way Odoo's `fields.X(...)` declares it."""

    type: FieldType
    string: str
    relation: str | None = None
    inverse_name: str | None = None
    required: bool = False
    readonly: bool = False
    default: Any = None
    selection: tuple[tuple[str, str], ...] = ()
    compute: Compute | None = None
    store: bool = True
    search: bool = False
    inverse: Inverse | None = None
    normalize: Callable[[Any], Any] | None = None
    ondelete: OnDelete = "set null"
    domain: tuple[Any, ...] = ()
    related: str | None = None
    manual: bool = False
    help: str | None = None
    size: int | None = None
    # res.partner reads its new parent inside write(): a missing one is a MissingError there.
    dereferenced_on_write: bool = False
    # Float fields with `digits` are rounded (half-up) to that many decimals when written; monetary
    # fields are rounded to the currency named by `currency_field` (default: the record's currency_id).
    digits: int | None = None
    currency_field: str = "currency_id"

    @property
    def searchable(self) -> bool:
        return self.store or self.search

    @property
    def writable(self) -> bool:
        """Whether `write` stores a value for it (computed fields need an inverse)."""
        return self.compute is None or self.inverse is not None

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default


@dataclass(frozen=True)
class SqlConstraint:
    """A `_sql_constraints` entry: a CHECK predicate or a UNIQUE column set, and its message."""

    name: str
    message: str
    check: Callable[[Record], bool] | None = None
    unique: tuple[str, ...] = ()


@dataclass(frozen=True)
class Env:
    """Who calls and with which context: what hooks and model methods receive (Odoo's `self.env`)."""

    db: Database
    uid: int
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Hooks:
    """Business logic a model runs around create/write/unlink (Odoo's overrides of those methods).

    `prepare` completes the column values of a new record before it is stored (sequences, values
    computed from other fields); `before_write` and `before_unlink` refuse what Odoo refuses;
    `after_change` sees the records created, written or deleted (as they were) and recomputes what
    depends on them (a line's order gets a new write_date, as a stored total's recompute gives it).
    """

    prepare: Callable[[Env, Record], None] | None = None
    before_write: Callable[[Env, list[Record], Record], None] | None = None
    before_unlink: Callable[[Env, list[Record]], None] | None = None
    after_change: Callable[[Env, list[Record]], None] | None = None


@dataclass(frozen=True)
class ModelSpec:
    """One model: its field table, default order, name search fields, constraints and methods.

    `methods` are the public business methods `execute_kw` can call on records (`action_post`...),
    each a function of `(env, ids, *args, **kwargs)`. An `internal` model keeps emulator bookkeeping
    that real Odoo keeps elsewhere: it is not reachable over RPC.
    """

    name: str
    description: str
    fields: Mapping[str, FieldSpec]
    order: str = "id"
    rec_name: str = "name"
    rec_names_search: tuple[str, ...] = ()
    sql_constraints: tuple[SqlConstraint, ...] = ()
    constraints: tuple[Callable[[Database, Record], None], ...] = ()
    hooks: Hooks = Hooks()
    methods: Mapping[str, Method] = field(default_factory=dict)
    internal: bool = False

    @property
    def table(self) -> str:
        return self.name.replace(".", "_")

    @property
    def name_search_fields(self) -> tuple[str, ...]:
        return self.rec_names_search or (self.rec_name,)

    def stored_columns(self) -> tuple[tuple[str, FieldSpec], ...]:
        """The fields kept in the record dicts (stored and not computed)."""
        return self._stored

    @cached_property
    def _stored(self) -> tuple[tuple[str, FieldSpec], ...]:
        return tuple((n, f) for n, f in self.fields.items() if f.store and f.compute is None and n != "id")

    @cached_property
    def monetary_columns(self) -> tuple[str, ...]:
        """Stored monetary fields whose currency field exists (rounded when written)."""
        return tuple(n for n, f in self._stored if f.type == "monetary" and f.currency_field in self.fields)


def magic_fields(display_name: Compute) -> dict[str, FieldSpec]:
    """The fields every Odoo model has: id, display_name and the log-access columns."""
    return {
        "id": FieldSpec("integer", "ID", readonly=True),
        "display_name": FieldSpec(
            "char", "Display Name", readonly=True, store=False, search=True, compute=display_name
        ),
        "create_uid": FieldSpec("many2one", "Created by", relation="res.users", readonly=True),
        "create_date": FieldSpec("datetime", "Created on", readonly=True),
        "write_uid": FieldSpec("many2one", "Last Updated by", relation="res.users", readonly=True),
        "write_date": FieldSpec("datetime", "Last Updated on", readonly=True),
    }


def empty_column(spec: FieldSpec) -> Any:
    """The column value of a field nobody set."""
    return {"boolean": False, "integer": 0, "float": 0.0, "monetary": 0.0, "many2many": []}.get(spec.type)


# ---- dates: Odoo's fields.Date / fields.Datetime parsing, strict on purpose ----


def to_datetime(value: Any) -> str | None:
    """Parse like `fields.Datetime.to_datetime`: "YYYY-MM-DD HH:MM:SS" (or a prefix of it), naive."""
    if not value:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError(f"Datetime field expects a naive datetime: {value}")
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return datetime.combine(value, time.min).strftime(DATETIME_FORMAT)
    # Odoo's own trick: a format cut to the value's length accepts "YYYY-MM-DD" and "... HH:MM".
    return datetime.strptime(value, DATETIME_FORMAT[: len(value) - 2]).strftime(DATETIME_FORMAT)


def to_date(value: Any) -> str | None:
    """Parse like `fields.Date.to_date`: the first ten characters as "YYYY-MM-DD"."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return datetime.strptime(value[:10], DATE_FORMAT).date().isoformat()


# ---- values written by create/write ----


def to_column(qualified_name: str, spec: FieldSpec, value: Any) -> Any:
    """Convert a value given to create/write into its column form (raises as Odoo would)."""
    if spec.normalize is not None:
        value = spec.normalize(value)
    converter = _COLUMN_CONVERTERS[spec.type]
    return converter(qualified_name, spec, value)


def _text(qualified_name: str, spec: FieldSpec, value: Any) -> str | None:
    if value is None or value is False:
        return None
    text = str(value)
    return text[: spec.size] if spec.size else text


def _html(qualified_name: str, spec: FieldSpec, value: Any) -> str | None:
    text = _text(qualified_name, spec, value)
    if text and not text.lstrip().startswith("<"):
        # Odoo's html sanitizer wraps plain text in a paragraph.
        return f"<p>{html.escape(text, quote=False)}</p>"
    return text


def _selection(qualified_name: str, spec: FieldSpec, value: Any) -> str | None:
    if value in {key for key, _label in spec.selection}:
        return str(value)
    if not value:
        return None
    raise ValueError(f"Wrong value for {qualified_name}: {value!r}")


def _many2one(qualified_name: str, spec: FieldSpec, value: Any) -> int | None:
    # Odoo's Many2one.convert_to_cache keeps ints only: a list such as [id, name] becomes NULL.
    return value if type(value) is int and value else None


def _float(qualified_name: str, spec: FieldSpec, value: Any) -> float:
    number = float(value or 0.0)
    return number if spec.digits is None else round_half_up(number, spec.digits)


def round_half_up(number: float, digits: int) -> float:
    """Odoo's `float_round`: half away from zero on the decimal the float was written as."""
    exact = Decimal(repr(float(number))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return float(exact)


def _x2many(qualified_name: str, spec: FieldSpec, value: Any) -> Any:
    if spec.type == "many2many":
        # Only a new record's value gets here (writes apply commands to each record's current ids).
        return many2many_ids(qualified_name, [], value)
    raise ValueError(f"{qualified_name} is a one2many field: write it with commands on its record")


_COLUMN_CONVERTERS: dict[str, Callable[[str, FieldSpec, Any], Any]] = {
    "char": _text,
    "text": _text,
    "html": _html,
    "selection": _selection,
    "boolean": lambda _n, _s, v: bool(v),
    "integer": lambda _n, _s, v: int(v or 0),
    "float": _float,
    "monetary": lambda _n, _s, v: float(v or 0.0),
    "date": lambda _n, _s, v: to_date(v),
    "datetime": lambda _n, _s, v: to_datetime(v),
    "many2one": _many2one,
    "one2many": _x2many,
    "many2many": _x2many,
}


# ---- values returned by read ----


def to_read(db: Database, spec: FieldSpec, value: Any, *, display_names: bool = True) -> Any:
    """Convert a column value into what `read` returns (empty values read as `False`)."""
    kind = spec.type
    if kind == "boolean":
        return bool(value)
    if kind == "integer":
        return value or 0
    if kind in ("float", "monetary"):
        return float(value or 0.0)
    if kind in ("one2many", "many2many"):
        return list(value or [])
    if value is None:
        return False
    if kind == "many2one" and display_names:
        assert spec.relation is not None
        return [value, db.display_name(spec.relation, value)]
    return value


# ---- fields_get ----


def describe(name: str, spec: FieldSpec, attributes: list[str] | None) -> dict[str, Any]:
    """One entry of `fields_get`, restricted to `attributes` when given."""
    description = _full_description(name, spec)
    if attributes is None:
        return description
    return {key: value for key, value in description.items() if key in attributes}


def _full_description(name: str, spec: FieldSpec) -> dict[str, Any]:
    description: dict[str, Any] = {
        "name": name,
        "type": spec.type,
        "string": spec.string,
        "readonly": spec.readonly or not spec.writable,
        "required": spec.required,
        "store": spec.store,
        "searchable": spec.searchable,
        "sortable": spec.store and spec.type not in ("one2many", "many2many"),
        "groupable": spec.store,
        "manual": spec.manual,
        "company_dependent": False,
        "exportable": True,
        "change_default": False,
        "depends": [spec.related] if spec.related else [],
        "context": {},
    }
    description.update(_type_description(spec))
    if spec.help:
        description["help"] = spec.help
    if spec.related:
        description["related"] = spec.related
    return description


def _type_description(spec: FieldSpec) -> dict[str, Any]:
    if spec.type in RELATIONAL_TYPES:
        extra: dict[str, Any] = {"relation": spec.relation, "domain": list(spec.domain)}
        if spec.inverse_name:
            extra["relation_field"] = spec.inverse_name
        return extra
    if spec.type == "selection":
        return {"selection": [list(item) for item in spec.selection]}
    if spec.type in ("char", "text", "html"):
        return {"translate": False, "trim": spec.type == "char", **({"size": spec.size} if spec.size else {})}
    return {}
