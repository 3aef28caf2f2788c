"""An emulator of HubSpot's CRM v3 objects API (contacts, companies, deals, tickets).

    GET  /crm/v3/objects/{type}                  list: limit ≤ 100, `after` cursor (no `paging` at the end)
    GET  /crm/v3/objects/{type}/{id}             one record (`idProperty` for a unique property)
    POST /crm/v3/objects/{type}/search           filterGroups, sorts, limit ≤ 200, 10,000 results per query
    POST /crm/v3/objects/{type}                  create one (201); PATCH/DELETE /crm/v3/objects/{type}/{id}
                                                 update one (`idProperty` too) or archive it (204)
    POST /crm/v3/objects/{type}/batch/{op}       read, create, update, upsert, archive: ≤ 100 inputs;
                                                 207 Multi-Status with `errors` when some inputs failed;
                                                 a contact whose e-mail another contact has fails the
                                                 whole batch (409 CONFLICT "Contact already exists.
                                                 Existing ID: …"), and nothing of it is written
    GET  /crm/v3/properties/{type}               the portal's property definitions, `{"results": [...]}`
                                                 with no paging (`?archived=true`: none are archived);
                                                 `/{name}` one of them (see `properties`)
    /crm/v4/objects/…/associations, /crm/v4/associations/…/batch/…   associations (see `associations`);
                                                 `?associations=companies` on reads gives v3's block

Bearer tokens (private-app style, or an OAuth access token that expires at `token_expires_at`:
then 401 EXPIRED_AUTHENTICATION "The OAuth token used to make this call expired … ago.")
authenticate; errors have HubSpot's body (`status`, `message`, `correlationId`, `category`);
refused property values answer as HubSpot documents them ("Property values were not valid: [...]",
its JSON list in the message; a 400 adds `errors[]`); throttling is a 429 with no Retry-After:
its documented body (`errorType` RATE_LIMIT, `policyName` DAILY or TEN_SECONDLY_ROLLING,
`requestId`), or on a search the body a real account answered ("You have reached your secondly
limit.", category RATE_LIMITS). With `burst_limit` it enforces the burst limit as HubSpot does (that many
requests in any rolling `burst_interval_ms`), its `X-HubSpot-RateLimit-Max`, `-Remaining` and
`-Interval-Milliseconds` on every answer and the TEN_SECONDLY_ROLLING 429 once the window is full
(counted in `stats["throttled"]`); batch answers carry `startedAt` and `completedAt` and no
`requestedAt`, as recorded, and a 207 puts `numErrors` and `errors` after the results, each error
naming its input by the `objectWriteTraceId` it carried (else by id or index), as documented.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from connectors.emulators.hubspot.associations import AssociationRoutes, Associations, linked_kind
from connectors.emulators.hubspot.properties import CATALOG
from connectors.emulators.hubspot.search import SearchError, search
from connectors.emulators.hubspot.store import (
    OBJECT_TYPES,
    UNIQUE,
    HubSpotObject,
    ObjectStore,
    PropertyError,
    modified_property,
)
from connectors.emulators.seed import Company, generate_companies, generate_people, international_phone
from connectors.emulators.server import EmulatorApp, Request, Response

BATCH_LIMIT = 100
LIST_LIMIT = 100
SEARCH_LIMIT = 200
SEARCH_CEILING = 10_000
TYPES = "|".join(OBJECT_TYPES)
# HubSpot's object type ids, which the properties API takes as well as the names.
TYPE_IDS = {"0-1": "contacts", "0-2": "companies", "0-3": "deals", "0-5": "tickets"}
PORTAL_ID = 891936587  # the portal id of HubSpot's documented multi-status example


def error(status: int, category: str, message: str, **extra: Any) -> Response:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}
    return Response.json({**body, **extra}, status)


def rate_limited(message: str, policy: str, headers: dict[str, str]) -> Response:
    """HubSpot's 429 naming the spent policy (`DAILY`, `TEN_SECONDLY_ROLLING`); no Retry-After."""
    body = {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "requestId": str(uuid.uuid4()),
    }
    return Response.json(body, 429, headers)


def invalid_values(exc: PropertyError) -> str:
    """HubSpot's message for refused property values: its JSON list, compact, after the words."""
    problem = {
        "isValid": False,
        "message": str(exc),
        "error": exc.error,
        "name": exc.name,
        "localizedErrorMessage": str(exc),
        "portalId": PORTAL_ID,
    }
    return "Property values were not valid: " + json.dumps([problem], separators=(",", ":"))


def search_cursor(offset: int) -> str:
    """The `after` of a search page as HubSpot writes it: opaque, URL-quoted base64 (its own example
    answers `"NTI1Cg%3D%3D"`, that is base64 of "525" and a new line); never a number a client could
    do arithmetic on."""
    return quote(base64.b64encode(f"{offset}\n".encode()).decode(), safe="")


def search_offset(after: Any) -> int | None:
    """The offset a search cursor this emulator issued stands for (0 without one); None when it did
    not issue it, which HubSpot refuses."""
    if after in (None, "", "0", 0):
        return 0
    try:
        text = base64.b64decode(unquote(str(after)), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return int(text) if text.endswith("\n") and text[:-1].isdigit() else None


TWIN_SHARE = 0.5
"""How many of the sandbox's HubSpot companies are companies the CRM sandbox holds too."""


def company_properties(company: Company) -> dict[str, Any]:
    """A company as HubSpot's properties hold it."""
    return {
        "name": company.name,
        "domain": company.domain,
        "website": company.website,
        "phone": company.phone,
        "industry": company.industry,
        "address": company.street,
        "city": company.city,
        "state": company.region,
        "zip": company.postal_code,
        "country": company.country,
        "numberofemployees": company.employees,
    }


def twin_company(rng: random.Random, company: Company) -> dict[str, Any]:
    """The CRM's company as someone else typed it into HubSpot: the name in capitals or without its
    legal form, the website written another way (or, one time in twenty, left out, when the name as
    the CRM has it and the phone still tell), the phone in international form, fields left empty."""
    properties = company_properties(company)
    core = company.name.rpartition(" ")[0]
    if rng.random() < 0.05:
        properties["website"] = properties["domain"] = None
        properties["phone"] = international_phone(company.phone, company.country)
    else:
        properties["name"] = rng.choice((company.name, company.name.upper(), core or company.name))
        properties["website"] = rng.choice(("https://www.{d}/", "http://{d}", "{d}", "www.{d}")).format(
            d=company.domain
        )
        properties["phone"] = rng.choice(
            (company.phone, international_phone(company.phone, company.country), None)
        )
    for name in ("industry", "numberofemployees", "address"):
        if rng.random() < 0.3:
            properties[name] = None
    return properties


class HubSpotEmulator(EmulatorApp):
    """HubSpot CRM v3 in memory; `records(type)`, `create`, `edit` let tests act like a user in the UI."""

    system = "hubspot"

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        token: str = "pat-na1-omnihub-sandbox",
        daily_limit: int | None = None,
        burst_limit: int | None = None,
        burst_interval_ms: int = 10_000,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.token = token
        self.token_expires_at: datetime | None = None  # an OAuth access token's end (None: never)
        self.daily_limit, self.daily_used = daily_limit, 0
        self.burst_limit, self.burst_interval_ms = burst_limit, burst_interval_ms
        self._burst: deque[float] = deque()  # when the requests of the rolling window came (monotonic)
        self._serving = threading.local()  # the request being answered, for its throttling body
        self.stores = {t: ObjectStore(t, self.clock) for t in OBJECT_TYPES}
        self.twins: dict[str, int] = {}  # HubSpot company id -> the CRM sandbox's company index
        base = rf"/crm/v3/objects/(?P<type>{TYPES})"
        self.route("GET", base, self._list)
        self.route("POST", base + r"/search", self._search)
        self.route("POST", base + r"/batch/(?P<op>read|create|update|upsert|archive)", self._batch)
        self.route("GET", base + r"/(?P<id>[^/]+)", self._get)
        self.route("POST", base, self._create_one)
        self.route("PATCH", base + r"/(?P<id>[^/]+)", self._update_one)
        self.route("DELETE", base + r"/(?P<id>[^/]+)", self._archive_one)
        defined = rf"/crm/v3/properties/(?P<type>{TYPES}|{'|'.join(TYPE_IDS)})"
        self.route("GET", defined, self._guarded(self._property_list))
        self.route("GET", defined + r"/(?P<name>[^/]+)", self._guarded(self._property))
        self.associations = Associations()
        linking = AssociationRoutes(self.associations, self._exists, error)
        for method, pattern, handler in linking.routes(TYPES):
            self.route(method, pattern, self._guarded(handler))

    # Test helpers ---------------------------------------------------------------------------------
    def records(self, object_type: str) -> list[dict[str, Any]]:
        """Every live record of a type: id and properties, oldest first."""
        return [
            {"id": r.id, **r.properties} for r in self.stores[object_type].records.values() if not r.archived
        ]

    def create(self, object_type: str, properties: dict[str, Any]) -> str:
        with self.lock:
            return self.stores[object_type].create(properties).id

    def edit(self, object_type: str, record_id: str, properties: dict[str, Any]) -> None:
        with self.lock:
            store = self.stores[object_type]
            store.update(store.records[record_id], properties)

    def connection(self, base_url: str, ca_bundle: str | None = None) -> dict[str, Any]:
        spec = super().connection(base_url, ca_bundle)
        return {**spec, "password": self.token}

    def enforced_rate(self) -> str | None:
        """The burst limit, when this emulator enforces one (`burst_limit` per `burst_interval_ms`)."""
        if self.burst_limit is None:
            return None
        return f"{self.burst_limit}/{self.burst_interval_ms / 1000:g}"

    def seed_sandbox(self, scale: dict[str, int], seed: int) -> None:
        """Companies as a second CRM holds them: half are the CRM sandbox's companies (same seed, same
        list) written differently, as the same customer is in two tools (`twin_company`), the rest
        companies of its own. `twins` keeps which HubSpot company is which CRM company (its index in
        `generate_companies`): the truth identity resolution is checked against."""
        crm = generate_companies(scale.get("accounts", 0), seed=seed)
        others = generate_companies(scale.get("accounts", 0), seed=seed + 1000)
        rng = random.Random(seed * 7_001 + 29)
        companies = []
        start = self.clock() - timedelta(days=365)
        taken = {company.domain for company in crm}
        for number, (theirs, own) in enumerate(zip(crm, others, strict=True)):
            if own.domain in taken:  # another company than any of the CRM's: its own web domain too
                stem, _, tld = own.domain.partition(".")
                own = replace(
                    own,
                    domain=f"{stem}-hq.{tld}",
                    website=own.website.replace(own.domain, f"{stem}-hq.{tld}"),
                )
            twin = rng.random() < TWIN_SHARE and theirs.invalid_reason is None
            properties = twin_company(rng, theirs) if twin else company_properties(own)
            companies.append(theirs if twin else own)
            record_id = self._seeded("companies", properties, start + timedelta(minutes=number))
            if twin and record_id is not None:
                self.twins[record_id] = theirs.index
        for number, person in enumerate(generate_people(scale.get("contacts", 0), companies, seed=seed)):
            properties = {"firstname": person.first_name, "lastname": person.last_name, "email": person.email}
            self._seeded("contacts", properties, start + timedelta(minutes=number))

    def _seeded(self, object_type: str, properties: dict[str, Any], when: datetime) -> str | None:
        store = self.stores[object_type]
        try:
            record = store.create({k: v for k, v in properties.items() if v})
        except PropertyError:
            return None
        record.created = record.updated = when
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        record.properties |= {"createdate": stamp, modified_property(object_type): stamp}
        return str(record.id)

    def handle(self, request: Request) -> Response:
        """Every answer, counted against the burst and daily limits when they are set: HubSpot's headers
        on each answer, and its TEN_SECONDLY_ROLLING or DAILY 429 once the window's or the day's
        requests are spent."""
        self._serving.path = request.path
        if self.burst_limit is not None and not request.path.startswith("/__emulator__/"):
            return self._within_burst(request)
        return self._within_day(request)

    def _within_burst(self, request: Request) -> Response:
        """The burst limit: a 429 once `burst_limit` requests came in the last `burst_interval_ms`,
        else the answer with the burst headers."""
        assert self.burst_limit is not None
        now, interval = time.monotonic(), self.burst_interval_ms / 1000
        with self.lock:
            while self._burst and self._burst[0] <= now - interval:
                self._burst.popleft()
            full = len(self._burst) >= self.burst_limit
            if full:
                self.stats["throttled"] += 1
            else:
                self._burst.append(now)
            remaining = self.burst_limit - len(self._burst)
        headers = {
            "X-HubSpot-RateLimit-Max": str(self.burst_limit),
            "X-HubSpot-RateLimit-Remaining": str(remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.burst_interval_ms),
        }
        if full:
            message = "You have reached your ten_secondly_rolling limit."
            return rate_limited(message, "TEN_SECONDLY_ROLLING", headers)
        response = self._within_day(request)
        response.headers.update({k: v for k, v in headers.items() if k not in response.headers})
        return response

    def _within_day(self, request: Request) -> Response:
        if self.daily_limit is None or request.path.startswith("/__emulator__/"):
            return super().handle(request)
        with self.lock:
            if self.daily_used >= self.daily_limit:
                return self.daily_limit_response()
            self.daily_used += 1
            remaining = self.daily_limit - self.daily_used
        response = super().handle(request)
        response.headers["X-HubSpot-RateLimit-Daily"] = str(self.daily_limit)
        response.headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(remaining)
        return response

    def daily_limit_response(self) -> Response:
        headers = {
            "X-HubSpot-RateLimit-Daily": str(self.daily_limit),
            "X-HubSpot-RateLimit-Daily-Remaining": "0",
        }
        return rate_limited("You have reached your daily limit.", "DAILY", headers)

    # Answers HubSpot gives --------------------------------------------------------------------------
    def rate_limit_response(self) -> Response:
        if str(getattr(self._serving, "path", "")).endswith("/search"):  # as a real account answered
            return error(429, "RATE_LIMITS", "You have reached your secondly limit.")
        headers = {"X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Remaining": "0"}
        return rate_limited(
            "You have reached your ten_secondly_rolling limit.", "TEN_SECONDLY_ROLLING", headers
        )

    def unavailable_response(self) -> Response:
        return error(503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable")

    def not_found(self, request: Request) -> Response:
        return error(404, "OBJECT_NOT_FOUND", f"Resource not found: {request.path}")

    def _authorized(self, request: Request) -> bool:
        if request.headers.get("Authorization", "") != f"Bearer {self.token}":
            return False
        return self.token_expires_at is None or self.clock() < self.token_expires_at

    def _refused(self, request: Request) -> Response:
        if (
            self.token_expires_at is not None
            and request.headers.get("Authorization") == f"Bearer {self.token}"
        ):
            ago = int((self.clock() - self.token_expires_at).total_seconds())
            unit, size = next(
                (u, s)
                for u, s in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
                if ago >= s or s == 1
            )
            expired = self.token_expires_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            return error(
                401,
                "EXPIRED_AUTHENTICATION",
                f"The OAuth token used to make this call expired {ago // size} {unit}(s) ago.",
                context={"expire time": [expired]},
            )
        return error(
            401,
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
            "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        )

    def _guarded(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def guarded(request: Request) -> Response:
            return handler(request) if self._authorized(request) else self._refused(request)

        return guarded

    def _exists(self, object_type: str, record_id: str) -> bool:
        found = self.stores[object_type].records.get(record_id)
        return found is not None and not found.archived

    def _view(self, record: HubSpotObject, object_type: str, request: Request) -> dict[str, Any]:
        """A record as a read shows it, with v3's `associations` block when `?associations=` asks."""
        view = record.view(object_type, self._properties(request))
        wanted = [t for value in request.query.get("associations", []) for t in value.split(",") if t]
        blocks = {}
        for to_kind in wanted:
            linked = self.associations.of(object_type, record.id, to_kind)
            if linked:
                kind = f"{object_type[:-1]}_to_{to_kind[:-1]}"
                rows = [{"id": str(r["toObjectId"]), "type": kind} for r in linked]
                blocks[to_kind] = {"results": rows}
        return view | ({"associations": blocks} if blocks else {})

    def _conflict(
        self, object_type: str, values: dict[str, Any], current: HubSpotObject | None
    ) -> str | None:
        """HubSpot's 409 message when a unique value (a contact's e-mail) belongs to another record."""
        store = self.stores[object_type]
        for name in UNIQUE[object_type]:
            value = values.get(name)
            holder = store.find_unique(name, str(value)) if value else None
            if holder is not None and holder is not current:
                return f"{object_type[:-1].title()} already exists. Existing ID: {holder.id}"
        return None

    # Routes -----------------------------------------------------------------------------------------
    def _properties(self, request: Request, body: dict[str, Any] | None = None) -> list[str] | None:
        if body is not None and body.get("properties"):
            return [str(p) for p in body["properties"]]
        # `?properties=a&properties=b` (hubspot-api-client's way) and `?properties=a,b` alike
        listed = [p for value in request.query.get("properties", []) for p in value.split(",") if p]
        return listed or None

    def _list(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._refused(request)
        object_type = request.params["type"]
        limit = int(request.arg("limit", "10") or 10)
        if limit > LIST_LIMIT:
            return error(400, "VALIDATION_ERROR", f"limit must be less than or equal to {LIST_LIMIT}")
        archived = request.arg("archived", "false") == "true"
        rows = [r for r in self.stores[object_type].records.values() if r.archived == archived]
        start = int(request.arg("after", "0") or 0)
        page = rows[start : start + limit]
        body: dict[str, Any] = {"results": [self._view(r, object_type, request) for r in page]}
        if start + limit < len(rows):
            after = str(start + limit)
            link = f"{request.path}?after={after}&limit={limit}"
            body["paging"] = {"next": {"after": after, "link": link}}
        return Response.json(body)

    def _get(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._refused(request)
        object_type, key = request.params["type"], unquote(request.params["id"])  # alice%40example.com
        found = self._lookup(object_type, key, request.arg("idProperty"))
        if found is None:
            return error(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
        return Response.json(self._view(found, object_type, request))

    def _body(self, request: Request) -> dict[str, Any] | Response:
        if not self._authorized(request):
            return self._refused(request)
        try:
            body = request.json() or {}
        except ValueError:
            return error(400, "VALIDATION_ERROR", "Invalid input JSON on line 1")
        return body if isinstance(body, dict) else error(400, "VALIDATION_ERROR", "Invalid input JSON")

    def _create_one(self, request: Request) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        object_type, properties = request.params["type"], body.get("properties") or {}
        conflict = self._conflict(object_type, properties, None)
        if conflict is not None:
            return error(409, "CONFLICT", conflict)
        try:
            record = self.stores[object_type].create(properties)
        except PropertyError as exc:
            return self._property_refused(exc)
        for link in body.get("associations") or []:  # [{"to": {"id"}, "types": [{category, typeId}]}]
            to_id = str((link.get("to") or {}).get("id"))
            for spec in link.get("types") or []:
                category, type_id = str(spec.get("associationCategory")), spec.get("associationTypeId")
                kind = linked_kind(object_type, type_id)
                if kind is not None and self._exists(kind, to_id):
                    self.associations.add(object_type, record.id, kind, to_id, {(category, int(type_id))})
        return Response.json(record.view(object_type, list(record.properties)), 201)

    def _update_one(self, request: Request) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        object_type, key = request.params["type"], unquote(request.params["id"])
        found = self._lookup(object_type, key, request.arg("idProperty"))
        if found is None:
            return error(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
        properties = body.get("properties") or {}
        conflict = self._conflict(object_type, properties, found)
        if conflict is not None:
            return error(409, "CONFLICT", conflict)
        try:
            record = self.stores[object_type].update(found, properties)
        except PropertyError as exc:
            return self._property_refused(exc)
        return Response.json(record.view(object_type, list(record.properties)))

    def _archive_one(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._refused(request)
        found = self.stores[request.params["type"]].records.get(unquote(request.params["id"]))
        if found is not None and not found.archived:
            found.archived, found.archived_at = True, self.clock()
        return Response.empty(204)  # HubSpot answers 204 for an id it does not have, too

    def _property_refused(self, exc: PropertyError) -> Response:
        """HubSpot's documented 400 ("Using Object APIs"): the list in the message, then `errors[]`."""
        detail = {"message": str(exc), "code": exc.error, "context": {"propertyName": [exc.name]}}
        body = {
            "status": "error",
            "message": invalid_values(exc),
            "correlationId": str(uuid.uuid4()),
            "errors": [detail],
            "category": "VALIDATION_ERROR",
        }
        return Response.json(body, 400)

    def _property_list(self, request: Request) -> Response:
        """Every property of the type (none is archived, so `?archived=true` lists nothing)."""
        object_type = TYPE_IDS.get(request.params["type"], request.params["type"])
        archived = (request.arg("archived") or "").lower() == "true"  # the client sends `True`
        listed = [] if archived else [p.describe() for p in CATALOG[object_type]]
        return Response.json({"results": listed})

    def _property(self, request: Request) -> Response:
        object_type = TYPE_IDS.get(request.params["type"], request.params["type"])
        name = unquote(request.params["name"])
        found = next((p for p in CATALOG[object_type] if p.name == name), None)
        if found is None:
            return error(404, "OBJECT_NOT_FOUND", f"Property {name} does not exist")
        return Response.json(found.describe())

    def _lookup(self, object_type: str, key: str, id_property: str | None) -> HubSpotObject | None:
        store = self.stores[object_type]
        if id_property and id_property != "hs_object_id":
            return store.find_unique(id_property, key)
        found = store.records.get(key)
        return found if found is not None and not found.archived else None

    def _search(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._refused(request)
        object_type = request.params["type"]
        try:
            body = request.json() or {}
        except ValueError:
            return error(400, "VALIDATION_ERROR", "Invalid input JSON on line 1")
        limit, after = int(body.get("limit", 10)), search_offset(body.get("after"))
        if after is None:
            return error(400, "VALIDATION_ERROR", f"Invalid after value: {body.get('after')!r}")
        if limit > SEARCH_LIMIT:
            return error(400, "VALIDATION_ERROR", f"limit must be less than or equal to {SEARCH_LIMIT}")
        if after + limit > SEARCH_CEILING:
            return error(
                400,
                "VALIDATION_ERROR",
                f"Cannot page beyond {SEARCH_CEILING} results. Use a narrower filter instead.",
            )
        try:
            found = search(list(self.stores[object_type].records.values()), body)
        except SearchError as exc:
            return error(400, "VALIDATION_ERROR", str(exc))
        page = found[after : after + limit]
        answer: dict[str, Any] = {
            "total": len(found),
            "results": [r.view(object_type, self._properties(request, body)) for r in page],
        }
        if after + limit < len(found):
            answer["paging"] = {"next": {"after": search_cursor(after + limit), "link": ""}}
        return Response.json(answer)

    def _batch(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._refused(request)
        object_type, op = request.params["type"], request.params["op"]
        try:
            body = request.json() or {}
        except ValueError:
            return error(400, "VALIDATION_ERROR", "Invalid input JSON on line 1")
        inputs = body.get("inputs")
        if not isinstance(inputs, list):
            return error(400, "VALIDATION_ERROR", "Invalid input JSON: inputs is required")
        if len(inputs) > BATCH_LIMIT:
            return error(
                400,
                "VALIDATION_ERROR",
                f"Batch input limit exceeded: {len(inputs)} inputs were provided, the limit is {BATCH_LIMIT}",
                context={"limit": [str(BATCH_LIMIT)]},
            )
        conflict = self._batch_conflict(object_type, op, inputs)
        if conflict is not None:
            return error(409, "CONFLICT", conflict)  # the whole batch, as HubSpot refuses it
        started = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        handler = getattr(self, f"_batch_{op}")
        results, errors = handler(object_type, inputs, body)
        if op == "archive":
            return Response.empty(204)
        # HubSpot's keys and their order: recorded 200/201s, and its documented 207 (numErrors, errors
        # after the results; no requestedAt in either)
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if errors:
            answer |= {"numErrors": len(errors), "errors": errors}
        answer |= {"startedAt": started, "completedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
        return Response.json(answer, 207 if errors else (201 if op == "create" else 200))

    def _batch_conflict(self, object_type: str, op: str, inputs: list[Any]) -> str | None:
        """The first unique value (a contact's e-mail) a create, upsert or update of the batch would take
        from another record: HubSpot then refuses the batch whole."""
        if op not in ("create", "upsert", "update"):
            return None
        store = self.stores[object_type]
        for item in inputs:
            if not isinstance(item, dict):
                continue
            values = dict(item.get("properties") or {})
            current = None
            if op == "upsert":
                key, id_property = str(item.get("id", "")), item.get("idProperty")
                values[str(id_property)] = key
                current = (
                    store.find_unique(str(id_property), key) if id_property in UNIQUE[object_type] else None
                )
            elif op == "update":
                current = self._lookup(object_type, str(item.get("id", "")), item.get("idProperty"))
            conflict = self._conflict(object_type, values, current)
            if conflict is not None:
                return conflict
        return None

    def _record_error(self, exc: PropertyError, context: dict[str, list[str]]) -> dict[str, Any]:
        """One refused input of a batch, as HubSpot's documented 207 words it: the property list in
        the message, no `errors[]` of its own."""
        if exc.error == "CONFLICT":
            return _item_error("CONFLICT", str(exc), context)
        return _item_error("VALIDATION_ERROR", invalid_values(exc), context)

    def _batch_read(
        self, object_type: str, inputs: list[Any], body: dict[str, Any]
    ) -> tuple[list[Any], list[Any]]:
        wanted, missing, results = body.get("properties") or None, [], []
        for item in inputs:
            key = str(item.get("id", ""))
            found = self._lookup(object_type, key, body.get("idProperty"))
            if found is None:
                missing.append(key)
            else:
                results.append(found.view(object_type, wanted))
        errors = []
        if missing:
            message = f"Could not get some {object_type} objects, they may be deleted or not exist."
            errors.append(_item_error("OBJECT_NOT_FOUND", message, {"ids": missing}))
        return results, errors

    def _batch_create(
        self, object_type: str, inputs: list[Any], body: dict[str, Any]
    ) -> tuple[list[Any], list[Any]]:
        results, errors = [], []
        for number, item in enumerate(inputs):
            try:
                record = self.stores[object_type].create(item.get("properties") or {})
            except PropertyError as exc:
                errors.append(self._record_error(exc, _named(item, "index", str(number))))
                continue
            results.append(record.view(object_type, list(record.properties)))
        return results, errors

    def _batch_update(
        self, object_type: str, inputs: list[Any], body: dict[str, Any]
    ) -> tuple[list[Any], list[Any]]:
        results, errors = [], []
        for item in inputs:
            key = str(item.get("id", ""))
            found = self._lookup(object_type, key, item.get("idProperty"))
            if found is None:
                message = f"Object {key} not found"
                errors.append(_item_error("OBJECT_NOT_FOUND", message, _named(item, "ids", key)))
                continue
            try:
                record = self.stores[object_type].update(found, item.get("properties") or {})
            except PropertyError as exc:
                errors.append(self._record_error(exc, _named(item, "ids", key)))
                continue
            results.append(record.view(object_type, list(record.properties)))
        return results, errors

    def _batch_upsert(
        self, object_type: str, inputs: list[Any], body: dict[str, Any]
    ) -> tuple[list[Any], list[Any]]:
        results, errors = [], []
        store = self.stores[object_type]
        for item in inputs:
            key, id_property = str(item.get("id", "")), item.get("idProperty")
            if id_property not in UNIQUE[object_type]:
                message = f"{id_property} is not a unique property of {object_type}"
                errors.append(_item_error("VALIDATION_ERROR", message, _named(item, "ids", key)))
                continue
            properties = {**(item.get("properties") or {}), id_property: key}
            existing = store.find_unique(id_property, key)
            try:
                record = store.update(existing, properties) if existing else store.create(properties)
            except PropertyError as exc:
                errors.append(self._record_error(exc, _named(item, "ids", key)))
                continue
            results.append({**record.view(object_type, list(record.properties)), "new": existing is None})
        return results, errors

    def _batch_archive(
        self, object_type: str, inputs: list[Any], body: dict[str, Any]
    ) -> tuple[list[Any], list[Any]]:
        for item in inputs:
            found = self.stores[object_type].records.get(str(item.get("id", "")))
            if found is not None:
                found.archived, found.archived_at = True, self.clock()
        return [], []


def _item_error(category: str, message: str, context: dict[str, list[str]]) -> dict[str, Any]:
    """One entry of a batch answer's `errors` (207 Multi-Status); `context` names the records (ids or
    input indexes)."""
    return {"status": "error", "category": category, "message": message, "context": context}


def _named(item: Any, kind: str, key: str) -> dict[str, list[str]]:
    """How an error's `context` names its input: by the `objectWriteTraceId` the input carried (as
    HubSpot's documented multi-status answer does), else by id or input index."""
    trace = item.get("objectWriteTraceId") if isinstance(item, dict) else None
    return {"objectWriteTraceId": [str(trace)]} if trace else {kind: [key]}
