"""SalesforceConnector.describe against the emulator: the describe call's fields named as the shipped
mappings name them, and a sample read by SOQL of those fields, without a mapping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.emulators.salesforce import SalesforceEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer, TLSFiles
from connectors.salesforce import SalesforceConnector, field_info
from hub.io.connections import parse_connection
from hub.io.connector import FieldInfo, ObjectSpec
from hub.io.http import RetryPolicy
from tests.connectors.shipped import shipped_names


@pytest.fixture
def org(tls_files: TLSFiles) -> Iterator[tuple[SalesforceEmulator, EmulatorServer]]:
    app = SalesforceEmulator(clock=ManualClock(datetime(2024, 3, 1, 12, 0, tzinfo=UTC)))
    with EmulatorServer(app, tls=tls_files) as server:
        yield app, server


def connector(org: tuple[SalesforceEmulator, EmulatorServer]) -> SalesforceConnector:
    app, server = org
    spec = app.connection(server.url, server.tls.ca_cert if server.tls else None)
    conn = parse_connection("salesforce_default", json.dumps(spec))
    return SalesforceConnector(conn, policy=RetryPolicy(base_delay=0.01, max_delay=0.05))


@pytest.mark.parametrize("object_name", sorted(shipped_names("salesforce")))
def test_every_field_a_shipped_mapping_names_is_described(
    org: tuple[SalesforceEmulator, EmulatorServer], object_name: str
) -> None:
    shape = connector(org).describe(object_name, sample=0)
    assert shape.object == object_name and shape.sample == ()
    assert shipped_names("salesforce")[object_name] <= {f.name for f in shape.fields}


def test_fields_carry_salesforces_types_labels_options_and_flags(
    org: tuple[SalesforceEmulator, EmulatorServer],
) -> None:
    c = connector(org)
    account = {f.name: f for f in c.describe("Account", sample=0).fields}
    assert account["Name"] == FieldInfo("Name", "Account Name", "string", required=True)
    assert account["Industry"].type == "picklist" and "Technology" in account["Industry"].options
    assert account["Phone"].type == "phone" and account["AnnualRevenue"].type == "currency"
    assert account["Hub_Id__c"].custom and not account["Name"].custom
    assert account["Id"].readonly and account["SystemModstamp"].readonly
    assert account["SystemModstamp"].type == "datetime" and not account["SystemModstamp"].required
    contact = {f.name: f for f in c.describe("Contact", sample=0).fields}
    assert contact["Email"].type == "email" and contact["Birthdate"].type == "date"
    assert contact["AccountId"].type == "reference" and contact["LastName"].required
    assert not contact["HasOptedOutOfEmail"].required  # a checkbox is defaulted on create
    order = {f.name: f for f in c.describe("Order", sample=0).fields}
    assert order["Status"].options == ("Draft", "Activated") and not order["Status"].required
    assert order["EffectiveDate"].required and order["TotalAmount"].readonly


def test_the_sample_is_the_newest_records_keyed_by_described_names(
    org: tuple[SalesforceEmulator, EmulatorServer],
) -> None:
    app, _ = org
    app.seed(accounts=10, contacts=40, seed=3)
    shape = connector(org).describe("Contact", sample=25)
    names = [f.name for f in shape.fields]
    assert len(shape.sample) == 25
    assert all(list(record) == names for record in shape.sample)
    stamps = [r["SystemModstamp"] for r in shape.sample]
    assert stamps == sorted(stamps, reverse=True)
    # values as read_changes gives them to a mapping: SOQL's own text for dates and times
    spec = ObjectSpec("Contact", tuple(names), "Id", "SystemModstamp")
    read = {r["Id"]: r for page in connector(org).read_changes(spec, None, 2000) for r in page.records}
    assert all(read[r["Id"]] == r for r in shape.sample)
    assert len(connector(org).describe("Contact", sample=500).sample) == 40


def test_a_select_too_long_for_one_url_is_split_and_joined_by_id(
    org: tuple[SalesforceEmulator, EmulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _ = org
    app.seed(accounts=12, contacts=0, seed=5)
    c = connector(org)
    whole = c.describe("Account", sample=5)
    sent: list[str] = []
    query = c.client.query
    monkeypatch.setattr("connectors.salesforce.SELECT_BUDGET", 60)

    def recorded(soql: str, **kwargs: Any) -> Any:
        sent.append(soql)
        return query(soql, **kwargs)

    monkeypatch.setattr(c.client, "query", recorded)
    split = c.describe("Account", sample=5)
    assert len(sent) > 2 and "ORDER BY SystemModstamp DESC LIMIT 5" in sent[0]
    assert all(" WHERE Id IN (" in soql for soql in sent[1:])
    assert split == whole


def test_inactive_picklist_values_are_left_out() -> None:
    described = {
        "name": "Region__c",
        "label": "Region",
        "type": "picklist",
        "custom": True,
        "nillable": True,
        "createable": True,
        "updateable": True,
        "defaultedOnCreate": False,
        "picklistValues": [
            {"active": True, "value": "EMEA", "label": "EMEA"},
            {"active": False, "value": "Old", "label": "Old"},
        ],
    }
    assert field_info(described) == FieldInfo(
        "Region__c", "Region", "picklist", custom=True, options=("EMEA",)
    )
