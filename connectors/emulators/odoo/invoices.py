"""Journals, invoices and their lines (`account.journal`, `account.move`, `account.move.line`), Odoo 17.

An invoice is an `account.move` with a `move_type` (out_invoice, out_refund, in_invoice...). It is
created in draft with its product lines as commands on `invoice_line_ids`, and numbered when posted
(`action_post`): "INV/2024/00001" in the customer invoices journal, "RINV/..." for credit notes,
"BILL/..." and "RBILL/..." for vendor bills, one gapless sequence per journal and year, like Odoo's.
Only product lines are emulated: the tax and receivable journal items Odoo adds to `line_ids` are not
there, so there is no `line_ids` field.

`amount_residual` and `payment_state` are computed from what was reconciled with the invoice:
payments (see `payments`) and, for a credit note made with `reversed_entry_id`, the credit note
itself once posted. They follow Odoo 17 with accounting installed: an invoice paid in full by
payments not yet matched with a bank statement is `in_payment`; once its payments are matched
(`is_matched`), `paid`; fully offset by its credit note, `reversed`. Each change of them moves the
invoice's write_date, as the recompute of those stored fields does in Odoo.
"""

from __future__ import annotations

from typing import Any

from connectors.emulators.odoo import writes
from connectors.emulators.odoo.amounts import convert, to_decimal
from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.errors import UserError
from connectors.emulators.odoo.fields import Env, FieldSpec, Hooks, Record
from connectors.emulators.odoo.models import make_model
from connectors.emulators.odoo.products import product_display_name
from connectors.emulators.odoo.relations import (
    COMPANY_CURRENCY_ID,
    one2many,
    records_of,
    related,
    today,
    touch,
)
from connectors.emulators.odoo.settlement import (
    EMULATOR_RECONCILIATION,
    INVOICE_TYPES,
    OUTGOING,
    REFUNDS,
    amount_total,
    move_line_amounts,
    move_sum,
    payment_state,
    reconcile,
    residual,
    unreconcile,
)

MOVE_TYPES = (
    ("entry", "Journal Entry"),
    ("out_invoice", "Customer Invoice"),
    ("out_refund", "Customer Credit Note"),
    ("in_invoice", "Vendor Bill"),
    ("in_refund", "Vendor Credit Note"),
    ("out_receipt", "Sales Receipt"),
    ("in_receipt", "Purchase Receipt"),
)
DRAFT_LABELS = {
    "out_invoice": "Invoice",
    "out_refund": "Credit Note",
    "in_invoice": "Vendor Bill",
    "in_refund": "Vendor Credit Note",
    "out_receipt": "Sales Receipt",
    "in_receipt": "Purchase Receipt",
    "entry": "Journal Entry",
}
PAYMENT_STATES = (
    ("not_paid", "Not Paid"),
    ("in_payment", "In Payment"),
    ("paid", "Paid"),
    ("partial", "Partially Paid"),
    ("reversed", "Reversed"),
    ("invoicing_legacy", "Invoicing App Legacy"),
)
JOURNAL_TYPES = (
    ("sale", "Sales"),
    ("purchase", "Purchase"),
    ("cash", "Cash"),
    ("bank", "Bank"),
    ("general", "Miscellaneous"),
)
JOURNALS = (
    ("Customer Invoices", "INV", "sale"),
    ("Vendor Bills", "BILL", "purchase"),
    ("Miscellaneous Operations", "MISC", "general"),
    ("Exchange Difference", "EXCH", "general"),
    ("Bank", "BNK1", "bank"),
    ("Cash", "CSH1", "cash"),
)
# What a posted entry keeps: changing these needs button_draft first.
POSTED_FIELDS = frozenset(
    {
        "partner_id",
        "currency_id",
        "journal_id",
        "move_type",
        "invoice_line_ids",
        "invoice_date",
        "date",
        "name",
    }
)


def move_display_name(db: Database, move: Record) -> str:
    """The number once posted, else "Draft Invoice (* 12)" (`_get_move_display_name`)."""
    name = move.get("name")
    if name and name != "/":
        return str(name)
    return f"Draft {DRAFT_LABELS.get(move.get('move_type') or 'entry', 'Entry')} (* {move['id']})"


def line_currency(db: Database, line: Record) -> int | None:
    move = db.tables["account.move"].get(line.get("move_id") or 0)
    return move.get("currency_id") if move else None


def _monetary(string: str, compute: Any) -> FieldSpec:
    return FieldSpec("monetary", string, readonly=True, compute=compute)


ACCOUNT_JOURNAL = make_model(
    "account.journal",
    "Journal",
    {
        "name": FieldSpec("char", "Journal Name", required=True),
        "code": FieldSpec("char", "Short Code", required=True, size=5),
        "type": FieldSpec("selection", "Type", selection=JOURNAL_TYPES, required=True),
        "currency_id": FieldSpec("many2one", "Currency", relation="res.currency"),
        "sequence": FieldSpec("integer", "Sequence", default=10),
        "active": FieldSpec("boolean", "Active", default=True),
    },
    order="sequence, type, code",
)

ACCOUNT_MOVE_FIELDS: dict[str, FieldSpec] = {
    "name": FieldSpec("char", "Number", default="/"),
    "move_type": FieldSpec("selection", "Type", selection=MOVE_TYPES, required=True, default="entry"),
    "state": FieldSpec(
        "selection",
        "Status",
        selection=(("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")),
        required=True,
        default="draft",
    ),
    "journal_id": FieldSpec("many2one", "Journal", relation="account.journal", required=True),
    "partner_id": FieldSpec("many2one", "Partner", relation="res.partner", ondelete="restrict"),
    "commercial_partner_id": FieldSpec(
        "many2one",
        "Commercial Entity",
        relation="res.partner",
        readonly=True,
        compute=related("account.move", "partner_id.commercial_partner_id"),
    ),
    "date": FieldSpec("date", "Date", required=True),
    "invoice_date": FieldSpec("date", "Invoice/Bill Date"),
    "invoice_date_due": FieldSpec("date", "Due Date"),
    "invoice_origin": FieldSpec("char", "Origin"),
    "ref": FieldSpec("char", "Reference"),
    "payment_reference": FieldSpec("char", "Payment Reference"),
    "narration": FieldSpec("html", "Terms and Conditions"),
    "currency_id": FieldSpec(
        "many2one", "Currency", relation="res.currency", required=True, default=COMPANY_CURRENCY_ID
    ),
    "invoice_user_id": FieldSpec("many2one", "Salesperson", relation="res.users"),
    "reversed_entry_id": FieldSpec("many2one", "Reversal of", relation="account.move"),
    "invoice_line_ids": one2many("Invoice lines", "account.move.line", "move_id"),
    "amount_untaxed": _monetary("Untaxed Amount", move_sum(0)),
    "amount_tax": _monetary("Tax", move_sum(1)),
    "amount_total": _monetary("Total", amount_total),
    "amount_residual": _monetary("Amount Due", lambda db, move: float(residual(db, move))),
    "payment_state": FieldSpec(
        "selection", "Payment Status", selection=PAYMENT_STATES, readonly=True, compute=payment_state
    ),
    "x_hub_id": FieldSpec("char", "Hub ID", manual=True),
}

ACCOUNT_MOVE_LINE_FIELDS: dict[str, FieldSpec] = {
    "move_id": FieldSpec(
        "many2one", "Journal Entry", relation="account.move", required=True, ondelete="cascade"
    ),
    "sequence": FieldSpec("integer", "Sequence", default=10),
    "display_type": FieldSpec(
        "selection",
        "Display Type",
        selection=(("product", "Product"), ("line_section", "Section"), ("line_note", "Note")),
        default="product",
    ),
    "product_id": FieldSpec("many2one", "Product", relation="product.product", ondelete="restrict"),
    "name": FieldSpec("char", "Label"),
    "quantity": FieldSpec("float", "Quantity", default=1.0, digits=3),
    "price_unit": FieldSpec("float", "Unit Price", digits=2),
    "discount": FieldSpec("float", "Discount (%)", digits=2),
    "tax_ids": FieldSpec("many2many", "Taxes", relation="account.tax"),
    "price_subtotal": _monetary("Subtotal", lambda db, line: float(move_line_amounts(db, line)[0])),
    "price_total": _monetary("Total", lambda db, line: float(sum(move_line_amounts(db, line)))),
    "currency_id": FieldSpec(
        "many2one", "Currency", relation="res.currency", readonly=True, compute=line_currency
    ),
    "partner_id": FieldSpec(
        "many2one",
        "Partner",
        relation="res.partner",
        readonly=True,
        compute=related("account.move.line", "move_id.partner_id"),
    ),
    "parent_state": FieldSpec(
        "selection",
        "Status",
        selection=(("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")),
        readonly=True,
        compute=related("account.move.line", "move_id.state"),
    ),
    "move_name": FieldSpec(
        "char", "Number", readonly=True, compute=related("account.move.line", "move_id.name")
    ),
    "date": FieldSpec("date", "Date", readonly=True, compute=related("account.move.line", "move_id.date")),
    "sale_line_ids": FieldSpec("many2many", "Sales Order Lines", relation="sale.order.line"),
    "x_hub_id": FieldSpec("char", "Hub ID", manual=True),
}


# ---- create / write / unlink ----


def journal_for(db: Database, move_type: str) -> int:
    """The first journal of the kind a move type uses (sale, purchase, general)."""
    kind = "sale" if move_type in OUTGOING else "purchase" if move_type in INVOICE_TYPES else "general"
    journals = sorted(
        (j for j in db.tables["account.journal"].values() if j.get("type") == kind and j.get("active")),
        key=lambda j: (j.get("sequence") or 0, j["id"]),
    )
    if not journals:
        raise UserError(f"No journal of type {kind} could be found, please create one.")
    return int(journals[0]["id"])


def prepare_move(env: Env, values: Record) -> None:
    move_type = values.get("move_type") or "entry"
    values["journal_id"] = values.get("journal_id") or journal_for(env.db, move_type)
    values["date"] = values.get("date") or values.get("invoice_date") or today(env.db)
    if move_type in INVOICE_TYPES:
        values.setdefault("invoice_user_id", env.uid)


def check_move_write(env: Env, moves: list[Record], vals: Record) -> None:
    touched = POSTED_FIELDS.intersection(vals)
    posted = [move for move in moves if move.get("state") == "posted"]
    if posted and touched:
        raise UserError(
            f"You cannot modify {', '.join(sorted(touched))} of the posted entry {posted[0].get('name')}: "
            "reset it to draft first (button_draft)."
        )


def check_move_unlink(env: Env, moves: list[Record]) -> None:
    if any(move.get("state") == "posted" for move in moves):
        raise UserError("You cannot delete an entry which has been posted once.")


def prepare_move_line(env: Env, values: Record) -> None:
    """Label, unit price and taxes from the product, unless given (sales or purchase side)."""
    db = env.db
    move = db.tables["account.move"].get(values.get("move_id") or 0)
    if move is not None and move.get("state") == "posted":
        raise UserError(
            f"You cannot add lines to the posted entry {move.get('name')}: reset it to draft first."
        )
    product = db.tables["product.product"].get(values.get("product_id") or 0)
    if product is None or move is None:
        return
    outgoing = move.get("move_type") in OUTGOING
    if not values.get("name"):
        values["name"] = product_display_name(db, product)
    if "price_unit" not in values:
        price = to_decimal(product.get("list_price" if outgoing else "standard_price"))
        values["price_unit"] = float(convert(db, price, COMPANY_CURRENCY_ID, move.get("currency_id")))
    if "tax_ids" not in values:
        use = "sale" if outgoing else "purchase"
        taxes = db.tables["account.tax"]
        field = "taxes_id" if outgoing else "supplier_taxes_id"
        values["tax_ids"] = [t for t in product.get(field) or [] if taxes[t].get("type_tax_use") == use]


def check_line_change(env: Env, lines: list[Record], vals: Record | None = None) -> None:
    moves = env.db.tables["account.move"]
    for line in lines:
        move = moves.get(line.get("move_id") or 0)
        if move is not None and move.get("state") == "posted":
            raise UserError(
                f"You cannot modify the lines of the posted entry {move.get('name')}: "
                "reset it to draft first."
            )


def move_lines_changed(env: Env, lines: list[Record]) -> None:
    touch(env, "account.move", (line.get("move_id") for line in lines))
    touch_sale_orders(env, [i for line in lines for i in line.get("sale_line_ids") or []])


def touch_sale_orders(env: Env, sale_line_ids: list[int]) -> None:
    """Invoiced quantities (stored on sale lines) and invoice statuses of their orders moved."""
    lines = records_of(env.db, "sale.order.line", sale_line_ids)
    touch(env, "sale.order.line", (line["id"] for line in lines))
    touch(env, "sale.order", (line.get("order_id") for line in lines))


def _sale_lines_of(env: Env, move_ids: list[int]) -> list[int]:
    table = env.db.tables["account.move.line"]
    return [
        sale_line
        for move_id in move_ids
        for line_id in env.db.children("account.move.line", "move_id").get(move_id, [])
        for sale_line in table[line_id].get("sale_line_ids") or []
    ]


# ---- business methods ----


def action_post(env: Env, ids: list[int]) -> bool:
    """Validate draft entries: check them, date them, number them; credit notes offset their invoice."""
    db = env.db
    for move in records_of(db, "account.move", ids):
        _check_postable(db, move)
        values: Record = {"state": "posted"}
        kind = move.get("move_type")
        if kind in INVOICE_TYPES:
            invoice_date = move.get("invoice_date") or today(db)
            values.update(invoice_date=invoice_date, date=invoice_date)
            values["invoice_date_due"] = move.get("invoice_date_due") or invoice_date
        if not move.get("name") or move.get("name") == "/":
            values["name"] = next_move_name(db, move, str(values.get("date") or move["date"]))
        if kind in ("out_invoice", "out_refund") and not move.get("payment_reference"):
            values["payment_reference"] = values.get("name") or move.get("name")
        writes.write_records(db, "account.move", [move["id"]], values, env.uid, env.context)
        if move.get("reversed_entry_id"):
            _offset_reversed(env, db.tables["account.move"][move["id"]])
    touch_sale_orders(env, _sale_lines_of(env, ids))
    return False


def _check_postable(db: Database, move: Record) -> None:
    if move.get("state") == "posted":
        raise UserError(f"The entry {move.get('name')} (id {move['id']}) is already posted.")
    kind = move.get("move_type")
    if kind in INVOICE_TYPES and not move.get("partner_id"):
        who = "Customer" if kind in OUTGOING else "Vendor"
        raise UserError(
            f"The field '{who}' is required, please complete it to validate the {DRAFT_LABELS[kind]}."
        )
    if not db.children("account.move.line", "move_id").get(move["id"]):
        raise UserError("You need to add a line before posting.")
    if kind in INVOICE_TYPES and to_decimal(amount_total(db, move)) < 0:
        raise UserError(
            "You cannot validate an invoice with a negative total amount. You should create a credit note "
            "instead. Use the action menu to transform it into a credit note or refund."
        )


def next_move_name(db: Database, move: Record, day: str) -> str:
    """The next number of the move's journal for the year: gapless, as Odoo's `_compute_name`."""
    journal = db.tables["account.journal"][move["journal_id"]]
    refund = "R" if move.get("move_type") in REFUNDS else ""
    prefix = f"{refund}{journal['code']}/{day[:4]}/"
    used = [
        int(name[len(prefix) :])
        for other in db.tables["account.move"].values()
        if isinstance(name := other.get("name"), str)
        and name.startswith(prefix)
        and name[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(used, default=0) + 1:05d}"


def _offset_reversed(env: Env, credit_note: Record) -> None:
    """A posted credit note is reconciled with the invoice it reverses, up to what is left to pay."""
    db = env.db
    invoice = db.tables["account.move"].get(credit_note["reversed_entry_id"])
    if invoice is None or invoice.get("state") != "posted":
        return
    left = residual(db, invoice)
    available = convert(
        db, residual(db, credit_note), credit_note.get("currency_id"), invoice.get("currency_id")
    )
    applied = min(left, available)
    if applied > 0:
        back = convert(db, applied, invoice.get("currency_id"), credit_note.get("currency_id"))
        reconcile(env, invoice["id"], applied, back, credit_note_id=credit_note["id"])


def button_draft(env: Env, ids: list[int]) -> bool:
    """Reset to draft; what was reconciled with the entries becomes outstanding again."""
    moves = [
        m["id"] for m in records_of(env.db, "account.move", ids) if m.get("state") in ("posted", "cancel")
    ]
    unreconcile(env, moves=moves)
    if moves:
        writes.write_records(env.db, "account.move", moves, {"state": "draft"}, env.uid, env.context)
    touch_sale_orders(env, _sale_lines_of(env, moves))
    return True


def button_cancel(env: Env, ids: list[int]) -> bool:
    """Cancel draft entries (posted ones are reset to draft first, as Odoo 17 does)."""
    button_draft(
        env, [m["id"] for m in records_of(env.db, "account.move", ids) if m.get("state") == "posted"]
    )
    moves = records_of(env.db, "account.move", ids)
    if any(move.get("state") != "draft" for move in moves):
        raise UserError("Only draft journal entries can be cancelled.")
    if moves:
        writes.write_records(env.db, "account.move", [m["id"] for m in moves], {"state": "cancel"}, env.uid)
    touch_sale_orders(env, _sale_lines_of(env, ids))
    return True


def action_register_payment(env: Env, ids: list[int]) -> dict[str, Any]:
    """The action opening the payment wizard on these invoices (what the "Register Payment" button does)."""
    return {
        "name": "Register Payment",
        "res_model": "account.payment.register",
        "view_mode": "form",
        "views": [[False, "form"]],
        "context": {"active_model": "account.move", "active_ids": list(ids)},
        "target": "new",
        "type": "ir.actions.act_window",
    }


ACCOUNT_MOVE = make_model(
    "account.move",
    "Journal Entry",
    ACCOUNT_MOVE_FIELDS,
    display_name=move_display_name,
    order="date desc, name desc, id desc",
    rec_names_search=("name", "ref"),
    hooks=Hooks(prepare=prepare_move, before_write=check_move_write, before_unlink=check_move_unlink),
    methods={
        "action_post": action_post,
        "button_draft": button_draft,
        "button_cancel": button_cancel,
        "action_register_payment": action_register_payment,
    },
)

ACCOUNT_MOVE_LINE = make_model(
    "account.move.line",
    "Journal Item",
    ACCOUNT_MOVE_LINE_FIELDS,
    order="date desc, move_name desc, id",
    hooks=Hooks(
        prepare=prepare_move_line,
        before_write=check_line_change,
        before_unlink=check_line_change,
        after_change=move_lines_changed,
    ),
)


INVOICE_MODELS = (ACCOUNT_JOURNAL, ACCOUNT_MOVE, ACCOUNT_MOVE_LINE, EMULATOR_RECONCILIATION)


def seed_journals(db: Database, stamp: dict[str, Any]) -> None:
    for sequence, (name, code, kind) in enumerate(JOURNALS, 1):
        db.insert(
            "account.journal",
            {"name": name, "code": code, "type": kind, "sequence": sequence, "active": True, **stamp},
        )
