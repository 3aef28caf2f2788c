"""The account's field definitions, as Freshdesk lists them: `GET /api/v2/contact_fields`,
`/api/v2/company_fields` and `/api/v2/ticket_fields` (Admin > Customer fields, Ticket fields).

Each answer is a bare JSON array (no paging) of fields with `id`, `name`, `label`, `position`, `type`,
`default`, `required_for_agents`, `created_at`, `updated_at` (contacts and tickets add what customers
see: `customers_can_edit`, `label_for_customers`, `required_for_customers`, `displayed_for_customers`;
tickets `description` and `required_for_closure`), and `choices` for a field with a closed list: a
list of values (a dropdown, the ticket type), `{label: value}` (a ticket's priority and source) or
`{value: [agent label, customer label]}` (a ticket's status). The default fields (`default: true`,
types `default_*`) are Freshdesk's own; the account's custom ones (`default: false`, types
`custom_text`, `custom_dropdown`, `custom_number`, `custom_checkbox`, `custom_date`, ...) are what
records carry under `custom_fields` by `name`. The emulator's account has one custom field, `hub_id`
(Single-line text), on companies and on tickets: where the hub keeps its ids.
"""

from __future__ import annotations

import itertools
from typing import Any

FIELD_KINDS = {"contact_fields": "contacts", "company_fields": "companies", "ticket_fields": "tickets"}
FIRST_FIELD_ID = 60000000001
TIME_ZONES = ["Eastern Time (US & Canada)", "Central Time (US & Canada)", "Pacific Time (US & Canada)", "UTC"]
LANGUAGES = ["en", "de", "es", "fr", "it", "nl", "pt-BR"]
# (name, label, type, required for agents, choices) of Freshdesk's default fields, as documented.
DEFAULT_FIELDS: dict[str, tuple[tuple[str, str, str, bool, Any], ...]] = {
    "contacts": (
        ("name", "Full name", "default_name", True, None),
        ("job_title", "Title", "default_job_title", False, None),
        ("email", "Email", "default_email", False, None),
        ("phone", "Work phone", "default_phone", False, None),
        ("mobile", "Mobile phone", "default_mobile", False, None),
        ("twitter_id", "Twitter", "default_twitter_id", False, None),
        ("company_name", "Company", "default_company_name", False, None),
        ("address", "Address", "default_address", False, None),
        ("time_zone", "Time zone", "default_time_zone", False, TIME_ZONES),
        ("language", "Language", "default_language", False, LANGUAGES),
        ("tag_names", "Tags", "default_tag_names", False, None),
        ("description", "About", "default_description", False, None),
        ("unique_external_id", "Unique external ID", "default_unique_external_id", False, None),
        ("client_manager", "Can see all tickets from this company", "default_client_manager", False, None),
    ),
    "companies": (
        ("name", "Company Name", "default_name", True, None),
        ("description", "Description", "default_description", False, None),
        ("note", "Notes", "default_note", False, None),
        ("domains", "Domains for this company", "default_domains", False, None),
        ("health_score", "Health score", "default_health_score", False, ["At risk", "Doing okay", "Happy"]),
        ("account_tier", "Account tier", "default_account_tier", False, ["Basic", "Premium", "Enterprise"]),
        ("renewal_date", "Contract renewal date", "default_renewal_date", False, None),
        ("industry", "Industry", "default_industry", False, ["Software", "Manufacturing", "Retail"]),
    ),
    "tickets": (
        ("requester", "Search a requester", "default_requester", True, None),
        ("subject", "Subject", "default_subject", True, None),
        (
            "ticket_type",
            "Type",
            "default_ticket_type",
            False,
            ["Question", "Incident", "Problem", "Feature Request", "Refund"],
        ),
        ("source", "Source", "default_source", True, {"Email": 1, "Portal": 2, "Phone": 3, "Chat": 7}),
        (
            "status",
            "Status",
            "default_status",
            True,
            {
                "2": ["Open", "Being Processed"],
                "3": ["Pending", "Awaiting your Reply"],
                "4": ["Resolved", "This ticket has been Resolved"],
                "5": ["Closed", "This ticket has been Closed"],
            },
        ),
        ("priority", "Priority", "default_priority", True, {"Low": 1, "Medium": 2, "High": 3, "Urgent": 4}),
        ("group", "Group", "default_group", False, {}),
        ("agent", "Agent", "default_agent", False, {}),
        ("product", "Product", "default_product", False, {}),
        ("description", "Description", "default_description", True, None),
        ("company", "Company", "default_company", False, None),
    ),
}


class FieldBoard:
    """The field definitions of one account, by kind (contacts, companies, tickets)."""

    def __init__(self, stamp: str) -> None:
        self._ids = itertools.count(FIRST_FIELD_ID)
        self.fields: dict[str, list[dict[str, Any]]] = {kind: [] for kind in FIELD_KINDS.values()}
        for kind, defaults in DEFAULT_FIELDS.items():
            for name, label, type_, required, choices in defaults:
                self.add(kind, name, label, type_, stamp, required=required, choices=choices, default=True)
        for kind in ("companies", "tickets"):
            self.add(kind, "hub_id", "Hub ID", "custom_text", stamp)

    def add(
        self,
        kind: str,
        name: str,
        label: str,
        type_: str,
        stamp: str,
        *,
        required: bool = False,
        choices: Any = None,
        default: bool = False,
    ) -> dict[str, Any]:
        """Define a field (a custom one unless `default`); returns it."""
        field: dict[str, Any] = {
            "id": next(self._ids),
            "name": name,
            "label": label,
            "position": len(self.fields[kind]) + 1,
            "required_for_agents": required,
            "type": type_,
            "default": default,
            "created_at": stamp,
            "updated_at": stamp,
        }
        if kind != "companies":
            field |= {
                "customers_can_edit": not default,
                "label_for_customers": label,
                "required_for_customers": False,
                "displayed_for_customers": True,
            }
        if kind == "tickets":
            field |= {"description": None, "required_for_closure": False}
        if choices is not None:
            field["choices"] = choices
        self.fields[kind].append(field)
        return field

    def custom(self, kind: str) -> list[dict[str, Any]]:
        """The account's own fields of a kind."""
        return [f for f in self.fields[kind] if not f["default"]]
