"""The Odoo connector speaks JSON-2 to Odoo 19 and JSON-RPC to Odoo 17, chosen by the server's version,
against the emulator at both versions; and Odoo's published JSON-2 bodies, served verbatim."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.emulators.odoo import OdooEmulator
from connectors.emulators.odoo.rpc import OdooUser
from connectors.emulators.server import EmulatorApp, EmulatorServer, Request, Response
from connectors.odoo import OdooConnector
from hub.errors import AuthenticationError, ConfigError, FatalAPIError
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import WriteOp

REAL = Path(__file__).parents[1] / "fixtures" / "real" / "odoo"
KEY = "0d1e2c3b4a5f60718293a4b5c6d7e8f901234567"  # an API key: 160 bits, as Odoo makes them
COMPANIES = ObjectSpec(
    "res.partner",
    ("id", "write_date", "x_hub_id", "name", "email", "is_company"),
    "id",
    "write_date",
    "x_hub_id",
    {"is_company": True},
)


@pytest.fixture(params=["17.0", "19.0"])
def odoo(request: pytest.FixtureRequest) -> Iterator[tuple[OdooEmulator, EmulatorServer]]:
    app = OdooEmulator(server_version=request.param, users=[OdooUser(api_keys=(KEY,))])
    with EmulatorServer(app) as server:
        yield app, server


def connector(server: EmulatorServer, password: str = KEY, **extra: Any) -> OdooConnector:
    spec = {
        "conn_type": "odoo",
        "host": server.url,
        "login": "admin",
        "password": password,
        "schema": "omnihub",
        "extra": extra,
    }
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
    return OdooConnector(parse_connection("odoo_default", json.dumps(spec)), policy=policy)


def paths(app: OdooEmulator) -> set[str]:
    """The routes the connector's calls reached."""
    return {key.split(" ", 1)[1] for key in app.stats if key.startswith(("GET ", "POST "))}


def company(i: int, **values: Any) -> WriteOp:
    return WriteOp(
        f"hub-{i}", {"name": f"Company {i}", "email": f"c{i}@example.com", "is_company": True, **values}
    )


def test_the_protocol_follows_the_servers_version(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    c = connector(server)
    results = c.write(COMPANIES, [company(i) for i in range(3)])
    assert all(r.ok and r.created for r in results)
    if app.version.serie == "19.0":
        assert c.protocol == "json2" and c.version == (19, "19.0")
        assert paths(app) == {"/web/version", "/json/2/(?P<model>[^/]+)/(?P<method>[^/]+)"}
        assert "Odoo 19.0 accepted the API key on database 'omnihub' (JSON-2" in c.check()
    else:
        assert c.protocol == "jsonrpc" and c.version == (17, "17.0")
        assert paths(app) == {"/web/version", "/jsonrpc"}
        assert "accepted 'admin'" in c.check()


def test_reads_writes_record_errors_and_deletes_speak_either_protocol(
    odoo: tuple[OdooEmulator, EmulatorServer],
) -> None:
    app, server = odoo
    c = connector(server)
    results = c.write(COMPANIES, [company(0), company(1, name=None), company(2)])
    assert [r.ok for r in results] == [True, False, True]  # the bad record stands alone
    assert results[1].error is not None and "name" in results[1].error.message.lower()
    made = [str(r.id) for r in results if r.ok]
    changed = c.write(COMPANIES, [WriteOp("hub-0", {"email": "new@example.com"}, made[0])])
    assert changed[0].ok and not changed[0].created
    read = [r for page in c.read_changes(COMPANIES, None, 1) for r in page.records]
    assert sorted(r["x_hub_id"] for r in read if r["x_hub_id"]) == ["hub-0", "hub-2"]
    assert {r["email"] for r in c.fetch(COMPANIES, made)} == {"new@example.com", "c2@example.com"}
    assert [r["x_hub_id"] for r in c.find(COMPANIES, {"x_hub_id": ["hub-2"]})] == ["hub-2"]
    assert all(r.ok for r in c.delete(COMPANIES, [made[1]]))
    assert [r["x_hub_id"] for r in app.records("res.partner") if r["x_hub_id"] and r["active"]] == ["hub-0"]


def test_a_forced_protocol_and_what_each_server_refuses(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    assert connector(server, protocol="jsonrpc").check()  # JSON-RPC still works on 19, deprecated
    with pytest.raises(ConfigError, match="use auto, json2 or jsonrpc"):
        connector(server, protocol="xmlrpc").check()
    if app.version.serie == "19.0":
        with pytest.raises(AuthenticationError) as refused:
            connector(server, password="admin").check()  # a password is no API key for JSON-2
        assert "Invalid apikey" in str(refused.value) and "never a password" in str(refused.value)
        assert KEY not in str(refused.value)
    else:
        with pytest.raises(FatalAPIError, match="404"):
            connector(server, protocol="json2").check()  # Odoo 17 has no /json/2


class Published(EmulatorApp):
    """Odoo's published JSON-2 bodies, served verbatim; keeps what each call sent."""

    system = "odoo"

    def __init__(self, status: int, name: str) -> None:
        super().__init__()
        self.status, self.body = status, (REAL / name).read_bytes()
        self.sent: list[tuple[str, dict[str, str], Any]] = []
        self.route("POST", r"/json/2/(?P<model>[^/]+)/(?P<method>[^/]+)", self.answer)

    def answer(self, request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k in ("Authorization", "X-Odoo-Database")}
        self.sent.append((request.path, headers, request.json()))
        if request.params["method"] == "fields_get" and self.status == 200:  # not the published call
            return Response.json({"id": {"type": "integer"}, "name": {"type": "char"}})
        return Response(self.status, self.body, {"Content-Type": "application/json; charset=utf-8"})


def test_odoos_published_search_read_answer_is_read() -> None:
    app = Published(200, "json2_search_read.json")
    with EmulatorServer(app) as server:
        found = connector(server, protocol="json2").fetch(
            ObjectSpec("res.partner", ("id", "name"), "id"), ["25"]
        )
    assert found == [{"id": 25, "name": "Deco Addict"}]
    path, headers, body = next(sent for sent in app.sent if sent[0].endswith("/search_read"))
    assert path == "/json/2/res.partner/search_read"
    assert headers == {"Authorization": f"bearer {KEY}", "X-Odoo-Database": "omnihub"}
    assert body["domain"] == [["id", "in", [25]]] and "fields" in body


def test_odoos_published_401_is_a_refused_api_key_without_the_key() -> None:
    app = Published(401, "json2_unauthorized.json")
    with EmulatorServer(app) as server, pytest.raises(AuthenticationError) as refused:
        connector(server, protocol="json2").check()
    message = str(refused.value)
    assert (
        "connection 'odoo_default': Odoo refused the API key on database 'omnihub' (Invalid apikey)"
        in message
    )
    assert KEY not in message and "Traceback" not in message
