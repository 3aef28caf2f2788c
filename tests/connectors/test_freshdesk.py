"""The Freshdesk connector against the Freshdesk emulator: list paging, the page-300 restart, writes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest

from connectors.emulators.freshdesk import FreshdeskEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorApp, EmulatorServer, Request, Response
from connectors.freshdesk import FreshdeskConnector
from hub.errors import AuthenticationError, FatalAPIError
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import WriteOp

REAL = Path(__file__).parents[1] / "fixtures" / "real" / "freshdesk"
START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
CONTACTS = ObjectSpec(
    "contacts",
    ("id", "updated_at", "unique_external_id", "name", "email"),
    "id",
    "updated_at",
    "unique_external_id",
)
COMPANIES = ObjectSpec("companies", ("id", "updated_at", "name"), "id", "updated_at")
TICKETS = ObjectSpec("tickets", ("id", "updated_at", "subject"), "id", "updated_at")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def freshdesk(clock: ManualClock) -> Iterator[tuple[FreshdeskEmulator, EmulatorServer]]:
    app = FreshdeskEmulator(clock=clock)
    app.retry_after = "0"
    with EmulatorServer(app) as server:
        yield app, server


def connector(app: FreshdeskEmulator, server: EmulatorServer, **override: object) -> FreshdeskConnector:
    spec = {**app.connection(server.url), **override}
    conn = parse_connection("freshdesk_default", json.dumps(spec))
    return FreshdeskConnector(conn, policy=RetryPolicy(base_delay=0.01, max_delay=0.05))


def contact(i: int, **values: object) -> WriteOp:
    return WriteOp(str(uuid.uuid4()), {"name": f"Contact {i}", "email": f"contact{i}@example.com", **values})


def ids(pages: object) -> list[int]:
    return [r["id"] for page in pages for r in page.records]  # type: ignore[attr-defined]


def calls(app: FreshdeskEmulator, endpoint: str) -> int:
    return sum(n for key, n in app.stats.items() if key.startswith(endpoint))


def test_full_and_incremental_reads(
    freshdesk: tuple[FreshdeskEmulator, EmulatorServer], clock: ManualClock
) -> None:
    app, server = freshdesk
    made = []
    for i in range(9):
        made.append(app.create("contacts", {"name": f"C{i}", "email": f"c{i}@example.com"}))
        clock.advance(10)
    pages = list(connector(app, server).read_changes(CONTACTS, None, 4))
    assert ids(pages) == made and [len(p.records) for p in pages] == [4, 4, 1]
    assert pages[-1].cursor == START + timedelta(seconds=80)
    clock.advance(600)
    app.edit("contacts", made[3], {"name": "Edited"})
    since = pages[-1].cursor
    assert since is not None
    changed = list(connector(app, server).read_changes(CONTACTS, since + timedelta(seconds=1), 4))
    assert ids(changed) == [made[3]] and changed[-1].cursor == clock.now


def test_records_sharing_one_second_survive_page_boundaries(
    freshdesk: tuple[FreshdeskEmulator, EmulatorServer],
) -> None:
    app, server = freshdesk
    contacts = {app.create("contacts", {"name": f"C{i}", "unique_external_id": f"H{i}"}) for i in range(11)}
    companies = {app.create("companies", {"name": f"Co {i}"}) for i in range(11)}
    requester = min(contacts)
    tickets = {
        app.create("tickets", {"requester_id": requester, "subject": f"T{i}", "description": "x"})
        for i in range(11)
    }
    fd = connector(app, server)
    for obj, made in ((CONTACTS, contacts), (COMPANIES, companies), (TICKETS, tickets)):
        read = ids(fd.read_changes(obj, START, 3))
        assert sorted(read) == sorted(made), obj.name


def test_the_page_limit_restarts_at_the_last_updated_at_without_duplicates(
    clock: ManualClock,
) -> None:
    app = FreshdeskEmulator(clock=clock, page_limit=3)
    made = []
    for i in range(25):  # pairs of records share a second, so restarts land inside a shared instant
        made.append(app.create("companies", {"name": f"Co {i}"}))
        clock.advance(i % 2)
    with EmulatorServer(app) as server:
        fd = connector(app, server, extra={"page_limit": 3})
        pages = list(fd.read_changes(COMPANIES, None, 2))
        assert ids(pages) == made
        # 25 records, 2 a page: 13 pages without a limit; each restart re-reads its shared instant
        assert app.stats["GET /api/v2/(?P<kind>contacts|companies|tickets)"] > 13
        assert [p.cursor for p in pages] == sorted(p.cursor for p in pages)  # type: ignore[type-var]


def test_the_page_limit_error_itself_also_restarts_the_read(clock: ManualClock) -> None:
    app = FreshdeskEmulator(clock=clock, page_limit=2)
    made = []
    for i in range(9):
        made.append(app.create("companies", {"name": f"Co {i}"}))
        clock.advance(1)
    with EmulatorServer(app) as server:  # the connector believes 300: it meets Freshdesk's 400 first
        assert ids(connector(app, server).read_changes(COMPANIES, None, 2)) == made


def test_more_records_in_one_instant_than_the_page_limit_holds_is_a_clear_error(clock: ManualClock) -> None:
    app = FreshdeskEmulator(clock=clock, page_limit=2)
    for i in range(6):
        app.create("companies", {"name": f"Co {i}"})
    with EmulatorServer(app) as server, pytest.raises(FatalAPIError, match="larger page size"):
        list(connector(app, server, extra={"page_limit": 2}).read_changes(COMPANIES, None, 2))


def test_a_mixed_batch_gives_one_result_per_record_in_order(
    freshdesk: tuple[FreshdeskEmulator, EmulatorServer],
) -> None:
    app, server = freshdesk
    ops = [contact(0), contact(1, name=None), contact(2, email="not-an-email"), contact(3)]
    results = connector(app, server).write(CONTACTS, ops)
    assert [r.ok for r in results] == [True, False, False, True]
    assert results[1].error is not None and results[1].error.code == "missing_field"
    assert results[1].error.fields == ("name",)
    assert results[2].error is not None and results[2].error.code == "invalid_value"
    stored = {r["unique_external_id"]: r for r in app.records("contacts")}
    assert str(stored[ops[0].hub_id]["id"]) == results[0].id and results[0].created
    assert str(stored[ops[3].hub_id]["id"]) == results[3].id
    again = connector(app, server).write(CONTACTS, [contact(0, name="Renamed")])  # matched on email
    assert again[0].id == results[0].id and not again[0].created
    assert app.store.get("contacts", int(str(results[0].id)))["name"] == "Renamed"  # type: ignore[index]
    replay = connector(app, server).write(CONTACTS, [WriteOp(ops[3].hub_id, {"name": "Same hub id"})])
    assert replay[0].id == results[3].id and not replay[0].created  # matched on unique_external_id


def test_many_writes_run_in_parallel_one_request_each_in_order(
    freshdesk: tuple[FreshdeskEmulator, EmulatorServer],
) -> None:
    app, server = freshdesk
    ops = [contact(i) for i in range(40)]
    results = connector(app, server).write(CONTACTS, ops)
    assert all(r.ok and r.created for r in results)
    by_hub = {r["unique_external_id"]: str(r["id"]) for r in app.records("contacts")}
    assert [r.id for r in results] == [by_hub[op.hub_id] for op in ops]
    assert calls(app, "POST") == 40 and app.stats["requests"] == 40


def test_companies_and_tickets_upsert_by_the_hub_id_custom_field(
    freshdesk: tuple[FreshdeskEmulator, EmulatorServer],
) -> None:
    app, server = freshdesk
    fd = connector(app, server)
    first = fd.write(COMPANIES, [WriteOp("HUB-C1", {"name": "Acme"}), WriteOp("HUB-C2", {"name": None})])
    assert first[0].ok and first[0].created and first[1].error is not None
    again = fd.write(COMPANIES, [WriteOp("HUB-C1", {"name": "Acme Inc"})])
    assert again[0].id == first[0].id and not again[0].created
    assert app.records("companies")[0]["custom_fields"] == {"hub_id": "HUB-C1"}
    requester = app.create("contacts", {"name": "Req", "email": "req@example.com"})
    ticket = {"subject": "Help", "description": "Hi", "requester_id": requester}
    made = fd.write(TICKETS, [WriteOp("HUB-T1", ticket)])
    changed = fd.write(TICKETS, [WriteOp("HUB-T1", {"status": 4})])
    assert changed[0].id == made[0].id and app.records("tickets")[0]["status"] == 4
    assert fd.find(TICKETS, {"custom_fields.hub_id": ["HUB-T1"]})[0]["id"] == int(str(made[0].id))


def test_updates_by_target_id_and_fetch_and_find(freshdesk: tuple[FreshdeskEmulator, EmulatorServer]) -> None:
    app, server = freshdesk
    fd = connector(app, server)
    created = fd.write(CONTACTS, [contact(i) for i in range(3)])
    target = created[1].id
    assert target is not None
    updated = fd.write(CONTACTS, [WriteOp("HUB-X", {"name": "By id"}, target_id=target)])
    assert updated[0].id == target and updated[0].ok
    missing = fd.write(CONTACTS, [WriteOp("HUB-Y", {"name": "Gone"}, target_id="999")])
    assert missing[0].error is not None and missing[0].error.code == "NotFound"
    assert [r["name"] for r in fd.fetch(CONTACTS, [target, "999"])] == ["By id"]
    hub_ids = [r["unique_external_id"] for r in app.records("contacts")]
    found = fd.find(CONTACTS, {"unique_external_id": hub_ids[:2]})
    assert {r["unique_external_id"] for r in found} == set(hub_ids[:2])
    assert [r["email"] for r in fd.find(CONTACTS, {"email": ["contact2@example.com"]})] == [
        "contact2@example.com"
    ]


def test_rate_limits_are_retried_and_counted(freshdesk: tuple[FreshdeskEmulator, EmulatorServer]) -> None:
    app, server = freshdesk
    fd = connector(app, server)
    app.faults.configure(0.3, ("rate_limit",), seed=3)
    try:
        results = fd.write(CONTACTS, [contact(i) for i in range(30)])
        read = ids(fd.read_changes(CONTACTS, None, 7))
    finally:
        app.faults.configure(0.0, ())
    assert all(r.ok for r in results) and {int(str(r.id)) for r in results} == set(read)
    assert fd.calls.retries()["freshdesk"] == app.stats["faults:rate_limit"] > 0


def test_contact_creates_survive_dropped_connections(
    freshdesk: tuple[FreshdeskEmulator, EmulatorServer],
) -> None:
    app, server = freshdesk
    fd = connector(app, server)
    app.faults.configure(0.3, ("disconnect",), seed=5)
    try:
        results = fd.write(CONTACTS, [contact(i) for i in range(20)])
    finally:
        app.faults.configure(0.0, ())
    assert all(r.ok for r in results) and len({r.id for r in results}) == 20 == len(app.records("contacts"))
    assert app.stats["faults:disconnect"] > 0


def test_refused_key_raises_without_the_key(freshdesk: tuple[FreshdeskEmulator, EmulatorServer]) -> None:
    app, server = freshdesk
    wrong = "Wrong-Key-4242"
    with pytest.raises(AuthenticationError) as caught:
        list(connector(app, server, password=wrong).read_changes(CONTACTS, None, 10))
    assert "'freshdesk_default'" in str(caught.value) and wrong not in str(caught.value)
    assert app.api_key not in str(caught.value)
    with pytest.raises(AuthenticationError):
        connector(app, server, password=wrong).write(CONTACTS, [contact(1)])
    assert "agent@omnihub.example" in connector(app, server).check()


def test_unknown_objects_are_fatal(freshdesk: tuple[FreshdeskEmulator, EmulatorServer]) -> None:
    app, server = freshdesk
    with pytest.raises(FatalAPIError, match="unknown object"):
        connector(app, server).fetch(ObjectSpec("agents", ("id",), "id"), ["1"])


class Published(EmulatorApp):
    """Freshdesk's published error bodies, served verbatim with their statuses."""

    system = "freshdesk"

    def __init__(self, status: int, name: str) -> None:
        super().__init__()
        self.status, self.body = status, (REAL / name).read_bytes()
        self.route("GET", r"/api/v2/contacts", self.answer)

    def answer(self, request: Request) -> Response:
        return Response(self.status, self.body, {"Content-Type": "application/json"})


def published(app: Published, server: EmulatorServer) -> FreshdeskConnector:
    spec = {"conn_type": "freshdesk", "host": server.url, "password": "the-api-key"}
    return FreshdeskConnector(parse_connection("freshdesk_default", json.dumps(spec)))


def test_a_403_is_a_missing_permission_not_a_refused_key() -> None:
    app = Published(403, "access_denied.json")
    with EmulatorServer(app) as server, pytest.raises(FatalAPIError) as caught:
        list(published(app, server).read_changes(CONTACTS, None, 100))
    assert not isinstance(caught.value, AuthenticationError)
    assert str(caught.value) == (
        "freshdesk: GET /api/v2/contacts: access_denied; You are not authorized to perform this action.; "
        "Freshdesk accepted the API key, but the agent it belongs to may not do this: give that agent a role "
        "allowing it (or use an administrator's key), or check the plan includes the feature "
        "(HTTP 403, access_denied)"
    )


def test_a_401_is_a_refused_key_without_the_key() -> None:
    app = Published(401, "invalid_credentials.json")
    with EmulatorServer(app) as server, pytest.raises(AuthenticationError) as caught:
        list(published(app, server).read_changes(CONTACTS, None, 100))
    assert "refused the API key" in str(caught.value) and "the-api-key" not in str(caught.value)


def test_a_mapping_typo_fails_as_freshdesk_fails_it(
    freshdesk: tuple[FreshdeskEmulator, EmulatorServer],
) -> None:
    app, server = freshdesk
    c = connector(app, server)
    person = c.write(CONTACTS, [WriteOp("h-1", {"name": "Ada", "email": "ada@example.com"})])[0]
    typo = WriteOp(
        "t-1", {"subject": "Help", "description": "Hi", "requester_id": int(person.id or 0), "priorty": 3}
    )
    result = c.write(TICKETS, [typo])[0]
    assert not result.ok and result.error is not None
    assert (result.error.code, result.error.fields) == ("invalid_field", ("priorty",))
    assert "Unexpected/invalid field in request" in result.error.message
    assert app.records("tickets") == []


def test_freshdesks_published_invalid_field_body_names_the_field() -> None:
    app = Published(400, "invalid_field.json")
    with EmulatorServer(app) as server, pytest.raises(FatalAPIError) as caught:
        list(published(app, server).read_changes(CONTACTS, None, 100))
    assert "priorty: Unexpected/invalid field in request" in str(caught.value)
    assert caught.value.code == "invalid_field"


def test_a_tickets_requester_email_comes_with_the_ticket(
    freshdesk: tuple[FreshdeskEmulator, EmulatorServer],
) -> None:
    app, server = freshdesk
    person = app.create("contacts", {"name": "Ada", "email": "ada@example.com"})
    app.create("tickets", {"subject": "Help", "description": "Hi", "requester_id": person})
    c = connector(app, server)
    [ticket] = [r for page in c.read_changes(TICKETS, None, 100) for r in page.records]
    assert ticket["requester"]["email"] == "ada@example.com" and "email" not in ticket
    assert c.fetch(TICKETS, [str(ticket["id"])])[0]["requester"]["email"] == "ada@example.com"


class Recorded(EmulatorApp):
    """Freshdesk's published success bodies, served byte for byte; every request is kept."""

    system = "freshdesk"

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Request] = []
        self.route("GET", r"/api/v2/tickets", self.list_tickets)
        self.route("PUT", r"/api/v2/tickets/(?P<id>\d+)", self.body("updated_ticket_200.json", 200))
        self.route("POST", r"/api/v2/contacts", self.body("created_contact_201.json", 201))

    def body(self, name: str, status: int) -> Callable[[Request], Response]:
        def answer(request: Request) -> Response:
            self.seen.append(request)
            return Response(status, (REAL / name).read_bytes(), {"Content-Type": "application/json"})

        return answer

    def list_tickets(self, request: Request) -> Response:
        """Page 1 is the documented List All Tickets answer, with the `rel="next"` link Freshdesk adds
        while a page is full (the same query, page 2); page 2 is empty and has no link."""
        self.seen.append(request)
        if request.arg("page") != "1":
            return Response(200, b"[]", {"Content-Type": "application/json"})
        query = {k: v[0] for k, v in request.query.items()} | {"page": "2"}
        link = f'<http://{request.headers["Host"]}/api/v2/tickets?{urlencode(query)}>; rel="next"'
        body = (REAL / "list_tickets_page.json").read_bytes()
        return Response(200, body, {"Content-Type": "application/json", "Link": link})


def recorded(app: Recorded, server: EmulatorServer) -> FreshdeskConnector:
    spec = {"conn_type": "freshdesk", "host": server.url, "password": "the-api-key"}
    return FreshdeskConnector(parse_connection("freshdesk_default", json.dumps(spec)))


def test_the_documented_tickets_page_is_read_and_its_next_link_followed_from_updated_since() -> None:
    app = Recorded()
    since = datetime(2015, 8, 17, tzinfo=UTC)
    with EmulatorServer(app) as server:
        pages = list(recorded(app, server).read_changes(TICKETS, since, 2))
    assert ids(pages) == [18, 17] and len(pages) == 1
    assert pages[0].records[0]["custom_fields"] == {"category": "Default"}
    assert pages[0].cursor == datetime(2015, 8, 17, 12, 2, 51, tzinfo=UTC)  # the newest updated_at
    first, second = app.seen
    assert {k: v[0] for k, v in first.query.items()} == {
        "updated_since": "2015-08-17T00:00:00Z",
        "per_page": "2",
        "page": "1",
        "order_by": "updated_at",
        "order_type": "asc",
        "include": "requester",
    }
    assert second.arg("page") == "2" and second.arg("updated_since") == "2015-08-17T00:00:00Z"
    assert second.arg("order_by") == "updated_at"  # the link is followed as it came, query and all


def test_a_real_ticket_update_answer_is_that_tickets_result() -> None:
    app = Recorded()
    with EmulatorServer(app) as server:
        [result] = recorded(app, server).write(TICKETS, [WriteOp("HUB-T3", {"status": 2}, target_id="3")])
    assert result.ok and result.id == "3" and not result.created
    [put] = app.seen
    assert put.method == "PUT" and put.path == "/api/v2/tickets/3"
    assert put.json() == {"status": 2, "custom_fields": {"hub_id": "HUB-T3"}}


def test_a_real_contact_create_answer_gives_the_new_contacts_id() -> None:
    app = Recorded()
    op = WriteOp("HUB-C1", {"name": "Super Man", "email": "superman@freshdesk.com"})
    with EmulatorServer(app) as server:
        [result] = recorded(app, server).write(CONTACTS, [op])
    assert result.ok and result.created and result.id == "501002381517"
    [post] = app.seen
    assert post.json() == {
        "name": "Super Man",
        "email": "superman@freshdesk.com",
        "unique_external_id": "HUB-C1",
    }
