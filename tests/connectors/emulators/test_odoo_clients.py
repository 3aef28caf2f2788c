"""The Odoo emulator at versions 17 and 19, driven by the clients users' code uses: odoorpc (the web
client's version_info, then JSON-RPC), the web routes (session authenticate, dataset call_kw),
xmlrpc.client with read_group, and Odoo 19's JSON-2 API as its documentation calls it (requests)."""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Iterator

import odoorpc
import pytest
import requests

from connectors.emulators.odoo import OdooEmulator, OdooUser
from connectors.emulators.server import EmulatorServer

DB = "omnihub"
KEY = "6578616d706c65206a736f6e20617069206b6579"  # the documentation's example key


@pytest.fixture(params=["17.0", "19.0"])
def odoo(request: pytest.FixtureRequest) -> Iterator[tuple[OdooEmulator, EmulatorServer]]:
    app = OdooEmulator(server_version=request.param, users=[OdooUser(api_keys=(KEY,))])
    app.seed_sandbox({"orders": 12, "customers": 4, "accounts": 8}, 7)
    with EmulatorServer(app) as server:
        yield app, server


def test_odoorpc_logs_in_and_reads_writes_and_deletes(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    client = odoorpc.ODOO(server.host, port=server.port)
    assert client.version == app.version.serie and client.db.list() == [DB]
    client.login(DB, "admin", "admin")
    assert client.env.uid == 2 and client.env.context["lang"] == "en_US"
    partners = client.env["res.partner"]
    made = partners.create({"name": "Odoorpc Co", "is_company": True})
    record = partners.browse(made)
    assert record.name == "Odoorpc Co"
    record.email = "hello@odoorpc.example"  # a write through the record
    assert partners.search_read([("id", "=", made)], ["email"]) == [
        {"id": made, "email": "hello@odoorpc.example"}
    ]
    assert made in partners.search([("is_company", "=", True)])
    record.unlink()
    assert partners.search([("id", "=", made)]) == []
    with pytest.raises(odoorpc.error.RPCError):
        odoorpc.ODOO(server.host, port=server.port).login(DB, "admin", "wrong")


def test_the_web_clients_session_routes(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    web = requests.Session()
    envelope = {"jsonrpc": "2.0", "method": "call", "id": 1}
    info = web.post(f"{server.url}/web/webclient/version_info", json=envelope | {"params": {}}).json()
    assert info["result"]["server_version_info"][0] == int(app.version.serie.split(".")[0])
    expired = web.post(
        f"{server.url}/web/dataset/call_kw",
        json=envelope
        | {"params": {"model": "res.partner", "method": "search_count", "args": [[]], "kwargs": {}}},
    ).json()
    assert (
        expired["error"]["code"] == 100
        and expired["error"]["data"]["name"] == "odoo.http.SessionExpiredException"
    )
    wrong = web.post(
        f"{server.url}/web/session/authenticate",
        json=envelope | {"params": {"db": DB, "login": "admin", "password": "x"}},
    ).json()
    assert wrong["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    session = web.post(
        f"{server.url}/web/session/authenticate",
        json=envelope | {"params": {"db": DB, "login": "admin", "password": "admin"}},
    )
    assert session.json()["result"]["uid"] == 2 and "session_id" in web.cookies
    call = {
        "model": "res.partner",
        "method": "search_read",
        "args": [[["is_company", "=", True]]],
        "kwargs": {"fields": ["name"], "limit": 2},
    }
    found = web.post(
        f"{server.url}/web/dataset/call_kw/res.partner/search_read", json=envelope | {"params": call}
    ).json()
    assert len(found["result"]) == 2 and set(found["result"][0]) == {"id", "name"}
    web.post(f"{server.url}/web/session/destroy", json=envelope | {"params": {}})
    after = web.post(f"{server.url}/web/dataset/call_kw", json=envelope | {"params": call}).json()
    assert after["error"]["code"] == 100


def test_read_group_through_xmlrpc(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    models = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/object", allow_none=True)
    orders = app.records("sale.order")
    groups = models.execute_kw(
        DB, 2, "admin", "sale.order", "read_group", [[], ["amount_total:sum"], ["partner_id"]], {}
    )
    assert sum(g["partner_id_count"] for g in groups) == len(orders) == 12
    first = groups[0]
    assert isinstance(first["partner_id"], list) and first["__domain"] == [
        ["partner_id", "=", first["partner_id"][0]]
    ]
    mine = [o for o in orders if o["partner_id"][0] == first["partner_id"][0]]
    assert first["amount_total"] == pytest.approx(sum(o["amount_total"] for o in mine))
    both = models.execute_kw(
        DB,
        2,
        "admin",
        "sale.order",
        "read_group",
        [[], ["amount_total"], ["state", "currency_id"]],
        {"lazy": False},
    )
    assert sum(g["__count"] for g in both) == 12 and all("state" in g and "currency_id" in g for g in both)


def test_json2_as_odoos_documentation_calls_it(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    headers = {"Authorization": f"bearer {KEY}", "X-Odoo-Database": DB, "User-Agent": "mysoftware"}
    url = f"{server.url}/json/2/res.partner"
    found = requests.post(
        f"{url}/search_read",
        headers=headers,
        json={"context": {"lang": "en_US"}, "domain": [["is_company", "=", True]], "fields": ["name"]},
    )
    if app.version.serie == "17.0":
        assert found.status_code == 404  # JSON-2 is Odoo 19's
        return
    assert found.status_code == 200 and all(set(row) == {"id", "name"} for row in found.json())
    [made] = requests.post(
        f"{url}/create", headers=headers, json={"vals_list": [{"name": "Deco Addict"}]}
    ).json()
    assert (
        requests.post(
            f"{url}/write", headers=headers, json={"ids": [made], "vals": {"email": "d@deco.example"}}
        ).json()
        is True
    )
    read = requests.post(f"{url}/read", headers=headers, json={"ids": [made], "fields": ["email"]}).json()
    assert read == [{"id": made, "email": "d@deco.example"}]
    refused = requests.post(f"{url}/write", headers=headers, json={"ids": [made], "vals": {"name": False}})
    assert refused.status_code == 422 and refused.json()["name"] == "odoo.exceptions.ValidationError"
    assert set(refused.json()) == {"name", "message", "arguments", "context", "debug"}
    assert requests.post(f"{url}/unlink", headers=headers, json={"ids": [made]}).json() is True
    bad = requests.post(f"{url}/search_read", headers={**headers, "Authorization": "bearer nope"}, json={})
    assert bad.status_code == 401 and bad.json()["message"] == "Invalid apikey"
    password = requests.post(
        f"{url}/search_read", headers={**headers, "Authorization": "bearer admin"}, json={}
    )
    assert password.status_code == 401  # a password is no API key
    groups = requests.post(
        f"{server.url}/json/2/sale.order/read_group",
        headers=headers,
        json={"domain": [], "fields": ["amount_total:sum"], "groupby": ["state"]},
    ).json()
    assert sum(g["state_count"] for g in groups) == 12
