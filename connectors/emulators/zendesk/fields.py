"""The account's field definitions, as Zendesk lists them: `GET /api/v2/user_fields`,
`/api/v2/organization_fields` and `/api/v2/ticket_fields`.

Users and organizations list only the account's own (custom) fields; their records carry every one
under `user_fields` / `organization_fields` by `key` (null until set). Tickets list Zendesk's system
fields too (`subject`, `description`, `status`, `tickettype`, `priority`, `group`, `assignee`;
`removable: false`; an account with custom statuses has `custom_status` too, which this one has not),
and a ticket carries each custom field as `{"id", "value"}` in its `custom_fields` (and `fields`) array.
An answer is `{"<kind>_fields": [...], "next_page", "previous_page", "count"}` (offset paging,
`per_page` ≤ 100), each field with `id`, `url`, `type`, `title`, `raw_title`, `description`,
`position`, `active`, `regexp_for_validation`, `created_at`, `updated_at`; user and organization fields
add `key` and `system`; ticket fields `removable`, `required`, `collapsed_for_agents` and what the help
center shows (`title_in_portal`, `visible_in_portal`, `editable_in_portal`, `required_in_portal`).
Dropdowns carry `custom_field_options` (`id`, `name`, `raw_name`, `value`); a ticket's status, type and
priority carry `system_field_options` (`name`, `value`).
"""

from __future__ import annotations

import itertools
from typing import Any

FIELD_KINDS = {"user_fields": "users", "organization_fields": "organizations", "ticket_fields": "tickets"}
MAX_PER_PAGE = 100
FIRST_FIELD_ID = 360000100001
# Zendesk's system ticket fields: (type, title, required, (option name, value) pairs).
SYSTEM_TICKET_FIELDS: tuple[tuple[str, str, bool, tuple[tuple[str, str], ...]], ...] = (
    ("subject", "Subject", True, ()),
    ("description", "Description", True, ()),
    (
        "status",
        "Status",
        True,
        (
            ("New", "new"),
            ("Open", "open"),
            ("Pending", "pending"),
            ("On-hold", "hold"),
            ("Solved", "solved"),
            ("Closed", "closed"),
        ),
    ),
    (
        "tickettype",
        "Type",
        False,
        (("Question", "question"), ("Incident", "incident"), ("Problem", "problem"), ("Task", "task")),
    ),
    (
        "priority",
        "Priority",
        False,
        (("Low", "low"), ("Normal", "normal"), ("High", "high"), ("Urgent", "urgent")),
    ),
    ("group", "Group", False, ()),
    ("assignee", "Assignee", True, ()),
)
DROPDOWNS = frozenset({"dropdown", "tagger", "multiselect"})


class FieldBoard:
    """The field definitions of one account, by kind (users, organizations, tickets)."""

    def __init__(self, stamp: str, base_url: str = "https://omnihub.zendesk.com") -> None:
        self.base_url = base_url
        self._ids = itertools.count(FIRST_FIELD_ID)
        self.fields: dict[str, list[dict[str, Any]]] = {kind: [] for kind in FIELD_KINDS.values()}
        for type_, title, required, options in SYSTEM_TICKET_FIELDS:
            field = self._field("tickets", type_, type_, title, stamp, removable=False)
            field["required"] = required
            if options:
                field["system_field_options"] = [{"name": n, "value": v} for n, v in options]

    def _field(
        self, kind: str, key: str, type_: str, title: str, stamp: str, *, removable: bool = True
    ) -> dict[str, Any]:
        field_id = next(self._ids)
        resource = next(name for name, of in FIELD_KINDS.items() if of == kind)
        field: dict[str, Any] = {
            "id": field_id,
            "url": f"{self.base_url}/api/v2/{resource}/{field_id}.json",
            "type": type_,
            "title": title,
            "raw_title": title,
            "description": "",
            "raw_description": "",
            "position": len(self.fields[kind]),
            "active": True,
            "regexp_for_validation": None,
            "created_at": stamp,
            "updated_at": stamp,
        }
        if kind == "tickets":
            field |= {
                "removable": removable,
                "required": False,
                "collapsed_for_agents": False,
                "title_in_portal": title,
                "raw_title_in_portal": title,
                "visible_in_portal": not removable,
                "editable_in_portal": not removable,
                "required_in_portal": False,
                "agent_description": None,
                "tag": None,
            }
        else:
            field |= {"key": key, "system": False}
        self.fields[kind].append(field)
        return field

    def add(
        self, kind: str, key: str, title: str, type_: str, stamp: str, options: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Define a custom field (a ticket field's `key` is only its title's handle: tickets carry it by
        id); dropdown `options` become `custom_field_options` whose values are their tags."""
        field = self._field(kind, key, type_, title, stamp)
        if type_ in DROPDOWNS:
            field["custom_field_options"] = [
                {
                    "id": field["id"] * 10 + position,
                    "name": option,
                    "raw_name": option,
                    "value": option.lower().replace(" ", "_"),
                    "position": position,
                    "default": False,
                }
                for position, option in enumerate(options)
            ]
        return field

    def custom(self, kind: str) -> list[dict[str, Any]]:
        """The account's own fields of a kind (a ticket's removable ones)."""
        return [f for f in self.fields[kind] if kind != "tickets" or f.get("removable")]

    def page(self, resource: str, query: dict[str, list[str]]) -> dict[str, Any]:
        """One page of `GET /api/v2/{resource}` (offset paging, as Zendesk's field lists have)."""
        first = {k: v[0] for k, v in query.items() if v}
        size = _number(first.get("per_page"), MAX_PER_PAGE, MAX_PER_PAGE)
        page = _number(first.get("page"), 1, None)
        rows = [
            {**f, "url": f"{self.base_url}/api/v2/{resource}/{f['id']}.json"}
            for f in self.fields[FIELD_KINDS[resource]]
        ]
        start = (page - 1) * size
        url = f"{self.base_url}/api/v2/{resource}.json?per_page={size}&page="
        return {
            resource: rows[start : start + size],
            "next_page": f"{url}{page + 1}" if len(rows) > start + size else None,
            "previous_page": f"{url}{page - 1}" if page > 1 else None,
            "count": len(rows),
        }


class BadFieldsRequest(ValueError):
    """A field list request with a page or per_page Zendesk refuses."""


def _number(text: str | None, default: int, most: int | None) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1 or (most is not None and int(text) > most):
        raise BadFieldsRequest(f"per_page and page must be positive numbers (per_page at most {most})")
    return int(text)
