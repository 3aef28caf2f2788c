"""The Mailchimp connector describes an audience's members (`Connector.describe`): Mailchimp's member
fields and the audience's merge fields (`GET /lists/{id}/merge-fields`) by the names mappings use."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from connectors.emulators.mailchimp import MailchimpEmulator
from connectors.emulators.server import EmulatorServer
from connectors.mailchimp import MailchimpConnector
from hub.io.connections import parse_connection
from hub.io.http import RetryPolicy
from tests.connectors.shipped import all_shipped_names


@pytest.fixture
def app() -> MailchimpEmulator:
    app = MailchimpEmulator()
    app.seed_sandbox({"members": 12}, seed=3)
    return app


@pytest.fixture
def server(app: MailchimpEmulator) -> Iterator[EmulatorServer]:
    with EmulatorServer(app) as running:
        yield running


def connector(server: EmulatorServer) -> MailchimpConnector:
    spec = server.app.connection(server.url)
    policy = RetryPolicy(base_delay=0.01, max_delay=0.05)
    return MailchimpConnector(parse_connection("mailchimp_default", json.dumps(spec)), policy=policy)


def test_every_field_the_shipped_mapping_names_is_described(server: EmulatorServer) -> None:
    shape = connector(server).describe(MailchimpEmulator.LIST_ID, sample=5)
    assert all_shipped_names("mailchimp") <= {f.name for f in shape.fields}
    assert shape.object == MailchimpEmulator.LIST_ID


def test_merge_fields_carry_mailchimps_types_labels_choices_and_custom(
    server: EmulatorServer, app: MailchimpEmulator
) -> None:
    app.add_merge_field("PLAN", "Plan", "dropdown", options={"choices": ["Free", "Pro"]}, required=True)
    fields = {f.name: f for f in connector(server).describe(MailchimpEmulator.LIST_ID, sample=0).fields}
    fname = fields["merge_fields.FNAME"]
    assert (fname.label, fname.type, fname.custom) == ("First Name", "text", False)
    assert fields["merge_fields.HUBID"].custom and fields["merge_fields.BIRTHDAY"].type == "birthday"
    plan = fields["merge_fields.PLAN"]
    assert plan.options == ("Free", "Pro") and plan.required and plan.custom and plan.type == "dropdown"
    assert "cleaned" in fields["status"].options and fields["status"].required
    assert fields["last_changed"].readonly and fields["email_address"].required


def test_the_sample_is_flat_members_as_reads_give_them(
    server: EmulatorServer, app: MailchimpEmulator
) -> None:
    shape = connector(server).describe(MailchimpEmulator.LIST_ID, sample=4)
    described = {f.name for f in shape.fields}
    assert len(shape.sample) == 4
    assert all(set(row) <= described for row in shape.sample)
    first = shape.sample[0]
    member = next(m for m in app.records() if m["id"] == first["id"])
    assert first["merge_fields.FNAME"] == member["merge_fields"]["FNAME"]
    assert first["last_changed"] == member["last_changed"]  # 2024-03-01T12:00:00+00:00, as reads give it
    assert "merge_fields" not in first and first["location.latitude"] == 0


def test_a_sample_above_a_page_is_read_in_pages(server: EmulatorServer, app: MailchimpEmulator) -> None:
    c = connector(server)
    c.max_page = 5  # type: ignore[misc]
    assert len(c.describe(MailchimpEmulator.LIST_ID, sample=11).sample) == 11
    assert app.stats["GET /3.0/lists/(?P<list_id>[A-Za-z0-9]+)/members"] == 3
