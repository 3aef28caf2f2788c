"""Mailchimp Marketing API v3: the members of one audience (`ObjectSpec.name` is the list id).

Connection (Airflow conn_type `mailchimp`): password = API key (`…-us6`); host empty means
`https://{dc}.api.mailchimp.com` with `dc` taken from the key's suffix; login is any name (Mailchimp
ignores it). Extras: `auth_type` = `oauth` sends the password as an OAuth token (`Bearer`, host
required: tokens carry no data center), `ca_bundle`, retry settings.

Reads:  `GET /3.0/lists/{id}/members?since_last_changed=…&sort_field=last_changed&sort_dir=ASC`, paged
        by offset/count (at most 1000) until `offset >= total_items`, in one fixed query so records
        sharing one `last_changed` keep their order (the id breaks ties) across pages. The query
        starts one second before `since` and the connector keeps `last_changed >= since`, which is
        right whether Mailchimp's "changed after" is strict or not.
Writes: the synchronous batch `POST /3.0/lists/{id}` with `update_existing: true`, 500 members per
        call; `new_members`, `updated_members` and `errors` are matched back to the ops by email.
Consent: a sync never subscribes anyone again. A wanted `subscribed`/`pending`/`transactional`
        status goes out as `status_if_new` only, which Mailchimp applies to new members alone; an
        existing member's status changes only when the hub writes `unsubscribed` explicitly.
Describe: Mailchimp's documented member fields (nested ones dotted: `stats.*`, `location.*`) and the
        audience's merge fields (`GET /3.0/lists/{id}/merge-fields`) as `merge_fields.<TAG>`; a sample
        from the members list, flattened to those names.
Quirks: the member id is the subscriber hash (MD5 of the lower-cased email); `last_changed` is
        `2024-03-01T12:00:00+00:00`; merge fields are nested (`merge_fields.FNAME`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from hub.errors import AuthenticationError
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

NEW_ONLY_STATUSES = frozenset({"subscribed", "pending", "transactional", "cleaned"})
STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived")
# A list member's own fields as Mailchimp's API reference documents them (name, label, type, required,
# readonly, options); a time is "datetime" (the reference's ISO 8601 string), nested objects by path.
MEMBER_FIELDS = (
    FieldInfo("id", "Subscriber hash", "string", readonly=True),
    FieldInfo("email_address", "Email address", "string", required=True),
    FieldInfo("unique_email_id", "Unique email id", "string", readonly=True),
    FieldInfo("contact_id", "Contact id", "string", readonly=True),
    FieldInfo("full_name", "Full name", "string", readonly=True),
    FieldInfo("web_id", "Member web id", "integer", readonly=True),
    FieldInfo("email_type", "Email type", "string", options=("html", "text")),
    FieldInfo("status", "Status", "string", required=True, options=STATUSES),
    FieldInfo("unsubscribe_reason", "Unsubscribe reason", "string", readonly=True),
    FieldInfo(
        "consents_to_one_to_one_messaging", "Consents to one-to-one messaging", "boolean", readonly=True
    ),
    FieldInfo("stats.avg_open_rate", "Average open rate", "number", readonly=True),
    FieldInfo("stats.avg_click_rate", "Average click rate", "number", readonly=True),
    FieldInfo("ip_signup", "Signup IP", "string"),
    FieldInfo("timestamp_signup", "Signup timestamp", "datetime"),
    FieldInfo("ip_opt", "Opt-in IP", "string"),
    FieldInfo("timestamp_opt", "Opt-in timestamp", "datetime"),
    FieldInfo("member_rating", "Member rating", "integer", readonly=True),
    FieldInfo("last_changed", "Last changed date", "datetime", readonly=True),
    FieldInfo("language", "Language", "string"),
    FieldInfo("vip", "VIP", "boolean"),
    FieldInfo("email_client", "Email client", "string", readonly=True),
    FieldInfo("location.latitude", "Latitude", "number"),
    FieldInfo("location.longitude", "Longitude", "number"),
    FieldInfo("location.gmtoff", "GMT offset", "integer", readonly=True),
    FieldInfo("location.dstoff", "DST offset", "integer", readonly=True),
    FieldInfo("location.country_code", "Country code", "string", readonly=True),
    FieldInfo("location.timezone", "Timezone", "string", readonly=True),
    FieldInfo("location.region", "Region", "string", readonly=True),
    FieldInfo("source", "Source", "string", readonly=True),
    FieldInfo("tags_count", "Tags count", "integer", readonly=True),
    FieldInfo("tags", "Tags", "array", readonly=True),
    FieldInfo("list_id", "List id", "string", readonly=True),
)
# The merge fields every new audience has; any other is the account's own (custom).
DEFAULT_MERGE_TAGS = frozenset({"FNAME", "LNAME", "ADDRESS", "PHONE", "BIRTHDAY"})
MISSING = object()


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: MD5 of the lower-cased email."""
    return hashlib.md5(email.lower().encode()).hexdigest()


def mailchimp_time(moment: datetime) -> str:
    """`2024-03-01T12:00:00+00:00`, the form Mailchimp reads and writes."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_mailchimp_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def value_at(record: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (`merge_fields.FNAME`) of a nested record, MISSING when absent."""
    node: Any = record
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return MISSING
        node = node[part]
    return node


def nested(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values keyed by dotted paths or already nested, as one nested dict."""
    tree: dict[str, Any] = {}
    for path, value in values.items():
        *parents, leaf = path.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        if isinstance(value, Mapping) and isinstance(node.get(leaf), dict):
            node[leaf].update(value)
        else:
            node[leaf] = dict(value) if isinstance(value, Mapping) else value
    return tree


class MailchimpConnector(RESTConnector):
    """Mailchimp Marketing (audience members)."""

    system = "mailchimp"
    display_name = "Mailchimp"
    conn_type = "mailchimp"
    default_conn_id = "mailchimp_default"
    max_batch = 500
    max_page = 1000
    reads_windows = True
    form_fields = {
        **Connector.form_fields,
        "auth_type": FormField("Auth type", "apikey (default) or oauth (the password is an OAuth token)"),
    }
    standard_fields = {
        "hidden": ["schema", "port"],
        "labels": {"host": "API URL (optional)", "login": "Username (any)", "password": "API key"},
        "placeholders": {"host": "https://us6.api.mailchimp.com", "password": "0123…cdef-us6"},
    }
    options_schema = RESTConnector.extended_options(
        {
            "status_if_new": {
                "enum": ["subscribed", "pending", "transactional", "cleaned", "unsubscribed"],
                "description": (
                    "The status a member the hub adds gets when the record's own status is not one Mailchimp "
                    "gives new members (subscribed, pending, transactional, cleaned). An existing member's "
                    "status changes only on an explicit unsubscribe."
                ),
                "default": "subscribed",
                "examples": ["pending"],
            }
        },
        "Mailchimp's consent default for members the hub adds.",
    )

    # HTTP -------------------------------------------------------------------------------------
    def retryable(self, response: Any) -> bool:
        """Mailchimp's edge may throttle with a 403 "Request Blocked" HTML page."""
        kind = str(response.headers.get("Content-Type", ""))
        return bool(response.status_code == 403 and "html" in kind and b"Request Blocked" in response.content)

    def api_root(self) -> str:
        """`https://{dc}.api.mailchimp.com/3.0`, or the connection's host (an emulator) + `/3.0`."""
        if self.connection.host:
            return self.connection.base_url("https") + "/3.0"
        key = self.connection.password or ""
        if "-" not in key:
            raise AuthenticationError(
                self.system,
                f"connection {self.connection.conn_id!r}: the API key has no data center suffix (-us6); "
                "give the key as Mailchimp shows it, or set the host",
            )
        return f"https://{key.rsplit('-', 1)[1]}.api.mailchimp.com/3.0"

    def credentials(self) -> RequestAuth:
        """Basic `{any name}:{api key}`, or the password as a Bearer token when `auth_type` is oauth."""
        secret = self.connection.password or ""
        if str(self.connection.option("auth_type", "apikey")).lower() == "oauth":
            return RequestAuth(headers={"Authorization": f"Bearer {secret}"})
        return RequestAuth(basic=(self.connection.login or "omnihub", secret))

    def error_detail(self, response: requests.Response) -> tuple[str | None, str]:
        """Mailchimp's problem document: its `title` as the code, `title: detail` as the message."""
        if self.retryable(response):
            return None, "Request Blocked: Mailchimp's edge throttles this client"
        body = json_body(response)
        if not isinstance(body, dict):
            return super().error_detail(response)
        title, detail = str(body.get("title", "")), str(body.get("detail", ""))
        fields = [  # "Invalid Resource" names each refused field in `errors`; its detail points there
            f"{e.get('field') or '?'}: {e.get('message') or '?'}"
            for e in body.get("errors") or []
            if isinstance(e, dict)
        ]
        if fields:
            detail = f"{detail} ({'; '.join(fields)})" if detail else "; ".join(fields)
        return title or None, f"{title or 'error'}{': ' + detail if detail else ''}"

    def check(self) -> str:
        answer = self.call("GET", "/ping")
        status = answer.get("health_status")
        return f"Mailchimp answered ping for connection {self.connection.conn_id!r}: {status}"

    # Reads ------------------------------------------------------------------------------------
    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        params: dict[str, Any] = {
            "count": max(1, min(page_size, self.max_page)),
            "sort_field": "last_changed",
            "sort_dir": "ASC",
        }
        if since is not None:
            params["since_last_changed"] = mailchimp_time(since - timedelta(seconds=1))
        if obj.until is not None:  # a backfill's time window (whole seconds, as Mailchimp keeps them)
            params["before_last_changed"] = mailchimp_time(obj.until)
        offset = 0
        while True:
            body = self.call("GET", f"/lists/{obj.name}/members", params={**params, "offset": offset})
            members, total = body.get("members") or [], int(body.get("total_items") or 0)
            kept = [m for m in members if self._wanted(obj, m, since)]
            if kept:
                newest = max(parse_mailchimp_time(m["last_changed"]) for m in kept)
                yield Page(kept, newest, total)
            offset += len(members)
            if not members or offset >= total:
                return

    def describe(self, object_name: str, sample: int = 100) -> ObjectShape:
        """An audience's members: Mailchimp's documented member fields, then the audience's merge fields
        (`GET /lists/{id}/merge-fields`) as `merge_fields.<TAG>`, and up to `sample` members from the
        members list, flattened to those names."""
        fields = (*MEMBER_FIELDS, *(merge_field_info(f) for f in self._merge_fields(object_name)))
        names = {f.name for f in fields}
        members: list[dict[str, Any]] = []
        while len(members) < sample:
            params = {"count": min(sample - len(members), self.max_page), "offset": len(members)}
            body = self.call("GET", f"/lists/{object_name}/members", params=params)
            page = body.get("members") or []
            members += [{k: v for k, v in flat(m).items() if k in names} for m in page]
            if not page or len(members) >= int(body.get("total_items") or 0):
                break
        return ObjectShape(object_name, fields, tuple(members[:sample]))

    def _merge_fields(self, list_id: str) -> list[dict[str, Any]]:
        """Every merge field of an audience, paged by offset/count."""
        found: list[dict[str, Any]] = []
        while True:
            params = {"count": self.max_page, "offset": len(found)}
            body = self.call("GET", f"/lists/{list_id}/merge-fields", params=params)
            page = body.get("merge_fields") or []
            found += page
            if not page or len(found) >= int(body.get("total_items") or 0):
                return found

    def _wanted(self, obj: ObjectSpec, member: Record, since: datetime | None) -> bool:
        changed = parse_mailchimp_time(member["last_changed"])
        if (since is not None and changed < since) or (obj.until is not None and changed >= obj.until):
            return False
        return passes_filter(filter_terms(obj), member, value_at)

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        found = (self.call("GET", f"/lists/{obj.name}/members/{i}", missing_ok=True) for i in ids)
        return [member for member in found if member is not None]

    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        if set(criteria) == {"email_address"}:  # one call per address, by subscriber hash
            hashes = sorted({subscriber_hash(str(e)) for e in criteria["email_address"] if e})
            candidates = self.fetch(obj, hashes)
        else:
            candidates = [r for page in self.read_changes(obj, None, self.max_page) for r in page.records]
        terms = filter_terms(obj)
        return [r for r in candidates if _matches(r, criteria) and passes_filter(terms, r, value_at)]

    # Writes -----------------------------------------------------------------------------------
    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(ops)
        bodies: dict[int, dict[str, Any]] = {}
        emails = self._target_emails(obj, ops)
        for index, op in enumerate(ops):
            body = self._member_body(obj, op, emails.get(op.target_id or ""))
            if isinstance(body, RecordError):
                results[index] = WriteResult(op.target_id, error=body)
            else:
                bodies[index] = body
        pending = list(bodies)
        size = self.batch_size(obj)
        for start in range(0, len(pending), size):
            chunk = pending[start : start + size]
            answers = self._batch(obj, [bodies[i] for i in chunk])
            for i in chunk:
                answer = answers.get(bodies[i]["email_address"].lower()) or WriteResult(
                    None, error=RecordError("NOT_REPORTED", "Mailchimp did not report this member")
                )
                results[i] = answer if answer.ok else WriteResult(ops[i].target_id, error=answer.error)
        return [r for r in results if r is not None]

    def _target_emails(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> dict[str, str]:
        """Emails of updated members whose values carry no email (the batch addresses by email)."""
        wanted = [op.target_id for op in ops if op.target_id and not nested(op.values).get("email_address")]
        return {str(m["id"]): str(m["email_address"]) for m in self.fetch(obj, [str(t) for t in wanted])}

    def _member_body(
        self, obj: ObjectSpec, op: WriteOp, known_email: str | None
    ) -> dict[str, Any] | RecordError:
        body = nested(op.values)
        body.setdefault("email_address", known_email)
        if not body.get("email_address"):
            return RecordError("MISSING_EMAIL", "email_address is required to write a Mailchimp member")
        if obj.external_id_field:
            body = nested({**body, obj.external_id_field: op.hub_id})
        status = body.pop("status", None)
        body.pop("id", None)
        body.pop("last_changed", None)
        # Consent is never upgraded by a sync: only an explicit unsubscribe changes an existing member.
        if status == "unsubscribed":
            body["status"] = body["status_if_new"] = "unsubscribed"
        else:
            fallback = obj.options.get("status_if_new", "subscribed")
            body["status_if_new"] = status if status in NEW_ONLY_STATUSES else fallback
        body["email_address"] = str(body["email_address"])
        return body

    def _batch(self, obj: ObjectSpec, members: list[dict[str, Any]]) -> dict[str, WriteResult]:
        """One batch call; the outcome of each member by lower-cased email."""
        # update_existing makes a replay harmless (no duplicates), so a lost answer may be retried.
        payload = {"members": members, "update_existing": True}
        answer = self.call("POST", f"/lists/{obj.name}", body=payload, idempotent=True)
        outcome: dict[str, WriteResult] = {}
        for error in answer.get("errors") or []:
            record_error = RecordError(
                str(error.get("error_code") or "ERROR"), redact(error.get("error", ""))
            )
            outcome[str(error.get("email_address", "")).lower()] = WriteResult(None, error=record_error)
        for member in answer.get("updated_members") or []:
            outcome[str(member["email_address"]).lower()] = WriteResult(str(member["id"]))
        for member in answer.get("new_members") or []:
            outcome[str(member["email_address"]).lower()] = WriteResult(str(member["id"]), created=True)
        return outcome


def merge_field_info(field: Mapping[str, Any]) -> FieldInfo:
    """A merge field (`tag`, `name`, `type`, `required`, `options.choices`) as `merge_fields.<TAG>`."""
    tag = str(field.get("tag") or "")
    return FieldInfo(
        f"merge_fields.{tag}",
        str(field.get("name") or tag),
        str(field.get("type") or "").lower(),
        required=bool(field.get("required")),
        custom=tag not in DEFAULT_MERGE_TAGS,
        options=tuple(str(c) for c in (field.get("options") or {}).get("choices") or ()),
    )


def flat(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested record keyed by dotted paths (`merge_fields.FNAME`, `location.latitude`)."""
    found: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, Mapping) and value:
            found.update(flat(value, f"{prefix}{key}."))
        found[f"{prefix}{key}"] = value
    return found


def _matches(record: Record, criteria: Mapping[str, Sequence[Any]]) -> bool:
    for path, values in criteria.items():
        value = value_at(record, path)
        if path == "email_address" and isinstance(value, str):
            if value.lower() not in {str(v).lower() for v in values}:
                return False
        elif value not in list(values):
            return False
    return True


__all__ = ["MailchimpConnector", "subscriber_hash"]
