"""The NetSuite connector describes a record type (`Connector.describe`) from the metadata catalog's JSON
Schema, under the SuiteQL column names mappings use, with a SuiteQL sample of the described fields."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from connectors.emulators.netsuite import NetSuiteEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer
from connectors.netsuite import NetSuiteConnector
from connectors.netsuite.connector import schema_field
from hub.io.connections import parse_connection
from hub.io.http import RetryPolicy
from tests.connectors.shipped import all_shipped_names

METADATA = "GET /services/rest/record/v1/metadata-catalog/(?P<type>[a-z_]+)"
SUITEQL = "POST /services/rest/query/v1/suiteql"


@pytest.fixture
def app() -> NetSuiteEmulator:
    app = NetSuiteEmulator(clock=ManualClock(datetime(2024, 3, 1, 12, 0, tzinfo=UTC)))
    app.seed_sandbox({"netsuite_customers": 12}, seed=2)
    return app


@pytest.fixture
def server(app: NetSuiteEmulator) -> Iterator[EmulatorServer]:
    with EmulatorServer(app) as served:
        yield served


def connector(app: NetSuiteEmulator, server: EmulatorServer) -> NetSuiteConnector:
    conn = parse_connection("netsuite_default", json.dumps(app.connection(server.url)))
    return NetSuiteConnector(conn, policy=RetryPolicy(base_delay=0.01, max_delay=0.05))


def test_every_field_the_shipped_mapping_names_is_described(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    shape = connector(app, server).describe("customer", sample=3)
    assert all_shipped_names("netsuite") <= {f.name for f in shape.fields}
    assert app.stats[METADATA] == 1


def test_types_labels_and_references(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    fields = {f.name: f for f in connector(app, server).describe("customer", sample=0).fields}
    assert (fields["companyname"].label, fields["companyname"].type) == ("Company Name", "string")
    assert fields["lastmodifieddate"].type == "datetime" and fields["isinactive"].type == "boolean"
    assert fields["currency"].type == "reference" and not fields["email"].custom


def test_oracles_documented_custom_field_enum_and_sublists() -> None:
    documented = {"title": "Integer Number", "type": "integer", "format": "int64", "nullable": True}
    custom = schema_field("custentity_integer", {**documented, "x-ns-custom-field": True}, set())
    assert custom is not None and (custom.type, custom.custom, custom.label) == (
        "integer",
        True,
        "Integer Number",
    )
    start = schema_field(
        "startDate", {"title": "Start Date", "type": "string", "format": "date"}, {"startdate"}
    )
    assert start is not None and (start.name, start.type, start.required) == ("startdate", "date", True)
    kind = schema_field(
        "emailPreference", {"title": "Email", "type": "object", "enum": ["_html", "_text"]}, set()
    )
    assert kind is None  # an object without $ref is a subrecord: no SuiteQL column
    status = schema_field("shipStatus", {"title": "Status", "type": "string", "enum": ["_packed"]}, set())
    assert status is not None and status.options == ("_packed",)
    assert schema_field("addressBook", {"type": "object", "properties": {}}, set()) is None


def test_the_sample_is_one_suiteql_select_read_as_reads_are(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    before = app.stats[SUITEQL]
    shape = connector(app, server).describe("customer", sample=5)
    assert app.stats[SUITEQL] - before == 1 and len(shape.sample) == 5
    assert [int(r["id"]) for r in shape.sample] == sorted(int(r["id"]) for r in shape.sample)
    first = shape.sample[0]
    assert set(first) == {f.name for f in shape.fields}
    assert first["lastmodifieddate"] == "2024-03-01T12:00:00Z"  # ISO-8601 UTC, as read_changes reads it
    assert first["isinactive"] == "F"  # SuiteQL's text, as reads hand it on


def test_a_sample_larger_than_the_account_holds_every_record(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    assert len(connector(app, server).describe("customer", sample=100).sample) == len(
        app.store.rows("customer")
    )
