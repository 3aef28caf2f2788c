"""`FreshdeskConnector.describe` against the Freshdesk emulator: fields from the account's field lists,
named as mappings name them (record keys, `custom_fields.<name>`, `requester.*`), and a sample read
from the plain lists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.emulators.freshdesk import FreshdeskEmulator
from connectors.emulators.server import EmulatorServer, Request, Response
from connectors.freshdesk import FreshdeskConnector
from hub.errors import FatalAPIError
from hub.io.connections import parse_connection
from hub.io.connector import FieldInfo
from tests.connectors.shipped import shipped_names


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[FreshdeskEmulator, EmulatorServer]]:
    app = FreshdeskEmulator()
    app.seed_sandbox({"companies": 12, "contacts": 60, "tickets": 12}, 7)
    app.add_field("contacts", "department", "Department", "custom_dropdown", ["Sales", "R&D"])
    first = app.records("contacts")[0]["id"]
    app.edit("contacts", first, {"custom_fields": {"department": "Sales"}})
    with EmulatorServer(app) as server:
        yield app, server


def connector(app: FreshdeskEmulator, server: EmulatorServer) -> FreshdeskConnector:
    return FreshdeskConnector(parse_connection("freshdesk_default", json.dumps(app.connection(server.url))))


@pytest.mark.parametrize("kind", ["contacts", "companies", "tickets"])
def test_every_field_a_shipped_mapping_names_is_described(
    sandbox: tuple[FreshdeskEmulator, EmulatorServer], kind: str
) -> None:
    shape = connector(*sandbox).describe(kind, 5)
    names = [f.name for f in shape.fields]
    named = shipped_names("freshdesk", filters=False)[kind]
    assert named and named <= set(names)
    assert len(names) == len(set(names)) and shape.object == kind
    assert len(shape.sample) == 5 and all(set(row) == set(names) for row in shape.sample)


def test_contacts_default_and_custom_fields(sandbox: tuple[FreshdeskEmulator, EmulatorServer]) -> None:
    app, server = sandbox
    shape = connector(app, server).describe("contact", 100)
    by_name = {f.name: f for f in shape.fields}
    assert by_name["name"] == FieldInfo("name", "Full name", "default_name", required=True)
    assert by_name["company_id"].label == "Company" and "company_name" not in by_name
    assert (
        by_name["tags"].type == "default_tag_names"
        and by_name["view_all_tickets"].type == "default_client_manager"
    )
    assert by_name["custom_fields.department"] == FieldInfo(
        "custom_fields.department", "Department", "custom_dropdown", custom=True, options=("Sales", "R&D")
    )
    assert by_name["id"].readonly and by_name["updated_at"].type == "datetime"
    first = app.records("contacts")[0]
    row = next(r for r in shape.sample if r["id"] == first["id"])  # the order is the list's, not ours
    assert len(shape.sample) == 60 and row["custom_fields.department"] == "Sales"
    assert row["updated_at"] == first["updated_at"] and row["email"] == first["email"]


def test_tickets_fields_options_and_requester(sandbox: tuple[FreshdeskEmulator, EmulatorServer]) -> None:
    app, server = sandbox
    shape = connector(app, server).describe("tickets", 100)
    by_name = {f.name: f for f in shape.fields}
    assert by_name["status"].options == ("2", "3", "4", "5") and by_name["status"].required
    assert by_name["priority"].options == ("1", "2", "3", "4") and by_name["priority"].label == "Priority"
    assert by_name["type"].type == "default_ticket_type" and "Incident" in by_name["type"].options
    assert by_name["responder_id"].label == "Agent" and by_name["requester_id"].required
    hub = by_name["custom_fields.hub_id"]
    assert (hub.custom, hub.type, hub.label) == (True, "custom_text", "Hub ID")
    assert by_name["requester.email"].readonly and by_name["description_text"].readonly
    tickets = app.records("tickets")
    assert len(shape.sample) == len(tickets) == 12  # all, beyond the last 30 days' default too
    row = next(r for r in shape.sample if r["id"] == tickets[0]["id"])
    requester = next(c for c in app.records("contacts") if c["id"] == tickets[0]["requester_id"])
    assert row["requester.email"] == requester["email"] and row["status"] == tickets[0]["status"]
    assert row["custom_fields.hub_id"] is None and row["created_at"] == tickets[0]["created_at"]


def test_the_wire_requests(
    sandbox: tuple[FreshdeskEmulator, EmulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, server = sandbox
    seen: list[tuple[str, dict[str, Any]]] = []
    handle = app.handle

    def recording(request: Request) -> Response:
        seen.append((request.path, {k: v[0] for k, v in request.query.items()}))
        return handle(request)

    monkeypatch.setattr(app, "handle", recording)
    shape = connector(app, server).describe("companies", 7)
    assert len(shape.sample) == 7
    assert seen == [("/api/v2/company_fields", {}), ("/api/v2/companies", {"per_page": "7", "page": "1"})]
    seen.clear()
    assert len(connector(app, server).describe("contacts", 150).sample) == 60
    assert [query.get("page") for _, query in seen[1:]] == ["1"]  # 60 fit one page of 100
    seen.clear()
    connector(app, server).describe("tickets", 3)
    assert seen[1] == (
        "/api/v2/tickets",
        {"per_page": "3", "page": "1", "updated_since": "1970-01-01T00:00:00Z", "include": "requester"},
    )


def test_an_unknown_object_is_refused(sandbox: tuple[FreshdeskEmulator, EmulatorServer]) -> None:
    with pytest.raises(FatalAPIError, match="unknown object"):
        connector(*sandbox).describe("agents")
