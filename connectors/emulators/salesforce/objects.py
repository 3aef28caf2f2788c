"""The sObjects the emulator knows, as data: one field table per object.

Adding an object (Case, Opportunity, …) means adding a table to `SOBJECTS`; storage, validation,
SOQL, describe, Collections and Bulk API all read these tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

FieldType = Literal[
    "id", "string", "textarea", "picklist", "phone", "url", "email", "int", "currency",
    "double", "boolean", "date", "datetime", "reference",
]  # fmt: skip
STRING_TYPES = frozenset({"id", "string", "textarea", "picklist", "phone", "url", "email", "reference"})
SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "int": "xsd:int", "currency": "xsd:double",
    "double": "xsd:double", "boolean": "xsd:boolean", "date": "xsd:date", "datetime": "xsd:dateTime",
}  # fmt: skip
# Long text areas cannot be filtered or sorted in SOQL; shorter ones (addresses) can.
LONG_TEXT = 255


@dataclass(frozen=True)
class FieldDef:
    """One field of an sObject, with what describe reports about it."""

    name: str
    label: str
    type: FieldType
    length: int = 0
    required: bool = False
    external_id: bool = False
    unique: bool = False
    readonly: bool = False
    reference_to: str | None = None
    relationship_name: str | None = None
    # The parent's name for the records pointing at it through this field (`Contacts`, `Invoices__r`).
    child_relationship: str | None = None
    cascade_delete: bool = False
    compound_of: tuple[str, ...] = ()
    picklist: tuple[str, ...] = ()
    default: Any = None
    auto_number: bool = False

    @property
    def is_text(self) -> bool:
        return self.type in STRING_TYPES

    @property
    def filterable(self) -> bool:
        return not (self.type == "textarea" and self.length > LONG_TEXT)

    @property
    def defaulted(self) -> bool:
        """Whether the org fills the field in on create: a default, an auto-number, and a checkbox
        (Salesforce describes every boolean field as defaultedOnCreate, false unless set)."""
        return self.default is not None or self.auto_number or self.type == "boolean"

    def describe(self) -> dict[str, Any]:
        """This field as `GET /sobjects/{Object}/describe/` lists it."""
        writable = not self.readonly and self.type != "id"
        nillable = not (self.required or self.readonly or self.type in ("id", "boolean"))
        return {
            "name": self.name, "label": self.label, "type": self.type, "length": self.length,
            "externalId": self.external_id, "unique": self.unique,
            "idLookup": self.external_id or self.type == "id", "nillable": nillable,
            "createable": writable, "updateable": writable, "custom": self.name.endswith("__c"),
            "calculated": bool(self.compound_of), "filterable": self.filterable,
            "sortable": self.filterable, "referenceTo": [self.reference_to] if self.reference_to else [],
            "relationshipName": self.relationship_name, "cascadeDelete": self.cascade_delete,
            "soapType": SOAP_TYPES.get(self.type, "xsd:string"), "autoNumber": self.auto_number,
            "defaultValueFormula": None, "defaultedOnCreate": self.defaulted,
            "picklistValues": [
                {"active": True, "defaultValue": v == self.default, "label": v, "value": v}
                for v in self.picklist
            ],
        }  # fmt: skip


@dataclass(frozen=True)
class SObjectDef:
    """One sObject: its names, id prefix and field table."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: tuple[FieldDef, ...]
    # Fields the org sets itself on every save, from the record as saved (Case.IsClosed from Status).
    derive: Callable[[dict[str, Any]], None] | None = None

    @cached_property
    def by_name(self) -> dict[str, FieldDef]:
        """Fields by lower-cased name: Salesforce matches field names case-insensitively."""
        return {f.name.lower(): f for f in self.fields}

    @cached_property
    def relationships(self) -> dict[str, FieldDef]:
        """Reference fields by lower-cased relationship name (`account` -> AccountId)."""
        return {f.relationship_name.lower(): f for f in self.fields if f.relationship_name}

    def field(self, name: str) -> FieldDef | None:
        return self.by_name.get(name.lower())

    @cached_property
    def unique_fields(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields if f.unique)

    @cached_property
    def compound_fields(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields if f.compound_of)

    def urls(self, version: str) -> dict[str, str]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}

    def summary(self, version: str) -> dict[str, Any]:
        """This object as describeGlobal lists it."""
        return {
            "name": self.name, "label": self.label, "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix, "custom": self.name.endswith("__c"), "createable": True,
            "updateable": True,
            "deletable": True, "queryable": True, "retrieveable": True, "searchable": True,
            "replicateable": True, "triggerable": True, "undeletable": True, "layoutable": True,
            "mergeable": True, "activateable": False, "customSetting": False,
            "deprecatedAndHidden": False, "feedEnabled": True, "urls": self.urls(version),
        }  # fmt: skip

    def describe(self, version: str, children: tuple[ChildRelationship, ...] = ()) -> dict[str, Any]:
        """This object as `GET /sobjects/{Object}/describe/` answers."""
        return {
            **self.summary(version),
            "childRelationships": [child.describe() for child in children],
            "fields": [f.describe() for f in self.fields],
        }


@dataclass(frozen=True)
class ChildRelationship:
    """Records of `child` pointing at a parent through `field`, named `name` on the parent."""

    name: str
    child: SObjectDef
    field: FieldDef

    def describe(self) -> dict[str, Any]:
        """As describe's `childRelationships` lists it."""
        return {
            "cascadeDelete": self.field.cascade_delete, "childSObject": self.child.name,
            "deprecatedAndHidden": False, "field": self.field.name, "junctionIdListNames": [],
            "junctionReferenceTo": [], "relationshipName": self.name, "restrictedDelete": False,
        }  # fmt: skip


def system_fields() -> tuple[FieldDef, ...]:
    """The audit fields every object has."""
    return (
        FieldDef("IsDeleted", "Deleted", "boolean", readonly=True),
        FieldDef("CreatedDate", "Created Date", "datetime", readonly=True),
        FieldDef("CreatedById", "Created By ID", "reference", 18, readonly=True, reference_to="User"),
        FieldDef("LastModifiedDate", "Last Modified Date", "datetime", readonly=True),
        FieldDef("LastModifiedById", "Last Modified By ID", "reference", 18, readonly=True,
                 reference_to="User"),
        FieldDef("SystemModstamp", "System Modstamp", "datetime", readonly=True),
    )  # fmt: skip


ACCOUNT_TYPES = ("Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other")
INDUSTRIES = (
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction",
    "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Environmental",
    "Finance", "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery",
    "Manufacturing", "Media", "Not For Profit", "Recreation", "Retail", "Shipping", "Technology",
    "Telecommunications", "Transportation", "Utilities", "Other",
)  # fmt: skip

ACCOUNT = SObjectDef("Account", "Account", "Accounts", "001", (
    FieldDef("Id", "Account ID", "id", 18, readonly=True),
    FieldDef("Name", "Account Name", "string", 255, required=True),
    FieldDef("AccountNumber", "Account Number", "string", 40),
    FieldDef("Type", "Account Type", "picklist", 255, picklist=ACCOUNT_TYPES),
    FieldDef("Industry", "Industry", "picklist", 255, picklist=INDUSTRIES),
    FieldDef("Phone", "Account Phone", "phone", 40),
    FieldDef("Website", "Website", "url", 255),
    FieldDef("Description", "Account Description", "textarea", 32000),
    FieldDef("NumberOfEmployees", "Employees", "int"),
    FieldDef("AnnualRevenue", "Annual Revenue", "currency"),
    FieldDef("BillingStreet", "Billing Street", "textarea", 255),
    FieldDef("BillingCity", "Billing City", "string", 40),
    FieldDef("BillingState", "Billing State/Province", "string", 80),
    FieldDef("BillingPostalCode", "Billing Zip/Postal Code", "string", 20),
    FieldDef("BillingCountryCode", "Billing Country Code", "picklist", 10),
    FieldDef("Hub_Id__c", "Hub Id", "string", 36, external_id=True, unique=True),
    *system_fields(),
))  # fmt: skip

CONTACT = SObjectDef("Contact", "Contact", "Contacts", "003", (
    FieldDef("Id", "Contact ID", "id", 18, readonly=True),
    FieldDef("FirstName", "First Name", "string", 40),
    FieldDef("LastName", "Last Name", "string", 80, required=True),
    FieldDef("Name", "Full Name", "string", 121, readonly=True, compound_of=("FirstName", "LastName")),
    FieldDef("Email", "Email", "email", 80),
    FieldDef("Phone", "Business Phone", "phone", 40),
    FieldDef("MobilePhone", "Mobile Phone", "phone", 40),
    FieldDef("Title", "Title", "string", 128),
    FieldDef("Department", "Department", "string", 80),
    FieldDef("AccountId", "Account ID", "reference", 18, reference_to="Account",
             relationship_name="Account", child_relationship="Contacts", cascade_delete=True),
    FieldDef("MailingStreet", "Mailing Street", "textarea", 255),
    FieldDef("MailingCity", "Mailing City", "string", 40),
    FieldDef("MailingState", "Mailing State/Province", "string", 80),
    FieldDef("MailingPostalCode", "Mailing Zip/Postal Code", "string", 20),
    FieldDef("MailingCountryCode", "Mailing Country Code", "picklist", 10),
    FieldDef("Birthdate", "Birthdate", "date"),
    FieldDef("HasOptedOutOfEmail", "Email Opt Out", "boolean"),
    FieldDef("Description", "Contact Description", "textarea", 32000),
    FieldDef("Hub_Id__c", "Hub Id", "string", 36, external_id=True, unique=True),
    *system_fields(),
))  # fmt: skip

CASE_STATUSES = ("New", "Working", "Escalated", "On Hold", "Closed")


def _case_state(record: dict[str, Any]) -> None:
    """IsClosed follows Status; ClosedDate is when the case was last closed."""
    closed = record.get("Status") == "Closed"
    if not closed:
        record["ClosedDate"] = None
    elif not record.get("IsClosed"):
        record["ClosedDate"] = record["LastModifiedDate"]
    record["IsClosed"] = closed


CASE = SObjectDef("Case", "Case", "Cases", "500", (
    FieldDef("Id", "Case ID", "id", 18, readonly=True),
    FieldDef("CaseNumber", "Case Number", "string", 30, readonly=True, auto_number=True),
    FieldDef("Subject", "Subject", "string", 255),
    FieldDef("Description", "Description", "textarea", 32000),
    FieldDef("Status", "Status", "picklist", 255, picklist=CASE_STATUSES, default="New"),
    FieldDef("Priority", "Priority", "picklist", 255, picklist=("High", "Medium", "Low"), default="Medium"),
    FieldDef("Origin", "Case Origin", "picklist", 255, picklist=("Phone", "Email", "Web")),
    FieldDef("ContactId", "Contact ID", "reference", 18, reference_to="Contact", relationship_name="Contact",
             child_relationship="Cases"),
    FieldDef("AccountId", "Account ID", "reference", 18, reference_to="Account", relationship_name="Account",
             child_relationship="Cases"),
    FieldDef("SuppliedEmail", "Web Email", "email", 80),
    FieldDef("IsClosed", "Closed", "boolean", readonly=True),
    FieldDef("ClosedDate", "Closed Date", "datetime", readonly=True),
    FieldDef("Hub_Id__c", "Hub Id", "string", 36, external_id=True, unique=True),
    *system_fields(),
), derive=_case_state)  # fmt: skip

ORDER_STATUSES = ("Draft", "Activated")
ERP_STATUSES = ("Draft", "Sent", "Confirmed", "Done", "Cancelled")
# A multi-currency org's CurrencyIsoCode picklist (ISO 4217 codes of the currencies it has enabled).
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "SEK", "NOK", "DKK", "MXN", "BRL", "INR")


def _order_state(record: dict[str, Any]) -> None:
    """An order counts as activated from the first save whose Status is Activated."""
    if record.get("Status") == "Activated" and not record.get("ActivatedDate"):
        record["ActivatedDate"] = record["LastModifiedDate"]


ORDER = SObjectDef("Order", "Order", "Orders", "801", (
    FieldDef("Id", "Order ID", "id", 18, readonly=True),
    FieldDef("OrderNumber", "Order Number", "string", 30, readonly=True, auto_number=True),
    FieldDef("AccountId", "Account ID", "reference", 18, required=True, reference_to="Account",
             relationship_name="Account", child_relationship="Orders"),
    FieldDef("EffectiveDate", "Order Start Date", "date", required=True),
    FieldDef("EndDate", "Order End Date", "date"),
    FieldDef("Status", "Status", "picklist", 255, picklist=ORDER_STATUSES, default="Draft"),
    FieldDef("ActivatedDate", "Activated Date", "datetime", readonly=True),
    FieldDef("PoNumber", "PO Number", "string", 80),
    FieldDef("Description", "Description", "textarea", 32000),
    FieldDef("CurrencyIsoCode", "Order Currency", "picklist", 3, picklist=CURRENCIES, default="USD"),
    FieldDef("TotalAmount", "Order Amount", "currency", readonly=True, default=0),
    FieldDef("ERP_Number__c", "ERP Order Number", "string", 64),
    FieldDef("ERP_Status__c", "ERP Status", "picklist", 255, picklist=ERP_STATUSES),
    FieldDef("Amount_Untaxed__c", "Amount Untaxed", "currency"),
    FieldDef("Amount_Tax__c", "Tax", "currency"),
    FieldDef("Amount_Total__c", "Amount Total", "currency"),
    FieldDef("Lines__c", "Order Lines", "textarea", 32768),
    FieldDef("Hub_Id__c", "Hub Id", "string", 36, external_id=True, unique=True),
    *system_fields(),
), derive=_order_state)  # fmt: skip

PAYMENT_STATUSES = ("Not Paid", "In Payment", "Partially Paid", "Paid", "Reversed")

# A custom object (Setup > Object Manager): ERP invoices, on a related list of the account.
INVOICE = SObjectDef("Invoice__c", "Invoice", "Invoices", "a0I", (
    FieldDef("Id", "Record ID", "id", 18, readonly=True),
    FieldDef("Name", "Invoice Number", "string", 80, required=True),
    FieldDef("Account__c", "Account", "reference", 18, required=True, reference_to="Account",
             relationship_name="Account__r", child_relationship="Invoices__r", cascade_delete=True),
    FieldDef("Order__c", "Order", "reference", 18, reference_to="Order", relationship_name="Order__r",
             child_relationship="Invoices__r"),
    FieldDef("Type__c", "Type", "picklist", 255, picklist=("Invoice", "Credit Note")),
    FieldDef("Status__c", "Status", "picklist", 255, picklist=("Draft", "Posted", "Cancelled")),
    FieldDef("Payment_Status__c", "Payment Status", "picklist", 255, picklist=PAYMENT_STATUSES),
    FieldDef("Invoice_Date__c", "Invoice Date", "date"),
    FieldDef("Due_Date__c", "Due Date", "date"),
    FieldDef("CurrencyIsoCode", "Currency", "picklist", 3, picklist=CURRENCIES, default="USD"),
    FieldDef("Amount_Untaxed__c", "Amount Untaxed", "currency"),
    FieldDef("Amount_Tax__c", "Tax", "currency"),
    FieldDef("Amount_Total__c", "Amount Total", "currency"),
    FieldDef("Amount_Due__c", "Amount Due", "currency"),
    FieldDef("Hub_Id__c", "Hub Id", "string", 36, external_id=True, unique=True),
    *system_fields(),
))  # fmt: skip

SOBJECTS: tuple[SObjectDef, ...] = (ACCOUNT, CONTACT, CASE, ORDER, INVOICE)


@dataclass
class Catalog:
    """The objects of one org, found by name (case-insensitively) or by id prefix."""

    sobjects: tuple[SObjectDef, ...] = SOBJECTS
    _by_name: dict[str, SObjectDef] = field(init=False, repr=False)
    _by_prefix: dict[str, SObjectDef] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {s.name.lower(): s for s in self.sobjects}
        self._by_prefix = {s.key_prefix: s for s in self.sobjects}

    def get(self, name: str) -> SObjectDef | None:
        return self._by_name.get(name.lower())

    def for_id(self, record_id: str) -> SObjectDef | None:
        return self._by_prefix.get(record_id[:3])

    def children(self, parent: SObjectDef) -> tuple[ChildRelationship, ...]:
        """The child relationships of `parent`, as its describe lists them."""
        return tuple(
            ChildRelationship(f.child_relationship, child, f)
            for child in self.sobjects
            for f in child.fields
            if f.child_relationship and (f.reference_to or "").lower() == parent.name.lower()
        )

    def child(self, parent: SObjectDef, name: str) -> ChildRelationship | None:
        """A child relationship of `parent` by its name (case-insensitively)."""
        return next((c for c in self.children(parent) if c.name.lower() == name.lower()), None)
