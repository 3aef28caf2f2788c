"""An audience (list) and its members, with the rules Mailchimp applies when members are written.

- A member's id is the subscriber hash: MD5 of the lower-cased email.
- `status_if_new` only applies when the member is created; `status` applies always. So a member who
  unsubscribed stays unsubscribed unless a write sets `status` again; a cleaned address cannot be
  subscribed again through the API ("Member In Compliance State").
- `last_changed` moves only when a write changes something; it is written `2024-03-01T12:00:00+00:00`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from connectors.emulators.mailchimp.errors import (
    MailchimpProblem,
    fake_email,
    invalid_resource,
    member_exists,
    not_found,
)

Clock = Callable[[], datetime]
Member = dict[str, Any]

STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
# An audience's merge fields as `GET /lists/{id}/merge-fields` lists them: the five every new audience
# gets (First Name, Last Name, Address, Phone Number, Birthday) and the hub's own HUBID (hidden text).
MERGE_FIELDS: tuple[dict[str, Any], ...] = (
    {"merge_id": 1, "tag": "FNAME", "name": "First Name", "type": "text", "options": {"size": 25}},
    {"merge_id": 2, "tag": "LNAME", "name": "Last Name", "type": "text", "options": {"size": 25}},
    {
        "merge_id": 3,
        "tag": "ADDRESS",
        "name": "Address",
        "type": "address",
        "options": {"default_country": 164},
    },
    {
        "merge_id": 4,
        "tag": "PHONE",
        "name": "Phone Number",
        "type": "phone",
        "options": {"phone_format": "none"},
    },
    {
        "merge_id": 5,
        "tag": "BIRTHDAY",
        "name": "Birthday",
        "type": "birthday",
        "options": {"date_format": "MM/DD"},
    },
    {
        "merge_id": 6,
        "tag": "HUBID",
        "name": "Hub ID",
        "type": "text",
        "options": {"size": 25},
        "public": False,
    },
)
MERGE_TAGS = tuple(str(field["tag"]) for field in MERGE_FIELDS)
EMAIL_SHAPE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
DATETIME_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?")


def subscriber_hash(email: str) -> str:
    """MD5 of the lower-cased email, Mailchimp's member id."""
    return hashlib.md5(email.lower().encode()).hexdigest()


def mailchimp_time(moment: datetime) -> str:
    """`2021-06-01T15:31:36+00:00`, as Mailchimp writes times."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_time(text: str, field: str) -> datetime:
    """An ISO-8601 query parameter (a date alone means midnight UTC); 400 when malformed."""
    if not DATETIME_SHAPE.fullmatch(text.strip()):
        raise invalid_resource(field, f"{text} is not a valid ISO 8601 date-time")
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def valid_email(email: Any) -> bool:
    return isinstance(email, str) and EMAIL_SHAPE.fullmatch(email) is not None and ".." not in email


class Audience:
    """One list: its members by subscriber hash, and the writes the API allows on them."""

    def __init__(self, list_id: str, clock: Clock) -> None:
        self.list_id = list_id
        self.members: dict[str, Member] = {}
        self.merge_fields = [merge_field(list_id, order, spec) for order, spec in enumerate(MERGE_FIELDS, 2)]
        self._clock = clock
        self._web_ids = 100_000

    def now(self) -> datetime:
        return self._clock().astimezone(UTC).replace(microsecond=0)

    def merge_tags(self) -> list[str]:
        """The tags of the audience's merge fields, in display order."""
        return [str(field["tag"]) for field in self.merge_fields]

    def add_merge_field(self, spec: dict[str, Any]) -> dict[str, Any]:
        """A new merge field (`tag`, `name`, `type`, optional `options`, `required`, `public`), empty on
        every member already there, as Mailchimp adds one."""
        spec = {"merge_id": max((f["merge_id"] for f in self.merge_fields), default=0) + 1, **spec}
        field = merge_field(self.list_id, len(self.merge_fields) + 2, spec)
        self.merge_fields.append(field)
        for member in self.members.values():
            member["merge_fields"].setdefault(field["tag"], "")
        return field

    def get(self, member_hash: str) -> Member:
        member = self.members.get(member_hash.lower())
        if member is None:
            raise not_found()
        return member

    def upsert(self, body: Any, member_hash: str | None = None) -> tuple[Member, bool]:
        """Create or update from a PUT (or batch) body; returns the member and whether it is new."""
        if not isinstance(body, dict):
            raise invalid_resource("", "Schema describes object, NULL found instead")
        email = body.get("email_address")
        if not isinstance(email, str) or not email:
            raise invalid_resource("email_address", "This value should not be blank.")
        if not valid_email(email):
            raise MailchimpProblem(400, "Invalid Resource", fake_email(email))
        if member_hash is not None and subscriber_hash(email) != member_hash.lower():
            existing = self.members.get(member_hash.lower())
            if existing is None:
                raise MailchimpProblem(
                    400, "Invalid Resource", "The subscriber hash does not match the email address."
                )
        for key in ("status", "status_if_new"):
            if key in body and body[key] not in STATUSES:
                raise invalid_resource(key, f"Schema describes enum, {body[key]!r} is not one of {STATUSES}")
        target = (member_hash or subscriber_hash(email)).lower()
        if target in self.members:
            return self._update(self.members[target], body), False
        return self._create(email, body), True

    def _create(self, email: str, body: dict[str, Any]) -> Member:
        status = body.get("status") or body.get("status_if_new")
        if not status:
            raise invalid_resource("status", "Schema describes string, NULL found instead")
        now = mailchimp_time(self.now())
        member_hash = subscriber_hash(email)
        self._web_ids += 1
        member: Member = {
            "id": member_hash,
            "email_address": email,
            "unique_email_id": member_hash[:10],
            "contact_id": member_hash[::-1],
            "full_name": "",
            "web_id": self._web_ids,
            "email_type": body.get("email_type") or "html",
            "status": status,
            "consents_to_one_to_one_messaging": True,
            "merge_fields": {tag: "" for tag in self.merge_tags()},
            "stats": {"avg_open_rate": 0, "avg_click_rate": 0},
            "ip_signup": "",
            "timestamp_signup": "",
            "ip_opt": "",
            "timestamp_opt": now if status == "subscribed" else "",
            "member_rating": 2,
            "last_changed": now,
            "language": body.get("language") or "",
            "vip": bool(body.get("vip", False)),
            "email_client": "",
            "location": {
                "latitude": 0,
                "longitude": 0,
                "gmtoff": 0,
                "dstoff": 0,
                "country_code": "",
                "timezone": "",
                "region": "",
            },
            "source": "API - Generic",
            "tags_count": 0,
            "tags": [],
            "list_id": self.list_id,
            "_links": [],
        }
        self._merge(member, body.get("merge_fields"))
        self.members[member_hash] = member
        return member

    def _update(self, member: Member, body: dict[str, Any]) -> Member:
        before = repr(member)
        status = body.get("status")
        if status and status != member["status"]:
            if member["status"] == "cleaned" and status in ("subscribed", "pending"):
                raise MailchimpProblem(
                    400,
                    "Member In Compliance State",
                    f"{member['email_address']} is in a compliance state due to unsubscribe, bounce, "
                    "or compliance review and cannot be subscribed.",
                )
            member["status"] = status
            if status == "subscribed":
                member["timestamp_opt"] = mailchimp_time(self.now())
        if body.get("email_address") and body["email_address"].lower() != member["email_address"].lower():
            self._rename(member, body["email_address"])
        for key in ("email_type", "language", "vip"):
            if key in body:
                member[key] = body[key]
        self._merge(member, body.get("merge_fields"))
        if repr(member) != before:
            member["last_changed"] = mailchimp_time(self.now())
        return member

    def _rename(self, member: Member, email: str) -> None:
        new_hash = subscriber_hash(email)
        if new_hash in self.members:
            raise member_exists(email)
        del self.members[member["id"]]
        member["email_address"], member["id"] = email, new_hash
        self.members[new_hash] = member

    def _merge(self, member: Member, merge_fields: Any) -> None:
        if merge_fields is None:
            return
        if not isinstance(merge_fields, dict):
            raise invalid_resource("merge_fields", "Schema describes object, string found instead")
        for tag, value in merge_fields.items():
            if tag in self.merge_tags():  # tags the list does not define are ignored, as Mailchimp does
                member["merge_fields"][tag] = "" if value is None else value
        names = (member["merge_fields"]["FNAME"], member["merge_fields"]["LNAME"])
        member["full_name"] = " ".join(str(n) for n in names if n)

    def listing(self, query: dict[str, str | None]) -> list[Member]:
        """Members matching the query's filters, in the order the query asks (stable for paging)."""
        members = list(self.members.values())
        if query.get("status"):
            members = [m for m in members if m["status"] == query["status"]]
        else:  # archived contacts are out of the audience unless asked for
            members = [m for m in members if m["status"] != "archived"]
        since, before = query.get("since_last_changed"), query.get("before_last_changed")
        if since:
            start = parse_time(since, "since_last_changed")
            members = [m for m in members if _changed(m) > start]  # "changed after the set timeframe"
        if before:
            end = parse_time(before, "before_last_changed")
            members = [m for m in members if _changed(m) < end]
        field = query.get("sort_field") or "last_changed"
        if field not in ("last_changed", "timestamp_opt", "timestamp_signup"):
            raise invalid_resource("sort_field", f"Schema describes enum, {field!r} is not a sort field")
        descending = (query.get("sort_dir") or "ASC").upper() == "DESC"
        # The id breaks ties, so offset paging over one timestamp stays stable between calls.
        return sorted(members, key=lambda m: (str(m[field]), m["id"]), reverse=descending)


def merge_field(list_id: str, display_order: int, spec: dict[str, Any]) -> dict[str, Any]:
    """A merge field in the shape Mailchimp's merge-fields endpoints answer it."""
    options = {"size": 25} if spec["type"] == "text" else {}
    return {
        "merge_id": spec["merge_id"],
        "tag": spec["tag"],
        "name": spec["name"],
        "type": spec["type"],
        "required": bool(spec.get("required", False)),
        "default_value": spec.get("default_value", ""),
        "public": bool(spec.get("public", True)),
        "display_order": display_order,
        "options": {**options, **(spec.get("options") or {})},
        "help_text": spec.get("help_text", ""),
        "list_id": list_id,
        "_links": [],
    }


def _changed(member: Member) -> datetime:
    return datetime.fromisoformat(member["last_changed"])
