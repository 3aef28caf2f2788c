"""Zendesk's users, organizations and tickets in memory: ids, timestamps, validation, upserts.

Every record carries `created_at`/`updated_at` in Zendesk's `2023-09-18T23:24:43Z` form (whole
seconds, UTC) and an `external_id`. `upsert` is what one item of `create_or_update_many` does:
match (by id, then external_id, then, for users, email), validate, then create or update.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from connectors.emulators.zendesk.fields import FieldBoard

Clock = Callable[[], datetime]
Kind = Literal["users", "organizations", "tickets"]
KINDS: tuple[Kind, ...] = ("users", "organizations", "tickets")
SINGULAR: dict[str, str] = {"users": "user", "organizations": "organization", "tickets": "ticket"}
FIRST_IDS: dict[str, int] = {"users": 361000000001, "organizations": 362000000001, "tickets": 1}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
TICKET_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
TICKET_PRIORITIES = (None, "low", "normal", "high", "urgent")
READ_ONLY = frozenset({"id", "url", "created_at", "updated_at"})
# Fields looked up on every upsert, indexed so that a batch costs the same in a large account.
INDEXED = frozenset({("users", "external_id"), ("users", "email"), ("organizations", "external_id"),
                     ("organizations", "name"), ("tickets", "external_id")})  # fmt: skip


def zendesk_time(moment: datetime) -> str:
    """`2023-09-18T23:24:43Z`, the way Zendesk writes every timestamp."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_zendesk_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def epoch(text: str) -> int:
    """Unix seconds of a Zendesk timestamp."""
    return int(parse_zendesk_time(text).timestamp())


ROLES = ("end-user", "agent", "admin")


@dataclass(frozen=True)
class Outcome:
    """What one upsert did: the record id and "Created"/"Updated", or an error and its details."""

    id: int | None
    status: str
    error: str | None = None
    details: str | None = None


class RecordRefused(ValueError):
    """A record failed validation; `details` reads like Zendesk's ("Email: … is not properly formatted")."""

    def __init__(self, details: str) -> None:
        self.details = details
        super().__init__(details)


def _defaults(kind: str) -> dict[str, Any]:
    common: dict[str, Any] = {"external_id": None, "tags": [], "details": None, "notes": None}
    if kind == "users":
        return {
            **common,
            "name": None,
            "email": None,
            "phone": None,
            "organization_id": None,
            "role": "end-user",
            "active": True,
            "suspended": False,
            "verified": False,
            "time_zone": "UTC",
            "iana_time_zone": "UTC",
            "locale": "en-US",
            "locale_id": 1,
            "shared_phone_number": None,
            "photo": None,
            "alias": None,
            "shared": False,
            "shared_agent": False,
            "last_login_at": None,
            "two_factor_auth_enabled": False,
            "signature": None,
            "role_type": None,
            "custom_role_id": None,
            "moderator": False,
            "ticket_restriction": "requested",
            "only_private_comments": False,
            "restricted_agent": True,
            "default_group_id": None,
            "report_csv": False,
            "user_fields": {},
        }
    if kind == "organizations":
        return {
            **common,
            "name": None,
            "domain_names": [],
            "group_id": None,
            "shared_tickets": False,
            "shared_comments": False,
            "organization_fields": {},
        }
    return {
        "external_id": None,
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
        "type": None,
        "subject": None,
        "raw_subject": None,
        "description": None,
        "priority": None,
        "status": "new",
        "recipient": None,
        "requester_id": None,
        "submitter_id": None,
        "assignee_id": None,
        "organization_id": None,
        "group_id": None,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": [],
        "custom_fields": [],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "custom_status_id": None,
        "fields": [],
        "followup_ids": [],
        "ticket_form_id": None,
        "brand_id": None,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
        "generated_timestamp": 0,
    }


class Store:
    """The account's records by kind and id."""

    def __init__(self, clock: Clock, base_url: str = "https://omnihub.zendesk.com") -> None:
        self.clock = clock
        self.base_url = base_url
        self.tables: dict[str, dict[int, dict[str, Any]]] = {kind: {} for kind in KINDS}
        self._index: dict[tuple[str, str], dict[Any, set[int]]] = {key: {} for key in INDEXED}
        self._next = dict(FIRST_IDS)
        self.fields = FieldBoard(self.now(), base_url)

    def add_field(
        self, kind: str, key: str, title: str, type_: str, options: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Define a custom field of `kind`, as an admin would; every record then carries it (null)."""
        field = self.fields.add(kind, key, title, type_, self.now(), options)
        for record in self.tables[kind].values():
            self._custom_values(kind, record, {})
        return field

    def _custom_values(self, kind: str, record: dict[str, Any], given: dict[str, Any]) -> None:
        """Give a record every custom field of its kind, the values `given` (a create or update's
        `user_fields`, `organization_fields` or `custom_fields`) over those it had."""
        defined = self.fields.custom(kind)
        if kind == "tickets":
            had: dict[int, Any] = {}
            for items in (record.get("custom_fields"), given.get("custom_fields")):
                if isinstance(items, list):
                    had |= {_int(i.get("id")): i.get("value") for i in items if isinstance(i, dict)}
            values = [{"id": f["id"], "value": had.get(f["id"])} for f in defined]
            record["custom_fields"], record["fields"] = values, [dict(v) for v in values]
            return
        bag = "user_fields" if kind == "users" else "organization_fields"
        merged: dict[str, Any] = {}
        for found in (record.get(bag), given.get(bag)):
            if isinstance(found, dict):
                merged |= found
        record[bag] = {f["key"]: merged.get(f["key"]) for f in defined}

    def now(self) -> str:
        return zendesk_time(self.clock())

    def get(self, kind: str, record_id: int) -> dict[str, Any] | None:
        return self.tables[kind].get(record_id)

    def shown(self, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        """A record as every answer but the incremental export shows it: a copy, and a ticket without
        `generated_timestamp` (recorded shows, creates, updates, lists and show_many have none)."""
        copy = dict(record)
        if kind == "tickets":
            copy.pop("generated_timestamp", None)
        return copy

    def find_by(self, kind: str, field: str, value: Any) -> dict[str, Any] | None:
        """The first record whose `field` equals `value` (emails compare case-insensitively)."""
        if value in (None, ""):
            return None
        index = self._index.get((kind, field))
        if index is not None:
            ids = index.get(_index_key(field, value))
            return self.tables[kind][min(ids)] if ids else None
        for record in self.tables[kind].values():
            found = record.get(field)
            if found == value or (field == "email" and str(found or "").lower() == str(value).lower()):
                return record
        return None

    def match(self, kind: str, values: dict[str, Any]) -> dict[str, Any] | None:
        """The record an item of create_or_update_many updates: by id, external_id, or (users) email."""
        if values.get("id") is not None:
            return self.get(kind, _int(values["id"]))
        found = self.find_by(kind, "external_id", values.get("external_id"))
        if found is None and kind == "users":
            found = self.find_by(kind, "email", values.get("email"))
        return found

    def upsert(self, kind: str, values: Any) -> Outcome:
        """Create or update one record as `create_or_update_many` does for one item."""
        if not isinstance(values, dict):
            return Outcome(None, "Failed", _error(kind, False), "Item must be an object")
        existing = self.match(kind, values)
        if values.get("id") is not None and existing is None:
            return Outcome(None, "Failed", "RecordNotFound", f"{SINGULAR[kind].title()} not found")
        try:
            if existing is None:
                return Outcome(self.insert(kind, values), "Created")
            self.update(kind, int(existing["id"]), values)
            return Outcome(int(existing["id"]), "Updated")
        except RecordRefused as exc:
            known = int(existing["id"]) if existing else None
            return Outcome(known, "Failed", _error(kind, bool(existing)), exc.details)

    def insert(self, kind: str, values: dict[str, Any]) -> int:
        """Create a record (validated); returns its id."""
        record = {**_defaults(kind), **_writable(values)}
        self._custom_values(kind, record, {})
        self.validate(kind, record, None)
        record_id = self._next[kind]
        self._next[kind] += 1
        stamp = self.now()
        if kind == "tickets" and record["description"] is None:
            record["description"] = _comment_body(values)
        record.update(id=record_id, url=self._url(kind, record_id), created_at=stamp, updated_at=stamp)
        if kind == "tickets":  # when the ticket last changed in any way, as the export orders tickets
            record["raw_subject"] = record["raw_subject"] or record["subject"]
            record["generated_timestamp"] = epoch(stamp)
        record.pop("comment", None)
        self._put(kind, record_id, record)
        return record_id

    def update(self, kind: str, record_id: int, values: dict[str, Any]) -> None:
        """Change a record (validated); `updated_at` moves to now. A ticket's `description` is its
        first comment and stays as it was (a real account ignores a new one, with no audit event)."""
        current = self.tables[kind][record_id]
        changes = _writable(values)
        if kind == "tickets":
            changes.pop("description", None)
        merged = {**current, **changes}
        for bag in ("user_fields", "organization_fields", "custom_fields", "fields"):
            if bag in current:  # custom values merge: a field left out keeps its value
                merged[bag] = current[bag]
        self._custom_values(kind, merged, changes)
        merged.pop("comment", None)
        self.validate(kind, merged, record_id)
        merged["updated_at"] = self.now()
        if kind == "tickets":
            merged["generated_timestamp"] = epoch(merged["updated_at"])
        self._put(kind, record_id, merged)

    def delete(self, kind: str, record_id: int) -> bool:
        """Remove a record (a deleted ticket leaves the lists); False when there was none."""
        record = self.tables[kind].pop(record_id, None)
        if record is None:
            return False
        for (indexed_kind, field), index in self._index.items():
            if indexed_kind == kind and record.get(field) not in (None, ""):
                index.get(_index_key(field, record[field]), set()).discard(record_id)
        return True

    def _put(self, kind: str, record_id: int, record: dict[str, Any]) -> None:
        old = self.tables[kind].get(record_id) or {}
        for (indexed_kind, field), index in self._index.items():
            if indexed_kind != kind:
                continue
            if old.get(field) not in (None, ""):
                index.get(_index_key(field, old[field]), set()).discard(record_id)
            if record.get(field) not in (None, ""):
                index.setdefault(_index_key(field, record[field]), set()).add(record_id)
        self.tables[kind][record_id] = record

    def validate(self, kind: str, record: dict[str, Any], record_id: int | None) -> None:
        """Raise RecordRefused the way Zendesk words its validation errors."""
        problems = {"users": self._user_problems, "organizations": self._organization_problems}.get(
            kind, self._ticket_problems
        )(record, record_id)
        if problems:
            raise RecordRefused(" ".join(problems))

    def _user_problems(self, record: dict[str, Any], record_id: int | None) -> list[str]:
        problems = []
        if not str(record.get("name") or "").strip():
            problems.append("Name: cannot be blank")
        email = record.get("email")
        if email not in (None, "") and not EMAIL.match(str(email)):
            problems.append(f"Email: {email} is not properly formatted")
        elif email and _taken(self.find_by("users", "email", email), record_id):
            problems.append(f"Email: {email} is already being used by another user")
        org = record.get("organization_id")
        if org is not None and self.get("organizations", _int(org)) is None:
            problems.append(f"Organization: {org} does not exist")
        if record.get("role") not in ROLES:
            problems.append(f"Role: {record.get('role')} is not included in the list")
        if not isinstance(record.get("suspended"), bool):
            problems.append("Suspended: must be true or false")
        return problems

    def _organization_problems(self, record: dict[str, Any], record_id: int | None) -> list[str]:
        name = str(record.get("name") or "").strip()
        if not name:
            return ["Name: cannot be blank"]
        if _taken(self.find_by("organizations", "name", record.get("name")), record_id):
            return ["Name: has already been taken"]
        return []

    def _ticket_problems(self, record: dict[str, Any], record_id: int | None) -> list[str]:
        problems = []
        if record_id is None and not (record.get("description") or record.get("comment")):
            problems.append("Description: cannot be blank")
        if record.get("status") not in TICKET_STATUSES:
            problems.append(f"Status: {record.get('status')} is not valid")
        if record.get("priority") not in TICKET_PRIORITIES:
            problems.append(f"Priority: {record.get('priority')} is not valid")
        requester = record.get("requester_id")
        if requester is not None and self.get("users", _int(requester)) is None:
            problems.append(f"Requester: {requester} does not exist")
        return problems

    def _url(self, kind: str, record_id: int) -> str:
        return f"{self.base_url}/api/v2/{kind}/{record_id}.json"


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _taken(found: dict[str, Any] | None, record_id: int | None) -> bool:
    return found is not None and found["id"] != record_id


def _writable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in READ_ONLY}


def _comment_body(values: dict[str, Any]) -> Any:
    comment = values.get("comment")
    return comment.get("body") if isinstance(comment, dict) else comment


def _error(kind: str, updating: bool) -> str:
    """The `error` of a failed job result item, e.g. UserUpdateError / OrganizationCreateError."""
    return f"{SINGULAR[kind].title()}{'Update' if updating else 'Create'}Error"


def _index_key(field: str, value: Any) -> Any:
    return str(value).lower() if field == "email" else value
