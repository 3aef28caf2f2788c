"""Salesforce through simple-salesforce: incremental SOQL, sObject Collections, Bulk API 2.0.

Connection (Airflow conn_type `salesforce`): host = the login or My Domain URL
(`https://login.salesforce.com`, `https://acme.my.salesforce.com`), login = username,
password = password; extras: `security_token`, `client_id`, `client_secret`, `grant_type`
(`password`, default, or `client_credentials`), `api_version` (59.0), `bulk_threshold` (records in
one write from which Bulk API 2.0 is used instead of Collections), `bulk_poll_seconds`, `ca_bundle`,
`api_reserve` (daily API requests to leave unused, default 0).

Reads:  SELECT … WHERE SystemModstamp >= since ORDER BY SystemModstamp, Id, 2,000 per page
        (`Sforce-Query-Options: batchSize`), following `nextRecordsUrl`.
Writes: PATCH /composite/sobjects/{Object}/{ExternalId} (upsert by hub_id), 200 per call, or
        PATCH /composite/sobjects (update by Id, for records matched before the hub wrote them);
        Bulk API 2.0 ingest jobs from `bulk_threshold` records on.
Describe: GET /sobjects/{Object}/describe for the fields (compound address/location fields left out:
        their components are fields of their own), then the newest records by SOQL of those fields
        (ORDER BY SystemModstamp DESC LIMIT n), in several queries joined by Id when one would be
        too long for a GET.
Limits: 403 REQUEST_LIMIT_EXCEEDED for concurrent long requests is retried; the rolling 24-hour
        allocation ("TotalRequests Limit exceeded.", or `Sforce-Limit-Info` usage reaching the limit
        less the `api_reserve` extra, default 0) stops the run at once (QuotaExhausted).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError

from hub.errors import APIError, AuthenticationError, FatalAPIError, QuotaExhausted, RetryableAPIError
from hub.io import exactjson
from hub.io.connector import Connector, FieldInfo, FormField, ObjectShape, ObjectSpec, filter_terms
from hub.io.records import Page, Record, RecordError, WriteOp, WriteResult
from hub.io.redact import redact

API_VERSION = "59.0"
COLLECTION_LIMIT = 200
ID_CHUNK = 200
DEFAULT_BULK_THRESHOLD = 5000
RECYCLE_BIN = timedelta(days=15)
# Characters of field names per sampling query: the query travels in a GET URL (16,384 bytes at most).
SELECT_BUDGET = 8000
# Compound fields: their values are the component fields (BillingCity, …), which describe lists too.
COMPOUND_TYPES = frozenset({"address", "location"})
_API_USAGE = re.compile(r"api-usage=(?P<used>\d+)/(?P<limit>\d+)")


def soql_literal(value: Any) -> str:
    """A Python value as a SOQL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    escaped = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def parse_salesforce_datetime(text: str) -> datetime:
    """`2024-01-15T14:22:10.456+0000` (or with Z / +00:00) as an aware datetime."""
    if text.endswith("+0000"):
        text = text[:-5] + "+00:00"
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _condition(name: str, operator: str, value: Any) -> str:
    if operator == "not in":
        return f"{name} NOT IN ({', '.join(soql_literal(v) for v in value)})"
    return f"{name} {operator} {soql_literal(value)}"


def _strip_attributes(record: Mapping[str, Any]) -> Record:
    """A SOQL record without `attributes` at any level: a parent (`Account.Name`) stays a nested
    record, a child sub-query result (`{"totalSize", "done", "records"}`) becomes its list of records
    (Salesforce answers null for a parent with no children; that stays None)."""
    return {k: _plain(v) for k, v in record.items() if k != "attributes"}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        if "records" in value and "totalSize" in value and "done" in value:
            return [_strip_attributes(r) for r in value["records"]]
        return _strip_attributes(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class SalesforceConnector(Connector):
    """Salesforce CRM (REST API with Collections and Bulk API 2.0)."""

    system = "salesforce"
    display_name = "Salesforce"
    conn_type = "salesforce"
    default_conn_id = "salesforce_default"
    max_batch = COLLECTION_LIMIT
    max_page = 2000
    reads_windows = True
    supports_deletes = True
    # no request rate: Salesforce limits concurrent long requests (25) and a day's total, which
    # `budget_spent` reads from Sforce-Limit-Info; only pauses apply to its bucket
    rate_limit = None
    form_fields = {
        **Connector.form_fields,
        "security_token": FormField(
            "Security token", "Appended to the password for the password grant", secret=True
        ),
        "client_id": FormField("Consumer key", "Connected app consumer key"),
        "client_secret": FormField("Consumer secret", "Connected app consumer secret", secret=True),
        "grant_type": FormField("Grant type", "password (default) or client_credentials"),
        "api_version": FormField("API version", f"Default {API_VERSION}"),
        "bulk_threshold": FormField(
            "Bulk threshold", "Records per write from which Bulk API 2.0 is used", kind="integer"
        ),
        "api_reserve": FormField(
            "API reserve", "Daily API requests to leave unused (default 0)", kind="integer"
        ),
    }
    standard_fields = {
        "hidden": ["schema"],
        "labels": {"host": "Login URL", "login": "Username", "password": "Password"},
        "placeholders": {
            "host": "https://login.salesforce.com (or https://test.salesforce.com, a My Domain URL)",
            "login": "integration@example.com",
        },
    }

    # Session ----------------------------------------------------------------------------------
    def retryable(self, response: Any) -> bool:
        """403 REQUEST_LIMIT_EXCEEDED for too many concurrent long requests passes in seconds."""
        return bool(response.status_code == 403 and b"REQUEST_LIMIT_EXCEEDED" in response.content)

    def budget_spent(self, response: Any) -> QuotaExhausted | None:
        """The rolling 24-hour API allocation: spent (403 `TotalRequests Limit exceeded.`), or reached
        per the `Sforce-Limit-Info: api-usage=used/limit` header every REST answer carries, less the
        connection's `api_reserve` (requests to leave for others; default 0)."""
        what = f"{response.request.method} {urlsplit(str(response.url)).path}"
        if response.status_code == 403 and b"TotalRequests Limit exceeded" in response.content:
            return QuotaExhausted(
                self.system,
                f"{what}: 403 REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.; the 24-hour API "
                "allocation is spent and frees up within 24 hours (it is a rolling window)",
                status=403,
                code="REQUEST_LIMIT_EXCEEDED",
            )
        usage = _API_USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if usage is None:
            return None
        used, limit = int(usage["used"]), int(usage["limit"])
        reserve = int(self.connection.option("api_reserve") or 0)
        if used < limit - reserve:
            return None
        return QuotaExhausted(
            self.system,
            f"{what}: Sforce-Limit-Info api-usage={used}/{limit} reached the 24-hour allocation less "
            f"the reserve of {reserve}; stopping before Salesforce refuses (it frees up within 24 hours)",
            status=response.status_code,
            code="REQUEST_LIMIT_EXCEEDED",
        )

    @property
    def api_version(self) -> str:
        return str(self.connection.option("api_version") or API_VERSION)

    def _token(self) -> dict[str, Any]:
        conn = self.connection
        grant = conn.option("grant_type") or "password"
        form = {
            "grant_type": grant,
            "client_id": conn.option("client_id") or "",
            "client_secret": conn.option("client_secret") or "",
        }
        if grant == "password":
            form |= {
                "username": conn.login or "",
                "password": (conn.password or "") + (conn.option("security_token") or ""),
            }
        url = conn.base_url() + "/services/oauth2/token"
        response = self.session.request("POST", url, data=form, idempotent=True)
        if response.status_code != 200:
            raise AuthenticationError(
                self.system,
                f"connection {conn.conn_id!r}: login refused: {redact(_oauth_error(response))}",
                status=response.status_code,
            )
        token: dict[str, Any] = response.json()
        return token

    @cached_property
    def client(self) -> Salesforce:
        """simple-salesforce on the hub's session, logged in with the connection's credentials."""
        token = self._token()
        client = Salesforce(
            instance_url=token["instance_url"],
            session_id=token["access_token"],
            session=self.session,
            version=self.api_version,
            parse_float=Decimal,
        )
        self.session.on_unauthorized = self._refresh
        return client

    def check(self) -> str:
        conn = self.connection
        who = (
            conn.login
            if (conn.option("grant_type") or "password") == "password"
            else conn.option("client_id")
        )
        return f"Salesforce accepted {who!r}; instance {self.client.sf_instance}"

    def _refresh(self) -> dict[str, str]:
        """A new access token after a 401 (simple-salesforce cannot refresh a session it was given)."""
        token = self._token()["access_token"]
        self.client.session_id = token
        self.client.headers["Authorization"] = f"Bearer {token}"
        return {"Authorization": f"Bearer {token}"}

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except SalesforceError as exc:
            raise _api_error(what, exc) from None

    # Reads ------------------------------------------------------------------------------------
    def _where(self, obj: ObjectSpec, since: datetime | None) -> str:
        conditions = [_condition(name, operator, value) for name, operator, value in filter_terms(obj)]
        if obj.until is not None and obj.cursor_field:  # a backfill's time window
            conditions.insert(0, f"{obj.cursor_field} < {soql_literal(obj.until)}")
        if since is not None and obj.cursor_field:
            conditions.insert(0, f"{obj.cursor_field} >= {soql_literal(since)}")
        return f" WHERE {' AND '.join(conditions)}" if conditions else ""

    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        order = f"{obj.cursor_field}, Id" if obj.cursor_field else "Id"
        soql = f"SELECT {', '.join(obj.fields)} FROM {obj.name}{self._where(obj, since)} ORDER BY {order}"
        for records, total in self._query(soql, page_size):
            last = records[-1].get(obj.cursor_field) if records and obj.cursor_field else None
            yield Page(records, parse_salesforce_datetime(last) if last else None, total)

    def _query(self, soql: str, page_size: int = 2000) -> Iterator[tuple[list[Record], int]]:
        headers = {"Sforce-Query-Options": f"batchSize={max(200, min(2000, page_size))}"}
        with self._errors("query"):
            result = self.client.query(soql, headers=headers)
        while True:
            yield [_strip_attributes(r) for r in result["records"]], int(result["totalSize"])
            if result["done"]:
                return
            with self._errors("query"):
                result = self.client.query_more(
                    result["nextRecordsUrl"], identifier_is_url=True, headers=headers
                )

    def _select_in(self, obj: ObjectSpec, field: str, values: Sequence[Any], extra: str = "") -> list[Record]:
        found: list[Record] = []
        for start in range(0, len(values), ID_CHUNK):
            chunk = ", ".join(soql_literal(v) for v in values[start : start + ID_CHUNK])
            soql = f"SELECT {', '.join(obj.fields)} FROM {obj.name} WHERE {field} IN ({chunk}){extra}"
            for records, _ in self._query(soql):
                found += records
        return found

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        return self._select_in(obj, obj.primary_key, list(ids))

    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        (first, values), *others = list(criteria.items())
        extra = "".join(
            f" AND {name} IN ({', '.join(soql_literal(v) for v in vals)})" for name, vals in others
        )
        return self._select_in(obj, first, list(values), extra)

    def read_deletes(self, obj: ObjectSpec, since: datetime | None) -> tuple[list[str], datetime | None]:
        """`sobjects/{Object}/deleted/` (Salesforce keeps 15 days; it answers to the minute)."""
        now = datetime.now(UTC)
        start = max(since or now - RECYCLE_BIN, now - RECYCLE_BIN)
        if start >= now - timedelta(minutes=1):
            return [], since
        with self._errors("deleted"):
            result = getattr(self.client, obj.name).deleted(start, now)
        covered = result.get("latestDateCovered")
        ids = [str(item["id"]) for item in result.get("deletedRecords", [])]
        return ids, parse_salesforce_datetime(covered) if covered else since

    # Describe ---------------------------------------------------------------------------------
    def describe(self, object_name: str, sample: int = 100) -> ObjectShape:
        """The object's fields from `GET sobjects/{Object}/describe` and its `sample` most recently
        modified records, read by a SOQL query of those fields."""
        with self._errors("describe"):
            described: dict[str, Any] = getattr(self.client, object_name).describe()
        name = str(described.get("name") or object_name)
        fields = tuple(field_info(f) for f in described.get("fields", []) if _describable(f))
        return ObjectShape(name, fields, tuple(self._newest(name, [f.name for f in fields], sample)))

    def _newest(self, object_name: str, names: list[str], sample: int) -> list[Record]:
        """Up to `sample` records, newest first, with every named field: one query when it fits in
        a URL, else one per group of fields, the later ones by the ids the first found."""
        if sample <= 0 or not names:
            return []
        groups = _field_groups([n for n in names if n != "Id"])
        order = " ORDER BY SystemModstamp DESC" if "SystemModstamp" in names else ""
        soql = f"SELECT {', '.join(['Id', *groups[0]])} FROM {object_name}{order} LIMIT {sample}"
        rows = [r for records, _ in self._query(soql, sample) for r in records][:sample]
        by_id = {str(r["Id"]): r for r in rows}
        for group in groups[1:]:
            spec = ObjectSpec(object_name, ("Id", *group), "Id")
            for found in self._select_in(spec, "Id", list(by_id)):
                by_id[str(found["Id"])].update(found)
        return [{n: r.get(n) for n in names} for r in rows]

    # Writes -----------------------------------------------------------------------------------
    @property
    def bulk_threshold(self) -> int:
        return int(self.connection.option("bulk_threshold") or DEFAULT_BULK_THRESHOLD)

    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(ops)
        upserts = [(i, op) for i, op in enumerate(ops) if op.target_id is None]
        updates = [(i, op) for i, op in enumerate(ops) if op.target_id is not None]
        writer = self._bulk if len(ops) >= self.bulk_threshold else self._collections
        for group, by_id in ((upserts, False), (updates, True)):
            if group:
                for index, result in zip(
                    (i for i, _ in group), writer(obj, [op for _, op in group], by_id), strict=True
                ):
                    results[index] = result
        return [r for r in results if r is not None]

    def _payload(self, obj: ObjectSpec, op: WriteOp, by_id: bool) -> Record:
        record: Record = {"attributes": {"type": obj.name}, **op.values}
        if obj.external_id_field:
            record[obj.external_id_field] = op.hub_id
        if by_id:
            record["id"] = op.target_id
        return record

    def _collections(self, obj: ObjectSpec, ops: Sequence[WriteOp], by_id: bool) -> list[WriteResult]:
        path = "composite/sobjects" if by_id else f"composite/sobjects/{obj.name}/{obj.external_id_field}"
        results: list[WriteResult] = []
        size = self.batch_size(obj)
        for start in range(0, len(ops), size):
            chunk = ops[start : start + size]
            body = {"allOrNone": False, "records": [self._payload(obj, op, by_id) for op in chunk]}
            with self._errors("write"):
                answer: Any = self.client.restful(path, method="PATCH", data=exactjson.dumps(body))
            results += [_save_result(row, op, by_id) for row, op in zip(answer, chunk, strict=True)]
        return results

    def _bulk(self, obj: ObjectSpec, ops: Sequence[WriteOp], by_id: bool) -> list[WriteResult]:
        key = "Id" if by_id else str(obj.external_id_field)
        rows = [_bulk_row(self._payload(obj, op, by_id), by_id) for op in ops]
        handle = getattr(self.client.bulk2, obj.name)
        wait = float(self.connection.option("bulk_poll_seconds") or 2.0)
        with self._errors("bulk ingest"):
            if by_id:
                jobs = handle.update(records=rows, wait=wait)
            else:
                jobs = handle.upsert(records=rows, external_id_field=key, wait=wait)
            outcome = self._bulk_outcome(handle, jobs, key)
        keys = [op.target_id if by_id else op.hub_id for op in ops]
        missing = WriteResult(None, error=RecordError("UNPROCESSED", "Bulk API did not process the record"))
        return [outcome.get(str(k), missing) for k in keys]

    def _bulk_outcome(self, handle: Any, jobs: list[dict[str, Any]], key: str) -> dict[str, WriteResult]:
        outcome: dict[str, WriteResult] = {}
        for job in jobs:
            for row in csv.DictReader(io.StringIO(handle.get_successful_records(job["job_id"]))):
                outcome[row[key]] = WriteResult(row["sf__Id"], created=row.get("sf__Created") == "true")
            for row in csv.DictReader(io.StringIO(handle.get_failed_records(job["job_id"]))):
                code, _, message = row.get("sf__Error", "").partition(":")
                outcome[row[key]] = WriteResult(None, error=RecordError(code or "FAILED", message.strip()))
        return outcome

    def delete(self, obj: ObjectSpec, ids: Sequence[str]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for start in range(0, len(ids), COLLECTION_LIMIT):
            chunk = list(ids[start : start + COLLECTION_LIMIT])
            with self._errors("delete"):
                answer: Any = self.client.restful(
                    "composite/sobjects",
                    method="DELETE",
                    params={"ids": ",".join(chunk), "allOrNone": "false"},
                )
            results += [
                _save_result(row, WriteOp("", {}, i), True) for row, i in zip(answer, chunk, strict=True)
            ]
        return results


def field_info(field: Mapping[str, Any]) -> FieldInfo:
    """A describe `fields[]` entry as a FieldInfo: required when a new record must be given a value
    (createable, not nillable, not defaulted on create), read-only when neither createable nor
    updateable, the active picklist values as options."""
    createable, updateable = bool(field.get("createable")), bool(field.get("updateable"))
    required = createable and not field.get("nillable") and not field.get("defaultedOnCreate")
    values = field.get("picklistValues") or []
    return FieldInfo(
        name=str(field["name"]),
        label=str(field.get("label") or ""),
        type=str(field.get("type") or "").lower(),
        required=required,
        custom=bool(field.get("custom")),
        readonly=not createable and not updateable,
        options=tuple(str(v["value"]) for v in values if v.get("active", True) and "value" in v),
    )


def _describable(field: Mapping[str, Any]) -> bool:
    return not field.get("deprecatedAndHidden") and str(field.get("type")).lower() not in COMPOUND_TYPES


def _field_groups(names: Sequence[str]) -> list[list[str]]:
    """Field names in groups whose SELECT lists stay within SELECT_BUDGET characters."""
    groups: list[list[str]] = [[]]
    size = 0
    for name in names:
        if groups[-1] and size + len(name) + 2 > SELECT_BUDGET:
            groups.append([])
            size = 0
        groups[-1].append(name)
        size += len(name) + 2
    return groups


def _bulk_row(record: Record, by_id: bool) -> dict[str, str]:
    # In Bulk API CSV an empty cell leaves a field unchanged; #N/A is how a field is cleared.
    row = {k: v for k, v in record.items() if k != "attributes"}
    if by_id:
        row["Id"] = row.pop("id")
    return {k: "#N/A" if v is None else _csv_text(v) for k, v in row.items()}


def _csv_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _save_result(row: Mapping[str, Any], op: WriteOp, by_id: bool) -> WriteResult:
    if row.get("success"):
        return WriteResult(str(row["id"]), created=bool(row.get("created")) and not by_id)
    errors = row.get("errors") or [{}]
    first = errors[0]
    message = "; ".join(str(e.get("message", "")) for e in errors)
    return WriteResult(
        op.target_id,
        error=RecordError(str(first.get("statusCode", "ERROR")), message, tuple(first.get("fields") or ())),
    )


def _oauth_error(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    return f"{body.get('error', 'error')}: {body.get('error_description', '')}".strip()


def _api_error(what: str, exc: SalesforceError) -> APIError:
    content: Any = exc.content
    first: dict[str, Any] = (
        content[0] if isinstance(content, list) and content and isinstance(content[0], dict) else {}
    )
    code, message = first.get("errorCode"), redact(first.get("message") or str(content)[:300])
    status = int(getattr(exc, "status", 0) or 0)
    if status == 401:
        return AuthenticationError("salesforce", f"{what}: {message}", status=status, code=code)
    if code == "REQUEST_LIMIT_EXCEEDED" or status >= 500:
        return RetryableAPIError("salesforce", f"{what}: {message}", status=status, code=code)
    return FatalAPIError("salesforce", f"{what}: {message}", status=status, code=code)
