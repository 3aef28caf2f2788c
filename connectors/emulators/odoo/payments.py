"""Payments (`account.payment`) and the "Register Payment" wizard (`account.payment.register`), Odoo 17.

How an invoice gets paid over RPC, the way Odoo's own button does it (and the way integrations do
it, since `account.payment` has no writable link to invoices in Odoo 14-17):

    wizard = create("account.payment.register", {"amount": 100.0, "payment_date": "2024-03-05",
                    "communication": "PAY-123"},
                    context={"active_model": "account.move", "active_ids": [invoice_id]})
    action = execute("account.payment.register", "action_create_payments", [wizard], context=...)
    # action["res_id"] is the new account.payment: posted, `ref` = "PAY-123", reconciled

The wizard checks what Odoo checks (posted invoices, something left to pay), defaults the amount to
what is left to pay in the invoice's currency, converts other currencies through the rates, keeps
an overpayment open (or writes the difference off with `payment_difference_handling: "reconcile"`),
and pays several invoices with one payment each (or one for all with `group_payment`). Odoo does
not refuse paying twice with the same memo: a client that must not pay twice searches
`account.payment` on `ref` first. A payment created directly (`create` + `action_post`) stays an
unreconciled, outstanding payment; `action_draft` and `action_cancel` unreconcile a payment.

`is_matched` (matched with a bank statement line, which this emulator has no model for) is a plain
stored flag here: the sandbox sets it on some payments so that their invoices read `paid` instead of
`in_payment`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.emulators.odoo import writes
from connectors.emulators.odoo.amounts import convert, to_decimal
from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.errors import UserError, ValidationError
from connectors.emulators.odoo.fields import Env, FieldSpec, Hooks, Record
from connectors.emulators.odoo.models import make_model
from connectors.emulators.odoo.relations import COMPANY_CURRENCY_ID, records_of, today
from connectors.emulators.odoo.settlement import OUTGOING, reconcile, residual, unreconcile

PAYMENT_STATES = (("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled"))
PAYMENT_TYPES = (("outbound", "Send"), ("inbound", "Receive"))
PARTNER_TYPES = (("customer", "Customer"), ("supplier", "Vendor"))
INBOUND_MOVES = frozenset({"out_invoice", "out_receipt", "in_refund"})
POSTED_FIELDS = frozenset({"amount", "currency_id", "partner_id", "date", "journal_id", "payment_type"})


def _rows(db: Database, payment: Record) -> list[Record]:
    table = db.tables["emulator.reconciliation"]
    return [table[i] for i in db.children("emulator.reconciliation", "payment_id").get(payment["id"], [])]


def reconciled_invoices(db: Database, payment: Record) -> list[int]:
    return sorted({row["invoice_id"] for row in _rows(db, payment)})


def is_reconciled(db: Database, payment: Record) -> bool:
    used = sum((to_decimal(row.get("credit_amount")) for row in _rows(db, payment)), Decimal(0))
    return bool(_rows(db, payment)) and used >= to_decimal(payment.get("amount"))


def payment_display_name(db: Database, payment: Record) -> str:
    name = payment.get("name")
    return str(name) if name and name != "/" else "Draft Payment"


def check_amount(db: Database, payment: Record) -> None:
    if (payment.get("amount") or 0) < 0:
        raise ValidationError("The payment amount cannot be negative.")


def bank_journal(db: Database) -> int:
    journals = sorted(
        (j for j in db.tables["account.journal"].values() if j.get("type") == "bank" and j.get("active")),
        key=lambda j: (j.get("sequence") or 0, j["id"]),
    )
    if not journals:
        raise UserError("No bank journal could be found, please create one.")
    return int(journals[0]["id"])


ACCOUNT_PAYMENT_FIELDS: dict[str, FieldSpec] = {
    "name": FieldSpec("char", "Number", default="/"),
    "date": FieldSpec("date", "Date", required=True),
    "amount": FieldSpec("monetary", "Amount"),
    "payment_type": FieldSpec(
        "selection", "Payment Type", selection=PAYMENT_TYPES, required=True, default="inbound"
    ),
    "partner_type": FieldSpec("selection", "Partner Type", selection=PARTNER_TYPES, default="customer"),
    "partner_id": FieldSpec("many2one", "Customer/Vendor", relation="res.partner", ondelete="restrict"),
    "currency_id": FieldSpec(
        "many2one", "Currency", relation="res.currency", required=True, default=COMPANY_CURRENCY_ID
    ),
    "journal_id": FieldSpec("many2one", "Journal", relation="account.journal", required=True),
    "ref": FieldSpec("char", "Memo"),
    "state": FieldSpec("selection", "Status", selection=PAYMENT_STATES, required=True, default="draft"),
    "is_reconciled": FieldSpec("boolean", "Is Reconciled", readonly=True, compute=is_reconciled),
    "is_matched": FieldSpec("boolean", "Is Matched With a Bank Statement", readonly=True, default=False),
    "reconciled_invoice_ids": FieldSpec(
        "many2many",
        "Reconciled Invoices",
        relation="account.move",
        readonly=True,
        store=False,
        compute=reconciled_invoices,
    ),
    "reconciled_invoices_count": FieldSpec(
        "integer",
        "# Reconciled Invoices",
        readonly=True,
        store=False,
        compute=lambda db, payment: len(reconciled_invoices(db, payment)),
    ),
    "x_hub_id": FieldSpec("char", "Hub ID", manual=True),
}


def prepare_payment(env: Env, values: Record) -> None:
    values["journal_id"] = values.get("journal_id") or bank_journal(env.db)
    values["date"] = values.get("date") or today(env.db)


def check_payment_write(env: Env, payments: list[Record], vals: Record) -> None:
    touched = POSTED_FIELDS.intersection(vals)
    posted = [payment for payment in payments if payment.get("state") == "posted"]
    if posted and touched:
        raise UserError(
            f"You cannot modify {', '.join(sorted(touched))} of the posted payment {posted[0].get('name')}: "
            "reset it to draft first (action_draft)."
        )


def check_payment_unlink(env: Env, payments: list[Record]) -> None:
    if any(payment.get("state") == "posted" for payment in payments):
        raise UserError("You cannot delete an entry which has been posted once.")


def action_post(env: Env, ids: list[int]) -> bool:
    """Post draft payments, numbering them in their journal ("PBNK1/2024/00001")."""
    db = env.db
    for payment in records_of(db, "account.payment", ids):
        if payment.get("state") != "draft":
            raise UserError("Only a draft payment can be posted.")
        values: Record = {"state": "posted"}
        if not payment.get("name") or payment["name"] == "/":
            values["name"] = next_payment_name(db, payment)
        writes.write_records(db, "account.payment", [payment["id"]], values, env.uid, env.context)
    return True


def next_payment_name(db: Database, payment: Record) -> str:
    journal = db.tables["account.journal"][payment["journal_id"]]
    prefix = f"P{journal['code']}/{str(payment['date'])[:4]}/"
    used = [
        int(name[len(prefix) :])
        for other in db.tables["account.payment"].values()
        if isinstance(name := other.get("name"), str)
        and name.startswith(prefix)
        and name[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(used, default=0) + 1:05d}"


def _set_state(state: str) -> Any:
    def method(env: Env, ids: list[int]) -> bool:
        payments = [p["id"] for p in records_of(env.db, "account.payment", ids)]
        unreconcile(env, payments=payments)
        if payments:
            writes.write_records(env.db, "account.payment", payments, {"state": state}, env.uid, env.context)
        return True

    return method


ACCOUNT_PAYMENT = make_model(
    "account.payment",
    "Payments",
    ACCOUNT_PAYMENT_FIELDS,
    display_name=payment_display_name,
    order="date desc, name desc",
    rec_names_search=("name", "ref"),
    constraints=(check_amount,),
    hooks=Hooks(
        prepare=prepare_payment, before_write=check_payment_write, before_unlink=check_payment_unlink
    ),
    methods={
        "action_post": action_post,
        "action_draft": _set_state("draft"),
        "action_cancel": _set_state("cancel"),
    },
)


# ---- account.payment.register ----


def _invoices(db: Database, ids: Any) -> list[Record]:
    moves = records_of(db, "account.move", [int(i) for i in ids or []])
    if any(move.get("state") != "posted" for move in moves) or not moves:
        raise UserError("You can only register payment for posted journal entries.")
    if all(residual(db, move) == 0 for move in moves):
        raise UserError(
            "You can't register a payment because there is nothing left to pay on the selected journal items."
        )
    return moves


def prepare_wizard(env: Env, values: Record) -> None:
    """What the wizard's `default_get` takes from the invoices named in the context."""
    db, context = env.db, env.context
    if context.get("active_model") == "account.move.line":
        raise UserError(
            "The Odoo emulator registers payments on invoices: open the wizard with active_model "
            "'account.move' and the invoices' ids as active_ids."
        )
    if context.get("active_model") != "account.move":
        raise UserError(
            "The register payment wizard should only be called on account.move or account.move.line records."
        )
    moves = _invoices(db, context.get("active_ids"))
    first = moves[0]
    values["_move_ids"] = [move["id"] for move in moves]
    values["currency_id"] = values.get("currency_id") or first.get("currency_id")
    values["payment_date"] = values.get("payment_date") or today(db)
    values["journal_id"] = values.get("journal_id") or bank_journal(db)
    values["partner_id"] = db.value("account.move", first, "commercial_partner_id")
    values["payment_type"] = "inbound" if first.get("move_type") in INBOUND_MOVES else "outbound"
    values["partner_type"] = "customer" if first.get("move_type") in OUTGOING else "supplier"
    if "amount" not in values:
        due = sum(
            (convert(db, residual(db, m), m.get("currency_id"), values["currency_id"]) for m in moves),
            Decimal(0),
        )
        values["amount"] = float(due)
    if not values.get("communication"):
        values["communication"] = " ".join(str(m.get("payment_reference") or m.get("name")) for m in moves)


def action_create_payments(env: Env, ids: list[int]) -> Any:
    """Create, post and reconcile the payments; returns the action showing them (`res_id` for one)."""
    payments: list[int] = []
    for wizard in records_of(env.db, "account.payment.register", ids):
        payments += create_payments(env, wizard)
    if env.context.get("dont_redirect_to_payments"):
        return True
    action: dict[str, Any] = {
        "name": "Payments",
        "type": "ir.actions.act_window",
        "res_model": "account.payment",
        "context": {"create": False},
    }
    if len(payments) == 1:
        return {**action, "view_mode": "form", "res_id": payments[0]}
    return {**action, "view_mode": "tree,form", "domain": [["id", "in", payments]]}


def create_payments(env: Env, wizard: Record) -> list[int]:
    db = env.db
    moves = _invoices(db, wizard.get("_move_ids"))
    grouped = len(moves) == 1 or bool(wizard.get("group_payment"))
    batches = [moves] if grouped else [[move] for move in moves]
    created = []
    for batch in batches:
        first = batch[0]
        currency = wizard.get("currency_id") if grouped else first.get("currency_id")
        amount = to_decimal(wizard.get("amount")) if grouped else residual(db, first)
        if amount <= 0:
            raise UserError("The amount of a payment must be greater than zero.")
        memo = wizard.get("communication") if grouped else first.get("payment_reference") or first.get("name")
        values = {
            "date": wizard.get("payment_date") or today(db),
            "amount": float(amount),
            "payment_type": "inbound" if first.get("move_type") in INBOUND_MOVES else "outbound",
            "partner_type": "customer" if first.get("move_type") in OUTGOING else "supplier",
            "partner_id": db.value("account.move", first, "commercial_partner_id") or False,
            "currency_id": currency,
            "journal_id": wizard.get("journal_id") or bank_journal(db),
            "ref": memo or False,
        }
        [payment_id] = writes.create_records(db, "account.payment", [values], env.uid)
        action_post(env, [payment_id])
        write_off = grouped and wizard.get("payment_difference_handling") == "reconcile"
        _apply(env, payment_id, amount, currency, batch, write_off=write_off)
        created.append(payment_id)
    return created


def _apply(
    env: Env, payment_id: int, amount: Decimal, currency: Any, moves: list[Record], *, write_off: bool
) -> None:
    """Reconcile a payment with invoices, oldest due first, up to the amount (all of it on write-off)."""
    db, remaining = env.db, amount
    ordered = sorted(moves, key=lambda m: (str(m.get("invoice_date_due") or ""), m["id"]))
    for position, move in enumerate(ordered):
        left = residual(db, move)
        available = convert(db, remaining, currency, move.get("currency_id"))
        last = position == len(ordered) - 1
        applied = left if write_off and last else min(left, available)
        if applied <= 0:
            continue
        used = min(convert(db, applied, move.get("currency_id"), currency), remaining)
        reconcile(env, move["id"], applied, used, payment_id=payment_id)
        remaining -= used


ACCOUNT_PAYMENT_REGISTER = make_model(
    "account.payment.register",
    "Register Payment",
    {
        "payment_date": FieldSpec("date", "Payment Date", required=True),
        "amount": FieldSpec("monetary", "Amount"),
        "communication": FieldSpec("char", "Memo"),
        "group_payment": FieldSpec("boolean", "Group Payments", default=False),
        "currency_id": FieldSpec("many2one", "Currency", relation="res.currency"),
        "journal_id": FieldSpec("many2one", "Journal", relation="account.journal"),
        "partner_id": FieldSpec("many2one", "Customer/Vendor", relation="res.partner", readonly=True),
        "payment_type": FieldSpec("selection", "Payment Type", selection=PAYMENT_TYPES, readonly=True),
        "partner_type": FieldSpec("selection", "Partner Type", selection=PARTNER_TYPES, readonly=True),
        "payment_difference_handling": FieldSpec(
            "selection",
            "Payment Difference Handling",
            selection=(("open", "Keep open"), ("reconcile", "Mark as fully paid")),
            default="open",
        ),
    },
    hooks=Hooks(prepare=prepare_wizard),
    methods={"action_create_payments": action_create_payments},
)

PAYMENT_MODELS = (ACCOUNT_PAYMENT, ACCOUNT_PAYMENT_REGISTER)
