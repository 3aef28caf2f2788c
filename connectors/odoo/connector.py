"""The Odoo connector: model methods called over Odoo 19's JSON-2 API (`POST /json/2/<model>/<method>`,
bearer API key, named parameters) or, on older servers, JSON-RPC (`common.authenticate`,
`object.execute_kw`), chosen by the server's version; reads by keyset on (write_date, id), and writes
through RecordWrites and Payments (connectors.odoo's docstring says how).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from itertools import count
from typing import Any

import requests

from connectors.odoo.describe import ModelDescriber
from connectors.odoo.payments import Payments
from connectors.odoo.relations import RelationReads
from connectors.odoo.rpc import (
    OdooRPCError,
    error_page_text,
    json_default,
    odoo_datetime,
    parse_odoo_datetime,
    raised_by_the_method,
    rpc_error,
)
from connectors.odoo.writes import RecordWrites
from hub.errors import (
    APIError,
    AuthenticationError,
    ConfigError,
    FatalAPIError,
    RetryableAPIError,
    UnsupportedOperation,
)
from hub.io import exactjson
from hub.io.connector import Connector, FormField, ObjectShape, ObjectSpec, filter_terms
from hub.io.http import HubSession
from hub.io.records import Page, Record, WriteOp, WriteResult
from hub.io.redact import redact
from hub.io.rest import json_body

# JSON-2 takes a method's parameters by name: the names of the positional arguments this connector
# passes, per method (Odoo's signatures); `ids` is the recordset a record method runs on.
JSON2_PARAMETERS: dict[str, tuple[str, ...]] = {
    "search_count": ("domain", "limit"),
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "search": ("domain", "offset", "limit", "order"),
    "read": ("ids", "fields", "load"),
    "read_group": ("domain", "fields", "groupby", "offset", "limit", "orderby", "lazy"),
    "fields_get": ("allfields", "attributes"),
    "default_get": ("fields_list",),
    "name_search": ("name", "domain", "operator", "limit"),
    "create": ("vals_list",),
    "write": ("ids", "vals"),
    "unlink": ("ids",),
    "load": ("fields", "data"),
}
JSON2_FROM = 19  # the first Odoo version with /json/2 (JSON-RPC and XML-RPC are deprecated there)
PROTOCOLS = ("auto", "json2", "jsonrpc")


class OdooConnector(Connector):
    """Odoo ERP (external JSON-2 API from Odoo 19, JSON-RPC before)."""

    system = "odoo"
    display_name = "Odoo"
    conn_type = "odoo"
    default_conn_id = "odoo_default"
    max_batch = 1000
    max_page = 2000
    reads_windows = True
    supports_deletes = True
    form_fields = {
        **Connector.form_fields,
        "protocol": FormField(
            "Protocol",
            "auto (JSON-2 on Odoo 19 and later, JSON-RPC before), json2 or jsonrpc",
        ),
    }
    standard_fields = {
        "hidden": [],
        "labels": {
            "host": "Odoo URL",
            "schema": "Database",
            "login": "Login",
            "password": "API key (or password: JSON-RPC only)",
        },
        "placeholders": {"host": "https://mycompany.odoo.com", "schema": "mycompany", "port": "443"},
    }
    options_schema = Connector.extended_options(
        {
            "follow": {
                "type": "object",
                "description": (
                    "Records reached through a chain of relations, by the name fields then read them under: "
                    'name -> a dotted path of x2many and many2one fields; the name reads as {"id": …}, the '
                    "first record the path reaches (one `read` per hop and page)."
                ),
                "additionalProperties": {
                    "type": "string",
                    "pattern": "^[^.]+(\\.[^.]+)+$",
                    "description": (
                        "A dotted path of relations, e.g. invoice_line_ids.sale_line_ids.order_id."
                    ),
                },
                "default": {},
                "examples": [{"sale_order": "invoice_line_ids.sale_line_ids.order_id"}],
            },
            "include_archived": {
                "type": "boolean",
                "description": (
                    "Read archived records too (Odoo's active_test off); they carry active: false when "
                    "the mapping reads `active`."
                ),
                "default": False,
                "examples": [True],
            },
            "lines": {
                "type": "object",
                "description": (
                    "A one2many field read as its lines' values (a list of objects, in Odoo's order) "
                    "instead of ids: the field -> the line fields to read (dotted through a many2one)."
                ),
                "additionalProperties": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "default": {},
                "examples": [
                    {"order_line": ["product_id.default_code", "name", "product_uom_qty", "price_unit"]}
                ],
            },
        },
        "Odoo reads archived records, lines and records reached through relations when told to.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ids = count(1)
        self._fields: dict[str, dict[str, dict[str, Any]]] = {}
        related: dict[tuple[str, str], dict[Any, Any]] = {}  # values of related records, by (model, field)
        self.relations = RelationReads(self.execute, self.fields_of, related)
        self.writes = RecordWrites(self.execute, self.fields_of, related, self.batch_size)
        self.payments = Payments(self.execute, self.writes.prefetch_related, self.writes.values)
        self.describer = ModelDescriber(self.execute)

    # RPC --------------------------------------------------------------------------------------
    @property
    def database(self) -> str:
        return self.connection.schema or ""

    @cached_property
    def session(self) -> HubSession:
        """The shared session, except that a 500 is retried only when `retryable` says so."""
        policy = self.policy or self._policy()
        self.policy = replace(policy, statuses=policy.statuses - {500})
        return super().session

    def retryable(self, response: Any) -> bool:
        """A 500 is retried, unless it is JSON-2's error object naming what the method raised (a bad
        domain's `builtins.ValueError`): that call would fail the same way every time."""
        if int(getattr(response, "status_code", 0)) != 500:
            return False
        try:
            return not raised_by_the_method(response.json())
        except ValueError:
            return True  # a proxy's or a crashed worker's page

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
            data=exactjson.dumps(payload, default=json_default),
            headers={"Content-Type": "application/json"},
            idempotent=idempotent,
        )
        if response.status_code != 200:
            raise self._refusal(f"{service}.{method}", response)
        body = exactjson.loads(response.content)
        if "error" in body:
            raise rpc_error(body["error"])
        return body.get("result")

    def _refusal(self, rpc: str, response: requests.Response) -> APIError:
        """The error of an answer other than HTTP 200: retryable when the session's rule says so."""
        kind = RetryableAPIError if self.transient(response) else FatalAPIError
        text = error_page_text(response.text)
        return kind("odoo", f"{rpc}: {text}" if text else f"{rpc} failed", status=response.status_code)

    @cached_property
    def version(self) -> tuple[int, str]:
        """The server's major version and its name (`/web/version`, else JSON-RPC `common.version`)."""
        url = self.connection.base_url("http") + "/web/version"
        response = self.session.request("GET", url, headers={"Accept": "application/json"})
        if response.status_code not in (200, 404):
            raise self._refusal("GET /web/version", response)
        body = json_body(response) if response.status_code == 200 else None
        if isinstance(body, dict) and body.get("version_info"):
            return int(body["version_info"][0]), str(body.get("version") or body["version_info"][0])
        answer = self.call("common", "version")  # a server older than /web/version
        info = answer.get("server_version_info") or [0]
        return int(info[0]), str(answer.get("server_version") or info[0])

    @cached_property
    def protocol(self) -> str:
        """`json2` or `jsonrpc`: extra `protocol`, or by the server's version (`auto`)."""
        named = str(self.connection.option("protocol") or "auto").strip().lower()
        if named not in PROTOCOLS:
            raise ConfigError(
                f"connection {self.connection.conn_id!r}: extra protocol is {named!r}; "
                "use auto, json2 or jsonrpc"
            )
        if named != "auto":
            return named
        return "json2" if self.version[0] >= JSON2_FROM else "jsonrpc"

    def json2(self, model: str, method: str, body: Mapping[str, Any], *, idempotent: bool = True) -> Any:
        """One JSON-2 call; its error object becomes OdooRPCError (401: refused API key)."""
        conn = self.connection
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"bearer {conn.password or ''}",
            "User-Agent": "omnihub",
        }
        if self.database:
            headers["X-Odoo-Database"] = self.database
        response = self.session.request(
            "POST",
            f"{conn.base_url('http')}/json/2/{model}/{method}",
            data=exactjson.dumps(dict(body), default=json_default),
            headers=headers,
            idempotent=idempotent,
        )
        if response.status_code == 200:
            return exactjson.loads(response.content)
        error = json_body(response)
        if response.status_code == 401:
            told = error.get("message") if isinstance(error, dict) else None
            raise AuthenticationError(
                "odoo",
                f"connection {conn.conn_id!r}: Odoo refused the API key on database {self.database!r} "
                f"({told or 'HTTP 401'}); JSON-2 takes an API key (Preferences > Account Security), "
                "never a password",
                status=401,
            )
        if isinstance(error, dict) and error.get("name") and not self.transient(response):
            message = redact(str(error.get("message") or ""))[:500]
            raise OdooRPCError(str(error["name"]), message, status=response.status_code)
        raise self._refusal(f"{model}.{method}", response)

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
        if self.protocol == "json2":
            partners = self.execute("res.partner", "search_count", [])
            return (
                f"Odoo {self.version[1]} accepted the API key on database {self.database!r} "
                f"(JSON-2; {partners} contacts)"
            )
        return f"Odoo accepted {self.connection.login!r} on database {self.database!r} (uid {self.uid})"

    def execute(self, model: str, method: str, *args: Any, idempotent: bool = True, **kwargs: Any) -> Any:
        """A model method: over JSON-2 (parameters by name) or `object.execute_kw`."""
        if self.protocol == "json2":
            names = JSON2_PARAMETERS.get(method, ("ids",))
            if len(args) > len(names):
                raise FatalAPIError("odoo", f"{model}.{method}: too many arguments for JSON-2")
            body = {**dict(zip(names, args, strict=False)), **kwargs}
            result = self.json2(model, method, body, idempotent=idempotent)
            if (
                method == "create"
                and isinstance(args[0] if args else None, Mapping)
                and isinstance(result, list)
            ):
                return result[0]  # one record made: its id, as JSON-RPC answers it
            return result
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
        if obj.until is not None:  # a backfill's time window
            domain.append((cursor, "<", odoo_datetime(obj.until)))
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

    def describe(self, object_name: str, sample: int = 100) -> ObjectShape:
        """A model's fields from `fields_get` (string, type, required, readonly, selection, relation),
        with `field.id` and `field.<char field>` through each many2one and many2many, and up to `sample`
        records of its stored fields from `search_read` (connectors.odoo.describe)."""
        return self.describer.describe(object_name, sample)

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
        if self.payments.handles(obj, ops):
            return self.payments.register(obj, ops)
        return self.writes.write(obj, ops)

    def delete(self, obj: ObjectSpec, ids: Sequence[str]) -> list[WriteResult]:
        """Archive (Odoo's way of deleting what documents may still point at), or unlink without `active`."""
        return self.writes.delete(obj, ids)
