"""The Freshdesk emulator driven by plain requests (Freshdesk has no official Python client)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.emulators.freshdesk import FreshdeskEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer

REAL = Path(__file__).parents[2] / "fixtures" / "real" / "freshdesk"
START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(clock: ManualClock) -> FreshdeskEmulator:
    made = FreshdeskEmulator(clock=clock)
    made.retry_after = "0"
    return made


@pytest.fixture
def server(app: FreshdeskEmulator) -> Iterator[EmulatorServer]:
    with EmulatorServer(app) as served:
        yield served


def published(name: str) -> Any:
    """A body Freshdesk published (tests/fixtures/real/freshdesk, see its SOURCES.md)."""
    return json.loads((REAL / name).read_text())


def api(server: EmulatorServer, app: FreshdeskEmulator, method: str, path: str, **kwargs: Any) -> Any:
    """A plain requests call with the API key and the conventional password "X"."""
    url = path if "://" in path else f"{server.url}/api/v2/{path}"
    return requests.request(method, url, auth=(app.api_key, "X"), timeout=10, **kwargs)


def test_lists_page_by_updated_at_with_link_headers(
    app: FreshdeskEmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    made = []
    for i in range(7):
        made.append(app.create("contacts", {"name": f"C{i}", "email": f"c{i}@example.com"}))
        clock.advance(10)
    app.edit("contacts", made[0], {"name": "Moved last"})
    first = api(
        server, app, "GET", "contacts", params={"_updated_since": "2024-03-01T00:00:00Z", "per_page": 3}
    )
    assert first.status_code == 200 and isinstance(first.json(), list)
    assert "per_page=3" in first.links["next"]["url"] and "page=2" in first.links["next"]["url"]
    seen = [r["id"] for r in first.json()]
    url = first.links["next"]["url"]
    while url:
        page = api(server, app, "GET", url)
        seen += [r["id"] for r in page.json()]
        url = page.links.get("next", {}).get("url")
    assert seen == made[1:] + made[:1]  # ordered by updated_at
    assert first.json()[0]["updated_at"] == "2024-03-01T12:00:10Z"
    recent = api(server, app, "GET", "contacts", params={"updated_since": "2024-03-01T12:01:00Z"})
    assert [r["id"] for r in recent.json()] == [made[6], made[0]] and "Link" not in recent.headers
    assert "X-RateLimit-Remaining" in recent.headers


def test_paging_stops_at_the_page_limit_with_freshdesk_error(
    app: FreshdeskEmulator, server: EmulatorServer
) -> None:
    for i in range(5):
        app.create("companies", {"name": f"Co {i}"})
    assert api(server, app, "GET", "companies", params={"per_page": 1, "page": 300}).status_code == 200
    beyond = api(server, app, "GET", "companies", params={"per_page": 1, "page": 301})
    assert beyond.status_code == 400
    body = beyond.json()
    assert body["description"] == "Validation failed"
    assert body["errors"][0]["field"] == "page" and body["errors"][0]["code"] == "invalid_value"
    assert "300th page" in body["errors"][0]["message"]
    small = FreshdeskEmulator(page_limit=2)
    with EmulatorServer(small) as other:
        small.create("companies", {"name": "A"})
        small.create("companies", {"name": "B"})
        small.create("companies", {"name": "C"})
        page2 = api(other, small, "GET", "companies", params={"per_page": 1, "page": 2})
        assert page2.status_code == 200 and "next" in page2.links
        assert api(other, small, "GET", "companies", params={"per_page": 1, "page": 3}).status_code == 400
    too_big = api(server, app, "GET", "companies", params={"per_page": 101})
    assert too_big.status_code == 400 and too_big.json()["errors"][0]["field"] == "per_page"


def test_tickets_without_updated_since_are_only_the_last_30_days(
    app: FreshdeskEmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    requester = app.create("contacts", {"name": "Req", "email": "req@example.com"})
    old = app.create("tickets", {"requester_id": requester, "subject": "Old", "description": "x"})
    clock.advance(days=40)
    new = app.create("tickets", {"requester_id": requester, "subject": "New", "description": "y"})
    listed = api(server, app, "GET", "tickets").json()
    assert [t["id"] for t in listed] == [new]
    since = api(server, app, "GET", "tickets", params={"updated_since": "2015-08-17T00:00:00Z"}).json()
    assert [t["id"] for t in since] == [old, new]


def test_create_update_show_and_validation_errors(app: FreshdeskEmulator, server: EmulatorServer) -> None:
    created = api(server, app, "POST", "contacts", json={"name": "Ada", "email": "ada@example.com"})
    assert created.status_code == 201
    contact = created.json()
    assert contact["updated_at"].endswith("Z") and created.headers["Location"].endswith(f"/{contact['id']}")
    nameless = api(server, app, "POST", "contacts", json={"email": "x@example.com"})
    assert nameless.status_code == 400 and nameless.json()["description"] == "Validation failed"
    assert nameless.json()["errors"][0] == {
        "field": "name",
        "message": "It should be a/an String",
        "code": "missing_field",
    }
    bad_email = api(server, app, "POST", "contacts", json={"name": "Bad", "email": "bad@example"})
    assert bad_email.status_code == 400 and bad_email.json()["errors"][0]["code"] == "invalid_value"
    duplicate = api(server, app, "POST", "contacts", json={"name": "Twin", "email": "ADA@example.com"})
    assert duplicate.status_code == 409
    error = duplicate.json()["errors"][0]
    assert error["code"] == "duplicate_value" and error["additional_info"] == {"user_id": contact["id"]}
    updated = api(server, app, "PUT", f"contacts/{contact['id']}", json={"job_title": "Countess"})
    assert updated.status_code == 200 and updated.json()["job_title"] == "Countess"
    shown = api(server, app, "GET", f"contacts/{contact['id']}").json()
    assert shown["job_title"] == "Countess" and shown["name"] == "Ada"
    assert api(server, app, "GET", "contacts/999").status_code == 404
    assert api(server, app, "PUT", "contacts/999", json={"name": "x"}).status_code == 404
    ticket = api(server, app, "POST", "tickets", json={"subject": "Help", "description": "Hi"})
    assert ticket.status_code == 400
    assert {e["field"] for e in ticket.json()["errors"]} == {"requester_id"}


def test_unique_external_id_and_contact_filters(app: FreshdeskEmulator, server: EmulatorServer) -> None:
    first = api(server, app, "POST", "contacts", json={"name": "A", "unique_external_id": "HUB-1"}).json()
    api(server, app, "POST", "contacts", json={"name": "B", "email": "b@example.com"})
    again = api(server, app, "POST", "contacts", json={"name": "A2", "unique_external_id": "HUB-1"})
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "unique_external_id"
    by_external = api(server, app, "GET", "contacts", params={"unique_external_id": "HUB-1"}).json()
    assert [c["id"] for c in by_external] == [first["id"]]
    by_email = api(server, app, "GET", "contacts", params={"email": "b@example.com"}).json()
    assert [c["name"] for c in by_email] == ["B"]


def test_companies_keep_the_hub_id_in_a_custom_field_found_by_search(
    app: FreshdeskEmulator, server: EmulatorServer
) -> None:
    body = {"name": "Acme", "custom_fields": {"hub_id": "HUB-9"}}
    company = api(server, app, "POST", "companies", json=body).json()
    found = api(server, app, "GET", "search/companies", params={"query": "\"hub_id:'HUB-9'\""}).json()
    assert found["total"] == 1 and found["results"][0]["id"] == company["id"]
    taken = api(server, app, "POST", "companies", json={"name": "acme"})
    assert taken.status_code == 409 and taken.json()["errors"][0]["additional_info"] == {
        "company_id": company["id"]
    }


def test_a_wrong_key_is_refused_with_freshdesk_body(app: FreshdeskEmulator, server: EmulatorServer) -> None:
    refused = requests.get(f"{server.url}/api/v2/contacts", auth=("wrong-key", "X"), timeout=10)
    assert refused.status_code == 401 and refused.json() == published("invalid_credentials.json")
    assert requests.get(f"{server.url}/api/v2/agents/me", timeout=10).status_code == 401
    assert api(server, app, "GET", "agents/me").json()["contact"]["email"]


def test_rate_limit_faults_answer_429_with_retry_after(
    app: FreshdeskEmulator, server: EmulatorServer
) -> None:
    app.faults.configure(1.0, ("rate_limit",))
    try:
        throttled = api(server, app, "GET", "contacts")
    finally:
        app.faults.configure(0.0, ())
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "0"
    assert app.stats["faults:rate_limit"] == 1
    assert api(server, app, "GET", "contacts").status_code == 200


def test_seed_sandbox_is_deterministic(clock: ManualClock) -> None:
    one, two = FreshdeskEmulator(clock=clock), FreshdeskEmulator(clock=clock)
    one.seed_sandbox({"companies": 5, "contacts": 20, "tickets": 3}, seed=7)
    two.seed_sandbox({"companies": 5, "contacts": 20, "tickets": 3}, seed=7)
    assert one.records("contacts") == two.records("contacts") and one.records("contacts")
    assert len(one.records("tickets")) == 3 and one.records("companies")


TICKET_FIELDS = {
    "cc_emails", "fwd_emails", "reply_cc_emails", "ticket_cc_emails", "ticket_bcc_emails", "fr_escalated",
    "spam", "email_config_id", "group_id", "priority", "requester_id", "responder_id", "source", "company_id",
    "status", "subject", "association_type", "support_email", "to_emails", "product_id", "id", "type",
    "due_by", "fr_due_by", "is_escalated", "description", "description_text", "custom_fields", "created_at",
    "updated_at", "tags", "attachments", "associated_tickets_count", "nr_due_by", "nr_escalated", "form_id",
    "structured_description", "source_additional_info", "sentiment_score",
}  # fmt: skip


def test_a_field_freshdesk_does_not_know_is_refused_not_stored(
    app: FreshdeskEmulator, server: EmulatorServer
) -> None:
    person = api(server, app, "POST", "contacts", json={"name": "Ada", "email": "ada@example.com"}).json()
    typo = {"subject": "Help", "description": "Hi", "requester_id": person["id"], "priorty": 3}
    refused = api(server, app, "POST", "tickets", json=typo)
    assert refused.status_code == 400 and refused.json() == {
        "description": "Validation failed",
        "errors": [
            {"field": "priorty", "message": "Unexpected/invalid field in request", "code": "invalid_field"}
        ],
    }
    assert app.records("tickets") == []
    misspelt = api(server, app, "PUT", f"contacts/{person['id']}", json={"job_tilte": "Countess"})
    assert misspelt.status_code == 400 and misspelt.json()["errors"][0]["field"] == "job_tilte"
    assert (
        api(server, app, "POST", "companies", json={"name": "Acme", "domain": "acme.test"}).status_code == 400
    )


def test_tickets_carry_freshdesks_39_fields_and_their_requester_on_request(
    app: FreshdeskEmulator, server: EmulatorServer
) -> None:
    raised = api(
        server,
        app,
        "POST",
        "tickets",
        json={"subject": "Help", "description": "<p>Hi</p>", "email": "new@example.com"},
    )
    assert raised.status_code == 201
    ticket = raised.json()
    assert set(ticket) == TICKET_FIELDS and len(TICKET_FIELDS) == 39
    assert ticket["description_text"] == "Hi" and ticket["fr_due_by"] < ticket["due_by"]
    requester = app.records("contacts")[0]  # raised by e-mail: Freshdesk made the contact
    assert requester["email"] == "new@example.com" and ticket["requester_id"] == requester["id"]
    shown = api(server, app, "GET", f"tickets/{ticket['id']}", params={"include": "requester"}).json()
    assert shown["requester"] == {
        "id": requester["id"],
        "name": "new",
        "email": "new@example.com",
        "mobile": None,
        "phone": None,
    }
    listed = api(server, app, "GET", "tickets", params={"include": "requester"}).json()
    assert listed[0]["requester"]["email"] == "new@example.com"
    again = api(
        server,
        app,
        "POST",
        "tickets",
        json={"subject": "Again", "description": "x", "email": "NEW@example.com"},
    )
    assert again.json()["requester_id"] == requester["id"] and len(app.records("contacts")) == 1


def test_answers_carry_every_field_of_freshdesks_published_bodies(
    app: FreshdeskEmulator, server: EmulatorServer
) -> None:
    """The documented list page, a real account's ticket update and contact create: each key they hold
    (and its JSON type, where the emulator fills it) is in the emulator's answer to the same call."""
    made = api(server, app, "POST", "contacts", json={"name": "Super Man", "email": "superman@freshdesk.com"})
    assert made.status_code == 201
    contact = made.json()
    recorded_contact = published("created_contact_201.json")
    assert set(recorded_contact) <= set(contact), set(recorded_contact) - set(contact)
    assert (contact["first_name"], contact["last_name"], contact["deleted"]) == ("Super", "Man", False)
    assert isinstance(contact["org_contact_id"], int) and len(contact["visitor_id"]) == 36
    ticket = {"subject": "Support Needed...", "description": "<div>Details about the issue...</div>"}
    raised = api(server, app, "POST", "tickets", json=ticket | {"requester_id": contact["id"]}).json()
    updated = api(server, app, "PUT", f"tickets/{raised['id']}", json={"subject": "Support Needed...ASAP"})
    assert updated.status_code == 200
    recorded_ticket = published("updated_ticket_200.json")
    assert set(recorded_ticket) <= set(updated.json()), set(recorded_ticket) - set(updated.json())
    listed = api(server, app, "GET", "tickets", params={"updated_since": "2015-08-17T00:00:00Z"}).json()
    documented = published("list_tickets_page.json")
    assert isinstance(listed, list) and isinstance(documented, list)
    for key, value in documented[0].items():
        assert key in listed[0], key
        if value is not None and listed[0][key] is not None:
            assert type(listed[0][key]) is type(value), key
    renamed = api(server, app, "PUT", f"contacts/{contact['id']}", json={"name": "Clark Kent"}).json()
    assert (renamed["first_name"], renamed["last_name"]) == ("Clark", "Kent")
    assert renamed["visitor_id"] == contact["visitor_id"]


def test_field_lists_are_bare_arrays_matching_what_records_carry(
    app: FreshdeskEmulator, server: EmulatorServer
) -> None:
    """`GET /api/v2/{contact,company,ticket}_fields`: Freshdesk's default fields and the account's own,
    which records carry under `custom_fields` by name (null until set)."""
    company_id = app.create("companies", {"name": "Acme", "custom_fields": {"hub_id": "H-1"}})
    app.add_field("contacts", "department", "Department", "custom_dropdown", ["Sales", "R&D"])
    contact_id = app.create("contacts", {"name": "Ada", "email": "ada@example.com"})
    lists = {kind: api(server, app, "GET", f"{kind}_fields") for kind in ("contact", "company", "ticket")}
    assert all(answer.status_code == 200 for answer in lists.values())
    contacts, companies, tickets = (answer.json() for answer in lists.values())
    assert isinstance(contacts, list) and [f["name"] for f in contacts][:3] == ["name", "job_title", "email"]
    for fields in (contacts, companies, tickets):
        assert {"id", "name", "label", "position", "type", "default", "required_for_agents"} <= set(fields[0])
        assert [f["position"] for f in fields] == list(range(1, len(fields) + 1))
    department = contacts[-1]
    assert (department["default"], department["type"], department["choices"]) == (
        False,
        "custom_dropdown",
        ["Sales", "R&D"],
    )
    assert [f["name"] for f in companies if not f["default"]] == ["hub_id"]
    assert [f["name"] for f in tickets if not f["default"]] == ["hub_id"]
    status = next(f for f in tickets if f["name"] == "status")
    assert status["type"] == "default_status" and status["choices"]["2"] == ["Open", "Being Processed"]
    priority = next(f for f in tickets if f["name"] == "priority")
    assert priority["choices"] == {"Low": 1, "Medium": 2, "High": 3, "Urgent": 4}
    # records carry every custom field of their kind, and a default field's record key
    assert api(server, app, "GET", f"contacts/{contact_id}").json()["custom_fields"] == {"department": None}
    assert api(server, app, "GET", f"companies/{company_id}").json()["custom_fields"] == {"hub_id": "H-1"}
    shown = api(server, app, "GET", f"companies/{company_id}").json()
    assert {f["name"] for f in companies if f["default"]} <= set(shown)
    ticket = {"subject": "s", "description": "d", "requester_id": contact_id}
    made = api(server, app, "POST", "tickets", json=ticket).json()
    assert made["custom_fields"] == {"hub_id": None}
    assert api(server, app, "GET", "company_fieldz").status_code == 404
