"""`NetSuiteEmulator`: SuiteTalk REST web services (OAuth 2.0, SuiteQL, the customer record) in memory.

    >>> from connectors.emulators.netsuite import NetSuiteEmulator
    >>> from connectors.emulators.server import EmulatorServer
    >>> netsuite = NetSuiteEmulator()
    >>> with EmulatorServer(netsuite) as server:   # POST {server.url}/services/rest/query/v1/suiteql
    ...     customer_id = netsuite.create("customer", {"companyname": "Acme", "email": "ap@acme.example"})

Served at the root of its port, as `https://{account}.suitetalk.api.netsuite.com` serves:
- `POST /services/rest/auth/oauth2/v1/token` (OAuth 2.0 client credentials, machine to machine:
  `grant_type=client_credentials`, `client_assertion_type=urn:ietf:params:oauth:client-assertion-
  type:jwt-bearer`, `client_assertion=<JWT signed with an uploaded certificate's key>`, checked as in
  `auth`) → `{"access_token", "token_type", "expires_in"}`; a refused assertion gets 401
  `{"error": "invalid_client"}` or 400 `invalid_request`/`invalid_grant`/`invalid_scope`, and the
  reason goes to `audit` (NetSuite's Login Audit Trail). Every other call needs `Authorization:
  Bearer` (an unknown or expired token answers 401 `INVALID_LOGIN`; tokens live `token_ttl` seconds
  of `clock`) or a token-based authentication signature (`Authorization: OAuth realm=...`, OAuth
  1.0a HMAC-SHA256 with `token_keys`; refused: 401 `INVALID_LOGIN`).
- `POST /services/rest/query/v1/suiteql?limit=&offset=` with `Prefer: transient` and `{"q": ...}` →
  `{"links", "count", "hasMore", "items": [{"links": [], ...}], "offset", "totalResults"}` (limit 1 to
  1000, default 1000; the offset a multiple of the limit, as "Collection Paging" requires); a query
  pages through at most `query_ceiling` rows (100,000): a page beyond is refused with 400
  `INVALID_PARAMETER` naming `offset`. The SuiteQL subset is in `suiteql`.
- `GET /services/rest/record/v1/customer?limit=&offset=&q=` (the record collection, filtered as in
  `filters`) → the same envelope, each item `{"links": [{"rel": "self", ...}], "id"}`.
- Page links as Oracle's published pages show them (tests/fixtures/real/netsuite): `previous` and
  `first` when the page is not the first, `next` and `last` while `hasMore`, then `self`; every href
  carries `limit` and `offset` (`offset=0` too), and only `self` carries the collection's `q`.
- `GET /services/rest/record/v1/metadata-catalog/customer` with `Accept: application/schema+json` → the
  record type's JSON Schema (`properties` by REST field name: `title`, `type`, `format`, `nullable`).
- `GET /services/rest/system/v1/governanceLimits` → the account's and this integration's
  concurrency limits (`integration_limit`, when one is allocated, is what this client's requests are
  held to).
- `GET/PATCH/DELETE /services/rest/record/v1/customer/{id | eid:externalId}`, `POST
  /services/rest/record/v1/customer` → 204 + `Location`, `PUT /services/rest/record/v1/customer/eid:{id}`
  (upsert by external id) → 204 + `Location`.
- Errors: `{"type", "title", "status", "o:errorDetails": [{"detail", "o:errorCode", ...}]}`, `type`
  the w3.org RFC 2616 page as in Oracle's published errors. More than `concurrency_limit` requests in
  flight at once (5, the base account limit) answer 429 as "Error Handling in REST Web Services"
  publishes it: title "Bad Request", a top-level `"o:errorCode": "USER_ERROR"`, and the detail
  "Concurrent request limit exceeded. Request blocked." (`CONCURRENCY_LIMIT_EXCEEDED`, no Retry-After).

Dates: SuiteQL renders values in the integration user's preferences (`time_zone`, the date format
`M/D/YYYY`); records show ISO-8601 UTC.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlencode
from zoneinfo import ZoneInfo

from connectors.emulators.netsuite.auth import (
    Certificate,
    Refusal,
    TokenKeys,
    check_assertion,
    check_signature,
    public_key_of,
    sandbox_private_key,
)
from connectors.emulators.netsuite.evaluate import Session, run
from connectors.emulators.netsuite.filters import matches
from connectors.emulators.netsuite.filters import parse as parse_filter
from connectors.emulators.netsuite.store import RECORD_TYPES, Clock, Refused, Store, columns, json_schema
from connectors.emulators.netsuite.suiteql import SuiteQLError, parse
from connectors.emulators.seed import generate_companies
from connectors.emulators.server import EmulatorApp, Request, Response

REST = "/services/rest"
TYPE = r"(?P<type>[a-z_]+)"
KEY = r"(?P<key>\d+|eid:[^/]+)"
MAX_LIMIT = 1000
QUERY_CEILING = 100_000
CONCURRENCY_LIMIT = 5
TOKEN_TTL = 3600
RFC2616 = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"
PROBLEMS = {  # as Oracle's published errors write them (429's title is "Bad Request" there)
    400: (f"{RFC2616}#sec10.4.1", "Bad Request"),
    401: (RFC2616, "Unauthorized"),
    404: (RFC2616, "Not Found"),
    405: (RFC2616, "Method Not Allowed"),
    406: (RFC2616, "Not Acceptable"),
    429: (RFC2616, "Bad Request"),
    500: (RFC2616, "Internal Server Error"),
    503: (RFC2616, "Service Unavailable"),
}
LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)
COUNTRY_SUBSIDIARY = {"GB": 2, "IE": 2, "DE": 3, "FR": 3, "NL": 3, "ES": 3, "IT": 3}
SUBSIDIARY_CURRENCY = {1: 1, 2: 2, 3: 3}
ERROR_TYPE = "application/vnd.oracle.resource+json; type=error; charset=UTF-8"


def problem(status: int, code: str, detail: str, *, top: str | None = None, **more: str) -> Response:
    """NetSuite's error body: `type`, `title`, `status` (and, for a 429, a top-level `o:errorCode`)
    plus `o:errorDetails`."""
    kind, title = PROBLEMS.get(status, PROBLEMS[400])
    details = {"detail": detail, "o:errorCode": code, **more}
    body: dict[str, Any] = {"type": kind, "title": title, "status": status}
    body |= {"o:errorCode": top} if top else {}
    body["o:errorDetails"] = [details]
    return Response.json(body, status, {"Content-Type": ERROR_TYPE})


def refused(error: Refused) -> Response:
    return problem(
        error.status, error.code, error.detail, **({"o:errorPath": error.path} if error.path else {})
    )


class NetSuiteEmulator(EmulatorApp):
    """NetSuite's REST web services for customers over an in-memory account."""

    system = "netsuite"

    def __init__(
        self,
        *,
        account_id: str = "1234567_SB1",
        client_id: str = "ns-sandbox-client-7f3a9c21",
        certificate_id: str = "ns-sandbox-cert-Q2v8Hk",
        token_keys: TokenKeys | None = None,
        clock: Clock | None = None,
        time_zone: str = "America/Los_Angeles",
        query_ceiling: int = QUERY_CEILING,
        concurrency_limit: int = CONCURRENCY_LIMIT,
        integration_limit: int | None = None,
        token_ttl: int = TOKEN_TTL,
        fault_rate: float = 0.0,
        fault_kinds: tuple[str, ...] = ("rate_limit",),
        latency_ms: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__(fault_rate=fault_rate, fault_kinds=fault_kinds, latency_ms=latency_ms, seed=seed)
        self.account_id, self.client_id, self.certificate_id = account_id, client_id, certificate_id
        self.private_key = sandbox_private_key()  # the sandbox certificate's key, which users are given
        self.certificates: dict[str, Certificate] = {}
        self.upload_certificate(certificate_id, client_id, self.private_key)
        self.token_keys = token_keys or TokenKeys(
            "ns-sandbox-consumer-5e1d0b",
            "ns-sandbox-consumer-secret-Vt4q",
            "ns-sandbox-token-8c2a",
            "ns-sandbox-token-secret-Jm7w",
        )
        self.assertion_clock: Callable[[], float] = time.time  # assertions and TBA stamps are real time
        self.audit: list[tuple[str, str]] = []  # the Login Audit Trail: (outcome, reason)
        self._nonces: set[tuple[str, str]] = set()
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.time_zone = time_zone
        self.query_ceiling = query_ceiling
        self.concurrency_limit = concurrency_limit
        self.integration_limit = integration_limit  # a share of the account's, allocated to this client
        self.token_ttl = token_ttl
        self.store = Store(self.clock)
        self.tokens: dict[str, datetime] = {}  # access token -> expiry
        self.in_flight = 0
        self.peak_in_flight = 0
        self._gate = threading.Lock()  # in-flight counting happens outside the app lock
        self.base = f"https://{account_id.lower().replace('_', '-')}.suitetalk.api.netsuite.com"
        self.route("POST", rf"{REST}/auth/oauth2/v1/token", self._token)
        routes: list[tuple[str, str, Callable[[Request], Response]]] = [
            ("POST", rf"{REST}/query/v1/suiteql", self._suiteql),
            ("GET", rf"{REST}/record/v1/{TYPE}", self._list),
            ("GET", rf"{REST}/system/v1/governanceLimits", self._governance_limits),
            ("GET", rf"{REST}/record/v1/metadata-catalog/{TYPE}", self._metadata),
            ("POST", rf"{REST}/record/v1/{TYPE}", self._create),
            ("GET", rf"{REST}/record/v1/{TYPE}/{KEY}", self._show),
            ("PATCH", rf"{REST}/record/v1/{TYPE}/{KEY}", self._update),
            ("DELETE", rf"{REST}/record/v1/{TYPE}/{KEY}", self._delete),
            ("PUT", rf"{REST}/record/v1/{TYPE}/{KEY}", self._upsert),
        ]
        for method, pattern, handler in routes:
            self.route(method, pattern, self._authenticated(handler))

    # ---- in-process helpers (tests, demo) ----

    def connection(
        self, base_url: str, ca_bundle: str | None = None, login_flow: str = "oauth2"
    ) -> dict[str, Any]:
        """The sandbox connection: OAuth 2.0 client credentials (the client id, the certificate's id and
        private key) or, with `login_flow="tba"`, token-based authentication; the account id and the
        user's time zone."""
        spec = super().connection(base_url, ca_bundle)
        extra = {**spec["extra"], "time_zone": self.time_zone}
        if login_flow == "tba":
            keys = self.token_keys
            extra |= {"login_flow": "tba", "token_id": keys.token_id, "token_secret": keys.token_secret}
            login, password = keys.consumer_key, keys.consumer_secret
        else:
            extra |= {"certificate_id": self.certificate_id}
            login, password = self.client_id, self.private_key
        return spec | {"login": login, "password": password, "schema": self.account_id, "extra": extra}

    def upload_certificate(self, certificate_id: str, client_id: str, private_key_pem: str) -> None:
        """Map a certificate (given by its private key, whose public half NetSuite keeps) to a client,
        as OAuth 2.0 Client Credentials (M2M) Setup does."""
        with self.lock:
            self.certificates[certificate_id] = Certificate(
                certificate_id, client_id, public_key_of(private_key_pem)
            )

    def revoke_certificate(self, certificate_id: str) -> None:
        """Remove a certificate's mapping (its assertions are refused from now on)."""
        with self.lock:
            self.certificates.pop(certificate_id, None)

    def reset(self) -> None:
        """An empty account again (tokens stay valid)."""
        with self.lock:
            self.store = Store(self.clock)

    def records(self, record_type: str = "customer") -> list[dict[str, Any]]:
        """Every record of a type, by id, under SuiteQL column names with typed values."""
        with self.lock:
            return [dict(row) for row in self.store.rows(record_type)]

    def create(self, record_type: str, values: dict[str, Any]) -> int:
        """Create a record as a user in NetSuite would (validated; SuiteQL column names); its id."""
        with self.lock:
            return self.store.insert(record_type, values)

    def edit(self, record_type: str, record_id: int, values: dict[str, Any]) -> None:
        """Change a record as a user would: validated, and its lastmodifieddate moves."""
        with self.lock:
            self.store.update(record_type, int(record_id), values)

    def revoke_tokens(self) -> None:
        """Forget every access token issued (the next call with one answers 401)."""
        with self.lock:
            self.tokens.clear()

    def seed_sandbox(self, scale: dict[str, int], seed: int) -> None:
        """Customers from the shared companies (valid ones; `scale["netsuite_customers"]`, 40)."""
        with self.lock:
            for company in generate_companies(scale.get("netsuite_customers", 40), seed):
                if company.invalid_reason:
                    continue  # NetSuite validates every record: a broken one never gets in
                subsidiary = COUNTRY_SUBSIDIARY.get(company.country, 1)
                city = f"{company.city} {company.region} {company.postal_code}"
                values = {
                    "companyname": company.name,
                    "email": f"accounts@{company.domain}",
                    "phone": company.phone,
                    "url": company.website if "://" in company.website else f"https://{company.website}",
                    "subsidiary": subsidiary,
                    "currency": 4 if company.country == "CA" else SUBSIDIARY_CURRENCY[subsidiary],
                    "defaultaddress": "\n".join((company.name, company.street, city, company.country)),
                }
                try:
                    self.store.insert("customer", values)
                except Refused:
                    continue

    # ---- HTTP plumbing ----

    def handle(self, request: Request) -> Response:
        """Answer as the base app does, refusing requests over the account's concurrency limit."""
        if not request.path.startswith(REST):
            return super().handle(request)
        with self._gate:
            if self.in_flight >= min(
                self.concurrency_limit, self.integration_limit or self.concurrency_limit
            ):
                self.stats["concurrency_rejections"] += 1
                return self.rate_limit_response()
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return super().handle(request)
        finally:
            with self._gate:
                self.in_flight -= 1

    def _authenticated(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def guarded(request: Request) -> Response:
            authorization = request.headers.get("Authorization") or ""
            if authorization.startswith("OAuth "):
                refusal = self._token_based(request, authorization)
                if refusal is not None:
                    response = problem(401, "INVALID_LOGIN", LOGIN_DETAIL)
                    response.headers["WWW-Authenticate"] = f'OAuth realm="{self.realm}"'
                    return response
            else:
                scheme, _, token = authorization.partition(" ")
                expiry = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
                if expiry is None or expiry <= self.clock():
                    response = problem(401, "INVALID_LOGIN", LOGIN_DETAIL)
                    response.headers["WWW-Authenticate"] = (
                        f'Bearer realm="{self.account_id}", error="invalid_token", '
                        'error_description="Invalid login attempt."'
                    )
                    return response
            host = request.headers.get("Host")
            if host:
                self.base = f"{self.scheme}://{host}"
            return handler(request)

        return guarded

    @property
    def scheme(self) -> str:
        return "https" if self.needs_tls else "http"

    @property
    def realm(self) -> str:
        """The account id as TBA's realm names it (`1234567_SB1`)."""
        return self.account_id.upper().replace("-", "_")

    def _token_based(self, request: Request, authorization: str) -> Refusal | None:
        """None when the request carries a good TBA signature; else the refusal (audited)."""
        parameters = [(k, v) for k, values in request.query.items() for v in values]
        if (request.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
            parameters += list(request.form().items())
        base_url = f"{self.scheme}://{(request.headers.get('Host') or '').lower()}{request.path}"
        with self.lock:
            try:
                check_signature(
                    request.method,
                    base_url,
                    parameters,
                    authorization,
                    self.token_keys,
                    self.realm,
                    self.assertion_clock(),
                    self._nonces,
                )
            except Refusal as refusal:
                self.audit.append(("Failure", f"TBA: {refusal.reason}"))
                return refusal
        return None

    # ---- OAuth 2.0 ----

    def _token(self, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            return Response.json({"error": "unsupported_grant_type"}, 400)
        token_url = f"{self.scheme}://{request.headers.get('Host') or ''}{REST}/auth/oauth2/v1/token"
        with self.lock:
            try:
                client = check_assertion(form, self.certificates, token_url, self.assertion_clock())
            except Refusal as refusal:
                self.audit.append(("Failure", f"OAuth 2.0 client credentials: {refusal.reason}"))
                return Response.json(
                    {"error": refusal.error}, 401 if refusal.error == "invalid_client" else 400
                )
            self.audit.append(("Success", f"OAuth 2.0 client credentials: client {client}"))
            token = secrets.token_urlsafe(32)
            self.tokens[token] = self.clock() + timedelta(seconds=self.token_ttl)
        return Response.json(
            {"access_token": token, "token_type": "bearer", "expires_in": str(self.token_ttl)}
        )

    # ---- SuiteQL ----

    def _suiteql(self, request: Request) -> Response:
        if "transient" not in (request.headers.get("Prefer") or "").lower():
            return problem(
                400,
                "INVALID_HEADER",
                "SuiteQL requests need the header 'Prefer: transient'.",
                **{"o:errorHeader": "Prefer"},
            )
        try:
            limit, offset = self._window(request)
            items = self._items(request)
        except Refused as exc:
            return problem(exc.status, exc.code, exc.detail, **{"o:errorQueryParam": exc.path or "q"})
        except SuiteQLError as exc:
            return problem(400, "INVALID_PARAMETER", str(exc), **{"o:errorQueryParam": "q"})
        except ValueError:
            return problem(400, "INVALID_CONTENT", "The request body is not valid JSON.")
        page = items[offset : offset + limit]
        has_more = offset + limit < len(items)
        body = {
            "links": self._links(f"{self.base}{REST}/query/v1/suiteql", limit, offset, len(items), None),
            "count": len(page),
            "hasMore": has_more,
            "items": [{"links": [], **item} for item in page],
            "offset": offset,
            "totalResults": len(items),
        }
        kind = "application/vnd.oracle.resource+json; type=collection; charset=UTF-8"
        return Response.json(body, headers={"Content-Type": kind})

    def _window(self, request: Request) -> tuple[int, int]:
        """`limit` and `offset`, refused beyond the rows one query may return."""
        limit = _bounded(request.arg("limit"), MAX_LIMIT, "limit", 1, MAX_LIMIT)
        offset = _bounded(request.arg("offset"), 0, "offset", 0, None)
        if offset % limit:
            raise Refused(
                400,
                "INVALID_PARAMETER",
                f"Invalid query parameter value: offset {offset} is not divisible by limit {limit}.",
                "offset",
            )
        if offset + limit > self.query_ceiling:
            raise Refused(
                400,
                "INVALID_PARAMETER",
                f"Invalid query parameter value: offset {offset} and limit {limit} go beyond the "
                f"{self.query_ceiling} results a SuiteQL query can return. Narrow the query.",
                "offset",
            )
        return limit, offset

    def _items(self, request: Request) -> list[dict[str, str]]:
        """Every item the body's query answers (ValueError for a body that is not JSON)."""
        body = request.json()
        query = parse(str(body.get("q") or "") if isinstance(body, dict) else "")
        if query.table not in RECORD_TYPES:
            raise SuiteQLError(
                "Invalid search query. Detailed unprocessed description follows. Search error "
                f"occurred: Record '{query.table}' was not found."
            )
        return run(query, columns(query.table), self.store.rows(query.table), self._session())

    def _session(self) -> Session:
        return Session(ZoneInfo(self.time_zone))

    def _links(self, url: str, limit: int, offset: int, total: int, q: str | None) -> list[Any]:
        """A page's links as Oracle's published pages show them (see the module's docstring)."""

        def link(rel: str, at: int, **more: str) -> dict[str, str]:
            return {"rel": rel, "href": f"{url}?{urlencode({'limit': limit, 'offset': at, **more})}"}

        links = [link("previous", max(0, offset - limit)), link("first", 0)] if offset else []
        if offset + limit < total:
            links += [link("next", offset + limit), link("last", (total - 1) // limit * limit)]
        return [*links, link("self", offset, **({"q": q} if q else {}))]

    def _list(self, request: Request) -> Response:
        """`GET /record/v1/{type}`: the record collection, filtered by `q`, a page of ids."""
        try:
            record_type = self._record_type(request)
            limit, offset = self._window(request)
            q = request.arg("q")
            fields = RECORD_TYPES[record_type]
            where = parse_filter(q, fields) if q else None
        except Refused as exc:
            return problem(exc.status, exc.code, exc.detail, **{"o:errorQueryParam": exc.path or "q"})
        zone = ZoneInfo(self.time_zone)
        rows = [r for r in self.store.rows(record_type) if where is None or matches(where, r, fields, zone)]
        url = f"{self.base}{REST}/record/v1/{record_type}"
        page = rows[offset : offset + limit]
        body = {
            "links": self._links(url, limit, offset, len(rows), q),
            "count": len(page),
            "hasMore": offset + limit < len(rows),
            "items": [
                {"links": [{"rel": "self", "href": f"{url}/{row['id']}"}], "id": str(row["id"])}
                for row in page
            ],
            "offset": offset,
            "totalResults": len(rows),
        }
        kind = "application/vnd.oracle.resource+json; type=collection; charset=UTF-8"
        return Response.json(body, headers={"Content-Type": kind})

    def _metadata(self, request: Request) -> Response:
        """`GET /record/v1/metadata-catalog/{type}`: the record type's JSON Schema when the Accept header
        asks for `application/schema+json` (the one metadata format served here; 406 otherwise)."""
        try:
            record_type = self._record_type(request)
        except Refused as exc:
            return refused(exc)
        if "application/schema+json" not in (request.headers.get("Accept") or ""):
            detail = "The emulator serves record metadata as application/schema+json only."
            return problem(406, "INVALID_CONTENT", detail)
        schema = json_schema(record_type, self.base)
        return Response.json(schema, headers={"Content-Type": "application/schema+json; charset=UTF-8"})

    def _governance_limits(self, request: Request) -> Response:
        """The concurrency limits, in the shape "GovernanceLimits Operation" publishes."""
        allocated = self.integration_limit
        body: dict[str, Any] = {
            "accountConcurrencyLimit": self.concurrency_limit,
            "accountUnallocatedConcurrencyLimit": self.concurrency_limit - (allocated or 0),
        }
        if allocated:
            body["integrationConcurrencyLimit"] = allocated
        body["integrationLimitType"] = "integrationSpecific" if allocated else "accountLimit"
        return Response.json(body)

    # ---- records ----

    def _record_type(self, request: Request) -> str:
        record_type = request.params["type"]
        if record_type not in RECORD_TYPES:
            raise Refused(
                404, "INVALID_ID", f"Record type '{record_type}' does not exist. Provide a valid record type."
            )
        return record_type

    def _find(self, request: Request) -> tuple[str, dict[str, Any]]:
        record_type, key = self._record_type(request), unquote(request.params["key"])
        if key.startswith("eid:"):
            row = self.store.by_external_id(record_type, key[4:])
        else:
            row = self.store.get(record_type, int(key))
        if row is None:
            raise Refused(404, "NONEXISTENT_ID", "Record does not exist.")  # Oracle's published 404
        return record_type, row

    def _body(self, request: Request, record_type: str) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError:
            raise Refused(400, "INVALID_CONTENT", "The request body is not valid JSON.") from None
        return self.store.from_rest(record_type, body)

    def _show(self, request: Request) -> Response:
        try:
            record_type, row = self._find(request)
        except Refused as exc:
            return refused(exc)
        kind = "application/vnd.oracle.resource+json; type=singular; charset=UTF-8"
        return Response.json(self.store.to_rest(record_type, row, self.base), headers={"Content-Type": kind})

    def _created(self, record_type: str, record_id: int) -> Response:
        response = Response.empty(204)
        response.headers["Location"] = f"{self.base}{REST}/record/v1/{record_type}/{record_id}"
        return response

    def _create(self, request: Request) -> Response:
        try:
            record_type = self._record_type(request)
            return self._created(
                record_type, self.store.insert(record_type, self._body(request, record_type))
            )
        except Refused as exc:
            return refused(exc)

    def _update(self, request: Request) -> Response:
        try:
            record_type, row = self._find(request)
            self.store.update(record_type, row["id"], self._body(request, record_type))
        except Refused as exc:
            return refused(exc)
        return Response.empty(204)

    def _delete(self, request: Request) -> Response:
        try:
            record_type, row = self._find(request)
        except Refused as exc:
            return refused(exc)
        del self.store.tables[record_type][row["id"]]
        return Response.empty(204)

    def _upsert(self, request: Request) -> Response:
        """`PUT .../eid:{externalId}`: update the record with that external id, or create it."""
        key = unquote(request.params["key"])
        if not key.startswith("eid:"):
            return problem(405, "INVALID_METHOD", "PUT is only for upserts by external ID (eid:...).")
        try:
            record_type = self._record_type(request)
            values = self._body(request, record_type) | {"externalid": key[4:]}
            row = self.store.by_external_id(record_type, key[4:])
            if row is None:
                return self._created(record_type, self.store.insert(record_type, values))
            self.store.update(record_type, row["id"], values)
            return self._created(record_type, row["id"])
        except Refused as exc:
            return refused(exc)

    # ---- what NetSuite answers when throttling, down, or asked for an unknown path ----

    def rate_limit_response(self) -> Response:
        return problem(
            429,
            "CONCURRENCY_LIMIT_EXCEEDED",
            "Concurrent request limit exceeded. Request blocked.",
            top="USER_ERROR",
        )

    def unavailable_response(self) -> Response:
        return problem(503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable. Try again later.")

    def not_found(self, request: Request) -> Response:
        return problem(404, "INVALID_URL", f"The resource {request.path} does not exist.")

    def method_not_allowed(self, request: Request) -> Response:
        return problem(
            405, "INVALID_METHOD", f"The method {request.method} is not allowed on {request.path}."
        )


def _bounded(text: str | None, default: int, name: str, least: int, most: int | None) -> int:
    """A non-negative integer query parameter, or Refused naming it."""
    if text is None:
        return default
    if text.isdigit() and int(text) >= least and (most is None or int(text) <= most):
        return int(text)
    wanted = f"between {least} and {most}" if most is not None else f"of at least {least}"
    raise Refused(
        400,
        "INVALID_PARAMETER",
        f"Invalid query parameter value for '{name}': {text}. Use an integer {wanted}.",
        name,
    )
