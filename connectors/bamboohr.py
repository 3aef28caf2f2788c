"""BambooHR through its REST API (`/api/gateway.php/{companyDomain}/v1/`): employees, departments.

Connection (Airflow conn_type `bamboohr`): host = `https://api.bamboohr.com` (the default when
empty; an emulator's URL in the sandbox), schema = the company domain (`mycompany` of
`mycompany.bamboohr.com`), password = the API key (sent as HTTP Basic `{api_key}:x`, with
`Accept: application/json`: BambooHR answers XML otherwise); extras: `ca_bundle`, `max_parallel`
(write requests in flight at once, 4).

Reads:  `GET /employees/changed/?since=` (the offset's `+` sent as `%2B`) lists the employees changed
        at or after `since` with their `lastChanged`, as an object keyed by id; ONE custom report
        `POST /reports/custom?format=JSON` (`{"title", "fields", "filters": {"lastChanged": …}}`)
        gives their fields, and is cut down to the changed ids. Records come ordered by
        (lastChanged, id) in pages of `page_size`, each page's cursor the lastChanged of its last
        record; every record carries `lastChanged`. Deleted employees (`type=deleted`) come from
        `read_deletes`. `fetch` and `find` run one custom report each and filter it.
        Departments (object `departments`) are the options of the Department list field (alias
        `department`; an employee's `department` holds the option's name): ONE `GET /meta/lists`,
        archived options included, as records `{name, optionId, archived ("yes"|"no"), createdDate,
        archivedDate}` in pages of `page_size`. The list has no modification time: every read is
        whole, `since` is ignored and every page's cursor is None; each page carries the total;
        `fetch` (by the mapping's primary key, `name`) and `find` filter the same one call;
        `read_deletes` finds none (an archived option stays listed, `archived` "yes").
Writes: no batch endpoint: `POST /employees/{id}/` updates, `POST /employees/` creates (201, the new
        id in `Location: …/employees/{id}`). The hub id lives in the custom field `customHubId`
        (the mapping's external-id field): the ops without a target id are matched by one custom
        report per write call, then updated or created. Ops for one employee run in order, up to
        `max_parallel` requests at once; one result per op, in order. Employees cannot be deleted
        through the API. Departments are not written: `write` raises FatalAPIError (code
        `read_only`) for any ops.
Describe: employees from `GET /meta/fields` by alias (else field id), list options from `GET /meta/lists`,
        a sample from one custom report of the described fields; departments as the list's options.
Quirks:  errors are a status and an `X-BambooHR-Error-Message` header (the body is usually empty);
        throttling is 429 + `Retry-After` (503 before BambooHR's change of 2026-09-16; both retried and
        counted by the shared session, 503 still meaning unavailable); empty dates
        read "0000-00-00" and become None; every value is text, ids and `supervisorEId` included.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from hub.errors import ConfigError, FatalAPIError
from hub.io.connector import (
    Connector,
    FieldInfo,
    FormField,
    ObjectShape,
    ObjectSpec,
    filter_terms,
    passes_filter,
)
from hub.io.records import Page, Record, RecordError, WriteOp, WriteResult
from hub.io.redact import redact
from hub.io.rest import RequestAuth, RESTConnector

DEFAULT_HOST = "https://api.bamboohr.com"
OBJECTS = frozenset({"employees", "employee"})
DEPARTMENTS = frozenset({"departments", "department"})
DEPARTMENTS_READ_ONLY = (
    "BambooHR's departments are options of its Department list field; "
    "the hub reads them and does not write them"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EMPTY_DATE = "0000-00-00"
HUB_FIELD = "customHubId"
CURSOR = "lastChanged"
READ_ONLY = frozenset({"id", "displayName", CURSOR})
PARALLEL = 4
# A department record's fields: a Department list option as `GET /meta/lists` shows it (see `_option`).
DEPARTMENT_FIELDS = (
    FieldInfo("name", "Name", "text", required=True),
    FieldInfo("optionId", "Option ID", "int", readonly=True),
    FieldInfo("archived", "Archived", "text", readonly=True, options=("yes", "no")),
    FieldInfo("createdDate", "Created Date", "timestamp", readonly=True),
    FieldInfo("archivedDate", "Archived Date", "timestamp", readonly=True),
)
ERROR_HEADER = "X-BambooHR-Error-Message"


def bamboo_time(moment: datetime) -> str:
    """`2011-06-02T19:26:23+00:00`: how BambooHR writes (and reads) change timestamps."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_bamboo_time(text: str) -> datetime:
    """A BambooHR change timestamp as an aware UTC datetime."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def clean(record: Record) -> Record:
    """A record with BambooHR's empty dates ("0000-00-00", also with a time) turned into None."""
    return {k: None if isinstance(v, str) and v.startswith(EMPTY_DATE) else v for k, v in record.items()}


def _id_order(employee_id: str) -> tuple[int, str]:
    return (int(employee_id), "") if employee_id.isdigit() else (0, employee_id)


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the change feed."""

    id: str
    action: str
    last_changed: str

    @property
    def when(self) -> datetime:
        return parse_bamboo_time(self.last_changed)


class BambooHRConnector(RESTConnector):
    """BambooHR (REST API, API key)."""

    system = "bamboohr"
    display_name = "BambooHR"
    conn_type = "bamboohr"
    default_conn_id = "bamboohr_default"
    credential_name = "the API key"
    max_batch = 100  # ops handed to one write call; each is still its own request
    max_page = 1000  # BambooHR answers whole lists; pages are cut here
    supports_deletes = True
    form_fields = {
        **Connector.form_fields,
        "max_parallel": FormField("Parallel writes", "Write requests in flight at once (4)", kind="integer"),
    }
    standard_fields = {
        "hidden": ["login", "port"],
        "labels": {"host": "API URL", "schema": "Company domain", "password": "API key"},
        "placeholders": {"host": DEFAULT_HOST, "schema": "mycompany"},
    }

    # HTTP -------------------------------------------------------------------------------------
    def api_root(self) -> str:
        """`{host}/api/gateway.php/{companyDomain}/v1/`, from the connection's host and schema."""
        conn = self.connection
        company = (conn.schema or "").strip()
        if not company:
            raise ConfigError(
                f"connection {conn.conn_id!r} has no company domain: set its schema to the "
                "subdomain of your BambooHR address (mycompany for mycompany.bamboohr.com)"
            )
        if not conn.password:
            raise ConfigError(f"connection {conn.conn_id!r} has no API key: set its password")
        host = conn.base_url() if conn.host else DEFAULT_HOST
        return f"{host}/api/gateway.php/{quote(company, safe='')}/v1/"

    def credentials(self) -> RequestAuth:
        """Basic `{api_key}:x` (BambooHR ignores the password)."""
        return RequestAuth(basic=(self.connection.password or "", "x"))

    def is_idempotent(self, method: str, path_or_url: str) -> bool:
        """Reads, custom reports and updates may be replayed; a create says it may not."""
        return True

    def error_detail(self, response: requests.Response) -> tuple[str | None, str]:
        """BambooHR's message, the `X-BambooHR-Error-Message` header (else the body's text); a 403
        is coded `forbidden`, as BambooHR sends no codes."""
        header = response.headers.get(ERROR_HEADER)
        code = "forbidden" if response.status_code == 403 else None
        return code, header.strip() if header else super().error_detail(response)[1]

    def hint(self, method: str, path_or_url: str, response: requests.Response) -> str | None:
        """Grant access on a 403; check the company domain on a 404 that is not about one employee."""
        if response.status_code == 403:
            return f"grant the API key's user of connection {self.connection.conn_id!r} access in BambooHR"
        if response.status_code == 404 and not path_or_url.startswith("employees/"):
            return f"is the company domain {self.connection.schema!r} right?"
        return None

    def check(self) -> str:
        fields = self.call("GET", "meta/fields")
        return (
            f"BambooHR accepted the API key for company {self.connection.schema!r} "
            f"({len(fields)} employee fields readable)"
        )

    def _check_object(self, obj: ObjectSpec) -> None:
        if obj.name.lower() not in OBJECTS | DEPARTMENTS:
            raise FatalAPIError(
                "bamboohr", f"unknown object {obj.name!r}; BambooHR serves employees and departments"
            )

    def _is_departments(self, obj: ObjectSpec) -> bool:
        """Whether `obj` is the departments (else the employees); an unknown object raises."""
        self._check_object(obj)
        return obj.name.lower() in DEPARTMENTS

    def _hub_field(self, obj: ObjectSpec) -> str:
        return obj.external_id_field or HUB_FIELD

    # Reads ------------------------------------------------------------------------------------
    def changes(self, since: datetime | None, kind: str | None = None) -> list[Change]:
        """The change feed from `since` (the beginning when None), by (lastChanged, id)."""
        params = {"since": bamboo_time(since or EPOCH), **({"type": kind} if kind else {})}
        answer = self.call("GET", "employees/changed/", params=params)
        employees = answer.get("employees") or {}
        if not isinstance(employees, dict):
            raise FatalAPIError("bamboohr", "employees/changed/ answered employees that are not keyed by id")
        found = [
            Change(str(entry.get("id") or key), str(entry.get("action")), str(entry[CURSOR]))
            for key, entry in employees.items()
        ]
        return sorted(found, key=lambda c: (c.when, _id_order(c.id)))

    def report(self, fields: Sequence[str], since: datetime | None = None) -> list[Record]:
        """One custom report over every employee (changed at or after `since` when given), cleaned."""
        body: dict[str, Any] = {"title": "Omnihub", "fields": list(fields)}
        if since is not None:
            body["filters"] = {CURSOR: {"includeNull": "no", "value": bamboo_time(since)}}
        answer = self.call("POST", "reports/custom", params={"format": "JSON"}, body=body)
        return [clean(row) for row in answer.get("employees") or []]

    def _fields(self, obj: ObjectSpec, *more: str) -> list[str]:
        """The report's fields: the mapping's, the hub id, the filter's and `lastChanged` (not `id`:
        every report row has it)."""
        wanted = [*obj.fields, self._hub_field(obj), *obj.filter, CURSOR, *more]
        return [name for name in dict.fromkeys(wanted) if name != "id"]

    def departments(self) -> list[Record]:
        """The Department list's options (`GET /meta/lists`), archived ones included, as records."""
        lists = self.call("GET", "meta/lists")
        fields = [f for f in lists if isinstance(f, dict)] if isinstance(lists, list) else []
        found = next(
            (f for f in fields if f.get("alias") == "department" or f.get("name") == "Department"), None
        )
        if found is None:
            raise FatalAPIError("bamboohr", "GET meta/lists answered no Department list field")
        return [_option(option) for option in found.get("options") or []]

    def describe(self, object_name: str, sample: int = 100) -> ObjectShape:
        """Employees: the fields `GET /meta/fields` lists, by alias (a field without one by its id, as
        reports take it), a list field's options from `GET /meta/lists`, and up to `sample` employees
        (by id) from one custom report of the described fields. Departments: the Department list's
        option fields and options."""
        if self._is_departments(ObjectSpec(object_name, (), "name")):
            return ObjectShape(object_name, DEPARTMENT_FIELDS, tuple(self.departments()[: max(sample, 0)]))
        options = self._list_options()
        fields = tuple(
            _field_info(field, options)
            for field in self.call("GET", "meta/fields")
            if isinstance(field, dict)
        )
        rows = self.report([f.name for f in fields if f.name != "id"]) if sample > 0 else []
        rows.sort(key=lambda row: _id_order(str(row.get("id"))))
        return ObjectShape(object_name, fields, tuple(rows[:sample]))

    def _list_options(self) -> dict[str, tuple[str, ...]]:
        """The live options of each list field (`GET /meta/lists`), by its alias and by its id."""
        found: dict[str, tuple[str, ...]] = {}
        for field in self.call("GET", "meta/lists") or []:
            if isinstance(field, dict):
                names = tuple(
                    str(o.get("name")) for o in field.get("options") or [] if o.get("archived") != "yes"
                )
                found[str(field.get("fieldId"))] = names
                if field.get("alias"):
                    found[str(field["alias"])] = names
        return found

    def _pages(self, count: int, page_size: int) -> Iterator[slice]:
        """The slices that cut `count` records into pages of `page_size` (at most `max_page`)."""
        size = max(1, min(page_size, self.max_page))
        for start in range(0, count, size):
            yield slice(start, start + size)

    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        if self._is_departments(obj):
            departments = self._kept_departments(obj)
            for part in self._pages(len(departments), page_size):
                yield Page(departments[part], None, len(departments))
            return
        changed = [c for c in self.changes(since) if c.action != "Deleted"]
        if not changed:
            return
        rows = {str(r["id"]): r for r in self.report(self._fields(obj), since)}
        terms = filter_terms(obj)
        kept = [
            (c, {**rows[c.id], CURSOR: c.last_changed})
            for c in changed
            if c.id in rows and passes_filter(terms, rows[c.id])
        ]
        for part in self._pages(len(kept), page_size):
            chunk = kept[part]
            yield Page([record for _, record in chunk], chunk[-1][0].when, len(kept))
        if not kept or kept[-1][0] is not changed[-1]:  # the filtered-out tail still moves the cursor
            yield Page([], changed[-1].when, len(kept))

    def _kept_departments(self, obj: ObjectSpec) -> list[Record]:
        """The departments that pass the mapping's filter."""
        terms = filter_terms(obj)
        return [r for r in self.departments() if passes_filter(terms, r)]

    def count(self, obj: ObjectSpec, since: datetime | None) -> int | None:
        """None: employees have no cheap count, and counting departments would cost the very call a
        read makes (its pages carry the total)."""
        self._check_object(obj)
        return None

    def read_deletes(self, obj: ObjectSpec, since: datetime | None) -> tuple[list[str], datetime | None]:
        """Employees deleted at or after `since` (`type=deleted`), and the newest deletion seen;
        departments are never deleted (archived options stay listed)."""
        if self._is_departments(obj):
            return [], since
        deleted = [c for c in self.changes(since, "deleted") if c.action == "Deleted"]
        return [c.id for c in deleted], deleted[-1].when if deleted else since

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        is_departments = self._is_departments(obj)
        wanted = {str(i) for i in ids}
        if not wanted:
            return []
        if is_departments:
            return [r for r in self.departments() if r.get(obj.primary_key) in wanted]
        return [r for r in self.report(self._fields(obj)) if str(r["id"]) in wanted]

    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        """Employees (by one report) or departments (by one list call) whose fields equal one of the
        given values (e-mails in any case)."""
        if self._is_departments(obj):
            rows = self.departments()
        else:
            rows = self.report(self._fields(obj, *criteria))
        terms = filter_terms(obj)
        return [
            r
            for r in rows
            if passes_filter(terms, r)
            and all(_matches(name, r.get(name), values) for name, values in criteria.items())
        ]

    # Writes -----------------------------------------------------------------------------------
    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        if self._is_departments(obj):
            raise FatalAPIError("bamboohr", DEPARTMENTS_READ_ONLY, code="read_only")
        if not ops:
            return []
        field = self._hub_field(obj)
        known = self._ids_by_hub_id(field, {op.hub_id for op in ops if not op.target_id})
        chains: dict[str, list[int]] = {}  # ops for one employee, which must not race each other
        for index, op in enumerate(ops):
            target = op.target_id or known.get(op.hub_id)
            chains.setdefault(f"id:{target}" if target else f"hub:{op.hub_id}", []).append(index)
        results: list[WriteResult | None] = [None] * len(ops)

        def run(indexes: list[int]) -> None:
            target = ops[indexes[0]].target_id or known.get(ops[indexes[0]].hub_id)
            for index in indexes:
                result = self._write_one(field, ops[index], target)
                target = result.id if result.ok and result.id else target
                results[index] = result

        self.session  # noqa: B018 - build the shared session before the threads use it
        workers = max(1, min(int(self.connection.option("max_parallel") or PARALLEL), len(chains)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bamboohr-write") as pool:
            list(pool.map(run, chains.values()))
        return [r or WriteResult(None, error=RecordError("NoResult", "not written")) for r in results]

    def _ids_by_hub_id(self, field: str, hub_ids: set[str]) -> dict[str, str]:
        """Employee ids by hub id for the hub ids given (the lowest id when several share one)."""
        if not hub_ids:
            return {}
        found: dict[str, str] = {}
        for row in sorted(self.report([field]), key=lambda r: _id_order(str(r["id"])), reverse=True):
            if row.get(field) in hub_ids:
                found[str(row[field])] = str(row["id"])
        return found

    def _write_one(self, field: str, op: WriteOp, target: str | None) -> WriteResult:
        item = _item(op.values) | {field: op.hub_id}
        if target:
            response = self.request("POST", f"employees/{target}/", body=item)
            return self._result(response, item, target)
        response = self.request("POST", "employees/", body=item, idempotent=False)
        return self._result(response, item, None)

    def _result(self, response: requests.Response, item: Record, target: str | None) -> WriteResult:
        status = response.status_code
        if status < 300 and target:
            return WriteResult(target)
        if status < 300:
            return WriteResult(_created_id(response), created=True)
        message = redact(self.error_detail(response)[1])[:500]
        if status == 404 and target:
            return WriteResult(target, error=RecordError("NotFound", f"employee {target} does not exist"))
        if status in (400, 409, 422):
            fields = tuple(n for n in item if re.search(rf"\b{re.escape(n)}\b", message))
            code = "invalid_value" if status == 400 else f"HTTP{status}"
            return WriteResult(target, error=RecordError(code, message, fields))
        raise self.failure("POST", f"employees/{target or ''}", response)


def _item(values: Record) -> Record:
    """Values as BambooHR takes them: text, with "" clearing a field; read-only fields left out."""
    item: Record = {}
    for name, value in values.items():
        if name in READ_ONLY:
            continue
        if value is None:
            item[name] = ""
        elif isinstance(value, bool):
            item[name] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            item[name] = str(value)
        else:
            item[name] = value
    return item


def _option(option: Mapping[str, Any]) -> Record:
    """A Department option as a record: every value text, an empty one None."""
    values = {
        "name": option.get("name"),
        "optionId": option.get("id"),
        "archived": option.get("archived"),
        "createdDate": option.get("createdDate"),
        "archivedDate": option.get("archivedDate"),
    }
    return clean({k: None if v is None or str(v).strip() == "" else str(v) for k, v in values.items()})


def _field_info(field: Mapping[str, Any], options: Mapping[str, tuple[str, ...]]) -> FieldInfo:
    """A `GET /meta/fields` entry (`id`, `name`, `type`, `alias`) named as reports and mappings name it:
    its alias, else its id; custom when the account added it (an alias `custom…`, or none)."""
    alias = str(field.get("alias") or "")
    name = alias or str(field.get("id"))
    return FieldInfo(
        name,
        str(field.get("name") or ""),
        str(field.get("type") or "").lower(),
        custom=not alias or alias.startswith("custom"),
        readonly=name in READ_ONLY,
        options=options.get(alias) or options.get(str(field.get("id"))) or (),
    )


def _created_id(response: requests.Response) -> str:
    """The new employee's id, the last segment of the `Location` header of a create."""
    location = response.headers.get("Location") or ""
    new_id = urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]
    if not new_id.isdigit():
        raise FatalAPIError(
            "bamboohr", f"created an employee but the Location header names no id ({location!r})"
        )
    return new_id


def _matches(name: str, value: Any, wanted: Sequence[Any]) -> bool:
    """Whether a value (text, as BambooHR answers) equals one of `wanted`; e-mails ignore case."""
    if value is None:
        return any(w is None for w in wanted)
    folded = "email" in name.lower()
    text = str(value).lower() if folded else str(value)
    return any(w is not None and (str(w).lower() if folded else str(w)) == text for w in wanted)


__all__ = ["BambooHRConnector"]
