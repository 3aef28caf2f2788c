"""The Salesforce connector against the Salesforce emulator: SOQL reads, Collections, Bulk API 2.0."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter

from connectors.emulators.salesforce import SalesforceEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer, TLSFiles
from connectors.salesforce import SalesforceConnector
from hub.errors import AuthenticationError, QuotaExhausted
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import WriteOp

CONTACTS = ObjectSpec(
    "Contact",
    ("Id", "SystemModstamp", "Hub_Id__c", "FirstName", "LastName", "Email", "AccountId", "Account.Name"),
    "Id",
    "SystemModstamp",
    "Hub_Id__c",
)
START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def org(clock: ManualClock, tls_files: TLSFiles) -> Iterator[tuple[SalesforceEmulator, EmulatorServer]]:
    app = SalesforceEmulator(clock=clock, bulk_progress_polls=1)
    with EmulatorServer(app, tls=tls_files) as server:
        yield app, server


def connector(org: tuple[SalesforceEmulator, EmulatorServer], **extra: Any) -> SalesforceConnector:
    app, server = org
    spec = app.connection(server.url, server.tls.ca_cert if server.tls else None)
    spec["extra"] |= {"bulk_poll_seconds": 0.01, **extra}
    conn = parse_connection("salesforce_default", json.dumps(spec))
    return SalesforceConnector(conn, policy=RetryPolicy(base_delay=0.01, max_delay=0.05))


def contact(i: int, **values: Any) -> WriteOp:
    return WriteOp(
        str(uuid.uuid4()),
        {"FirstName": "Ada", "LastName": f"Lovelace {i}", "Email": f"ada{i}@example.com", **values},
    )


def test_full_and_incremental_reads(
    org: tuple[SalesforceEmulator, EmulatorServer], clock: ManualClock
) -> None:
    app, _ = org
    app.seed(accounts=50, contacts=2500, seed=3)
    c = connector(org)
    pages = list(c.read_changes(CONTACTS, None, 2000))
    assert [len(p.records) for p in pages] == [2000, 500]
    assert pages[0].total == 2500
    stamps = [r["SystemModstamp"] for p in pages for r in p.records]
    assert stamps == sorted(stamps)
    assert "attributes" not in pages[0].records[0]
    linked = next(r for p in pages for r in p.records if r["AccountId"])
    assert set(linked["Account"]) == {"Name"}
    clock.advance(minutes=10)
    changed_id = pages[1].records[10]["Id"]
    app.edit("Contact", changed_id, {"Title": "Countess"})
    recent = list(c.read_changes(CONTACTS, clock.now - timedelta(seconds=1), 2000))
    assert [r["Id"] for p in recent for r in p.records] == [changed_id]
    assert recent[0].cursor == clock.now


def test_records_sharing_one_timestamp_are_not_lost_across_pages(
    org: tuple[SalesforceEmulator, EmulatorServer],
) -> None:
    app, _ = org
    ids = {app.create("Contact", {"LastName": f"Same {i}"}) for i in range(450)}  # one frozen clock
    c = connector(org)
    pages = list(c.read_changes(CONTACTS, START - timedelta(seconds=1), 200))
    assert [len(p.records) for p in pages] == [200, 200, 50]
    assert {r["Id"] for p in pages for r in p.records} == ids


def test_reads_ask_for_the_largest_page(org: tuple[SalesforceEmulator, EmulatorServer]) -> None:
    app, _ = org
    app.seed(accounts=5, contacts=100)
    c = connector(org)
    list(c.read_changes(CONTACTS, None, 5000))
    sent = []
    original = c.session.request

    def spy(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(kwargs.get("headers", {}).get("Sforce-Query-Options"))
        return original(method, url, *args, **kwargs)

    c.session.request = spy  # type: ignore[method-assign]
    list(c.read_changes(CONTACTS, None, 5000))
    assert sent == ["batchSize=2000"]


@pytest.mark.parametrize("count", [1, 200, 201, 1000, 1999])
def test_writes_take_at_most_ceil_n_over_200_plus_3_calls(
    org: tuple[SalesforceEmulator, EmulatorServer], count: int
) -> None:
    app, _ = org
    c = connector(org)
    results = c.write(CONTACTS, [contact(i) for i in range(count)])
    assert all(r.ok and r.created for r in results)
    assert c.calls.total("salesforce") <= math.ceil(count / 200) + 3
    assert len(app.records("Contact")) == count


def test_upserts_by_hub_id_never_duplicate_and_updates_go_by_id(
    org: tuple[SalesforceEmulator, EmulatorServer],
) -> None:
    app, _ = org
    c = connector(org)
    ops = [contact(i) for i in range(5)]
    first = c.write(CONTACTS, ops)
    again = c.write(CONTACTS, ops)
    assert [r.id for r in again] == [r.id for r in first] and not any(r.created for r in again)
    existing = app.create("Contact", {"LastName": "Made by hand"})
    [matched] = c.write(CONTACTS, [WriteOp(str(uuid.uuid4()), {"LastName": "Matched"}, existing)])
    assert matched.ok and matched.id == existing
    assert app.record(existing)["Hub_Id__c"] is not None  # type: ignore[index]
    assert len(app.records("Contact")) == 6


def test_one_result_per_record_in_order_with_salesforce_codes(
    org: tuple[SalesforceEmulator, EmulatorServer],
) -> None:
    c = connector(org)
    ops = [
        contact(0),
        contact(1, LastName=None),
        contact(2, Email="not-an-email"),
        contact(3),
        contact(4, AccountId="001000000000000AAA"),
    ]
    results = c.write(CONTACTS, ops)
    assert [r.ok for r in results] == [True, False, False, True, False]
    assert [r.error.code for r in results if r.error] == [
        "REQUIRED_FIELD_MISSING",
        "INVALID_EMAIL_ADDRESS",
        "INVALID_CROSS_REFERENCE_KEY",
    ]


def test_large_writes_go_through_bulk_api_2(org: tuple[SalesforceEmulator, EmulatorServer]) -> None:
    app, _ = org
    c = connector(org, bulk_threshold=1000)
    ops = [contact(i) for i in range(1200)]
    ops[7] = contact(7, Email="broken@")
    results = c.write(CONTACTS, ops)
    assert sum(r.ok for r in results) == 1199
    assert results[7].error is not None and results[7].error.code == "INVALID_EMAIL_ADDRESS"
    assert results[0].created and results[0].id == app.records("Contact")[0]["Id"]
    assert c.calls.total("salesforce") <= math.ceil(1200 / 200) + 3
    jobs = sum(
        n for route, n in app.stats.items() if route.startswith("POST") and route.endswith("/jobs/ingest")
    )
    assert jobs == 1


def test_throttling_is_a_403_that_is_retried(org: tuple[SalesforceEmulator, EmulatorServer]) -> None:
    app, _ = org
    c = connector(org)
    c.write(CONTACTS, [contact(0)])
    app.faults.configure(0.5, ("rate_limit", "unavailable"), seed=2)
    results = c.write(CONTACTS, [contact(i) for i in range(1, 600)])
    app.faults.configure(0.0, ())
    assert all(r.ok for r in results)
    assert c.calls.retries()["salesforce"] > 0
    assert len(app.records("Contact")) == 600


def test_an_expired_session_is_renewed(org: tuple[SalesforceEmulator, EmulatorServer]) -> None:
    app, _ = org
    c = connector(org)
    c.write(CONTACTS, [contact(0)])
    app.expire_tokens()
    assert c.write(CONTACTS, [contact(1)])[0].ok


def test_refused_credentials_are_a_clear_error_without_secrets(
    org: tuple[SalesforceEmulator, EmulatorServer],
) -> None:
    app, server = org
    spec = app.connection(server.url, server.tls.ca_cert if server.tls else None)
    spec["password"] = "wrong-password-123"
    c = SalesforceConnector(parse_connection("salesforce_default", json.dumps(spec)))
    with pytest.raises(
        AuthenticationError, match="connection 'salesforce_default': login refused: invalid_grant"
    ) as caught:
        c.fetch(CONTACTS, ["003000000000001AAA"])
    assert "wrong-password-123" not in str(caught.value)


def test_fetch_find_and_deletes(tls_files: TLSFiles) -> None:
    clock = ManualClock(datetime.now(UTC) - timedelta(minutes=30))  # the deleted/ window ends at "now"
    app = SalesforceEmulator(clock=clock)
    with EmulatorServer(app, tls=tls_files) as server:
        check_fetch_find_and_deletes(app, server, clock)


def check_fetch_find_and_deletes(app: SalesforceEmulator, server: EmulatorServer, clock: ManualClock) -> None:
    start = clock.now
    c = connector((app, server))
    ids = [r.id for r in c.write(CONTACTS, [contact(i) for i in range(5)])]
    assert sorted(r["Id"] for r in c.fetch(CONTACTS, [str(ids[1]), str(ids[3])])) == sorted([ids[1], ids[3]])
    found = c.find(CONTACTS, {"Email": ["ada2@example.com", "nobody@example.com"]})
    assert [r["Id"] for r in found] == [ids[2]]
    clock.advance(minutes=2)
    app.delete(str(ids[4]))
    clock.advance(minutes=2)
    deleted, covered = c.read_deletes(CONTACTS, start)
    assert deleted == [ids[4]] and covered == clock.now.replace(second=0, microsecond=0)
    assert all(r.ok for r in c.delete(CONTACTS, [str(ids[0])]))
    assert app.record(str(ids[0]))["IsDeleted"] is True  # type: ignore[index]


# ---- the 24-hour API allocation ----


def test_a_spent_daily_allocation_stops_the_run_after_one_call(tls_files: TLSFiles) -> None:
    app = SalesforceEmulator(clock=ManualClock(START), daily_api_limit=0)
    with EmulatorServer(app, tls=tls_files) as server:
        c = connector((app, server))
        with pytest.raises(QuotaExhausted, match="within 24 hours") as caught:
            c.write(CONTACTS, [contact(0)])
    assert caught.value.code == "REQUEST_LIMIT_EXCEEDED" and caught.value.resets_at is None
    assert "PATCH /services/data/v59.0/composite/sobjects/Contact/Hub_Id__c" in str(caught.value)
    assert c.calls.total("salesforce") == 2  # the login and one refused call, not retried
    assert not c.calls.retries().get("salesforce")


def test_reaching_the_allocation_in_sforce_limit_info_stops_before_salesforce_refuses(
    tls_files: TLSFiles,
) -> None:
    app = SalesforceEmulator(clock=ManualClock(START), daily_api_limit=5)
    with EmulatorServer(app, tls=tls_files) as server:
        c = connector((app, server), api_reserve=3)
        c.write(CONTACTS, [contact(0)])  # api-usage=1/5
        with pytest.raises(QuotaExhausted, match=r"api-usage=2/5 .* reserve of 3"):
            c.write(CONTACTS, [contact(1)])
        assert app.api_usage == 2  # stopped on the answer that reached 5 - 3; nothing more was sent


# ---- bodies published by Salesforce, served verbatim ----

FIXTURES = Path(__file__).parents[1] / "fixtures" / "real" / "salesforce"
HOST = "https://acme.my.salesforce.example"
TOKEN = {
    "access_token": "00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog",
    "instance_url": HOST,
    "id": f"{HOST}/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS",
    "token_type": "Bearer",
    "issued_at": "1709290800000",
    "signature": "0CmxinZir53Yex7nE0TD+zMpvIWYGb/bdJh6XfOH6EQ=",
}


class Published(BaseAdapter):
    """Answers (METHOD, path) from queued (status, body) pairs, with Salesforce's usage header."""

    def __init__(self, answers: dict[tuple[str, str], list[tuple[int, Any]]], usage: str = "18/5000"):
        super().__init__()
        self.answers, self.usage, self.sent = answers, usage, list[str]()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        path = urlsplit(str(request.url)).path.rstrip("/")
        self.sent.append(f"{request.method} {path}")
        status, body = self.answers[(str(request.method), path)].pop(0)
        response = requests.Response()
        response.status_code, response.url, response.request = status, str(request.url), request
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json;charset=UTF-8"
        if not path.startswith("/services/oauth2"):
            response.headers["Sforce-Limit-Info"] = f"api-usage={self.usage}"
        return response

    def close(self) -> None:
        pass


def published(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def published_org(
    answers: dict[tuple[str, str], list[tuple[int, Any]]], usage: str = "18/5000", **extra: Any
) -> tuple[SalesforceConnector, Published]:
    answers.setdefault(("POST", "/services/oauth2/token"), [(200, TOKEN), (200, TOKEN)])
    spec = {
        "conn_type": "salesforce",
        "host": HOST,
        "login": "integration@example.com",
        "password": "pw-secret",
        "extra": {"client_id": "3MVG9", "client_secret": "cs-secret", **extra},
    }
    c = SalesforceConnector(
        parse_connection("salesforce_default", json.dumps(spec)),
        policy=RetryPolicy(base_delay=0.01, max_delay=0.05),
    )
    adapter = Published(answers, usage)
    c.session.mount(HOST, adapter)
    return c, adapter


QUERY = ("GET", "/services/data/v59.0/query")
ACCOUNTS = ObjectSpec("Account", ("Id", "Name", "(SELECT Id, FirstName, LastName FROM Contacts)"), "Id")


def test_published_child_subquery_records_lose_attributes_at_every_level() -> None:
    c, _ = published_org({QUERY: [(200, published("query_child_subquery.json"))]})
    records = c.fetch(ACCOUNTS, ["001R000000Z1Y0xYAA", "001R000000Z1Y0zYBB"])
    assert records == [
        {
            "Id": "001R000000Z1Y0xYAA",
            "Name": "Acme Corp (West)",
            "Contacts": [{"Id": "003R000000A1BCDFXX", "FirstName": "Jane", "LastName": "Doe"}],
        },
        {"Id": "001R000000Z1Y0zYBB", "Name": "Acme Corp (East)", "Contacts": None},
    ]


def test_published_query_pages_follow_next_records_url() -> None:
    more = ("GET", "/services/data/v59.0/query/01gRO0000016PIAYA2-2")
    c, adapter = published_org(
        {
            QUERY: [(200, published("query_next_records_url.json"))],
            more: [(200, published("query_more_last_page.json"))],
        }
    )
    spec = ObjectSpec("Contact", ("Id", "Name"), "Id")
    pages = list(c.read_changes(spec, None, 2000))
    assert [[r["Id"] for r in p.records] for p in pages] == [
        ["003RO0000035WQgYAM", "003RO0000035WQhYAM"],
        ["003RO0000035WQiYAM"],
    ]
    assert pages[0].total == 3 and adapter.sent[-1] == "GET " + more[1]


def test_published_request_limit_exceeded_is_not_retried() -> None:
    c, adapter = published_org({QUERY: [(403, published("request_limit_exceeded.json"))] * 5})
    with pytest.raises(QuotaExhausted, match=r"TotalRequests Limit exceeded.*within 24 hours"):
        list(c.read_changes(ObjectSpec("Contact", ("Id",), "Id"), None, 2000))
    assert adapter.sent.count("GET /services/data/v59.0/query") == 1


def test_published_usage_header_at_the_allocation_stops_the_run() -> None:
    c, adapter = published_org({QUERY: [(200, published("query_more_last_page.json"))]}, usage="5000/5000")
    with pytest.raises(QuotaExhausted, match="api-usage=5000/5000"):
        c.fetch(ObjectSpec("Contact", ("Id", "Name"), "Id"), ["003RO0000035WQiYAM"])
    assert adapter.sent.count("GET /services/data/v59.0/query") == 1


def test_published_invalid_session_renews_the_token_once() -> None:
    c, adapter = published_org(
        {
            QUERY: [
                (401, published("invalid_session_id.json")),
                (200, published("query_more_last_page.json")),
            ]
        }
    )
    records = c.fetch(ObjectSpec("Contact", ("Id", "Name"), "Id"), ["003RO0000035WQiYAM"])
    assert records == [{"Id": "003RO0000035WQiYAM", "Name": "Jim Brown"}]
    assert adapter.sent.count("POST /services/oauth2/token") == 2


def test_published_collection_write_result_maps_per_record_errors() -> None:
    c, _ = published_org(
        {
            ("PATCH", "/services/data/v59.0/composite/sobjects"): [
                (200, published("composite_sobjects_errors.json"))
            ]
        }
    )
    ops = [
        WriteOp("h1", {"Name": "Acme"}, target_id="001RM000003oLnnYAE"),
        WriteOp("h2", {"Name": "Bad"}, target_id="001RM000003oLrB000"),
    ]
    ok, bad = c.write(ObjectSpec("Account", ("Id", "Name"), "Id"), ops)
    assert ok.ok and ok.id == "001RM000003oLnnYAE" and not ok.created
    assert not bad.ok and bad.error is not None
    assert (bad.error.code, bad.error.message) == ("MALFORMED_ID", "malformed id 001RM000003oLrB000")


def test_child_subquery_reads_from_the_emulator_are_plain_lists(
    org: tuple[SalesforceEmulator, EmulatorServer],
) -> None:
    app, _ = org
    account = app.create("Account", {"Name": "Acme"})
    contact_id = app.create("Contact", {"LastName": "Doe", "Email": "doe@acme.example", "AccountId": account})
    spec = ObjectSpec("Account", ("Id", "Name", "(SELECT Id, Email, Account.Name FROM Contacts)"), "Id")
    (page,) = connector(org).read_changes(spec, None, 2000)
    assert page.records == [
        {
            "Id": account,
            "Name": "Acme",
            "Contacts": [{"Id": contact_id, "Email": "doe@acme.example", "Account": {"Name": "Acme"}}],
        }
    ]
