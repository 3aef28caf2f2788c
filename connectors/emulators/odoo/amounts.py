"""Money arithmetic as Odoo does it: currency rounding (half away from zero) and tax computation.

Amounts are stored as floats, as Odoo's ORM hands them out, but computed as `Decimal`s of the
decimal each float was written as (`repr`), so 0.1 + 0.2 is 0.3 and 1234.565 rounds to 1234.57,
which is what Odoo's `float_round` gets with its own epsilon correction.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connectors.emulators.odoo.database import Database

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def to_decimal(value: Any) -> Decimal:
    """A stored number as the decimal it was written as (None and False are zero)."""
    if value is None or value is False:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(float(value)))


def rounding_of(db: Database, currency_id: int | None) -> Decimal:
    """The currency's rounding factor (0.01 when there is no currency)."""
    currency = db.tables["res.currency"].get(currency_id or 0)
    rounding = to_decimal(currency.get("rounding")) if currency else CENT
    return rounding if rounding > 0 else CENT


def decimal_places(rounding: Decimal) -> int:
    """How many decimals a rounding factor keeps (0.01 → 2, 1 → 0, 0.001 → 3)."""
    exponent = rounding.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 2


def round_money(db: Database, currency_id: int | None, amount: Decimal) -> Decimal:
    """`currency.round(amount)`: to the currency's rounding factor, half away from zero."""
    rounding = rounding_of(db, currency_id)
    steps = (amount / rounding).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (steps * rounding).quantize(Decimal(1).scaleb(-decimal_places(rounding)))


def line_amounts(
    db: Database,
    currency_id: int | None,
    *,
    price_unit: Any,
    quantity: Any,
    discount: Any,
    tax_ids: Iterable[int],
) -> tuple[Decimal, Decimal]:
    """(subtotal, tax) of a line, as `account.tax.compute_all` rounds them per line."""
    price = to_decimal(price_unit) * (1 - to_decimal(discount) / HUNDRED)
    qty = to_decimal(quantity)
    base = round_money(db, currency_id, price * qty)
    table = db.tables["account.tax"]
    taxes = [table[tax_id] for tax_id in tax_ids if tax_id in table]
    subtotal = base
    included = [tax for tax in taxes if tax.get("price_include") and tax.get("amount_type") == "percent"]
    excluded = [tax for tax in taxes if not any(tax is other for other in included)]
    if included:
        rate = sum((to_decimal(tax.get("amount")) for tax in included), Decimal(0)) / HUNDRED
        subtotal = round_money(db, currency_id, base / (1 + rate))
    tax_total = base - subtotal
    for tax in excluded:
        tax_total += round_money(db, currency_id, _tax_amount(tax, subtotal, qty))
    return subtotal, tax_total


def _tax_amount(tax: dict[str, Any], base: Decimal, quantity: Decimal) -> Decimal:
    amount = to_decimal(tax.get("amount"))
    kind = tax.get("amount_type") or "percent"
    if kind == "fixed":
        return amount * quantity
    if kind == "division":
        return base / (1 - amount / HUNDRED) - base if amount != HUNDRED else Decimal(0)
    if tax.get("price_include"):
        raise ValueError(f"The Odoo emulator does not compute included {kind} taxes ({tax.get('name')})")
    return base * amount / HUNDRED


def convert(db: Database, amount: Decimal, from_currency: int | None, to_currency: int | None) -> Decimal:
    """`currency._convert`: through the current rates (company currency at 1), rounded to the target."""
    if from_currency == to_currency:
        return amount
    rates = db.tables["res.currency"]
    source = to_decimal(_rate(db, from_currency)) if from_currency in rates else Decimal(1)
    target = to_decimal(_rate(db, to_currency)) if to_currency in rates else Decimal(1)
    return round_money(db, to_currency, amount * target / source)


def _rate(db: Database, currency_id: int | None) -> float:
    return float(db.value("res.currency", db.tables["res.currency"][currency_id or 0], "rate") or 1.0)
