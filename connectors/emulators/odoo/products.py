"""Products and pricelists (`product.product`, `product.pricelist`), Odoo 17 with sale installed.

`product.product` is served alone: the template/variant split (`product.template` behind every
variant, through `_inherits`) is not emulated, so the template's fields (name, list_price, taxes_id...)
are the variant's own here, read and written exactly as they are through the variant in Odoo.
A sale order's currency comes from its pricelist, as in Odoo: one pricelist per active currency.
"""

from __future__ import annotations

from typing import Any

from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.fields import FieldSpec, Record
from connectors.emulators.odoo.models import make_model
from connectors.emulators.odoo.money import PURCHASE_TAX_ID, SALE_TAX_ID
from connectors.emulators.odoo.relations import COMPANY_CURRENCY_ID

PRODUCT_TYPES = (("consu", "Consumable"), ("service", "Service"), ("product", "Storable Product"))


def product_display_name(db: Database, record: Record) -> str:
    """ "[CODE] Name", or the name alone without an internal reference."""
    name = record.get("name") or ""
    return f"[{record['default_code']}] {name}" if record.get("default_code") else name


def pricelist_display_name(db: Database, record: Record) -> str:
    currency = db.tables["res.currency"].get(record.get("currency_id") or 0)
    return f"{record.get('name') or ''} ({currency['name']})" if currency else str(record.get("name") or "")


PRODUCT_PRICELIST = make_model(
    "product.pricelist",
    "Pricelist",
    {
        "name": FieldSpec("char", "Pricelist Name", required=True),
        "active": FieldSpec("boolean", "Active", default=True),
        "sequence": FieldSpec("integer", "Sequence", default=16),
        "currency_id": FieldSpec(
            "many2one", "Currency", relation="res.currency", required=True, default=COMPANY_CURRENCY_ID
        ),
    },
    display_name=pricelist_display_name,
    order="sequence asc, id desc",
)

PRODUCT_PRODUCT = make_model(
    "product.product",
    "Product Variant",
    {
        "name": FieldSpec("char", "Name", required=True),
        "default_code": FieldSpec("char", "Internal Reference"),
        "barcode": FieldSpec("char", "Barcode"),
        "type": FieldSpec(
            "selection", "Product Type", selection=PRODUCT_TYPES, required=True, default="consu"
        ),
        "list_price": FieldSpec("float", "Sales Price", default=1.0, digits=2),
        "standard_price": FieldSpec("float", "Cost", digits=2),
        "currency_id": FieldSpec(
            "many2one",
            "Currency",
            relation="res.currency",
            readonly=True,
            compute=lambda _db, _record: COMPANY_CURRENCY_ID,
        ),
        "uom_name": FieldSpec(
            "char", "Unit of Measure Name", readonly=True, store=False, compute=lambda _db, _r: "Units"
        ),
        "sale_ok": FieldSpec("boolean", "Can be Sold", default=True),
        "purchase_ok": FieldSpec("boolean", "Can be Purchased", default=True),
        "taxes_id": FieldSpec(
            "many2many", "Customer Taxes", relation="account.tax", default=lambda: [SALE_TAX_ID]
        ),
        "supplier_taxes_id": FieldSpec(
            "many2many", "Vendor Taxes", relation="account.tax", default=lambda: [PURCHASE_TAX_ID]
        ),
        "description_sale": FieldSpec("text", "Sales Description"),
        "active": FieldSpec("boolean", "Active", default=True),
        "x_hub_id": FieldSpec("char", "Hub ID", manual=True),
    },
    display_name=product_display_name,
    order="default_code, name, id",
    rec_names_search=("name", "default_code", "barcode"),
)

PRODUCT_MODELS = (PRODUCT_PRICELIST, PRODUCT_PRODUCT)


def seed_pricelists(db: Database, stamp: dict[str, Any]) -> None:
    """One pricelist per active currency, the company's first (Odoo's multi-currency setup)."""
    currencies = db.tables["res.currency"]
    ordered = [COMPANY_CURRENCY_ID, *(i for i in sorted(currencies) if i != COMPANY_CURRENCY_ID)]
    for currency_id in ordered:
        currency = currencies[currency_id]
        if currency.get("active"):
            main = currency_id == COMPANY_CURRENCY_ID
            values = {
                "name": "Public Pricelist" if main else f"{currency['name']} Pricelist",
                "currency_id": currency_id,
                "active": True,
                "sequence": 10 if main else 16,
            }
            db.insert("product.pricelist", {**values, **stamp})
