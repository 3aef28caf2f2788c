"""Sale orders and their lines (`sale.order`, `sale.order.line`), Odoo 17's sale module.

An order is created with its lines as one2many commands (`order_line: [(0, 0, {...}), ...]`); a
line takes its description, unit price and taxes from its product unless given. Totals are computed
from the lines, each line rounded to the order's currency (taxes rounded per line, Odoo's default),
and an order's write_date moves when its lines change, as Odoo's recompute of the stored totals
makes it move. The currency is the pricelist's (writing `currency_id` is ignored).

States are Odoo 17's: draft, sent, sale, cancel; the `done` state of older versions became the
`locked` flag (`action_lock`). Invoices are made by the `sale.advance.payment.inv` wizard that the
"Create Invoice" button opens: create it with context `{"active_model": "sale.order", "active_ids":
[...]}` and call `create_invoices` on it (regular invoices of the ordered quantities only).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from connectors.emulators.odoo import writes
from connectors.emulators.odoo.amounts import convert, line_amounts, to_decimal
from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.errors import UserError
from connectors.emulators.odoo.fields import Env, FieldSpec, Hooks, Record
from connectors.emulators.odoo.models import make_model
from connectors.emulators.odoo.ordering import parse_order, sort_records
from connectors.emulators.odoo.products import product_display_name
from connectors.emulators.odoo.relations import (
    COMPANY_CURRENCY_ID,
    one2many,
    one2many_ids,
    records_of,
    related,
    touch,
)

ORDER_STATES = (
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("cancel", "Cancelled"),
)
INVOICE_STATUS = (
    ("upselling", "Upselling Opportunity"),
    ("invoiced", "Fully Invoiced"),
    ("to invoice", "To Invoice"),
    ("no", "Nothing to Invoice"),
)
DISPLAY_TYPES = (("line_section", "Section"), ("line_note", "Note"))
QUOTATION_VALIDITY_DAYS = 30


# ---- computed values ----


def order_currency(db: Database, order: Record) -> int:
    pricelist = db.tables["product.pricelist"].get(order.get("pricelist_id") or 0)
    return int(pricelist["currency_id"]) if pricelist else COMPANY_CURRENCY_ID


def line_currency(db: Database, line: Record) -> int | None:
    order = db.tables["sale.order"].get(line.get("order_id") or 0)
    return order_currency(db, order) if order else None


def _line_amounts(db: Database, line: Record) -> tuple[Decimal, Decimal]:
    if line.get("display_type"):
        return Decimal(0), Decimal(0)
    return db.memo(  # type: ignore[no-any-return]
        ("sale.order.line", line["id"]),
        lambda: line_amounts(
            db,
            line_currency(db, line),
            price_unit=line.get("price_unit"),
            quantity=line.get("product_uom_qty"),
            discount=line.get("discount"),
            tax_ids=line.get("tax_id") or [],
        ),
    )


def _order_lines(db: Database, order: Record) -> list[Record]:
    table = db.tables["sale.order.line"]
    return [table[i] for i in db.children("sale.order.line", "order_id").get(order["id"], [])]


def _order_sum(part: int) -> Any:
    def total(db: Database, order: Record) -> float:
        amounts = [_line_amounts(db, line) for line in _order_lines(db, order)]
        return float(sum((sum(pair[:2]) if part == 2 else pair[part] for pair in amounts), Decimal(0)))

    return total


def invoice_lines_of(db: Database, line: Record) -> list[int]:
    """Invoice lines (account.move.line) made from a sale line, through their sale_line_ids."""

    def build() -> dict[int, list[int]]:
        index: dict[int, list[int]] = {}
        for move_line in db.tables["account.move.line"].values():
            for sale_line_id in move_line.get("sale_line_ids") or []:
                index.setdefault(sale_line_id, []).append(move_line["id"])
        return index

    found: dict[int, list[int]] = db.memo("sale_line_invoice_lines", build)
    return found.get(line["id"], [])


def qty_invoiced(db: Database, line: Record) -> float:
    """Quantity on invoices that are not cancelled (credit notes count negative)."""
    moves, total = db.tables["account.move"], Decimal(0)
    for move_line in records_of(db, "account.move.line", invoice_lines_of(db, line)):
        move = moves.get(move_line.get("move_id") or 0)
        if move is None or move.get("state") == "cancel":
            continue
        sign = -1 if move.get("move_type") in ("out_refund", "in_refund") else 1
        total += sign * to_decimal(move_line.get("quantity"))
    return float(total)


def qty_to_invoice(db: Database, line: Record) -> float:
    order = db.tables["sale.order"].get(line.get("order_id") or 0)
    if not order or order.get("state") != "sale" or line.get("display_type"):
        return 0.0
    return float(to_decimal(line.get("product_uom_qty")) - to_decimal(qty_invoiced(db, line)))


def order_invoices(db: Database, order: Record) -> list[int]:
    moves = {
        move_line["move_id"]
        for line in _order_lines(db, order)
        for move_line in records_of(db, "account.move.line", invoice_lines_of(db, line))
    }
    return sorted(moves)


def invoice_status(db: Database, order: Record) -> str:
    if order.get("state") != "sale":
        return "no"
    lines = [line for line in _order_lines(db, order) if not line.get("display_type")]
    if any(qty_to_invoice(db, line) != 0 for line in lines):
        return "to invoice"
    if lines and all(qty_invoiced(db, line) >= (line.get("product_uom_qty") or 0) for line in lines):
        return "invoiced"
    return "no"


def line_display_name(db: Database, line: Record) -> str:
    order = db.tables["sale.order"].get(line.get("order_id") or 0)
    name = (line.get("name") or "").split("\n")[0]
    return f"{order['name']} - {name}" if order else name


def _monetary(string: str, compute: Any) -> FieldSpec:
    return FieldSpec("monetary", string, readonly=True, compute=compute)


SALE_ORDER_FIELDS: dict[str, FieldSpec] = {
    "name": FieldSpec("char", "Order Reference", required=True, default="New"),
    "state": FieldSpec("selection", "Status", selection=ORDER_STATES, default="draft"),
    "locked": FieldSpec("boolean", "Locked", default=False),
    "partner_id": FieldSpec(
        "many2one", "Customer", relation="res.partner", required=True, ondelete="restrict"
    ),
    "partner_invoice_id": FieldSpec(
        "many2one", "Invoice Address", relation="res.partner", ondelete="restrict"
    ),
    "partner_shipping_id": FieldSpec(
        "many2one", "Delivery Address", relation="res.partner", ondelete="restrict"
    ),
    "date_order": FieldSpec("datetime", "Order Date", required=True),
    "validity_date": FieldSpec("date", "Expiration"),
    "commitment_date": FieldSpec("datetime", "Delivery Date"),
    "client_order_ref": FieldSpec("char", "Customer Reference"),
    "origin": FieldSpec("char", "Source Document"),
    "pricelist_id": FieldSpec("many2one", "Pricelist", relation="product.pricelist"),
    "currency_id": FieldSpec(
        "many2one", "Currency", relation="res.currency", readonly=True, compute=order_currency
    ),
    "user_id": FieldSpec("many2one", "Salesperson", relation="res.users"),
    "note": FieldSpec("html", "Terms and conditions"),
    "order_line": one2many("Order Lines", "sale.order.line", "order_id"),
    "amount_untaxed": _monetary("Untaxed Amount", _order_sum(0)),
    "amount_tax": _monetary("Taxes", _order_sum(1)),
    "amount_total": _monetary("Total", _order_sum(2)),
    "invoice_status": FieldSpec(
        "selection", "Invoice Status", selection=INVOICE_STATUS, readonly=True, compute=invoice_status
    ),
    "invoice_ids": FieldSpec(
        "many2many", "Invoices", relation="account.move", readonly=True, store=False, compute=order_invoices
    ),
    "invoice_count": FieldSpec(
        "integer",
        "Invoice Count",
        readonly=True,
        store=False,
        compute=lambda db, o: len(order_invoices(db, o)),
    ),
    "x_hub_id": FieldSpec("char", "Hub ID", manual=True),
}

SALE_ORDER_LINE_FIELDS: dict[str, FieldSpec] = {
    "order_id": FieldSpec(
        "many2one", "Order Reference", relation="sale.order", required=True, ondelete="cascade"
    ),
    "sequence": FieldSpec("integer", "Sequence", default=10),
    "display_type": FieldSpec("selection", "Display Type", selection=DISPLAY_TYPES),
    "product_id": FieldSpec("many2one", "Product", relation="product.product", ondelete="restrict"),
    "name": FieldSpec("text", "Description", required=True),
    "product_uom_qty": FieldSpec("float", "Quantity", default=1.0, digits=3),
    "price_unit": FieldSpec("float", "Unit Price", digits=2),
    "discount": FieldSpec("float", "Discount (%)", digits=2),
    "tax_id": FieldSpec("many2many", "Taxes", relation="account.tax"),
    "price_subtotal": _monetary("Subtotal", lambda db, line: float(_line_amounts(db, line)[0])),
    "price_tax": _monetary("Total Tax", lambda db, line: float(_line_amounts(db, line)[1])),
    "price_total": _monetary("Total", lambda db, line: float(sum(_line_amounts(db, line)))),
    "currency_id": FieldSpec(
        "many2one", "Currency", relation="res.currency", readonly=True, compute=line_currency
    ),
    "state": FieldSpec(
        "selection",
        "Order Status",
        selection=ORDER_STATES,
        readonly=True,
        compute=related("sale.order.line", "order_id.state"),
    ),
    "order_partner_id": FieldSpec(
        "many2one",
        "Customer",
        relation="res.partner",
        readonly=True,
        compute=related("sale.order.line", "order_id.partner_id"),
    ),
    "qty_delivered": FieldSpec("float", "Delivery Quantity", digits=3),
    "qty_invoiced": FieldSpec("float", "Invoiced Quantity", readonly=True, compute=qty_invoiced),
    "qty_to_invoice": FieldSpec("float", "Quantity To Invoice", readonly=True, compute=qty_to_invoice),
    "invoice_lines": FieldSpec(
        "many2many",
        "Invoice Lines",
        relation="account.move.line",
        readonly=True,
        store=False,
        compute=invoice_lines_of,
    ),
    "x_hub_id": FieldSpec("char", "Hub ID", manual=True),
}


# ---- create / write / unlink ----


def prepare_order(env: Env, values: Record) -> None:
    """The sequence number, the default pricelist, addresses, salesperson and dates of a new order."""
    db = env.db
    if values.get("name") in (None, "New", "/"):
        values["name"] = f"S{db.next_number('sale.order'):05d}"
    if not values.get("pricelist_id"):
        values["pricelist_id"] = default_pricelist(db)
    for address in ("partner_invoice_id", "partner_shipping_id"):
        values.setdefault(address, values.get("partner_id"))
    values.setdefault("user_id", env.uid)
    values["date_order"] = values.get("date_order") or db.now()
    if not values.get("validity_date"):
        ordered = date.fromisoformat(str(values["date_order"])[:10])
        values["validity_date"] = (ordered + timedelta(days=QUOTATION_VALIDITY_DAYS)).isoformat()


def default_pricelist(db: Database) -> int | None:
    table = db.tables["product.pricelist"]
    active = [record for record in table.values() if record.get("active")]
    ordered = sort_records(db, "product.pricelist", active, parse_order(db, "product.pricelist", None))
    return int(ordered[0]["id"]) if ordered else None


def check_order_unlink(env: Env, orders: list[Record]) -> None:
    if any(order.get("state") not in ("draft", "cancel") for order in orders):
        raise UserError(
            "You can not delete a sent quotation or a confirmed sales order. You must first cancel it."
        )


def prepare_line(env: Env, values: Record) -> None:
    """Description, unit price (in the order's currency) and taxes from the product, unless given."""
    db = env.db
    if values.get("display_type"):
        values.update(product_id=None, product_uom_qty=0.0, price_unit=0.0)
        return
    product = db.tables["product.product"].get(values.get("product_id") or 0)
    if product is None:
        return
    if not values.get("name"):
        extra = product.get("description_sale")
        values["name"] = product_display_name(db, product) + (f"\n{extra}" if extra else "")
    if "price_unit" not in values:
        order = db.tables["sale.order"].get(values.get("order_id") or 0)
        currency = order_currency(db, order) if order else COMPANY_CURRENCY_ID
        price = convert(db, to_decimal(product.get("list_price")), COMPANY_CURRENCY_ID, currency)
        values["price_unit"] = float(price)
    if "tax_id" not in values:
        taxes = db.tables["account.tax"]
        values["tax_id"] = [
            t for t in product.get("taxes_id") or [] if taxes[t].get("type_tax_use") == "sale"
        ]


def check_line_unlink(env: Env, lines: list[Record]) -> None:
    orders = env.db.tables["sale.order"]
    for line in lines:
        order = orders.get(line.get("order_id") or 0)
        if order and order.get("state") == "sale" and not line.get("display_type"):
            raise UserError(
                "Once a sales order is confirmed, you can't remove one of its lines (we need to track if "
                "something gets invoiced or delivered).\n Set the quantity to 0 instead."
            )


def lines_changed(env: Env, lines: list[Record]) -> None:
    touch(env, "sale.order", (line.get("order_id") for line in lines))


# ---- business methods ----


def _orders(env: Env, ids: list[int]) -> list[Record]:
    return records_of(env.db, "sale.order", ids)


def _write(env: Env, model: str, ids: list[int], values: Record) -> None:
    if ids:
        writes.write_records(env.db, model, ids, values, env.uid, env.context)


def action_confirm(env: Env, ids: list[int]) -> bool:
    orders = _orders(env, ids)
    if any(order.get("state") not in ("draft", "sent") for order in orders):
        raise UserError("Some orders are not in a state requiring confirmation.")
    _write(env, "sale.order", [o["id"] for o in orders], {"state": "sale", "date_order": env.db.now()})
    return True


def action_quotation_sent(env: Env, ids: list[int]) -> bool:
    orders = _orders(env, ids)
    if any(order.get("state") != "draft" for order in orders):
        raise UserError("Only draft orders can be marked as sent directly.")
    _write(env, "sale.order", [o["id"] for o in orders], {"state": "sent"})
    return True


def action_cancel(env: Env, ids: list[int]) -> bool:
    orders = _orders(env, ids)
    if any(order.get("locked") for order in orders):
        raise UserError("You cannot cancel a locked order. Please unlock it first.")
    drafts = [
        move
        for o in orders
        for move in order_invoices(env.db, o)
        if env.db.tables["account.move"][move].get("state") == "draft"
    ]
    _write(env, "account.move", drafts, {"state": "cancel"})
    _write(env, "sale.order", [o["id"] for o in orders], {"state": "cancel"})
    return True


def action_draft(env: Env, ids: list[int]) -> bool:
    orders = [order["id"] for order in _orders(env, ids) if order.get("state") in ("cancel", "sent")]
    _write(env, "sale.order", orders, {"state": "draft"})
    return True


def _set_locked(locked: bool) -> Any:
    def method(env: Env, ids: list[int]) -> bool:
        _write(env, "sale.order", [order["id"] for order in _orders(env, ids)], {"locked": locked})
        return True

    return method


SALE_ORDER = make_model(
    "sale.order",
    "Sales Order",
    SALE_ORDER_FIELDS,
    order="date_order desc, id desc",
    rec_names_search=("name", "client_order_ref"),
    hooks=Hooks(prepare=prepare_order, before_unlink=check_order_unlink),
    methods={
        "action_confirm": action_confirm,
        "action_quotation_sent": action_quotation_sent,
        "action_cancel": action_cancel,
        "action_draft": action_draft,
        "action_lock": _set_locked(True),
        "action_unlock": _set_locked(False),
    },
)

SALE_ORDER_LINE = make_model(
    "sale.order.line",
    "Sales Order Line",
    SALE_ORDER_LINE_FIELDS,
    display_name=line_display_name,
    order="order_id, sequence, id",
    hooks=Hooks(prepare=prepare_line, before_unlink=check_line_unlink, after_change=lines_changed),
)


# ---- invoicing: the "Create Invoice" wizard ----


def prepare_invoicing_wizard(env: Env, values: Record) -> None:
    if not values.get("sale_order_ids") and env.context.get("active_model") == "sale.order":
        values["sale_order_ids"] = [int(i) for i in env.context.get("active_ids") or []]


def create_invoices(env: Env, ids: list[int]) -> dict[str, Any]:
    """Invoice what the wizards' orders have left to invoice; returns the action showing the invoices."""
    invoices: list[int] = []
    for wizard in records_of(env.db, "sale.advance.payment.inv", ids):
        if wizard.get("advance_payment_method") != "delivered":
            raise UserError(
                "The Odoo emulator only creates regular invoices (advance_payment_method 'delivered')."
            )
        invoices += invoice_orders(env, list(wizard.get("sale_order_ids") or []))
    action: dict[str, Any] = {
        "name": "Invoices",
        "type": "ir.actions.act_window",
        "res_model": "account.move",
    }
    if len(invoices) == 1:
        return {**action, "views": [[False, "form"]], "view_mode": "form", "res_id": invoices[0]}
    return {**action, "view_mode": "tree,form", "domain": [["id", "in", invoices]]}


def invoice_orders(env: Env, order_ids: list[int]) -> list[int]:
    """One customer invoice per order with lines left to invoice (`_create_invoices`)."""
    db, vals_list = env.db, []
    for order in _orders(env, order_ids):
        lines = records_of(
            db, "sale.order.line", one2many_ids(db, "sale.order.line", "order_id", order["id"])
        )
        commands = [(0, 0, _invoice_line(db, line)) for line in lines if qty_to_invoice(db, line) != 0]
        if commands:
            vals_list.append(_invoice_values(order, order_currency(db, order), commands))
    if not vals_list:
        raise UserError(
            "There is no invoiceable line. If a product has a control policy based on received quantity, "
            "please make sure that a quantity has been received."
        )
    return writes.create_records(db, "account.move", vals_list, env.uid)


def _invoice_values(order: Record, currency_id: int, commands: list[Any]) -> dict[str, Any]:
    return {
        "move_type": "out_invoice",
        "partner_id": order.get("partner_invoice_id") or order["partner_id"],
        "currency_id": currency_id,
        "invoice_origin": order["name"],
        "ref": order.get("client_order_ref") or False,
        "invoice_user_id": order.get("user_id") or False,
        "narration": order.get("note") or False,
        "invoice_line_ids": commands,
    }


def _invoice_line(db: Database, line: Record) -> dict[str, Any]:
    return {
        "sequence": line.get("sequence") or 10,
        "product_id": line.get("product_id") or False,
        "name": line.get("name"),
        "quantity": qty_to_invoice(db, line),
        "price_unit": line.get("price_unit") or 0.0,
        "discount": line.get("discount") or 0.0,
        "tax_ids": [(6, 0, list(line.get("tax_id") or []))],
        "sale_line_ids": [(6, 0, [line["id"]])],
    }


SALE_ADVANCE_PAYMENT_INV = make_model(
    "sale.advance.payment.inv",
    "Sales Advance Payment Invoice",
    {
        "advance_payment_method": FieldSpec(
            "selection",
            "Create Invoice",
            selection=(
                ("delivered", "Regular invoice"),
                ("percentage", "Down payment (percentage)"),
                ("fixed", "Down payment (fixed amount)"),
            ),
            required=True,
            default="delivered",
        ),
        "sale_order_ids": FieldSpec("many2many", "Sales Orders", relation="sale.order"),
        "deduct_down_payments": FieldSpec("boolean", "Deduct down payments", default=True),
    },
    hooks=Hooks(prepare=prepare_invoicing_wizard),
    methods={"create_invoices": create_invoices},
)

SALE_MODELS = (SALE_ORDER, SALE_ORDER_LINE, SALE_ADVANCE_PAYMENT_INV)
