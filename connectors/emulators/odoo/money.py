"""Currencies, their rates and taxes (`res.currency`, `res.currency.rate`, `account.tax`), Odoo 17.

A fresh database here holds a handful of currencies with ids as in Odoo (EUR 1, USD 2: the company
currency), their rates against USD, and the taxes the generic chart of accounts installs (15% on
sales and purchases) plus a few more, so sale orders and invoices have something to compute with.
"""

from __future__ import annotations

from typing import Any

from connectors.emulators.odoo.amounts import decimal_places, to_decimal
from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.fields import FieldSpec, Record, SqlConstraint
from connectors.emulators.odoo.models import make_model
from connectors.emulators.odoo.relations import COMPANY_CURRENCY_ID, one2many, today

# (code, full name, symbol, rounding, position, active, units per USD)
CURRENCIES: tuple[tuple[str, str, str, float, str, bool, float], ...] = (
    ("EUR", "Euro", "€", 0.01, "after", True, 0.92),
    ("USD", "United States dollar", "$", 0.01, "before", True, 1.0),
    ("GBP", "Pound sterling", "£", 0.01, "before", True, 0.79),
    ("JPY", "Japanese yen", "¥", 1.0, "before", True, 149.5),
    ("CHF", "Swiss franc", "CHF", 0.01, "after", False, 0.88),
    ("KWD", "Kuwaiti dinar", "KD", 0.001, "after", True, 0.307),
)
RATE_DATE = "2024-01-01"
# (name, percent, use, description)
TAXES: tuple[tuple[str, float, str, str], ...] = (
    ("15%", 15.0, "sale", "15%"),
    ("15%", 15.0, "purchase", "15%"),
    ("0%", 0.0, "sale", "0%"),
    ("21%", 21.0, "sale", "VAT 21%"),
)
SALE_TAX_ID, PURCHASE_TAX_ID = 1, 2


def current_rate(db: Database, currency: Record) -> float:
    """The latest rate dated today or earlier (1.0 without any), as `res.currency._get_rates`."""
    rates = db.tables["res.currency.rate"]
    day = today(db)
    dated = [rates[i] for i in db.children("res.currency.rate", "currency_id").get(currency["id"], [])]
    valid = sorted((rate for rate in dated if (rate.get("name") or "") <= day), key=lambda r: r["name"])
    return float(valid[-1].get("rate") or 1.0) if valid else 1.0


def currency_places(db: Database, currency: Record) -> int:
    return decimal_places(to_decimal(currency.get("rounding") or 0.01))


RES_CURRENCY = make_model(
    "res.currency",
    "Currency",
    {
        "name": FieldSpec("char", "Currency", required=True, size=3, help="Currency Code (ISO 4217)"),
        "full_name": FieldSpec("char", "Name"),
        "symbol": FieldSpec("char", "Symbol", required=True),
        "rounding": FieldSpec("float", "Rounding Factor", default=0.01, digits=6),
        "decimal_places": FieldSpec("integer", "Decimal Places", readonly=True, compute=currency_places),
        "position": FieldSpec(
            "selection",
            "Symbol Position",
            selection=(("after", "After Amount"), ("before", "Before Amount")),
            default="after",
        ),
        "active": FieldSpec("boolean", "Active", default=True),
        "rate": FieldSpec("float", "Current Rate", readonly=True, store=False, compute=current_rate),
        "rate_ids": one2many("Rates", "res.currency.rate", "currency_id"),
        "currency_unit_label": FieldSpec("char", "Currency Unit"),
        "currency_subunit_label": FieldSpec("char", "Currency Subunit"),
    },
    order="active desc, name",
    rec_names_search=("name", "full_name"),
    sql_constraints=(
        SqlConstraint("unique_name", "The currency code must be unique!", unique=("name",)),
        SqlConstraint(
            "rounding_gt_zero",
            "The rounding factor must be greater than 0!",
            check=lambda record: (record.get("rounding") or 0) > 0,
        ),
    ),
)

RES_CURRENCY_RATE = make_model(
    "res.currency.rate",
    "Currency Rate",
    {
        "name": FieldSpec("date", "Date", required=True),
        "rate": FieldSpec(
            "float", "Technical Rate", default=1.0, help="The rate of the currency to the currency of rate 1"
        ),
        "currency_id": FieldSpec(
            "many2one", "Currency", relation="res.currency", required=True, ondelete="cascade"
        ),
    },
    order="name desc",
    sql_constraints=(
        SqlConstraint(
            "unique_name_per_day", "Only one currency rate per day allowed!", unique=("name", "currency_id")
        ),
    ),
)

TAX_TYPES = (("sale", "Sales"), ("purchase", "Purchases"), ("none", "None"))
ACCOUNT_TAX = make_model(
    "account.tax",
    "Tax",
    {
        "name": FieldSpec("char", "Tax Name", required=True),
        "amount": FieldSpec("float", "Amount", required=True, default=0.0, digits=4),
        "amount_type": FieldSpec(
            "selection",
            "Tax Computation",
            selection=(
                ("group", "Group of Taxes"),
                ("fixed", "Fixed"),
                ("percent", "Percentage of Price"),
                ("division", "Percentage of Price Tax Included"),
            ),
            required=True,
            default="percent",
        ),
        "type_tax_use": FieldSpec(
            "selection", "Tax Type", selection=TAX_TYPES, required=True, default="sale"
        ),
        "price_include": FieldSpec("boolean", "Included in Price", default=False),
        "description": FieldSpec("char", "Label on Invoices"),
        "sequence": FieldSpec("integer", "Sequence", required=True, default=1),
        "active": FieldSpec("boolean", "Active", default=True),
    },
    order="sequence,id",
    sql_constraints=(
        SqlConstraint("name_company_uniq", "Tax names must be unique!", unique=("name", "type_tax_use")),
    ),
)

MONEY_MODELS = (RES_CURRENCY, RES_CURRENCY_RATE, ACCOUNT_TAX)


def seed_money(db: Database, stamp: dict[str, Any]) -> None:
    """The currencies, their rates and the taxes of a fresh database."""
    for code, full_name, symbol, rounding, position, active, rate in CURRENCIES:
        currency_id = db.insert(
            "res.currency",
            {
                "name": code,
                "full_name": full_name,
                "symbol": symbol,
                "rounding": rounding,
                "position": position,
                "active": active,
                **stamp,
            },
        )
        if currency_id != COMPANY_CURRENCY_ID:
            db.insert(
                "res.currency.rate", {"name": RATE_DATE, "rate": rate, "currency_id": currency_id, **stamp}
            )
    for name, amount, use, description in TAXES:
        values = {"name": name, "amount": amount, "type_tax_use": use, "description": description}
        db.insert(
            "account.tax",
            {
                **values,
                "amount_type": "percent",
                "price_include": False,
                "sequence": 1,
                "active": True,
                **stamp,
            },
        )
