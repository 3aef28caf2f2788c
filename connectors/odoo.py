"""Odoo through its external JSON-RPC API (`/jsonrpc`: `common.authenticate`, `object.execute_kw`).

Connection (Airflow conn_type `odoo`): host (`https://erp.example.com`, or host + port), schema =
database, login, password (or an API key); extras: `ca_bundle`.

Reads:  search_read on the cursor field (write_date) ordered `write_date asc, id asc`, paged by a
        keyset on (write_date, id), so records sharing one second are never skipped. Options:
        `include_archived: true` reads archived records too (context active_test false; they carry
        `active: false` when the mapping reads `active`); `lines: {order_line: [product_id.default_code,
        name, product_uom_qty, price_unit, discount, price_subtotal]}` replaces the one2many's ids by
        the lines' values (list of dicts, in Odoo's order), read with one `read` per page for all
        the page's lines (plus one per dotted relation of the lines, cached); `follow: {sale_order:
        invoice_line_ids.sale_line_ids.order_id}` sets `sale_order` to `{"id": …}`, the first record
        the chain of relations reaches (one `read` per hop and page; see connectors.odoo_relations).
Writes: `create` with a list of records (one call per batch); updates with identical values in one
        `write`, different values in one `load` (Odoo's batch import, by database id), values with
        lines (x2many) in one `write` each. A batch the server refuses is split in halves until the
        refused records are isolated. A one2many given as a list of dicts becomes `(0, 0, line)`
        commands (after `(5,)` on update: the lines are replaced). Delete archives (`active`
        false) when the model has `active`, else unlinks.
Payments: an `account.payment` op naming the invoice (`reconciled_invoice_ids.name` = "INV/2024/00001",
        or `.x_hub_id`, or `.id`) with `amount`, `date`, `ref` (required, the payment's reference) and
        optionally `currency_id.name` / `journal_id.code` is registered through Odoo's "Register
        Payment" wizard (`account.payment.register` create + `action_create_payments`), which posts
        the payment and reconciles it with the invoice. A payment whose `ref` is already in Odoo is
        not registered again (same amount: ok; another amount: error PAYMENT_CHANGED).
Quirks:  empty values read as `false` (turned into None here, except for booleans); many2one as
        `[id, "name"]` (turned into {"id", "name"}); datetimes naive UTC "YYYY-MM-DD HH:MM:SS".
        Numbers with a fraction are read as Decimal and Decimals are sent as exact JSON numbers.
        Dotted paths through a many2one (`country_id.code`, `parent_id.id`) are read by looking
        the related records up, and written by finding the related record with that value; `.name`
        is the related record's `name` field (a product's display name is "[CODE] Name").
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from functools import cached_property, partial
from itertools import count
from typing import Any

from connectors.odoo_payments import INVOICE_LINK, register_payments
from connectors.odoo_relations import RelationReads
from connectors.odoo_rpc import (
    OdooRPCError,
    _isolating,
    _json_default,
    _load_text,
    _rpc_error,
    odoo_datetime,
    parse_odoo_datetime,
)
from hub.errors import (
    APIError,
    AuthenticationError,
    ConfigError,
    FatalAPIError,
    OutcomeUnknown,
    RetryableAPIError,
    UnsupportedOperation,
)
from hub.io import exactjson
from hub.io.connector import Connector, ObjectSpec, filter_terms
from hub.io.records import Page, Record, RecordError, WriteOp, WriteResult


class OdooConnector(Connector):
    """Odoo ERP (external JSON-RPC API)."""

    system = "odoo"
    display_name = "Odoo"
    conn_type = "odoo"
    default_conn_id = "odoo_default"
    max_batch = 1000
    max_page = 2000
    supports_deletes = True
    form_fields = Connector.form_fields
    standard_fields = {
        "hidden": [],
        "labels": {
            "host": "Odoo URL",
            "schema": "Database",
            "login": "Login",
            "password": "Password or API key",
        },
        "placeholders": {"host": "https://mycompany.odoo.com", "schema": "mycompany", "port": "443"},
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ids = count(1)
        self._fields: dict[str, dict[str, dict[str, Any]]] = {}
        self._related: dict[tuple[str, str], dict[Any, Any]] = {}
        self.relations = RelationReads(self.execute, self.fields_of, self._related)
        self._archived: set[str] = set()

    # RPC --------------------------------------------------------------------------------------
    @property
    def database(self) -> str:
        return self.connection.schema or ""

    def call(self, service: str, method: str, *args: Any, idempotent: bool = True) -> Any:
        """One JSON-RPC call; Odoo's error payloads become OdooRPCError."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": next(self._ids),
            "params": {"service": service, "method": method, "args": list(args)},
        }
        url = self.connection.base_url("http") + "/jsonrpc"
        response = self.session.request(
            "POST",
            url,
            data=exactjson.dumps(payload, default=_json_default),
            headers={"Content-Type": "application/json"},
            idempotent=idempotent,
        )
        if response.status_code != 200:
            kind = RetryableAPIError if response.status_code in (429, 502, 503, 504) else FatalAPIError
            raise kind(
                "odoo",
                f"{service}.{method} answered HTTP {response.status_code}",
                status=response.status_code,
            )
        body = exactjson.loads(response.content)
        if "error" in body:
            raise _rpc_error(body["error"])
        return body.get("result")

    @cached_property
    def uid(self) -> int:
        """The user id, from `common.authenticate` (False means refused credentials)."""
        conn = self.connection
        uid = self.call("common", "authenticate", self.database, conn.login or "", conn.password or "", {})
        if not uid:
            raise AuthenticationError(
                "odoo",
                f"connection {conn.conn_id!r}: Odoo refused login "
                f"{conn.login!r} on database {self.database!r}",
            )
        return int(uid)

    def check(self) -> str:
        return f"Odoo accepted {self.connection.login!r} on database {self.database!r} (uid {self.uid})"

    def execute(self, model: str, method: str, *args: Any, idempotent: bool = True, **kwargs: Any) -> Any:
        """`object.execute_kw` on a model."""
        try:
            return self.call(
                "object",
                "execute_kw",
                self.database,
                self.uid,
                self.connection.password or "",
                model,
                method,
                list(args),
                kwargs,
                idempotent=idempotent,
            )
        except OdooRPCError as exc:
            if exc.name == "odoo.exceptions.AccessDenied":
                raise AuthenticationError(
                    "odoo", f"connection {self.connection.conn_id!r}: access denied"
                ) from None
            raise

    def fields_of(self, model: str) -> dict[str, dict[str, Any]]:
        """Field metadata of a model (type, relation), fetched once per connector."""
        if model not in self._fields:
            self._fields[model] = self.execute(
                model, "fields_get", attributes=["type", "relation", "relation_field", "readonly"]
            )
        return self._fields[model]

    # Reads ------------------------------------------------------------------------------------
    def _domain(self, obj: ObjectSpec) -> list[Any]:
        return list(filter_terms(obj))

    def _columns(self, obj: ObjectSpec) -> list[str]:
        follow = self._follow(obj)
        heads = [path.split(".")[0] for path in obj.fields]
        starts = [path.split(".")[0] for path in follow.values()]
        return list(dict.fromkeys([*(h for h in heads if h not in follow), *self._lines(obj), *starts]))

    def _follow(self, obj: ObjectSpec) -> dict[str, str]:
        """The `follow` option: a name -> a dotted path through x2many and many2one fields."""
        follow = obj.options.get("follow") or {}
        if not isinstance(follow, Mapping) or not all(
            isinstance(v, str) and "." in v for v in follow.values()
        ):
            raise ConfigError(f"{obj.name}: option `follow` maps a name to a dotted path of relations")
        return {str(name): str(path) for name, path in follow.items()}

    def _context(self, obj: ObjectSpec) -> dict[str, Any]:
        """The read context: `include_archived` turns Odoo's active_test off."""
        return {"context": {"active_test": False}} if obj.options.get("include_archived") else {}

    def _lines(self, obj: ObjectSpec) -> dict[str, list[str]]:
        """The `lines` option: x2many field -> paths of the line fields to read."""
        lines = obj.options.get("lines") or {}
        if not isinstance(lines, Mapping) or not all(isinstance(v, (list, tuple)) for v in lines.values()):
            raise ConfigError(f"{obj.name}: option `lines` maps a one2many field to a list of line fields")
        return {str(name): [str(path) for path in paths] for name, paths in lines.items()}

    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        cursor = obj.cursor_field or "write_date"
        domain = self._domain(obj) + ([(cursor, ">=", odoo_datetime(since))] if since else [])
        total = int(self.execute(obj.name, "search_count", domain, **self._context(obj)))
        after: list[Any] = []
        while True:
            rows = self.execute(
                obj.name,
                "search_read",
                domain + after,
                fields=self._columns(obj),
                order=f"{cursor} asc, id asc",
                limit=page_size,
                **self._context(obj),
            )
            if rows:
                last = rows[-1]
                yield Page(self._normalize(obj, rows), parse_odoo_datetime(last[cursor]), total)
                after = [
                    "|",
                    (cursor, ">", last[cursor]),
                    "&",
                    (cursor, "=", last[cursor]),
                    ("id", ">", last["id"]),
                ]
            if len(rows) < page_size:
                return

    def count(self, obj: ObjectSpec, since: datetime | None) -> int | None:
        return None

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        wanted = [int(i) for i in ids]
        domain = [("id", "in", wanted)]
        rows = self.execute(obj.name, "search_read", domain, fields=self._columns(obj), **self._context(obj))
        return self._normalize(obj, rows)

    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        domain = self._domain(obj)
        for path, values in criteria.items():
            domain.append((path, "in", list(values)))
        rows = self.execute(obj.name, "search_read", domain, fields=self._columns(obj), **self._context(obj))
        return self._normalize(obj, rows)

    def read_deletes(self, obj: ObjectSpec, since: datetime | None) -> tuple[list[str], datetime | None]:
        """Archived records (Odoo keeps no trace of hard deletes)."""
        if "active" not in self.fields_of(obj.name):
            raise UnsupportedOperation(
                f"Odoo keeps no trace of deleted {obj.name} records (no `active` field)"
            )
        domain = [*self._domain(obj), ("active", "=", False)]
        if since:
            domain.append(("write_date", ">=", odoo_datetime(since)))
        rows = self.execute(obj.name, "search_read", domain, fields=["write_date"], order="write_date asc")
        latest = parse_odoo_datetime(rows[-1]["write_date"]) if rows else since
        return [str(row["id"]) for row in rows], latest

    def _normalize(self, obj: ObjectSpec, rows: list[dict[str, Any]]) -> list[Record]:
        follow = self._follow(obj)
        records = self.relations.normalize_rows(
            obj.name, [f for f in obj.fields if f.split(".")[0] not in follow], rows
        )
        for name, path in follow.items():
            self.relations.attach_followed(obj.name, rows, records, name, path)
        for name, paths in self._lines(obj).items():
            self.relations.attach_lines(obj.name, records, name, paths)
        return records

    # Writes -----------------------------------------------------------------------------------
    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        if obj.name == "account.payment" and any(p.startswith(INVOICE_LINK) for op in ops for p in op.values):
            return register_payments(self, obj, ops)
        results: list[WriteResult | None] = [None] * len(ops)
        self._prefetch_related(obj, ops)
        values: dict[int, Record] = {}
        for index, op in enumerate(ops):
            try:
                values[index] = self._to_odoo(obj, op)
            except ValueError as exc:
                results[index] = WriteResult(op.target_id, error=RecordError("INVALID_VALUE", str(exc)))
        known = self._existing(obj, [ops[i].hub_id for i in values if ops[i].target_id is None])
        for i in values:
            if ops[i].target_id is None and ops[i].hub_id in self._archived:
                values[i]["active"] = True  # an upsert makes the record exist again
        targets = {i: ops[i].target_id or known.get(ops[i].hub_id) for i in values}
        creates = [i for i in values if not targets[i]]
        updates = [i for i in values if targets[i]]
        for index, result in zip(creates, self._create(obj, [values[i] for i in creates]), strict=True):
            results[index] = result
        pairs = [(str(targets[i]), values[i]) for i in updates]
        for index, result in zip(updates, self._update(obj, pairs), strict=True):
            results[index] = result
        return [r for r in results if r is not None]

    def _relation(self, model: str, path: str) -> tuple[str, str, str] | None:
        """(field, related model, related field) of a dotted path such as `country_id.code`."""
        head, _, sub = path.partition(".")
        if not sub or sub == "id":
            return None
        return head, str(self.fields_of(model).get(head, {}).get("relation")), sub

    def _prefetch_related(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> None:
        """Look up, in one call per related field, the records that dotted values point at."""
        wanted: dict[tuple[str, str], set[Any]] = {}
        for op in ops:
            self._wanted(obj.name, op.values, wanted)
        for (model, field), values in wanted.items():
            cache = self._related.setdefault((model, field), {})
            missing = values - set(cache.values())
            if missing:
                for row in self.execute(
                    model, "search_read", [(field, "in", sorted(missing, key=str))], fields=[field]
                ):
                    cache[row["id"]] = row[field]

    def _wanted(self, model: str, values: Mapping[str, Any], wanted: dict[tuple[str, str], set[Any]]) -> None:
        """The values dotted paths point at, in a record and in its line dicts (`product_id.default_code`)."""
        for path, value in values.items():
            relation = self._relation(model, path)
            if relation is not None and value is not None:
                wanted.setdefault(relation[1:], set()).add(value)
            elif _is_line_list(value):
                for line in value:
                    self._wanted(str(self.fields_of(model).get(path, {}).get("relation")), line, wanted)

    def _to_odoo(self, obj: ObjectSpec, op: WriteOp) -> Record:
        record = self._values(obj.name, op.values, update=op.target_id is not None)
        if obj.external_id_field:
            record[obj.external_id_field] = op.hub_id
        return record

    def _values(self, model: str, values: Mapping[str, Any], *, update: bool) -> Record:
        """Odoo values: dotted paths resolved to ids, lists of line dicts turned into commands."""
        record: Record = {}
        for path, value in values.items():
            relation = self._relation(model, path)
            if relation is not None:
                value = self._related_id(relation[1], relation[2], value)
            elif path.endswith(".id") and value is not None:
                value = int(value)
            elif _is_line_list(value):
                line_model = str(self.fields_of(model).get(path, {}).get("relation"))
                lines = [(0, 0, self._values(line_model, line, update=False)) for line in value]
                value = [(5, 0, 0), *lines] if update else lines
            record[path.partition(".")[0]] = False if value is None else value
        return record

    def _related_id(self, relation: str, field: str, value: Any) -> int | bool:
        if value is None:
            return False
        for record_id, known in self._related.get((relation, field), {}).items():
            if known == value:
                return int(record_id)
        raise ValueError(f"no {relation} record has {field} = {value!r}")

    def _existing(self, obj: ObjectSpec, hub_ids: list[str]) -> dict[str, str]:
        """Records that already carry these hub_ids (a replay after a crash must not duplicate)."""
        key = obj.external_id_field
        if not hub_ids or not key:
            return {}
        has_active = "active" in self.fields_of(obj.name)
        rows = self.execute(
            obj.name,
            "search_read",
            [(key, "in", hub_ids)],
            fields=["id", key, *(["active"] if has_active else [])],
            context={"active_test": False},
        )
        self._archived = {row[key] for row in rows if has_active and not row["active"]}
        return {row[key]: str(row["id"]) for row in rows}

    def _create(self, obj: ObjectSpec, records: list[Record]) -> list[WriteResult]:
        results: list[WriteResult] = []
        size = self.batch_size(obj)
        for start in range(0, len(records), size):
            chunk = records[start : start + size]
            results += _isolating(chunk, lambda part: self._create_batch(obj, part))
        return results

    def _create_batch(self, obj: ObjectSpec, records: list[Record]) -> list[WriteResult]:
        try:
            ids = self.execute(obj.name, "create", records, idempotent=False)
        except OutcomeUnknown:
            if not obj.external_id_field:
                raise
            # The answer was lost: create only what did not arrive.
            key = obj.external_id_field
            found = self._existing(obj, [str(r.get(key)) for r in records])
            missing = [r for r in records if str(r.get(key)) not in found]
            made = iter(self.execute(obj.name, "create", missing, idempotent=False) if missing else [])
            ids = [found.get(str(r.get(key))) or next(made) for r in records]
        return [WriteResult(str(i), created=True) for i in (ids if isinstance(ids, list) else [ids])]

    def _update(self, obj: ObjectSpec, pairs: list[tuple[str, Record]]) -> list[WriteResult]:
        groups: dict[str, list[int]] = {}
        for index, (_, record) in enumerate(pairs):
            groups.setdefault(json.dumps(record, sort_keys=True, default=str), []).append(index)
        results: list[WriteResult | None] = [None] * len(pairs)
        singles = [indexes[0] for indexes in groups.values() if len(indexes) == 1]
        lined = [i for i in singles if any(isinstance(v, (list, tuple)) for v in pairs[i][1].values())]
        for i in lined:  # `load` cannot take x2many commands: one write each
            results[i] = _isolating([int(pairs[i][0])], partial(self._write_same, obj, record=pairs[i][1]))[0]
        singles = [i for i in singles if i not in lined]
        for indexes in (g for g in groups.values() if len(g) > 1):
            ids = [int(pairs[i][0]) for i in indexes]
            outcome = _isolating(ids, partial(self._write_same, obj, record=pairs[indexes[0]][1]))
            for i, result in zip(indexes, outcome, strict=True):
                results[i] = result
        size = self.batch_size(obj)
        by_fields: dict[tuple[str, ...], list[int]] = {}
        for i in singles:  # one import per set of columns: a missing column must not mean "empty it"
            by_fields.setdefault(tuple(sorted(pairs[i][1])), []).append(i)
        for same_fields in by_fields.values():
            for start in range(0, len(same_fields), size):
                chunk = same_fields[start : start + size]
                loaded = _isolating([pairs[i] for i in chunk], lambda part: self._load(obj, part))
                for i, result in zip(chunk, loaded, strict=True):
                    results[i] = result
        return [r for r in results if r is not None]

    def _write_same(self, obj: ObjectSpec, ids: list[int], record: Record) -> list[WriteResult]:
        self.execute(obj.name, "write", ids, record, context={"active_test": False})
        return [WriteResult(str(i)) for i in ids]

    def _load(self, obj: ObjectSpec, pairs: list[tuple[str, Record]]) -> list[WriteResult]:
        """Update records with different values in one call, through Odoo's import (`load`)."""
        types = self.fields_of(obj.name)
        names = list(pairs[0][1])  # every record of one call has the same fields
        columns = [".id", *(f"{n}/.id" if types.get(n, {}).get("type") == "many2one" else n for n in names)]
        rows = [
            [target, *(_load_text(record[n], types.get(n, {}).get("type")) for n in names)]
            for target, record in pairs
        ]
        # active_test off: records the hub updates may be archived (an upsert brings them back)
        answer = self.execute(obj.name, "load", columns, rows, context={"active_test": False})
        if not answer.get("ids"):
            messages = answer.get("messages") or [{"message": "load refused the batch"}]
            raise OdooRPCError(
                "odoo.exceptions.ValidationError", "; ".join(str(m.get("message")) for m in messages)
            )
        return [WriteResult(str(i)) for i in answer["ids"]]

    def delete(self, obj: ObjectSpec, ids: Sequence[str]) -> list[WriteResult]:
        """Archive (Odoo's way of deleting what documents may still point at), or unlink without `active`."""
        wanted = [int(i) for i in ids]
        if "active" in self.fields_of(obj.name):
            return _isolating(wanted, lambda part: self._write_same(obj, part, {"active": False}))
        return _isolating(wanted, lambda part: self._unlink(obj, part))

    def _unlink(self, obj: ObjectSpec, ids: list[int]) -> list[WriteResult]:
        self.execute(obj.name, "unlink", ids)
        return [WriteResult(str(i)) for i in ids]


def _is_line_list(value: Any) -> bool:
    """A list of line dicts (not commands): what a mapping writes to a one2many."""
    return isinstance(value, list) and bool(value) and all(isinstance(item, Mapping) for item in value)


__all__ = ["APIError", "OdooConnector", "OdooRPCError"]
