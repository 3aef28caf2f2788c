"""The sandbox's finance drop folder: a bank's CSV export of the payments received against the
invoices of the sandbox Odoo, as `finance_ledger_from_files` reads it (`files_default`).

Most open invoices are paid in full, some in part, in the invoice's currency and to the cent; one
row names an invoice Odoo does not have (Odoo refuses it, and the sync quarantines it with Odoo's
reason), as real exports always contain a payment someone keyed against the wrong number.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

COLUMNS = ("transaction_id", "invoice", "amount", "currency", "value_date", "method", "payer")
METHODS = ("SEPA", "WIRE", "ACH", "CARD", "DD")
EXPORT_DAY = date(2024, 7, 1)


def write_payments_export(odoo: Any, folder: Path, seed: int) -> Path | None:
    """Write `folder/payments/<day>.csv` from the open invoices of an Odoo emulator (None: none open;
    the folder is made either way, so the connection to it always works)."""
    (folder / "payments").mkdir(parents=True, exist_ok=True)
    invoices = odoo.call(
        "account.move",
        "search_read",
        [("move_type", "=", "out_invoice"), ("state", "=", "posted"), ("amount_residual", ">", 0)],
        fields=["name", "amount_residual", "currency_id", "partner_id"],
        order="id",
    )
    if not invoices:
        return None
    rng = random.Random(seed)
    rows = [_row(rng, n, invoice) for n, invoice in enumerate(invoices, 1) if rng.random() < 0.6]
    rows.append(
        {**_row(rng, len(invoices) + 1, invoices[0]), "invoice": "INV/2024/99999", "payer": "Unknown Payer"}
    )
    path = folder / "payments" / f"{EXPORT_DAY.isoformat()}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _row(rng: random.Random, n: int, invoice: dict[str, Any]) -> dict[str, str]:
    due = Decimal(str(invoice["amount_residual"]))
    amount = due if rng.random() < 0.75 else (due / 2).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {
        "transaction_id": f"BNK-{EXPORT_DAY:%Y%m%d}-{n:05d}",
        "invoice": invoice["name"],
        "amount": format(amount, "f"),
        "currency": invoice["currency_id"][1],
        "value_date": (EXPORT_DAY - timedelta(days=rng.randint(0, 20))).isoformat(),
        "method": rng.choice(METHODS),
        "payer": invoice["partner_id"][1],
    }
