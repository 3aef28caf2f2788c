"""The HubSpot connector against the HubSpot emulator: search windows, batch upserts, call counts."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.emulators.hubspot import HubSpotEmulator
from connectors.emulators.hubspot.app import error
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorApp, EmulatorServer, Request, Response
from connectors.hubspot import HubSpotConnector
from hub.errors import AuthenticationError, FatalAPIError, QuotaExhausted, RetryableAPIError
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import WriteOp

T0 = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
REAL = Path(__file__).parents[1] / "fixtures" / "real" / "hubspot"
CONTACTS = ObjectSpec(
    "contacts",
    ("id", "lastmodifieddate", "hub_id", "firstname", "lastname", "email"),
    "id",
    "lastmodifieddate",
    "hub_id",
)
COMPANIES = ObjectSpec(
    "companies",
    ("id", "hs_lastmodifieddate", "hub_id", "name", "domain"),
    "id",
    "hs_lastmodifieddate",
    "hub_id",
)


@pytest.fixture
def portal() -> Iterator[tuple[HubSpotEmulator, EmulatorServer, ManualClock]]:
    clock = ManualClock(T0)
    app = HubSpotEmulator(clock=clock)
    with EmulatorServer(app) as server:
        yield app, server, clock


def connector(app: HubSpotEmulator, server: EmulatorServer) -> HubSpotConnector:
    spec = app.connection(server.url)
    return HubSpotConnector(
        parse_connection("hubspot_default", json.dumps(spec)),
        policy=RetryPolicy(base_delay=0.01, max_delay=0.05),
    )


def person(i: int, **values: object) -> WriteOp:
    return WriteOp(
        str(uuid.uuid4()),
        {"firstname": "Grace", "lastname": f"Hopper {i}", "email": f"grace{i}@example.com", **values},
    )


def test_a_search_past_10000_results_starts_a_new_window(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, clock = portal
    made = []
    for i in range(10_450):
        made.append(app.create("contacts", {"lastname": f"L{i}"}))
        if i % 150 == 149:
            clock.advance(1)  # 150 records per instant: page boundaries fall inside instants
    c = connector(app, server)
    pages = list(c.read_changes(CONTACTS, None, 200))
    ids = [r["id"] for p in pages for r in p.records]
    assert len(ids) == len(set(ids)) == 10_450 and set(ids) == set(made)
    stamps = [r["lastmodifieddate"] for p in pages for r in p.records]
    assert stamps == sorted(stamps)
    assert pages[-1].cursor == clock.now


def test_writes_take_one_call_per_100_records_and_never_duplicate(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    c = connector(app, server)
    ops = [person(i) for i in range(1000)]
    first = c.write(CONTACTS, ops)
    assert all(r.ok and r.created for r in first)
    assert c.calls.total("hubspot") == math.ceil(1000 / 100) == 10  # the batch minimum exactly
    again = c.write(CONTACTS, ops)  # a replay upserts by hub_id
    assert [r.id for r in again] == [r.id for r in first] and not any(r.created for r in again)
    assert len(app.records("contacts")) == 1000
    linked = [WriteOp(ops[0].hub_id, {"lastname": "Renamed"}, first[0].id)]
    [updated] = c.write(CONTACTS, linked)
    assert updated.ok and updated.id == first[0].id
    assert next(r for r in app.records("contacts") if r["id"] == first[0].id)["lastname"] == "Renamed"


def test_refused_records_get_hubspots_codes_in_order(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    c = connector(app, server)
    taken = app.create("contacts", {"email": "taken@example.com"})
    ops = [person(0), person(1, email="nope"), person(2, email="taken@example.com"), person(3)]
    results = c.write(CONTACTS, ops)
    assert [r.ok for r in results] == [True, False, False, True]
    assert (
        results[1].error is not None
        and results[1].error.code == "INVALID_EMAIL"
        and results[1].error.fields == ("email",)
    )
    assert results[2].error is not None and f"Existing ID: {taken}" in results[2].error.message
    missing = c.write(CONTACTS, [WriteOp("h", {"lastname": "x"}, "999999")])
    assert missing[0].error is not None and missing[0].error.code == "OBJECT_NOT_FOUND"


def test_fetch_find_and_archive(portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock]) -> None:
    app, server, clock = portal
    c = connector(app, server)
    results = c.write(
        COMPANIES, [WriteOp(f"hub-{i}", {"name": f"Co {i}", "domain": f"co{i}.example"}) for i in range(5)]
    )
    ids = [str(r.id) for r in results]
    assert [r["name"] for r in c.fetch(COMPANIES, [ids[1], ids[3], "424242"])] == ["Co 1", "Co 3"]
    found = c.find(COMPANIES, {"domain": ["co2.example", "co4.example", "nowhere.example"]})
    assert sorted(r["name"] for r in found) == ["Co 2", "Co 4"]
    clock.advance(minutes=1)
    assert all(r.ok for r in c.delete(COMPANIES, [ids[0]]))
    assert ids[0] not in {r["id"] for r in app.records("companies")}
    assert c.read_deletes(COMPANIES, clock.now - timedelta(seconds=5)) == ([ids[0]], clock.now)
    since = clock.now - timedelta(seconds=1)
    assert [r["id"] for p in c.read_changes(COMPANIES, since, 100) for r in p.records] == []
    assert c.check() == "HubSpot accepted the token"


def test_errors_follow_the_one_retry_rule_and_name_the_request(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 500 that outlasts the retries is retryable, as for every connector (HubSpot once called it
    fatal); refused tokens and other refusals are fatal and say which request failed."""
    app, server, _clock = portal
    monkeypatch.setattr(app, "unavailable_response", lambda: error(500, "INTERNAL_ERROR", "Internal error"))
    app.faults.configure(1.0, ("unavailable",))
    with pytest.raises(RetryableAPIError) as caught:
        list(connector(app, server).read_changes(CONTACTS, None, 10))
    assert str(caught.value) == (
        "hubspot: POST /crm/v3/objects/contacts/search: Internal error (HTTP 500, INTERNAL_ERROR)"
    )
    app.faults.configure(0.0, ())
    with pytest.raises(
        FatalAPIError, match=r"GET /crm/v3/objects/widgets: .*\(HTTP 404, OBJECT_NOT_FOUND\)$"
    ):
        connector(app, server).read_deletes(ObjectSpec("widgets", ("id",), "id"), None)
    stale, app.token = connector(app, server), "rotated-token-1234"  # the token was revoked in HubSpot
    with pytest.raises(AuthenticationError) as refused:
        stale.check()
    assert "connection 'hubspot_default': HubSpot refused the token" in str(refused.value)
    assert "pat-na1" not in str(refused.value) and refused.value.status == 401


class Published(EmulatorApp):
    """HubSpot's published search pages, served verbatim in turn; keeps what each request sent."""

    system = "hubspot"

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[dict[str, object]] = []
        self.route("POST", r"/crm/v3/objects/contacts/search", self.answer)

    def answer(self, request: Request) -> Response:
        self.bodies.append(request.json())
        page = REAL / f"search_page_{len(self.bodies)}.json"
        return Response(200, page.read_bytes(), {"Content-Type": "application/json"})


def test_hubspots_opaque_after_is_sent_back_as_it_came() -> None:
    app = Published()
    with EmulatorServer(app) as server:
        spec = {"conn_type": "hubspot", "host": server.url, "password": "pat-na1-test"}
        c = HubSpotConnector(parse_connection("hubspot_default", json.dumps(spec)))
        pages = list(c.read_changes(CONTACTS, None, 100))
    assert [r["id"] for p in pages for r in p.records] == ["512", "525"]
    assert "after" not in app.bodies[0]
    assert app.bodies[1]["after"] == "NTI1Cg%3D%3D"  # never int()'ed, never computed on
    assert pages[-1].cursor == datetime(2024, 1, 18, 8, 12, 40, 101000, tzinfo=UTC)


def test_a_spent_daily_limit_stops_the_run_after_one_call() -> None:
    app = HubSpotEmulator(clock=ManualClock(T0), daily_limit=3)
    app.daily_used = 3  # today's requests are spent
    with EmulatorServer(app) as server:
        c = connector(app, server)
        with pytest.raises(QuotaExhausted) as caught:
            list(c.read_changes(CONTACTS, None, 100))
    assert c.calls.snapshot() == {"hubspot": 1} and c.calls.retries() == {}  # not retried
    assert str(caught.value) == (
        "hubspot: POST /crm/v3/objects/contacts/search: the account's daily API limit (3 requests) is spent; "
        "it resets at midnight in the HubSpot account's time zone, and nothing more was sent (HTTP 429, DAILY)"
    )


def test_the_run_stops_when_the_daily_headers_say_nothing_is_left() -> None:
    app = HubSpotEmulator(clock=ManualClock(T0), daily_limit=2)
    for i in range(5):
        app.create("contacts", {"lastname": f"L{i}"})
    with EmulatorServer(app) as server:
        c = connector(app, server)
        with pytest.raises(QuotaExhausted, match="was reached by this request"):
            list(c.read_changes(CONTACTS, None, 2))
    assert app.daily_used == 2  # HubSpot never had to refuse a request


def test_a_per_second_limit_is_still_retried(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    app.create("contacts", {"lastname": "L"})
    app.faults.configure(0.5, ("rate_limit",))
    pages = list(connector(app, server).read_changes(CONTACTS, None, 100))
    app.faults.configure(0.0, ())
    assert [len(p.records) for p in pages] == [1]


def test_a_batch_refused_whole_for_one_taken_email_loses_no_other_record(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    taken = app.create("contacts", {"email": "taken@example.com", "lastname": "First"})
    c = connector(app, server)
    ops = [person(i) for i in range(5)]
    ops[3] = person(3, email="TAKEN@example.com")
    results = c.write(CONTACTS, ops)
    assert [r.ok for r in results] == [True, True, True, False, True]
    error = results[3].error
    assert error is not None and error.code == "CONFLICT" and error.fields == ("email",)
    assert f"HubSpot already has this e-mail on contact {taken}" in error.message
    assert f"Existing ID: {taken}" in error.message
    assert len(app.records("contacts")) == 5  # the four, and the contact that had the e-mail
    assert c.calls.snapshot() == {"hubspot": 3}  # refused whole, the e-mail's owner read, the rest again
    again = c.write(CONTACTS, ops[:2])  # a replay duplicates nothing
    assert all(r.ok and not r.created for r in again) and len(app.records("contacts")) == 5


class Conflicted(EmulatorApp):
    """A batch upsert answered once with the 409 HubSpot's community recorded, then accepted."""

    system = "hubspot"

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[list[str]] = []
        self.route("POST", r"/crm/v3/objects/contacts/batch/upsert", self.answer)

    def answer(self, request: Request) -> Response:
        inputs = request.json()["inputs"]
        self.sent.append([i["properties"]["email"] for i in inputs])
        if len(self.sent) == 1:
            return Response(
                409, (REAL / "contact_exists_409.json").read_bytes(), {"Content-Type": "application/json"}
            )
        results = [
            {"id": str(100 + n), "properties": {"hub_id": i["id"]}, "new": True} for n, i in enumerate(inputs)
        ]
        return Response.json({"status": "COMPLETE", "results": results})


def test_the_recorded_409_names_the_email_so_no_read_is_needed() -> None:
    app = Conflicted()
    with EmulatorServer(app) as server:
        spec = {"conn_type": "hubspot", "host": server.url, "password": "pat-na1-test"}
        c = HubSpotConnector(parse_connection("hubspot_default", json.dumps(spec)))
        ops = [person(0), person(1, email="lee@xyz.co.uk"), person(2)]
        results = c.write(CONTACTS, ops)
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error is not None and "contact 2926551" in results[1].error.message
    assert app.sent == [
        ["grace0@example.com", "lee@xyz.co.uk", "grace2@example.com"],
        ["grace0@example.com", "grace2@example.com"],
    ]
    assert c.calls.snapshot() == {"hubspot": 2}  # no read of the existing contact


class Recorded(EmulatorApp):
    """Answers a real HubSpot account gave, or HubSpot's documentation shows (tests/fixtures/real/hubspot),
    served verbatim in turn for each path; keeps the paths asked and the bodies sent."""

    system = "hubspot"

    def __init__(self, answers: dict[str, list[tuple[int, str]]]) -> None:
        super().__init__()
        self.answers, self.asked, self.sent = answers, list[str](), list[Any]()
        for path in answers:
            self.route("POST" if "/search" in path or "/batch/" in path else "GET", path, self.answer)

    def answer(self, request: Request) -> Response:
        self.asked.append(request.path)
        self.sent.append(request.json() if request.body else None)
        status, name = self.answers[request.path].pop(0)
        return Response(
            status, (REAL / name).read_bytes(), {"Content-Type": "application/json;charset=utf-8"}
        )


def recorded_connector(app: Recorded, server: EmulatorServer) -> HubSpotConnector:
    spec = {"conn_type": "hubspot", "host": server.url, "password": "pat-na1-test"}
    policy = RetryPolicy(base_delay=0.01, max_delay=0.05)
    return HubSpotConnector(parse_connection("hubspot_default", json.dumps(spec)), policy=policy)


def test_the_recorded_per_second_429_of_a_search_is_waited_out() -> None:
    """A real search's 429 (category RATE_LIMITS, no policyName, no Retry-After) is the per-second
    limit, retried; never taken for the daily one."""
    search = "/crm/v3/objects/contacts/search"
    app = Recorded({search: [(429, "secondly_limit_429.json"), (200, "search_page_2.json")]})
    with EmulatorServer(app) as server:
        c = recorded_connector(app, server)
        pages = list(c.read_changes(CONTACTS, None, 100))
    assert [r["id"] for p in pages for r in p.records] == ["525"]
    assert app.asked == [search, search] and c.calls.retries() == {"hubspot": 1}


def test_the_recorded_batch_update_answer_gives_each_record_its_id() -> None:
    app = Recorded({"/crm/v3/objects/contacts/batch/update": [(200, "batch_update_200.json")]})
    with EmulatorServer(app) as server:
        c = recorded_connector(app, server)
        op = WriteOp(
            str(uuid.uuid4()), {"lastname": "Doe", "email": "grouparoo@demo.com"}, target_id="290201"
        )
        results = c.write(CONTACTS, [op])
    assert [(r.ok, r.id, r.created) for r in results] == [(True, "290201", False)]


def test_an_expired_oauth_token_says_so_and_what_to_do() -> None:
    """HubSpot's recorded 401 EXPIRED_AUTHENTICATION: the token expired (not "refused"), with HubSpot's
    words and the way out, without the token."""
    app = Recorded({"/crm/v3/objects/contacts": [(401, "expired_token_401.json")]})
    with EmulatorServer(app) as server:
        c = recorded_connector(app, server)
        with pytest.raises(AuthenticationError) as caught:
            c.check()
    message = str(caught.value)
    assert caught.value.status == 401 and caught.value.code == "EXPIRED_AUTHENTICATION"
    assert "connection 'hubspot_default': HubSpot's OAuth access token has expired" in message
    assert (
        "GET /crm/v3/objects/contacts: The OAuth token used to make this call expired 0 second(s) ago."
        in message
    )
    assert "private app's token" in message and "pat-na1-test" not in message
    assert c.calls.retries() == {}


def test_the_documented_multi_status_answer_gives_the_refused_record_hubspots_reason() -> None:
    """HubSpot's documented 207 (developers.hubspot.com error handling, "Multi-status errors"), served
    verbatim to an upsert: its error names the input by the `objectWriteTraceId` the connector sent
    (the record's hub id), so that record alone carries PROPERTY_DOESNT_EXIST on `missing`, in words
    (not the escaped JSON HubSpot embeds in its message)."""
    upsert = "/crm/v3/objects/contacts/batch/upsert"
    app = Recorded({upsert: [(207, "multi_status_207.json")]})
    with EmulatorServer(app) as server:
        c = recorded_connector(app, server)
        ops = [WriteOp("549b1c2a9350", {"lastname": "Kept"}), WriteOp("549b1c2a9351", {"missing": "1"})]
        results = c.write(CONTACTS, ops)
    inputs = app.sent[0]["inputs"]
    assert [i["objectWriteTraceId"] for i in inputs] == ["549b1c2a9350", "549b1c2a9351"]
    refused = results[1].error
    assert refused is not None and refused.code == "PROPERTY_DOESNT_EXIST" and refused.fields == ("missing",)
    assert refused.message.startswith('Property "missing" does not exist (Property values were not valid:')
    kept = results[0].error  # the documented answer's one result names no hub_id: not taken for it
    assert kept is not None and kept.code == "NO_RESULT"
    assert c.calls.snapshot() == {"hubspot": 1} and c.calls.retries() == {}


def test_the_documented_unknown_property_400_names_the_property_in_words() -> None:
    """HubSpot's documented 400 for a property the portal lacks ("Using Object APIs", error handling),
    served verbatim: a fatal error naming HubSpot, the request, VALIDATION_ERROR and the property, in
    the words of its `errors[]` instead of the escaped JSON of its `message`; not retried."""
    app = Recorded({"/crm/v3/objects/contacts/batch/update": [(400, "property_doesnt_exist_400.json")]})
    with EmulatorServer(app) as server:
        c = recorded_connector(app, server)
        with pytest.raises(FatalAPIError) as caught:
            c.write(CONTACTS, [WriteOp("h1", {"testproperty": "x"}, target_id="512")])
    message = str(caught.value)
    assert caught.value.status == 400 and caught.value.code == "VALIDATION_ERROR"
    assert message.startswith("hubspot: POST /crm/v3/objects/contacts/batch/update: ")
    assert 'Property "testproperty" does not exist (PROPERTY_DOESNT_EXIST: testproperty)' in message
    assert '\\"' not in message and "pat-na1-test" not in message and c.calls.retries() == {}


def test_the_documented_daily_limit_429_stops_the_run_at_once() -> None:
    """HubSpot's documented 429 for a spent daily limit (errorType RATE_LIMIT, policyName DAILY, no
    `category`), served verbatim: the run stops after that one call, not retried, and says when the
    limit resets."""
    search = "/crm/v3/objects/contacts/search"
    app = Recorded({search: [(429, "daily_limit_429.json")]})
    with EmulatorServer(app) as server:
        c = recorded_connector(app, server)
        with pytest.raises(QuotaExhausted) as caught:
            list(c.read_changes(CONTACTS, None, 100))
    assert caught.value.status == 429 and caught.value.code == "DAILY"
    assert "daily API limit" in str(caught.value) and "resets at midnight" in str(caught.value)
    assert app.asked == [search] and c.calls.retries() == {}
