"""The `base` models the emulator serves (res.partner, res.country, res.users), as field tables.

To add a model, declare its fields in a dict, wrap it with `make_model` (in its own module, as
`sales`, `invoices`, `hr`... do) and list it in `catalog.MODELS`; computed fields take a function of
`(database, record)`, constraints are data too, and business logic goes in `Hooks` and `methods`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.errors import ValidationError
from connectors.emulators.odoo.fields import (
    Compute,
    FieldSpec,
    ModelSpec,
    Record,
    SqlConstraint,
    magic_fields,
)

PARTNER_TYPES = (
    ("contact", "Contact"),
    ("invoice", "Invoice Address"),
    ("delivery", "Delivery Address"),
    ("other", "Other Address"),
)
LANGUAGES = (("en_US", "English (US)"),)


def make_model(
    name: str,
    description: str,
    fields: Mapping[str, FieldSpec],
    *,
    display_name: Compute | None = None,
    **options: Any,
) -> ModelSpec:
    """A `ModelSpec` with the magic fields (id, display_name, create/write uid and date) added."""
    rec_name = options.get("rec_name", "name")
    display = display_name or (lambda _db, record: record.get(rec_name) or "")
    return ModelSpec(
        name=name, description=description, fields={**magic_fields(display), **fields}, **options
    )


# ---- res.partner ----


def commercial_partner(db: Database, record: Record) -> int:
    """The company a contact belongs to: itself when it is a company or has no parent."""
    partners, seen = db.tables["res.partner"], set()
    while record.get("parent_id") and not record.get("is_company") and record["id"] not in seen:
        seen.add(record["id"])
        parent = partners.get(record["parent_id"])
        if parent is None:
            break
        record = parent
    return int(record["id"])


def partner_complete_name(db: Database, record: Record) -> str:
    """ "Company, Person" for a person under a company, else the name (`_get_complete_name`)."""
    name = record.get("name") or ""
    parent = db.tables["res.partner"].get(record.get("parent_id") or 0)
    if parent is None:
        return name.strip()
    if not name and record.get("type") in ("invoice", "delivery", "other"):
        name = dict(PARTNER_TYPES)[record["type"]]
    if not record.get("is_company"):
        commercial = db.tables["res.partner"][commercial_partner(db, record)]
        company_name = commercial.get("name") if commercial.get("is_company") else None
        name = f"{company_name or parent.get('name') or ''}, {name}"
    return name.strip()


def partner_children(db: Database, record: Record) -> list[int]:
    """Active contacts whose parent is this partner (child_ids has domain active = True)."""
    partners = db.tables["res.partner"]
    child_ids = db.children("res.partner", "parent_id").get(record["id"], [])
    return [child for child in child_ids if partners[child].get("active")]


def country_code(db: Database, record: Record) -> str | None:
    country = db.tables["res.country"].get(record.get("country_id") or 0)
    return country.get("code") if country else None


def clean_website(value: Any) -> Any:
    """Prefix a scheme-less website with http://, as res.partner's `_clean_website` does."""
    if not value or not isinstance(value, str) or urlsplit(value).scheme:
        return value
    return f"http://{value}"


def check_partner_recursion(db: Database, record: Record) -> None:
    """`_check_parent_id`: a partner may not be its own ancestor."""
    partners, seen = db.tables["res.partner"], {record["id"]}
    parent_id = record.get("parent_id")
    while parent_id:
        if parent_id in seen:
            raise ValidationError("You cannot create recursive Partner hierarchies.")
        seen.add(parent_id)
        parent_id = (partners.get(parent_id) or {}).get("parent_id")


def contact_has_name(record: Record) -> bool:
    """CHECK((type='contact' AND name IS NOT NULL) or (type!='contact')); NULL type passes."""
    return record.get("type") != "contact" or record.get("name") is not None


PARTNER_FIELDS: dict[str, FieldSpec] = {
    "name": FieldSpec("char", "Name"),
    "complete_name": FieldSpec("char", "Complete Name", readonly=True, compute=partner_complete_name),
    "is_company": FieldSpec("boolean", "Is a Company", default=False),
    "company_type": FieldSpec(
        "selection",
        "Company Type",
        selection=(("person", "Individual"), ("company", "Company")),
        store=False,
        compute=lambda _db, record: "company" if record.get("is_company") else "person",
        inverse=lambda value: {"is_company": value == "company"},
    ),
    "type": FieldSpec("selection", "Address Type", selection=PARTNER_TYPES, default="contact"),
    "parent_id": FieldSpec("many2one", "Related Company", relation="res.partner", dereferenced_on_write=True),
    "child_ids": FieldSpec(
        "one2many",
        "Contact",
        relation="res.partner",
        inverse_name="parent_id",
        store=False,
        search=True,
        compute=partner_children,
        domain=(("active", "=", True),),
    ),
    "commercial_partner_id": FieldSpec(
        "many2one", "Commercial Entity", relation="res.partner", readonly=True, compute=commercial_partner
    ),
    "email": FieldSpec("char", "Email"),
    "phone": FieldSpec("char", "Phone"),
    "mobile": FieldSpec("char", "Mobile"),
    "street": FieldSpec("char", "Street"),
    "street2": FieldSpec("char", "Street2"),
    "city": FieldSpec("char", "City"),
    "zip": FieldSpec("char", "Zip"),
    "country_id": FieldSpec("many2one", "Country", relation="res.country", ondelete="restrict"),
    "country_code": FieldSpec(
        "char",
        "Country Code",
        readonly=True,
        store=False,
        search=True,
        compute=country_code,
        related="country_id.code",
        help="The ISO country code in two chars. \nYou can use this field for quick search.",
    ),
    "website": FieldSpec("char", "Website Link", normalize=clean_website),
    "function": FieldSpec("char", "Job Position"),
    "comment": FieldSpec("html", "Notes"),
    "ref": FieldSpec("char", "Reference"),
    "vat": FieldSpec("char", "Tax ID", help="The Tax Identification Number."),
    "lang": FieldSpec("selection", "Language", selection=LANGUAGES, default="en_US"),
    "active": FieldSpec("boolean", "Active", default=True),
    "x_hub_id": FieldSpec("char", "Hub ID", manual=True),
}

RES_PARTNER = make_model(
    "res.partner",
    "Contact",
    PARTNER_FIELDS,
    display_name=partner_complete_name,
    order="complete_name ASC, id DESC",
    rec_names_search=("complete_name", "email", "ref", "vat"),
    sql_constraints=(SqlConstraint("check_name", "Contacts require a name", check=contact_has_name),),
    constraints=(check_partner_recursion,),
)

# ---- res.country and res.users ----

RES_COUNTRY = make_model(
    "res.country",
    "Country",
    {
        "name": FieldSpec("char", "Country Name", required=True),
        "code": FieldSpec("char", "Country Code", required=True, size=2),
    },
    order="name",
    rec_names_search=("name", "code"),
    sql_constraints=(
        SqlConstraint("name_uniq", "The name of the country must be unique!", unique=("name",)),
        SqlConstraint("code_uniq", "The code of the country must be unique!", unique=("code",)),
    ),
)

RES_USERS = make_model(
    "res.users",
    "User",
    {
        "login": FieldSpec("char", "Login", required=True),
        "name": FieldSpec("char", "Name", required=True),
        "partner_id": FieldSpec(
            "many2one", "Related Partner", relation="res.partner", required=True, ondelete="restrict"
        ),
        "active": FieldSpec("boolean", "Active", default=True),
    },
    order="name, login",
    rec_names_search=("name", "login"),
    sql_constraints=(
        SqlConstraint("login_key", "You can not have two users with the same login!", unique=("login",)),
    ),
    methods={"context_get": lambda env, ids: {"lang": "en_US", "tz": "Europe/Brussels", "uid": env.uid}},
)

MODELS: tuple[ModelSpec, ...] = (RES_PARTNER, RES_COUNTRY, RES_USERS)
