"""The Odoo connector against the Odoo emulator: reads, writes, quirks and failure handling."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from connectors.emulators.odoo import OdooEmulator
from connectors.emulators.server import EmulatorServer
from connectors.odoo import OdooConnector
from hub.errors import (
    AuthenticationError,
    ConfigError,
    OutcomeUnknown,
    RetryableAPIError,
    UnsupportedOperation,
)
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import OUTCOME_UNKNOWN, WriteOp

COMPANIES = ObjectSpec(
    "res.partner",
    ("id", "write_date", "x_hub_id", "is_company", "name", "email", "country_id.code", "comment"),
    "id",
    "write_date",
    "x_hub_id",
    {"is_company": True},
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def odoo(clock: Clock) -> Iterator[tuple[OdooEmulator, EmulatorServer]]:
    app = OdooEmulator(clock=clock)
    with EmulatorServer(app) as server:
        yield app, server


def connector(server: EmulatorServer, password: str = "admin", *, attempts: int = 8) -> OdooConnector:
    conn = parse_connection("odoo_default", f"odoo://admin:{password}@{server.host}:{server.port}/omnihub")
    return OdooConnector(conn, policy=RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.05))


def company(i: int, **extra: object) -> WriteOp:
    values = {
        "name": f"Company {i}",
        "email": f"info{i}@example.com",
        "country_id.code": "DE",
        "is_company": True,
    }
    return WriteOp(str(uuid.uuid4()), {**values, **extra})


def calls_to(app: OdooEmulator) -> int:
    return int(app.stats["requests"])


def test_creates_go_in_one_call_per_batch(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    c = connector(server)
    c.write(COMPANIES, [company(0)])  # login, field metadata and country lookup happen once
    before = calls_to(app)
    results = c.write(COMPANIES, [company(i) for i in range(1, 2501)])
    assert all(r.ok and r.created for r in results)
    # x_hub_id lookup + ceil(2500 / 1000) creates
    assert calls_to(app) - before == 1 + 3
    stored = [r for r in app.records("res.partner") if r["x_hub_id"]]
    assert len(stored) == 2501


def test_updates_with_different_values_go_in_one_load(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    c = connector(server)
    ops = [company(i) for i in range(50)]
    ids = [r.id for r in c.write(COMPANIES, ops)]
    before = calls_to(app)
    renamed = [WriteOp(op.hub_id, {**op.values, "name": f"Renamed {i}"}, ids[i]) for i, op in enumerate(ops)]
    archived = [WriteOp(op.hub_id, {"comment": "same for all"}, ids[i]) for i, op in enumerate(ops[:3])]
    assert all(r.ok for r in c.write(COMPANIES, renamed))
    assert all(r.ok for r in c.write(COMPANIES, archived))
    assert calls_to(app) - before == 2  # one load, one write
    names = {r["id"]: r["name"] for r in app.records("res.partner")}
    assert names[int(ids[7])] == "Renamed 7"


def test_refused_records_are_isolated_and_the_rest_written(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    c = connector(server)
    ops = [company(i) for i in range(16)]
    ops[5] = company(5, name=None)
    ops[11] = company(11, **{"country_id.code": "XX"})
    results = c.write(COMPANIES, ops)
    assert [i for i, r in enumerate(results) if not r.ok] == [5, 11]
    assert results[5].error is not None and "Contacts require a name" in results[5].error.message
    assert (
        results[11].error is not None and "no res.country record has code = 'XX'" in results[11].error.message
    )
    assert len([r for r in app.records("res.partner") if r["x_hub_id"]]) == 14


def test_replaying_creates_updates_instead_of_duplicating(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    c = connector(server)
    ops = [company(i) for i in range(10)]
    first = c.write(COMPANIES, ops)
    again = c.write(COMPANIES, ops)  # as after a crash between the write and the commit
    assert [r.id for r in again] == [r.id for r in first]
    assert not any(r.created for r in again)
    assert len([r for r in app.records("res.partner") if r["x_hub_id"]]) == 10


def test_a_lost_answer_to_create_neither_loses_nor_duplicates(
    odoo: tuple[OdooEmulator, EmulatorServer],
) -> None:
    app, server = odoo
    c = connector(server)
    c.write(COMPANIES, [company(0)])
    original = OdooConnector.call
    lost = {"done": False}

    def lose_first_create_answer(
        self: OdooConnector, service: str, method: str, *args: object, **kw: bool
    ) -> object:
        answer = original(self, service, method, *args, **kw)
        if method == "execute_kw" and args[4] == "create" and not lost["done"]:
            lost["done"] = True
            from hub.errors import OutcomeUnknown

            raise OutcomeUnknown("odoo", "connection lost after sending")
        return answer

    pytest.MonkeyPatch().setattr(OdooConnector, "call", lose_first_create_answer)
    try:
        results = c.write(COMPANIES, [company(i) for i in range(1, 6)])
    finally:
        pytest.MonkeyPatch().setattr(OdooConnector, "call", original)
    assert all(r.ok for r in results)
    assert len([r for r in app.records("res.partner") if r["x_hub_id"]]) == 6


def test_a_create_that_arrives_after_its_lost_answer_is_never_made_twice(
    odoo: tuple[OdooEmulator, EmulatorServer],
) -> None:
    """A create queued behind a busy server lands after the hub gave up waiting (issue 16): the hub
    looks for it by x_hub_id, does not find it yet, and must not create it again; the records wait as
    OUTCOME_UNKNOWN, and the next write finds the late arrivals instead of duplicating them."""
    app, server = odoo
    c = connector(server)
    original = OdooConnector.call
    late: list[tuple[object, ...]] = []

    def queue_first_create(
        self: OdooConnector, service: str, method: str, *args: object, **kw: bool
    ) -> object:
        if method == "execute_kw" and args[4] == "create" and not late:
            late.append(args)  # sent, not applied yet: its answer will never come
            raise OutcomeUnknown("odoo", "POST /jsonrpc: connection lost after sending (ReadTimeout)")
        return original(self, service, method, *args, **kw)

    pytest.MonkeyPatch().setattr(OdooConnector, "call", queue_first_create)
    try:
        results = c.write(COMPANIES, ops := [company(i) for i in range(3)])
    finally:
        pytest.MonkeyPatch().setattr(OdooConnector, "call", original)
    assert [r.error.code if r.error else None for r in results] == [OUTCOME_UNKNOWN] * 3
    assert "a later run looks for the record by x_hub_id" in str(results[0].error.message)
    assert not [r for r in app.records("res.partner") if r["x_hub_id"]]  # nothing created twice meanwhile
    original(c, "object", "execute_kw", *late[0])  # the queued create lands, late
    again = c.write(COMPANIES, ops)  # the next run's retry
    assert all(r.ok for r in again), again
    assert not any(r.created for r in again), again
    assert len([r for r in app.records("res.partner") if r["x_hub_id"]]) == 3


def test_incremental_reads_never_skip_records_sharing_a_second(
    odoo: tuple[OdooEmulator, EmulatorServer], clock: Clock
) -> None:
    app, server = odoo
    c = connector(server)
    c.write(COMPANIES, [company(i) for i in range(25)])  # all share one write_date
    pages = list(c.read_changes(COMPANIES, None, 7))
    seen = [r["id"] for p in pages for r in p.records]
    assert len(seen) == len(set(seen)) == 26  # with "My Company"
    assert [len(p.records) for p in pages] == [7, 7, 7, 5]
    assert pages[0].total == 26
    clock.now += timedelta(minutes=5)
    app.edit("res.partner", int(seen[3]), {"name": "Edited"})
    changed = list(c.read_changes(COMPANIES, clock.now - timedelta(seconds=1), 100))
    assert [r["name"] for p in changed for r in p.records] == ["Edited"]
    assert changed[0].cursor == clock.now


def test_odoo_quirks_are_smoothed(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    _, server = odoo
    c = connector(server)
    [result] = c.write(COMPANIES, [company(1, comment="Hello", email=None)])
    [record] = c.fetch(COMPANIES, [str(result.id)])
    assert record["email"] is None  # false → None
    assert record["is_company"] is True
    assert record["country_id"] == {"id": record["country_id"]["id"], "name": "Germany", "code": "DE"}
    assert record["comment"] == "<p>Hello</p>"
    assert c.fetch(COMPANIES, ["99999"]) == []


def test_find_by_field_values(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    _, server = odoo
    c = connector(server)
    c.write(COMPANIES, [company(i) for i in range(5)])
    found = c.find(COMPANIES, {"email": ["info1@example.com", "info3@example.com", "nobody@example.com"]})
    assert sorted(r["name"] for r in found) == ["Company 1", "Company 3"]


def test_delete_archives_and_is_reported_as_deleted(
    odoo: tuple[OdooEmulator, EmulatorServer], clock: Clock
) -> None:
    app, server = odoo
    c = connector(server)
    ids = [r.id for r in c.write(COMPANIES, [company(i) for i in range(3)])]
    assert all(r.ok for r in c.delete(COMPANIES, [str(ids[0])]))
    assert [r["active"] for r in app.records("res.partner") if str(r["id"]) == ids[0]] == [False]
    deleted, covered = c.read_deletes(COMPANIES, clock.now - timedelta(minutes=1))
    assert deleted == [ids[0]] and covered == clock.now


def test_throttling_is_retried(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    c = connector(server)
    app.retry_after = "0"
    app.faults.configure(0.5, ("rate_limit", "unavailable"), seed=4)
    results = c.write(COMPANIES, [company(i) for i in range(20)])
    assert all(r.ok for r in results)
    assert sum(c.calls.retries().values()) > 0
    app.faults.configure(0.0, ())
    assert len([r for r in app.records("res.partner") if r["x_hub_id"]]) == 20


def test_throttling_that_outlasts_the_retries_names_the_call_and_odoos_words(
    odoo: tuple[OdooEmulator, EmulatorServer],
) -> None:
    app, server = odoo
    c = connector(server, attempts=1)
    app.faults.configure(1.0, ("rate_limit",), seed=1)
    words = (  # the first call asks the server's version, to choose JSON-2 or JSON-RPC
        r"odoo: GET /web/version: This user has exceeded an allotted request count\. Try again later\."
    )
    with pytest.raises(RetryableAPIError, match=words + r" \(HTTP 429\)"):
        c.check()


def test_refused_credentials_are_a_clear_error(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    _, server = odoo
    with pytest.raises(AuthenticationError, match="Odoo refused login 'admin' on database 'omnihub'"):
        connector(server, password="wrong").fetch(COMPANIES, ["1"])


def test_records_with_different_fields_never_clear_each_others(
    odoo: tuple[OdooEmulator, EmulatorServer],
) -> None:
    app, server = odoo
    c = connector(server)
    first, second = company(1), company(2)
    ids = [r.id for r in c.write(COMPANIES, [first, second])]
    app.edit("res.partner", int(ids[1]), {"active": False})  # type: ignore[arg-type]
    again = [
        WriteOp(first.hub_id, {**first.values, "name": "One"}, ids[0]),
        WriteOp(second.hub_id, second.values),
    ]
    assert all(r.ok for r in c.write(COMPANIES, again))
    rows = {r["id"]: r for r in app.records("res.partner")}
    assert rows[int(ids[0])]["active"] is True and rows[int(ids[0])]["name"] == "One"  # type: ignore[arg-type]
    assert rows[int(ids[1])]["active"] is True  # type: ignore[arg-type]  # the upsert brought it back


# ---- money, lines, employees and payments ----

PRODUCTS = ObjectSpec(
    "product.product",
    ("id", "write_date", "x_hub_id", "name", "default_code", "list_price", "standard_price"),
    "id",
    "write_date",
    "x_hub_id",
)
LINE_FIELDS = [
    "product_id.default_code",
    "name",
    "product_uom_qty",
    "price_unit",
    "discount",
    "price_subtotal",
]
ORDERS = ObjectSpec(
    "sale.order",
    (
        "id",
        "write_date",
        "x_hub_id",
        "name",
        "partner_id.x_hub_id",
        "amount_total",
        "currency_id.name",
        "order_line",
    ),
    "id",
    "write_date",
    "x_hub_id",
    options={"lines": {"order_line": LINE_FIELDS}},
)
EMPLOYEES = ObjectSpec(
    "hr.employee",
    ("id", "write_date", "x_hub_id", "name", "work_email", "department_id.x_hub_id", "active"),
    "id",
    "write_date",
    "x_hub_id",
)
PAYMENTS = ObjectSpec(
    "account.payment",
    ("id", "write_date", "x_hub_id", "amount", "date", "ref", "reconciled_invoice_ids"),
    "id",
    "write_date",
    "x_hub_id",
)
AWKWARD = {
    "sum": Decimal("0.1") + Decimal("0.2"),
    "big": Decimal("1234567.89"),
    "minus": Decimal("-0.01"),
    "thrice": Decimal("19.99") * 3,
}


def test_awkward_amounts_round_trip_exactly_as_decimals(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    _, server = odoo
    c = connector(server)
    ops = [
        WriteOp(f"P-{key}", {"name": key, "default_code": key, "list_price": value, "standard_price": value})
        for key, value in AWKWARD.items()
    ]
    ids = [r.id for r in c.write(PRODUCTS, ops)]
    back = {r["default_code"]: r for r in c.fetch(PRODUCTS, [str(i) for i in ids])}
    for key, value in AWKWARD.items():
        assert isinstance(back[key]["list_price"], Decimal)
        assert back[key]["list_price"] == value and back[key]["standard_price"] == value
    assert str(back["sum"]["list_price"]) == "0.3" and str(back["thrice"]["list_price"]) == "59.97"


def test_decimals_are_sent_as_exact_json_numbers(
    odoo: tuple[OdooEmulator, EmulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, server = odoo
    c = connector(server)
    sent: list[bytes] = []
    original = c.session.request

    def spy(method: str, url: str, **kwargs: Any) -> Any:
        sent.append(kwargs.get("data") or b"")
        return original(method, url, **kwargs)

    monkeypatch.setattr(c.session, "request", spy)
    c.write(PRODUCTS, [WriteOp("P-x", {"name": "x", "list_price": Decimal("12345678901234.56")})])
    assert any('"list_price":12345678901234.56' in str(body).replace(" ", "") for body in sent)


def seed_shop(app: OdooEmulator) -> dict[str, int]:
    acme = app.create("res.partner", {"name": "Acme", "is_company": True, "x_hub_id": "ACC-1"})
    desk = app.create("product.product", {"name": "Desk", "default_code": "D1", "list_price": 1234.565})
    pen = app.create("product.product", {"name": "Pen", "default_code": "PEN", "list_price": 0.1})
    return {"acme": acme, "desk": desk, "pen": pen}


def order_op(i: int, *lines: dict[str, Any]) -> WriteOp:
    return WriteOp(
        f"SO-{i}", {"partner_id.x_hub_id": "ACC-1", "client_order_ref": f"PO-{i}", "order_line": list(lines)}
    )


def test_orders_written_with_lines_compute_exact_totals(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    seed_shop(app)
    c = connector(server)
    line = {"product_id.default_code": "PEN", "product_uom_qty": Decimal("3"), "price_unit": Decimal("0.1")}
    [created] = c.write(
        ORDERS, [order_op(1, line, {"name": "Fee", "price_unit": Decimal("19.99"), "product_uom_qty": 3})]
    )
    assert created.ok and created.created
    [order] = c.fetch(ORDERS, [str(created.id)])
    assert order["amount_total"] == Decimal("60.32")  # 0.30 + 15% (0.045 -> 0.05), plus 59.97 untaxed
    assert [(ln["name"], ln["price_subtotal"]) for ln in order["order_line"]] == [
        ("[PEN] Pen", Decimal("0.3")),
        ("Fee", Decimal("59.97")),
    ]
    assert order["order_line"][0]["product_id"]["default_code"] == "PEN"
    replaced = WriteOp("SO-1", {"order_line": [{"product_id.default_code": "D1"}]}, str(created.id))
    assert all(r.ok for r in c.write(ORDERS, [replaced]))
    [order] = c.fetch(ORDERS, [str(created.id)])
    assert [ln["price_unit"] for ln in order["order_line"]] == [Decimal("1234.57")]
    assert order["amount_total"] == Decimal("1419.76")


def test_lines_cost_one_read_per_page(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    seed_shop(app)
    c = connector(server)
    lines = [
        {"product_id.default_code": "D1", "product_uom_qty": 2},
        {"name": "Fee", "price_unit": Decimal("0.01")},
    ]
    assert all(r.ok for r in c.write(ORDERS, [order_op(i, *lines) for i in range(20)]))
    plain = ObjectSpec(ORDERS.name, ORDERS.fields, "id", "write_date", "x_hub_id")
    list(c.read_changes(ORDERS, None, 7))  # warm: field metadata and the products' codes are cached
    before = c.calls.total("odoo")
    pages = list(c.read_changes(ORDERS, None, 7))
    with_lines = c.calls.total("odoo") - before
    before = c.calls.total("odoo")
    list(c.read_changes(plain, None, 7))
    without = c.calls.total("odoo") - before
    assert [len(p.records) for p in pages] == [7, 7, 6]
    assert with_lines - without == 3  # one `read` of the lines per page
    record = pages[0].records[0]
    assert record["partner_id"]["x_hub_id"] == "ACC-1" and record["currency_id"]["name"] == "USD"
    assert [ln["product_uom_qty"] for ln in record["order_line"]] == [Decimal("2.0"), Decimal("1.0")]
    assert [ln["price_subtotal"] for ln in record["order_line"]] == [Decimal("2469.14"), Decimal("0.01")]


def test_invoice_lines_are_read_through_the_lines_option(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    shop = seed_shop(app)
    invoice = app.create(
        "account.move",
        {
            "move_type": "out_invoice",
            "partner_id": shop["acme"],
            "invoice_line_ids": [(0, 0, {"product_id": shop["desk"], "quantity": 3})],
        },
    )
    app.call("account.move", "action_post", [invoice])
    invoices = ObjectSpec(
        "account.move",
        ("id", "write_date", "name", "amount_total", "amount_residual", "payment_state", "invoice_line_ids"),
        "id",
        "write_date",
        options={"lines": {"invoice_line_ids": ["product_id.default_code", "quantity", "price_subtotal"]}},
    )
    [record] = c_records = connector(server).fetch(invoices, [str(invoice)])
    assert (
        c_records and record["amount_total"] == Decimal("4259.27") and record["payment_state"] == "not_paid"
    )
    assert [
        (ln["product_id"]["default_code"], ln["quantity"], ln["price_subtotal"])
        for ln in record["invoice_line_ids"]
    ] == [("D1", Decimal("3.0"), Decimal("3703.71"))]
    wrong = ObjectSpec("account.move", ("id", "name"), "id", options={"lines": {"name": ["id"]}})
    with pytest.raises(ConfigError, match=r"account\.move\.name is not a one2many"):
        connector(server).fetch(wrong, [str(invoice)])


def test_archived_employees_are_read_when_the_mapping_asks(
    odoo: tuple[OdooEmulator, EmulatorServer], clock: Clock
) -> None:
    app, server = odoo
    department = app.create("hr.department", {"name": "Sales", "x_hub_id": "DEP-1"})
    c = connector(server)
    ops = [
        WriteOp(
            f"EMP-{i}", {"name": f"Emp {i}", "work_email": f"e{i}@x.io", "department_id.x_hub_id": "DEP-1"}
        )
        for i in range(4)
    ]
    ids = [str(r.id) for r in c.write(EMPLOYEES, ops)]
    assert app.records("hr.employee")[0]["department_id"] == [department, "Sales"]
    clock.now += timedelta(minutes=1)
    assert all(r.ok for r in c.delete(EMPLOYEES, [ids[1]]))  # archived, not deleted
    active_only = [r["id"] for p in c.read_changes(EMPLOYEES, None, 100) for r in p.records]
    assert len(active_only) == 3 and int(ids[1]) not in active_only
    archived = ObjectSpec(
        EMPLOYEES.name, EMPLOYEES.fields, "id", "write_date", "x_hub_id", options={"include_archived": True}
    )
    everyone = {r["id"]: r for p in c.read_changes(archived, None, 100) for r in p.records}
    assert len(everyone) == 4 and everyone[int(ids[1])]["active"] is False
    assert everyone[int(ids[0])]["department_id"]["x_hub_id"] == "DEP-1"
    assert c.fetch(EMPLOYEES, [str(ids[1])]) == [] and len(c.fetch(archived, [str(ids[1])])) == 1
    deleted, _ = c.read_deletes(EMPLOYEES, clock.now - timedelta(seconds=30))
    assert deleted == [ids[1]]


def test_models_without_active_are_unlinked_and_keep_no_trace(
    odoo: tuple[OdooEmulator, EmulatorServer],
) -> None:
    app, server = odoo
    seed_shop(app)
    c = connector(server)
    [draft, confirmed] = [
        r.id for r in c.write(ORDERS, [order_op(1, {"name": "A"}), order_op(2, {"name": "B"})])
    ]
    app.call("sale.order", "action_confirm", [int(str(confirmed))])
    results = c.delete(ORDERS, [str(draft), str(confirmed)])
    assert (
        results[0].ok and results[1].error is not None and "must first cancel it" in results[1].error.message
    )
    assert [r["id"] for r in app.records("sale.order")] == [int(str(confirmed))]
    with pytest.raises(UnsupportedOperation, match=r"no trace of deleted sale\.order"):
        c.read_deletes(ORDERS, None)


def posted_invoice(app: OdooEmulator, partner: int, price: float) -> tuple[int, str]:
    invoice = app.create(
        "account.move",
        {
            "move_type": "out_invoice",
            "partner_id": partner,
            "invoice_date": "2024-03-01",
            "invoice_line_ids": [(0, 0, {"name": "Work", "price_unit": price, "tax_ids": []})],
        },
    )
    app.call("account.move", "action_post", [invoice])
    [row] = app.call("account.move", "read", [invoice], ["name"])
    return invoice, str(row["name"])


def payment_op(number: str, amount: str, ref: str) -> WriteOp:
    values = {
        "reconciled_invoice_ids.name": number,
        "amount": Decimal(amount),
        "date": "2024-03-05",
        "ref": ref,
    }
    return WriteOp(f"PAY-{ref}", values)


def test_payments_are_recorded_once_per_reference(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    shop = seed_shop(app)
    first, first_number = posted_invoice(app, shop["acme"], 1234567.89)
    second, second_number = posted_invoice(app, shop["acme"], 0.3)
    c = connector(server)
    ops = [payment_op(first_number, "1000000.01", "BANK-1"), payment_op(second_number, "0.3", "BANK-2")]
    results = c.write(PAYMENTS, ops)
    assert all(r.ok and r.created for r in results)
    moves = {m["id"]: m for m in app.records("account.move")}
    assert moves[first]["amount_residual"] == 234567.88 and moves[first]["payment_state"] == "partial"
    assert moves[second]["payment_state"] == "in_payment"
    before = c.calls.total("odoo")
    again = c.write(PAYMENTS, ops)  # re-sent, as after a crash: nothing is paid twice
    assert [r.id for r in again] == [r.id for r in results] and not any(r.created for r in again)
    assert c.calls.total("odoo") - before == 1  # one search by reference for the batch
    assert len(app.records("account.payment")) == 2
    [payment] = c.fetch(PAYMENTS, [str(results[0].id)])
    assert payment["amount"] == Decimal("1000000.01") and payment["x_hub_id"] == "PAY-BANK-1"
    assert payment["reconciled_invoice_ids"] == [first] and payment["ref"] == "BANK-1"
    changed = c.write(
        PAYMENTS, [payment_op(first_number, "5", "BANK-1"), payment_op("INV/2099/99999", "5", "B-3")]
    )
    assert changed[0].error is not None and changed[0].error.code == "PAYMENT_CHANGED"
    assert (
        changed[1].error is not None
        and "no account.move record has name = 'INV/2099/99999'" in changed[1].error.message
    )


def test_a_lost_payment_answer_does_not_pay_twice(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    shop = seed_shop(app)
    _, number = posted_invoice(app, shop["acme"], 100.0)
    c = connector(server)
    original = OdooConnector.call

    def lose_payment_answer(
        self: OdooConnector, service: str, method: str, *args: object, **kw: bool
    ) -> object:
        answer = original(self, service, method, *args, **kw)
        if method == "execute_kw" and args[4] == "action_create_payments":
            raise OutcomeUnknown("odoo", "connection lost after sending")
        return answer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OdooConnector, "call", lose_payment_answer)
        [result] = c.write(PAYMENTS, [payment_op(number, "40", "LOST-1")])
    assert result.ok
    assert [(p["ref"], p["amount"]) for p in app.records("account.payment")] == [("LOST-1", 40.0)]


def test_follow_reads_the_record_a_chain_of_relations_reaches(
    odoo: tuple[OdooEmulator, EmulatorServer],
) -> None:
    app, server = odoo
    app.seed_sandbox({"customers": 5, "orders": 30}, 3)  # orders invoiced through Create Invoice
    shop = seed_shop(app)
    by_hand = app.create(  # an invoice made without an order
        "account.move",
        {
            "move_type": "out_invoice",
            "partner_id": shop["acme"],
            "invoice_line_ids": [(0, 0, {"name": "Fee"})],
        },
    )
    order_of = {i: o["id"] for o in app.call("sale.order", "search_read", []) for i in o["invoice_ids"]}
    invoices = ObjectSpec(
        "account.move",
        ("id", "write_date", "name", "sale_order.id"),
        "id",
        "write_date",
        options={"follow": {"sale_order": "invoice_line_ids.sale_line_ids.order_id"}},
    )
    c = connector(server)
    list(c.read_changes(invoices, None, 1000))  # warm: field metadata cached
    before = c.calls.total("odoo")
    [page] = list(c.read_changes(invoices, None, 1000))
    assert c.calls.total("odoo") - before == 2 + 2  # search_count and search_read, then one read per hop
    found = {int(r["id"]): r["sale_order"] for r in page.records}
    assert len(order_of) > 5 and {i: found[i] for i in order_of} == {
        i: {"id": o} for i, o in order_of.items()
    }
    assert found[by_hand] is None
    wrong = ObjectSpec("account.move", ("id",), "id", options={"follow": {"sale_order": "invoice_line_ids"}})
    with pytest.raises(ConfigError, match="option `follow` maps a name to a dotted path"):
        c.fetch(wrong, [str(by_hand)])
