"""Freshdesk through its REST API v2 (`/api/v2`): contacts, companies and tickets.

Connection (Airflow conn_type `freshdesk`): host = `https://{domain}.freshdesk.com`, password = the
API key (sent as Basic `{api_key}:X`); extras: `ca_bundle`, `page_limit` (the deepest page Freshdesk
serves, 300), `max_parallel` (write requests in flight at once, 4).

Reads:  `GET /api/v2/{kind}?updated_since=&per_page=&page=` (contacts: `_updated_since`), ordered by
        `updated_at`, following the `Link: <…>; rel="next"` header. Freshdesk serves no page beyond
        300, so on reaching it the read restarts at page 1 with `updated_since` = the last
        `updated_at` seen, dropping the records of that instant it already returned.
Writes: one record per call (there is no batch upsert): `PUT /{kind}/{id}` with a target id;
        otherwise contacts are created with `unique_external_id` = the hub id and, when Freshdesk
        answers 409 `duplicate_value` (that hub id or email is taken), the contact it names is updated;
        companies and tickets keep the hub id in `custom_fields.hub_id`, are looked up with
        `search/{kind}`, then updated or created (a company whose name is taken is updated). Up to
        `max_parallel` requests run at once; results come back one per op, in order.
Quirks:  lists are bare JSON arrays; validation errors read `{"description": "Validation failed",
        "errors": [{"field", "message", "code"}]}`; 401 says `{"code": "invalid_credentials"}` (403:
        `access_denied`); 429s carry `Retry-After`; without `updated_since`, tickets lists only show
        the last 30 days.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import requests

from hub.errors import FatalAPIError
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

KINDS = {"contacts": "contacts", "contact": "contacts", "companies": "companies", "company": "companies"}
KINDS |= {"tickets": "tickets", "ticket": "tickets"}
FRESHDESK_TIME = "%Y-%m-%dT%H:%M:%SZ"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PAGE_LIMIT = 300
PARALLEL = 4
CUSTOM = "custom_fields."
SINGULAR = {"contacts": "contact", "companies": "company", "tickets": "ticket"}
# Default fields whose record key differs from the name `{kind}_fields` gives them.
RECORD_KEYS = {
    "contacts": {"company_name": "company_id", "tag_names": "tags", "client_manager": "view_all_tickets"},
    "tickets": {
        "requester": "requester_id",
        "ticket_type": "type",
        "group": "group_id",
        "agent": "responder_id",
        "product": "product_id",
        "company": "company_id",
    },
}
# What a record carries that its fields list leaves out (Freshdesk's "View a Contact/Company/Ticket"):
# (key, label, type, read-only). A ticket's `requester.*` is what `include=requester` embeds.
RECORD_ONLY: dict[str, tuple[tuple[str, str, str, bool], ...]] = {
    "contacts": (
        ("id", "ID", "number", True),
        ("active", "Verified", "boolean", True),
        ("deleted", "Deleted", "boolean", True),
        ("other_emails", "Other emails", "array", False),
        ("first_name", "First name", "string", True),
        ("last_name", "Last name", "string", True),
        ("created_at", "Created at", "datetime", True),
        ("updated_at", "Updated at", "datetime", True),
    ),
    "companies": (
        ("id", "ID", "number", True),
        ("created_at", "Created at", "datetime", True),
        ("updated_at", "Updated at", "datetime", True),
    ),
    "tickets": (
        ("id", "ID", "number", True),
        ("description_text", "Description (plain text)", "string", True),
        ("tags", "Tags", "array", False),
        ("cc_emails", "CC emails", "array", False),
        ("due_by", "Due by", "datetime", False),
        ("fr_due_by", "First response due by", "datetime", False),
        ("is_escalated", "Escalated", "boolean", True),
        ("fr_escalated", "First response escalated", "boolean", True),
        ("spam", "Spam", "boolean", True),
        ("email_config_id", "Email config", "number", False),
        ("requester.id", "Requester ID", "number", True),
        ("requester.name", "Requester name", "string", True),
        ("requester.email", "Requester email", "string", True),
        ("requester.phone", "Requester phone", "string", True),
        ("requester.mobile", "Requester mobile", "string", True),
        ("created_at", "Created at", "datetime", True),
        ("updated_at", "Updated at", "datetime", True),
    ),
}


def parse_freshdesk_time(text: str) -> datetime:
    """A Freshdesk timestamp (`2022-11-16T15:59:28Z`) as an aware UTC datetime."""
    return datetime.strptime(text, FRESHDESK_TIME).replace(tzinfo=UTC)


def _value(record: Record, name: str) -> Any:
    """A field of a record; `custom_fields.x` (or a plain name found only there) reads a custom field."""
    if name in record:
        return record[name]
    return (record.get("custom_fields") or {}).get(name.removeprefix(CUSTOM))


class FreshdeskConnector(RESTConnector):
    """Freshdesk (REST API v2, API key)."""

    system = "freshdesk"
    display_name = "Freshdesk"
    conn_type = "freshdesk"
    default_conn_id = "freshdesk_default"
    auth_statuses = frozenset({401})  # a 403 is a permission the key's agent lacks: see `hint`
    credential_name = "the API key"
    max_batch = 100  # ops handed to one write call; each is still its own request
    max_page = 100
    # per minute by plan (Growth 200, Pro 400, Enterprise 700): X-RateLimit-Total says which
    rate_limit = RateLimit(200, 60)
    form_fields = {
        **Connector.form_fields,
        "page_limit": FormField("Page limit", "Deepest list page Freshdesk serves (300)", kind="integer"),
        "max_parallel": FormField("Parallel writes", "Write requests in flight at once (4)", kind="integer"),
    }
    standard_fields = {
        "hidden": ["schema", "port", "login"],
        "labels": {"host": "Freshdesk URL", "password": "API key"},
        "placeholders": {"host": "https://mycompany.freshdesk.com"},
    }

    # HTTP -------------------------------------------------------------------------------------
    def api_root(self) -> str:
        return f"{self.connection.base_url()}/api/v2"

    def credentials(self) -> RequestAuth:
        """Basic `{api_key}:X` (Freshdesk ignores the password)."""
        return RequestAuth(basic=(self.connection.password or "", "X"))

    def hint(self, method: str, path_or_url: str, response: requests.Response) -> str | None:
        """A 403 (`access_denied`) is not a refused key: Freshdesk accepted it, and its agent's role does
        not allow this request (or the plan lacks the feature)."""
        if response.status_code != 403:
            return None
        return (
            "Freshdesk accepted the API key, but the agent it belongs to may not do this: give that agent "
            "a role allowing it (or use an administrator's key), or check the plan includes the feature"
        )

    def error_detail(self, response: requests.Response) -> tuple[str | None, str]:
        """Freshdesk's error code and message (JSON bodies), or the plain text of the answer."""
        body = json_body(response)
        if not isinstance(body, dict):
            return super().error_detail(response)
        if body.get("errors"):
            error = _record_error(response)
            return error.code, f"{body.get('description') or 'Validation failed'}: {error.message}"
        code = body.get("code")
        parts = [str(p) for p in (code, body.get("message"), body.get("description")) if p]
        return (str(code) if code else None), "; ".join(parts) or str(body)

    def check(self) -> str:
        me = self.call("GET", "agents/me")
        contact = me.get("contact") or {}
        return f"Freshdesk accepted the API key of {contact.get('email')!r} (agent {me.get('id')})"

    def _kind(self, obj: ObjectSpec | str) -> str:
        name = obj if isinstance(obj, str) else obj.name
        try:
            return KINDS[name.lower()]
        except KeyError:
            raise FatalAPIError(
                "freshdesk", f"unknown object {name!r}; use contacts, companies or tickets"
            ) from None

    def _hub_field(self, obj: ObjectSpec, kind: str) -> str:
        """Where the hub id lives: contacts' `unique_external_id`, else `custom_fields.hub_id`."""
        default = "unique_external_id" if kind == "contacts" else f"{CUSTOM}hub_id"
        return obj.external_id_field or default

    def _option_int(self, name: str, default: int) -> int:
        value = self.connection.option(name)
        return int(value) if value else default

    # Describe ---------------------------------------------------------------------------------
    def describe(self, object_name: str, sample: int = 100) -> ObjectShape:
        """The object's fields from `GET /api/v2/{contact,company,ticket}_fields` (default ones by
        their record key: a ticket's `ticket_type` is `type`, its `agent` `responder_id`; custom ones
        as `custom_fields.<name>`), what records carry beyond that list (`RECORD_ONLY`), and up to
        `sample` records from the list (`GET /api/v2/{kind}`, tickets since the epoch with their
        requester), flattened to those names."""
        kind = self._kind(object_name)
        definitions = self.call("GET", f"{SINGULAR[kind]}_fields") or []
        fields = [_described(kind, d) for d in definitions if isinstance(d, dict)]
        fields += [FieldInfo(k, label, t, readonly=ro) for k, label, t, ro in RECORD_ONLY[kind]]
        records = self._sample(kind, max(0, sample))
        rows = tuple({f.name: _nested(r, f.name) for f in fields} for r in records)
        return ObjectShape(kind, tuple(fields), rows)

    def _sample(self, kind: str, wanted: int) -> list[Record]:
        records: list[Record] = []
        url: str = kind
        first: dict[str, Any] = {"per_page": max(1, min(wanted, self.max_page)), "page": 1}
        if kind == "tickets":  # else only the last 30 days; and a ticket's requester e-mail
            first |= {"updated_since": EPOCH.strftime(FRESHDESK_TIME), "include": "requester"}
        params: dict[str, Any] | None = first
        while url and len(records) < wanted:
            response = self.request("GET", url, params=params)
            if response.status_code >= 400:
                raise self.failure("GET", url, response)
            records += response.json() or []
            url, params = response.links.get("next", {}).get("url") or "", None
        return records[:wanted]

    # Reads ------------------------------------------------------------------------------------
    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        kind = self._kind(obj)
        size = max(1, min(page_size, self.max_page))
        terms = filter_terms(obj)
        limit = self._option_int("page_limit", PAGE_LIMIT)
        start = (since or EPOCH).astimezone(UTC).strftime(FRESHDESK_TIME)
        seen: set[Any] = set()  # ids already returned at the instant a restart begins from
        latest: str | None = None
        at_latest: set[Any] = set()
        while True:
            url: str = kind
            params: dict[str, Any] | None = self._list_params(kind, start, size)
            page = 1
            while True:
                response = self.request("GET", url, params=params)
                if _beyond_last_page(response):
                    break
                if response.status_code >= 400:
                    raise self.failure("GET", url, response)
                records = list(response.json() or [])
                fresh = [r for r in records if not (r.get("updated_at") == start and r.get("id") in seen)]
                for record in records:
                    stamp = str(record.get("updated_at"))
                    if latest is None or stamp > latest:
                        latest, at_latest = stamp, set()
                    if stamp == latest:
                        at_latest.add(record.get("id"))
                if records:
                    newest = max(parse_freshdesk_time(r["updated_at"]) for r in records)
                    yield Page([r for r in fresh if passes_filter(terms, r, _value)], newest)
                next_url = response.links.get("next", {}).get("url")
                if not next_url:
                    return
                if page >= limit:
                    break
                url, params, page = next_url, None, page + 1
            if latest is None or latest <= start:
                raise FatalAPIError(
                    "freshdesk",
                    f"more {kind} share updated_at {start} than {limit} pages of {size} hold; "
                    "use a larger page size",
                )
            start, seen = latest, set(at_latest)  # the page-300 restart

    def _list_params(self, kind: str, start: str, size: int) -> dict[str, Any]:
        since_param = "_updated_since" if kind == "contacts" else "updated_since"
        params: dict[str, Any] = {since_param: start, "per_page": size, "page": 1}
        if kind == "tickets":  # the requester (its e-mail) comes with each ticket: a ticket has no email
            params |= {"order_by": "updated_at", "order_type": "asc", "include": "requester"}
        return params

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        kind = self._kind(obj)
        found: list[Record] = []
        for record_id in dict.fromkeys(str(i) for i in ids):
            if not record_id.isdigit():
                continue
            params = {"include": "requester"} if kind == "tickets" else None
            record = self.call("GET", f"{kind}/{record_id}", params=params, missing_ok=True)
            if record is not None:
                found.append(record)
        return found

    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        """By id, a contact's email or unique_external_id (list filters), a hub id field (search);
        anything else by scanning every record."""
        kind = self._kind(obj)
        hub_field = self._hub_field(obj, kind)
        if "id" in criteria:
            candidates = self.fetch(obj, [str(v) for v in criteria["id"]])
        elif kind == "contacts" and ({"email", "unique_external_id"} & set(criteria)):
            name = "unique_external_id" if "unique_external_id" in criteria else "email"
            candidates = [r for v in dict.fromkeys(criteria[name]) for r in self._filtered(name, str(v))]
        elif hub_field in criteria and hub_field != "unique_external_id":
            candidates = [
                r for v in dict.fromkeys(criteria[hub_field]) for r in self._search(kind, hub_field, v)
            ]
        else:
            candidates = [r for page in self.read_changes(obj, None, self.max_page) for r in page.records]
        terms = filter_terms(obj)
        return [
            r
            for r in candidates
            if passes_filter(terms, r, _value)
            and all(_value(r, name) in list(values) for name, values in criteria.items())
        ]

    def _filtered(self, name: str, value: str) -> list[Record]:
        return list(self.call("GET", "contacts", params={name: value}) or [])

    def _search(self, kind: str, field: str, value: Any) -> list[Record]:
        query = f"\"{field.removeprefix(CUSTOM)}:'{value}'\""
        return list(self.call("GET", f"search/{kind}", params={"query": query}).get("results") or [])

    # Writes -----------------------------------------------------------------------------------
    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        kind = self._kind(obj)
        if not ops:
            return []
        self.session  # noqa: B018 - build the shared session before the threads use it
        workers = max(1, min(self._option_int("max_parallel", PARALLEL), len(ops)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="freshdesk-write") as pool:
            return list(pool.map(lambda op: self._write_one(obj, kind, op), ops))

    def _item(self, obj: ObjectSpec, kind: str, op: WriteOp) -> Record:
        item = dict(op.values)
        field = self._hub_field(obj, kind)
        if field == "unique_external_id" or (field in item and not field.startswith(CUSTOM)):
            item[field] = op.hub_id
        else:
            item["custom_fields"] = {
                **(item.get("custom_fields") or {}),
                field.removeprefix(CUSTOM): op.hub_id,
            }
        return item

    def _write_one(self, obj: ObjectSpec, kind: str, op: WriteOp) -> WriteResult:
        item = self._item(obj, kind, op)
        if op.target_id:
            return self._update(kind, op.target_id, item)
        field = self._hub_field(obj, kind)
        if field != "unique_external_id":  # contacts: Freshdesk's 409 names the existing one
            existing = self._search(kind, field, op.hub_id)
            if existing:
                return self._update(kind, str(existing[0]["id"]), item)
        # A contact create keyed on unique_external_id is safe to replay: a repeat answers 409.
        response = self.request("POST", kind, body=item, idempotent=field == "unique_external_id")
        if response.status_code == 409:
            owner = _duplicate_owner(response)
            if owner is not None:
                return self._update(kind, owner, item)
        return self._result(response, None, created=True)

    def _update(self, kind: str, record_id: str, item: Record) -> WriteResult:
        response = self.request("PUT", f"{kind}/{record_id}", body=item)
        return self._result(response, record_id, created=False)

    def _result(self, response: requests.Response, record_id: str | None, *, created: bool) -> WriteResult:
        status = response.status_code
        if status < 300:
            return WriteResult(str(response.json().get("id", record_id)), created=created)
        if status == 404:
            return WriteResult(record_id, error=RecordError("NotFound", f"record {record_id} does not exist"))
        if status in (400, 409, 422):
            return WriteResult(record_id, error=_record_error(response))
        raise self.failure(response.request.method or "POST", response.url, response)


def _described(kind: str, definition: dict[str, Any]) -> FieldInfo:
    """A field of `{kind}_fields` as a mapping names it, with its choices as options."""
    name = str(definition.get("name") or "")
    default = bool(definition.get("default"))
    key = RECORD_KEYS.get(kind, {}).get(name, name) if default else f"{CUSTOM}{name}"
    return FieldInfo(
        key,
        str(definition.get("label") or name),
        str(definition.get("type") or "").lower(),
        required=bool(definition.get("required_for_agents")),
        custom=not default,
        options=_options(definition.get("choices")),
    )


def _options(choices: Any) -> tuple[str, ...]:
    """The values a record holds for a field's choices: a list's items, or the numbers of a
    `{label: number}` (priority, source) or `{number: [labels]}` (status) mapping."""
    if isinstance(choices, list):
        return tuple(str(c) for c in choices)
    if isinstance(choices, dict):
        numbered = all(isinstance(v, int) for v in choices.values())
        return tuple(str(v) for v in choices.values()) if numbered else tuple(str(k) for k in choices)
    return ()


def _nested(record: Record, name: str) -> Any:
    """A record's value at a dotted name (`custom_fields.hub_id`, `requester.email`)."""
    value: Any = record
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _beyond_last_page(response: requests.Response) -> bool:
    """Whether the answer is Freshdesk's refusal of a page past its limit (field `page`)."""
    if response.status_code != 400:
        return False
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return False
    return any(isinstance(e, dict) and e.get("field") == "page" for e in errors)


def _duplicate_owner(response: requests.Response) -> str | None:
    """The id of the record a 409 `duplicate_value` names in its `additional_info`, if any."""
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return None
    for error in errors:
        info = error.get("additional_info") if isinstance(error, dict) else None
        if error.get("code") == "duplicate_value" and isinstance(info, dict):
            for key in ("user_id", "company_id", "id"):
                if info.get(key) is not None:
                    return str(info[key])
    return None


def _record_error(response: requests.Response) -> RecordError:
    """Freshdesk's `errors` array as one RecordError: the first code, every field and message."""
    try:
        body = response.json()
    except ValueError:
        return RecordError(f"HTTP{response.status_code}", redact(response.text.strip())[:500] or "refused")
    errors = [e for e in (body.get("errors") or []) if isinstance(e, dict)] if isinstance(body, dict) else []
    if not errors:
        return RecordError(f"HTTP{response.status_code}", redact(str(body))[:500])
    message = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors)
    fields = tuple(str(e.get("field")) for e in errors if e.get("field"))
    return RecordError(str(errors[0].get("code") or "invalid_value"), redact(message)[:500], fields)


__all__ = ["FreshdeskConnector"]
