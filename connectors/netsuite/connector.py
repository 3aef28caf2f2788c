"""NetSuite through SuiteTalk REST web services (`/services/rest`): reads with SuiteQL, record writes.

Connection (Airflow conn_type `netsuite`): schema = the account id (`1234567`, `1234567_SB1`); host =
the REST domain (`https://1234567.suitetalk.api.netsuite.com`; left empty it is made from the account
id). Logging in (`connectors.netsuite.auth`, extra `login_flow`): `oauth2`, the default, is OAuth 2.0
client credentials with a client assertion: login = the integration record's client id, password =
the private key (PEM) of the certificate uploaded in NetSuite (or extra `private_key_file`), extra
`certificate_id` = that certificate's id; the access token is cached until 90% of `expires_in` and
fetched again once on a 401. `tba` is token-based authentication (OAuth 1.0a, HMAC-SHA256): login =
the consumer key, password = the consumer secret, extras `token_id` and `token_secret`. Extras:
`ca_bundle`, `time_zone` (the
integration user's time zone preference as an IANA name, `UTC`), `max_parallel` (write requests in
flight at once, 4: keep it under the account's concurrency limit), `query_ceiling` (rows one SuiteQL
query can page through, 100000).

Reads:  `POST /services/rest/query/v1/suiteql?limit=&offset=` with `Prefer: transient` and `{"q":
        "SELECT … FROM customer WHERE lastmodifieddate >= TO_DATE('2024-03-01T04:00:00', MASK) ORDER
        BY lastmodifieddate, id"}`, following `hasMore`. Datetime columns are selected as
        `TO_CHAR(col, 'YYYY-MM-DD"T"HH24:MI:SS') AS col` (SuiteQL would otherwise answer the date only,
        in the user's date format) and handed on as ISO-8601 UTC (`2024-03-01T12:00:00Z`). A query
        pages through at most `query_ceiling` rows, so on reaching it the read starts a new query from
        the last lastmodifieddate seen (`>=`), dropping the records of that instant it already
        returned; when one instant alone fills a query, it walks that instant by id (`= … AND id >
        …`) and goes on after it. fetch and find are SuiteQL `IN (…)` queries, 500 values at a time.
Writes: one record per request, `max_parallel` at once, results one per op in order. An op with a
        target id is `PATCH /record/v1/{type}/{id}` (stamping `externalId` = the hub id); every other
        op upserts on the external id = the hub id, `PUT /record/v1/{type}/eid:{hub id}` (204 +
        `Location`, whose last segment is the id), so replays never duplicate. One SuiteQL query per
        batch first looks up which hub ids exist, to report created or updated. Field names may be
        SuiteQL columns (`companyname`) or REST names (`companyName`); references (`subsidiary`,
        `currency`, …) may be bare ids. A 400 refusing one record becomes its RecordError.
Describe: `GET /record/v1/metadata-catalog/{type}` with `Accept: application/schema+json` (JSON Schema
        properties) under SuiteQL column names, and a sample from one SuiteQL `SELECT` of them by id.
Quirks:  SuiteQL answers every value as a string (`"T"`/`"F"` for booleans) and leaves empty fields out
        (they read as None here); `TO_CHAR`/`TO_DATE` work in the user's time zone, so set
        `time_zone` to it (or the user's zone to GMT, which also keeps the autumn DST hour
        unambiguous). Errors read `{"type", "title", "status", "o:errorDetails": [{"detail",
        "o:errorCode"}]}`; more concurrent requests than the account allows answer 429 without
        Retry-After, retried with backoff.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from requests.auth import AuthBase

from connectors.netsuite.auth import ClientAssertion, login_flow, token_based
from connectors.netsuite.suiteql import Seen, Window, chunks, condition, literal, table_of
from hub.errors import AuthenticationError, ConfigError, FatalAPIError
from hub.io.connector import Connector, FieldInfo, FormField, ObjectShape, ObjectSpec, filter_terms
from hub.io.http import HubSession
from hub.io.records import Page, Record, RecordError, WriteOp, WriteResult
from hub.io.redact import redact
from hub.io.rest import RequestAuth, RESTConnector, json_body

REST = "services/rest"
SUITEQL = "query/v1/suiteql"
TRANSIENT = {"Prefer": "transient"}  # the header NetSuite requires on every SuiteQL request
MASK = 'YYYY-MM-DD"T"HH24:MI:SS'
LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"
MAX_LIMIT = 1000
QUERY_CEILING = 100_000
PARALLEL = 4
DATETIME_COLUMNS = frozenset({"datecreated", "lastmodifieddate", "createddate", "dateclosed"})
# One `o:errorDetails` entry in an answer that is not valid JSON: Oracle publishes the 429 of concurrency
# governance without the comma after its top-level "o:errorCode" (tests/fixtures/real/netsuite/SOURCES.md).
DETAIL_TEXT = re.compile(r'"detail"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"o:errorCode"\s*:\s*"([A-Za-z0-9_]+)"')
REFERENCE_COLUMNS = frozenset({"subsidiary", "currency", "parent", "salesrep", "terms", "pricelevel"})
_CAMEL = "entityId companyName externalId isInactive isPerson firstName lastName altPhone dateCreated"
_CAMEL += " lastModifiedDate defaultAddress salesRep priceLevel"
REST_NAMES = {name.lower(): name for name in _CAMEL.split()}  # SuiteQL column -> REST record field
SCHEMA_JSON = {"Accept": "application/schema+json"}  # the metadata catalog's JSON Schema format


class NetSuiteConnector(RESTConnector):
    """NetSuite (SuiteTalk REST web services; OAuth 2.0 client credentials or token-based auth)."""

    system = "netsuite"
    display_name = "NetSuite"
    conn_type = "netsuite"
    default_conn_id = "netsuite_default"
    credential_name = "the access token"
    max_batch = 100  # ops handed to one write call; each is still its own request
    max_page = MAX_LIMIT
    reads_windows = True
    form_fields = {
        **Connector.form_fields,
        "login_flow": FormField(
            "Login flow",
            "oauth2: OAuth 2.0 client credentials, a JWT signed with the certificate's private key "
            "(the default); tba: token-based authentication (OAuth 1.0a)",
        ),
        "certificate_id": FormField(
            "Certificate ID (OAuth 2.0)",
            "The id NetSuite shows for the uploaded certificate in OAuth 2.0 Client Credentials (M2M) Setup",
        ),
        "private_key_file": FormField(
            "Private key file (OAuth 2.0)",
            "Path of the certificate's private key (PEM), instead of the password",
        ),
        "private_key_passphrase": FormField(
            "Private key passphrase (OAuth 2.0)", "When the private key is encrypted", secret=True
        ),
        "algorithm": FormField(
            "Signing algorithm (OAuth 2.0)", "PS256 for an RSA key (default), ES256/ES384/ES512 for EC keys"
        ),
        "scope": FormField("Scope (OAuth 2.0)", "rest_webservices (default); restlets,rest_webservices"),
        "token_id": FormField(
            "Token ID (TBA)", "The access token's id (token-based authentication)", secret=True
        ),
        "token_secret": FormField("Token secret (TBA)", "The access token's secret", secret=True),
        "time_zone": FormField("Time zone", "The integration user's time zone preference (UTC)"),
        "max_parallel": FormField("Parallel writes", "Write requests in flight at once (4)", kind="integer"),
        "query_ceiling": FormField(
            "Query ceiling", "Rows one SuiteQL query can page through (100000)", kind="integer"
        ),
    }
    labels = {
        "host": "REST domain",
        "schema": "Account ID",
        "login": "Client ID (OAuth 2.0) or consumer key (TBA)",
        "password": "Private key PEM (OAuth 2.0) or consumer secret (TBA)",
    }
    standard_fields = {
        "hidden": ["port"],
        "labels": labels,
        "placeholders": {"host": "https://1234567.suitetalk.api.netsuite.com", "schema": "1234567_SB1"},
    }

    # Connection and tokens --------------------------------------------------------------------
    def base_url(self) -> str:
        conn = self.connection
        if conn.host:
            return conn.base_url()
        if not conn.schema:
            raise ConfigError(f"connection {conn.conn_id!r} needs the NetSuite account id (schema) or a host")
        return f"https://{conn.schema.lower().replace('_', '-')}.suitetalk.api.netsuite.com"

    @cached_property
    def zone(self) -> ZoneInfo:
        name = self.connection.option("time_zone") or "UTC"
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"connection {self.connection.conn_id!r}: unknown time_zone {name!r}; "
                "use an IANA name such as America/Los_Angeles"
            ) from None

    @cached_property
    def login_flow(self) -> str:
        """`oauth2` (client credentials with a signed assertion) or `tba` (OAuth 1.0a)."""
        return login_flow(self.connection)

    @cached_property
    def tokens(self) -> ClientAssertion:
        """The connection's access tokens (`oauth2`), fetched through a session of their own (no token
        refresh on the token endpoint's own 401s), and fetched again when the API session meets a 401."""
        session = HubSession(
            self.system,
            calls=self.calls,
            policy=self.session.policy,
            verify=self.connection.option("ca_bundle"),
            timeout=self.session.timeout,
        )
        tokens = ClientAssertion(self.system, self.connection, session, self.token_url)
        self.session.on_unauthorized = tokens.refresh
        return tokens

    @cached_property
    def signer(self) -> AuthBase:
        """The OAuth 1.0a signer of every request (`tba`), in the account's realm."""
        realm = str(self.connection.schema or "").upper().replace("-", "_")
        if not realm:
            raise ConfigError(
                f"connection {self.connection.conn_id!r}: token-based authentication signs in the account's "
                "realm: give the account id (schema)"
            )
        return token_based(self.connection, realm)

    def token_url(self) -> str:
        return f"{self.api_root()}/auth/oauth2/v1/token"

    # HTTP -------------------------------------------------------------------------------------
    def api_root(self) -> str:
        return f"{self.base_url()}/{REST}"

    def credentials(self) -> RequestAuth:
        if self.login_flow == "tba":
            return RequestAuth(signer=self.signer)
        return RequestAuth(headers={"Authorization": f"Bearer {self.tokens.token()}"})

    def refusal(self, method: str, path_or_url: str, response: requests.Response) -> AuthenticationError:
        """As every REST connector says it, naming what was refused: the access token (`oauth2`), or
        the token-based signature (`tba`), never a secret."""
        if self.login_flow != "tba":
            return super().refusal(method, path_or_url, response)
        code, detail = self.error_detail(response)
        return AuthenticationError(
            self.system,
            f"connection {self.connection.conn_id!r}: NetSuite refused the token-based authentication of "
            f"consumer key and token id in realm {self.connection.schema!r} "
            f"({self.shown(method, path_or_url)}: "
            f"{redact(detail)[:300]}); check the four keys, the role's REST Web Services permission and the "
            "clock of this machine",
            status=response.status_code,
            code=code,
        )

    def is_idempotent(self, method: str, path_or_url: str) -> bool:
        """Every method but POST, and SuiteQL queries (POSTs that only read)."""
        return method.upper() != "POST" or path_or_url.startswith("query/")

    def error_detail(self, response: requests.Response) -> tuple[str | None, str]:
        """The first `o:errorDetails` entry's code and detail (read from the text when the body is not
        valid JSON, as Oracle's published 429 is not), else the body's title or error."""
        body = _json(response)
        found = None if body else DETAIL_TEXT.search(response.text or "")
        if found:
            return found.group(2), str(json.loads(f'"{found.group(1)}"'))
        details = body.get("o:errorDetails") or []
        if details and isinstance(details[0], dict):
            return details[0].get("o:errorCode"), str(details[0].get("detail") or "")
        text = body.get("title") or body.get("error")
        return (None, str(text)) if text else super().error_detail(response)

    def suiteql(self, query: str, limit: int, offset: int) -> requests.Response:
        """One page of a SuiteQL query (the raw answer: the ceiling refusal is the caller's)."""
        params = {"limit": limit, "offset": offset}
        return self.request("POST", SUITEQL, params=params, body={"q": query}, headers=TRANSIENT)

    def suiteql_page(self, query: str, limit: int, offset: int) -> dict[str, Any]:
        """One page of a SuiteQL query known to stay under the ceiling (error answers raise)."""
        params = {"limit": limit, "offset": offset}
        page: dict[str, Any] = self.call("POST", SUITEQL, params=params, body={"q": query}, headers=TRANSIENT)
        return page

    def query_all(self, query: str) -> list[Record]:
        """Every item of a SuiteQL query known to stay under the ceiling."""
        items: list[Record] = []
        while True:
            page = self.suiteql_page(query, MAX_LIMIT, len(items))
            items += page.get("items") or []
            if not page.get("hasMore"):
                return items

    def check(self) -> str:
        total = self.suiteql_page("SELECT id FROM customer", 1, 0).get("totalResults")
        account = self.connection.schema or self.base_url()
        return f"NetSuite account {account} accepted client {self.connection.login!r} ({total} customers)"

    def _option_int(self, name: str, default: int) -> int:
        value = self.connection.option(name)
        return int(value) if value else default

    # SuiteQL text -----------------------------------------------------------------------------
    def _columns(self, obj: ObjectSpec) -> list[str]:
        cursor = [obj.cursor_field] if obj.cursor_field else []
        return list(dict.fromkeys([obj.primary_key, *obj.fields, *cursor]))

    def _select(self, obj: ObjectSpec, datetimes: frozenset[str] = DATETIME_COLUMNS) -> str:
        parts = []
        for name in self._columns(obj):
            column = name.lower()
            if column in datetimes or name == obj.cursor_field:
                parts.append(f"TO_CHAR({column}, '{MASK}') AS {column}")
            else:
                parts.append(column)
        return f"SELECT {', '.join(parts)} FROM {table_of(obj)}"

    def _local(self, moment: datetime) -> str:
        """A moment as a literal for TO_DATE in the user's zone (whole seconds, rounded down)."""
        return moment.astimezone(self.zone).strftime(LOCAL_FORMAT)

    def _utc(self, local: str) -> datetime:
        return datetime.strptime(local, LOCAL_FORMAT).replace(tzinfo=self.zone).astimezone(UTC)

    def _record(
        self, obj: ObjectSpec, item: Mapping[str, Any], datetimes: frozenset[str] = DATETIME_COLUMNS
    ) -> Record:
        """A SuiteQL item under the mapping's field names, datetimes as ISO-8601 UTC."""
        record: Record = {}
        for name in self._columns(obj):
            value = item.get(name.lower())
            if value is not None and (name.lower() in datetimes or name == obj.cursor_field):
                value = self._utc(str(value)).strftime("%Y-%m-%dT%H:%M:%SZ")
            record[name] = value
        return record

    def _query(self, obj: ObjectSpec, conditions: Sequence[str], order: str) -> str:
        terms = [*(condition(n, op, v) for n, op, v in filter_terms(obj)), *conditions]
        where = f" WHERE {' AND '.join(terms)}" if terms else ""
        return f"{self._select(obj)}{where} ORDER BY {order}"

    def _window_query(self, obj: ObjectSpec, window: Window) -> str:
        cursor = (obj.cursor_field or "").lower()
        at = f"TO_DATE('{window.instant}', '{MASK}')"
        # a backfill's time window (`ObjectSpec.until`) bounds every query of the read
        before = [f"{cursor} < TO_DATE('{self._local(obj.until)}', '{MASK}')"] if cursor and obj.until else []
        if window.mode == "ids":
            return self._query(obj, [f"id > {window.after_id}"] if window.after_id else [], "id")
        if window.mode == "at":
            return self._query(obj, [f"{cursor} = {at}", f"id > {window.after_id}"], "id")
        operator = ">=" if window.mode == "from" else ">"
        since = [f"{cursor} {operator} {at}"] if window.instant else []
        return self._query(obj, [*since, *before], f"{cursor}, id")

    # Reads ------------------------------------------------------------------------------------
    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        size = max(1, min(page_size, MAX_LIMIT))
        start = self._local(since) if since is not None else None
        window: Window | None = Window("from", start) if obj.cursor_field else Window("ids")
        while window is not None:
            following = yield from self._read_window(obj, window, size)
            if following == window:  # a guard: every window must move the read forward
                raise FatalAPIError(self.system, f"the read of {obj.name} made no progress at {window}")
            window = following

    def _read_window(
        self, obj: ObjectSpec, window: Window, size: int
    ) -> Generator[Page, None, Window | None]:
        """Pages of one window's query; returns the next window (None when the read is complete)."""
        query, ceiling = self._window_query(obj, window), self._option_int("query_ceiling", QUERY_CEILING)
        seen, offset = Seen(), 0
        while True:
            response = self.suiteql(query, size, offset)
            if _beyond_ceiling(response):
                return self._next_window(window, seen, size)
            if response.status_code >= 400:
                raise self.failure("POST", SUITEQL, response)
            answer = response.json()
            items = list(answer.get("items") or [])
            if items:
                yield self._page(obj, window, items, seen, answer.get("totalResults"))
            offset += size
            if not answer.get("hasMore"):
                return Window("after", window.instant) if window.mode == "at" else None
            if offset + size > ceiling:
                return self._next_window(window, seen, size)

    def _page(self, obj: ObjectSpec, window: Window, items: list[Record], seen: Seen, total: Any) -> Page:
        cursor = (obj.cursor_field or "").lower()
        fresh = []
        for item in items:
            instant, record_id = item.get(cursor), int(item["id"])
            if instant != seen.instant or seen.ids_at_instant is None:
                seen.instant, seen.ids_at_instant = instant, set()
            seen.ids_at_instant.add(record_id)
            seen.last_id = record_id
            if not (window.mode == "from" and instant == window.instant and record_id in window.skip):
                fresh.append(self._record(obj, item))
        last = items[-1].get(cursor)
        moment = self._utc(str(last)) if obj.cursor_field and last else None
        return Page(fresh, moment, int(total) if total is not None else None)

    def _next_window(self, window: Window, seen: Seen, size: int) -> Window:
        """Where to go on after a query reached its ceiling."""
        if not seen.last_id:
            raise FatalAPIError(
                self.system, f"a SuiteQL query cannot page even {size} rows here; lower the page size"
            )
        if window.mode in ("ids", "at"):
            return Window(window.mode, window.instant, after_id=seen.last_id)
        ids = seen.ids_at_instant or set()
        if seen.instant != window.instant:
            return Window("from", seen.instant, skip=frozenset(ids))
        return Window("at", seen.instant, after_id=max(ids | window.skip))  # one instant filled it

    def describe(self, object_name: str, sample: int = 100) -> ObjectShape:
        """A record type's fields from the metadata catalog (`GET /record/v1/metadata-catalog/{type}`,
        JSON Schema) named as SuiteQL columns (what mappings name), and up to `sample` records (by id)
        from one SuiteQL `SELECT` of those fields, read as `read_changes` reads them."""
        table = table_of(ObjectSpec(object_name, (), "id"))
        schema = self.call("GET", f"record/v1/metadata-catalog/{table}", headers=SCHEMA_JSON) or {}
        required = {str(name).lower() for name in schema.get("required") or ()}
        found = (schema_field(n, p, required) for n, p in (schema.get("properties") or {}).items())
        fields = tuple(f for f in found if f is not None)
        datetimes = frozenset(f.name for f in fields if f.type == "datetime")
        spec = ObjectSpec(table, tuple(f.name for f in fields), "id")
        query, items = f"{self._select(spec, datetimes)} ORDER BY id", list[Record]()
        while len(items) < sample:
            page = self.suiteql_page(query, min(sample, MAX_LIMIT), len(items))
            items += page.get("items") or []
            if not page.get("hasMore"):
                break
        return ObjectShape(table, fields, tuple(self._record(spec, i, datetimes) for i in items[:sample]))

    def count(self, obj: ObjectSpec, since: datetime | None) -> int | None:
        start = self._local(since) if since is not None else None
        window = Window("from", start) if obj.cursor_field else Window("ids")
        return int(self.suiteql_page(self._window_query(obj, window), 1, 0).get("totalResults") or 0)

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        numeric = [int(i) for i in dict.fromkeys(str(i) for i in ids) if i.isdigit()]
        return self.find(obj, {"id": numeric}) if numeric else []

    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        """Records whose fields equal one of the given values for every field: SuiteQL `IN` lists."""
        lists = {
            name: [v for v in dict.fromkeys(values) if v is not None] for name, values in criteria.items()
        }
        if any(not values for values in lists.values()):
            return []
        found: dict[Any, Record] = {}
        for chunked in chunks(lists):
            terms = [
                f"{name.lower()} IN ({', '.join(literal(v) for v in vs)})" for name, vs in chunked.items()
            ]
            for item in self.query_all(self._query(obj, terms, "id")):
                found.setdefault(item["id"], self._record(obj, item))
        return list(found.values())

    # Writes -----------------------------------------------------------------------------------
    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        if not ops:
            return []
        table = table_of(obj)
        upserts = [op.hub_id for op in ops if not op.target_id]
        existing = self._existing_external_ids(table, upserts) if upserts else set()
        workers = max(1, min(self._option_int("max_parallel", PARALLEL), len(ops)))
        self.credentials()  # build the token cache or the signer before the threads share them
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="netsuite-write") as pool:
            return list(pool.map(lambda op: self._write_one(obj, table, op, existing), ops))

    def _existing_external_ids(self, table: str, hub_ids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks({"externalid": list(dict.fromkeys(hub_ids))}):
            values = ", ".join(literal(v) for v in chunk["externalid"])
            query = f"SELECT id, externalid FROM {table} WHERE externalid IN ({values}) ORDER BY id"
            found |= {str(item.get("externalid")) for item in self.query_all(query)}
        return found

    def _write_one(self, obj: ObjectSpec, table: str, op: WriteOp, existing: set[str]) -> WriteResult:
        body = _body(obj, op)
        if op.target_id:
            path = f"record/v1/{table}/{quote(str(op.target_id), safe='')}"
            return self._result(self.request("PATCH", path, body=body), str(op.target_id), created=False)
        path = f"record/v1/{table}/eid:{quote(op.hub_id, safe='')}"
        return self._result(self.request("PUT", path, body=body), None, created=op.hub_id not in existing)

    def _result(self, response: requests.Response, record_id: str | None, *, created: bool) -> WriteResult:
        status = response.status_code
        if status < 300:
            location = response.headers.get("Location") or ""
            return WriteResult(location.rstrip("/").rsplit("/", 1)[-1] or record_id, created=created)
        if status in (400, 404, 409):
            return WriteResult(record_id, error=self._record_error(response))
        raise self.failure(response.request.method or "PUT", response.url, response)

    def _record_error(self, response: requests.Response) -> RecordError:
        """Why NetSuite refused one record: its error code, detail and the field (`o:errorPath`)."""
        code, detail = self.error_detail(response)
        details = _json(response).get("o:errorDetails") or [{}]
        path = details[0].get("o:errorPath") if isinstance(details[0], dict) else None
        return RecordError(
            code or f"HTTP{response.status_code}", redact(detail)[:500], (str(path),) if path else ()
        )


def schema_field(name: str, prop: Mapping[str, Any], required: set[str]) -> FieldInfo | None:
    """A JSON Schema property of the metadata catalog as a field under its SuiteQL column name (the
    REST name lower-cased); None for what SuiteQL has no column for (links, sublists, subrecords)."""
    kind, shape = str(prop.get("type") or ""), str(prop.get("format") or "")
    if prop.get("$ref"):
        kind = "reference"
    elif kind in ("object", "array") or name == "links":
        return None
    elif kind == "string" and shape in ("date-time", "date"):
        kind = "datetime" if shape == "date-time" else "date"
    column = name.lower()
    return FieldInfo(
        column,
        str(prop.get("title") or name),
        kind,
        required=column in required,
        custom=bool(prop.get("x-ns-custom-field")),
        readonly=bool(prop.get("readOnly")),
        options=tuple(str(value) for value in prop.get("enum") or ()),
    )


def _body(obj: ObjectSpec, op: WriteOp) -> Record:
    """The REST body of one op: REST field names, references as `{"id"}`, the hub id where it lives."""
    external = (obj.external_id_field or "externalId").lower()
    body: Record = {}
    for name, value in op.values.items():
        column = name.lower()
        if column in ("externalid", external):
            continue  # the URL (eid:) or the line below carries the hub id
        if column in REFERENCE_COLUMNS and value is not None and not isinstance(value, dict):
            value = {"id": str(value)}
        body[REST_NAMES.get(column, name)] = value
    if external != "externalid":
        body[REST_NAMES.get(external, obj.external_id_field or external)] = op.hub_id
    if op.target_id:
        body["externalId"] = op.hub_id
    return body


def _json(response: requests.Response) -> dict[str, Any]:
    """The JSON object of an answer ({} when it is none)."""
    body = json_body(response)
    return body if isinstance(body, dict) else {}


def _beyond_ceiling(response: requests.Response) -> bool:
    """Whether the answer refuses a page past the rows one SuiteQL query may return."""
    if response.status_code != 400:
        return False
    details = _json(response).get("o:errorDetails") or []
    return any(isinstance(d, dict) and d.get("o:errorQueryParam") == "offset" for d in details)


__all__ = ["NetSuiteConnector"]
