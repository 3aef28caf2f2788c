"""`ZendeskConnector.describe` against the Zendesk emulator: documented fields, the account's own fields
from its field lists, named as mappings name them, and a sample read from the plain lists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.emulators.server import EmulatorServer, Request, Response
from connectors.emulators.zendesk import ZendeskEmulator
from connectors.zendesk import ZendeskConnector
from hub.errors import FatalAPIError
from hub.io.connections import parse_connection
from hub.io.connector import FieldInfo
from tests.connectors.shipped import shipped_names


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[ZendeskEmulator, EmulatorServer]]:
    app = ZendeskEmulator()
    app.seed_sandbox({"organizations": 12, "users": 60, "tickets": 15}, 7)
    with EmulatorServer(app) as server:
        yield app, server


def connector(app: ZendeskEmulator, server: EmulatorServer) -> ZendeskConnector:
    return ZendeskConnector(parse_connection("zendesk_default", json.dumps(app.connection(server.url))))


@pytest.mark.parametrize("kind", ["users", "organizations", "tickets"])
def test_every_field_a_shipped_mapping_names_is_described(
    sandbox: tuple[ZendeskEmulator, EmulatorServer], kind: str
) -> None:
    shape = connector(*sandbox).describe(kind, 5)
    names = [f.name for f in shape.fields]
    named = shipped_names("zendesk", filters=False)[kind]
    assert named and named <= set(names)
    assert len(names) == len(set(names)) and shape.object == kind
    assert len(shape.sample) == 5 and all(set(row) == set(names) for row in shape.sample)


def test_users_standard_and_custom_fields(sandbox: tuple[ZendeskEmulator, EmulatorServer]) -> None:
    app, server = sandbox
    shape = connector(app, server).describe("user", 3)
    by_name = {f.name: f for f in shape.fields}
    assert by_name["name"] == FieldInfo("name", "Name", "string", required=True)
    assert by_name["role"].options == ("end-user", "agent", "admin") and not by_name["role"].custom
    assert by_name["id"].readonly and by_name["updated_at"].type == "datetime"
    assert by_name["user_fields.department"] == FieldInfo(
        "user_fields.department", "Department", "text", custom=True
    )
    assert by_name["user_fields.customer_since"].type == "date"
    assert not any(f.name == "user_fields" for f in shape.fields)  # described by its dotted names
    first = app.records("users")[0]
    assert shape.sample[0]["id"] == first["id"] and shape.sample[0]["updated_at"] == first["updated_at"]
    assert shape.sample[0]["user_fields.department"] is None


def test_organizations_and_tickets_custom_fields_with_options(
    sandbox: tuple[ZendeskEmulator, EmulatorServer],
) -> None:
    app, server = sandbox
    orgs = connector(app, server).describe("organizations", 100)
    tier = next(f for f in orgs.fields if f.name == "organization_fields.tier")
    assert (tier.label, tier.type, tier.custom, tier.options) == (
        "Tier",
        "dropdown",
        True,
        ("basic", "premium", "enterprise"),
    )
    assert len(orgs.sample) == 12  # all there are, fewer than asked
    assert [r["organization_fields.tier"] for r in orgs.sample[:3]] == ["basic", "premium", "enterprise"]

    tickets = connector(app, server).describe("tickets", 4)
    by_name = {f.name: f for f in tickets.fields}
    [area] = [f for f in tickets.fields if f.custom]
    assert area.name.startswith("custom_fields.") and (area.label, area.type) == ("Product area", "tagger")
    assert area.options == ("billing", "login", "other")
    # a ticket's system fields give the documented keys Zendesk's titles and options
    assert by_name["type"].label == "Type" and by_name["type"].options == (
        "question",
        "incident",
        "problem",
        "task",
    )
    assert by_name["status"].required and "hold" in by_name["status"].options
    assert by_name["via.channel"].readonly
    ticket = app.records("tickets")[0]
    row = tickets.sample[0]
    assert row[area.name] == ticket["custom_fields"][0]["value"] and row["via.channel"] == "api"
    assert row["tags"] == ticket["tags"] and row["created_at"] == ticket["created_at"]


def test_the_wire_requests(
    sandbox: tuple[ZendeskEmulator, EmulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, server = sandbox
    seen: list[tuple[str, dict[str, Any]]] = []
    handle = app.handle

    def recording(request: Request) -> Response:
        seen.append((request.path, {k: v[0] for k, v in request.query.items()}))
        return handle(request)

    monkeypatch.setattr(app, "handle", recording)
    shape = connector(app, server).describe("users", 150)
    assert len(shape.sample) == 60
    assert seen == [
        ("/api/v2/user_fields.json", {"per_page": "100"}),
        ("/api/v2/users.json", {"page[size]": "100"}),
    ]
    seen.clear()
    assert connector(app, server).describe("users", 0).sample == ()
    assert [path for path, _ in seen] == ["/api/v2/user_fields.json"]


def test_an_unknown_object_is_refused(sandbox: tuple[ZendeskEmulator, EmulatorServer]) -> None:
    with pytest.raises(FatalAPIError, match="unknown object"):
        connector(*sandbox).describe("groups")
