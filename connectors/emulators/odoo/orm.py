"""The model methods `execute_kw` can call, with Odoo 17's signatures.

`call_kw` dispatches like `odoo.api.call_kw`: `context` comes out of the keyword arguments, record
methods (read, write, unlink, and a model's business methods such as `action_post`) take the ids as
their first positional argument, and wrong arguments raise the same TypeError Python raises in Odoo
(the class is named `BaseModel` for that). Models with an `active` field also have Odoo's
`action_archive`, `action_unarchive` and `toggle_active`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.emulators.odoo import writes
from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.domain import AND, DomainCompiler, name_domain, normalize_domain
from connectors.emulators.odoo.errors import AccessError, NotFound, UnprocessableEntity
from connectors.emulators.odoo.fields import Env, Record, describe, to_read
from connectors.emulators.odoo.load import load_rows
from connectors.emulators.odoo.ordering import parse_order, sort_records

RECORD_METHODS = frozenset({"read", "write", "unlink"})
ARCHIVE_METHODS = frozenset({"action_archive", "action_unarchive", "toggle_active"})
MODEL_METHODS = frozenset(
    {
        "search",
        "search_count",
        "search_read",
        "read_group",
        "create",
        "fields_get",
        "name_search",
        "load",
        "default_get",
    }
)


def call_kw(db: Database, model: str, uid: int, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call `method` of `model` the way `odoo.api.call_kw` does."""
    if method.startswith("_"):
        raise AccessError(f"Private methods (such as {method}) cannot be called remotely.")
    spec = db.spec(model)
    kwargs = dict(kwargs)
    context = kwargs.pop("context", None) or {}
    if method in spec.methods:
        return spec.methods[method](
            Env(db, uid, context), _browse(args[0] if args else []), *args[1:], **kwargs
        )
    archivable = "active" in spec.fields and method in ARCHIVE_METHODS
    if method not in RECORD_METHODS | MODEL_METHODS and not archivable:
        raise AttributeError(f"The method '{method}' does not exist on the model '{model}'")
    recordset = BaseModel(db, model, uid, context)
    function = getattr(recordset, method)
    if method in RECORD_METHODS or archivable:
        ids, args = args[0], args[1:]
        return function(_browse(ids), *args, **kwargs)
    return function(*args, **kwargs)


def json2_check(db: Database, model: str, method: str, ids: Any, kwargs: Mapping[str, Any]) -> None:
    """What Odoo 19's JSON-2 controller checks before calling (addons/rpc/controllers/json2.py): the model
    and a public method exist (else 404), a model method gets no ids, and the named parameters bind to the
    method's signature (else 422, in `inspect`'s words: "missing a required argument: 'domain'")."""
    spec = db.specs.get(model)
    if spec is None or spec.internal:
        raise NotFound(f"the model {model!r} does not exist")
    if method.startswith("_"):
        raise NotFound(f"Private methods (such as {method}) cannot be called remotely.")
    archivable = "active" in spec.fields and method in ARCHIVE_METHODS
    if method in spec.methods:
        function, leading = spec.methods[method], [None, ids]  # (env, ids, ...)
    elif method in MODEL_METHODS:
        if ids:
            raise UnprocessableEntity(f"cannot call {model}.{method} with ids")
        function, leading = getattr(BaseModel, method), [None]  # (self, ...)
    elif method in RECORD_METHODS or archivable:
        function, leading = getattr(BaseModel, method), [None, ids]  # (self, ids, ...)
    else:
        raise NotFound(f"The method '{method}' does not exist on the model '{model}'")
    try:
        inspect.signature(function).bind(*leading, **{k: v for k, v in kwargs.items() if k != "context"})
    except TypeError as exc:
        raise UnprocessableEntity(exc.args[0]) from None


def _browse(ids: Any) -> list[int]:
    if isinstance(ids, bool) or ids is None:
        return []
    if isinstance(ids, int):
        return [ids]
    return [int(record_id) for record_id in ids]


class BaseModel:
    """One model, seen by one user with one context."""

    def __init__(self, db: Database, model: str, uid: int, context: Mapping[str, Any]) -> None:
        self._db = db
        self._model = model
        self._uid = uid
        self._context = dict(context)
        self._spec = db.spec(model)

    @property
    def _active_test(self) -> bool:
        return bool(self._context.get("active_test", True))

    # ---- searching ----

    def search(
        self, domain: list[Any], offset: int = 0, limit: int | None = None, order: str | None = None
    ) -> list[int]:
        """Ids of the matching records, ordered, paged by offset/limit."""
        return [record["id"] for record in self._search_records(domain, offset, limit, order)]

    def search_count(self, domain: list[Any], limit: int | None = None) -> int:
        """How many records match (at most `limit`)."""
        matches = self._compiler().predicate(self._model, domain)
        count = sum(1 for record in self._db.tables[self._model].values() if matches(record))
        return min(count, limit) if limit else count

    def search_read(
        self,
        domain: list[Any] | None = None,
        fields: list[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        load: str = "_classic_read",
    ) -> list[dict[str, Any]]:
        """`search` then `read` in one call."""
        names = self._field_names(fields)
        records = self._search_records(domain or [], offset, limit, order)
        return [self._read_record(record, names, load) for record in records]

    def read_group(
        self,
        domain: list[Any],
        fields: list[str],
        groupby: list[str] | str,
        offset: int = 0,
        limit: int | None = None,
        orderby: str | bool = False,
        lazy: bool = True,
    ) -> list[dict[str, Any]]:
        """Records grouped by field values, counted and summed as Odoo's `read_group` answers: each
        group has its value (`[id, name]` for a many2one), `<field>_count` (`__count` when not lazy),
        the sums of the numeric fields named (`amount_total` or `amount_total:sum`), and `__domain`."""
        keys = [groupby] if isinstance(groupby, str) else list(groupby)
        if not keys:
            raise ValueError("read_group needs at least one groupby field")
        keys = keys[:1] if lazy else keys
        for key in keys:
            if key.split(":")[0] not in self._spec.fields:
                raise ValueError(f"Invalid field {key!r} on model {self._model!r}")
        sums = []
        for spec in fields or []:
            name, _, function = str(spec).partition(":")
            name = name.split("(")[0].strip()
            kind = self._spec.fields[name].type if name in self._spec.fields else None
            if name not in keys and kind in ("integer", "float", "monetary") and function in ("", "sum"):
                sums.append(name)
        records = self._search_records(domain or [], 0, None, None)
        groups: dict[tuple[Any, ...], list[Record]] = {}
        for record in records:
            value = tuple(self._db.value(self._model, record, key) for key in keys)
            groups.setdefault(value, []).append(record)
        answer = []
        for value, members in groups.items():
            row: dict[str, Any] = {}
            for key, raw in zip(keys, value, strict=True):
                row[key] = to_read(self._db, self._spec.fields[key], raw, display_names=True)
            row["__count" if not lazy else f"{keys[0]}_count"] = len(members)
            for name in sums:
                total = sum(Decimal(str(self._db.value(self._model, r, name) or 0)) for r in members)
                row[name] = int(total) if self._spec.fields[name].type == "integer" else float(total)
            row["__domain"] = [*domain, *[[k, "=", raw] for k, raw in zip(keys, value, strict=True)]]
            answer.append(row)
        answer.sort(key=lambda row: tuple(str(row[k]) for k in keys), reverse=str(orderby).endswith(" desc"))
        start = offset or 0
        return answer[start : start + limit] if limit else answer[start:]

    def name_search(
        self, name: str = "", args: list[Any] | None = None, operator: str = "ilike", limit: int = 100
    ) -> list[list[Any]]:
        """`[[id, display_name], ...]` of the records whose name-search fields match `name`."""
        domain = list(args or [])
        if not (name == "" and operator in ("like", "ilike")):
            domain = [AND, *normalize_domain(domain), *name_domain(self._db, self._model, operator, name)]
        records = self._search_records(domain, 0, limit, None)
        return [[record["id"], self._db.display_name(self._model, record["id"])] for record in records]

    def _search_records(self, domain: Any, offset: int, limit: int | None, order: str | None) -> list[Record]:
        matches = self._compiler().predicate(self._model, domain)
        found = [record for record in self._db.tables[self._model].values() if matches(record)]
        ordered = sort_records(self._db, self._model, found, parse_order(self._db, self._model, order))
        start = offset or 0
        return ordered[start : start + limit] if limit else ordered[start:]

    def _compiler(self) -> DomainCompiler:
        return DomainCompiler(self._db, active_test=self._active_test)

    # ---- reading ----

    def read(
        self, ids: list[int], fields: list[str] | None = None, load: str = "_classic_read"
    ) -> list[dict[str, Any]]:
        """Field values of the records; deleted ids are skipped, as Odoo's read skips them."""
        names = self._field_names(fields)
        table = self._db.tables[self._model]
        return [self._read_record(table[record_id], names, load) for record_id in ids if record_id in table]

    def fields_get(
        self, allfields: list[str] | None = None, attributes: list[str] | None = None
    ) -> dict[str, Any]:
        """The field definitions, as Odoo's `fields_get` describes them."""
        return {
            name: describe(name, spec, attributes)
            for name, spec in self._spec.fields.items()
            if not allfields or name in allfields
        }

    def default_get(self, fields_list: list[str]) -> dict[str, Any]:
        """Default values of the given fields (context `default_<field>` first)."""
        defaults: dict[str, Any] = {}
        for name in fields_list:
            spec = self._spec.fields.get(name)
            if f"default_{name}" in self._context:
                defaults[name] = self._context[f"default_{name}"]
            elif spec is not None and spec.default is not None:
                defaults[name] = spec.default_value()
        return defaults

    def _field_names(self, fields: list[str] | None) -> list[str]:
        names = list(fields) if fields else list(self._spec.fields)
        for name in names:
            if name not in self._spec.fields:
                raise ValueError(f"Invalid field {name!r} on model {self._model!r}")
        return names

    def _read_record(self, record: Record, names: list[str], load: str) -> dict[str, Any]:
        values: dict[str, Any] = {"id": record["id"]}
        display_names = load == "_classic_read"
        for name in names:
            spec = self._spec.fields[name]
            raw = self._db.value(self._model, record, name)
            values[name] = to_read(self._db, spec, raw, display_names=display_names)
        return values

    # ---- writing ----

    def create(self, vals_list: Any) -> int | list[int]:
        """Create one record (a dict: returns its id) or several (a list: returns their ids)."""
        single = isinstance(vals_list, Mapping)
        given = [vals_list] if single else vals_list
        ids = writes.create_records(self._db, self._model, given, self._uid, self._context)
        return ids[0] if single else ids

    def write(self, ids: list[int], vals: Mapping[str, Any]) -> bool:
        """Write the same values to every record."""
        writes.write_records(self._db, self._model, ids, vals, self._uid, self._context)
        return True

    def unlink(self, ids: list[int]) -> bool:
        """Delete the records."""
        writes.unlink_records(self._db, self._model, ids, self._uid, self._context)
        return True

    def action_archive(self, ids: list[int]) -> bool:
        """Archive the active records among `ids` (`active = False`)."""
        return self._set_active(ids, active=False)

    def action_unarchive(self, ids: list[int]) -> bool:
        """Restore the archived records among `ids`."""
        return self._set_active(ids, active=True)

    def toggle_active(self, ids: list[int]) -> bool:
        """Archive the active records and restore the archived ones."""
        table = self._db.tables[self._model]
        active = [record_id for record_id in ids if record_id in table and table[record_id].get("active")]
        self._set_active(active, active=False)
        return self._set_active([record_id for record_id in ids if record_id not in active], active=True)

    def _set_active(self, ids: list[int], *, active: bool) -> bool:
        table = self._db.tables[self._model]
        wanted = [
            record_id for record_id in ids if record_id in table and table[record_id].get("active") != active
        ]
        if wanted:
            writes.write_records(self._db, self._model, wanted, {"active": active}, self._uid, self._context)
        return True

    def load(self, fields: list[str], data: list[list[str]]) -> dict[str, Any]:
        """Odoo's import: create or update (`.id` column) one record per row, all or nothing."""
        return load_rows(self._db, self._model, self._uid, self._context, fields, data)
