"""The Odoo emulator driven the way real clients drive Odoo: a plain JSON-RPC client and xmlrpc.client."""

from __future__ import annotations

import itertools
import re
import xmlrpc.client
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests

from connectors.emulators.odoo import OdooEmulator, OdooUser
from connectors.emulators.server import EmulatorServer

DB = "omnihub"
T0 = datetime(2024, 3, 1, 9, 0, 0)
AFTER_BASE_DATA = ("id", ">", 3)  # partners 1-3 come with every database (company, OdooBot, admin)


class FakeClock:
    """A UTC clock the tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def stamp(self) -> str:
        return self.now.strftime("%Y-%m-%d %H:%M:%S")


class OdooRpcError(Exception):
    """An `error` answer of Odoo's JSON-RPC endpoint."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["data"]["message"])
        self.error = error
        self.name = error["data"]["name"]


class JsonRpc:
    """A plain JSON-RPC client, as Odoo's external API documentation shows it."""

    def __init__(self, url: str, password: str = "admin", uid: int = 2) -> None:
        self.url, self.password, self.uid = url, password, uid
        self._ids = itertools.count(1)

    def call(self, service: str, method: str, *args: Any) -> Any:
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": list(args)},
            "id": next(self._ids),
        }
        body = requests.post(f"{self.url}/jsonrpc", json=payload, timeout=10).json()
        if "error" in body:
            raise OdooRpcError(body["error"])
        return body["result"]

    def execute(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.call(
            "object", "execute_kw", DB, self.uid, self.password, model, method, list(args), kwargs
        )


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[OdooEmulator, EmulatorServer, FakeClock]]:
    """One server for the module (stopping one takes half a second); each test resets its data."""
    clock = FakeClock(T0)
    odoo = OdooEmulator(clock=clock, users=[OdooUser(api_keys=("key-123",))])
    with EmulatorServer(odoo) as server:
        yield odoo, server, clock


@pytest.fixture
def clock(running: tuple[OdooEmulator, EmulatorServer, FakeClock]) -> FakeClock:
    running[2].now = T0
    return running[2]


@pytest.fixture
def odoo(running: tuple[OdooEmulator, EmulatorServer, FakeClock], clock: FakeClock) -> Iterator[OdooEmulator]:
    emulator = running[0]
    emulator.reset()
    yield emulator
    emulator.faults.configure(0.0, ("rate_limit",))


@pytest.fixture
def server(running: tuple[OdooEmulator, EmulatorServer, FakeClock], odoo: OdooEmulator) -> EmulatorServer:
    return running[1]


@pytest.fixture
def rpc(server: EmulatorServer) -> JsonRpc:
    return JsonRpc(server.url)


@pytest.fixture
def xml(server: EmulatorServer) -> xmlrpc.client.ServerProxy:
    return xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/object", allow_none=True)


def country(rpc: JsonRpc, code: str) -> int:
    [found] = rpc.execute("res.country", "search", [("code", "=", code)])
    return int(found)


@pytest.fixture
def people(rpc: JsonRpc) -> dict[str, int]:
    """A small address book: two companies, their contacts, a loner and an archived contact."""
    be, fr, us = country(rpc, "BE"), country(rpc, "FR"), country(rpc, "US")
    acme = rpc.execute(
        "res.partner", "create", {"name": "Acme", "is_company": True, "email": "info@acme.com"}
    )
    rpc.execute("res.partner", "write", [acme], {"country_id": be, "ref": "A1"})
    rows = [
        {
            "name": "Alice",
            "parent_id": acme,
            "email": "alice@acme.com",
            "phone": "+32 2 555",
            "x_hub_id": "H-1",
        },
        {"name": "Bob", "parent_id": acme, "email": "bob@example.org", "x_hub_id": "H-2"},
        {"name": "Carol", "city": "Paris", "country_id": fr},
        {"name": "Dave", "email": "dave@acme.com", "active": False},
        {"name": "Globex", "is_company": True, "country_id": us},
    ]
    ids = rpc.execute("res.partner", "create", rows)
    return dict(zip(["Acme", *[row["name"] for row in rows]], [acme, *ids], strict=True))


def names(rpc: JsonRpc, domain: list[Any], **kwargs: Any) -> set[str]:
    found = rpc.execute("res.partner", "search_read", [*domain, AFTER_BASE_DATA], fields=["name"], **kwargs)
    return {row["name"] for row in found}


# ---- session: version and credentials ----


def test_version_and_web_version_report_odoo_17(rpc: JsonRpc, server: EmulatorServer) -> None:
    version = rpc.call("common", "version")
    assert version["server_version"] == "17.0"
    assert version["server_version_info"] == [17, 0, 0, "final", 0, ""]
    web = requests.get(f"{server.url}/web/version", timeout=10).json()
    assert web == {"version_info": [17, 0, 0, "final", 0, ""], "version": "17.0"}


def test_db_service_and_execute_with_positional_arguments(rpc: JsonRpc) -> None:
    assert rpc.call("db", "list") == [DB]
    assert rpc.call("db", "server_version") == "17.0"
    count = rpc.call("object", "execute", DB, 2, "admin", "res.partner", "search_count", [])
    assert count == 2  # My Company and Administrator; OdooBot is archived
    positional = rpc.execute("res.partner", "search_read", [], ["name"], 0, 1, "id asc")
    keywords = rpc.execute("res.partner", "search_read", [], fields=["name"], limit=1, order="id asc")
    assert positional == keywords == [{"id": 1, "name": "My Company"}]


def test_authenticate_returns_uid_or_false_for_password_and_api_key(
    rpc: JsonRpc, server: EmulatorServer
) -> None:
    assert rpc.call("common", "authenticate", DB, "admin", "admin", {}) == 2
    assert rpc.call("common", "authenticate", DB, "admin", "key-123", {}) == 2
    assert rpc.call("common", "authenticate", DB, "admin", "wrong", {}) is False
    assert rpc.call("common", "login", DB, "nobody", "admin") is False
    common = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/common")
    assert common.authenticate(DB, "admin", "key-123", {}) == 2
    assert common.authenticate(DB, "admin", "nope", {}) is False


def test_wrong_password_on_execute_kw_is_access_denied_in_odoos_error_shape(server: EmulatorServer) -> None:
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": [DB, 2, "bad", "res.partner", "search", [[]]],
        },
        "id": 7,
    }
    response = requests.post(f"{server.url}/jsonrpc", json=payload, timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"jsonrpc", "id", "error"} and body["id"] == 7
    error = body["error"]
    assert (error["code"], error["message"]) == (200, "Odoo Server Error")
    assert set(error["data"]) == {"name", "message", "arguments", "context", "debug"}
    assert error["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert error["data"]["message"] == "Access Denied"
    assert error["data"]["arguments"] == ["Access Denied"] and error["data"]["context"] == {}
    assert error["data"]["debug"].startswith("Traceback (most recent call last):")


def test_malformed_json_gets_odoos_400(server: EmulatorServer) -> None:
    headers = {"Content-Type": "application/json"}
    response = requests.post(f"{server.url}/jsonrpc", data=b"{not json", headers=headers, timeout=10)
    assert response.status_code == 400
    assert response.text == "Invalid JSON data"


def test_call_errors_name_the_python_exception_odoo_raises(rpc: JsonRpc) -> None:
    cases: list[tuple[Callable[[], Any], str]] = [
        (lambda: rpc.execute("stock.picking", "search", []), "odoo.exceptions.UserError"),
        (lambda: rpc.execute("res.partner", "frobnicate"), "builtins.AttributeError"),
        (lambda: rpc.execute("res.partner", "_read"), "odoo.exceptions.AccessError"),
        (lambda: rpc.execute("res.partner", "search", [], count=True), "builtins.TypeError"),
        (lambda: rpc.call("common", "nope"), "builtins.KeyError"),
    ]
    for call, expected in cases:
        with pytest.raises(OdooRpcError) as caught:
            call()
        assert caught.value.name == expected


# ---- create, read, write, unlink ----


def test_create_one_or_many_and_read_back_odoo_values(rpc: JsonRpc, clock: FakeClock) -> None:
    acme = rpc.execute("res.partner", "create", {"name": "Acme", "is_company": True})
    assert isinstance(acme, int)
    ids = rpc.execute("res.partner", "create", [{"name": "Ann", "parent_id": acme}, {"name": "Ben"}])
    assert len(ids) == 2 and all(isinstance(i, int) for i in ids)
    fields = [
        "name",
        "email",
        "parent_id",
        "display_name",
        "company_type",
        "type",
        "write_date",
        "create_uid",
    ]
    [ann] = rpc.execute("res.partner", "read", [ids[0]], fields)
    assert ann["email"] is False and ann["type"] == "contact" and ann["company_type"] == "person"
    assert ann["parent_id"] == [acme, "Acme"]
    assert ann["display_name"] == "Acme, Ann"
    assert ann["write_date"] == clock.stamp()
    assert ann["create_uid"] == [2, "Administrator"]


def test_create_list_is_one_transaction(rpc: JsonRpc) -> None:
    before = rpc.execute("res.partner", "search_count", [])
    with pytest.raises(OdooRpcError) as caught:
        rpc.execute("res.partner", "create", [{"name": "Ok 1"}, {"email": "no-name@x.com"}, {"name": "Ok 2"}])
    assert caught.value.name == "odoo.exceptions.ValidationError"
    assert str(caught.value) == "The operation cannot be completed: Contacts require a name"
    assert rpc.execute("res.partner", "search_count", []) == before
    assert rpc.execute("res.partner", "search", [("name", "like", "Ok ")]) == []


def test_unknown_fields_are_value_errors(rpc: JsonRpc) -> None:
    with pytest.raises(OdooRpcError, match=r"^Invalid field 'foo' on model 'res.partner'$") as caught:
        rpc.execute("res.partner", "create", {"name": "X", "foo": 1})
    assert caught.value.name == "builtins.ValueError"
    leaf = r"^Invalid field res.partner.foo in leaf \('foo', '=', 1\)$"
    with pytest.raises(OdooRpcError, match=leaf):
        rpc.execute("res.partner", "search_read", [("foo", "=", 1)])
    with pytest.raises(OdooRpcError, match=re.escape("Invalid field 'foo' on model 'res.partner'")):
        rpc.execute("res.partner", "read", [1], ["foo"])


def test_read_skips_deleted_ids_but_write_to_them_is_a_missing_error(rpc: JsonRpc) -> None:
    assert rpc.execute("res.partner", "read", [99], ["name"]) == []
    with pytest.raises(OdooRpcError) as caught:
        rpc.execute("res.partner", "write", [99], {"name": "Ghost"})
    assert caught.value.name == "odoo.exceptions.MissingError"
    assert "(Document type: res.partner, Operation: write, Records: [99], User: 2)" in str(caught.value)


def test_many2one_to_a_missing_record(rpc: JsonRpc, people: dict[str, int]) -> None:
    with pytest.raises(OdooRpcError) as parent_error:
        rpc.execute("res.partner", "write", [people["Bob"]], {"parent_id": 99999})
    assert parent_error.value.name == "odoo.exceptions.MissingError"
    assert str(parent_error.value) == (
        "Record does not exist or has been deleted.\n(Record: res.partner(99999,), User: 2)"
    )
    with pytest.raises(OdooRpcError) as country_error:
        rpc.execute("res.partner", "create", {"name": "Zed", "country_id": 99999})
    assert country_error.value.name == "odoo.exceptions.ValidationError"
    assert "Constraint: res_partner_country_id_fkey" in str(country_error.value)


def test_write_stamps_every_record_and_ignores_readonly_fields(
    rpc: JsonRpc, people: dict[str, int], clock: FakeClock
) -> None:
    clock.advance(60)
    ids = [people["Alice"], people["Bob"]]
    assert rpc.execute("res.partner", "write", ids, {"city": "Brussels", "display_name": "Nope"}) is True
    rows = rpc.execute("res.partner", "read", ids, ["city", "display_name", "write_date", "create_date"])
    assert [row["city"] for row in rows] == ["Brussels", "Brussels"]
    assert [row["display_name"] for row in rows] == ["Acme, Alice", "Acme, Bob"]
    assert {row["write_date"] for row in rows} == {clock.stamp()}
    assert {row["create_date"] for row in rows} == {"2024-03-01 09:00:00"}


def test_write_through_computed_company_type_sets_is_company(rpc: JsonRpc, people: dict[str, int]) -> None:
    rpc.execute("res.partner", "write", [people["Carol"]], {"company_type": "company"})
    [carol] = rpc.execute("res.partner", "read", [people["Carol"]], ["is_company", "company_type"])
    assert carol["is_company"] is True and carol["company_type"] == "company"


def test_unlink_deletes_sets_children_parent_null_and_respects_restrict(
    rpc: JsonRpc, people: dict[str, int]
) -> None:
    assert rpc.execute("res.partner", "unlink", [people["Acme"]]) is True
    assert rpc.execute("res.partner", "read", [people["Acme"]], ["name"]) == []
    [alice] = rpc.execute("res.partner", "read", [people["Alice"]], ["parent_id", "display_name"])
    assert alice == {"id": people["Alice"], "parent_id": False, "display_name": "Alice"}
    assert rpc.execute("res.partner", "unlink", [people["Acme"]]) is True
    with pytest.raises(OdooRpcError, match="Constraint: res_partner_country_id_fkey"):
        rpc.execute("res.country", "unlink", [country(rpc, "FR")])


# ---- search: domains, active_test, order and paging ----

DOMAIN_CASES: list[tuple[list[Any], set[str]]] = [
    ([("name", "=", "Alice")], {"Alice"}),
    ([("name", "!=", "Alice")], {"Acme", "Bob", "Carol", "Globex"}),
    ([("name", "<>", "Alice")], {"Acme", "Bob", "Carol", "Globex"}),
    ([("name", ">", "C")], {"Carol", "Globex"}),
    ([("name", "<=", "Bob")], {"Acme", "Alice", "Bob"}),
    ([("email", "=", False)], {"Carol", "Globex"}),
    ([("email", "!=", False)], {"Acme", "Alice", "Bob"}),
    ([("email", "ilike", "ACME")], {"Acme", "Alice"}),
    ([("email", "like", "ACME")], set()),
    ([("email", "not ilike", "acme")], {"Bob", "Carol", "Globex"}),
    ([("name", "not like", "o")], {"Acme", "Alice"}),
    ([("email", "=like", "%@example.org")], {"Bob"}),
    ([("name", "=ilike", "a%")], {"Acme", "Alice"}),
    ([("x_hub_id", "in", ["H-1", "H-2", "H-9"])], {"Alice", "Bob"}),
    ([("x_hub_id", "not in", ["H-1"])], {"Acme", "Bob", "Carol", "Globex"}),
    ([("x_hub_id", "in", ["H-1", False])], {"Acme", "Alice", "Carol", "Globex"}),
    ([("is_company", "=", False)], {"Alice", "Bob", "Carol"}),
    ([("parent_id", "=", False)], {"Acme", "Carol", "Globex"}),
    ([("parent_id.name", "=", "Acme")], {"Alice", "Bob"}),
    ([("parent_id", "ilike", "acm")], {"Alice", "Bob"}),
    ([("country_id.code", "=", "FR")], {"Carol"}),
    ([("country_code", "in", ["BE", "US"])], {"Acme", "Globex"}),
    ([("child_ids", "!=", False)], {"Acme"}),
    ([("display_name", "ilike", "acme, b")], {"Bob"}),
    (["|", ("name", "=", "Alice"), ("name", "=", "Carol")], {"Alice", "Carol"}),
    (["&", ("is_company", "=", False), "!", ("parent_id", "=", False)], {"Alice", "Bob"}),
    (["!", ("email", "ilike", "acme")], {"Bob", "Carol", "Globex"}),
    (
        ["|", "&", ("is_company", "=", True), ("country_code", "=", "US"), ("name", "=", "Bob")],
        {"Globex", "Bob"},
    ),
    ([("is_company", "=", False), ("email", "!=", False)], {"Alice", "Bob"}),
]


@pytest.mark.parametrize(("domain", "expected"), DOMAIN_CASES, ids=[str(case[0]) for case in DOMAIN_CASES])
def test_domain_operators(
    rpc: JsonRpc, people: dict[str, int], domain: list[Any], expected: set[str]
) -> None:
    assert names(rpc, domain) == expected


def test_active_test_hides_archived_records_unless_asked(rpc: JsonRpc, people: dict[str, int]) -> None:
    assert names(rpc, [("name", "=", "Dave")]) == set()
    assert names(rpc, [("active", "=", False)]) == {"Dave"}
    assert names(rpc, [("name", "=", "Dave")], context={"active_test": False}) == {"Dave"}
    assert "Dave" in names(rpc, ["|", ("active", "=", True), ("active", "=", False)])
    assert rpc.execute("res.partner", "read", [people["Dave"]], ["name"]) == [
        {"id": people["Dave"], "name": "Dave"}
    ]


def test_child_of_and_name_search(rpc: JsonRpc, people: dict[str, int]) -> None:
    assert names(rpc, [("id", "child_of", people["Acme"])]) == {"Acme", "Alice", "Bob"}
    found = rpc.execute("res.partner", "name_search", "acme")
    assert [name for _id, name in found] == ["Acme", "Acme, Alice", "Acme, Bob"]


def test_order_limit_offset_pages_are_stable(rpc: JsonRpc, people: dict[str, int]) -> None:
    everything = rpc.execute("res.partner", "search", [], order="name desc, id asc")
    pages = [
        rpc.execute("res.partner", "search", [], offset=n, limit=2, order="name desc, id asc")
        for n in (0, 2, 4, 6)
    ]
    assert [i for page in pages for i in page] == everything
    ordered = rpc.execute("res.partner", "search_read", [AFTER_BASE_DATA], fields=["name"], order="name desc")
    assert [row["name"] for row in ordered] == ["Globex", "Carol", "Bob", "Alice", "Acme"]
    with pytest.raises(OdooRpcError, match=re.escape("Invalid field 'nope' on model 'res.partner'")):
        rpc.execute("res.partner", "search", [], order="nope asc")


def test_keyset_paging_on_write_date_and_id_survives_shared_timestamps(
    rpc: JsonRpc, odoo: OdooEmulator, clock: FakeClock
) -> None:
    first = rpc.execute("res.partner", "create", [{"name": f"Batch {n:02d}"} for n in range(25)])
    clock.advance(1)
    rpc.execute("res.partner", "create", [{"name": f"Later {n:02d}"} for n in range(10)])
    clock.advance(1)
    for record_id in first[:3]:
        odoo.edit("res.partner", record_id, {"phone": "+1"})
    expected = rpc.execute(
        "res.partner", "search_read", [], fields=["write_date"], order="write_date asc, id asc"
    )
    seen: list[dict[str, Any]] = []
    domain: list[Any] = []
    while page := rpc.execute(
        "res.partner", "search_read", domain, fields=["write_date"], order="write_date asc, id asc", limit=7
    ):
        seen += page
        last = page[-1]
        domain = ["|", ("write_date", ">", last["write_date"]), "&"]
        domain += [("write_date", "=", last["write_date"]), ("id", ">", last["id"])]
    assert seen == expected
    assert len({row["write_date"] for row in seen}) == 3 and len(seen) == 37


def test_datetime_domains_take_dates_and_reject_iso_t_strings(rpc: JsonRpc, clock: FakeClock) -> None:
    rpc.execute("res.partner", "create", {"name": "Early"})
    clock.advance(86400)
    rpc.execute("res.partner", "create", {"name": "Next day"})
    assert names(rpc, [("create_date", ">", "2024-03-01")]) == {"Next day"}
    assert names(rpc, [("create_date", "<=", "2024-03-01")]) == {"Early"}
    with pytest.raises(OdooRpcError, match="does not match format"):
        names(rpc, [("write_date", ">", "2024-03-01T09:00:00")])


# ---- load ----


def test_load_updates_by_dot_id_and_creates_rows_without_it(
    rpc: JsonRpc, people: dict[str, int], clock: FakeClock
) -> None:
    clock.advance(30)
    fields = [".id", "name", "email", "country_id/.id", "type"]
    data = [
        [str(people["Alice"]), "Alice B.", "alice@b.example", str(country(rpc, "DE")), "Invoice Address"],
        [str(people["Bob"]), "Bob", "", "", "contact"],
        ["", "Newcomer", "new@example.com", "", ""],
    ]
    result = rpc.execute("res.partner", "load", fields, data)
    assert result["messages"] == [] and result["ids"][:2] == [people["Alice"], people["Bob"]]
    rows = rpc.execute(
        "res.partner", "read", result["ids"], ["name", "email", "country_code", "type", "write_date"]
    )
    assert [row["name"] for row in rows] == ["Alice B.", "Bob", "Newcomer"]
    assert rows[0]["country_code"] == "DE" and rows[0]["type"] == "invoice"
    assert rows[1]["email"] is False
    assert {row["write_date"] for row in rows} == {clock.stamp()}


def test_load_with_an_error_row_writes_nothing(rpc: JsonRpc, people: dict[str, int]) -> None:
    fields = [".id", "name", "is_company", "country_id/.id"]
    data = [
        [str(people["Alice"]), "Changed", "0", ""],
        ["", "", "0", ""],
        [str(people["Bob"]), "Bob", "maybe", "99999"],
        ["424242", "Ghost", "1", ""],
    ]
    result = rpc.execute("res.partner", "load", fields, data)
    assert result["ids"] is False
    errors = {(m["record"], m.get("field"), m["message"]) for m in result["messages"] if m["type"] == "error"}
    assert (1, None, "'Contacts require a name'") in errors
    assert (2, "is_company", "Unknown value 'maybe' for boolean field 'Is a Company'") in errors
    assert (2, "country_id", "No matching record found for database id '99999' in field 'Country'") in errors
    assert (3, ".id", "Unknown database identifier '424242'") in errors
    assert all(m["rows"] == {"from": m["record"], "to": m["record"]} for m in result["messages"])
    assert names(rpc, [("name", "in", ["Changed", "Ghost"])]) == set()


def test_load_rejects_unknown_columns(rpc: JsonRpc) -> None:
    with pytest.raises(OdooRpcError, match="Invalid field name 'nope'"):
        rpc.execute("res.partner", "load", ["name", "nope"], [["X", "Y"]])


# ---- metadata ----


def test_fields_get_describes_types_relations_and_custom_fields(rpc: JsonRpc) -> None:
    attributes = ["type", "string", "relation", "readonly", "required", "selection", "manual"]
    described = rpc.execute("res.partner", "fields_get", attributes=attributes)
    assert (
        described["parent_id"]["type"] == "many2one" and described["parent_id"]["relation"] == "res.partner"
    )
    assert described["x_hub_id"]["manual"] is True and described["x_hub_id"]["type"] == "char"
    assert described["country_code"]["readonly"] is True
    assert ["contact", "Contact"] in described["type"]["selection"]
    assert set(described["name"]) == set(attributes) - {"relation", "selection"}
    only = rpc.execute("res.partner", "fields_get", ["email"], ["type"])
    assert only == {"email": {"type": "char"}}


def test_countries_are_seeded_with_iso_codes(rpc: JsonRpc) -> None:
    countries = rpc.execute("res.country", "search_read", [], fields=["code", "name"])
    codes = {row["code"]: row["name"] for row in countries}
    assert len(countries) >= 249 and len(codes) == len(countries)
    assert codes["BE"] == "Belgium" and codes["US"] == "United States" and codes["GB"] == "United Kingdom"


# ---- XML-RPC ----


def test_xmlrpc_client_round_trip_and_fault_codes(xml: xmlrpc.client.ServerProxy, clock: FakeClock) -> None:
    clock.advance(1)
    new_id = xml.execute_kw(DB, 2, "admin", "res.partner", "create", [{"name": "Xavier"}])
    rows = xml.execute_kw(
        DB, 2, "admin", "res.partner", "search_read", [[("id", "=", new_id)]], {"fields": ["name"]}
    )
    assert rows == [{"id": new_id, "name": "Xavier"}]
    since = xml.execute_kw(DB, 2, "admin", "res.partner", "search", [[("write_date", ">=", clock.now)]])
    assert since == [new_id]
    faults: list[tuple[Callable[[], Any], int]] = [
        (lambda: xml.execute_kw(DB, 2, "admin", "res.partner", "search", [[("foo", "=", 1)]]), 1),
        (lambda: xml.execute_kw(DB, 2, "admin", "res.partner", "create", [{"type": "contact"}]), 2),
        (lambda: xml.execute_kw(DB, 2, "wrong", "res.partner", "search", [[]]), 3),
    ]
    for call, code in faults:
        with pytest.raises(xmlrpc.client.Fault) as caught:
            call()
        assert caught.value.faultCode == code
    with pytest.raises(xmlrpc.client.Fault, match="Traceback") as application_error:
        xml.execute_kw(DB, 2, "admin", "res.partner", "search", [[("foo", "=", 1)]])
    assert "Invalid field res.partner.foo" in application_error.value.faultString


# ---- throttling and outages ----


def test_rate_limit_and_unavailable_answers_write_nothing(
    odoo: OdooEmulator, server: EmulatorServer, rpc: JsonRpc, xml: xmlrpc.client.ServerProxy
) -> None:
    before = rpc.execute("res.partner", "search_count", [])
    for kind, status in (("rate_limit", 429), ("unavailable", 503)):
        odoo.faults.configure(1.0, (kind,))
        payload = {"jsonrpc": "2.0", "method": "call", "params": {}, "id": 1}
        response = requests.post(f"{server.url}/jsonrpc", json=payload, timeout=10)
        assert response.status_code == status
        assert response.headers["Retry-After"] == "1"
        assert response.headers["Content-Type"].startswith("text/html")
        assert f"<title>{status} " in response.text
        with pytest.raises(xmlrpc.client.ProtocolError) as caught:
            xml.execute_kw(DB, 2, "admin", "res.partner", "create", [{"name": "Throttled"}])
        assert caught.value.errcode == status
    odoo.faults.configure(0.0, ("rate_limit",))
    assert rpc.execute("res.partner", "search_count", []) == before


# ---- in-process helpers and scale ----


def test_helpers_seed_edit_and_list_records(odoo: OdooEmulator, clock: FakeClock) -> None:
    ids = odoo.seed_partners(4, companies=1, hub_ids=True)
    clock.advance(5)
    odoo.edit("res.partner", ids[1], {"name": "Renamed"})
    by_id = {row["id"]: row for row in odoo.records("res.partner")}
    assert by_id[ids[1]]["name"] == "Renamed" and by_id[ids[1]]["write_date"] == clock.stamp()
    assert by_id[ids[2]]["write_date"] == "2024-03-01 09:00:00"
    assert by_id[ids[2]]["parent_id"] == [ids[0], "Partner Company 00001"]
    assert by_id[2]["active"] is False  # OdooBot is archived but records() lists everything


def test_large_batches_and_deep_pages(odoo: OdooEmulator, rpc: JsonRpc) -> None:
    odoo.seed_partners(20_000, hub_ids=True)
    created = rpc.execute(
        "res.partner", "create", [{"name": f"Bulk {n}", "x_hub_id": f"B{n}"} for n in range(2000)]
    )
    assert len(created) == 2000
    page = rpc.execute(
        "res.partner",
        "search_read",
        [],
        fields=["name", "write_date"],
        order="write_date asc, id asc",
        offset=18_000,
        limit=2000,
    )
    assert len(page) == 2000
    wanted = [f"HUB-{n:06d}" for n in range(1, 4001, 2)]
    found = rpc.execute("res.partner", "search_read", [("x_hub_id", "in", wanted)], fields=["x_hub_id"])
    assert len(found) == 2000
