"""What an invoice amounts to and what is left to pay on it: the computes behind account.move's totals,
`amount_residual` and `payment_state`, and the reconciliations (payments, credit notes) they use.

Odoo reconciles journal items (`account.partial.reconcile` between the receivable lines of the
invoice and of the payment); this emulator has no receivable lines, so it keeps what offsets what
in an internal model, `emulator.reconciliation`, that is not reachable over RPC.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from connectors.emulators.odoo import writes
from connectors.emulators.odoo.amounts import line_amounts, round_money, to_decimal
from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.fields import Env, FieldSpec, Hooks, Record
from connectors.emulators.odoo.models import make_model
from connectors.emulators.odoo.relations import touch

INVOICE_TYPES = frozenset(
    {"out_invoice", "out_refund", "in_invoice", "in_refund", "out_receipt", "in_receipt"}
)
OUTGOING = frozenset({"out_invoice", "out_refund", "out_receipt"})
REFUNDS = frozenset({"out_refund", "in_refund"})


def move_line_amounts(db: Database, line: Record) -> tuple[Decimal, Decimal]:
    if line.get("display_type") in ("line_section", "line_note"):
        return Decimal(0), Decimal(0)
    move = db.tables["account.move"].get(line.get("move_id") or 0)
    return db.memo(  # type: ignore[no-any-return]
        ("account.move.line", line["id"]),
        lambda: line_amounts(
            db,
            move.get("currency_id") if move else None,
            price_unit=line.get("price_unit"),
            quantity=line.get("quantity"),
            discount=line.get("discount"),
            tax_ids=line.get("tax_ids") or [],
        ),
    )


def move_sum(part: int) -> Any:
    def total(db: Database, move: Record) -> float:
        table = db.tables["account.move.line"]
        lines = [table[i] for i in db.children("account.move.line", "move_id").get(move["id"], [])]
        amounts = [move_line_amounts(db, line) for line in lines]
        return float(sum((sum(pair[:2]) if part == 2 else pair[part] for pair in amounts), Decimal(0)))

    return total


amount_total = move_sum(2)


def reconciled(db: Database, move: Record) -> list[tuple[str, Record, Decimal]]:
    """What offsets this move: (kind, counterpart, amount in the move's currency) per reconciliation."""
    rows = db.tables["emulator.reconciliation"]
    found: list[tuple[str, Record, Decimal]] = []
    for row_id in db.children("emulator.reconciliation", "invoice_id").get(move["id"], []):
        row = rows[row_id]
        if row.get("payment_id"):
            found.append(
                ("payment", db.tables["account.payment"][row["payment_id"]], to_decimal(row["amount"]))
            )
        else:
            found.append(
                ("reversal", db.tables["account.move"][row["credit_note_id"]], to_decimal(row["amount"]))
            )
    for row_id in db.children("emulator.reconciliation", "credit_note_id").get(move["id"], []):
        row = rows[row_id]
        found.append(
            ("reversal", db.tables["account.move"][row["invoice_id"]], to_decimal(row["credit_amount"]))
        )
    return found


def residual(db: Database, move: Record) -> Decimal:
    if move.get("move_type") not in INVOICE_TYPES:
        return Decimal(0)
    offset = sum((amount for _kind, _other, amount in reconciled(db, move)), Decimal(0))
    return round_money(db, move.get("currency_id"), to_decimal(amount_total(db, move)) - offset)


def payment_state(db: Database, move: Record) -> str:
    if move.get("move_type") not in INVOICE_TYPES or move.get("state") != "posted":
        return "not_paid"
    offsets = reconciled(db, move)
    if not offsets:
        return "not_paid"
    if residual(db, move) != 0:
        return "partial"
    if move.get("move_type") not in REFUNDS and all(kind == "reversal" for kind, _o, _a in offsets):
        return "reversed"
    payments = [other for kind, other, _amount in offsets if kind == "payment"]
    return "paid" if all(payment.get("is_matched") for payment in payments) else "in_payment"


def reconcile(
    env: Env,
    invoice_id: int,
    amount: Decimal,
    counterpart_amount: Decimal,
    *,
    payment_id: int = 0,
    credit_note_id: int = 0,
) -> None:
    """Record that `amount` (invoice currency) of an invoice is offset by a payment or credit note."""
    values = {
        "invoice_id": invoice_id,
        "payment_id": payment_id or False,
        "credit_note_id": credit_note_id or False,
        "amount": float(amount),
        "credit_amount": float(counterpart_amount),
    }
    writes.create_records(env.db, "emulator.reconciliation", [values], env.uid)


def unreconcile(env: Env, *, moves: Sequence[int] = (), payments: Sequence[int] = ()) -> None:
    """Remove the reconciliations of these entries or payments (`remove_move_reconcile`)."""
    rows = env.db.tables["emulator.reconciliation"]
    doomed = [
        row["id"]
        for row in rows.values()
        if row.get("invoice_id") in moves
        or row.get("credit_note_id") in moves
        or row.get("payment_id") in payments
    ]
    writes.unlink_records(env.db, "emulator.reconciliation", doomed, env.uid)


def reconciliation_changed(env: Env, rows: list[Record]) -> None:
    """Residuals and payment states (stored in Odoo) were recomputed: the entries were modified."""
    touch(env, "account.move", (row.get(name) for row in rows for name in ("invoice_id", "credit_note_id")))
    touch(env, "account.payment", (row.get("payment_id") for row in rows))


EMULATOR_RECONCILIATION = make_model(
    "emulator.reconciliation",
    "What offsets an invoice (Odoo keeps this as account.partial.reconcile between journal items)",
    {
        "invoice_id": FieldSpec(
            "many2one", "Invoice", relation="account.move", required=True, ondelete="cascade"
        ),
        "payment_id": FieldSpec("many2one", "Payment", relation="account.payment", ondelete="cascade"),
        "credit_note_id": FieldSpec("many2one", "Credit Note", relation="account.move", ondelete="cascade"),
        "amount": FieldSpec("float", "Amount (invoice currency)"),
        "credit_amount": FieldSpec("float", "Amount (payment or credit note currency)"),
    },
    hooks=Hooks(after_change=reconciliation_changed),
    internal=True,
)
