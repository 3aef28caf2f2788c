"""Deterministic business data for the sandbox: products, sale orders, invoices, payments and HR.

Everything goes through the same RPC methods a client calls (create, action_confirm, the invoicing
and payment wizards, action_post), so what the sandbox shows is what those methods produce. Prices
are awkward on purpose (0.10, 19.99, 1234.565, 999999.99...), some orders are in EUR or GBP, and the
orders end in every state: quotation, sent, confirmed, locked (Odoo 17's "done"), cancelled. Most
confirmed orders are invoiced and posted; their invoices are paid in full (some matched with the
bank, so `paid`, the others `in_payment`), partly, or not at all. The customers are the companies
already in the database; without any, `customers` companies are created first.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

Call = Callable[..., Any]  # call(model, method, args, kwargs)

ANCHOR = datetime(2024, 1, 2, 9, 0, 0)
AWKWARD_PRICES = (0.10, 19.99, 1234.565, 0.01, 999999.99, 33.333, 7.5, 149.0, 2.675)
QUANTITIES = (1.0, 1.0, 2.0, 3.0, 0.5, 12.0, 100.0, 1.333)
DISCOUNTS = (0.0, 0.0, 0.0, 0.0, 5.0, 12.5, 33.33)
PRODUCT_WORDS = (
    "Desk",
    "Chair",
    "Lamp",
    "Cable",
    "Support Hour",
    "License",
    "Shelf",
    "Monitor",
    "Pen",
    "Audit",
)
# The first is the parent of the others; the rest are the sandbox HR system's departments (BambooHR's).
DEPARTMENTS = (
    "Management",
    "Sales",
    "Support",
    "Engineering",
    "Finance",
    "Operations",
    "People",
    "Marketing",
)
FIRST_NAMES = (
    "Ada",
    "Bram",
    "Chloé",
    "Dmitri",
    "Eva",
    "Farid",
    "Grace",
    "Hiro",
    "Inès",
    "Jonas",
    "Kemal",
    "Lea",
)
LAST_NAMES = (
    "Martin",
    "Nakamura",
    "O'Brien",
    "Peeters",
    "Quist",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Urbain",
    "Vidal",
)
# What becomes of an order, and how often: "locked" is confirmed, then locked (the former "done").
ORDER_FATES: tuple[str, ...] = ("draft", "sent", "sale", "locked", "cancel")
FATE_WEIGHTS: tuple[int, ...] = (20, 15, 45, 10, 10)


def seed_business(call: Call, scale: Mapping[str, int], seed: int) -> None:
    """Products, orders (with invoices and payments), departments and employees as `scale` asks."""
    rng = random.Random(seed)
    orders = int(scale.get("orders", 0))
    products = int(scale.get("products", 25 if orders else 0))
    employees = int(scale.get("odoo_employees", 0))  # "employees" is the HR system's (BambooHR)
    departments = int(scale.get("departments", len(DEPARTMENTS) if employees else 0))
    product_ids = seed_products(call, rng, products) if products else []
    if orders:
        wanted = int(scale.get("customers", max(5, orders // 10)))
        customers = _customers(call, wanted, int(scale.get("accounts", 0)), seed)
        seed_orders(call, rng, orders, customers, product_ids)
    department_ids = seed_departments(call, departments) if departments else []
    if employees:
        seed_employees(call, rng, employees, department_ids)


def seed_products(call: Call, rng: random.Random, count: int) -> list[int]:
    rows = []
    for n in range(1, count + 1):
        word = PRODUCT_WORDS[n % len(PRODUCT_WORDS)]
        service = word in ("Support Hour", "License", "Audit")
        price = rng.choice(AWKWARD_PRICES)
        rows.append(
            {
                "name": f"{word} {n:04d}",
                "default_code": f"P{n:04d}",
                "type": "service" if service else rng.choice(("consu", "product")),
                "list_price": price,
                "standard_price": round(price * 0.6, 2),
                "taxes_id": [(6, 0, [1 if n % 5 else 3])],
            }
        )
    ids: list[int] = call("product.product", "create", [rows], {})
    return ids


def _customers(call: Call, wanted: int, accounts: int, seed: int) -> list[int]:
    """The companies orders go to: those already in the database; else, when the sandbox's CRM holds
    `accounts` companies, `wanted` of the same (valid) companies, as an ERP that already knew its
    customers would (no hub id: the CRM sync links them by name and country); else new ones."""
    found: list[int] = call(
        "res.partner", "search", [[("is_company", "=", True), ("id", "!=", 1)]], {"order": "id"}
    )
    if found:
        return found
    if accounts:
        return _crm_companies(call, wanted, accounts, seed)
    rows = [
        {"name": f"Customer Company {n:05d}", "is_company": True, "email": f"billing@customer{n}.example.com"}
        for n in range(1, wanted + 1)
    ]
    created: list[int] = call("res.partner", "create", [rows], {})
    return created


def _crm_companies(call: Call, wanted: int, accounts: int, seed: int) -> list[int]:
    from connectors.emulators.seed import generate_companies

    companies = [c for c in generate_companies(accounts, seed) if c.invalid_reason is None][:wanted]
    codes = sorted({c.country for c in companies})
    countries = {
        row["code"]: row["id"]
        for row in call("res.country", "search_read", [[("code", "in", codes)]], {"fields": ["code"]})
    }
    rows = [
        {"name": c.name, "is_company": True, "country_id": countries[c.country], "city": c.city}
        for c in companies
    ]
    created: list[int] = call("res.partner", "create", [rows], {})
    return created


def seed_orders(
    call: Call, rng: random.Random, count: int, customers: list[int], products: list[int]
) -> None:
    pricelists = {
        row["currency_id"][1]: row["id"]
        for row in call("product.pricelist", "search_read", [[]], {"fields": ["currency_id"]})
    }
    for _ in range(count):
        ordered = ANCHOR + timedelta(hours=rng.randint(0, 24 * 170))
        currency = rng.choices(("USD", "EUR", "GBP"), (70, 20, 10))[0]
        lines = [_line(rng, products) for _ in range(rng.randint(1, 5))]
        order_id = call(
            "sale.order",
            "create",
            [
                {
                    "partner_id": rng.choice(customers),
                    "pricelist_id": pricelists.get(currency) or pricelists["USD"],
                    "date_order": ordered.strftime("%Y-%m-%d %H:%M:%S"),
                    "client_order_ref": f"PO-{seed_ref(rng)}" if rng.random() < 0.5 else False,
                    "order_line": [(0, 0, line) for line in lines],
                }
            ],
            {},
        )
        _advance(call, rng, int(order_id), rng.choices(ORDER_FATES, FATE_WEIGHTS)[0], ordered)


def seed_ref(rng: random.Random) -> str:
    return f"{rng.randint(10000, 99999)}"


def _line(rng: random.Random, products: list[int]) -> dict[str, Any]:
    line: dict[str, Any] = {
        "product_uom_qty": rng.choice(QUANTITIES),
        "discount": rng.choice(DISCOUNTS),
    }
    if products:
        line["product_id"] = rng.choice(products)
    else:
        line["name"] = "Service"
    if rng.random() < 0.4 or not products:
        line["price_unit"] = rng.choice(AWKWARD_PRICES)
    return line


def _advance(call: Call, rng: random.Random, order_id: int, fate: str, ordered: datetime) -> None:
    """Take an order where its fate says, confirming it at its order date."""
    if fate == "sent":
        call("sale.order", "action_quotation_sent", [[order_id]], {})
    elif fate == "cancel":
        call("sale.order", "action_cancel", [[order_id]], {})
    elif fate in ("sale", "locked"):
        call("sale.order", "action_confirm", [[order_id]], {})
        call("sale.order", "write", [[order_id], {"date_order": ordered.strftime("%Y-%m-%d %H:%M:%S")}], {})
        if rng.random() < 0.85:
            _invoice(call, rng, order_id, ordered)
        if fate == "locked":
            call("sale.order", "action_lock", [[order_id]], {})


def _invoice(call: Call, rng: random.Random, order_id: int, ordered: datetime) -> None:
    context = {"context": {"active_model": "sale.order", "active_ids": [order_id]}}
    wizard = call("sale.advance.payment.inv", "create", [{}], context)
    invoice_id = call("sale.advance.payment.inv", "create_invoices", [[wizard]], context)["res_id"]
    if rng.random() < 0.1:
        return  # left in draft
    invoiced = ordered + timedelta(days=rng.randint(0, 10))
    due = invoiced + timedelta(days=30)
    call(
        "account.move",
        "write",
        [
            [invoice_id],
            {"invoice_date": invoiced.date().isoformat(), "invoice_date_due": due.date().isoformat()},
        ],
        {},
    )
    call("account.move", "action_post", [[invoice_id]], {})
    fate = rng.choices(("paid", "partial", "open"), (45, 20, 35))[0]
    if fate == "open":
        return
    [invoice] = call("account.move", "read", [[invoice_id], ["amount_residual"]], {})
    amount = invoice["amount_residual"] if fate == "paid" else round(invoice["amount_residual"] / 3, 2)
    pay_context = {"context": {"active_model": "account.move", "active_ids": [invoice_id]}}
    paid_on = invoiced + timedelta(days=rng.randint(1, 40))
    values = {
        "amount": amount,
        "payment_date": paid_on.date().isoformat(),
        "communication": f"BANK-{invoice_id:06d}",
    }
    wizard = call("account.payment.register", "create", [values], pay_context)
    payment_id = call("account.payment.register", "action_create_payments", [[wizard]], pay_context)["res_id"]
    if fate == "paid" and rng.random() < 0.5:
        call("account.payment", "write", [[payment_id], {"is_matched": True}], {})


def seed_departments(call: Call, count: int) -> list[int]:
    names = [
        DEPARTMENTS[n % len(DEPARTMENTS)] + (f" {n // len(DEPARTMENTS) + 1}" if n >= len(DEPARTMENTS) else "")
        for n in range(count)
    ]
    top: int = call("hr.department", "create", [{"name": names[0]}], {})
    rest: list[int] = call(
        "hr.department", "create", [[{"name": name, "parent_id": top} for name in names[1:]]], {}
    )
    return [top, *rest]


def seed_employees(call: Call, rng: random.Random, count: int, departments: list[int]) -> None:
    managers: dict[int, int] = {}
    for n in range(1, count + 1):
        name = f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[(n * 7) % len(LAST_NAMES)]} {n:04d}"
        values: dict[str, Any] = {
            "name": name,
            "work_email": f"employee{n}@company.example.com",
            "work_phone": f"+1 555 {n:07d}",
            "job_title": rng.choice(("Engineer", "Account Manager", "Analyst", "Consultant", "Team Lead")),
            "employee_type": rng.choices(("employee", "contractor", "student"), (85, 10, 5))[0],
        }
        department = departments[n % len(departments)] if departments else None
        if department:
            values["department_id"] = department
        employee_id = int(call("hr.employee", "create", [values], {}))
        if department and department not in managers:
            managers[department] = employee_id
            call("hr.department", "write", [[department], {"manager_id": employee_id}], {})
        if rng.random() < 0.05:
            call("hr.employee", "write", [[employee_id], {"active": False}], {})
