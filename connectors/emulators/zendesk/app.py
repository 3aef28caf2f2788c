"""`ZendeskEmulator`: Zendesk Support's REST API (users, organizations, tickets) in memory.

    >>> from connectors.emulators.zendesk import ZendeskEmulator
    >>> from connectors.emulators.server import EmulatorServer
    >>> zendesk = ZendeskEmulator()                    # agent@omnihub.example / its API token
    >>> with EmulatorServer(zendesk) as server:       # GET {server.url}/api/v2/users/me.json
    ...     user_id = zendesk.create("users", {"name": "Ada", "email": "ada@example.com"})

Served: `users/me`, the field definitions (`user_fields`, `organization_fields`, `ticket_fields`, see
`fields`), incremental exports (cursor-based for users and tickets, time-based for all
three; `next_page` keeps the caller's `per_page`), the plain lists `{kind}.json` (offset or cursor
paging, see `listing`), one record created (`POST {kind}.json`, tickets with their audit), shown,
updated (`PUT`) and deleted, `{kind}/create_or_update_many`, `create_many` and `update_many` (at most
100 items, answered with a job), `job_statuses/{id}` and `job_statuses/show_many`,
`{kind}/show_many?ids=` (`external_ids=` for users and organizations),
`users|organizations/search?external_id=`, `users/search?query=` and `search.json?query=`. Tickets
carry `via` and `generated_timestamp`. Authentication: API token (Basic `{email}/token:{token}`) or
OAuth (`Bearer`).
"""

from __future__ import annotations

import html
import itertools
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from connectors.emulators.seed import (
    TICKET_TOPICS,
    generate_companies,
    generate_people,
    international_phone,
)
from connectors.emulators.server import EmulatorApp, MinuteWindow, Request, Response, basic_credentials
from connectors.emulators.zendesk.export import (
    BadExportRequest,
    cursor_page,
    per_page,
    start_time,
    time_page,
)
from connectors.emulators.zendesk.fields import BadFieldsRequest
from connectors.emulators.zendesk.jobs import JobBoard
from connectors.emulators.zendesk.listing import BadListRequest, list_page, search_page
from connectors.emulators.zendesk.store import SINGULAR, Clock, Outcome, RecordRefused, Store

MAX_MANY = 100
KIND = r"(?P<kind>users|organizations|tickets)"
JSON = r"(?:\.json)?"
FIELD_LISTS = "user_fields|organization_fields|ticket_fields"
RATE_LIMIT_TEXT = "Number of allowed API requests per minute exceeded"
ACCOUNT_LIMIT = 700


def utc_now() -> datetime:
    return datetime.now(UTC)


def zendesk_error(status: int, error: str, description: str | None = None, **more: Any) -> Response:
    body: dict[str, Any] = {"error": error}
    if description is not None:
        body["description"] = description
    return Response.json({**body, **more}, status)


def not_found() -> Response:
    return zendesk_error(404, "RecordNotFound", "Not found")


class ZendeskEmulator(EmulatorApp):
    """Zendesk Support's API for users, organizations and tickets over an in-memory account."""

    system = "zendesk"
    retry_after = "1"

    def __init__(
        self,
        *,
        email: str = "agent@omnihub.example",
        token: str = "zd-sandbox-6b1f0c2a9e7d4c3b",
        oauth_token: str = "zd-oauth-3f9a1c7e5b2d4a60",
        clock: Clock | None = None,
        polls_to_complete: int = 2,
        fault_rate: float = 0.0,
        fault_kinds: tuple[str, ...] = ("rate_limit",),
        latency_ms: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__(fault_rate=fault_rate, fault_kinds=fault_kinds, latency_ms=latency_ms, seed=seed)
        self.email, self.token, self.oauth_token = email, token, oauth_token
        self.clock: Clock = clock or utc_now
        self.store = Store(self.clock)
        self.jobs = JobBoard(polls_to_complete)
        self._window = MinuteWindow()  # for X-Rate-Limit-Remaining
        self._audit_ids = itertools.count(1)  # audits and their events share one id sequence
        routes: list[tuple[str, str, Callable[[Request], Response]]] = [
            ("GET", rf"/api/v2/users/me{JSON}", self._me),
            ("GET", rf"/api/v2/(?P<resource>{FIELD_LISTS}){JSON}", self._fields),
            ("GET", rf"/api/v2/incremental/(?P<kind>users|tickets)/cursor{JSON}", self._cursor_export),
            ("GET", rf"/api/v2/incremental/{KIND}{JSON}", self._time_export),
            ("POST", rf"/api/v2/{KIND}/create_or_update_many{JSON}", self._create_or_update_many),
            ("POST", rf"/api/v2/{KIND}/create_many{JSON}", self._create_many),
            ("GET", rf"/api/v2/job_statuses/show_many{JSON}", self._jobs_show_many),
            ("GET", rf"/api/v2/job_statuses/(?P<job>[A-Za-z0-9-]+?){JSON}", self._job_status),
            ("GET", rf"/api/v2/{KIND}/show_many{JSON}", self._show_many),
            ("GET", rf"/api/v2/(?P<kind>users|organizations)/search{JSON}", self._search),
            ("GET", rf"/api/v2/{KIND}/(?P<id>\d+){JSON}", self._show),
            ("PUT", rf"/api/v2/{KIND}/update_many{JSON}", self._update_many),
            ("GET", rf"/api/v2/{KIND}{JSON}", self._list),
            ("POST", rf"/api/v2/{KIND}{JSON}", self._create_one),
            ("PUT", rf"/api/v2/{KIND}/(?P<id>\d+){JSON}", self._update_one),
            ("DELETE", rf"/api/v2/{KIND}/(?P<id>\d+){JSON}", self._delete_one),
            ("GET", rf"/api/v2/search{JSON}", self._search_all),
        ]
        for method, pattern, handler in routes:
            self.route(method, pattern, self._authenticated(handler))

    # ---- in-process helpers (tests, demo) ----

    def connection(self, base_url: str, ca_bundle: str | None = None) -> dict[str, Any]:
        """The sandbox connection: the agent's email and API token (jobs here finish in two polls, so
        the connector need not wait the real service's second between them)."""
        spec = super().connection(base_url, ca_bundle)
        extra = {**spec.get("extra", {}), "job_poll_interval": 0.05}
        return {**spec, "login": self.email, "password": self.token, "extra": extra}

    def reset(self) -> None:
        """An empty account again."""
        with self.lock:
            self.store = Store(self.clock)
            self.jobs = JobBoard(self.jobs.polls_to_complete)

    def records(self, kind: str) -> list[dict[str, Any]]:
        """Every record of `kind` (users, organizations, tickets), by id."""
        with self.lock:
            return [dict(self.store.tables[kind][i]) for i in sorted(self.store.tables[kind])]

    def create(self, kind: str, values: dict[str, Any]) -> int:
        """Create a record as an agent in Zendesk would (validated); returns its id."""
        with self.lock:
            return self.store.insert(kind, values)

    def add_field(
        self, kind: str, key: str, title: str, type_: str, options: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Define a custom field of users, organizations or tickets as an admin would (types as Zendesk
        names them: text, textarea, checkbox, date, integer, decimal, regexp, dropdown (tickets:
        tagger), multiselect); returns its definition. Every record then carries it."""
        with self.lock:
            return self.store.add_field(kind, key, title, type_, options)

    def edit(self, kind: str, record_id: int, values: dict[str, Any]) -> None:
        """Change a record as an agent would: validated, and its `updated_at` moves."""
        with self.lock:
            self.store.update(kind, int(record_id), values)

    def seed_sandbox(self, scale: dict[str, int], seed: int) -> None:
        """Organizations from the shared companies, users from the shared people (valid ones only),
        and tickets raised by a quarter of the users.

        `scale` keys: organizations (or accounts), users (or contacts) and tickets, as the sandbox passes
        them."""
        with self.lock:
            self._seed_fields()
            companies = generate_companies(scale.get("organizations", scale.get("accounts", 50)), seed)
            org_ids: dict[int, int] = {}
            for company in companies:
                org = {
                    "name": company.name,
                    "domain_names": [company.domain],
                    "details": company.city,
                    "organization_fields": {"tier": ("basic", "premium", "enterprise")[company.index % 3]},
                }
                org_ids[company.index] = self._seed_one("organizations", org)
            people = generate_people(scale.get("users", scale.get("contacts", 200)), companies, seed)
            for person in people:
                org_id = org_ids.get(person.company) if person.company is not None else None
                user = {
                    "name": f"{person.first_name} {person.last_name}",
                    "email": person.email,
                    "phone": international_phone(person.phone, person.country),
                    "organization_id": org_id or None,
                }
                self._seed_one("users", user)
            user_ids = sorted(self.store.tables["users"])
            self._seed_tickets(random.Random(seed), user_ids, scale.get("tickets", len(user_ids) // 4))

    def _seed_fields(self) -> None:
        """The sandbox account's own fields (once): what an admin typically adds."""
        if self.store.fields.custom("users"):
            return
        self.store.add_field("users", "department", "Department", "text")
        self.store.add_field("users", "customer_since", "Customer since", "date")
        tiers, areas = ("Basic", "Premium", "Enterprise"), ("Billing", "Login", "Other")
        self.store.add_field("organizations", "tier", "Tier", "dropdown", tiers)
        self.store.add_field("organizations", "seats", "Seats", "integer")
        self.store.add_field("tickets", "product_area", "Product area", "tagger", areas)

    def _seed_tickets(self, rng: random.Random, user_ids: list[int], count: int) -> None:
        area = next(f for f in self.store.fields.custom("tickets") if f["title"] == "Product area")
        for number in range(min(count, len(user_ids))):
            requester = self.store.tables["users"][user_ids[(number * 4) % len(user_ids)]]
            subject, description, kind = rng.choice(TICKET_TOPICS)
            ticket = {
                "subject": subject,
                "comment": {"body": description},
                "status": rng.choice(("new", "open", "open", "pending", "hold", "solved")),
                "priority": rng.choice(("low", "normal", "normal", "high", "urgent")),
                "type": kind,
                "requester_id": requester["id"],
                "organization_id": requester["organization_id"],
                "tags": [kind, "sandbox"],
                "custom_fields": [{"id": area["id"], "value": rng.choice(("billing", "login", "other"))}],
            }
            self._seed_one("tickets", ticket)

    def _seed_one(self, kind: str, values: dict[str, Any]) -> int:
        try:
            return self.store.insert(kind, values)
        except RecordRefused:
            return 0  # Zendesk validates every record: a broken one never gets in

    # ---- HTTP plumbing ----

    def handle(self, request: Request) -> Response:
        """Answer as the base app does, with Zendesk's account rate-limit headers on every answer."""
        response = super().handle(request)
        if not request.path.startswith("/__emulator__/"):
            with self.lock:
                used = self._window.count(self.clock())
            response.headers.setdefault("X-Rate-Limit", str(ACCOUNT_LIMIT))
            response.headers.setdefault("X-Rate-Limit-Remaining", str(max(0, ACCOUNT_LIMIT - used)))
        return response

    def _authenticated(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def guarded(request: Request) -> Response:
            if not self._authorized(request.headers.get("Authorization") or ""):
                return zendesk_error(401, "Couldn't authenticate you")
            host = request.headers.get("Host") or "omnihub.zendesk.com"
            self.store.base_url = f"{'https' if self.needs_tls else 'http'}://{host}"
            return handler(request)

        return guarded

    def _authorized(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return value.strip() == self.oauth_token
        credentials = basic_credentials(header)
        if credentials is None:
            return False
        user, secret = credentials
        return user.lower() == f"{self.email.lower()}/token" and secret == self.token

    @property
    def base(self) -> str:
        return self.store.base_url

    # ---- handlers ----

    def _me(self, request: Request) -> Response:
        me = self.store.find_by("users", "email", self.email)
        agent = me or {"id": 360000000001, "name": "Omnihub Agent", "email": self.email, "role": "admin"}
        return Response.json({"user": agent})

    def _fields(self, request: Request) -> Response:
        """`GET /api/v2/{user,organization,ticket}_fields`: the account's field definitions."""
        self.store.fields.base_url = self.base
        try:
            return Response.json(self.store.fields.page(request.params["resource"], request.query))
        except BadFieldsRequest as exc:
            return zendesk_error(400, "InvalidPaginationParameter", str(exc))

    def _cursor_export(self, request: Request) -> Response:
        kind = request.params["kind"]
        cursor = request.arg("cursor")
        try:
            start = None if cursor else start_time(request.arg("start_time"))
            size = per_page(request.arg("per_page"))
            asked = request.arg("per_page")
            page = cursor_page(
                self.store, kind, self.base, start=start, cursor=cursor, size=size, asked=asked
            )
        except BadExportRequest as exc:
            return zendesk_error(400, "InvalidValue", str(exc))
        return Response.json(page)

    def _time_export(self, request: Request) -> Response:
        kind = request.params["kind"]
        try:
            start, size = start_time(request.arg("start_time")), per_page(request.arg("per_page"))
        except BadExportRequest as exc:
            return zendesk_error(400, "InvalidValue", str(exc))
        asked = request.arg("per_page")
        return Response.json(time_page(self.store, kind, self.base, start=start, size=size, asked=asked))

    def _items(self, request: Request) -> list[Any] | Response:
        kind = request.params["kind"]
        try:
            body = request.json()
        except ValueError:
            return zendesk_error(400, "InvalidJSON", "The request body is not valid JSON")
        items = body.get(kind) if isinstance(body, dict) else None
        if not isinstance(items, list):
            return zendesk_error(400, "InvalidValue", f"{kind} must be an array")
        if len(items) > MAX_MANY:
            return zendesk_error(
                400,
                "TooManyValues",
                "Parameter  cannot specify more than 100 values",  # sic: Zendesk's double space
                max_count=MAX_MANY,
            )
        return items

    def _create_or_update_many(self, request: Request) -> Response:
        items = self._items(request)
        if isinstance(items, Response):
            return items
        kind = request.params["kind"]
        return self._job(kind, [self.store.upsert(kind, item) for item in items], items)

    def _create_many(self, request: Request) -> Response:
        items = self._items(request)
        if isinstance(items, Response):
            return items
        kind = request.params["kind"]
        stripped = [{k: v for k, v in i.items() if k != "id"} if isinstance(i, dict) else i for i in items]
        outcomes: list[Outcome] = []
        for item in stripped:  # create_many never matches an existing record
            known = isinstance(item, dict) and self.store.match(
                kind, {"external_id": item.get("external_id")}
            )
            outcomes.append(self.store.upsert(kind, item) if not known else self._duplicate(kind))
        return self._job(kind, outcomes, items)

    def _duplicate(self, kind: str) -> Outcome:
        return Outcome(None, "Failed", f"{SINGULAR[kind].title()}CreateError", "External: is already taken")

    def _job(self, kind: str, outcomes: list[Outcome], items: list[Any]) -> Response:
        extra = [
            {"email": item.get("email")} if kind == "users" and isinstance(item, dict) and item.get("email")
            else {}
            for item in items
        ]  # fmt: skip
        stamp = self.clock().astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")
        job = self.jobs.add(self.base, outcomes, extra, stamp)
        return Response.json({"job_status": job.as_json()})

    def _job_status(self, request: Request) -> Response:
        shown = self.jobs.poll(request.params["job"])
        return Response.json({"job_status": shown}) if shown else not_found()

    def _jobs_show_many(self, request: Request) -> Response:
        ids = [i for i in (request.arg("ids") or "").split(",") if i]
        shown = [s for s in (self.jobs.poll(i) for i in ids) if s is not None]
        return Response.json({"job_statuses": shown})

    def _show(self, request: Request) -> Response:
        kind = request.params["kind"]
        record = self.store.get(kind, int(request.params["id"]))
        return Response.json({SINGULAR[kind]: self.store.shown(kind, record)}) if record else not_found()

    def _show_many(self, request: Request) -> Response:
        kind = request.params["kind"]
        ids = _list_arg(request.arg("ids"))
        externals = _list_arg(request.arg("external_ids")) if kind != "tickets" else []
        if len(ids) > MAX_MANY or len(externals) > MAX_MANY:
            return zendesk_error(
                400, "TooManyValues", "Parameter  cannot specify more than 100 values", max_count=MAX_MANY
            )
        found = [self.store.get(kind, int(i)) for i in ids if i.isdigit()]
        found += [self.store.find_by(kind, "external_id", e) for e in externals]
        shown = [self.store.shown(kind, r) for r in found if r is not None]
        return Response.json({kind: shown, "count": len(found)})

    def _search(self, request: Request) -> Response:
        """`?external_id=` (exact), or for users `?query=` matching email or name (`email:` narrows)."""
        kind, external, query = request.params["kind"], request.arg("external_id"), request.arg("query")
        if external is not None:
            found = [r for r in self.store.tables[kind].values() if r.get("external_id") == external]
        elif query is not None and kind == "users":
            found = _query_users(list(self.store.tables["users"].values()), query)
        else:
            return zendesk_error(400, "InvalidValue", "external_id or query is required")
        return Response.json({kind: found, "next_page": None, "previous_page": None, "count": len(found)})

    def _list(self, request: Request) -> Response:
        try:
            return Response.json(list_page(self.store, request.params["kind"], self.base, request.query))
        except BadListRequest as exc:
            return zendesk_error(400, "InvalidPaginationParameter", str(exc))

    def _search_all(self, request: Request) -> Response:
        try:
            return Response.json(search_page(self.store, self.base, request.query))
        except BadListRequest as exc:
            return zendesk_error(400, "InvalidValue", str(exc))

    def _one(self, request: Request) -> dict[str, Any] | Response:
        """The `{"ticket": {...}}` (user, organization) object of a single-record request."""
        kind = request.params["kind"]
        try:
            body = request.json()
        except ValueError:
            return zendesk_error(400, "InvalidJSON", "The request body is not valid JSON")
        values = body.get(SINGULAR[kind]) if isinstance(body, dict) else None
        if not isinstance(values, dict):
            return zendesk_error(400, "InvalidValue", f"{SINGULAR[kind]} must be an object")
        return values

    def _answer_one(self, kind: str, record_id: int, status: int, events: list[dict[str, Any]]) -> Response:
        """The record as a real account answers one create (201, with `Location`) or update (200); a
        ticket's comes with its audit: `id`, then each event with an id of its own."""
        record = self.store.shown(kind, self.store.tables[kind][record_id])
        body: dict[str, Any] = {SINGULAR[kind]: record}
        if kind == "tickets":
            audit_id = next(self._audit_ids)
            author = record.get("submitter_id") or record.get("requester_id")
            body["audit"] = {
                "id": audit_id,
                "ticket_id": record_id,
                "created_at": record["updated_at"],
                "author_id": author,
                "metadata": {"system": {}, "custom": {}},
                "events": [
                    {"id": next(self._audit_ids), **event}
                    | ({"author_id": author, "audit_id": audit_id} if event["type"] == "Comment" else {})
                    for event in events
                ],
                "via": record["via"],
            }
        headers = {"Location": str(record["url"])} if status == 201 else None
        return Response.json(body, status, headers)

    def _create_one(self, request: Request) -> Response:
        values = self._one(request)
        if isinstance(values, Response):
            return values
        kind = request.params["kind"]
        try:
            record_id = self.store.insert(kind, values)
        except RecordRefused as exc:
            return record_invalid(exc.details)
        return self._answer_one(kind, record_id, 201, _create_events(self.store.tables[kind][record_id]))

    def _update_one(self, request: Request) -> Response:
        values = self._one(request)
        if isinstance(values, Response):
            return values
        kind, record_id = request.params["kind"], int(request.params["id"])
        current = self.store.get(kind, record_id)
        if current is None:
            return not_found()
        before = dict(current)
        try:
            self.store.update(kind, record_id, values)
        except RecordRefused as exc:
            return record_invalid(exc.details)
        after = self.store.tables[kind][record_id]
        events = [
            {"type": "Change", "value": after.get(k), "field_name": k, "previous_value": before.get(k)}
            for k in values
            if k in after and k not in AUDIT_SILENT and before.get(k) != after.get(k)
        ]
        return self._answer_one(kind, record_id, 200, events)

    def _delete_one(self, request: Request) -> Response:
        kind, record_id = request.params["kind"], int(request.params["id"])
        return Response.empty(204) if self.store.delete(kind, record_id) else not_found()

    def _update_many(self, request: Request) -> Response:
        """`{"tickets": [{"id", ...}]}`, or `?ids=1,2` with one `{"ticket": {...}}` for them all: a job."""
        kind = request.params["kind"]
        ids = _list_arg(request.arg("ids"))
        if ids:
            values = self._one(request)
            if isinstance(values, Response):
                return values
            items: list[Any] = [{**values, "id": int(i)} for i in ids if i.isdigit()]
        else:
            found = self._items(request)
            if isinstance(found, Response):
                return found
            items = found
        outcomes = []
        for item in items:
            if not isinstance(item, dict) or item.get("id") is None:
                outcomes.append(Outcome(None, "Failed", "RecordNotFound", "id is required"))
            else:
                outcomes.append(self.store.upsert(kind, item))
        return self._job(kind, outcomes, items)

    # ---- what Zendesk answers when throttling, down, or asked for an unknown path ----

    def rate_limit_response(self) -> Response:
        return Response.text(RATE_LIMIT_TEXT, 429, **{"Retry-After": self.retry_after})

    def unavailable_response(self) -> Response:
        return Response.text("Service Unavailable", 503, **{"Retry-After": self.retry_after})

    def not_found(self, request: Request) -> Response:
        return Response.json({"error": "InvalidEndpoint", "description": "Not found"}, 404)


# The fields a real account's audit of a new ticket names, in its order (zenpy's recorded create).
CREATE_AUDITED = ("subject", "requester_id", "priority", "type", "status", "organization_id", "brand_id",
                  "ticket_form_id", "custom_status_id")  # fmt: skip
AUDIT_SILENT = frozenset({"comment", "description", "updated_at", "generated_timestamp"})


def _audit_value(value: Any) -> Any:
    """An audited value as Zendesk writes it: ids and numbers as strings, null as null."""
    return value if value is None or isinstance(value, (str, list)) else str(value)


def _create_events(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of a new ticket's audit: its first comment (the description), then one Create per
    audited field (ids given as strings)."""
    body = str(ticket.get("description") or "")
    comment = {
        "type": "Comment",
        "body": body,
        "html_body": f'<div class="zd-comment" dir="auto"><p dir="auto">{html.escape(body)}</p></div>',
        "plain_body": body,
        "public": True,
        "attachments": [],
    }
    fields = [
        {"type": "Create", "value": _audit_value(ticket.get(name)), "field_name": name}
        for name in CREATE_AUDITED
    ]
    return [comment, *fields]


# Fields whose problems a real account files under `base` (a ticket's blank description, recorded by
# zendesk_api_client_rb), and the error code of a problem by its words (BlankValue and DuplicateValue
# as recorded there; anything else InvalidValue).
BASE_FIELDS = frozenset({"description"})
PROBLEM_CODES = (
    ("cannot be blank", "BlankValue"),
    ("is already being used by another user", "DuplicateValue"),
    ("has already been taken", "DuplicateValue"),
)


def record_invalid(details: str) -> Response:
    """422 RecordInvalid, each problem under its field (`Name: cannot be blank` -> `name`, a ticket's
    `Description: cannot be blank` -> `base`), with Zendesk's error code for its kind."""
    fields: dict[str, list[dict[str, str]]] = {}
    for problem in re.split(r"(?<=\.|[a-z]) (?=[A-Z][a-z]+: )", details):
        field = problem.split(":", 1)[0].strip().lower() if ":" in problem else "base"
        code = next((c for words, c in PROBLEM_CODES if words in problem), "InvalidValue")
        entry = {"description": problem.strip(), "error": code}
        fields.setdefault("base" if field in BASE_FIELDS else field, []).append(entry)
    return zendesk_error(422, "RecordInvalid", "Record validation errors", details=fields)


def _list_arg(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _query_users(users: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    field, _, value = query.strip().partition(":")
    if not value:
        field, value = "", field
    wanted = value.strip().strip('"').lower()
    fields = [field] if field in ("email", "name") else ["email", "name"]
    return [u for u in users if any(str(u.get(f) or "").lower() == wanted for f in fields)]
