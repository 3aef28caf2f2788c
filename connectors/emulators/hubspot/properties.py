"""The portal's property definitions, as `GET /crm/v3/properties/{objectType}` answers them.

Each object type lists the properties its records carry: the ones HubSpot defines (those the sandbox
seeds and the shipped mappings read and write, and the read-only `hs_object_id`, `createdate` and
modified date the store sets) and the account's own unique `hub_id`, which batch upserts key on. The
answer has HubSpot's documented shape: `{"results": [...]}` with no paging, each property with its
`type` (string, number, datetime, date, enumeration, bool) and `fieldType` (text, textarea,
phonenumber, number, date, select, radio…), `options` for an enumeration, `hubspotDefined` on
HubSpot's own properties only (the documented custom property has no such key) and
`modificationMetadata.readOnlyValue` true where the store refuses a written value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.emulators.hubspot.store import OBJECT_TYPES, UNIQUE, modified_property
from connectors.emulators.seed import INDUSTRY_NAMES

# When the portal's properties were made: before any record the emulator holds.
DEFINED_AT = "2019-08-06T02:43:01.000Z"
LIFECYCLE_STAGES = (
    ("subscriber", "Subscriber"), ("lead", "Lead"), ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"), ("opportunity", "Opportunity"),
    ("customer", "Customer"), ("evangelist", "Evangelist"), ("other", "Other"),
)  # fmt: skip
DEAL_STAGES = (
    ("appointmentscheduled", "Appointment Scheduled"), ("qualifiedtobuy", "Qualified To Buy"),
    ("presentationscheduled", "Presentation Scheduled"),
    ("decisionmakerboughtin", "Decision Maker Bought-In"), ("contractsent", "Contract Sent"),
    ("closedwon", "Closed Won"), ("closedlost", "Closed Lost"),
)  # fmt: skip
TICKET_STAGES = (("1", "New"), ("2", "Waiting on contact"), ("3", "Waiting on us"), ("4", "Closed"))
PRIORITIES = (("LOW", "Low"), ("MEDIUM", "Medium"), ("HIGH", "High"), ("URGENT", "Urgent"))
PIPELINES = (("default", "Sales Pipeline"),)
SUPPORT_PIPELINES = (("0", "Support Pipeline"),)
GROUPS = {
    "contacts": "contactinformation",
    "companies": "companyinformation",
    "deals": "dealinformation",
    "tickets": "ticketinformation",
}


@dataclass(frozen=True)
class PropertyDef:
    """One property of an object type, with what the properties API reports about it."""

    name: str
    label: str
    type: str = "string"
    field_type: str = "text"
    group: str = "information"
    options: tuple[tuple[str, str], ...] = ()  # (value, label)
    hubspot_defined: bool = True
    read_only: bool = False
    unique: bool = False

    def describe(self) -> dict[str, Any]:
        """This property as `GET /crm/v3/properties/{objectType}` lists it."""
        body: dict[str, Any] = {
            "updatedAt": DEFINED_AT, "createdAt": DEFINED_AT, "name": self.name, "label": self.label,
            "type": self.type, "fieldType": self.field_type, "description": "", "groupName": self.group,
            "options": [
                {"label": label, "value": value, "displayOrder": order, "hidden": False}
                for order, (value, label) in enumerate(self.options)
            ],
            "displayOrder": -1 if self.hubspot_defined else 1, "calculated": False,
            "externalOptions": False, "hasUniqueValue": self.unique, "hidden": False,
            "modificationMetadata": {
                "archivable": not self.hubspot_defined, "readOnlyDefinition": self.hubspot_defined,
                "readOnlyValue": self.read_only,
            },
            "formField": not self.read_only,
        }  # fmt: skip
        if self.hubspot_defined:
            body["hubspotDefined"] = True
        return body


def _address(group: str) -> tuple[PropertyDef, ...]:
    return (
        PropertyDef("address", "Street Address", group=group),
        PropertyDef("city", "City", group=group),
        PropertyDef("state", "State/Region", group=group),
        PropertyDef("zip", "Postal Code", group=group),
        PropertyDef("country", "Country/Region", group=group),
    )


def _choices(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((v, v) for v in values)


OWN: dict[str, tuple[PropertyDef, ...]] = {
    "contacts": (
        PropertyDef("firstname", "First Name", group="contactinformation"),
        PropertyDef("lastname", "Last Name", group="contactinformation"),
        PropertyDef("email", "Email", group="contactinformation"),
        PropertyDef("phone", "Phone Number", field_type="phonenumber", group="contactinformation"),
        PropertyDef("mobilephone", "Mobile Phone Number", "string", "phonenumber", "contactinformation"),
        PropertyDef("jobtitle", "Job Title", group="contactinformation"),
        PropertyDef("company", "Company Name", group="contactinformation"),
        *_address("contactinformation"),
        PropertyDef("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "contactinformation",
                    LIFECYCLE_STAGES),
    ),
    "companies": (
        PropertyDef("name", "Company name", group="companyinformation"),
        PropertyDef("domain", "Company Domain Name", group="companyinformation"),
        PropertyDef("website", "Website URL", group="companyinformation"),
        PropertyDef("phone", "Phone Number", field_type="phonenumber", group="companyinformation"),
        # the sandbox's industries: HubSpot's own choices are codes (COMPUTER_SOFTWARE), which the
        # seeded records do not carry
        PropertyDef("industry", "Industry", "enumeration", "select", "companyinformation",
                    _choices(INDUSTRY_NAMES)),
        PropertyDef("numberofemployees", "Number of Employees", "number", "number", "companyinformation"),
        PropertyDef("annualrevenue", "Annual Revenue", "number", "number", "companyinformation"),
        PropertyDef("description", "Description", field_type="textarea", group="companyinformation"),
        *_address("companyinformation"),
        PropertyDef("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "companyinformation",
                    LIFECYCLE_STAGES),
    ),
    "deals": (
        PropertyDef("dealname", "Deal Name", group="dealinformation"),
        PropertyDef("amount", "Amount", "number", "number", "dealinformation"),
        PropertyDef("dealstage", "Deal Stage", "enumeration", "radio", "dealinformation", DEAL_STAGES),
        PropertyDef("pipeline", "Pipeline", "enumeration", "select", "dealinformation", PIPELINES),
        PropertyDef("closedate", "Close Date", "datetime", "date", "dealinformation"),
        PropertyDef("description", "Deal Description", field_type="textarea", group="dealinformation"),
    ),
    "tickets": (
        PropertyDef("subject", "Ticket name", group="ticketinformation"),
        PropertyDef("content", "Ticket description", field_type="textarea", group="ticketinformation"),
        PropertyDef("hs_pipeline", "Pipeline", "enumeration", "select", "ticketinformation",
                    SUPPORT_PIPELINES),
        PropertyDef("hs_pipeline_stage", "Ticket status", "enumeration", "select", "ticketinformation",
                    TICKET_STAGES),
        PropertyDef("hs_ticket_priority", "Priority", "enumeration", "select", "ticketinformation",
                    PRIORITIES),
    ),
}  # fmt: skip


def _set_by_store(object_type: str) -> tuple[PropertyDef, ...]:
    """The properties the store sets on every save, which a write may not give (`BUILT_IN`)."""
    group, modified = GROUPS[object_type], modified_property(object_type)
    return (
        PropertyDef("hs_object_id", "Record ID", "number", "number", group, read_only=True),
        PropertyDef("createdate", "Create Date", "datetime", "date", group, read_only=True),
        PropertyDef(modified, "Last Modified Date", "datetime", "date", group, read_only=True),
    )


def properties(object_type: str) -> tuple[PropertyDef, ...]:
    """Every property of an object type: HubSpot's own, then the account's (`hub_id`)."""
    hub_id = PropertyDef(
        "hub_id", "Hub Id", group=GROUPS[object_type], hubspot_defined=False,
        unique="hub_id" in UNIQUE[object_type],
    )  # fmt: skip
    return (*_set_by_store(object_type), *OWN[object_type], hub_id)


CATALOG: dict[str, tuple[PropertyDef, ...]] = {t: properties(t) for t in OBJECT_TYPES}
