"""Odoo's documented method results (the "External RPC API" page's `Result:` blocks), served verbatim to
the connector over both protocols: as JSON-2's body (the JSON-serialized return value) and inside
JSON-RPC's envelope. See tests/fixtures/real/odoo/SOURCES.md."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.emulators.odoo import OdooEmulator
from connectors.emulators.odoo.rpc import OdooUser
from connectors.emulators.server import EmulatorApp, EmulatorServer, Request, Response
from connectors.odoo import OdooConnector, OdooRPCError
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import RetryPolicy

REAL = Path(__file__).parents[1] / "fixtures" / "real" / "odoo"
KEY = "0d1e2c3b4a5f60718293a4b5c6d7e8f901234567"
JSON = {"Content-Type": "application/json; charset=utf-8"}
CUSTOM = ObjectSpec("x_custom", ("id", "write_date", "x_name", "write_uid"), "id", "write_date")
SINCE = datetime(2014, 11, 12, tzinfo=UTC)


class Documented(EmulatorApp):
    """Answers each model method with the next of its documented results (the last one repeats), as
    JSON-2's body or inside JSON-RPC's `{"jsonrpc": "2.0", "id": …, "result": …}`; keeps each call's
    model, method and parameters (JSON-RPC's positional ones named as the connector names them)."""

    system = "odoo"

    def __init__(self, answers: dict[str, list[str]], unpublished: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.answers = {method: list(names) for method, names in answers.items()}
        self.unpublished = unpublished or {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.route("POST", r"/json/2/(?P<model>[^/]+)/(?P<method>[^/]+)", self.json2)
        self.route("POST", r"/jsonrpc", self.jsonrpc)

    def result(self, method: str) -> bytes:
        if method in self.unpublished:  # a call the documentation shows no answer for
            return json.dumps(self.unpublished[method]).encode()
        names = self.answers[method]
        return (REAL / (names.pop(0) if len(names) > 1 else names[0])).read_bytes()

    def json2(self, request: Request) -> Response:
        model, method = request.params["model"], request.params["method"]
        self.calls.append((model, method, request.json()))
        return Response(200, self.result(method), JSON)

    def jsonrpc(self, request: Request) -> Response:
        payload = request.json()
        _db, _uid, _password, model, method, args, kwargs = payload["params"]["args"]
        names = {"search_count": ("domain",), "search_read": ("domain",), "create": ("vals_list",)}
        self.calls.append((model, method, {**dict(zip(names.get(method, ()), args, strict=False)), **kwargs}))
        envelope = b'{"jsonrpc": "2.0", "id": %d, "result": %s}' % (payload["id"], self.result(method))
        return Response(200, envelope, JSON)


def connector(server: EmulatorServer, protocol: str) -> OdooConnector:
    spec: dict[str, Any] = {
        "conn_type": "odoo",
        "host": server.url,
        "login": "admin",
        "password": KEY,
        "schema": "mycompany",
        "extra": {"protocol": protocol},
    }
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
    c = OdooConnector(parse_connection("odoo_default", json.dumps(spec)), policy=policy)
    if protocol == "jsonrpc":
        c.__dict__["uid"] = 2  # the documentation shows no `authenticate` answer: the uid is taken as known
    return c


def calls_of(app: Documented, method: str) -> list[dict[str, Any]]:
    return [params for _model, called, params in app.calls if called == method]


@pytest.mark.parametrize("protocol", ["json2", "jsonrpc"])
def test_the_documented_search_read_is_read_in_odoos_order(protocol: str) -> None:
    app = Documented(
        {"search_read": ["rpc_search_read.json"]},
        # res.partner's documented fields_get is cut short in the page: these are the three fields' types
        unpublished={
            "fields_get": {
                "name": {"type": "char"},
                "country_id": {"type": "many2one", "relation": "res.country"},
                "comment": {"type": "html"},
            }
        },
    )
    companies = ObjectSpec("res.partner", ("id", "name", "country_id", "comment"), "id")
    with EmulatorServer(app) as server:
        found = connector(server, protocol).find(companies, {"is_company": [True]})
    assert [r["id"] for r in found] == [7, 18, 12, 14, 17]  # as Odoo answered, not re-sorted
    assert found[0] == {
        "comment": None,
        "country_id": {"id": 21, "name": "Belgium"},
        "id": 7,
        "name": "Agrolait",
    }
    assert [r["country_id"]["name"] for r in found] == [
        "Belgium",
        "France",
        "United Kingdom",
        "India",
        "France",
    ]
    (sent,) = calls_of(app, "search_read")
    assert sent["domain"] == [["is_company", "in", [True]]]


@pytest.mark.parametrize("protocol", ["json2", "jsonrpc"])
def test_an_incremental_read_of_documented_records_keeps_their_write_date_and_pages_by_keyset(
    protocol: str,
) -> None:
    app = Documented(
        {
            "search_count": ["rpc_search_count.json"],
            "search_read": ["rpc_read_custom.json", "rpc_search_empty.json"],
            "fields_get": ["rpc_fields_get_custom.json"],
        }
    )
    with EmulatorServer(app) as server:
        pages = list(connector(server, protocol).read_changes(CUSTOM, SINCE, 1))
    (page,) = pages
    assert page.records == [
        {
            "create_uid": {"id": 1, "name": "Administrator"},  # not asked for: kept, typed by fields_get
            "x_name": "test record",
            "__last_update": "2014-11-12 16:32:13",
            "write_uid": {"id": 1, "name": "Administrator"},
            "write_date": "2014-11-12 16:32:13",
            "create_date": "2014-11-12 16:32:13",
            "id": 1,
            "display_name": "test record",
        }
    ]
    assert page.cursor == datetime(2014, 11, 12, 16, 32, 13, tzinfo=UTC)
    assert page.total == 19  # search_count's documented answer
    (counted,) = calls_of(app, "search_count")
    assert counted["domain"] == [["write_date", ">=", "2014-11-12 00:00:00"]]
    first, second = calls_of(app, "search_read")  # a full page of 1, then the documented empty answer
    assert first["domain"] == [["write_date", ">=", "2014-11-12 00:00:00"]]
    assert (first["limit"], first["order"]) == (1, "write_date asc, id asc")
    assert second["domain"] == [
        ["write_date", ">=", "2014-11-12 00:00:00"],
        "|",
        ["write_date", ">", "2014-11-12 16:32:13"],
        "&",
        ["write_date", "=", "2014-11-12 16:32:13"],
        ["id", ">", 1],
    ]


@pytest.mark.parametrize("protocol", ["json2", "jsonrpc"])
def test_the_documented_create_answer_is_the_new_records_id(protocol: str) -> None:
    app = Documented({"create": ["rpc_create.json"]})
    with EmulatorServer(app) as server:
        made = connector(server, protocol).execute("res.partner", "create", {"name": "New Partner"})
    assert made == 78
    (sent,) = calls_of(app, "create")
    assert sent["vals_list"] == {"name": "New Partner"}


@pytest.mark.parametrize("protocol", ["json2", "jsonrpc"])
def test_an_unknown_field_in_a_domain_is_refused_once_in_odoos_words(protocol: str) -> None:
    """Odoo 19's JSON-2 answers a bad domain with a 500 naming builtins.ValueError (Odoo's test_webjson2,
    which the emulator's answer is checked against): the same call would fail again, so it is not retried."""
    app = OdooEmulator(server_version="19.0", database="mycompany", users=[OdooUser(api_keys=(KEY,))])
    companies = ObjectSpec("res.partner", ("id", "name"), "id")
    with EmulatorServer(app) as server, pytest.raises(OdooRPCError) as refused:
        connector(server, protocol).find(companies, {"bad field": ["foo"]})
    message = str(refused.value)
    assert "builtins.ValueError: Invalid field res.partner.bad field in condition" in message
    assert refused.value.status == (500 if protocol == "json2" else None)
    assert KEY not in message
    route = "POST /jsonrpc" if protocol == "jsonrpc" else "POST /json/2/(?P<model>[^/]+)/(?P<method>[^/]+)"
    assert app.stats[route] == 1  # the one search_read: not retried


class FailsOnce(Documented):
    """A bare 500 first (a crashed worker or a proxy: no Odoo error object), then the documented answers."""

    failed = False

    def json2(self, request: Request) -> Response:
        if not self.failed:
            self.failed = True
            return Response(500, b"", {})
        return super().json2(request)


def test_a_500_without_odoos_error_object_is_still_retried() -> None:
    app = FailsOnce({"search_count": ["rpc_search_count.json"]})
    with EmulatorServer(app) as server:
        assert connector(server, "json2").execute("res.partner", "search_count", []) == 19
    assert app.stats["POST /json/2/(?P<model>[^/]+)/(?P<method>[^/]+)"] == 2
