"""Zendesk Support through its REST API (`/api/v2`): users, organizations and tickets.

Connection (Airflow conn_type `zendesk`): host = `https://{subdomain}.zendesk.com`, login = the
agent's email, password = an API token (sent as Basic `{email}/token:{token}`); extras: `oauth_token`
(sent as `Bearer` instead), `ca_bundle`, `job_poll_interval` (seconds, 1), `job_timeout` (600).

Reads:  incremental exports from `start_time` = the cursor in unix seconds. Users and tickets use
        the cursor-based export (`after_cursor` until `end_of_stream`), which never loses records
        sharing one second; organizations only have the time-based export, whose pages repeat the
        records of their last second, so those are deduplicated on (id, updated_at).
Writes: `create_or_update_many` (at most 100 records; matched on id, then `external_id` = the hub
        id, then, for users, email), up to 10 jobs submitted at once, then polled together through
        `job_statuses/show_many` until each completes; its
        results (one per record, in order, with `index`) become one WriteResult per op.
Quirks:  timestamps `2023-09-18T23:24:43Z` (whole seconds, UTC); 429s say `Retry-After` and have a
        plain-text body; a job result for a refused record reads `{"error", "details", "status":
        "Failed"}` with the reason in `details`; a 401 says `{"error": "Couldn't authenticate you"}`
        (a sentence, not a code) and the 403 of an agent without access nests its title and message
        (`{"error": {"title": "Forbidden", "message": ...}}`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import requests

from hub.errors import AuthenticationError, FatalAPIError, RetryableAPIError
from hub.io.budget import RateLimit
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
from hub.io.rest import RequestAuth, RESTConnector, json_body

KINDS = {"users": "users", "user": "users", "organizations": "organizations"}
KINDS |= {"organization": "organizations", "tickets": "tickets", "ticket": "tickets"}
SINGULAR = {"users": "user", "organizations": "organization", "tickets": "ticket"}
DATETIME, TICKET_TYPES = "datetime", ("problem", "incident", "question", "task")
# The documented JSON of each object ("Users", "Organizations", "Tickets" in Zendesk's API reference):
# (key, type, mandatory, read-only, enumerated values). Zendesk types them string, integer, boolean,
# array or object; timestamps (strings of format date-time) are `datetime` here. Custom fields come
# from the account's field lists; nested objects are named by their dotted paths.
STANDARD: dict[str, tuple[tuple[str, str, bool, bool, tuple[str, ...]], ...]] = {
    "users": (
        ("id", "integer", False, True, ()),
        ("url", "string", False, True, ()),
        ("name", "string", True, False, ()),
        ("email", "string", False, False, ()),
        ("phone", "string", False, False, ()),
        ("shared_phone_number", "boolean", False, False, ()),
        ("external_id", "string", False, False, ()),
        ("organization_id", "integer", False, False, ()),
        ("role", "string", False, False, ("end-user", "agent", "admin")),
        ("role_type", "integer", False, True, ()),
        ("custom_role_id", "integer", False, False, ()),
        ("default_group_id", "integer", False, False, ()),
        ("details", "string", False, False, ()),
        ("notes", "string", False, False, ()),
        ("alias", "string", False, False, ()),
        ("signature", "string", False, False, ()),
        ("tags", "array", False, False, ()),
        ("time_zone", "string", False, False, ()),
        ("iana_time_zone", "string", False, True, ()),
        ("locale", "string", False, False, ()),
        ("locale_id", "integer", False, False, ()),
        ("active", "boolean", False, True, ()),
        ("suspended", "boolean", False, False, ()),
        ("verified", "boolean", False, False, ()),
        ("moderator", "boolean", False, False, ()),
        ("only_private_comments", "boolean", False, False, ()),
        ("restricted_agent", "boolean", False, False, ()),
        ("ticket_restriction", "string", False, False, ("organization", "groups", "assigned", "requested")),
        ("shared", "boolean", False, True, ()),
        ("shared_agent", "boolean", False, True, ()),
        ("two_factor_auth_enabled", "boolean", False, True, ()),
        ("report_csv", "boolean", False, True, ()),
        ("photo", "object", False, False, ()),
        ("last_login_at", DATETIME, False, True, ()),
        ("created_at", DATETIME, False, True, ()),
        ("updated_at", DATETIME, False, True, ()),
    ),
    "organizations": (
        ("id", "integer", False, True, ()),
        ("url", "string", False, True, ()),
        ("name", "string", True, False, ()),
        ("external_id", "string", False, False, ()),
        ("details", "string", False, False, ()),
        ("notes", "string", False, False, ()),
        ("domain_names", "array", False, False, ()),
        ("group_id", "integer", False, False, ()),
        ("shared_tickets", "boolean", False, False, ()),
        ("shared_comments", "boolean", False, False, ()),
        ("tags", "array", False, False, ()),
        ("created_at", DATETIME, False, True, ()),
        ("updated_at", DATETIME, False, True, ()),
    ),
    "tickets": (
        ("id", "integer", False, True, ()),
        ("url", "string", False, True, ()),
        ("external_id", "string", False, False, ()),
        ("subject", "string", False, False, ()),
        ("raw_subject", "string", False, False, ()),
        ("description", "string", False, True, ()),
        ("type", "string", False, False, TICKET_TYPES),
        ("status", "string", False, False, ("new", "open", "pending", "hold", "solved", "closed")),
        ("priority", "string", False, False, ("urgent", "high", "normal", "low")),
        ("requester_id", "integer", True, False, ()),
        ("submitter_id", "integer", False, False, ()),
        ("assignee_id", "integer", False, False, ()),
        ("organization_id", "integer", False, False, ()),
        ("group_id", "integer", False, False, ()),
        ("collaborator_ids", "array", False, False, ()),
        ("follower_ids", "array", False, False, ()),
        ("email_cc_ids", "array", False, False, ()),
        ("recipient", "string", False, False, ()),
        ("forum_topic_id", "integer", False, True, ()),
        ("problem_id", "integer", False, False, ()),
        ("has_incidents", "boolean", False, True, ()),
        ("is_public", "boolean", False, True, ()),
        ("due_at", DATETIME, False, False, ()),
        ("tags", "array", False, False, ()),
        ("via.channel", "string", False, True, ()),
        ("satisfaction_rating", "object", False, True, ()),
        ("sharing_agreement_ids", "array", False, True, ()),
        ("custom_status_id", "integer", False, False, ()),
        ("followup_ids", "array", False, True, ()),
        ("ticket_form_id", "integer", False, False, ()),
        ("brand_id", "integer", False, False, ()),
        ("allow_channelback", "boolean", False, True, ()),
        ("allow_attachments", "boolean", False, True, ()),
        ("from_messaging_channel", "boolean", False, True, ()),
        ("created_at", DATETIME, False, True, ()),
        ("updated_at", DATETIME, False, True, ()),
    ),
}
# A ticket's system fields (`ticket_fields` with removable false) by the record key they fill.
SYSTEM_TICKET_FIELDS = {"subject": "subject", "description": "description", "status": "status"}
SYSTEM_TICKET_FIELDS |= {"type": "tickettype", "priority": "priority", "group_id": "group"}
SYSTEM_TICKET_FIELDS |= {"assignee_id": "assignee", "custom_status_id": "custom_status"}
CURSOR_EXPORTS = frozenset({"users", "tickets"})
ZENDESK_TIME = "%Y-%m-%dT%H:%M:%SZ"
# Jobs submitted before polling: Zendesk queues up to 30 per account; leave room for other clients.
JOBS_IN_FLIGHT = 10
DONE = frozenset({"completed", "failed", "killed"})
MANY = 100  # ids per show_many call
ERROR_CODE = re.compile(r"[A-Za-z]+")  # RecordNotFound, TooManyValues; not "Couldn't authenticate you"


def parse_zendesk_time(text: str) -> datetime:
    """A Zendesk timestamp (`2023-09-18T23:24:43Z`) as an aware UTC datetime."""
    return datetime.strptime(text, ZENDESK_TIME).replace(tzinfo=UTC)


class ZendeskConnector(RESTConnector):
    """Zendesk Support (REST API v2, API token or OAuth)."""

    system = "zendesk"
    display_name = "Zendesk Support"
    conn_type = "zendesk"
    default_conn_id = "zendesk_default"
    max_batch = 100
    max_page = 1000
    # the account limit of the smallest plan (200 to 2500 a minute by plan): X-Rate-Limit says which
    rate_limit = RateLimit(200, 60)
    form_fields = {
        **Connector.form_fields,
        "oauth_token": FormField("OAuth token", "Sent as a Bearer token instead of the API token", True),
        "job_poll_interval": FormField(
            "Job poll interval", "Seconds between job status checks (1)", kind="number"
        ),
        "job_timeout": FormField(
            "Job timeout", "Longest wait for one batch job, in seconds (600)", kind="number"
        ),
    }
    standard_fields = {
        "hidden": ["schema", "port"],
        "labels": {"host": "Zendesk URL", "login": "Agent email", "password": "API token"},
        "placeholders": {"host": "https://mycompany.zendesk.com", "login": "agent@mycompany.com"},
    }

    def __init__(self, *args: Any, sleep: Callable[[float], None] = time.sleep, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sleep = sleep

    # HTTP -------------------------------------------------------------------------------------
    def api_root(self) -> str:
        return f"{self.connection.base_url()}/api/v2"

    def credentials(self) -> RequestAuth:
        """The OAuth token as a Bearer when there is one, else Basic `{email}/token:{api token}`."""
        token = self.connection.option("oauth_token")
        if token:
            return RequestAuth(headers={"Authorization": f"Bearer {token}"})
        return RequestAuth(basic=(f"{self.connection.login or ''}/token", self.connection.password or ""))

    def is_idempotent(self, method: str, path_or_url: str) -> bool:
        """Always: reads, and upserts keyed on external_id, are safe to replay."""
        return True

    def error_detail(self, response: requests.Response) -> tuple[str | None, str]:
        """Zendesk's error code and description (JSON bodies), or the plain text of the answer.

        Zendesk's bodies come in three shapes: `{"error": "RecordNotFound", "description": ...}`,
        `{"error": "Couldn't authenticate you"}` (a sentence, not a code), and the 403 of an agent
        without access, `{"error": {"title": "Forbidden", "message": ...}}`."""
        body = json_body(response)
        if not isinstance(body, dict):
            return super().error_detail(response)
        error = body.get("error")
        if isinstance(error, dict):
            title, message = error.get("title"), error.get("message")
            code = str(title) if isinstance(title, str) and ERROR_CODE.fullmatch(title) else None
            return code, ": ".join(str(p) for p in (title, message) if p) or str(body)
        code = error if isinstance(error, str) and ERROR_CODE.fullmatch(error) else None
        parts = [str(p) for p in (error, body.get("description"), _details(body.get("details"))) if p]
        return code, "; ".join(parts) or str(body)

    def hint(self, method: str, path_or_url: str, response: requests.Response) -> str | None:
        """A 403 is Zendesk knowing the caller and refusing the request: say what to change."""
        if response.status_code == 403:
            return "the agent's role (or the OAuth token's scopes) does not allow this request"
        return None

    def check(self) -> str:
        user = self.call("GET", "users/me.json").get("user") or {}
        if not user.get("id"):
            raise AuthenticationError(
                "zendesk", f"connection {self.connection.conn_id!r}: Zendesk treats the caller as anonymous"
            )
        return f"Zendesk accepted {user.get('email')!r} (user {user['id']}, role {user.get('role')})"

    def _kind(self, obj: ObjectSpec | str) -> str:
        name = obj if isinstance(obj, str) else obj.name
        try:
            return KINDS[name.lower()]
        except KeyError:
            raise FatalAPIError(
                "zendesk", f"unknown object {name!r}; use users, organizations or tickets"
            ) from None

    # Describe ---------------------------------------------------------------------------------
    def describe(self, object_name: str, sample: int = 100) -> ObjectShape:
        """The object's documented fields (`STANDARD`), the account's own from `GET
        /api/v2/{user,organization,ticket}_fields` (users' as `user_fields.<key>`, organizations' as
        `organization_fields.<key>`, tickets' as `custom_fields.<id>`; a ticket's system fields
        give the standard ones their titles and options), and up to `sample` records from the plain
        list (`GET /api/v2/{kind}.json`, cursor paged), flattened to those names."""
        kind = self._kind(object_name)
        fields = self._fields(kind)
        records = self._sample(kind, max(0, sample))
        rows = tuple({f.name: _described_value(record, f.name) for f in fields} for record in records)
        return ObjectShape(kind, fields, rows)

    def _field_definitions(self, kind: str) -> list[dict[str, Any]]:
        resource = f"{SINGULAR[kind]}_fields"
        found: list[dict[str, Any]] = []
        url: str = f"{resource}.json"
        params: dict[str, Any] | None = {"per_page": 100}
        while url:
            body = self.call("GET", url, params=params)
            found += body.get(resource) or []
            url, params = body.get("next_page") or "", None
        return found

    def _fields(self, kind: str) -> tuple[FieldInfo, ...]:
        definitions = self._field_definitions(kind)
        system = {d.get("type"): d for d in definitions if kind == "tickets" and d.get("removable") is False}
        fields = []
        for name, type_, required, readonly, options in STANDARD[kind]:
            label = name.replace("_", " ").capitalize()
            defined = system.get(SYSTEM_TICKET_FIELDS.get(name, ""))
            if defined:
                label = str(defined.get("title") or label)
                required = required or bool(defined.get("required"))
                named = [str(o.get("value")) for o in defined.get("system_field_options") or []]
                options = tuple(named) or options
            fields.append(FieldInfo(name, label, type_, required, False, readonly, options))
        for defined in definitions:
            if kind == "tickets" and defined.get("removable") is False:
                continue
            if kind == "tickets":
                name = f"custom_fields.{defined.get('id')}"
            else:
                name = f"{SINGULAR[kind]}_fields.{defined.get('key')}"
            choices = defined.get("custom_field_options") or []
            fields.append(
                FieldInfo(
                    name,
                    str(defined.get("title") or defined.get("key") or ""),
                    str(defined.get("type") or "").lower(),
                    required=bool(defined.get("required")),
                    custom=True,
                    options=tuple(str(o.get("value")) for o in choices),
                )
            )
        return tuple(fields)

    def _sample(self, kind: str, wanted: int) -> list[Record]:
        records: list[Record] = []
        url: str = f"{kind}.json"
        params: dict[str, Any] | None = {"page[size]": max(1, min(wanted, 100))}
        while url and len(records) < wanted:
            body = self.call("GET", url, params=params)
            records += body.get(kind) or []
            more = (body.get("meta") or {}).get("has_more")
            url, params = ((body.get("links") or {}).get("next") or "") if more else "", None
        return records[:wanted]

    # Reads ------------------------------------------------------------------------------------
    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        kind = self._kind(obj)
        start = int(since.timestamp()) if since else 0
        size = max(1, min(page_size, self.max_page))
        pages = self._cursor_pages if kind in CURSOR_EXPORTS else self._time_pages
        terms = filter_terms(obj)
        for records in pages(kind, start, size):
            if records:
                newest = max(parse_zendesk_time(r["updated_at"]) for r in records)
                yield Page([r for r in records if passes_filter(terms, r)], newest)

    def _cursor_pages(self, kind: str, start: int, size: int) -> Iterator[list[Record]]:
        params: dict[str, Any] = {"start_time": start, "per_page": size}
        while True:
            body = self.call("GET", f"incremental/{kind}/cursor.json", params=params)
            yield list(body.get(kind) or [])
            if body.get("end_of_stream") or body.get("after_cursor") in (None, params.get("cursor")):
                return
            params = {"cursor": body["after_cursor"], "per_page": size}

    def _time_pages(self, kind: str, start: int, size: int) -> Iterator[list[Record]]:
        seen: set[tuple[Any, Any]] = set()
        while True:
            body = self.call(
                "GET", f"incremental/{kind}.json", params={"start_time": start, "per_page": size}
            )
            fresh = [r for r in body.get(kind) or [] if (r.get("id"), r.get("updated_at")) not in seen]
            seen |= {(r.get("id"), r.get("updated_at")) for r in fresh}
            yield fresh
            end = int(body.get("end_time") or start)
            if body.get("end_of_stream") or end <= start:
                return
            start = end

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        kind = self._kind(obj)
        wanted = [str(i) for i in ids if str(i).isdigit()]
        found: list[Record] = []
        for offset in range(0, len(wanted), MANY):
            chunk = ",".join(wanted[offset : offset + MANY])
            found += self.call("GET", f"{kind}/show_many.json", params={"ids": chunk}).get(kind) or []
        return found

    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        """By id (show_many), external_id (show_many), a user's email (search); else an export scan."""
        kind = self._kind(obj)
        if "id" in criteria:
            candidates = self.fetch(obj, [str(v) for v in criteria["id"]])
        elif "external_id" in criteria and kind != "tickets":
            candidates = self._by_external_ids(kind, [str(v) for v in criteria["external_id"]])
        elif "email" in criteria and kind == "users":
            candidates = self._by_emails([str(v) for v in criteria["email"]])
        else:  # Zendesk cannot look most fields up exactly: scan the export
            candidates = [r for page in self.read_changes(obj, None, self.max_page) for r in page.records]
        terms = filter_terms(obj)
        return [
            r
            for r in candidates
            if passes_filter(terms, r)
            and all(r.get(name) in list(values) for name, values in criteria.items())
        ]

    def _by_external_ids(self, kind: str, values: list[str]) -> list[Record]:
        found: list[Record] = []
        for offset in range(0, len(values), MANY):
            chunk = ",".join(values[offset : offset + MANY])
            found += (
                self.call("GET", f"{kind}/show_many.json", params={"external_ids": chunk}).get(kind) or []
            )
        return found

    def _by_emails(self, emails: list[str]) -> list[Record]:
        found: list[Record] = []
        for email in dict.fromkeys(emails):
            found += (
                self.call("GET", "users/search.json", params={"query": f"email:{email}"}).get("users") or []
            )
        return found

    # Writes -----------------------------------------------------------------------------------
    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Batches of `batch_size` as jobs, up to JOBS_IN_FLIGHT submitted before any is polled."""
        kind = self._kind(obj)
        size = self.batch_size(obj)
        batches = [ops[offset : offset + size] for offset in range(0, len(ops), size)]
        results: list[WriteResult] = []
        for start in range(0, len(batches), JOBS_IN_FLIGHT):
            group = batches[start : start + JOBS_IN_FLIGHT]
            jobs = [self._submit(obj, kind, batch) for batch in group]
            for batch, job in zip(group, self._wait_for(jobs), strict=True):
                results += _job_results(batch, job)
        return results

    def _item(self, obj: ObjectSpec, op: WriteOp) -> Record:
        item = dict(op.values)
        item[obj.external_id_field or "external_id"] = op.hub_id
        if op.target_id:
            item["id"] = int(op.target_id)
        return item

    def _submit(self, obj: ObjectSpec, kind: str, ops: Sequence[WriteOp]) -> dict[str, Any]:
        items = [self._item(obj, op) for op in ops]
        job: dict[str, Any] = self.call("POST", f"{kind}/create_or_update_many.json", body={kind: items})[
            "job_status"
        ]
        return job

    def _wait_for(self, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Poll the jobs (all at once, through show_many) until every one is done, with growing
        pauses, for at most `job_timeout` seconds."""
        interval = float(self.connection.option("job_poll_interval") or 1.0)
        deadline = time.monotonic() + float(self.connection.option("job_timeout") or 600.0)
        by_id = {str(job["id"]): job for job in jobs}
        polls = 0
        while waiting := [i for i, job in by_id.items() if job.get("status") not in DONE]:
            if time.monotonic() > deadline:
                shown = ", ".join(f"{i} ({by_id[i].get('status')})" for i in waiting)
                raise RetryableAPIError("zendesk", f"jobs still running at timeout: {shown}")
            self._sleep(interval * min(2**polls, 8))
            polls += 1
            params = {"ids": ",".join(waiting)}
            found = self.call("GET", "job_statuses/show_many.json", params=params)["job_statuses"]
            by_id |= {str(job["id"]): job for job in found or []}
        return [by_id[str(job["id"])] for job in jobs]


def _described_value(record: Record, name: str) -> Any:
    """A record's value for a described field: a dotted path through nested objects, and a ticket's
    `custom_fields.<id>` from its `[{"id", "value"}]` array."""
    head, _, rest = name.partition(".")
    value = record.get(head)
    if not rest:
        return value
    if isinstance(value, list):
        return next((i.get("value") for i in value if isinstance(i, dict) and str(i.get("id")) == rest), None)
    for part in rest.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _details(details: Any) -> str:
    """A 422's `details` ({field: [{"description", "error"}]}) as its problems in Zendesk's words:
    `Description: cannot be blank (BlankValue)`; any other shape as it came."""
    if not isinstance(details, dict):
        return str(details or "")
    problems = []
    for field, items in details.items():
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict) and item.get("description"):
                error = f" ({item['error']})" if item.get("error") else ""
                problems.append(f"{item['description']}{error}")
            else:
                problems.append(f"{field}: {item}")
    return "; ".join(problems)


def _job_results(ops: Sequence[WriteOp], job: dict[str, Any]) -> list[WriteResult]:
    """One result per op of a finished job, by the index each job result names."""
    if job.get("status") != "completed":
        message = redact(str(job.get("message") or f"job {job.get('status')}"))
        return [WriteResult(op.target_id, error=RecordError("JobFailed", message)) for op in ops]
    by_index: dict[int, dict[str, Any]] = {}
    for position, result in enumerate(job.get("results") or []):
        by_index[int(result.get("index", position))] = result
    return [_write_result(op, by_index.get(i)) for i, op in enumerate(ops)]


def _write_result(op: WriteOp, result: dict[str, Any] | None) -> WriteResult:
    if result is None:
        return WriteResult(
            op.target_id, error=RecordError("NoResult", "the job reported nothing for this record")
        )
    record_id = str(result["id"]) if result.get("id") is not None else op.target_id
    if result.get("error") or result.get("status") == "Failed":
        message = redact(str(result.get("details") or result.get("error") or "refused"))
        return WriteResult(record_id, error=RecordError(str(result.get("error") or "Failed"), message))
    return WriteResult(record_id, created=result.get("status") == "Created")


__all__ = ["ZendeskConnector"]
