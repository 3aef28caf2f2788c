"""The Odoo connector describes a model (`Connector.describe`) from `fields_get` over JSON-RPC (Odoo 17)
and JSON-2 (Odoo 19), by the names the shipped mappings use, with a sample read without a mapping."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from connectors.emulators.odoo import OdooEmulator
from connectors.emulators.odoo.rpc import OdooUser
from connectors.emulators.server import EmulatorServer
from connectors.odoo import OdooConnector
from hub.io.connections import parse_connection
from hub.io.http import RetryPolicy
from tests.connectors.shipped import shipped_names

KEY = "0d1e2c3b4a5f60718293a4b5c6d7e8f901234567"


@pytest.fixture(scope="module", params=["17.0", "19.0"])
def odoo(request: pytest.FixtureRequest) -> Iterator[tuple[OdooEmulator, EmulatorServer]]:
    app = OdooEmulator(server_version=request.param, users=[OdooUser(api_keys=(KEY,))])
    app.seed_partners(6, companies=2, hub_ids=True)
    app.seed_sandbox({"orders": 4, "odoo_employees": 3}, seed=7)
    with EmulatorServer(app) as server:
        yield app, server


def connector(server: EmulatorServer) -> OdooConnector:
    spec = {"conn_type": "odoo", "host": server.url, "login": "admin", "password": KEY, "schema": "omnihub"}
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
    return OdooConnector(parse_connection("odoo_default", json.dumps(spec)), policy=policy)


@pytest.mark.parametrize("model", sorted(shipped_names("odoo")))
def test_every_field_a_shipped_mapping_names_is_described(
    odoo: tuple[OdooEmulator, EmulatorServer], model: str
) -> None:
    _app, server = odoo
    shape = connector(server).describe(model, sample=3)
    described = {f.name for f in shape.fields}
    assert shipped_names("odoo")[model] <= described
    assert shape.object == model
    assert 0 < len(shape.sample) <= 3
    assert all(set(row) <= described for row in shape.sample)


def test_types_labels_options_and_custom_fields_are_odoos(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    _app, server = odoo
    fields = {f.name: f for f in connector(server).describe("res.partner", sample=0).fields}
    assert (fields["email"].type, fields["email"].label, fields["email"].custom) == ("char", "Email", False)
    assert fields["x_hub_id"].custom and fields["x_hub_id"].type == "char"
    assert fields["country_id"].type == "many2one"
    assert fields["country_id.code"].type == "char" and fields["country_id.id"].type == "integer"
    assert fields["type"].type == "selection" and "contact" in fields["type"].options
    assert fields["complete_name"].readonly and not fields["name"].readonly
    assert fields["write_date"].type == "datetime"


def test_the_sample_is_flat_and_read_as_the_connector_reads(
    odoo: tuple[OdooEmulator, EmulatorServer],
) -> None:
    app, server = odoo
    shape = connector(server).describe("res.partner", sample=5)
    assert len(shape.sample) == 5
    assert [row["id"] for row in shape.sample] == sorted(row["id"] for row in shape.sample)
    people = [row for row in shape.sample if row["x_hub_id"]]
    person = people[0]
    assert "country_id" not in person and isinstance(person["country_id.id"], int | type(None))
    record = next(r for r in app.records("res.partner") if r["id"] == person["id"])
    assert person["email"] == (record["email"] or None)
    assert person["write_date"] == record["write_date"]  # Odoo's text, as read_changes reads it
    if record["country_id"]:
        country = app.call("res.country", "read", [record["country_id"][0]], ["code"])[0]
        assert person["country_id.code"] == country["code"]
