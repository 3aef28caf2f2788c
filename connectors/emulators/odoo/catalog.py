"""Every model the emulator serves, and the reference data a fresh database holds for them."""

from __future__ import annotations

from typing import Any

from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.fields import ModelSpec
from connectors.emulators.odoo.hr import HR_MODELS
from connectors.emulators.odoo.invoices import INVOICE_MODELS, seed_journals
from connectors.emulators.odoo.models import MODELS as BASE_MODELS
from connectors.emulators.odoo.money import MONEY_MODELS, seed_money
from connectors.emulators.odoo.payments import PAYMENT_MODELS
from connectors.emulators.odoo.products import PRODUCT_MODELS, seed_pricelists
from connectors.emulators.odoo.sales import SALE_MODELS

MODELS: tuple[ModelSpec, ...] = (
    *BASE_MODELS,
    *MONEY_MODELS,
    *PRODUCT_MODELS,
    *SALE_MODELS,
    *INVOICE_MODELS,
    *PAYMENT_MODELS,
    *HR_MODELS,
)


def seed_reference_data(db: Database, stamp: dict[str, Any]) -> None:
    """Currencies and rates, taxes, pricelists and journals, as installing sale and accounting leaves them."""
    seed_money(db, stamp)
    seed_pricelists(db, stamp)
    seed_journals(db, stamp)
