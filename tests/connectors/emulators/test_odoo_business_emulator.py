"""The Odoo emulator's business models (sales, invoicing, payments, HR) driven over JSON-RPC and XML-RPC."""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from connectors.emulators.odoo import OdooEmulator
from connectors.emulators.server import EmulatorServer
from tests.connectors.emulators.test_odoo_emulator import DB, FakeClock, JsonRpc, OdooRpcError

T0 = datetime(2024, 3, 1, 9, 0, 0)
USD, EUR, JPY, KWD = 2, 1, 4, 6
SALE_15, SALE_0 = 1, 3


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[OdooEmulator, EmulatorServer, FakeClock]]:
    clock = FakeClock(T0)
    odoo = OdooEmulator(clock=clock)
    with EmulatorServer(odoo) as server:
        yield odoo, server, clock


@pytest.fixture
def clock(running: tuple[OdooEmulator, EmulatorServer, FakeClock]) -> FakeClock:
    running[2].now = T0
    return running[2]


@pytest.fixture
def rpc(running: tuple[OdooEmulator, EmulatorServer, FakeClock], clock: FakeClock) -> JsonRpc:
    running[0].reset()
    return JsonRpc(running[1].url)


@pytest.fixture
def shop(rpc: JsonRpc) -> dict[str, int]:
    """A customer company with a contact, a desk (awkward price) and a pen (no tax)."""
    acme = rpc.execute("res.partner", "create", {"name": "Acme", "is_company": True})
    alice = rpc.execute("res.partner", "create", {"name": "Alice", "parent_id": acme})
    desk = rpc.execute(
        "product.product", "create", {"name": "Desk", "default_code": "D1", "list_price": 1234.565}
    )
    pen = rpc.execute(
        "product.product", "create", {"name": "Pen", "list_price": 0.1, "taxes_id": [(6, 0, [SALE_0])]}
    )
    return {"acme": acme, "alice": alice, "desk": desk, "pen": pen}


def read_one(rpc: JsonRpc, model: str, record_id: int, fields: list[str], **kwargs: Any) -> dict[str, Any]:
    [row] = rpc.execute(model, "read", [record_id], fields, **kwargs)
    return dict(row)


def new_order(rpc: JsonRpc, shop: dict[str, int], **extra: Any) -> int:
    lines = [
        (0, 0, {"product_id": shop["desk"], "product_uom_qty": 3}),
        (0, 0, {"product_id": shop["pen"], "product_uom_qty": 7, "discount": 10}),
        [0, 0, {"name": "Installation", "price_unit": 19.99, "product_uom_qty": 3, "sequence": 5}],
    ]
    return int(
        rpc.execute("sale.order", "create", {"partner_id": shop["acme"], "order_line": lines, **extra})
    )


def invoice_order(rpc: JsonRpc, order_id: int, invoice_date: str = "2024-03-01") -> int:
    rpc.execute("sale.order", "action_confirm", [order_id])
    context = {"active_model": "sale.order", "active_ids": [order_id]}
    wizard = rpc.execute("sale.advance.payment.inv", "create", {}, context=context)
    action = rpc.execute("sale.advance.payment.inv", "create_invoices", [wizard], context=context)
    invoice_id = int(action["res_id"])
    rpc.execute("account.move", "write", [invoice_id], {"invoice_date": invoice_date})
    return invoice_id


def pay(rpc: JsonRpc, invoice_id: int, **values: Any) -> int:
    context = {"active_model": "account.move", "active_ids": [invoice_id]}
    wizard = rpc.execute("account.payment.register", "create", values, context=context)
    action = rpc.execute("account.payment.register", "action_create_payments", [wizard], context=context)
    return int(action["res_id"])


# ---- sale orders ----


def test_order_with_line_commands_has_exact_totals_rounded_per_line(
    rpc: JsonRpc, shop: dict[str, int]
) -> None:
    order_id = new_order(rpc, shop)
    order = read_one(
        rpc,
        "sale.order",
        order_id,
        [
            "name",
            "state",
            "currency_id",
            "partner_id",
            "amount_untaxed",
            "amount_tax",
            "amount_total",
            "order_line",
        ],
    )
    # Desk: 1234.565 is stored as 1234.57 (Product Price, 2 digits); 3 x 1234.57 = 3703.71, 15% = 555.5565
    # rounded per line to 555.56. Pen: 7 x 0.10 less 10% = 0.63, no tax. Installation: 3 x 19.99 = 59.97.
    assert order["name"] == "S00001" and order["state"] == "draft"
    assert order["currency_id"] == [USD, "USD"] and order["partner_id"] == [shop["acme"], "Acme"]
    assert (order["amount_untaxed"], order["amount_tax"], order["amount_total"]) == (3764.31, 555.56, 4319.87)
    lines = rpc.execute(
        "sale.order.line",
        "read",
        order["order_line"],
        ["name", "price_unit", "tax_id", "price_subtotal", "price_total"],
    )
    assert [line["name"] for line in lines] == ["Installation", "[D1] Desk", "Pen"]  # by sequence, then id
    assert [line["price_unit"] for line in lines] == [19.99, 1234.57, 0.1]
    assert [line["tax_id"] for line in lines] == [[], [SALE_15], [SALE_0]]
    assert [line["price_total"] for line in lines] == [59.97, 4259.27, 0.63]


def test_line_commands_on_write_recompute_totals_and_move_the_orders_write_date(
    rpc: JsonRpc, shop: dict[str, int], clock: FakeClock
) -> None:
    order_id = new_order(rpc, shop)
    lines = read_one(rpc, "sale.order", order_id, ["order_line"])["order_line"]
    clock.advance(60)
    rpc.execute(
        "sale.order",
        "write",
        [order_id],
        {
            "order_line": [
                (1, lines[1], {"product_uom_qty": 1}),
                (2, lines[2]),
                (0, 0, {"name": "Fee", "price_unit": 0.1}),
            ]
        },
    )
    order = read_one(
        rpc, "sale.order", order_id, ["amount_untaxed", "amount_total", "write_date", "order_line"]
    )
    assert order["write_date"] == clock.stamp()
    assert len(order["order_line"]) == 3
    assert (order["amount_untaxed"], order["amount_total"]) == (1294.64, 1479.83)
    clock.advance(60)
    rpc.execute("sale.order.line", "write", [lines[0]], {"price_unit": 0.2})
    assert read_one(rpc, "sale.order", order_id, ["write_date"])["write_date"] == clock.stamp()


def test_amounts_round_to_each_currency(rpc: JsonRpc, shop: dict[str, int]) -> None:
    pricelists = {
        row["currency_id"][1]: row["id"]
        for row in rpc.execute("product.pricelist", "search_read", [], fields=["currency_id", "display_name"])
    }
    jpy = rpc.execute(
        "sale.order",
        "create",
        {
            "partner_id": shop["acme"],
            "pricelist_id": pricelists["JPY"],
            "order_line": [(0, 0, {"product_id": shop["desk"]})],
        },
    )
    kwd = rpc.execute(
        "sale.order",
        "create",
        {
            "partner_id": shop["acme"],
            "pricelist_id": pricelists["KWD"],
            "order_line": [
                (0, 0, {"name": "Tea", "price_unit": 0.1, "product_uom_qty": 3, "tax_id": [SALE_15]})
            ],
        },
    )
    eur = rpc.execute(
        "sale.order",
        "create",
        {
            "partner_id": shop["acme"],
            "pricelist_id": pricelists["EUR"],
            "order_line": [(0, 0, {"product_id": shop["desk"]})],
        },
    )
    fields = ["currency_id", "amount_untaxed", "amount_tax", "amount_total"]
    # 1234.565 USD x 149.5 = 184568.2175 -> 184568.22 (price, 2 digits); yen amounts have no decimals
    assert read_one(rpc, "sale.order", jpy, fields) == {
        "id": jpy,
        "currency_id": [JPY, "JPY"],
        "amount_untaxed": 184568.0,
        "amount_tax": 27685.0,
        "amount_total": 212253.0,
    }
    assert read_one(rpc, "sale.order", kwd, fields)["amount_tax"] == 0.045  # three decimals
    assert read_one(rpc, "sale.order", eur, fields)["amount_untaxed"] == 1135.80  # 1234.57 x 0.92


def test_order_states_and_what_odoo_refuses(rpc: JsonRpc, shop: dict[str, int]) -> None:
    order_id = new_order(rpc, shop)
    rpc.execute("sale.order", "action_quotation_sent", [order_id])
    assert read_one(rpc, "sale.order", order_id, ["state"])["state"] == "sent"
    rpc.execute("sale.order", "action_confirm", [order_id])
    line = read_one(rpc, "sale.order", order_id, ["order_line"])["order_line"][0]
    cases = [
        (
            lambda: rpc.execute("sale.order", "action_confirm", [order_id]),
            "not in a state requiring confirmation",
        ),
        (lambda: rpc.execute("sale.order", "unlink", [order_id]), "You must first cancel it"),
        (lambda: rpc.execute("sale.order.line", "unlink", [line]), "Set the quantity to 0 instead"),
    ]
    call: Callable[[], Any]
    for call, message in cases:
        with pytest.raises(OdooRpcError, match=message) as caught:
            call()
        assert caught.value.name == "odoo.exceptions.UserError"
    rpc.execute("sale.order", "action_lock", [order_id])
    with pytest.raises(OdooRpcError, match="unlock it first"):
        rpc.execute("sale.order", "action_cancel", [order_id])
    rpc.execute("sale.order", "action_unlock", [order_id])
    rpc.execute("sale.order", "action_cancel", [order_id])
    assert read_one(rpc, "sale.order", order_id, ["state", "invoice_status"]) == {
        "id": order_id,
        "state": "cancel",
        "invoice_status": "no",
    }
    assert rpc.execute("sale.order", "unlink", [order_id]) is True
    assert rpc.execute("sale.order.line", "search_count", []) == 0  # lines cascade


# ---- invoices and payments ----


def test_invoicing_an_order_and_posting_numbers_the_invoice(rpc: JsonRpc, shop: dict[str, int]) -> None:
    order_id = new_order(rpc, shop, client_order_ref="PO-7")
    invoice_id = invoice_order(rpc, order_id)
    fields = [
        "name",
        "display_name",
        "state",
        "move_type",
        "invoice_origin",
        "ref",
        "partner_id",
        "amount_total",
        "amount_residual",
        "payment_state",
        "invoice_line_ids",
    ]
    draft = read_one(rpc, "account.move", invoice_id, fields)
    assert draft["name"] == "/" and draft["display_name"] == f"Draft Invoice (* {invoice_id})"
    assert (draft["move_type"], draft["invoice_origin"], draft["ref"]) == ("out_invoice", "S00001", "PO-7")
    assert (draft["amount_total"], draft["amount_residual"], draft["payment_state"]) == (
        4319.87,
        4319.87,
        "not_paid",
    )
    lines = rpc.execute(
        "account.move.line",
        "read",
        draft["invoice_line_ids"],
        ["quantity", "price_subtotal", "sale_line_ids"],
    )
    assert sorted(line["price_subtotal"] for line in lines) == [0.63, 59.97, 3703.71]
    assert read_one(rpc, "sale.order", order_id, ["invoice_status", "invoice_ids"]) == {
        "id": order_id,
        "invoice_status": "invoiced",
        "invoice_ids": [invoice_id],
    }
    rpc.execute("account.move", "action_post", [invoice_id])
    second = invoice_order(rpc, new_order(rpc, shop), invoice_date="2024-03-02")
    rpc.execute("account.move", "action_post", [second])
    posted = rpc.execute(
        "account.move", "read", [invoice_id, second], ["name", "payment_reference", "invoice_date_due"]
    )
    assert [row["name"] for row in posted] == ["INV/2024/00001", "INV/2024/00002"]
    assert (
        posted[0]["payment_reference"] == "INV/2024/00001" and posted[0]["invoice_date_due"] == "2024-03-01"
    )
    with pytest.raises(OdooRpcError, match="already posted"):
        rpc.execute("account.move", "action_post", [invoice_id])
    with pytest.raises(OdooRpcError, match="posted once"):
        rpc.execute("account.move", "unlink", [invoice_id])
    with pytest.raises(OdooRpcError, match="reset it to draft first"):
        rpc.execute("account.move", "write", [invoice_id], {"partner_id": shop["alice"]})


def test_payments_change_residual_and_payment_state(
    rpc: JsonRpc, shop: dict[str, int], clock: FakeClock
) -> None:
    invoice_id = invoice_order(rpc, new_order(rpc, shop))
    rpc.execute("account.move", "action_post", [invoice_id])
    clock.advance(60)
    first = pay(rpc, invoice_id, amount=1000.0, payment_date="2024-03-05", communication="PAY-1")
    fields = ["amount_residual", "payment_state", "write_date"]
    assert read_one(rpc, "account.move", invoice_id, fields) == {
        "id": invoice_id,
        "amount_residual": 3319.87,
        "payment_state": "partial",
        "write_date": clock.stamp(),
    }
    payment = read_one(
        rpc,
        "account.payment",
        first,
        ["name", "state", "ref", "amount", "date", "partner_id", "reconciled_invoice_ids", "is_reconciled"],
    )
    assert payment == {
        "id": first,
        "name": "PBNK1/2024/00001",
        "state": "posted",
        "ref": "PAY-1",
        "amount": 1000.0,
        "date": "2024-03-05",
        "partner_id": [shop["acme"], "Acme"],
        "reconciled_invoice_ids": [invoice_id],
        "is_reconciled": True,
    }
    rest = pay(rpc, invoice_id)  # the wizard proposes what is left to pay
    assert read_one(rpc, "account.payment", rest, ["amount", "ref"]) == {
        "id": rest,
        "amount": 3319.87,
        "ref": "INV/2024/00001",
    }
    assert (
        read_one(rpc, "account.move", invoice_id, ["amount_residual", "payment_state"])["payment_state"]
        == "in_payment"
    )
    rpc.execute(
        "account.payment", "write", [first, rest], {"is_matched": True}
    )  # matched with the bank statement
    assert read_one(rpc, "account.move", invoice_id, ["payment_state"])["payment_state"] == "paid"
    with pytest.raises(OdooRpcError, match="nothing left to pay"):
        pay(rpc, invoice_id, amount=1.0)
    # What a client searches to stay idempotent (Odoo itself would register the same memo twice).
    assert rpc.execute("account.payment", "search", [("ref", "=", "PAY-1"), ("state", "!=", "cancel")]) == [
        first
    ]
    rpc.execute("account.payment", "action_draft", [rest])
    assert read_one(rpc, "account.move", invoice_id, ["amount_residual", "payment_state"]) == {
        "id": invoice_id,
        "amount_residual": 3319.87,
        "payment_state": "partial",
    }


def test_payment_in_another_currency_overpayment_and_write_off(rpc: JsonRpc, shop: dict[str, int]) -> None:
    invoice_id = invoice_order(rpc, new_order(rpc, shop))
    rpc.execute("account.move", "action_post", [invoice_id])
    pay(rpc, invoice_id, amount=920.0, currency_id=EUR, communication="EUR-1")  # 920 EUR = 1000 USD
    assert read_one(rpc, "account.move", invoice_id, ["amount_residual"])["amount_residual"] == 3319.87
    over = pay(rpc, invoice_id, amount=4000.0, communication="OVER")
    assert (
        read_one(rpc, "account.payment", over, ["is_reconciled"])["is_reconciled"] is False
    )  # 680.13 left open
    other = invoice_order(rpc, new_order(rpc, shop))
    rpc.execute("account.move", "action_post", [other])
    pay(rpc, other, amount=4319.0, payment_difference_handling="reconcile", communication="SHORT")
    assert (
        read_one(rpc, "account.move", other, ["amount_residual", "payment_state"])["amount_residual"] == 0.0
    )


def test_the_payment_wizard_refuses_drafts_and_a_credit_note_reverses(
    rpc: JsonRpc, shop: dict[str, int]
) -> None:
    invoice_id = invoice_order(rpc, new_order(rpc, shop))
    with pytest.raises(OdooRpcError, match="only register payment for posted journal entries"):
        pay(rpc, invoice_id)
    rpc.execute("account.move", "action_post", [invoice_id])
    refund = rpc.execute(
        "account.move",
        "create",
        {
            "move_type": "out_refund",
            "partner_id": shop["acme"],
            "reversed_entry_id": invoice_id,
            "invoice_date": "2024-03-03",
            "invoice_line_ids": [(0, 0, {"name": "Refund", "price_unit": 4319.87, "tax_ids": []})],
        },
    )
    rpc.execute("account.move", "action_post", [refund])
    moves = rpc.execute(
        "account.move", "read", [invoice_id, refund], ["name", "payment_state", "amount_residual"]
    )
    assert moves[0]["payment_state"] == "reversed" and moves[0]["amount_residual"] == 0.0
    assert (moves[1]["name"], moves[1]["payment_state"]) == ("RINV/2024/00001", "paid")
    rpc.execute("account.move", "button_cancel", [refund])
    assert read_one(rpc, "account.move", invoice_id, ["payment_state"])["payment_state"] == "not_paid"


def test_register_payment_action_and_direct_payments(rpc: JsonRpc, shop: dict[str, int]) -> None:
    action = rpc.execute("account.move", "action_register_payment", [7])
    assert action["res_model"] == "account.payment.register"
    assert action["context"] == {"active_model": "account.move", "active_ids": [7]}
    payment = rpc.execute(
        "account.payment",
        "create",
        {"partner_id": shop["acme"], "amount": 19.999, "ref": "CASH", "currency_id": KWD},
    )
    assert read_one(rpc, "account.payment", payment, ["amount", "state", "display_name", "journal_id"]) == {
        "id": payment,
        "amount": 19.999,
        "state": "draft",
        "display_name": "Draft Payment",
        "journal_id": [5, "Bank"],
    }
    rpc.execute("account.payment", "write", [payment], {"currency_id": USD})
    assert read_one(rpc, "account.payment", payment, ["amount"])["amount"] == 20.0  # rounded to cents
    with pytest.raises(OdooRpcError, match="cannot be negative"):
        rpc.execute("account.payment", "write", [payment], {"amount": -1})


# ---- HR ----


def test_archived_employees_hide_unless_asked(rpc: JsonRpc) -> None:
    rnd = rpc.execute("hr.department", "create", {"name": "R&D"})
    platform = rpc.execute("hr.department", "create", {"name": "Platform", "parent_id": rnd})
    boss = rpc.execute(
        "hr.employee", "create", {"name": "Boss", "department_id": platform, "work_email": "b@x.io"}
    )
    rpc.execute("hr.department", "write", [platform], {"manager_id": boss})
    ada, bob = rpc.execute(
        "hr.employee",
        "create",
        [
            {"name": "Ada", "department_id": platform},
            {"name": "Bob", "department_id": platform, "employee_type": "contractor"},
        ],
    )
    assert read_one(rpc, "hr.employee", ada, ["parent_id", "coach_id", "department_id"]) == {
        "id": ada,
        "parent_id": [boss, "Boss"],
        "coach_id": [boss, "Boss"],
        "department_id": [platform, "R&D / Platform"],
    }
    rpc.execute("hr.employee", "write", [bob], {"active": False})
    assert rpc.execute("hr.employee", "search", [], order="name") == [ada, boss]
    assert rpc.execute("hr.employee", "search", [], order="name", context={"active_test": False}) == [
        ada,
        bob,
        boss,
    ]
    assert rpc.execute("hr.employee", "search", [("active", "in", [True, False])], order="name") == [
        ada,
        bob,
        boss,
    ]
    assert read_one(rpc, "hr.department", platform, ["member_ids", "total_employee"]) == {
        "id": platform,
        "member_ids": [ada, boss],
        "total_employee": 2,
    }
    action = rpc.execute("hr.employee", "action_archive", [boss])
    assert action["res_model"] == "hr.departure.wizard"
    assert read_one(rpc, "hr.employee", ada, ["parent_id", "coach_id"]) == {
        "id": ada,
        "parent_id": False,
        "coach_id": False,
    }
    with pytest.raises(OdooRpcError, match="recursive departments"):
        rpc.execute("hr.department", "write", [rnd], {"parent_id": platform})


def test_a_new_department_manager_takes_over_its_members(rpc: JsonRpc, clock: FakeClock) -> None:
    sales = rpc.execute("hr.department", "create", {"name": "Sales"})
    old, new = rpc.execute("hr.employee", "create", [{"name": "Old"}, {"name": "New"}])
    rpc.execute("hr.department", "write", [sales], {"manager_id": old})
    member = rpc.execute("hr.employee", "create", {"name": "Member", "department_id": sales})
    clock.advance(30)
    rpc.execute("hr.department", "write", [sales], {"manager_id": new})
    assert read_one(rpc, "hr.employee", member, ["parent_id", "coach_id", "write_date"]) == {
        "id": member,
        "parent_id": [new, "New"],
        "coach_id": [new, "New"],
        "write_date": clock.stamp(),
    }


# ---- display names, metadata, XML-RPC, sandbox ----


def test_many2one_values_carry_odoo_display_names(rpc: JsonRpc, shop: dict[str, int]) -> None:
    order_id = new_order(rpc, shop, partner_id=shop["alice"])
    line = rpc.execute(
        "sale.order.line",
        "search_read",
        [("product_id", "=", shop["desk"])],
        fields=["product_id", "display_name", "order_partner_id"],
    )
    assert line[0]["product_id"] == [shop["desk"], "[D1] Desk"]
    assert line[0]["display_name"] == "S00001 - [D1] Desk"
    assert line[0]["order_partner_id"] == [shop["alice"], "Acme, Alice"]
    order = read_one(rpc, "sale.order", order_id, ["pricelist_id", "user_id"])
    assert order == {
        "id": order_id,
        "pricelist_id": [1, "Public Pricelist (USD)"],
        "user_id": [2, "Administrator"],
    }
    assert rpc.execute("product.product", "name_search", "D1") == [[shop["desk"], "[D1] Desk"]]


def test_fields_get_describes_the_business_models(rpc: JsonRpc) -> None:
    fields = rpc.execute(
        "sale.order",
        "fields_get",
        ["order_line", "amount_total", "x_hub_id"],
        ["type", "relation", "relation_field", "manual"],
    )
    assert fields["order_line"] == {
        "type": "one2many",
        "relation": "sale.order.line",
        "relation_field": "order_id",
        "manual": False,
    }
    assert fields["amount_total"]["type"] == "monetary" and fields["x_hub_id"]["manual"] is True
    with pytest.raises(OdooRpcError, match=r"Object emulator\.reconciliation doesn't exist"):
        rpc.execute("emulator.reconciliation", "search", [])


def test_xmlrpc_clients_create_orders_with_tuple_commands(
    running: tuple[OdooEmulator, EmulatorServer, FakeClock], rpc: JsonRpc, shop: dict[str, int]
) -> None:
    proxy = xmlrpc.client.ServerProxy(f"{running[1].url}/xmlrpc/2/object", allow_none=True)
    order_id = proxy.execute_kw(
        DB,
        2,
        "admin",
        "sale.order",
        "create",
        [
            {
                "partner_id": shop["acme"],
                "order_line": [(0, 0, {"product_id": shop["pen"], "product_uom_qty": 3})],
            }
        ],
    )
    rows: Any = proxy.execute_kw(
        DB, 2, "admin", "sale.order", "read", [[order_id]], {"fields": ["amount_total"]}
    )
    [order] = rows
    assert order["amount_total"] == 0.3  # 0.1 x 3, not 0.30000000000000004


def test_seed_sandbox_is_deterministic_and_sells_to_existing_companies() -> None:
    scale = {"orders": 40, "odoo_employees": 12}
    first, second = OdooEmulator(), OdooEmulator()
    first.seed_partners(0, companies=3)
    second.seed_partners(0, companies=3)
    for app in (first, second):
        app.seed_sandbox(scale, seed=11)

    def content(app: OdooEmulator, model: str) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in row.items() if not k.endswith("_date") or k in ("invoice_date", "date_order")}
            for row in app.records(model)
        ]

    for model in (
        "product.product",
        "sale.order",
        "sale.order.line",
        "account.move",
        "account.payment",
        "hr.employee",
    ):
        assert content(first, model) == content(second, model)
    orders = first.records("sale.order")
    assert len(orders) == 40 and {order["partner_id"][0] for order in orders} <= {4, 5, 6}
    assert {order["state"] for order in orders} == {"draft", "sent", "sale", "cancel"}
    assert any(order["locked"] for order in orders)
    assert {order["currency_id"][1] for order in orders} >= {"USD", "EUR"}
    assert {move["payment_state"] for move in first.records("account.move")} >= {"not_paid", "partial"}
    assert len(first.records("hr.department")) == 8 and len(first.records("hr.employee")) == 12
    empty = OdooEmulator()
    empty.seed_sandbox({"accounts": 200, "contacts": 1000}, seed=7)  # the demo's scale: no business data
    assert [len(empty.records(m)) for m in ("res.partner", "sale.order", "hr.employee")] == [3, 0, 0]
