"""`BambooHREmulator`: BambooHR's REST API for employees and their departments, in memory.

    >>> from connectors.emulators.bamboohr import BambooHREmulator
    >>> from connectors.emulators.server import EmulatorServer
    >>> bamboo = BambooHREmulator()                    # Basic auth: the API key, any password ("x")
    >>> with EmulatorServer(bamboo) as server:        # {server.url}/api/gateway.php/omnihub/v1/...
    ...     employee_id = bamboo.create({"firstName": "Ada", "lastName": "Lovelace"})

Served under `/api/gateway.php/{companyDomain}/v1/`: `GET meta/fields`; `GET meta/lists` (the list
fields; here only Department: `[{"fieldId", "manageable", "multiple", "name", "alias", "options":
[{"id", "archived", "createdDate", "archivedDate", "name"}]}]`, ids as numbers, archived options
listed too); `GET employees/directory`
(active employees; 403 when the company turned the directory off); `GET employees/changed/?since=
&type=inserted|updated|deleted` → `{"latest", "employees": {"<id>": {"id", "action",
"lastChanged"}}}` (an object keyed by id; a `+` that arrived unencoded, as a space, is refused);
`GET employees/{id}/?fields=`; `POST employees/` (201, empty body, `Location: …/employees/{id}`);
`POST employees/{id}/` (200); `POST reports/custom?format=JSON` with `{"title", "fields",
"filters": {"lastChanged": {"includeNull", "value"}}}` → `{"title", "fields", "employees"}`.
Every value is text and an empty date reads "0000-00-00". Errors carry their message in the
`X-BambooHR-Error-Message` header with an empty body: 400 invalid, 401 bad key, 403 forbidden, 404
unknown employee or company, 429 + `Retry-After` when throttled (503 + `Retry-After` when down:
BambooHR moved throttling from 503 to 429 on 2026-09-16). Without `Accept: application/json`
(and but for `format=JSON` reports) the answer is XML, as BambooHR's (`xml`). `GET employees/changed/
tables/{jobInfo|employmentStatus}?since=` → `{"table", "employees": {"<id>": {"lastChanged", "rows":
[{"id", "date", …columns}]}}}`: the dated rows of each employee whose table changed;
`GET employees/{id|all}/tables/{table}` → `[{"id", "employeeId", "date", …columns}]` (XML: `<table><row
id employeeId><field id>`, as PyBambooHR's get_tabular_data parses it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from connectors.emulators.bamboohr import xml
from connectors.emulators.bamboohr.staff import generate_staff
from connectors.emulators.bamboohr.store import (
    FIELDS,
    Clock,
    Invalid,
    Store,
    bamboo_time,
    parse_time,
)
from connectors.emulators.server import EmulatorApp, Request, Response, basic_credentials

PREFIX = r"/api/gateway.php/(?P<company>[^/]+)/v1"
ERROR_HEADER = "X-BambooHR-Error-Message"
DIRECTORY_FIELDS = [
    "displayName", "firstName", "lastName", "jobTitle", "workPhone", "mobilePhone", "workEmail",
    "department", "location", "division", "supervisorEId",
]  # fmt: skip
DEFAULT_FIELDS = ["firstName", "lastName"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def refused(status: int, message: str, **headers: str) -> Response:
    """BambooHR's error answer: the status, the message in a header, an empty body."""
    return Response(status, b"", {ERROR_HEADER: message, **headers})


class BambooHREmulator(EmulatorApp):
    """BambooHR's API for one company's employees."""

    system = "bamboohr"
    retry_after = "1"

    def __init__(
        self,
        *,
        api_key: str = "bhr-sandbox-5e1f0c9a7d3b4e28",
        company: str = "omnihub",
        email_domain: str = "omnihub-demo.com",
        clock: Clock | None = None,
        fault_rate: float = 0.0,
        fault_kinds: tuple[str, ...] = ("rate_limit",),
        latency_ms: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__(fault_rate=fault_rate, fault_kinds=fault_kinds, latency_ms=latency_ms, seed=seed)
        self.api_key = api_key
        self.company = company
        self.email_domain = email_domain
        self.clock: Clock = clock or utc_now
        self.store = Store(self.clock)
        self.read_only_keys: set[str] = set()  # keys whose user may read but not edit employees
        self.directory_enabled = True
        self.base = "https://api.bamboohr.com"
        routes: list[tuple[str, str, Callable[[Request], Response]]] = [
            ("GET", "/meta/fields", self._meta_fields),
            ("GET", "/meta/lists", self._meta_lists),
            ("GET", "/employees/directory", self._directory),
            ("GET", "/employees/changed", self._changed),
            ("GET", r"/employees/changed/tables/(?P<table>[A-Za-z]+)", self._changed_tables),
            ("GET", r"/employees/(?P<id>\d+|all)/tables/(?P<table>[A-Za-z]+)", self._table_rows),
            ("GET", r"/employees/(?P<id>\d+)", self._show),
            ("POST", "/employees", self._create),
            ("POST", r"/employees/(?P<id>\d+)", self._update),
            ("POST", "/reports/custom", self._report),
        ]
        for method, path, handler in routes:
            self.route(method, PREFIX + path, self._guarded(handler))

    # ---- in-process helpers (tests, demo) ----

    def connection(self, base_url: str, ca_bundle: str | None = None) -> dict[str, Any]:
        """The sandbox connection: the company domain as the schema, the API key as the password."""
        return {**super().connection(base_url, ca_bundle), "schema": self.company, "password": self.api_key}

    def records(self) -> list[dict[str, Any]]:
        """Every employee (empty values None), by id."""
        with self.lock:
            return [{"id": str(i), **self.store.employees[i]} for i in sorted(self.store.employees)]

    def create(self, values: dict[str, Any]) -> str:
        """Add an employee as HR would in BambooHR (validated); returns the new id."""
        with self.lock:
            return str(self.store.insert(values))

    def edit(self, employee_id: str | int, values: dict[str, Any]) -> None:
        """Change an employee as HR would: validated, and `lastChanged` moves."""
        with self.lock:
            self.store.update(int(employee_id), values)

    def remove(self, employee_id: str | int) -> None:
        """Delete an employee for good (the change feed then lists it as "Deleted")."""
        with self.lock:
            self.store.remove(int(employee_id))

    def add_department(self, name: str) -> str:
        """Add an option to the Department list, as an administrator would; returns its id (text).
        Employees may then be in it."""
        with self.lock:
            return str(self.store.add_department(name))

    def archive_department(self, name: str) -> None:
        """Archive a Department option: it stays listed, with `archived` "yes" and `archivedDate`."""
        with self.lock:
            self.store.archive_department(name)

    def seed_sandbox(self, scale: dict[str, int], seed: int) -> None:
        """`scale["employees"]` (150) employees with a manager hierarchy; see `staff.generate_staff`."""
        with self.lock:
            ids: list[int] = []
            for member in generate_staff(scale.get("employees", 150), seed, self.email_domain):
                manager = {} if member.manager is None else {"supervisorEId": ids[member.manager]}
                ids.append(self.store.insert({**member.values, **manager}))

    # ---- HTTP plumbing ----

    def _guarded(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        """The company, the API key and the wanted format checked, as BambooHR does, before `handler`."""

        def guarded(request: Request) -> Response:
            if request.params["company"] != self.company:
                return refused(404, f"Company '{request.params['company']}' not found")
            credentials = basic_credentials(request.headers.get("Authorization"))
            key = credentials[0] if credentials else None  # BambooHR ignores the password
            if key is None or key not in {self.api_key, *self.read_only_keys}:
                return refused(401, "Invalid API key")
            if request.method == "POST" and "/employees" in request.path and key != self.api_key:
                return refused(403, "You do not have access to edit employees")
            wants_json = "application/json" in (request.headers.get("Accept") or "")
            host = request.headers.get("Host") or "api.bamboohr.com"
            self.base = f"{'https' if self.needs_tls else 'http'}://{host}"
            answer = handler(request)
            if "/reports/" in request.path:  # a report comes in the format it names
                wants_json = (request.arg("format") or "").upper() == "JSON"
            if wants_json or answer.status != 200 or not answer.body:
                return answer
            return self._as_xml(request, answer)  # BambooHR answers XML unless JSON is asked for

        return guarded

    def _as_xml(self, request: Request, answer: Response) -> Response:
        path = request.path.rstrip("/")
        kind = (
            "directory" if path.endswith("/employees/directory")
            else "tables" if "/changed/tables/" in path
            else "rows" if "/tables/" in path
            else "changed" if path.endswith("/employees/changed")
            else "fields" if path.endswith("/meta/fields")
            else "lists" if path.endswith("/meta/lists")
            else "report" if "/reports/" in path
            else "employee"
        )  # fmt: skip
        return Response(200, xml.render(kind, json.loads(answer.body)), {"Content-Type": "text/xml"})

    def _changed_tables(self, request: Request) -> Response:
        """`employees/changed/tables/{table}?since=`: the rows of the employees whose table changed."""
        since = self._since(request)
        table = request.params["table"]
        changed = self.store.table_changes(table, since)
        employees = {
            str(i): {"lastChanged": bamboo_time(when), "rows": self.store.tables[table][i]}
            for i, when in changed.items()
        }
        return Response.json({"table": table, "employees": employees})

    def _table_rows(self, request: Request) -> Response:
        """`employees/{id|all}/tables/{table}`: the dated rows of one employee (or of everyone,
        terminated ones too), each with its `id` and `employeeId`."""
        table, wanted = request.params["table"], request.params["id"]
        self.store.table_changes(table, datetime.min.replace(tzinfo=UTC))  # 404 for a table it lacks
        if wanted != "all" and self.store.get(int(wanted)) is None:
            return refused(404, f"Employee {wanted} not found")
        kept = self.store.tables.get(table, {})
        ids = sorted(kept) if wanted == "all" else [int(wanted)]
        rows = [
            {"id": row["id"], "employeeId": str(i), **{k: v for k, v in row.items() if k != "id"}}
            for i in ids
            if i in self.store.employees
            for row in kept.get(i, [])
        ]
        return Response.json(rows)

    def _since(self, request: Request) -> datetime:
        since_text = request.arg("since")
        if not since_text:
            raise Invalid("The 'since' parameter is required (an ISO-8601 timestamp)")
        if " " in since_text:
            raise Invalid(f"Invalid 'since' value '{since_text}': send '+' in the offset as %2B")
        try:
            return parse_time(since_text)
        except ValueError:
            raise Invalid(f"Invalid 'since' value '{since_text}': expected an ISO-8601 timestamp") from None

    def _body(self, request: Request) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError:
            raise Invalid("The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise Invalid("The request body must be a JSON object")
        return body

    def _fields(self, names: Any) -> list[str]:
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise Invalid("fields must be a non-empty list of field names")
        unknown = [n for n in names if n not in FIELDS]
        if unknown:
            raise Invalid(f"Unknown field(s): {', '.join(unknown)}")
        return list(dict.fromkeys(names))

    def handle(self, request: Request) -> Response:
        """Answer as the base app does, turning a refused request (`Invalid`) into its error header."""
        try:
            return super().handle(request)
        except Invalid as exc:
            return refused(exc.status, str(exc))

    # ---- handlers ----

    def _meta_fields(self, request: Request) -> Response:
        fields = [
            {"id": 4000 + n, "name": label, "type": kind, "alias": name}
            for n, (name, (kind, label)) in enumerate(FIELDS.items())
        ]
        return Response.json(fields)

    def _meta_lists(self, request: Request) -> Response:
        department = {
            "fieldId": 4000 + list(FIELDS).index("department"),
            "manageable": "yes",
            "multiple": "no",
            "name": FIELDS["department"][1],
            "alias": "department",
            "options": [option.render() for option in self.store.department_options],
        }
        return Response.json([department])

    def _directory(self, request: Request) -> Response:
        if not self.directory_enabled:
            return refused(403, "Directory disabled for this account")  # BambooHR's words
        active = [i for i in sorted(self.store.employees) if self.store.employees[i]["status"] == "Active"]
        return Response.json(
            {
                "fields": [_describe(name) for name in DIRECTORY_FIELDS],
                "employees": [self.store.render(i, DIRECTORY_FIELDS) for i in active],
            }
        )

    def _changed(self, request: Request) -> Response:
        since = self._since(request)
        kind = (request.arg("type") or "").lower() or None
        if kind not in (None, "inserted", "updated", "deleted"):
            raise Invalid(f"Invalid 'type' value '{kind}': use inserted, updated or deleted")
        changes = self.store.changes(since, kind)
        latest = max((c.when for c in changes), default=since)
        employees = {
            str(c.id): {"id": str(c.id), "action": c.action, "lastChanged": bamboo_time(c.when)}
            for c in changes
        }
        return Response.json({"latest": bamboo_time(latest), "employees": employees})

    def _show(self, request: Request) -> Response:
        employee_id = int(request.params["id"])
        if self.store.get(employee_id) is None:
            return refused(404, f"Employee {employee_id} not found")
        wanted = request.arg("fields")
        fields = self._fields(wanted.split(",")) if wanted else DEFAULT_FIELDS
        return Response.json(self.store.render(employee_id, fields))

    def _create(self, request: Request) -> Response:
        employee_id = self.store.insert(self._body(request))
        location = f"{self.base}/api/gateway.php/{self.company}/v1/employees/{employee_id}"
        return Response(201, b"", {"Location": location})

    def _update(self, request: Request) -> Response:
        employee_id = int(request.params["id"])
        if self.store.get(employee_id) is None:
            return refused(404, f"Employee {employee_id} not found")
        self.store.update(employee_id, self._body(request))
        return Response(200, b"", {})

    def _report(self, request: Request) -> Response:
        if (request.arg("format") or "").upper() not in ("JSON", "XML"):
            raise Invalid("format must be one of CSV, PDF, XLS, XML, JSON (this emulator: JSON or XML)")
        body = self._body(request)
        fields = self._fields(body.get("fields"))
        since = _last_changed_filter(body.get("filters"))
        ids = [i for i in sorted(self.store.employees) if since is None or self.store.stamps[i] >= since]
        return Response.json(
            {
                "title": str(body.get("title") or "Custom report"),
                "fields": [_describe(name) for name in fields],
                "employees": [self.store.render(i, fields) for i in ids],
            }
        )

    # ---- what BambooHR answers when throttling, down, or asked for an unknown path ----

    def rate_limit_response(self) -> Response:
        """429 + `Retry-After`: BambooHR's "Planned Changes to the API" page moved throttling from 503
        to 429 on September 16, 2026 ("Every rate-limited response includes a `Retry-After` header");
        503 now only means the API is unavailable."""
        message = f"API request limit exceeded; retry after {self.retry_after} seconds"
        return refused(429, message, **{"Retry-After": self.retry_after})

    def unavailable_response(self) -> Response:
        return refused(503, "Service temporarily unavailable", **{"Retry-After": self.retry_after})

    def not_found(self, request: Request) -> Response:
        return refused(404, f"No API endpoint at {request.path}")


def _describe(name: str) -> dict[str, str]:
    kind, label = FIELDS[name]
    return {"id": name, "type": kind, "name": label}


def _last_changed_filter(filters: Any) -> datetime | None:
    """The `filters.lastChanged.value` of a custom report body, when it has one."""
    if not filters:
        return None
    condition = filters.get("lastChanged") if isinstance(filters, dict) else None
    if not isinstance(condition, dict) or not condition.get("value"):
        raise Invalid("filters.lastChanged must be an object with a 'value' timestamp")
    try:
        return parse_time(str(condition["value"]))
    except ValueError:
        raise Invalid(f"Invalid filters.lastChanged value '{condition['value']}'") from None
