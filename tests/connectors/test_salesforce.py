"""The Salesforce connector against the Salesforce emulator: SOQL reads, Collections, Bulk API 2.0."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.emulators.salesforce import SalesforceEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer, TLSFiles
from connectors.salesforce import SalesforceConnector
from hub.errors import AuthenticationError
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
