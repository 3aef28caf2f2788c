"""The BambooHR connector against the BambooHR emulator: the change feed plus one custom report,
upserts by `customHubId` without a batch endpoint, deletes, quirks and errors; departments, the
Department list's options read through `GET /meta/lists`."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.bamboohr import DEFAULT_HOST, BambooHRConnector
from connectors.emulators.bamboohr import BambooHREmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorApp, EmulatorServer, Request, Response
from hub.errors import AuthenticationError, ConfigError, FatalAPIError, RetryableAPIError
from hub.io.connections import Connection, parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import Page, WriteOp

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
QUICK = RetryPolicy(base_delay=0.01, max_delay=0.05)
EMPLOYEES = ObjectSpec(
    "employees",
    ("id", "lastChanged", "customHubId", "firstName", "lastName", "workEmail", "hireDate", "status"),
    "id",
    "lastChanged",
    "customHubId",
)
DEPARTMENTS = ObjectSpec("departments", ("name", "optionId", "archived", "createdDate"), "name")
REPORTS = "POST /api/gateway.php/(?P<company>[^/]+)/v1/reports/custom"
LISTS = "GET /api/gateway.php/(?P<company>[^/]+)/v1/meta/lists"
SEEDED = ["Sales", "Support", "Engineering", "Finance", "Operations", "People"]
CHANGED = "GET /api/gateway.php/(?P<company>[^/]+)/v1/employees/changed"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def bamboo(clock: ManualClock) -> Iterator[tuple[BambooHREmulator, EmulatorServer]]:
    app = BambooHREmulator(clock=clock)
    app.retry_after = "0"
    with EmulatorServer(app) as server:
        yield app, server


def connector(
    app: BambooHREmulator, server: EmulatorServer, policy: RetryPolicy = QUICK, **override: Any
) -> BambooHRConnector:
    spec = {**app.connection(server.url), **override}
    return BambooHRConnector(parse_connection("bamboohr_default", json.dumps(spec)), policy=policy)


def person(i: int, **values: Any) -> dict[str, Any]:
    return {"firstName": "Em", "lastName": f"Ployee {i}", "workEmail": f"em{i}@omnihub-demo.com", **values}


def ids(pages: list[Page]) -> list[str]:
    return [r["id"] for page in pages for r in page.records]


def test_reads_follow_the_change_feed_in_last_changed_order_with_one_report(
    bamboo: tuple[BambooHREmulator, EmulatorServer], clock: ManualClock
) -> None:
    app, server = bamboo
    made = []
    for i in range(11):
        made.append(app.create(person(i)))
        clock.advance(0 if i == 8 else 10)  # 9 and 10 share a second: 9 before 10, by number
    pages = list(connector(app, server).read_changes(EMPLOYEES, None, 4))
    assert ids(pages) == made and [len(p.records) for p in pages] == [4, 4, 3]
    assert [p.cursor for p in pages] == [
        START + timedelta(seconds=30),
        START + timedelta(seconds=70),
        START + timedelta(seconds=90),
    ]
    assert pages[0].records[0] == {
        "id": made[0], "customHubId": None, "firstName": "Em", "lastName": "Ployee 0",
        "workEmail": "em0@omnihub-demo.com", "hireDate": None, "status": "Active",
        "lastChanged": "2024-03-01T12:00:00+00:00",
    }  # fmt: skip
    assert app.stats[REPORTS] == 1 and app.stats[CHANGED] == 1
    clock.advance(600)
    app.edit(made[4], {"lastName": "Edited"})
    app.edit(made[2], {"lastName": "Edited too"})
    since = clock.now - timedelta(seconds=1)
    changed = list(connector(app, server).read_changes(EMPLOYEES, since, 4))
    assert ids(changed) == [made[2], made[4]] and changed[-1].cursor == clock.now  # by (lastChanged, id)
    assert [r["lastName"] for r in changed[0].records] == ["Edited too", "Edited"]
    assert app.stats[REPORTS] == 2 and app.stats[CHANGED] == 2
    assert list(connector(app, server).read_changes(EMPLOYEES, clock.now + timedelta(seconds=1), 4)) == []
    assert app.stats[REPORTS] == 2  # nothing changed: no report


def test_empty_dates_read_as_none_and_filters_apply(bamboo: tuple[BambooHREmulator, EmulatorServer]) -> None:
    app, server = bamboo
    hired = app.create(person(1, hireDate="2021-04-01"))
    undated = app.create(person(2))
    left = app.create(person(3, status="Inactive", terminationDate="2023-05-31", hireDate="2020-01-06"))
    bhr = connector(app, server)
    fetched = {r["id"]: r for r in bhr.fetch(EMPLOYEES, [hired, undated, "999"])}
    assert set(fetched) == {hired, undated}
    assert fetched[hired]["hireDate"] == "2021-04-01" and fetched[undated]["hireDate"] is None
    assert fetched[undated]["lastChanged"] == "2024-03-01T12:00:00+00:00"
    active = ObjectSpec(
        "employees", EMPLOYEES.fields, "id", "lastChanged", "customHubId", {"status": "Active"}
    )
    assert ids(list(bhr.read_changes(active, None, 10))) == [hired, undated]
    app.clock.advance(seconds=60)  # type: ignore[attr-defined]
    app.edit(left, {"jobTitle": "Alumnus"})  # the newest change is one the filter leaves out
    pages = list(bhr.read_changes(active, None, 1))  # pages hold only what passes; totals count it
    assert [len(p.records) for p in pages] == [1, 1, 0] and {p.total for p in pages} == {2}
    assert pages[-1].cursor is not None and pages[-2].cursor is not None
    assert pages[-1].cursor > pages[-2].cursor  # the cursor moves past the filtered-out tail
    gone = ObjectSpec(
        "employees", ("id", "terminationDate"), "id", "lastChanged", filter={"status": "Inactive"}
    )
    assert [(r["id"], r["terminationDate"]) for p in bhr.read_changes(gone, None, 10) for r in p.records] == [
        (left, "2023-05-31")
    ]


def test_deleted_employees_come_from_read_deletes_only(
    bamboo: tuple[BambooHREmulator, EmulatorServer], clock: ManualClock
) -> None:
    app, server = bamboo
    first, second, kept = (app.create(person(i)) for i in range(3))
    clock.advance(60)
    app.remove(second)
    clock.advance(60)
    app.remove(first)
    bhr = connector(app, server)
    assert ids(list(bhr.read_changes(EMPLOYEES, START, 10))) == [kept]
    deleted, covered = bhr.read_deletes(EMPLOYEES, START)
    assert deleted == [second, first] and covered == START + timedelta(seconds=120)
    assert bhr.read_deletes(EMPLOYEES, clock.now + timedelta(seconds=1)) == (
        [],
        clock.now + timedelta(seconds=1),
    )


def test_find_matches_fields_and_emails_in_any_case(bamboo: tuple[BambooHREmulator, EmulatorServer]) -> None:
    app, server = bamboo
    ada = app.create(person(1, workEmail="Ada.Lovelace@omnihub-demo.com", customHubId="H-ada"))
    app.create(person(2, customHubId="H-other"))
    bhr = connector(app, server)
    assert [r["id"] for r in bhr.find(EMPLOYEES, {"workEmail": ["ada.lovelace@OMNIHUB-demo.com"]})] == [ada]
    assert [r["id"] for r in bhr.find(EMPLOYEES, {"customHubId": ["H-ada", "H-none"]})] == [ada]
    assert [r["id"] for r in bhr.find(EMPLOYEES, {"id": [int(ada)]})] == [ada]
    assert bhr.find(EMPLOYEES, {"customHubId": ["h-ada"]}) == []  # hub ids are exact


def test_upserts_create_then_update_by_hub_id_with_one_lookup_per_batch(
    bamboo: tuple[BambooHREmulator, EmulatorServer], clock: ManualClock
) -> None:
    app, server = bamboo
    bhr = connector(app, server)
    hub_ids = [str(uuid.uuid4()) for _ in range(3)]
    first = bhr.write(EMPLOYEES, [WriteOp(h, person(i, department="Support")) for i, h in enumerate(hub_ids)])
    assert all(r.ok and r.created for r in first) and app.stats[REPORTS] == 1
    stored = {r["customHubId"]: r for r in app.records()}
    assert [stored[h]["id"] for h in hub_ids] == [r.id for r in first]
    clock.advance(60)
    again = bhr.write(
        EMPLOYEES,
        [
            WriteOp(hub_ids[1], person(1, jobTitle="Support Specialist")),
            WriteOp(str(uuid.uuid4()), person(7)),
            WriteOp(hub_ids[2], {"lastName": "Renamed", "id": "ignored", "lastChanged": "x"}, first[0].id),
        ],
    )
    assert [(r.id, r.created) for r in again[::2]] == [(first[1].id, False), (first[0].id, False)]
    assert again[1].ok and again[1].created and app.stats[REPORTS] == 2
    by_id = {r["id"]: r for r in app.records()}
    assert by_id[first[1].id]["jobTitle"] == "Support Specialist"
    assert by_id[first[0].id]["lastName"] == "Renamed" and by_id[first[0].id]["customHubId"] == hub_ids[2]
    assert len(by_id) == 4


def test_ops_for_one_new_hub_id_create_one_employee_then_update_it(
    bamboo: tuple[BambooHREmulator, EmulatorServer],
) -> None:
    app, server = bamboo
    hub_id = str(uuid.uuid4())
    results = connector(app, server).write(
        EMPLOYEES, [WriteOp(hub_id, person(1)), WriteOp(hub_id, person(1, jobTitle="Recruiter"))]
    )
    assert [(r.id, r.created) for r in results] == [(results[0].id, True), (results[0].id, False)]
    assert [(r["customHubId"], r["jobTitle"]) for r in app.records()] == [(hub_id, "Recruiter")]


def test_parallel_writes_keep_one_result_per_op_in_order_with_bamboohr_messages(
    bamboo: tuple[BambooHREmulator, EmulatorServer],
) -> None:
    app, server = bamboo
    bad: dict[int, dict[str, Any]] = {
        3: {"lastName": None},
        5: {"workEmail": "em5 at example"},
        8: {"department": "Astrology"},
        11: {"supervisorEId": 999},
    }
    ops = [WriteOp(str(uuid.uuid4()), person(i, **bad.get(i, {}))) for i in range(14)]
    results = connector(app, server, extra={"max_parallel": 4}).write(EMPLOYEES, ops)
    assert [r.ok for r in results] == [i not in bad for i in range(14)]
    errors = {i: r.error for i, r in enumerate(results) if r.error is not None}
    assert errors[3].message == "lastName is required" and errors[3].fields == ("lastName",)
    assert errors[5].code == "invalid_value" and "workEmail 'em5 at example'" in errors[5].message
    assert errors[8].fields == ("department",) and "Astrology" in errors[8].message
    assert errors[11].fields == ("supervisorEId",)
    assert sorted(r["lastName"] for r in app.records()) == sorted(
        f"Ployee {i}" for i in range(14) if i not in bad
    )
    gone = connector(app, server).write(EMPLOYEES, [WriteOp(str(uuid.uuid4()), person(1), "999")])
    assert gone[0].error is not None and gone[0].error.code == "NotFound"


def test_throttling_429_is_retried_and_counted(bamboo: tuple[BambooHREmulator, EmulatorServer]) -> None:
    app, server = bamboo
    made = [app.create(person(i)) for i in range(5)]
    bhr = connector(app, server, extra={"max_parallel": 1})
    app.faults.configure(0.5, ("rate_limit",), seed=3)
    try:
        results = bhr.write(EMPLOYEES, [WriteOp(str(uuid.uuid4()), person(i)) for i in range(5, 15)])
        read = ids(list(bhr.read_changes(EMPLOYEES, None, 100)))
    finally:
        app.faults.configure(0.0, ())
    assert all(r.ok for r in results) and read == made + [str(r.id) for r in results]
    assert bhr.calls.retries()["bamboohr"] == app.stats["faults:rate_limit"] > 0


def test_throttling_beyond_the_retries_is_a_retryable_error(
    bamboo: tuple[BambooHREmulator, EmulatorServer],
) -> None:
    app, server = bamboo
    app.faults.configure(1.0, ("rate_limit",))
    with pytest.raises(RetryableAPIError) as caught:
        connector(app, server, RetryPolicy(max_attempts=2, base_delay=0.01)).fetch(EMPLOYEES, ["1"])
    assert caught.value.status == 429 and "API request limit exceeded" in str(caught.value)


def test_a_wrong_key_is_an_authentication_error_without_either_key(
    bamboo: tuple[BambooHREmulator, EmulatorServer],
) -> None:
    app, server = bamboo
    wrong = "bhr-Wrong-Key-0042"
    with pytest.raises(AuthenticationError) as caught:
        connector(app, server, password=wrong).read_changes(EMPLOYEES, None, 5).__next__()
    message = str(caught.value)
    assert "'bamboohr_default'" in message and "Invalid API key" in message
    assert wrong not in message and app.api_key not in message
    assert "omnihub" in connector(app, server).check()


def test_a_read_only_key_is_forbidden_to_write(bamboo: tuple[BambooHREmulator, EmulatorServer]) -> None:
    app, server = bamboo
    app.read_only_keys.add("bhr-reader-key-77")
    reader = connector(app, server, password="bhr-reader-key-77")
    assert reader.fetch(EMPLOYEES, ["1"]) == []
    with pytest.raises(FatalAPIError) as caught:
        reader.write(EMPLOYEES, [WriteOp(str(uuid.uuid4()), person(1))])
    assert caught.value.status == 403 and caught.value.code == "forbidden"
    assert "edit employees" in str(caught.value) and "bhr-reader-key-77" not in str(caught.value)


def test_the_connection_names_the_company_and_defaults_the_host(
    bamboo: tuple[BambooHREmulator, EmulatorServer],
) -> None:
    app, server = bamboo
    with pytest.raises(FatalAPIError) as caught:
        connector(app, server, schema="elsewhere").fetch(EMPLOYEES, ["1"])
    assert caught.value.status == 404 and "'elsewhere'" in str(caught.value)
    with pytest.raises(ConfigError, match="company domain"):
        connector(app, server, schema="").fetch(EMPLOYEES, ["1"])
    hosted = BambooHRConnector(Connection("bamboohr_default", "bamboohr", schema="acme", password="k" * 20))
    assert hosted.api_root() == f"{DEFAULT_HOST}/api/gateway.php/acme/v1/"
    with pytest.raises(FatalAPIError, match="unknown object"):
        connector(app, server).fetch(ObjectSpec("timeOff", ("id",), "id"), ["1"])


def names(pages: list[Page]) -> list[str]:
    return [r["name"] for page in pages for r in page.records]


def test_departments_are_the_department_list_options_read_whole_without_a_cursor(
    bamboo: tuple[BambooHREmulator, EmulatorServer], clock: ManualClock
) -> None:
    app, server = bamboo
    bhr = connector(app, server)
    pages = list(bhr.read_changes(DEPARTMENTS, None, 4))
    assert names(pages) == SEEDED and [len(p.records) for p in pages] == [4, 2]
    assert [(p.cursor, p.total) for p in pages] == [(None, 6), (None, 6)]
    assert pages[0].records[1] == {
        "name": "Support", "optionId": "2", "archived": "no",
        "createdDate": "2024-03-01T12:00:00+00:00", "archivedDate": None,
    }  # fmt: skip
    assert [r["optionId"] for p in pages for r in p.records] == ["1", "2", "3", "4", "5", "6"]
    later = clock.advance(3600)
    assert names(list(bhr.read_changes(DEPARTMENTS, later, 100))) == SEEDED  # `since` does not narrow
    assert bhr.count(DEPARTMENTS, later) is None and bhr.count(EMPLOYEES, None) is None  # no extra call
    assert bhr.read_deletes(DEPARTMENTS, later) == ([], later)
    singular = ObjectSpec("Department", ("name",), "name")
    assert names(list(bhr.read_changes(singular, None, 10))) == SEEDED
    assert app.stats[LISTS] == 3 and app.stats[REPORTS] == 0 and app.stats[CHANGED] == 0


def test_an_added_department_appears_and_an_archived_one_stays_listed_as_archived(
    bamboo: tuple[BambooHREmulator, EmulatorServer], clock: ManualClock
) -> None:
    app, server = bamboo
    clock.advance(60)
    assert app.add_department("Legal") == "7"
    lawyer = app.create(person(1, department="Legal"))  # employees may now be in it
    clock.advance(60)
    app.archive_department("Finance")
    bhr = connector(app, server)
    read = {r["name"]: r for p in bhr.read_changes(DEPARTMENTS, None, 100) for r in p.records}
    assert list(read) == [*SEEDED, "Legal"]
    assert read["Legal"] == {
        "name": "Legal", "optionId": "7", "archived": "no",
        "createdDate": "2024-03-01T12:01:00+00:00", "archivedDate": None,
    }  # fmt: skip
    assert (read["Finance"]["archived"], read["Finance"]["archivedDate"]) == (
        "yes",
        "2024-03-01T12:02:00+00:00",
    )
    assert read["Sales"]["archived"] == "no" and read["Sales"]["archivedDate"] is None
    assert [r["id"] for r in bhr.find(EMPLOYEES, {"department": ["Legal"]})] == [lawyer]


def test_departments_are_fetched_and_found_by_name_and_the_filter_applies(
    bamboo: tuple[BambooHREmulator, EmulatorServer],
) -> None:
    app, server = bamboo
    app.archive_department("Operations")
    bhr = connector(app, server)
    fetched = bhr.fetch(DEPARTMENTS, ["People", "Support", "Astrology"])
    assert [(r["name"], r["optionId"]) for r in fetched] == [("Support", "2"), ("People", "6")]
    assert bhr.fetch(DEPARTMENTS, []) == [] and app.stats[LISTS] == 1  # nothing asked: no call
    assert [r["optionId"] for r in bhr.find(DEPARTMENTS, {"name": ["Sales", "Legal"]})] == ["1"]
    assert [r["name"] for r in bhr.find(DEPARTMENTS, {"archived": ["yes"]})] == ["Operations"]
    assert bhr.find(DEPARTMENTS, {"name": ["sales"]}) == []  # names are exact
    active = ObjectSpec("departments", DEPARTMENTS.fields, "name", filter={"archived": "no"})
    kept = [name for name in SEEDED if name != "Operations"]
    active_pages = list(bhr.read_changes(active, None, 2))
    assert names(active_pages) == kept and [p.total for p in active_pages] == [5, 5, 5]
    assert [r["name"] for r in bhr.find(active, {"name": ["Operations", "Finance"]})] == ["Finance"]
    others = ObjectSpec("departments", ("name",), "name", filter={"name": {"not_in": ["Sales", "People"]}})
    assert names(list(bhr.read_changes(others, None, 10))) == [
        "Support",
        "Engineering",
        "Finance",
        "Operations",
    ]


def test_departments_are_not_written_and_unknown_objects_are_still_refused(
    bamboo: tuple[BambooHREmulator, EmulatorServer],
) -> None:
    app, server = bamboo
    bhr = connector(app, server)
    for ops in ([WriteOp(str(uuid.uuid4()), {"name": "Legal"})], [WriteOp("h", {"name": "Sales"}, "Sales")]):
        with pytest.raises(FatalAPIError) as caught:
            bhr.write(DEPARTMENTS, ops)
        assert str(caught.value) == (
            "bamboohr: BambooHR's departments are options of its Department list field; "
            "the hub reads them and does not write them"
        )
        assert caught.value.code == "read_only"
    assert app.store.departments == tuple(SEEDED) and app.stats.get(LISTS) is None
    timeoff = ObjectSpec("timeOff", ("id",), "id")
    calls = [
        lambda: bhr.write(timeoff, [WriteOp("h", {})]),
        lambda: list(bhr.read_changes(timeoff, None, 10)),
        lambda: bhr.count(timeoff, None),
    ]
    for call in calls:
        with pytest.raises(
            FatalAPIError, match="unknown object 'timeOff'; BambooHR serves employees and departments"
        ):
            call()


def test_reading_departments_is_retried_when_throttled(
    bamboo: tuple[BambooHREmulator, EmulatorServer],
) -> None:
    app, server = bamboo
    bhr = connector(app, server)
    app.faults.configure(0.5, ("rate_limit",), seed=3)
    try:
        read = [names(list(bhr.read_changes(DEPARTMENTS, None, 10))) for _ in range(6)]
    finally:
        app.faults.configure(0.0, ())
    assert read == [SEEDED] * 6
    assert bhr.calls.retries()["bamboohr"] == app.stats["faults:rate_limit"] > 0


REAL = Path(__file__).parents[1] / "fixtures" / "real" / "bamboohr"


class PublishedChanges(EmulatorApp):
    """BambooHR's published change-feed sample, served verbatim; keeps the query each call sent."""

    system = "bamboohr"

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[dict[str, list[str]]] = []
        self.accepts: list[str | None] = []
        self.route("GET", r"/api/gateway.php/(?P<company>[^/]+)/v1/employees/changed", self.answer)

    def answer(self, request: Request) -> Response:
        self.queries.append(request.query)
        self.accepts.append(request.headers.get("Accept"))
        body = (Path(__file__).parents[1] / "fixtures" / "real" / "bamboohr" / "changed.json").read_bytes()
        return Response(200, body, {"Content-Type": "application/json"})


def test_bamboohrs_published_change_feed_is_read_by_id() -> None:
    app = PublishedChanges()
    with EmulatorServer(app) as server:
        spec = {"conn_type": "bamboohr", "host": server.url, "schema": "acme", "password": "bhr-key"}
        connector = BambooHRConnector(parse_connection("bamboohr_default", json.dumps(spec)))
        [change] = connector.changes(datetime(2011, 6, 1, tzinfo=UTC))
    assert (change.id, change.action, change.last_changed) == ("1", "Inserted", "2011-06-02T19:26:23+00:00")
    assert change.when == datetime(2011, 6, 2, 19, 26, 23, tzinfo=UTC)
    assert app.queries[0]["since"] == ["2011-06-01T00:00:00+00:00"]
    assert app.accepts == ["application/json"]  # else BambooHR answers XML


class DirectoryDisabled(EmulatorApp):
    """BambooHR's documented 403 for a directory the caller may not see, served verbatim (status line,
    its lower-case x-bamboohr-error-message header, empty body); keeps each request's Accept."""

    system = "bamboohr"

    def __init__(self) -> None:
        super().__init__()
        self.accepts: list[str | None] = []
        self.route("GET", r"/api/gateway.php/(?P<company>[^/]+)/v1/employees/directory", self.answer)

    def answer(self, request: Request) -> Response:
        self.accepts.append(request.headers.get("Accept"))
        raw = Path(__file__).parents[1] / "fixtures" / "real" / "bamboohr" / "directory_disabled_403.http"
        head, _, body = raw.read_bytes().partition(b"\r\n\r\n")
        status_line, *lines = head.decode().split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines)
        return Response(int(status_line.split()[1]), body, headers)


def test_a_directory_the_key_may_not_see_is_named_with_bamboohrs_header() -> None:
    app = DirectoryDisabled()
    key = "bhr-secret-key-0123456789"
    with EmulatorServer(app) as server, pytest.raises(FatalAPIError) as caught:
        spec = {"conn_type": "bamboohr", "host": server.url, "schema": "acme", "password": key}
        BambooHRConnector(parse_connection("bamboohr_default", json.dumps(spec)), policy=QUICK).call(
            "GET", "employees/directory"
        )
    message = str(caught.value)
    assert caught.value.status == 403 and caught.value.code == "forbidden"
    assert "Directory disabled for this account" in message and key not in message
    assert "grant the API key's user of connection 'bamboohr_default' access in BambooHR" in message
    assert app.accepts == ["application/json"]


class PublishedWrites(BambooHREmulator):
    """The emulator (reports, auth), whose employee writes answer with the recorded create (201, empty
    body, `location: …/employees/333`) and update (200, empty body), verbatim; keeps the paths written."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[str] = []

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if request.method == "POST" and re.search(r"/v1/employees(/\d+)?$", path):
            self.written.append(path.rsplit("/v1/", 1)[1])
            name = "updated_200.json" if path[-1].isdigit() else "created_201.json"
            published = json.loads((REAL / name).read_bytes())
            return Response(published["status"], published["body"].encode(), dict(published["headers"]))
        return super().handle(request)


def test_the_published_create_and_update_answers_give_each_op_its_employee() -> None:
    app = PublishedWrites()
    with EmulatorServer(app) as server:
        results = connector(app, server).write(
            EMPLOYEES, [WriteOp("hub-new", person(1)), WriteOp("hub-old", person(2), target_id="333")]
        )
    created, updated = results
    assert (created.id, created.created, created.error) == ("333", True, None)  # from `location`
    assert (updated.id, updated.created, updated.error) == ("333", False, None)
    assert sorted(app.written) == ["employees", "employees/333"]
