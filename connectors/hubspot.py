"""HubSpot CRM v3 (contacts, companies, deals, tickets) through its REST API.

Reads are incremental through the search endpoint: modified at or after the cursor, sorted by the
modified-date property (`lastmodifieddate` on contacts, `hs_lastmodifieddate` elsewhere), 200 per page
with `after` paging. A search query stops at 10,000 results, so before reaching that ceiling the
connector starts a new query whose window begins at the last modified time it saw, skipping the
records of that instant it already returned.

Writes go through `batch/upsert` on the unique `hub_id` property (100 inputs per call) for records the
hub has not linked yet, and `batch/update` by HubSpot id for the others; each input carries an
`objectWriteTraceId` (the hub id, or the HubSpot id of an update), and a 207 Multi-Status answer is
mapped back to one result per record by the ids or trace ids its errors name, with the code and property
of HubSpot's "Property values were not valid: [...]" list in words. HubSpot refuses a whole batch (409
CONFLICT, "Contact already exists. Existing ID: 123") when one contact would take an e-mail another
contact has: the connector reads that contact's e-mail, sets the record that carries it aside with the
reason and sends the rest again (halving the batch when no record can be told apart), so one duplicate
costs no other record.
`describe` reads the object's properties (`GET /crm/v3/properties/{objectType}`) and its most recently
modified records through a search asking for every one of them.
Authentication is a bearer token (a private-app token, or an OAuth access token) in the password.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from hub.errors import AuthenticationError, FatalAPIError, QuotaExhausted
from hub.io.budget import RateLimit
from hub.io.connector import Connector, FieldInfo, FormField, ObjectShape, ObjectSpec
from hub.io.records import Page, Record, RecordError, WriteOp, WriteResult
from hub.io.redact import redact
from hub.io.rest import RequestAuth, RESTConnector, json_body

BATCH = 100
SEARCH_PAGE = 200
SEARCH_CEILING = 10_000
DEFAULT_HOST = "https://api.hubapi.com"
EXISTING_ID = re.compile(r"Existing ID: (\d+)")
TAKEN_EMAIL = re.compile(r"A contact with email (\S+) already exists")
INVALID_VALUES = "Property values were not valid: "
# Modified-date properties to sort a sample by, the one HubSpot keeps on most objects first.
MODIFIED_DATES = ("hs_lastmodifieddate", "lastmodifieddate")


def property_problems(message: str) -> list[dict[str, Any]]:
    """The list HubSpot embeds, as JSON text, in a "Property values were not valid: [...]" message
    (`error` PROPERTY_DOESNT_EXIST, INVALID_EMAIL…, `name` the property); [] when there is none or it
    is not JSON (HubSpot's documentation shows `"portalId":{HubId}` there)."""
    if not message.startswith(INVALID_VALUES):
        return []
    try:
        found = json.loads(message[len(INVALID_VALUES) :])
    except ValueError:
        return []
    return [p for p in found if isinstance(p, dict)] if isinstance(found, list) else []


def problem_detail(body: Mapping[str, Any]) -> tuple[str | None, str, tuple[str, ...]]:
    """A HubSpot error's code, readable message and the properties it names: its `errors[]` (code,
    message, `context.propertyName`) when given, else the list embedded in its message."""
    message = str(body.get("message") or "")
    details = [d for d in body.get("errors") or [] if isinstance(d, dict) and d.get("message")]
    if details:
        fields: list[str] = []
        for detail in details:
            context = detail.get("context")
            names = context.get("propertyName") if isinstance(context, dict) else None
            fields += [str(n) for n in names or [] if isinstance(names, list)]
        code = next((str(d["code"]) for d in details if d.get("code")), None)
        return code, "; ".join(str(d["message"]) for d in details), tuple(fields)
    problems = property_problems(message)
    if problems:
        code = next((str(p["error"]) for p in problems if p.get("error")), None)
        text = "; ".join(str(p.get("message") or p.get("error") or "") for p in problems)
        return code, text, tuple(str(p["name"]) for p in problems if p.get("name"))
    return None, message, ()


def parse_hubspot_datetime(value: Any) -> datetime | None:
    """ISO-8601 (`2024-01-15T14:22:10.456Z`) or epoch milliseconds, as HubSpot writes dates."""
    if value in (None, ""):
        return None
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def field_info(prop: Mapping[str, Any]) -> FieldInfo:
    """A property from `GET /crm/v3/properties/{objectType}` as a FieldInfo: its `type` (string,
    number, datetime, date, enumeration, bool), or for a string the `fieldType` when it says more
    (textarea, phonenumber, html, file); custom unless `hubspotDefined`; read-only when
    `modificationMetadata.readOnlyValue` (or calculated); the values of its visible options."""
    kind, field_type = str(prop.get("type") or "").lower(), str(prop.get("fieldType") or "").lower()
    if kind == "string" and field_type not in ("", "text"):
        kind = field_type
    metadata = prop.get("modificationMetadata") or {}
    options = prop.get("options") or []
    return FieldInfo(
        name=str(prop["name"]),
        label=str(prop.get("label") or ""),
        type=kind,
        custom=not prop.get("hubspotDefined"),
        readonly=bool(metadata.get("readOnlyValue") or prop.get("calculated")),
        options=tuple(str(o["value"]) for o in options if not o.get("hidden") and "value" in o),
    )


def _epoch_ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def _value(value: Any) -> Any:
    """A property value as HubSpot takes it (strings, numbers and booleans as they are)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


class HubSpotConnector(RESTConnector):
    """HubSpot CRM (v3 objects, search and batch APIs)."""

    system = "hubspot"
    display_name = "HubSpot"
    conn_type = "hubspot"
    default_conn_id = "hubspot_default"
    credential_name = "the token"
    max_batch = BATCH
    max_page = SEARCH_PAGE
    reads_windows = True
    supports_deletes = True
    # burst limit of a private app on Free/Starter (Professional/Enterprise: 190/10, set `rate_limit`);
    # the X-HubSpot-RateLimit-* headers correct it as they arrive
    rate_limit = RateLimit(100, 10)
    form_fields = {
        **Connector.form_fields,
        "id_property": FormField("Hub id property", "Unique property holding the hub id (hub_id)"),
    }
    standard_fields = {
        "hidden": ["schema", "login", "port"],
        "labels": {"host": "API base URL", "password": "Private app token"},
        "placeholders": {"host": DEFAULT_HOST, "password": "pat-na1-…"},
    }

    # HTTP -------------------------------------------------------------------------------------
    @property
    def id_property(self) -> str:
        return str(self.connection.option("id_property") or "hub_id")

    def api_root(self) -> str:
        return self.connection.base_url() if self.connection.host else DEFAULT_HOST

    def credentials(self) -> RequestAuth:
        """The private-app (or OAuth) token as a Bearer."""
        return RequestAuth(headers={"Authorization": f"Bearer {self.connection.password or ''}"})

    def is_idempotent(self, method: str, path_or_url: str) -> bool:
        """Always: searches and batch reads are reads, upserts are keyed on the hub id, updates and
        archives by id."""
        return True

    def budget_spent(self, response: Any) -> QuotaExhausted | None:
        """HubSpot's daily limit, spent (a 429 whose `policyName` is DAILY) or about to be (an answer
        whose `X-HubSpot-RateLimit-Daily-Remaining` is 0): retrying would only wait for tomorrow, and
        every call more would be refused, so the run stops at once. The day ends at midnight in the
        account's time zone, which the API does not say."""
        body = json_body(response) if response.status_code == 429 else None
        daily = isinstance(body, dict) and body.get("policyName") == "DAILY"
        if not daily and response.headers.get("X-HubSpot-RateLimit-Daily-Remaining", "").strip() != "0":
            return None
        request = response.request
        shown = f"{request.method} {urlsplit(str(request.url)).path}"
        state = "is spent" if daily else "was reached by this request"
        limit = response.headers.get("X-HubSpot-RateLimit-Daily", "?")
        return QuotaExhausted(
            "hubspot",
            f"{shown}: the account's daily API limit ({limit} requests) {state}; it resets at midnight "
            "in the HubSpot account's time zone, and nothing more was sent",
            status=response.status_code,
            code="DAILY" if daily else None,
        )

    def error_detail(self, response: requests.Response) -> tuple[str | None, str]:
        """HubSpot's error `category` (`VALIDATION_ERROR`, `RATE_LIMITS`) and `message`."""
        body = json_body(response)
        if isinstance(body, list):  # not HubSpot's shape (something in between answered): its words
            said = [str(d["message"]) for d in body if isinstance(d, dict) and d.get("message")]
            return None, "; ".join(said) or super().error_detail(response)[1]
        if not isinstance(body, dict) or not body.get("message"):
            return super().error_detail(response)
        category = body.get("category")
        code, readable, fields = problem_detail(body)
        message = str(body["message"])
        if code and readable != message:  # "Property values were not valid: [{\"isValid\"…" made readable
            message = f"{readable} ({code}{': ' + ', '.join(fields) if fields else ''})"
            if self.id_property in fields and code == "PROPERTY_DOESNT_EXIST":
                message += (
                    f"; create the unique property {self.id_property!r} on this object in HubSpot, "
                    "or set the connection's id_property"
                )
        return (str(category) if category else None), message

    def refusal(self, method: str, path_or_url: str, response: requests.Response) -> AuthenticationError:
        """HubSpot's refusal; for an OAuth access token that expired (EXPIRED_AUTHENTICATION), said so
        with what to do: such tokens last 30 minutes and the hub does not refresh them."""
        code, detail = self.error_detail(response)
        if code != "EXPIRED_AUTHENTICATION":
            return super().refusal(method, path_or_url, response)
        return AuthenticationError(
            self.system,
            f"connection {self.connection.conn_id!r}: HubSpot's OAuth access token has expired "
            f"({self.shown(method, path_or_url)}: {redact(detail)[:200]}); its access tokens last 30 "
            "minutes: put a private app's token, which does not expire, in the connection's password, "
            "or a freshly refreshed OAuth token before each run",
            status=response.status_code,
            code=code,
        )

    def check(self) -> str:
        self.call("GET", "/crm/v3/objects/contacts", params={"limit": 1})
        return "HubSpot accepted the token"

    # Reads ------------------------------------------------------------------------------------
    def _properties(self, obj: ObjectSpec) -> list[str]:
        return [f for f in obj.fields if f != obj.primary_key]

    def _flatten(self, row: Mapping[str, Any]) -> Record:
        return {"id": str(row["id"]), **(row.get("properties") or {})}

    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        cursor = obj.cursor_field or "hs_lastmodifieddate"
        limit = max(1, min(SEARCH_PAGE, page_size))
        window, after, seen_at_start = since, "", set[str]()
        consumed = 0  # results this query has answered: `after` is opaque, so they are counted
        while True:
            filters = (
                [{"propertyName": cursor, "operator": "GTE", "value": _epoch_ms(window)}] if window else []
            )
            if obj.until is not None:  # a backfill's time window
                filters.append({"propertyName": cursor, "operator": "LT", "value": _epoch_ms(obj.until)})
            body = {
                "filterGroups": [{"filters": [*filters, *self._filter(obj)]}]
                if filters or obj.filter
                else [],
                "sorts": [{"propertyName": cursor, "direction": "ASCENDING"}],
                "properties": self._properties(obj),
                "limit": limit,
                **({"after": after} if after else {}),
            }
            answer = self.call("POST", f"/crm/v3/objects/{obj.name}/search", body=body, expect=dict)
            rows = [self._flatten(r) for r in answer.get("results", [])]
            consumed += len(rows)
            fresh = [r for r in rows if r["id"] not in seen_at_start]
            last = parse_hubspot_datetime(rows[-1].get(cursor)) if rows else None
            if fresh:
                yield Page(fresh, last, int(answer.get("total", 0)))
            following = ((answer.get("paging") or {}).get("next") or {}).get("after")
            if following is None or not rows:
                return
            after = str(following)  # opaque ("NTI1Cg%3D%3D"): sent back as it came, never computed on
            if consumed + limit > SEARCH_CEILING:  # re-window: a new query from the last instant seen
                if last is None or last == window:
                    raise FatalAPIError("hubspot", f"more than {SEARCH_CEILING:,} records share one {cursor}")
                window, after, consumed = last, "", 0
                seen_at_start = {r["id"] for r in rows if parse_hubspot_datetime(r.get(cursor)) == last}

    def _filter(self, obj: ObjectSpec) -> list[dict[str, Any]]:
        return [
            {"propertyName": name, "operator": "EQ", "value": _value(value)}
            for name, value in obj.filter.items()
            if not isinstance(value, dict)
        ]

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        found: list[Record] = []
        for start in range(0, len(ids), BATCH):
            body = {
                "properties": self._properties(obj),
                "inputs": [{"id": i} for i in ids[start : start + BATCH]],
            }
            answer = self.call("POST", f"/crm/v3/objects/{obj.name}/batch/read", body=body, expect=dict)
            found += [self._flatten(r) for r in answer.get("results", [])]
        return found

    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        found: dict[str, Record] = {}
        names = list(criteria)
        if not names:
            return []
        first, rest = names[0], names[1:]
        values = list(criteria[first])
        for start in range(0, len(values), BATCH):
            filters = [
                {
                    "propertyName": first,
                    "operator": "IN",
                    "values": [_value(v) for v in values[start : start + BATCH]],
                }
            ]
            filters += [
                {"propertyName": n, "operator": "IN", "values": [_value(v) for v in criteria[n]]}
                for n in rest
            ]
            after = ""
            while True:
                body = {
                    "filterGroups": [{"filters": filters + self._filter(obj)}],
                    "properties": self._properties(obj),
                    "limit": SEARCH_PAGE,
                    **({"after": after} if after else {}),
                }
                answer = self.call("POST", f"/crm/v3/objects/{obj.name}/search", body=body, expect=dict)
                for row in answer.get("results", []):
                    found[str(row["id"])] = self._flatten(row)
                following = ((answer.get("paging") or {}).get("next") or {}).get("after")
                if following is None:
                    break
                after = str(following)
        return list(found.values())

    # Describe ---------------------------------------------------------------------------------
    def describe(self, object_name: str, sample: int = 100) -> ObjectShape:
        """The object's properties (`GET /crm/v3/properties/{objectType}`, archived ones left out)
        and its `sample` most recently modified records, searched for with every property."""
        answer = self.call(
            "GET", f"/crm/v3/properties/{object_name}", params={"archived": "false"}, expect=dict
        )
        fields = tuple(field_info(p) for p in answer.get("results", []) if not p.get("archived"))
        return ObjectShape(object_name, fields, tuple(self._newest(object_name, fields, sample)))

    def _newest(self, object_name: str, fields: Sequence[FieldInfo], sample: int) -> list[Record]:
        """Up to `sample` records, most recently modified first, keyed by the described names."""
        names = [f.name for f in fields]
        wanted = min(sample, SEARCH_CEILING)
        modified = next((n for n in MODIFIED_DATES if n in names), None)
        sorts = [{"propertyName": modified, "direction": "DESCENDING"}] if modified else []
        rows: list[Record] = []
        after = ""
        while len(rows) < wanted:
            body = {
                "filterGroups": [],
                "sorts": sorts,
                "properties": names,
                "limit": min(SEARCH_PAGE, wanted - len(rows)),
                **({"after": after} if after else {}),
            }
            answer = self.call("POST", f"/crm/v3/objects/{object_name}/search", body=body, expect=dict)
            found = answer.get("results", [])
            rows += [{n: (r.get("properties") or {}).get(n) for n in names} for r in found]
            following = ((answer.get("paging") or {}).get("next") or {}).get("after")
            if following is None or not found:
                break
            after = str(following)
        return rows[:wanted]

    # Writes -----------------------------------------------------------------------------------
    def _properties_of(self, obj: ObjectSpec, op: WriteOp) -> dict[str, Any]:
        values = {
            k: _value(v) for k, v in op.values.items() if k != obj.primary_key and k != obj.cursor_field
        }
        written = {k: _value(v) for k, v in obj.filter.items() if not isinstance(v, dict)}
        return {**written, **values, self.id_property: op.hub_id}

    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(ops)
        linked = [i for i, op in enumerate(ops) if op.target_id]
        unlinked = [i for i, op in enumerate(ops) if not op.target_id]
        for start in range(0, len(unlinked), BATCH):
            self._upsert(obj, ops, unlinked[start : start + BATCH], results)
        for start in range(0, len(linked), BATCH):
            self._update(obj, ops, linked[start : start + BATCH], results)
        return [
            r or WriteResult(None, error=RecordError("NO_RESULT", "HubSpot returned no result"))
            for r in results
        ]

    def _upsert(
        self, obj: ObjectSpec, ops: Sequence[WriteOp], chunk: list[int], results: list[WriteResult | None]
    ) -> None:
        inputs = [
            (
                i,
                {
                    "id": ops[i].hub_id,
                    "idProperty": self.id_property,
                    "properties": self._properties_of(obj, ops[i]),
                    "objectWriteTraceId": ops[i].hub_id,
                },
            )
            for i in chunk
        ]
        answer = self._batch(obj, "upsert", inputs, results)
        by_key = {ops[i].hub_id: i for i in chunk}
        for row in answer.get("results", []):
            index = by_key.get(str((row.get("properties") or {}).get(self.id_property)))
            if index is not None:
                results[index] = WriteResult(str(row["id"]), created=bool(row.get("new")))
        self._errors(answer, by_key, results)

    def _update(
        self, obj: ObjectSpec, ops: Sequence[WriteOp], chunk: list[int], results: list[WriteResult | None]
    ) -> None:
        inputs = [
            (
                i,
                {
                    "id": ops[i].target_id,
                    "properties": self._properties_of(obj, ops[i]),
                    "objectWriteTraceId": str(ops[i].target_id),
                },
            )
            for i in chunk
        ]
        answer = self._batch(obj, "update", inputs, results)
        by_key = {str(ops[i].target_id): i for i in chunk}
        for row in answer.get("results", []):
            index = by_key.get(str(row["id"]))
            if index is not None:
                results[index] = WriteResult(str(row["id"]))
        self._errors(answer, by_key, results)

    def _batch(
        self,
        obj: ObjectSpec,
        op: str,
        inputs: list[tuple[int, dict[str, Any]]],
        results: list[WriteResult | None],
    ) -> dict[str, Any]:
        """One batch call's answer; when HubSpot refuses the batch whole for a contact whose e-mail
        another contact has (409), that record's result is the conflict and the rest go again."""
        path = f"/crm/v3/objects/{obj.name}/batch/{op}"
        response = self.request("POST", path, body={"inputs": [body for _, body in inputs]})
        if response.status_code != 409:
            if response.status_code >= 400:
                raise self.failure("POST", path, response)
            answer = json_body(response)
            return answer if isinstance(answer, dict) else {}
        _, message = self.error_detail(response)
        culprit = self._conflicting(obj, inputs, message, json_body(response))
        if culprit is None and len(inputs) > 1:  # no telling which: each half on its own
            half = len(inputs) // 2
            first, second = (self._batch(obj, op, part, results) for part in (inputs[:half], inputs[half:]))
            return {
                "results": [*first.get("results", []), *second.get("results", [])],
                "errors": [*(first.get("errors") or []), *(second.get("errors") or [])],
            }
        index, _ = inputs[culprit or 0]
        existing = EXISTING_ID.search(message)
        reason = (
            f"HubSpot already has this e-mail on contact {existing.group(1)}: match contacts on email to "
            "link the two, or correct the address"
            if existing
            else message
        )
        results[index] = WriteResult(None, error=RecordError("CONFLICT", f"{reason} ({message})", ("email",)))
        rest = [pair for pair in inputs if pair[0] != index]
        return self._batch(obj, op, rest, results) if rest else {}

    def _conflicting(
        self, obj: ObjectSpec, inputs: list[tuple[int, dict[str, Any]]], message: str, body: Any
    ) -> int | None:
        """Which input carries the e-mail of the contact a 409 names (None: none can be told): the
        e-mail HubSpot names in `errors[].message`, else the one the existing contact has."""
        details = body.get("errors") if isinstance(body, dict) else None
        emails = {
            found.group(1).lower()
            for detail in details or []
            if isinstance(detail, dict) and (found := TAKEN_EMAIL.search(str(detail.get("message") or "")))
        }
        existing = EXISTING_ID.search(message)
        if not emails and existing is not None:
            read = {"inputs": [{"id": existing.group(1)}], "properties": ["email"]}
            answer = self.call("POST", f"/crm/v3/objects/{obj.name}/batch/read", body=read, expect=dict) or {}
            emails = {
                str((row.get("properties") or {}).get("email") or "").lower()
                for row in answer.get("results", [])
            } - {""}
        for position, (_, sent) in enumerate(inputs):
            if str((sent.get("properties") or {}).get("email") or "").lower() in emails:
                return position
        return None

    def _errors(
        self, answer: Mapping[str, Any], by_key: Mapping[str, int], results: list[WriteResult | None]
    ) -> None:
        """Each error of a batch answer (207 Multi-Status) given to the records its `context` names:
        by `ids`, or by the `objectWriteTraceId` the connector sent with each input (its hub id for an
        upsert, the HubSpot id for an update), as HubSpot's multi-status answers name them."""
        for problem in answer.get("errors", []) or []:
            if not isinstance(problem, dict):
                continue
            context = problem.get("context")
            context = context if isinstance(context, dict) else {}
            code, message, fields = problem_detail(problem)
            whole = str(problem.get("message") or message)
            shown = f"{message} ({whole})" if code and message != whole else whole
            error = RecordError(code or str(problem.get("category") or "ERROR"), shown, fields)
            for key in [*(context.get("ids") or []), *(context.get("objectWriteTraceId") or [])]:
                index = by_key.get(str(key))
                if index is not None:
                    results[index] = WriteResult(None, error=error)

    def read_deletes(self, obj: ObjectSpec, since: datetime | None) -> tuple[list[str], datetime | None]:
        """Archived records (`archived=true` listing), archived at or after `since`."""
        deleted: list[str] = []
        latest, after = since, "0"
        while True:
            params = {"archived": "true", "limit": 100, "after": after}
            answer = self.call("GET", f"/crm/v3/objects/{obj.name}", params=params, expect=dict)
            for row in answer.get("results", []):
                when = parse_hubspot_datetime(row.get("archivedAt"))
                if when is not None and (since is None or when >= since):
                    deleted.append(str(row["id"]))
                    latest = when if latest is None else max(latest, when)
            following = ((answer.get("paging") or {}).get("next") or {}).get("after")
            if following is None:
                return deleted, latest
            after = str(following)

    def delete(self, obj: ObjectSpec, ids: Sequence[str]) -> list[WriteResult]:
        for start in range(0, len(ids), BATCH):
            inputs = [{"id": i} for i in ids[start : start + BATCH]]
            self.call(
                "POST", f"/crm/v3/objects/{obj.name}/batch/archive", body={"inputs": inputs}, expect=dict
            )
        return [WriteResult(str(i)) for i in ids]
