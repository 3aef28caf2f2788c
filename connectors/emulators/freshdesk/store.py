"""Freshdesk's contacts, companies and tickets in memory: ids, timestamps, validation, lists.

Every record carries `created_at`/`updated_at` in Freshdesk's `2022-11-16T15:59:28Z` form (whole
seconds, UTC). Contacts have a unique `unique_external_id` and a unique email; companies a unique
name. Companies and tickets keep custom fields in `custom_fields` (the hub uses `hub_id` there).
A refused record raises `Invalid` carrying Freshdesk's `errors` items and the HTTP status (400 for
validation, 409 for duplicates).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from connectors.emulators.freshdesk.fields import FieldBoard

Clock = Callable[[], datetime]
Kind = Literal["contacts", "companies", "tickets"]
KINDS: tuple[Kind, ...] = ("contacts", "companies", "tickets")
FIRST_IDS: dict[str, int] = {"contacts": 43000000001, "companies": 44000000001, "tickets": 1}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
TICKET_STATUSES = (2, 3, 4, 5)  # open, pending, resolved, closed
TICKET_PRIORITIES = (1, 2, 3, 4)  # low, medium, high, urgent
READ_ONLY = frozenset({"id", "created_at", "updated_at"})
# A contact's fields Freshdesk fills itself (a real account's create answer carries them:
# tests/fixtures/real/freshdesk/created_contact_201.json): its name split in two, and its ids in
# Freshworks' shared contact store. Derived from the record's id, so a seeded account is the same twice.
CONTACT_DERIVED = ("first_name", "last_name", "visitor_id", "org_contact_id")
ORG_CONTACT_BASE = 1891443779623000000
FRESHDESK_TIME = "%Y-%m-%dT%H:%M:%SZ"


def freshdesk_time(moment: datetime) -> str:
    """`2022-11-16T15:59:28Z`, the way Freshdesk writes every timestamp."""
    return moment.astimezone(UTC).strftime(FRESHDESK_TIME)


def parse_time(text: str) -> datetime:
    """An ISO-8601 timestamp (`2015-08-17T00:00:00Z`, a date, or with an offset) as aware UTC."""
    value = text.strip().replace("Z", "+00:00").replace(" ", "+")
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def item(field: str, message: str, code: str, **more: Any) -> dict[str, Any]:
    """One entry of Freshdesk's `errors` array."""
    return {"field": field, "message": message, "code": code, **more}


class Invalid(ValueError):
    """A refused record: Freshdesk's `errors` items and the status they are answered with."""

    def __init__(self, errors: list[dict[str, Any]], status: int = 400) -> None:
        self.errors = errors
        self.status = status
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))


def _defaults(kind: str) -> dict[str, Any]:
    if kind == "contacts":
        return {
            "name": None,
            "email": None,
            "phone": None,
            "mobile": None,
            "company_id": None,
            "unique_external_id": None,
            "job_title": None,
            "active": False,
            "time_zone": "Eastern Time (US & Canada)",
            "language": "en",
            "tags": [],
            "custom_fields": {},
            "deleted": False,
            "twitter_id": None,
            "address": None,
            "description": None,
            "view_all_tickets": False,
            "other_emails": [],
        }
    if kind == "companies":
        return {
            "name": None,
            "description": None,
            "domains": [],
            "note": None,
            "health_score": None,
            "account_tier": None,
            "renewal_date": None,
            "industry": None,
            "custom_fields": {},
        }
    return dict(TICKET_DEFAULTS)


# The 39 fields of a ticket as Freshdesk shows it ("View a Ticket", and `sentiment_score` as a real
# account's answer to an update carries it: tests/fixtures/real/freshdesk/updated_ticket_200.json),
# with what a new ticket has.
TICKET_DEFAULTS: dict[str, Any] = {
    "cc_emails": [],
    "fwd_emails": [],
    "reply_cc_emails": [],
    "ticket_cc_emails": [],
    "ticket_bcc_emails": [],
    "fr_escalated": False,
    "spam": False,
    "email_config_id": None,
    "group_id": None,
    "priority": 1,
    "requester_id": None,
    "responder_id": None,
    "source": 2,
    "company_id": None,
    "status": 2,
    "subject": None,
    "association_type": None,
    "support_email": None,
    "to_emails": None,
    "product_id": None,
    "type": None,
    "due_by": None,
    "fr_due_by": None,
    "is_escalated": False,
    "description": None,
    "description_text": None,
    "custom_fields": {},
    "tags": [],
    "attachments": [],
    "associated_tickets_count": None,
    "nr_due_by": None,
    "nr_escalated": False,
    "form_id": None,
    "structured_description": None,
    "source_additional_info": None,
    "sentiment_score": None,  # Freddy AI's score (44 in the recording); the emulator computes none
}  # and id, created_at, updated_at: 39
# What a create or update may name (Freshdesk's "Create a Ticket/Contact/Company" parameters); any
# other field is refused: 400 `invalid_field`, "Unexpected/invalid field in request".
WRITABLE: dict[str, frozenset[str]] = {
    "tickets": frozenset(
        [
            "name",
            "requester_id",
            "email",
            "facebook_id",
            "phone",
            "twitter_id",
            "unique_external_id",
            "subject",
            "type",
            "status",
            "priority",
            "description",
            "responder_id",
            "attachments",
            "cc_emails",
            "custom_fields",
            "due_by",
            "email_config_id",
            "fr_due_by",
            "group_id",
            "parent_id",
            "product_id",
            "source",
            "tags",
            "company_id",
            "internal_agent_id",
            "internal_group_id",
            "lookup_parameter",
            "related_ticket_ids",
        ]
    ),
    "contacts": frozenset(
        [
            "name",
            "email",
            "phone",
            "mobile",
            "twitter_id",
            "unique_external_id",
            "other_emails",
            "company_id",
            "view_all_tickets",
            "other_companies",
            "address",
            "avatar",
            "custom_fields",
            "description",
            "job_title",
            "language",
            "tags",
            "time_zone",
            "lookup_parameter",
            "facebook_id",
        ]
    ),
    "companies": frozenset(
        [
            "name",
            "domains",
            "description",
            "note",
            "health_score",
            "account_tier",
            "renewal_date",
            "industry",
            "custom_fields",
            "lookup_parameter",
        ]
    ),
}


def unexpected_fields(kind: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Freshdesk's errors for fields a create or update may not name (a typo such as `priorty`)."""
    allowed = WRITABLE.get(kind, frozenset())
    return [
        item(name, "Unexpected/invalid field in request", "invalid_field")
        for name in values
        if name not in allowed
    ]


class Store:
    """The account's records by kind and id."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.tables: dict[str, dict[int, dict[str, Any]]] = {kind: {} for kind in KINDS}
        self._next = dict(FIRST_IDS)
        # (kind, field) -> lookup key -> ids, built on a field's first lookup and kept up to date after:
        # uniqueness checks on every write would otherwise scan the table (seeding was quadratic).
        self._index: dict[tuple[str, str], dict[Any, set[int]]] = {}
        self.fields = FieldBoard(self.now())

    def add_field(self, kind: str, name: str, label: str, type_: str, choices: Any = None) -> dict[str, Any]:
        """Define a custom field of `kind` as an admin would; every record then carries it (null)."""
        field = self.fields.add(kind, name, label, type_, self.now(), choices=choices)
        for record in self.tables[kind].values():
            record["custom_fields"] = {name: None, **(record.get("custom_fields") or {})}
        return field

    def _with_custom_fields(self, kind: str, record: dict[str, Any]) -> None:
        """Every custom field of the kind in the record's `custom_fields` (null until set)."""
        given = record.get("custom_fields") if isinstance(record.get("custom_fields"), dict) else {}
        record["custom_fields"] = {f["name"]: None for f in self.fields.custom(kind)} | dict(given or {})

    def now(self) -> str:
        return freshdesk_time(self.clock())

    def get(self, kind: str, record_id: int) -> dict[str, Any] | None:
        return self.tables[kind].get(record_id)

    def find_by(self, kind: str, field: str, value: Any) -> list[dict[str, Any]]:
        """Records whose `field` (or `custom_fields.{name}`) equals `value`; emails and names ignore case."""
        if value in (None, ""):
            return []
        key = _lookup_key(field, value)
        if key is None:  # not hashable (a list): look the slow way
            return [r for r in self.tables[kind].values() if _field(r, field) == value]
        index = self._index.get((kind, field))
        if index is None:
            index = self._index[(kind, field)] = {}
            for record_id, record in self.tables[kind].items():
                self._add(index, field, record, record_id)
        return [self.tables[kind][i] for i in sorted(index.get(key, ()))]

    def _add(self, index: dict[Any, set[int]], field: str, record: dict[str, Any], record_id: int) -> None:
        key = _lookup_key(field, _field(record, field))
        if key is not None:
            index.setdefault(key, set()).add(record_id)

    def _put(self, kind: str, record_id: int, record: dict[str, Any]) -> None:
        """Store a record, keeping the lookup indexes of its kind current."""
        old = self.tables[kind].get(record_id)
        for (indexed, field), index in self._index.items():
            if indexed != kind:
                continue
            if old is not None:
                stale = _lookup_key(field, _field(old, field))
                if stale is not None:
                    index.get(stale, set()).discard(record_id)
            self._add(index, field, record, record_id)
        self.tables[kind][record_id] = record

    def ordered(self, kind: str) -> list[dict[str, Any]]:
        """Records by (updated_at, id): the order of `GET /api/v2/{kind}` with order_by=updated_at."""
        return sorted(self.tables[kind].values(), key=lambda r: (r["updated_at"], r["id"]))

    def insert(self, kind: str, values: dict[str, Any]) -> int:
        """Create a record (validated); returns its id."""
        record = {**_defaults(kind), **_writable(values)}
        self._with_custom_fields(kind, record)
        if kind == "tickets":
            record["description_text"] = _plain_text(record["description"])
            self._requester(record)
        self.validate(kind, record, None)
        record_id = self._next[kind]
        self._next[kind] += 1
        stamp = self.now()
        record.update(id=record_id, created_at=stamp, updated_at=stamp)
        if kind == "contacts":
            record |= _contact_names(record["name"])
            record["visitor_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"freshdesk-contact:{record_id}"))
            record["org_contact_id"] = ORG_CONTACT_BASE + record_id % 1000000
        if kind == "tickets":  # the default SLA: respond within a day, resolve within three
            record["fr_due_by"] = record["fr_due_by"] or freshdesk_time(self.clock() + timedelta(days=1))
            record["due_by"] = record["due_by"] or freshdesk_time(self.clock() + timedelta(days=3))
        self._put(kind, record_id, record)
        return record_id

    def _requester(self, ticket: dict[str, Any]) -> None:
        """A ticket raised by e-mail (or phone, unique_external_id) belongs to the contact that has it,
        made when there is none, as Freshdesk does; the ticket keeps only `requester_id`."""
        given = {k: ticket.pop(k) for k in ("email", "phone", "unique_external_id", "name") if k in ticket}
        for key in ("facebook_id", "twitter_id"):
            ticket.pop(key, None)
        if ticket.get("requester_id") or not given:
            return
        for field in ("email", "unique_external_id", "phone"):
            if given.get(field):
                found = self.find_by("contacts", field, given[field])
                if found:
                    ticket["requester_id"] = found[0]["id"]
                    return
        if given.get("email") or given.get("phone"):
            name = given.get("name") or str(given.get("email") or given.get("phone")).split("@")[0]
            contact: dict[str, Any] = {k: v for k, v in given.items() if k != "name"} | {"name": name}
            ticket["requester_id"] = self.insert("contacts", contact)

    def update(self, kind: str, record_id: int, values: dict[str, Any]) -> dict[str, Any]:
        """Change a record (validated); `updated_at` moves to now. Custom fields merge."""
        current = self.tables[kind][record_id]
        changes = _writable(values)
        merged = {**current, **changes}
        if isinstance(changes.get("custom_fields"), dict):
            merged["custom_fields"] = {**current.get("custom_fields", {}), **changes["custom_fields"]}
        if kind == "tickets" and "description" in changes:
            merged["description_text"] = _plain_text(merged["description"])
        if kind == "contacts" and "name" in changes:
            merged |= _contact_names(merged["name"])
        self.validate(kind, merged, record_id)
        merged["updated_at"] = self.now()
        self._put(kind, record_id, merged)
        return merged

    def validate(self, kind: str, record: dict[str, Any], record_id: int | None) -> None:
        """Raise Invalid the way Freshdesk words its validation errors (duplicates: 409)."""
        check = {"contacts": self._contact, "companies": self._company}.get(kind, self._ticket)
        errors = check(record)
        if errors:
            raise Invalid(errors)
        duplicates = self._duplicates(kind, record, record_id)
        if duplicates:
            raise Invalid(duplicates, 409)

    def _contact(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        errors = []
        if not isinstance(record.get("name"), str) or not record["name"].strip():
            errors.append(item("name", "It should be a/an String", "missing_field"))
        email = record.get("email")
        if email not in (None, "") and not EMAIL.match(str(email)):
            errors.append(item("email", "It should be in the 'valid email address' format", "invalid_value"))
        if not any(record.get(f) for f in ("email", "phone", "mobile", "unique_external_id")):
            errors.append(
                item(
                    "email",
                    "Please fill at least 1 of email, mobile, phone, twitter_id, unique_external_id fields",
                    "missing_field",
                )
            )
        company = record.get("company_id")
        if company is not None and self.get("companies", _int(company)) is None:
            errors.append(
                item("company_id", "There is no company matching the given company_id", "invalid_value")
            )
        return errors

    def _company(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        if not isinstance(record.get("name"), str) or not record["name"].strip():
            return [item("name", "It should be a/an String", "missing_field")]
        return []

    def _ticket(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        errors = []
        if not record.get("requester_id") and not record.get("email"):
            errors.append(
                item("requester_id", "Please fill at least 1 of requester_id, email fields", "missing_field")
            )
        requester = record.get("requester_id")
        if requester and self.get("contacts", _int(requester)) is None:
            errors.append(
                item("requester_id", "There is no contact matching the given requester_id", "invalid_value")
            )
        if not record.get("subject"):
            errors.append(item("subject", "It should be a/an String", "missing_field"))
        if not record.get("description"):
            errors.append(item("description", "It should be a/an String", "missing_field"))
        if record.get("status") not in TICKET_STATUSES:
            errors.append(item("status", "It should be one of these values: '2,3,4,5'", "invalid_value"))
        if record.get("priority") not in TICKET_PRIORITIES:
            errors.append(item("priority", "It should be one of these values: '1,2,3,4'", "invalid_value"))
        return errors

    def _duplicates(self, kind: str, record: dict[str, Any], record_id: int | None) -> list[dict[str, Any]]:
        unique = {"contacts": ("unique_external_id", "email"), "companies": ("name",)}.get(kind, ())
        errors = []
        for field in unique:
            taken = [r for r in self.find_by(kind, field, record.get(field)) if r["id"] != record_id]
            if taken:
                owner = "user_id" if kind == "contacts" else "company_id"
                errors.append(
                    item(
                        field,
                        "It should be a unique value",
                        "duplicate_value",
                        additional_info={owner: taken[0]["id"]},
                    )
                )
        return errors


def _field(record: dict[str, Any], field: str) -> Any:
    if field in record:
        return record[field]
    custom = record.get("custom_fields") or {}
    return custom.get(field.removeprefix("custom_fields."))


def _lookup_key(field: str, value: Any) -> Any:
    """What a value is looked up by: emails and names ignore case; None when it cannot be a key."""
    if value in (None, ""):
        return None
    if field in ("email", "name"):
        return str(value).lower()
    try:
        hash(value)
    except TypeError:
        return None
    return value


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _writable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in READ_ONLY and k not in CONTACT_DERIVED}


def _contact_names(name: Any) -> dict[str, Any]:
    """`first_name` and `last_name` as Freshdesk splits a contact's name ("Super Man": Super, Man)."""
    first, _, last = str(name or "").strip().partition(" ")
    return {"first_name": first or None, "last_name": last.strip() or None}


def _plain_text(html: Any) -> Any:
    """`description_text`: the HTML description without its tags, as Freshdesk fills it."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip() if isinstance(html, str) else html
