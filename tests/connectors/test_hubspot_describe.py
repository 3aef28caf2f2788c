"""HubSpotConnector.describe against the emulator: the properties API's properties named as the shipped
mappings name them, and a sample searched for with every described property, without a mapping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from connectors.emulators.hubspot import HubSpotEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer
from connectors.hubspot import HubSpotConnector, field_info
from hub.io.connections import parse_connection
from hub.io.connector import FieldInfo, ObjectSpec
from hub.io.http import ApiCalls, RetryPolicy
from tests.connectors.shipped import shipped_names


@pytest.fixture
def portal() -> Iterator[tuple[HubSpotEmulator, EmulatorServer, ManualClock]]:
    clock = ManualClock(datetime(2024, 6, 1, 8, 0, tzinfo=UTC))
    app = HubSpotEmulator(clock=clock)
    with EmulatorServer(app) as server:
        yield app, server, clock


def connector(
    app: HubSpotEmulator, server: EmulatorServer, calls: ApiCalls | None = None
) -> HubSpotConnector:
    spec = app.connection(server.url)
    return HubSpotConnector(
        parse_connection("hubspot_default", json.dumps(spec)),
        calls=calls,
        policy=RetryPolicy(base_delay=0.01, max_delay=0.05),
    )


@pytest.mark.parametrize(
    "object_name", sorted(shipped_names("hubspot", keys=("cursor_field", "external_id_field")))
)
def test_every_property_a_shipped_mapping_names_is_described(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock], object_name: str
) -> None:
    app, server, _ = portal
    shape = connector(app, server).describe(object_name, sample=0)
    assert shape.object == object_name and shape.sample == ()
    assert shipped_names("hubspot", keys=("cursor_field", "external_id_field"))[object_name] <= {
        f.name for f in shape.fields
    }


def test_properties_carry_hubspots_types_labels_options_and_flags(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    fields = {f.name: f for f in connector(app, server).describe("companies", sample=0).fields}
    assert fields["name"] == FieldInfo("name", "Company name", "string")
    assert fields["hub_id"] == FieldInfo("hub_id", "Hub Id", "string", custom=True)
    assert fields["phone"].type == "phonenumber" and fields["description"].type == "textarea"
    assert fields["numberofemployees"].type == "number"
    assert fields["industry"].type == "enumeration" and "Technology" in fields["industry"].options
    assert fields["hs_lastmodifieddate"].type == "datetime" and fields["hs_lastmodifieddate"].readonly
    assert fields["hs_object_id"].readonly and not fields["hs_object_id"].custom
    contacts = {f.name: f for f in connector(app, server).describe("contacts", sample=0).fields}
    assert "lastmodifieddate" in contacts and contacts["lifecyclestage"].options[:2] == ("subscriber", "lead")


def test_the_sample_is_the_newest_records_keyed_by_described_names(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, clock = portal
    app.seed_sandbox({"accounts": 250, "contacts": 0}, 7)
    clock.advance(60)
    newest = app.create("companies", {"name": "Newest", "hub_id": "h-1"})
    calls = ApiCalls()
    shape = connector(app, server, calls).describe("companies", sample=230)
    names = [f.name for f in shape.fields]
    assert len(shape.sample) == 230 and all(list(r) == names for r in shape.sample)
    assert shape.sample[0]["hs_object_id"] == newest and shape.sample[0]["hub_id"] == "h-1"
    stamps = [r["hs_lastmodifieddate"] for r in shape.sample]
    assert stamps == sorted(stamps, reverse=True)
    # values as read_changes gives them to a mapping: HubSpot's strings, untouched
    spec = ObjectSpec("companies", ("id", *names), "id", "hs_lastmodifieddate")
    read = {r["id"]: r for p in connector(app, server).read_changes(spec, None, 200) for r in p.records}
    assert all({"id": r["hs_object_id"], **r} == read[str(r["hs_object_id"])] for r in shape.sample)
    assert len(connector(app, server).describe("companies", sample=1000).sample) == 251


def test_the_sample_search_asks_for_every_described_property(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    app.create("contacts", {"lastname": "Lovelace"})
    sent: list[tuple[str, str, object]] = []
    c = connector(app, server)
    call = c.call

    def recorded(method: str, path: str, **kwargs: object) -> object:
        sent.append((method, path, kwargs.get("body")))
        return call(method, path, **kwargs)  # type: ignore[arg-type]

    c.call = recorded  # type: ignore[method-assign]
    shape = c.describe("contacts", sample=5)
    (method, path, _), (search, where, body) = sent
    assert (method, path) == ("GET", "/crm/v3/properties/contacts")
    assert (search, where) == ("POST", "/crm/v3/objects/contacts/search")
    assert isinstance(body, dict) and body["properties"] == [f.name for f in shape.fields]
    assert body["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}]
    assert body["limit"] == 5 and shape.sample[0]["lastname"] == "Lovelace"


def test_hidden_options_are_left_out_and_a_calculated_property_is_read_only() -> None:
    prop = {
        "name": "tier",
        "label": "Tier",
        "type": "enumeration",
        "fieldType": "select",
        "calculated": True,
        "modificationMetadata": {"readOnlyValue": False},
        "options": [
            {"value": "a", "label": "A", "hidden": False},
            {"value": "b", "label": "B", "hidden": True},
        ],
    }
    assert field_info(prop) == FieldInfo(
        "tier", "Tier", "enumeration", custom=True, readonly=True, options=("a",)
    )
