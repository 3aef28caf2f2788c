"""`FreshdeskEmulator`: Freshdesk's REST API v2 (contacts, companies, tickets) in memory.

    >>> from connectors.emulators.freshdesk import FreshdeskEmulator
    >>> from connectors.emulators.server import EmulatorServer
    >>> freshdesk = FreshdeskEmulator()                 # Basic auth: the API key, password "X"
    >>> with EmulatorServer(freshdesk) as server:      # GET {server.url}/api/v2/agents/me
    ...     contact_id = freshdesk.create("contacts", {"name": "Ada", "email": "ada@example.com"})

Served: `agents/me`; the field definitions (`contact_fields`, `company_fields`, `ticket_fields`, see
`fields`); lists `GET /api/v2/{kind}?updated_since=&per_page=&page=` (contacts also take
`_updated_since`, `email=` and `unique_external_id=`) as a bare JSON array ordered by `updated_at`,
with `Link: <…>; rel="next"` while more pages exist and a 400 beyond page 300 (`page_limit`);
without `updated_since`, tickets created in the last 30 days only. `GET/PUT /api/v2/{kind}/{id}`,
`POST /api/v2/{kind}` (one record per call), and `GET /api/v2/search/{kind}?query="field:'value'"`
(`{"results", "total"}`). Errors: `{"description": "Validation failed", "errors": [...]}` (400,
duplicates 409), `{"code": "invalid_credentials", "message"}` (401, a refused key), 429 + `Retry-After`
when throttled.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from connectors.emulators.freshdesk.fields import FIELD_KINDS
from connectors.emulators.freshdesk.store import Clock, Invalid, Store, item, parse_time, unexpected_fields
from connectors.emulators.seed import (
    TICKET_TOPICS,
    generate_companies,
    generate_people,
    international_phone,
)
from connectors.emulators.server import EmulatorApp, MinuteWindow, Request, Response, basic_credentials

KIND = r"(?P<kind>contacts|companies|tickets)"
PAGE_LIMIT = 300
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
ACCOUNT_LIMIT = 700  # requests per minute (the Growth plan's)
SANDBOX_LIMIT = 100_000
"""The limit the sandbox account advertises: a sandbox lifts the plan's, so that `make demo`'s ticket
sync (one request per requester and company it links: Freshdesk reads no contacts in bulk) is not held
to a live account's pace by the hub's API budget, which follows these headers."""
QUERY = re.compile(r"""^"?\s*(?P<field>[\w.]+)\s*:\s*'(?P<value>[^']*)'\s*"?$""")


def utc_now() -> datetime:
    return datetime.now(UTC)


def validation_failed(errors: list[dict[str, Any]], status: int = 400) -> Response:
    return Response.json({"description": "Validation failed", "errors": errors}, status)


def not_found() -> Response:
    return Response.empty(404)  # Freshdesk answers an unknown record id with an empty 404


class FreshdeskEmulator(EmulatorApp):
    """Freshdesk's API for contacts, companies and tickets over an in-memory account."""

    system = "freshdesk"
    retry_after = "1"

    def __init__(
        self,
        *,
        api_key: str = "fd-sandbox-Q7mK2pX9vR4tL8wN",
        clock: Clock | None = None,
        page_limit: int = PAGE_LIMIT,
        max_per_page: int = MAX_PER_PAGE,
        fault_rate: float = 0.0,
        fault_kinds: tuple[str, ...] = ("rate_limit",),
        latency_ms: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__(fault_rate=fault_rate, fault_kinds=fault_kinds, latency_ms=latency_ms, seed=seed)
        self.api_key = api_key
        self.clock: Clock = clock or utc_now
        self.page_limit = page_limit
        self.max_per_page = max_per_page
        self.store = Store(self.clock)
        self.base = "https://omnihub.freshdesk.com"
        self._window = MinuteWindow()  # for X-RateLimit-Remaining
        self.account_limit = ACCOUNT_LIMIT
        routes: list[tuple[str, str, Callable[[Request], Response]]] = [
            ("GET", r"/api/v2/agents/me", self._me),
            ("GET", r"/api/v2/(?P<resource>contact_fields|company_fields|ticket_fields)", self._fields),
            ("GET", rf"/api/v2/search/{KIND}", self._search),
            ("GET", rf"/api/v2/{KIND}", self._list),
            ("POST", rf"/api/v2/{KIND}", self._create),
            ("GET", rf"/api/v2/{KIND}/(?P<id>\d+)", self._show),
            ("PUT", rf"/api/v2/{KIND}/(?P<id>\d+)", self._update),
        ]
        for method, pattern, handler in routes:
            self.route(method, pattern, self._authenticated(handler))

    # ---- in-process helpers (tests, demo) ----

    def connection(self, base_url: str, ca_bundle: str | None = None) -> dict[str, Any]:
        """The sandbox connection: the API key as the password."""
        return {**super().connection(base_url, ca_bundle), "password": self.api_key}

    def reset(self) -> None:
        """An empty account again."""
        with self.lock:
            self.store = Store(self.clock)

    def records(self, kind: str) -> list[dict[str, Any]]:
        """Every record of `kind` (contacts, companies, tickets), by id."""
        with self.lock:
            return [dict(self.store.tables[kind][i]) for i in sorted(self.store.tables[kind])]

    def create(self, kind: str, values: dict[str, Any]) -> int:
        """Create a record as an agent in Freshdesk would (validated); returns its id."""
        with self.lock:
            return self.store.insert(kind, values)

    def add_field(self, kind: str, name: str, label: str, type_: str, choices: Any = None) -> dict[str, Any]:
        """Define a custom field of contacts, companies or tickets as an admin would (types as Freshdesk
        names them: custom_text, custom_paragraph, custom_checkbox, custom_number, custom_decimal,
        custom_date, custom_dropdown, ...); returns its definition. Every record then carries it."""
        with self.lock:
            return self.store.add_field(kind, name, label, type_, choices)

    def edit(self, kind: str, record_id: int, values: dict[str, Any]) -> None:
        """Change a record as an agent would: validated, and its `updated_at` moves."""
        with self.lock:
            self.store.update(kind, int(record_id), values)

    def seed_sandbox(self, scale: dict[str, int], seed: int) -> None:
        """Companies from the shared companies, contacts from the shared people (valid ones only),
        and tickets raised by every fifth contact.

        `scale` keys: companies (or accounts), contacts, tickets (a fifth of the contacts unless given).
        The sandbox account advertises SANDBOX_LIMIT requests a minute."""
        self.account_limit = SANDBOX_LIMIT
        with self.lock:
            companies = generate_companies(scale.get("companies", scale.get("accounts", 50)), seed)
            company_ids: dict[int, int] = {}
            for company in companies:
                values = {
                    "name": company.name,
                    "domains": [company.domain],
                    "description": company.description,
                }
                company_ids[company.index] = self._seed_one("companies", values)
            people = generate_people(scale.get("contacts", 200), companies, seed)
            contact_ids = []
            for person in people:
                company_id = company_ids.get(person.company) if person.company is not None else None
                contact = {
                    "name": f"{person.first_name} {person.last_name}",
                    "email": person.email,
                    "phone": international_phone(person.phone, person.country),
                    "company_id": company_id or None,
                }
                contact_ids.append(self._seed_one("contacts", contact))
            valid = [c for c in contact_ids if c]
            rng = random.Random(seed)
            for contact_id in valid[::5][: scale.get("tickets", len(valid) // 5)]:
                subject, description, kind = rng.choice(TICKET_TOPICS)
                ticket = {
                    "requester_id": contact_id,
                    "subject": subject,
                    "description": f"<div>{description}</div>",
                    "status": rng.choice((2, 2, 3, 4, 5)),
                    "priority": rng.choice((1, 2, 2, 3, 4)),
                    "type": FRESHDESK_TYPES[kind],
                    "company_id": self.store.tables["contacts"][contact_id]["company_id"],
                }
                self._seed_one("tickets", ticket)

    def _seed_one(self, kind: str, values: dict[str, Any]) -> int:
        try:
            return self.store.insert(kind, values)
        except Invalid:
            return 0  # Freshdesk validates every record: a broken one never gets in

    # ---- HTTP plumbing ----

    def handle(self, request: Request) -> Response:
        """Answer as the base app does, with Freshdesk's rate-limit headers on every answer."""
        response = super().handle(request)
        if not request.path.startswith("/__emulator__/"):
            with self.lock:
                used = self._window.count(self.clock())
            response.headers.setdefault("X-RateLimit-Total", str(self.account_limit))
            response.headers.setdefault("X-RateLimit-Remaining", str(max(0, self.account_limit - used)))
            response.headers.setdefault("X-RateLimit-Used-CurrentRequest", "1")
        return response

    def _authenticated(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def guarded(request: Request) -> Response:
            if not self._authorized(request.headers.get("Authorization") or ""):
                return Response.json(  # as documented: tests/fixtures/real/freshdesk/invalid_credentials.json
                    {
                        "code": "invalid_credentials",
                        "message": "You have to be logged in to perform this action.",
                    },
                    401,
                )
            host = request.headers.get("Host") or "omnihub.freshdesk.com"
            self.base = f"{'https' if self.needs_tls else 'http'}://{host}"
            return handler(request)

        return guarded

    def _authorized(self, header: str) -> bool:
        credentials = basic_credentials(header)
        if credentials is None:
            return False
        user, _password = credentials
        return user == self.api_key  # Freshdesk ignores the password ("X" by convention)

    # ---- handlers ----

    def _me(self, request: Request) -> Response:
        contact = {"name": "Omnihub Agent", "email": "agent@omnihub.example", "active": True}
        return Response.json(
            {"id": 42000000001, "available": True, "type": "support_agent", "contact": contact}
        )

    def _fields(self, request: Request) -> Response:
        """`GET /api/v2/{contact,company,ticket}_fields`: every field definition, one bare array."""
        return Response.json(self.store.fields.fields[FIELD_KINDS[request.params["resource"]]])

    def _list(self, request: Request) -> Response:
        kind = request.params["kind"]
        try:
            per_page = _positive(request.arg("per_page"), DEFAULT_PER_PAGE, "per_page", self.max_per_page)
            page = _positive(request.arg("page"), 1, "page", None)
            since_text = request.arg("updated_since") or request.arg("_updated_since")
            since = _since(since_text)
        except Invalid as exc:
            return validation_failed(exc.errors)
        if page > self.page_limit:
            message = f"You cannot access {kind} beyond the {_ordinal(self.page_limit)} page. "
            message += "Please provide a smaller page number."
            return validation_failed([item("page", message, "invalid_value")])
        rows = self.store.ordered(kind)
        if since is not None:
            rows = [r for r in rows if parse_time(r["updated_at"]) >= since]
        elif kind == "tickets":  # without updated_since: tickets created in the last 30 days
            recent = self.clock() - timedelta(days=30)
            rows = [r for r in rows if parse_time(r["created_at"]) >= recent]
        for name in ("email", "unique_external_id", "company_id", "phone", "mobile"):
            wanted = request.arg(name) if kind == "contacts" else None
            if wanted is not None:
                rows = [r for r in rows if str(r.get(name) or "").lower() == wanted.lower()]
        if request.arg("order_type") == "desc":
            rows.reverse()
        start = (page - 1) * per_page
        headers = {}
        if len(rows) > start + per_page:
            query = {k: v[0] for k, v in request.query.items()} | {"per_page": per_page, "page": page + 1}
            headers["Link"] = f'<{self.base}/api/v2/{kind}?{urlencode(query)}>; rel="next"'
        shown = [self._shown(kind, r, request) for r in rows[start : start + per_page]]
        return Response.json(shown, headers=headers)

    def _search(self, request: Request) -> Response:
        """`?query="field:'value'"`: exact match on a field or a custom field (one term only)."""
        kind = request.params["kind"]
        match = QUERY.match(request.arg("query") or "")
        if match is None:
            return validation_failed([item("query", "It should be a valid query", "invalid_value")])
        found = self.store.find_by(kind, match["field"], match["value"])
        return Response.json({"results": [dict(r) for r in found], "total": len(found)})

    def _show(self, request: Request) -> Response:
        kind = request.params["kind"]
        record = self.store.get(kind, int(request.params["id"]))
        return Response.json(self._shown(kind, record, request)) if record else not_found()

    def _shown(self, kind: str, record: dict[str, Any], request: Request) -> dict[str, Any]:
        """A record as an answer shows it; `include=requester` embeds a ticket's requester."""
        shown = dict(record)
        included = {i for value in request.query.get("include", []) for i in value.split(",")}
        if kind == "tickets" and "requester" in included:
            person = self.store.get("contacts", int(record.get("requester_id") or 0)) or {}
            fields = ("id", "name", "email", "mobile", "phone")
            shown["requester"] = {f: person.get(f) for f in fields} if person else None
        return shown

    def _body(self, request: Request) -> dict[str, Any] | Response:
        try:
            body = request.json()
        except ValueError:
            return validation_failed([item("body", "Request body has invalid json format", "invalid_json")])
        if not isinstance(body, dict):
            return validation_failed([item("body", "Request body has invalid json format", "invalid_json")])
        return body

    def _create(self, request: Request) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        kind = request.params["kind"]
        unexpected = unexpected_fields(kind, body)
        if unexpected:
            return validation_failed(unexpected)
        try:
            record_id = self.store.insert(kind, body)
        except Invalid as exc:
            return validation_failed(exc.errors, exc.status)
        record = self.store.tables[kind][record_id]
        return Response.json(record, 201, {"Location": f"{self.base}/api/v2/{kind}/{record_id}"})

    def _update(self, request: Request) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        kind, record_id = request.params["kind"], int(request.params["id"])
        if self.store.get(kind, record_id) is None:
            return not_found()
        unexpected = unexpected_fields(kind, body)
        if unexpected:
            return validation_failed(unexpected)
        try:
            return Response.json(self.store.update(kind, record_id, body))
        except Invalid as exc:
            return validation_failed(exc.errors, exc.status)

    # ---- what Freshdesk answers when throttling, down, or asked for an unknown path ----

    def rate_limit_response(self) -> Response:
        body = {
            "code": "rate_limit_exceeded",
            "message": "You have exceeded the limit of requests per minute",
        }
        return Response.json(body, 429, {"Retry-After": self.retry_after})

    def unavailable_response(self) -> Response:
        return Response.text("Service Unavailable", 503, **{"Retry-After": self.retry_after})

    def not_found(self, request: Request) -> Response:
        return Response.json({"code": "invalid_url", "message": "Invalid URL"}, 404)


def _positive(text: str | None, default: int, field: str, most: int | None) -> int:
    if text is None:
        return default
    limit = f" less than or equal to {most}" if most else ""
    problem = item(field, f"It should be a Positive Integer{limit}", "invalid_value")
    try:
        value = int(text)
    except ValueError:
        raise Invalid([problem]) from None
    if value < 1 or (most is not None and value > most):
        raise Invalid([problem])
    return value


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_time(text)
    except ValueError:
        message = "It should be in the 'combined date and time ISO8601' format"
        raise Invalid([item("updated_since", message, "invalid_value")]) from None


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


# Freshdesk's default ticket types, for the shared topics' kinds.
FRESHDESK_TYPES = {"question": "Question", "incident": "Incident", "problem": "Problem", "task": "Question"}
