"""The Zendesk emulator driven by zenpy, unchanged, and by plain requests where zenpy cannot reach.

zenpy is pointed at the emulator with its own switches `ZENPY_FORCE_NETLOC` / `ZENPY_FORCE_SCHEME`
(what zenpy's test suite uses to talk to a recorded server), so every URL it builds is its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import Organization, Ticket, User
from zenpy.lib.exception import APIException

from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer, FaultInjector
from connectors.emulators.zendesk import ZendeskEmulator

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
REAL = Path(__file__).parents[2] / "fixtures" / "real" / "zendesk"


def recorded(name: str) -> Any:
    """A body Zendesk published or a real account answered (see tests/fixtures/real/zendesk)."""
    return json.loads((REAL / name).read_text())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(clock: ManualClock) -> ZendeskEmulator:
    return ZendeskEmulator(clock=clock)


@pytest.fixture
def server(app: ZendeskEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    with EmulatorServer(app) as served:
        monkeypatch.setenv("ZENPY_FORCE_NETLOC", f"{served.host}:{served.port}")
        monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
        yield served


@pytest.fixture
def zenpy(app: ZendeskEmulator, server: EmulatorServer) -> Zenpy:
    return Zenpy(subdomain="omnihub", email=app.email, token=app.token, disable_cache=True)


def listing(server: EmulatorServer, app: ZendeskEmulator, path: str, params: dict[str, Any]) -> Any:
    """A list or search page as a plain client reads it."""
    return api(server, app, "GET", path, params=params).json()


def api(server: EmulatorServer, app: ZendeskEmulator, method: str, path: str, **kwargs: Any) -> Any:
    """A plain requests call with the agent's API token."""
    auth = (f"{app.email}/token", app.token)
    return requests.request(method, f"{server.url}/api/v2/{path}", auth=auth, timeout=10, **kwargs)


def finished(zenpy: Zenpy, job_id: str) -> list[dict[str, Any]]:
    """Poll a job through zenpy until it completes (the emulator finishes on the second poll).

    Returns the fields the job's results (zenpy's JobStatusResult objects) carry, as dicts."""
    seen = []
    for _ in range(5):
        job = zenpy.job_status(id=job_id)
        seen.append(job.status)
        if job.status == "completed":
            assert seen[0] == "working" and job.progress == job.total
            return [{k: v for k, v in r.to_dict().items() if v is not None} for r in job.results]
    raise AssertionError(f"job never completed: {seen}")


def test_users_create_or_update_many_reports_each_record_in_order(zenpy: Zenpy, app: ZendeskEmulator) -> None:
    existing = app.create("users", {"name": "Old Name", "email": "ada@example.com"})
    users = [
        User(name="Ada Lovelace", email="ada@example.com", external_id="HUB-1"),  # matched by email
        User(email="nameless@example.com", external_id="HUB-2"),  # refused: no name
        User(name="Grace Hopper", email="grace@example", external_id="HUB-3"),  # refused: bad email
        User(name="Alan Turing", email="alan@example.com", external_id="HUB-4"),
    ]
    job = zenpy.users.create_or_update(users)
    assert job.status == "queued" and job.total == 4 and job.results is None
    results = finished(zenpy, job.id)
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert results[0]["id"] == existing and results[0]["status"] == "Updated"
    assert results[1]["status"] == "Failed" and "Name: cannot be blank" in results[1]["details"]
    assert results[2]["error"] == "UserCreateError" and "not properly formatted" in results[2]["details"]
    assert results[3]["status"] == "Created"
    again = zenpy.users.create_or_update([User(name="Alan M. Turing", external_id="HUB-4")])
    assert finished(zenpy, again.id)[0] == {
        "index": 0,
        "id": results[3]["id"],
        "status": "Updated",
        "action": "update",
        "success": True,
    }
    assert zenpy.users(id=results[3]["id"]).name == "Alan M. Turing"


def test_agents_are_users_with_a_role_and_leavers_are_suspended(zenpy: Zenpy, app: ZendeskEmulator) -> None:
    users = [
        User(name="Ana Agent", email="ana@support.example", role="agent", external_id="HUB-A"),
        User(name="Bad Role", email="bad@support.example", role="boss", external_id="HUB-B"),
    ]
    results = finished(zenpy, zenpy.users.create_or_update(users).id)
    assert results[0]["status"] == "Created"
    assert "Role: boss is not included in the list" in results[1]["details"]
    agent = zenpy.users(id=results[0]["id"])
    assert (agent.role, agent.suspended) == ("agent", False)
    suspended = [User(external_id="HUB-A", suspended=True)]
    assert finished(zenpy, zenpy.users.create_or_update(suspended).id)[0]["status"] == "Updated"
    assert zenpy.users(id=results[0]["id"]).suspended is True


def test_organizations_create_many_and_create_or_update_many(
    zenpy: Zenpy, app: ZendeskEmulator, server: EmulatorServer
) -> None:
    job = zenpy.organizations.create([Organization(name="Acme", external_id="ORG-1"), Organization()])
    results = finished(zenpy, job.id)
    assert results[0]["status"] == "Created" and results[1]["error"] == "OrganizationCreateError"
    body = {"organizations": [{"external_id": "ORG-1", "name": "Acme Ltd"}, {"name": "Globex"}]}
    answer = api(server, app, "POST", "organizations/create_or_update_many.json", json=body)
    assert answer.status_code == 200
    assert answer.json()["job_status"]["status"] == "queued"
    results = finished(zenpy, answer.json()["job_status"]["id"])
    assert [r["status"] for r in results] == ["Updated", "Created"]
    assert results[0]["id"] == zenpy.organizations(id=results[0]["id"]).id
    assert [o.name for o in zenpy.organizations(ids=[r["id"] for r in results])] == ["Acme Ltd", "Globex"]


def test_incremental_cursor_export_through_zenpy(
    zenpy: Zenpy, app: ZendeskEmulator, clock: ManualClock
) -> None:
    made = []
    for i in range(5):
        made.append(app.create("users", {"name": f"User {i}", "email": f"u{i}@example.com"}))
        clock.advance(60)
    app.edit("users", made[0], {"name": "Moved to the end"})
    users = list(zenpy.users.incremental(start_time=int(START.timestamp()), per_page=2))
    assert [u.id for u in users] == [*made[1:], made[0]]
    assert users[-1].updated_at == "2024-03-01T12:05:00Z"
    requester = made[1]
    ticket = app.create(
        "tickets", {"subject": "Help", "comment": {"body": "It broke"}, "requester_id": requester}
    )
    tickets = list(zenpy.tickets.incremental(start_time=0))
    assert [t.id for t in tickets] == [ticket] and tickets[0].description == "It broke"


def test_organizations_time_based_export_through_zenpy(zenpy: Zenpy, app: ZendeskEmulator) -> None:
    made = {app.create("organizations", {"name": f"Org {i}"}) for i in range(5)}  # all in one second
    orgs = list(zenpy.organizations.incremental(start_time=0, per_page=2))
    assert {o.id for o in orgs} == made  # a time-based page never splits a second


def test_show_and_search_by_external_id(zenpy: Zenpy, app: ZendeskEmulator) -> None:
    user_id = app.create("users", {"name": "Ada", "email": "ada@example.com", "external_id": "HUB-9"})
    assert zenpy.users(id=user_id).email == "ada@example.com"
    assert [u.id for u in zenpy.users.search(external_id="HUB-9")] == [user_id]
    assert [u.id for u in zenpy.users.search(query="email:ada@example.com")] == [user_id]
    with pytest.raises(APIException, match="RecordNotFound"):
        zenpy.users(id=user_id + 1000)


def test_rate_limit_answers_are_retried_by_zenpy(zenpy: Zenpy, app: ZendeskEmulator) -> None:
    seed = next(s for s in range(1000) if _first_faults(s) == ["rate_limit", None])
    app.faults.configure(0.5, ("rate_limit",), seed=seed)
    assert zenpy.users.me().email == app.email  # 429 (Retry-After: 1), then the answer
    assert app.stats["faults:rate_limit"] == 1


def test_the_rate_limit_answer_is_zendesks(app: ZendeskEmulator, server: EmulatorServer) -> None:
    app.faults.configure(1.0, ("rate_limit",))
    answer = api(server, app, "GET", "users/me.json")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "1"
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert answer.text == "Number of allowed API requests per minute exceeded"


def test_bad_credentials_are_refused(app: ZendeskEmulator, server: EmulatorServer) -> None:
    wrong = Zenpy(subdomain="omnihub", email=app.email, token="not-the-token")
    with pytest.raises(APIException, match="Couldn't authenticate you"):
        wrong.users.me()
    answer = requests.get(f"{server.url}/api/v2/users/me.json", auth=("x/token", "y"), timeout=10)
    assert answer.status_code == 401 and answer.json() == recorded("unauthorized.json")
    oauth = Zenpy(subdomain="omnihub", oauth_token=app.oauth_token)
    assert oauth.users.me().email == app.email


def test_more_than_100_records_is_the_real_error(app: ZendeskEmulator, server: EmulatorServer) -> None:
    users = [{"name": f"U{i}", "email": f"u{i}@example.com"} for i in range(101)]
    answer = api(server, app, "POST", "users/create_or_update_many.json", json={"users": users})
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "TooManyValues",
        "description": "Parameter  cannot specify more than 100 values",
        "max_count": 100,
    }
    assert app.records("users") == []


def test_cursor_pages_keep_records_sharing_one_second(
    app: ZendeskEmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    early = [app.create("users", {"name": f"E{i}"}) for i in range(2)]
    clock.advance(1)
    same = [app.create("users", {"name": f"S{i}"}) for i in range(5)]
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"start_time": int(START.timestamp()), "per_page": 3}
    while True:
        page = api(server, app, "GET", "incremental/users/cursor.json", params=params).json()
        assert set(page) >= {"after_url", "after_cursor", "before_url", "before_cursor", "end_of_stream"}
        seen += page["users"]
        if page["end_of_stream"]:
            break
        params = {"cursor": page["after_cursor"], "per_page": 3}
    assert [u["id"] for u in seen] == early + same
    stamps = [u["updated_at"] for u in seen]
    assert stamps == sorted(stamps) and stamps[-1] == "2024-03-01T12:00:01Z"


def test_time_based_pages_and_rate_limit_headers(app: ZendeskEmulator, server: EmulatorServer) -> None:
    made = [app.create("organizations", {"name": f"Org {i}"}) for i in range(3)]
    answer = api(
        server, app, "GET", "incremental/organizations.json", params={"start_time": 0, "per_page": 1}
    )
    page = answer.json()
    assert [o["id"] for o in page["organizations"]] == made and page["count"] == 3
    assert page["end_time"] == int(START.timestamp()) + 1 and page["end_of_stream"] is True
    next_page = f"/api/v2/incremental/organizations.json?per_page=1&start_time={page['end_time']}"
    assert page["next_page"].endswith(next_page)  # the caller's per_page kept, as Zendesk keeps it
    assert answer.headers["X-Rate-Limit"] == "700" and int(answer.headers["X-Rate-Limit-Remaining"]) < 700


def test_seed_sandbox_takes_the_sandbox_scale() -> None:
    app = ZendeskEmulator()
    app.seed_sandbox({"accounts": 4, "contacts": 10}, seed=7)
    assert len(app.records("organizations")) == 4 and len(app.records("users")) == 10


def test_seed_sandbox_is_deterministic() -> None:
    first, second = ZendeskEmulator(), ZendeskEmulator()
    first.seed_sandbox({"organizations": 5, "users": 20}, seed=7)
    second.seed_sandbox({"organizations": 5, "users": 20}, seed=7)
    names = [[r["name"] for r in e.records("users")] for e in (first, second)]
    assert names[0] == names[1] and len(first.records("organizations")) == 5
    assert any(r["organization_id"] for r in first.records("users"))


def _first_faults(seed: int) -> list[str | None]:
    injector = FaultInjector(0.5, ("rate_limit",), seed=seed)
    return [injector.pick(), injector.pick()]


def test_zenpys_plain_lists_page_through_users_organizations_and_tickets(
    app: ZendeskEmulator, server: EmulatorServer, zenpy: Zenpy
) -> None:
    org = app.create("organizations", {"name": "Acme"})
    people = [
        app.create("users", {"name": f"Person {i}", "email": f"p{i}@example.com", "organization_id": org})
        for i in range(5)
    ]
    app.create("tickets", {"subject": "Help", "description": "Hi", "requester_id": people[0]})
    assert [u.id for u in zenpy.users()] == people  # followed next_page to the end
    assert [o.name for o in zenpy.organizations()] == ["Acme"]
    [ticket] = list(zenpy.tickets())
    assert ticket.via.channel == "api" and not hasattr(ticket, "generated_timestamp")  # export only
    listed = listing(server, app, "users.json", {"per_page": 2, "page": 2})
    assert [u["id"] for u in listed["users"]] == people[2:4] and listed["count"] == 5
    assert "page=3" in listed["next_page"] and "page=1" in listed["previous_page"]
    cursor = listing(server, app, "users.json", {"page[size]": 3})
    assert cursor["meta"]["has_more"] is True and len(cursor["users"]) == 3
    rest = listing(
        server, app, "users.json", {"page[size]": 3, "page[after]": cursor["meta"]["after_cursor"]}
    )
    assert [u["id"] for u in rest["users"]] == people[3:] and rest["meta"]["has_more"] is False


def test_zenpy_creates_updates_and_deletes_one_ticket_and_updates_many(
    app: ZendeskEmulator, zenpy: Zenpy
) -> None:
    requester = app.create("users", {"name": "Ada", "email": "ada@example.com"})
    audit = zenpy.tickets.create(
        Ticket(subject="Printer on fire", description="Smoke.", requester_id=requester)
    )
    ticket = audit.ticket
    generated = app.records("tickets")[0]["generated_timestamp"]
    assert (
        ticket.id
        and ticket.status == "new"
        and ticket.via.channel == "api"
        and audit.audit.ticket_id == ticket.id
    )
    ticket.status = "open"
    ticket.priority = "high"
    changed = zenpy.tickets.update(ticket).ticket
    assert (changed.status, changed.priority) == ("open", "high")
    assert app.records("tickets")[0]["generated_timestamp"] >= generated
    other = zenpy.tickets.create(Ticket(subject="Second", description="Two", requester_id=requester)).ticket
    for each in (changed, other):
        each.tags = ["vip"]
    job = zenpy.tickets.update([changed, other])
    assert {r["status"] for r in finished(zenpy, job.id)} == {"Updated"}
    assert all(t["tags"] == ["vip"] for t in app.records("tickets"))
    with pytest.raises(APIException) as refused:
        zenpy.tickets.create(Ticket(subject="No words"))
    assert refused.value.response.status_code == 422
    assert refused.value.response.json()["error"] == "RecordInvalid"
    zenpy.tickets.delete(other)
    assert [t["id"] for t in app.records("tickets")] == [changed.id]


def test_zenpy_searches_tickets_and_users(
    app: ZendeskEmulator, server: EmulatorServer, zenpy: Zenpy, clock: ManualClock
) -> None:
    ada = app.create("users", {"name": "Ada Lovelace", "email": "ada@example.com"})
    app.create(
        "tickets", {"subject": "Engine broken", "description": "Gears", "requester_id": ada, "status": "open"}
    )
    clock.advance(days=2)
    app.create(
        "tickets",
        {
            "subject": "Invoice",
            "description": "Wrong total",
            "requester_id": ada,
            "status": "pending",
            "tags": ["billing"],
        },
    )
    assert [t.subject for t in zenpy.search(type="ticket", status="open")] == ["Engine broken"]
    assert [t.subject for t in zenpy.search("engine", type="ticket")] == ["Engine broken"]
    assert [t.subject for t in zenpy.search(type="ticket", tags="billing")] == ["Invoice"]
    [user] = list(zenpy.search(type="user", email="ada@example.com"))
    assert user.id == ada
    later = listing(
        server, app, "search.json", {"query": f"type:ticket created>{(START + timedelta(days=1)).date()}"}
    )
    assert [r["subject"] for r in later["results"]] == ["Invoice"] and later["results"][0][
        "result_type"
    ] == "ticket"


def test_a_ticket_has_the_fields_of_a_ticket_recorded_from_zendesk(
    app: ZendeskEmulator, server: EmulatorServer
) -> None:
    real = Path(__file__).parents[2] / "fixtures" / "real" / "zendesk" / "incremental_tickets_cursor_1.json"
    recorded = json.loads(real.read_text())
    requester = app.create("users", {"name": "Ada", "email": "ada@example.com"})
    app.create("tickets", {"subject": "test", "description": "test", "requester_id": requester})
    page = api(
        server, app, "GET", "incremental/tickets/cursor.json", params={"start_time": 0, "per_page": 1}
    ).json()
    assert set(page) == set(recorded)
    assert set(page["tickets"][0]) == set(recorded["tickets"][0])
    assert page["after_url"].endswith("&per_page=1") and recorded["after_url"].endswith("&per_page=1")


def test_a_ticket_created_is_answered_as_a_real_account_answered(
    app: ZendeskEmulator, server: EmulatorServer
) -> None:
    real = recorded("ticket_created_201.json")
    answer = api(
        server, app, "POST", "tickets.json", json={"ticket": {"description": "test", "subject": "test"}}
    )
    body = answer.json()
    assert answer.status_code == 201 and answer.headers["Location"] == body["ticket"]["url"]
    assert set(body) == set(real) and set(body["ticket"]) == set(real["ticket"])  # no generated_timestamp
    assert set(body["audit"]) == set(real["audit"])
    events, real_events = body["audit"]["events"], real["audit"]["events"]
    assert [(e["type"], e.get("field_name")) for e in events] == [
        (e["type"], e.get("field_name")) for e in real_events
    ]  # the description is the first comment, not a Create event
    assert [set(e) for e in events] == [set(e) for e in real_events]
    assert events[0]["body"] == events[0]["plain_body"] == "test" and events[0]["public"] is True
    assert events[0]["audit_id"] == body["audit"]["id"]
    assert events[1] == {"id": events[1]["id"], "type": "Create", "value": "test", "field_name": "subject"}
    ids = [body["audit"]["id"], *(e["id"] for e in events)]
    assert len(set(ids)) == len(ids)  # every event has an id of its own


def test_a_ticket_updated_keeps_its_description_as_a_real_account_does(
    app: ZendeskEmulator, server: EmulatorServer
) -> None:
    real = recorded("ticket_updated_200.json")
    made = api(
        server, app, "POST", "tickets.json", json={"ticket": {"description": "test", "subject": "test"}}
    )
    ticket_id = made.json()["ticket"]["id"]
    new = "testa94a8fe5ccb19ba61c4c0873d391e987982fbbd3"  # what zenpy sent (and recorded)
    change = {"ticket": {"description": new, "id": ticket_id, "subject": new}}
    answer = api(server, app, "PUT", f"tickets/{ticket_id}.json", json=change)
    body = answer.json()
    assert answer.status_code == 200 and set(body) == set(real) and set(body["ticket"]) == set(real["ticket"])
    assert (body["ticket"]["subject"], body["ticket"]["description"]) == (new, "test")
    assert real["ticket"]["description"] == "test"
    [event] = body["audit"]["events"]
    [real_event] = real["audit"]["events"]
    assert set(event) == set(real_event) and (event["field_name"], event["previous_value"]) == (
        real_event["field_name"],
        real_event["previous_value"],
    )
    assert "generated_timestamp" not in api(server, app, "GET", f"tickets/{ticket_id}.json").json()["ticket"]


def test_a_user_created_has_the_fields_of_a_user_a_real_account_created(
    app: ZendeskEmulator, server: EmulatorServer
) -> None:
    real = recorded("user_created_201.json")
    answer = api(server, app, "POST", "users.json", json={"user": {"id": "", "name": "testUser"}})
    body = answer.json()
    assert answer.status_code == 201 and answer.headers["Location"] == body["user"]["url"]
    assert set(body["user"]) == set(real["user"])
    same = ("name", "email", "role", "verified", "active", "ticket_restriction", "restricted_agent")
    assert {k: body["user"][k] for k in same} == {k: real["user"][k] for k in same}


def test_an_unknown_record_is_zendesks_recorded_404(app: ZendeskEmulator, server: EmulatorServer) -> None:
    huge = 9223372036854775807  # the id zenpy's recorded test asked for
    change = {"ticket": {"description": "test", "id": huge, "subject": "test"}}
    answer = api(server, app, "PUT", f"tickets/{huge}.json", json=change)
    assert answer.status_code == 404 and answer.json() == recorded("record_not_found.json")
    for method, path in (("DELETE", f"tickets/{huge}.json"), ("GET", f"users/{huge}.json")):
        assert api(server, app, method, path).json() == recorded("record_not_found.json")


def test_a_search_page_has_the_shape_zendesk_documents(app: ZendeskEmulator, server: EmulatorServer) -> None:
    real = recorded("search_page.json")
    made = [app.create("organizations", {"name": f"Hello {i}"}) for i in range(3)]
    page = listing(server, app, "search.json", {"query": "type:organization", "per_page": 2})
    assert set(page) == set(real) and page["facets"] is real["facets"] is None
    assert page["count"] == 3 and page["previous_page"] is None and page["next_page"]
    for result in page["results"]:
        assert set(real["results"][0]) <= set(result) and result["result_type"] == "organization"
    rest = requests.get(page["next_page"], auth=(f"{app.email}/token", app.token), timeout=10).json()
    assert [r["id"] for r in page["results"] + rest["results"]] == made
    assert rest["next_page"] is None and rest["previous_page"] and rest["count"] == 3


def test_a_ticket_without_a_description_is_refused_in_the_words_zendesk_recorded(
    app: ZendeskEmulator, server: EmulatorServer
) -> None:
    answer = api(server, app, "POST", "tickets.json", json={"ticket": {}})  # the recorded request body
    assert answer.status_code == 422 and answer.json() == recorded("record_invalid_blank_description.json")


def test_an_email_another_user_has_is_a_duplicate_value_as_zendesk_recorded(
    app: ZendeskEmulator, server: EmulatorServer
) -> None:
    [real] = recorded("record_invalid_duplicate_value.json")["details"]["value"]
    app.create("users", {"name": "Ada", "email": "abcdef@example.com"})
    answer = api(
        server, app, "POST", "users.json", json={"user": {"name": "Bob", "email": "abcdef@example.com"}}
    )
    [problem] = answer.json()["details"]["email"]
    assert answer.status_code == 422 and set(problem) == set(real) and problem["error"] == real["error"]
    assert problem["description"] == real["description"].replace("Value:", "Email:")


def test_field_lists_through_zenpy_match_what_records_carry(
    zenpy: Zenpy, app: ZendeskEmulator, server: EmulatorServer
) -> None:
    app.add_field("users", "department", "Department", "text")
    tier = app.add_field("organizations", "tier", "Tier", "dropdown", ("Basic", "Premium"))
    area = app.add_field("tickets", "product_area", "Product area", "tagger", ("Billing", "Login"))
    user_id = app.create("users", {"name": "Ada", "user_fields": {"department": "R&D", "unknown": 1}})
    org_id = app.create("organizations", {"name": "Acme"})
    ticket = {"subject": "s", "description": "d", "custom_fields": [{"id": area["id"], "value": "login"}]}
    ticket_id = app.create("tickets", ticket)

    [department] = list(zenpy.user_fields())
    assert (department.key, department.title, department.type) == ("department", "Department", "text")
    [org_field] = list(zenpy.organization_fields())
    assert org_field.id == tier["id"] and org_field.type == "dropdown"
    assert [(o.name, o.value) for o in org_field.custom_field_options] == [
        ("Basic", "basic"),
        ("Premium", "premium"),
    ]
    ticket_fields = list(zenpy.ticket_fields())
    system = [f.type for f in ticket_fields if not f.removable]
    assert system == ["subject", "description", "status", "tickettype", "priority", "group", "assignee"]
    status = next(f for f in ticket_fields if f.type == "status")
    assert [o["value"] for o in status.system_field_options][:2] == ["new", "open"]
    [custom] = [f for f in ticket_fields if f.removable]
    assert (custom.id, custom.title, custom.type) == (area["id"], "Product area", "tagger")

    # records carry every field of their kind by key (users, organizations) or id (tickets); values merge
    assert zenpy.users(id=user_id).user_fields == {"department": "R&D"}
    assert zenpy.organizations(id=org_id).organization_fields == {"tier": None}
    app.edit("organizations", org_id, {"organization_fields": {"tier": "premium"}, "notes": "n"})
    app.edit("organizations", org_id, {"notes": "again"})
    assert zenpy.organizations(id=org_id).organization_fields == {"tier": "premium"}
    shown = api(server, app, "GET", f"tickets/{ticket_id}.json").json()["ticket"]
    assert shown["custom_fields"] == shown["fields"] == [{"id": area["id"], "value": "login"}]


def test_field_lists_page_as_zendesk_offset_lists(app: ZendeskEmulator, server: EmulatorServer) -> None:
    for number in range(3):
        app.add_field("users", f"f{number}", f"F{number}", "integer")
    first = listing(server, app, "user_fields.json", {"per_page": 2})
    assert [f["key"] for f in first["user_fields"]] == ["f0", "f1"] and first["count"] == 3
    assert first["next_page"].endswith("/api/v2/user_fields.json?per_page=2&page=2")
    assert first["previous_page"] is None and first["user_fields"][0]["url"].startswith(server.url)
    second = requests.get(first["next_page"], auth=(f"{app.email}/token", app.token), timeout=10).json()
    assert [f["key"] for f in second["user_fields"]] == ["f2"] and second["next_page"] is None
    refused = api(server, app, "GET", "ticket_fields.json", params={"per_page": 101})
    assert refused.status_code == 400 and refused.json()["error"] == "InvalidPaginationParameter"
