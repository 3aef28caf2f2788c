"""`SalesforceEmulator`: a Salesforce org's REST API, Bulk API 2.0 and login, in memory.

    >>> from connectors.emulators.salesforce import SalesforceEmulator
    >>> from connectors.emulators.server import EmulatorServer
    >>> from connectors.emulators.tls import ensure_tls_files
    >>> org = SalesforceEmulator()
    >>> org.seed(accounts=200, contacts=1000)           # deterministic; ~1% broken on purpose
    >>> with EmulatorServer(org, tls=ensure_tls_files(".hub/tls")) as server:
    ...     token = requests.post(f"{server.url}/services/oauth2/token", data={...}).json()

simple-salesforce builds https:// URLs and keeps only host:port of `instance_url`, so the org serves
`/services/...` at the root of its port, over TLS. Every REST call needs a Bearer token, counts
against the daily API allocation (`Sforce-Limit-Info`) and answers errors as Salesforce does.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from connectors.emulators.salesforce.auth import Credentials, LoginApi, Sessions
from connectors.emulators.salesforce.bulk import BulkApi
from connectors.emulators.salesforce.bulk_query import BulkQueryApi
from connectors.emulators.salesforce.collections import CollectionsApi
from connectors.emulators.salesforce.errors import ApiError, RowError
from connectors.emulators.salesforce.ids import Clock, make_id, normalize_id, utc_now
from connectors.emulators.salesforce.objects import SOBJECTS, Catalog, SObjectDef
from connectors.emulators.salesforce.query import QueryApi
from connectors.emulators.salesforce.rest import RestApi
from connectors.emulators.salesforce.search import SearchApi
from connectors.emulators.salesforce.seeding import SeedResult, seed_org
from connectors.emulators.salesforce.soql_exec import attributes
from connectors.emulators.salesforce.store import Store
from connectors.emulators.salesforce.values import record_from_json, to_json
from connectors.emulators.server import EmulatorApp, Handler, Request, Response

DEFAULT_CREDENTIALS = Credentials()
# The org predates its seeded history (two years); nothing has been purged from it since.
ORG_AGE = timedelta(days=3 * 365)
SESSION_EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


class SalesforceEmulator(EmulatorApp):
    """A Salesforce org (Account, Contact, … from `objects.SOBJECTS`) behind its real wire contract."""

    system = "salesforce"
    needs_tls = True

    def __init__(
        self,
        *,
        username: str = DEFAULT_CREDENTIALS.username,
        password: str = DEFAULT_CREDENTIALS.password,
        security_token: str = DEFAULT_CREDENTIALS.security_token,
        client_id: str = DEFAULT_CREDENTIALS.client_id,
        client_secret: str = DEFAULT_CREDENTIALS.client_secret,
        api_version: str = "59.0",
        clock: Clock | None = None,
        token_ttl: float = 7200.0,
        daily_api_limit: int = 15000,
        bulk_progress_polls: int = 1,
        sobjects: tuple[SObjectDef, ...] = SOBJECTS,
        fault_rate: float = 0.0,
        fault_kinds: tuple[str, ...] = ("rate_limit",),
        latency_ms: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__(fault_rate=fault_rate, fault_kinds=fault_kinds, latency_ms=latency_ms, seed=seed)
        self.credentials = Credentials(username, password, security_token, client_id, client_secret)
        self.api_version, self.clock = api_version.lstrip("v"), clock or utc_now
        self.org_id, self.user_id = make_id("00D", 1), make_id("005", 1)
        self.catalog = Catalog(sobjects)
        self.store = Store(self.catalog, self.clock, self.user_id)
        self.sessions = Sessions(self.clock, token_ttl, self.org_id)
        self.api_usage, self.daily_api_limit = 0, daily_api_limit
        self.invalid_records: dict[str, str] = {}
        self.seeded_accounts: list[str] = []  # the last seed's Account ids, by company index
        self._register(bulk_progress_polls)

    def _register(self, bulk_progress_polls: int) -> None:
        login = LoginApi(self.credentials, self.sessions, self.org_id, self.user_id)
        for method, pattern, handler in login.routes():
            self.route(method, pattern, handler)
        self.route("GET", r"/services/data", RestApi.versions)
        apis = (
            QueryApi(self.store),
            CollectionsApi(self.store),
            BulkApi(self.store, self.user_id, bulk_progress_polls),
            BulkQueryApi(self.store, self.user_id, bulk_progress_polls),
            SearchApi(self.store),
            RestApi(self.store, self.usage, self.store.now() - ORG_AGE),
        )
        for api in apis:
            for method, pattern, handler in api.routes():
                self.route(method, pattern, self._rest(handler))
        self.route("POST", r"/__emulator__/expire-tokens", self._admin_expire_tokens)

    # ---- every REST call ----

    def usage(self) -> tuple[int, int]:
        """API requests used today, and the daily allocation."""
        return self.api_usage, self.daily_api_limit

    def _limit_info(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self.api_usage}/{self.daily_api_limit}"}

    def _rest(self, handler: Handler) -> Handler:
        """Session check, API allocation, Salesforce error bodies and the Sforce-Limit-Info header."""

        def serve(request: Request) -> Response:
            """Answer one REST call on behalf of `handler`."""
            if self.sessions.from_header(request.headers.get("Authorization")) is None:
                return Response.json(SESSION_EXPIRED, 401)
            if self.api_usage >= self.daily_api_limit:
                return self.daily_limit_response()
            self.api_usage += 1
            try:
                response = handler(request)
            except ApiError as exc:
                response = exc.response()
            response.headers.update(self._limit_info())
            return response

        return serve

    # ---- what Salesforce answers when throttling, down, or asked for nothing ----

    def rate_limit_response(self) -> Response:
        """Injected throttling: too many concurrent long requests, which passes in seconds."""
        body = [
            {
                "message": "ConcurrentPerOrgLongTxn Limit exceeded.",
                "errorCode": "REQUEST_LIMIT_EXCEEDED",
            }
        ]
        return Response.json(body, 403, self._limit_info())

    def daily_limit_response(self) -> Response:
        """The rolling 24-hour allocation (`daily_api_limit`) is spent."""
        body = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        return Response.json(body, 403, self._limit_info())

    def unavailable_response(self) -> Response:
        body = [
            {
                "message": "Server temporarily unavailable, please try again later.",
                "errorCode": "SERVER_UNAVAILABLE",
            }
        ]
        return Response.json(body, 503)

    def not_found(self, request: Request) -> Response:
        body = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
        return Response.json(body, 404, self._limit_info())

    def method_not_allowed(self, request: Request) -> Response:
        allowed = sorted({method for method, regex, _, _ in self._routes if regex.match(request.path)})
        message = f"HTTP Method '{request.method}' not allowed. Allowed are {','.join(allowed)}"
        return Response.json([{"errorCode": "METHOD_NOT_ALLOWED", "message": message}], 405)

    def _admin_expire_tokens(self, request: Request) -> Response:
        with self.lock:
            count = len(self.sessions.expiry)
            self.expire_tokens()
        return Response.json({"expired": count})

    # ---- in-process helpers (tests, demo) ----

    def connection(self, base_url: str, ca_bundle: str | None = None) -> dict[str, Any]:
        """The sandbox connection: the API user, its security token and the connected app."""
        connection = super().connection(base_url, ca_bundle)
        connection["extra"] |= {
            "security_token": self.credentials.security_token,
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
            "api_version": self.api_version,
        }
        return {**connection, "login": self.credentials.username, "password": self.credentials.password}

    @staticmethod
    def login_domain(server_url: str, domain: str = "login") -> str:
        """The `domain` that makes simple-salesforce's `https://{domain}.salesforce.com/…` login reach us."""
        return f"{urlsplit(server_url).netloc}/{domain}"

    def seed(self, accounts: int = 200, contacts: int = 1000, seed: int = 7) -> SeedResult:
        """Add deterministic Accounts and Contacts; broken ones are listed in `invalid_records`."""
        with self.lock:
            result = seed_org(self.store, accounts, contacts, seed)
            self.invalid_records |= result.invalid
            self.seeded_accounts = result.account_ids  # by company index (`generate_companies`)
        return result

    def seed_sandbox(self, scale: dict[str, int], seed: int) -> None:
        self.seed(scale.get("accounts", 200), scale.get("contacts", 1000), seed)

    def access_token(self) -> str:
        """A fresh session id, as if the API user had just logged in."""
        with self.lock:
            return self.sessions.issue()

    def expire_tokens(self) -> None:
        """End every session (what an admin's "expire all sessions" does)."""
        with self.lock:
            self.sessions.expire_all()

    def create(self, sobject: str, values: dict[str, Any]) -> str:
        """Create a record as a user in Salesforce would (validated); returns its id."""
        with self.lock:
            definition = self._sobject(sobject)
            return self.store.insert(definition, record_from_json(definition, values))

    def edit(self, sobject: str, record_id: str, values: dict[str, Any]) -> None:
        """Change a record "directly in Salesforce": validated, and its SystemModstamp moves."""
        with self.lock:
            definition = self._sobject(sobject)
            record_id = normalize_id(record_id) or record_id
            self.store.update(definition, record_id, record_from_json(definition, values))

    def delete(self, record_id: str) -> None:
        """Delete a record (to the recycle bin, children cascading) as a user would."""
        with self.lock:
            error = self.store.delete_many([record_id])[0]
        if error is not None:
            raise RowError(error)

    def record(self, record_id: str) -> dict[str, Any] | None:
        """A record (deleted ones too) as the REST API shows it, or None."""
        with self.lock:
            record = self.store.get(record_id)
            sobject = self.catalog.for_id(record_id)
            if record is None or sobject is None:
                return None
            return {"attributes": attributes(sobject, record["Id"], self.api_version)} | {
                name: to_json(value) for name, value in record.items()
            }

    def records(self, sobject: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Every record of an object, in creation order, without `attributes`."""
        with self.lock:
            rows = self.store.table(self._sobject(sobject)).rows.values()
            return [
                {k: to_json(v) for k, v in r.items()} for r in rows if include_deleted or not r["IsDeleted"]
            ]

    def _sobject(self, name: str) -> SObjectDef:
        found = self.catalog.get(name)
        if found is None:
            raise KeyError(f"no sObject {name!r}; known: {[s.name for s in self.catalog.sobjects]}")
        return found
