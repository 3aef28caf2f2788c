"""The Mailchimp connector against the Mailchimp emulator: reads, writes, consent, limits and errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from connectors.emulators.mailchimp import MailchimpEmulator, subscriber_hash
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorApp, EmulatorServer, Request, Response
from connectors.mailchimp import MailchimpConnector
from hub.errors import AuthenticationError, FatalAPIError, RetryableAPIError
from hub.io.connections import Connection, parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import WriteOp

REAL = Path(__file__).parents[1] / "fixtures" / "real" / "mailchimp"
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
QUICK = RetryPolicy(base_delay=0.01, max_delay=0.05)
MEMBERS = ObjectSpec(
    MailchimpEmulator.LIST_ID,
    ("id", "email_address", "status", "last_changed", "merge_fields.FNAME", "merge_fields.HUBID"),
    "id",
    "last_changed",
    "merge_fields.HUBID",
)
BATCH_ROUTE = "POST /3.0/lists/(?P<list_id>[A-Za-z0-9]+)"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def app(clock: ManualClock) -> MailchimpEmulator:
    return MailchimpEmulator(clock=clock)


@pytest.fixture
def server(app: MailchimpEmulator) -> Iterator[EmulatorServer]:
    with EmulatorServer(app) as running:
        yield running


def connector_for(server: EmulatorServer, password: str | None = None) -> MailchimpConnector:
    spec = server.app.connection(server.url)
    if password is not None:
        spec["password"] = password
    return MailchimpConnector(parse_connection("mailchimp_default", json.dumps(spec)), policy=QUICK)


@pytest.fixture
def connector(server: EmulatorServer) -> MailchimpConnector:
    return connector_for(server)


def ids_read(connector: MailchimpConnector, since: datetime | None, page: int) -> list[str]:
    return [str(r["id"]) for p in connector.read_changes(MEMBERS, since, page) for r in p.records]


def op(email: str, status: str | None = "subscribed", **merge: str) -> WriteOp:
    values: dict[str, object] = {"email_address": email, "merge_fields.FNAME": merge.get("FNAME", "Kit")}
    if status is not None:
        values["status"] = status
    return WriteOp(f"hub-{email}", values)


def test_a_full_read_pages_oldest_first_with_the_newest_change_as_cursor(
    connector: MailchimpConnector, app: MailchimpEmulator, clock: ManualClock
) -> None:
    made = []
    for i in range(11):
        made.append(app.create(f"p{i}@example.com"))
        clock.advance(5)
    pages = list(connector.read_changes(MEMBERS, None, 4))
    assert [len(p.records) for p in pages] == [4, 4, 3]
    assert [r["id"] for p in pages for r in p.records] == made
    assert pages[-1].cursor == T0 + timedelta(seconds=50) and pages[0].total == 11
    assert pages[0].records[0]["merge_fields"]["HUBID"] == ""


def test_an_incremental_read_returns_exactly_the_changed_members(
    connector: MailchimpConnector, app: MailchimpEmulator, clock: ManualClock
) -> None:
    made = [app.create(f"p{i}@example.com") for i in range(9)]
    clock.advance(3600)
    for member_id in (made[2], made[5]):
        app.edit(member_id, {"merge_fields": {"FNAME": "Edited"}})
    clock.advance(1)
    app.edit(made[8], {"status": "unsubscribed"})
    since = T0 + timedelta(seconds=3600)  # the change at exactly `since` is included
    pages = list(connector.read_changes(MEMBERS, since, 2))
    assert sorted(r["id"] for p in pages for r in p.records) == sorted([made[2], made[5], made[8]])
    assert pages[-1].cursor == clock.now


def test_members_sharing_one_last_changed_are_not_lost_across_pages(
    connector: MailchimpConnector, app: MailchimpEmulator, clock: ManualClock
) -> None:
    app.create("before@example.com")
    clock.advance(60)
    same = {app.create(f"same{i}@example.com") for i in range(17)}  # the clock stands still
    ids = ids_read(connector, clock.now, 3)
    assert len(ids) == len(set(ids)) == 17 and set(ids) == same


def test_a_mixed_batch_gives_one_result_per_op_in_order(
    connector: MailchimpConnector, app: MailchimpEmulator
) -> None:
    app.create("known@example.com")
    emails = ["a@example.com", "not-an-email", "known@example.com", "b@example", "c@example.com"]
    results = connector.write(MEMBERS, [op(e) for e in emails])
    assert [r.ok for r in results] == [True, False, True, False, True]
    assert [r.created for r in results] == [True, False, False, False, True]
    assert results[0].id == subscriber_hash("a@example.com") and results[2].id == subscriber_hash(
        "known@example.com"
    )
    for refused in (results[1], results[3]):
        assert refused.error is not None and "looks fake or invalid" in refused.error.message
    stored = {m["email_address"]: m for m in app.records()}
    assert stored["a@example.com"]["merge_fields"]["HUBID"] == "hub-a@example.com"  # the external id


def test_writes_go_out_in_batches_of_500(connector: MailchimpConnector, app: MailchimpEmulator) -> None:
    results = connector.write(MEMBERS, [op(f"m{i}@example.com") for i in range(1000)])
    assert len(results) == 1000 and all(r.ok and r.created for r in results)
    assert app.stats[BATCH_ROUTE] == 2 and connector.calls.total("mailchimp") == 2
    connector.write(MEMBERS, [op(f"n{i}@example.com") for i in range(1001)])
    assert app.stats[BATCH_ROUTE] == 2 + 3


def test_a_sync_never_subscribes_an_unsubscribed_member_again(
    connector: MailchimpConnector, app: MailchimpEmulator
) -> None:
    gone = app.create("gone@example.com", status="unsubscribed")
    bounced = app.create("bounced@example.com", status="cleaned")
    stays = app.create("stays@example.com")
    results = connector.write(
        MEMBERS,
        [
            op("gone@example.com", "subscribed", FNAME="Changed"),
            op("bounced@example.com", "subscribed"),
            op("new@example.com", "subscribed"),
            op("stays@example.com", "unsubscribed"),
        ],
    )
    assert all(r.ok for r in results)
    status = {m["id"]: m["status"] for m in app.records()}
    assert status[gone] == "unsubscribed" and status[bounced] == "cleaned"
    assert status[subscriber_hash("new@example.com")] == "subscribed"
    assert status[stays] == "unsubscribed"  # an explicit unsubscribe from the hub is applied
    changed = next(m for m in app.records() if m["id"] == gone)
    assert changed["merge_fields"]["FNAME"] == "Changed"  # the rest of the update went through


def test_an_update_by_target_id_without_email_looks_the_email_up(
    connector: MailchimpConnector, app: MailchimpEmulator
) -> None:
    member_id = app.create("quiet@example.com", status="unsubscribed")
    results = connector.write(MEMBERS, [WriteOp("hub-1", {"merge_fields.FNAME": "Q"}, target_id=member_id)])
    assert results[0].ok and results[0].id == member_id and not results[0].created
    member = next(m for m in app.records() if m["id"] == member_id)
    assert member["merge_fields"]["FNAME"] == "Q" and member["status"] == "unsubscribed"


def test_fetch_and_find(connector: MailchimpConnector, app: MailchimpEmulator) -> None:
    ada = app.create("Ada@Example.com", merge_fields={"HUBID": "H1"})
    app.create("bob@example.com", merge_fields={"HUBID": "H2"})
    assert [m["id"] for m in connector.fetch(MEMBERS, [ada, subscriber_hash("nobody@example.com")])] == [ada]
    assert [m["id"] for m in connector.find(MEMBERS, {"email_address": ["ada@example.com"]})] == [ada]
    assert [m["id"] for m in connector.find(MEMBERS, {"merge_fields.HUBID": ["H1", "H9"]})] == [ada]


def test_rate_limit_answers_are_retried_and_counted(
    connector: MailchimpConnector, app: MailchimpEmulator
) -> None:
    app.faults.configure(0.5, ("rate_limit",), seed=3)
    try:
        results = connector.write(MEMBERS, [op(f"r{i}@example.com") for i in range(30)])
        ids = ids_read(connector, None, 4)
    finally:
        app.faults.configure(0.0, ())
    assert all(r.ok for r in results) and {str(r.id) for r in results} == set(ids)
    assert connector.calls.retries()["mailchimp"] > 0 and app.stats["faults:rate_limit"] > 0


def test_a_refused_key_is_an_authentication_error_without_the_key(server: EmulatorServer) -> None:
    wrong = "fedcba9876543210fedcba9876543210-us6"
    with pytest.raises(AuthenticationError) as caught:
        connector_for(server, wrong).fetch(MEMBERS, [subscriber_hash("a@example.com")])
    message = str(caught.value)
    assert "'mailchimp_default'" in message and "HTTP 401" in message
    assert wrong not in message and MailchimpEmulator.API_KEY not in message


def test_check_pings(connector: MailchimpConnector) -> None:
    assert "Everything's Chimpy!" in connector.check()


def test_the_data_center_comes_from_the_key_when_no_host_is_given() -> None:
    connection = Connection(
        "mailchimp_default", "mailchimp", password="0123456789abcdef0123456789abcdef-us19"
    )
    assert MailchimpConnector(connection).api_root() == "https://us19.api.mailchimp.com/3.0"
    with pytest.raises(AuthenticationError) as caught:
        _ = MailchimpConnector(
            Connection("mailchimp_default", "mailchimp", password="nodatacenter")
        ).api_root()
    assert "nodatacenter" not in str(caught.value)


def test_a_request_blocked_page_counts_as_throttling() -> None:
    blocked = requests.Response()
    blocked.status_code, blocked._content = 403, b"<html><title>Request Blocked</title></html>"
    blocked.headers["Content-Type"] = "text/html"
    key = "0123456789abcdef0123456789abcdef-us19"
    connector = MailchimpConnector(Connection("mailchimp_default", "mailchimp", password=key))
    assert connector.retryable(blocked)
    # outlasting the retries, it is retryable too (the one rule; it used to be fatal), and says so
    error = connector.failure("GET", "/lists/abc/members?count=10", blocked)
    assert isinstance(error, RetryableAPIError) and str(error) == (
        "mailchimp: GET /3.0/lists/abc/members: Request Blocked: Mailchimp's edge throttles this client "
        "(HTTP 403)"
    )
    blocked.status_code = 404
    assert not connector.retryable(blocked)
    assert not isinstance(connector.failure("GET", "/lists/abc", blocked), RetryableAPIError)


class Refusing(EmulatorApp):
    """Mailchimp's published 400 Invalid Resource, served verbatim to every member request."""

    system = "mailchimp"

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", r"/3.0/lists/(?P<list>[^/]+)/members/(?P<id>[^/]+)", self.refuse)

    def refuse(self, request: Request) -> Response:
        body = (REAL / "invalid_resource.json").read_bytes()
        return Response(400, body, {"Content-Type": "application/problem+json; charset=utf-8"})


def test_invalid_resource_keeps_mailchimps_field_errors() -> None:
    app = Refusing()
    with EmulatorServer(app) as server, pytest.raises(FatalAPIError) as caught:
        spec = {"conn_type": "mailchimp", "host": server.url, "password": "key-us6"}
        MailchimpConnector(parse_connection("mailchimp_default", json.dumps(spec))).fetch(MEMBERS, ["abc"])
    assert caught.value.code == "Invalid Resource"
    assert "(email_address: This value should be a valid email.)" in str(caught.value)


class Missing(EmulatorApp):
    """The 404 the real API answered for an audience the account does not have, served verbatim."""

    system = "mailchimp"

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", r"/3.0/lists/(?P<list_id>[^/]+)/members", self.answer)

    def answer(self, request: Request) -> Response:
        body = (REAL / "resource_not_found.json").read_bytes()
        return Response(404, body, {"Content-Type": "application/problem+json; charset=utf-8"})


def test_an_audience_the_account_lacks_is_named_with_mailchimps_words() -> None:
    app = Missing()
    with EmulatorServer(app) as server, pytest.raises(FatalAPIError) as caught:
        spec = {"conn_type": "mailchimp", "host": server.url, "password": "key-us6"}
        list(
            MailchimpConnector(parse_connection("mailchimp_default", json.dumps(spec))).read_changes(
                MEMBERS, None, 100
            )
        )
    assert caught.value.status == 404 and caught.value.code == "Resource Not Found"
    assert "The requested resource could not be found." in str(caught.value)


class Disabled(EmulatorApp):
    """The 401 the real API answered for a disabled key, served verbatim to every request."""

    system = "mailchimp"

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", r"/3.0/.*", self.answer)

    def answer(self, request: Request) -> Response:
        body = (REAL / "api_key_invalid.json").read_bytes()
        return Response(401, body, {"Content-Type": "application/problem+json; charset=utf-8"})


def test_a_disabled_key_is_named_with_mailchimps_words_and_not_retried() -> None:
    app, key = Disabled(), "0123456789abcdef0123456789abcdef-us6"
    with EmulatorServer(app) as server, pytest.raises(AuthenticationError) as caught:
        spec = {"conn_type": "mailchimp", "host": server.url, "password": key}
        connector = MailchimpConnector(parse_connection("mailchimp_default", json.dumps(spec)), policy=QUICK)
        list(connector.read_changes(MEMBERS, None, 100))
    message = str(caught.value)
    assert "HTTP 401" in message and "API Key Invalid" in message and "API key has been disabled" in message
    assert key not in message and connector.calls.retries().get("mailchimp", 0) == 0


class RecordedPages(EmulatorApp):
    """Four member pages a real account answered (count=4, offsets 0/4/8/10), served verbatim by
    offset; keeps the query of each call."""

    system = "mailchimp"
    PAGES = {"0": "members_page_1.json", "4": "members_page_2.json", "8": "members_page_3.json"}

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[dict[str, list[str]]] = []
        self.route("GET", r"/3.0/lists/(?P<list_id>[^/]+)/members", self.answer)

    def answer(self, request: Request) -> Response:
        self.queries.append(request.query)
        name = self.PAGES.get(request.arg("offset") or "0", "members_page_4.json")
        return Response(200, (REAL / name).read_bytes(), {"Content-Type": "application/json; charset=utf-8"})


def test_real_member_pages_sharing_one_last_changed_are_read_whole_by_offset() -> None:
    app = RecordedPages()
    recorded = ObjectSpec("a36b032126", ("id", "email_address", "last_changed"), "id", "last_changed")
    since = datetime(2022, 2, 23, 16, 25, 57, tzinfo=UTC)
    with EmulatorServer(app) as server:
        spec = {"conn_type": "mailchimp", "host": server.url, "password": "key-us3"}
        connector = MailchimpConnector(parse_connection("mailchimp_default", json.dumps(spec)), policy=QUICK)
        pages = list(connector.read_changes(recorded, since, 4))
    expected = [
        m["id"]
        for name in ("members_page_1.json", "members_page_2.json", "members_page_3.json")
        for m in json.loads((REAL / name).read_text())["members"]
    ]
    assert [r["id"] for p in pages for r in p.records] == expected and len(set(expected)) == 10
    assert [len(p.records) for p in pages] == [4, 4, 2] and {p.cursor for p in pages} == {since}
    assert [q["offset"][0] for q in app.queries] == ["0", "4", "8"]  # total_items 10 reached: no fourth call
    assert {q["since_last_changed"][0] for q in app.queries} == {"2022-02-23T16:25:56+00:00"}
    assert {q["count"][0] for q in app.queries} == {"4"}
