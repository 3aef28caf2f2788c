"""The back-office syncs end to end against the emulators: ERP orders and invoices to the CRM, the
payments export to the ERP, HR to the ERP and to the helpdesk (issue 6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.emulators.sandbox import Sandbox
from hub.engine.sync import SyncEngine
from hub.project.loading import Project
from hub.reconcile.engine import Reconciler
from hub.state import StateStore
from tests.emulated import start_sandbox

ROOT = Path(__file__).resolve().parents[3]
BACK_OFFICE = {"customers": 30, "orders": 60, "employees": 60}


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = start_sandbox(
        tmp_path / "sandbox", monkeypatch, accounts=60, contacts=60, back_office=BACK_OFFICE
    )
    yield sandbox
    sandbox.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    yield state
    state.close()


@pytest.fixture
def engine(sandbox: Sandbox, store: StateStore) -> SyncEngine:
    return SyncEngine(Project.load(ROOT), store)


def app(sandbox: Sandbox, system: str) -> Any:
    return sandbox.apps[system]


def money(value: Any) -> Decimal:
    """An amount as an exact decimal (the emulators hand out floats or Decimals)."""
    return Decimal(str(value))


def written(*results: Any) -> int:
    return sum(r.counts.created + r.counts.updated for r in results)


def quarantine_messages(store: StateStore, sync: str) -> dict[str, list[str]]:
    return {q.record_id: [str(e.get("message")) for e in q.errors] for q in store.quarantined(sync)}


def test_orders_reach_the_crm_on_their_account_with_exact_amounts_and_their_lines(
    engine: SyncEngine, sandbox: Sandbox
) -> None:
    engine.sync("crm_accounts_to_erp")  # links the companies Odoo already had, by name and country
    first = engine.sync("erp_orders_to_crm")
    odoo, salesforce = app(sandbox, "odoo"), app(sandbox, "salesforce")
    orders = {o["name"]: o for o in odoo.records("sale.order")}
    crm = {o["ERP_Number__c"]: o for o in salesforce.records("Order")}
    assert first.counts.created == len(orders) == len(crm) == BACK_OFFICE["orders"]
    accounts = {a["Id"]: a for a in salesforce.records("Account")}
    lines = {line["id"]: line for line in odoo.records("sale.order.line")}
    for number, order in orders.items():
        shown = crm[number]
        for field in ("amount_untaxed", "amount_tax", "amount_total"):
            assert money(shown[f"Amount_{field.split('_')[1].title()}__c"]) == money(order[field]), number
        assert accounts[shown["AccountId"]]["Name"] == order["partner_id"][1]
        assert len(shown["Lines__c"].splitlines()) == len(order["order_line"])
        first_line = lines[order["order_line"][0]]
        assert f" @ {money(first_line['price_unit'])} = " in shown["Lines__c"].splitlines()[0]
        assert shown["Status"] == ("Activated" if order["state"] == "sale" else "Draft")
    assert written(engine.sync("erp_orders_to_crm")) == 0


def test_awkward_amounts_go_from_odoo_to_salesforce_to_the_cent(engine: SyncEngine, sandbox: Sandbox) -> None:
    odoo = app(sandbox, "odoo")
    engine.sync("crm_accounts_to_erp")
    partner = next(p for p in odoo.records("res.partner") if p["is_company"] and p["x_hub_id"])
    awkward = [("0.1", "3"), ("1234567.89", "1"), ("19.99", "3"), ("0.01", "1"), ("33.333", "3")]
    order = odoo.call(
        "sale.order",
        "create",
        {
            "partner_id": partner["id"],
            "order_line": [
                (0, 0, {"name": f"Line {n}", "price_unit": Decimal(p), "product_uom_qty": Decimal(q)})
                for n, (p, q) in enumerate(awkward)
            ],
        },
    )
    engine.sync("erp_orders_to_crm")
    [mine] = odoo.call("sale.order", "read", [order], ["name", "amount_untaxed", "amount_total"])
    [shown] = [o for o in app(sandbox, "salesforce").records("Order") if o["ERP_Number__c"] == mine["name"]]
    # 0.30 + 1,234,567.89 + 59.97 + 0.01 + 99.99 (Odoo keeps unit prices to the cent: 33.33 x 3)
    assert money(mine["amount_untaxed"]) == Decimal("1234728.16") == money(shown["Amount_Untaxed__c"])
    assert money(shown["Amount_Total__c"]) == money(mine["amount_total"])
    assert shown["Lines__c"].splitlines() == [  # no product, so no SKU in brackets; Odoo's quantities
        "3.0 x Line 0 @ 0.1 = 0.3",  # are floats, written as Odoo gives them
        "1.0 x Line 1 @ 1234567.89 = 1234567.89",
        "3.0 x Line 2 @ 19.99 = 59.97",
        "1.0 x Line 3 @ 0.01 = 0.01",
        "3.0 x Line 4 @ 33.33 = 99.99",
    ]


def test_an_order_of_a_customer_the_crm_does_not_have_waits_and_is_never_written_dangling(
    engine: SyncEngine, sandbox: Sandbox, store: StateStore
) -> None:
    odoo, salesforce = app(sandbox, "odoo"), app(sandbox, "salesforce")
    stranger = odoo.call("res.partner", "create", {"name": "Nobody Knows Ltd", "is_company": True})
    order = odoo.call(
        "sale.order",
        "create",
        {"partner_id": stranger, "order_line": [(0, 0, {"name": "Consulting", "price_unit": 100})]},
    )
    engine.sync("crm_accounts_to_erp")
    engine.sync("erp_orders_to_crm")
    [number] = [o["name"] for o in odoo.records("sale.order") if o["id"] == order]
    assert number not in {o["ERP_Number__c"] for o in salesforce.records("Order")}
    [reason] = quarantine_messages(store, "erp_orders_to_crm")[str(order)]
    assert f"odoo account {stranger} is not linked yet" in reason and "same name" in reason

    salesforce.create("Account", {"Name": "Nobody Knows Ltd"})  # sales creates the customer
    again = engine.sync("erp_orders_to_crm")
    [shown] = [o for o in salesforce.records("Order") if o["ERP_Number__c"] == number]
    account = next(a for a in salesforce.records("Account") if a["Id"] == shown["AccountId"])
    assert account["Name"] == "Nobody Knows Ltd" and again.counts.created == 1
    assert str(order) not in quarantine_messages(store, "erp_orders_to_crm")


def test_payments_in_the_export_pay_their_invoices_once_and_the_crm_sees_it(
    engine: SyncEngine, sandbox: Sandbox, store: StateStore
) -> None:
    odoo, salesforce = app(sandbox, "odoo"), app(sandbox, "salesforce")
    engine.sync("crm_accounts_to_erp")
    engine.sync("erp_invoices_to_crm")
    due_before = {i["name"]: money(i["amount_residual"]) for i in odoo.records("account.move")}
    export = next((sandbox.drops["files"] / "payments").glob("*.csv")).read_text().splitlines()[1:]
    paid = [row.split(",") for row in export]
    payments_before = len(odoo.records("account.payment"))

    first = engine.sync("finance_ledger_from_files")
    known = [p for p in paid if p[1] in due_before]
    assert first.counts.created == len(known) == len(paid) - 1  # one names an invoice Odoo lacks
    due_after = {i["name"]: money(i["amount_residual"]) for i in odoo.records("account.move")}
    for _, invoice, amount, *_ in known:
        assert due_after[invoice] == due_before[invoice] - Decimal(amount), invoice
    [(stranger, reasons)] = quarantine_messages(store, "finance_ledger_from_files").items()
    assert stranger.startswith("BNK-") and "INV/2024/99999" in " ".join(reasons)

    assert written(engine.sync("finance_ledger_from_files")) == 0  # read again, never paid twice
    assert len(odoo.records("account.payment")) == payments_before + len(known)
    engine.sync("erp_invoices_to_crm")
    shown = {i["Name"]: i for i in salesforce.records("Invoice__c")}
    for _, invoice, *_ in known:
        assert money(shown[invoice]["Amount_Due__c"]) == due_after[invoice]
        assert shown[invoice]["Payment_Status__c"] in ("In Payment", "Partially Paid", "Paid")


def test_employees_reach_odoo_with_department_and_manager_and_leavers_are_archived(
    engine: SyncEngine, sandbox: Sandbox, store: StateStore
) -> None:
    bamboo, odoo = app(sandbox, "bamboohr"), app(sandbox, "odoo")
    result = engine.sync("hr_employees_to_erp")
    people = {p["id"]: p for p in bamboo.records()}
    held = quarantine_messages(store, "hr_employees_to_erp")  # HR keyed some phones as "TBD", "n/a"
    assert all("is not a phone number" in " ".join(reasons) for reasons in held.values())
    assert 0 < len(held) < len(people) // 10
    staff = {
        e["x_hub_id"]: e for e in odoo.call("hr.employee", "search_read", [("active", "in", [True, False])])
    }
    hub = {
        x.external_id: x.hub_id for x in store.xrefs_by_external("employee", "bamboohr", set(people)).values()
    }
    odoo_ids = {e["id"]: e for e in staff.values()}
    brought = result.details["references"]["hr_employees_to_erp"]["created"]  # managers, pulled first
    assert len(staff) == len(people) - len(held) == result.counts.created + brought and brought > 0
    assert result.written("created") == len(staff)  # what the run reports, managers included
    for person_id, person in people.items():
        if person_id in held:
            continue
        employee = staff[hub[person_id]]
        assert employee["name"] == f"{person['firstName']} {person['lastName']}"
        assert employee["department_id"][1].endswith(person["department"])
        assert employee["active"] is (person["status"] == "Active")
        manager = person["supervisorEId"]
        if manager is None or manager in held or people[manager]["status"] != "Active":
            continue  # archiving a manager clears the link in Odoo, as Odoo does
        assert odoo_ids[employee["parent_id"][0]]["x_hub_id"] == hub[manager]

    leaver = next(
        p for p in people.values() if p["status"] == "Active" and p["supervisorEId"] and p["id"] not in held
    )
    bamboo.edit(leaver["id"], {"status": "Inactive", "terminationDate": "2024-06-30"})
    again = engine.sync("hr_employees_to_erp")
    assert (again.counts.created, again.counts.updated) == (0, 1)
    archived = odoo.call(
        "hr.employee", "search_read", [("x_hub_id", "=", hub[leaver["id"]]), ("active", "=", False)]
    )
    assert [e["name"] for e in archived] == [f"{leaver['firstName']} {leaver['lastName']}"]


def test_the_support_team_becomes_zendesk_agents_and_a_leaver_is_suspended(
    engine: SyncEngine, sandbox: Sandbox
) -> None:
    bamboo, zendesk = app(sandbox, "bamboohr"), app(sandbox, "zendesk")
    support = {p["workEmail"]: p for p in bamboo.records() if p["department"] == "Support"}
    first = engine.sync("hr_agents_to_helpdesk")
    agents = {u["email"]: u for u in zendesk.records("users") if u["role"] == "agent"}
    assert first.counts.created == len(support) and set(agents) == set(support)
    for email, person in support.items():
        assert agents[email]["suspended"] is (person["status"] == "Inactive")

    leaver = next(p for p in support.values() if p["status"] == "Active")
    bamboo.edit(leaver["id"], {"status": "Inactive", "terminationDate": "2024-06-30"})
    again = engine.sync("hr_agents_to_helpdesk")
    assert (again.counts.created, again.counts.updated) == (0, 1)
    suspended = next(u for u in zendesk.records("users") if u["email"] == leaver["workEmail"])
    assert suspended["suspended"] is True and suspended["role"] == "agent"
    assert written(engine.sync("hr_agents_to_helpdesk")) == 0


def test_an_agent_who_moves_out_of_support_is_suspended_and_the_reconciliation_agrees(
    engine: SyncEngine, sandbox: Sandbox, store: StateStore
) -> None:
    bamboo, zendesk = app(sandbox, "bamboohr"), app(sandbox, "zendesk")
    engine.sync("hr_agents_to_helpdesk")
    active = [p for p in bamboo.records() if p["status"] == "Active"]
    mover = next(p for p in active if p["department"] == "Support")
    outsider = next(p for p in active if p["department"] != "Support")
    bamboo.edit(mover["id"], {"department": "Sales"})
    bamboo.edit(outsider["id"], {"jobTitle": "Account Executive"})  # changed, and never in Support

    moved = engine.sync("hr_agents_to_helpdesk")  # filter_exit: {status: terminated}
    assert (moved.counts.created, moved.counts.updated) == (0, 1)
    users = {u["email"]: u for u in zendesk.records("users")}
    assert users[mover["workEmail"]]["suspended"] is True and outsider["workEmail"] not in users
    assert written(engine.sync("hr_agents_to_helpdesk")) == 0

    reconciler = Reconciler(engine.project, store, engine=engine)
    summary = reconciler.run("hr_agents_to_helpdesk", min_age=timedelta(0)).comparison.summary
    assert (summary["only_left"], summary["only_right"], summary["unequal"]) == (0, 0, 0)
    assert summary["matched"] == len([p for p in bamboo.records() if p["department"] == "Support"]) + 1

    bamboo.edit(mover["id"], {"department": "Support"})  # and back: the agent is active again
    back = engine.sync("hr_agents_to_helpdesk")
    assert (back.counts.created, back.counts.updated) == (0, 1)
    assert next(u for u in zendesk.records("users") if u["email"] == mover["workEmail"])["suspended"] is False


def test_departments_reach_odoo_and_employees_find_theirs_through_the_cross_references(
    engine: SyncEngine, sandbox: Sandbox, store: StateStore
) -> None:
    bamboo, odoo = app(sandbox, "bamboohr"), app(sandbox, "odoo")
    before = {d["name"]: d["id"] for d in odoo.records("hr.department")}
    first = engine.sync("hr_departments_to_erp")
    used = {p["department"] for p in bamboo.records()}
    assert (first.counts.created, first.counts.updated) == (0, len(used))  # Odoo had them: linked by name
    linked = store.xrefs_by_external("department", "odoo", [str(i) for i in before.values()])
    assert sorted(before[name] for name in used) == sorted(int(i) for i in linked)

    bamboo.add_department("Legal")
    counsel = next(p for p in bamboo.records() if p["status"] == "Active" and p["department"] == "Finance")
    bamboo.edit(counsel["id"], {"department": "Legal", "jobTitle": "Counsel"})
    result = engine.sync("hr_employees_to_erp")  # Legal is brought over first, in the same run
    assert result.details["references"]["hr_departments_to_erp"]["created"] == 1
    legal = next(d for d in odoo.records("hr.department") if d["name"] == "Legal")
    hub_id = store.xrefs_by_external("employee", "bamboohr", [counsel["id"]])[counsel["id"]].hub_id
    (employee,) = odoo.call("hr.employee", "search_read", [("x_hub_id", "=", hub_id)])
    assert employee["department_id"][0] == legal["id"]

    odoo.call("hr.department", "write", [legal["id"]], {"name": "Legal & Compliance"})  # renamed in Odoo
    bamboo.edit(counsel["id"], {"jobTitle": "General Counsel"})
    engine.sync("hr_employees_to_erp")  # the link holds: it is the hub's, not the name's
    (employee,) = odoo.call("hr.employee", "search_read", [("x_hub_id", "=", hub_id)])
    assert (employee["department_id"][0], employee["job_title"]) == (legal["id"], "General Counsel")

    bamboo.archive_department("Legal")
    again = engine.sync("hr_departments_to_erp")  # BambooHR's name and archiving win
    assert again.counts.updated == 1
    (archived,) = odoo.call(
        "hr.department", "search_read", [("id", "=", legal["id"]), ("active", "=", False)]
    )
    assert archived["name"] == "Legal"


def test_invoices_reach_the_crm_on_their_order_which_is_brought_over_first(
    engine: SyncEngine, sandbox: Sandbox, store: StateStore
) -> None:
    odoo, salesforce = app(sandbox, "odoo"), app(sandbox, "salesforce")
    engine.sync("crm_accounts_to_erp")
    result = engine.sync("erp_invoices_to_crm")  # no order synced yet: each invoice brings its own
    order_of = {i: o["id"] for o in odoo.call("sale.order", "search_read", []) for i in o["invoice_ids"]}
    assert order_of and result.details["references"]["erp_orders_to_crm"]["created"] == len(
        set(order_of.values())
    )
    orders = store.xrefs_by_external("sales_order", "odoo", [str(o) for o in order_of.values()])
    in_crm = {o["Hub_Id__c"]: o["Id"] for o in salesforce.records("Order")}
    invoices = {i["Hub_Id__c"]: i for i in salesforce.records("Invoice__c")}
    hub = store.xrefs_by_external("invoice", "odoo", [str(i) for i in order_of])
    for invoice_id, order_id in order_of.items():
        shown = invoices[hub[str(invoice_id)].hub_id]
        assert shown["Order__c"] == in_crm[orders[str(order_id)].hub_id], invoice_id
    assert written(engine.sync("erp_invoices_to_crm")) == 0
