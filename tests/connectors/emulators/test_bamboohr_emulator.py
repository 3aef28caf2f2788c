"""The BambooHR emulator driven by plain requests, the way BambooHR's API documentation calls it."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
import requests

from connectors.emulators.bamboohr import BambooHREmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
ADA = {"firstName": "Ada", "lastName": "Lovelace", "workEmail": "ada@omnihub-demo.com"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(clock: ManualClock) -> BambooHREmulator:
    made = BambooHREmulator(clock=clock)
    made.retry_after = "0"
    return made


@pytest.fixture
def server(app: BambooHREmulator) -> Iterator[EmulatorServer]:
    with EmulatorServer(app) as served:
        yield served


def api(
    server: EmulatorServer,
    app: BambooHREmulator,
    method: str,
    path: str,
    *,
    key: str | None = None,
    **kw: Any,
) -> requests.Response:
    """A call under the company's `v1/`, with the API key as the Basic user and "x" as the password."""
    url = f"{server.url}/api/gateway.php/{app.company}/v1/{path}"
    headers = {"Accept": "application/json", **kw.pop("headers", {})}
    return requests.request(method, url, auth=(key or app.api_key, "x"), headers=headers, timeout=10, **kw)


def report(server: EmulatorServer, app: BambooHREmulator, body: dict[str, Any]) -> requests.Response:
    return api(server, app, "POST", "reports/custom", params={"format": "JSON"}, json=body)


def test_the_change_feed_is_an_object_keyed_by_id_with_actions(
    app: BambooHREmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    old = app.create(ADA)
    clock.advance(60)
    app.edit(old, {"jobTitle": "Analyst"})
    new = app.create({"firstName": "Grace", "lastName": "Hopper"})
    answer = api(server, app, "GET", "employees/changed/", params={"since": "2024-03-01T12:00:30+00:00"})
    assert answer.status_code == 200
    body = answer.json()
    assert isinstance(body["employees"], dict) and set(body["employees"]) == {old, new}
    assert body["employees"][old] == {
        "id": old,
        "action": "Updated",
        "lastChanged": "2024-03-01T12:01:00+00:00",
    }
    assert body["employees"][new]["action"] == "Inserted"
    assert body["latest"] == "2024-03-01T12:01:00+00:00"
    inserted = api(
        server, app, "GET", "employees/changed/", params={"since": START.isoformat(), "type": "inserted"}
    )
    assert set(inserted.json()["employees"]) == {old, new}  # `since` is inclusive
    later = api(server, app, "GET", "employees/changed/", params={"since": "2024-03-01T12:02:00Z"})
    assert later.json() == {"latest": "2024-03-01T12:02:00+00:00", "employees": {}}


def test_a_plus_sent_unencoded_is_refused_with_the_error_header(
    app: BambooHREmulator, server: EmulatorServer
) -> None:
    url = f"{server.url}/api/gateway.php/{app.company}/v1/employees/changed/?since=2024-03-01T12:00:00+00:00"
    raw = requests.get(url, auth=(app.api_key, "x"), headers={"Accept": "application/json"}, timeout=10)
    assert raw.status_code == 400 and raw.content == b""
    assert "%2B" in raw.headers["X-BambooHR-Error-Message"]
    missing = api(server, app, "GET", "employees/changed/")
    assert missing.status_code == 400 and "since" in missing.headers["X-BambooHR-Error-Message"]


def test_deleted_employees_show_in_the_feed_and_nowhere_else(
    app: BambooHREmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    gone, kept = app.create(ADA), app.create({"firstName": "Grace", "lastName": "Hopper"})
    clock.advance(10)
    app.remove(gone)
    deleted = api(
        server, app, "GET", "employees/changed/", params={"since": START.isoformat(), "type": "deleted"}
    )
    assert deleted.json()["employees"] == {
        gone: {"id": gone, "action": "Deleted", "lastChanged": "2024-03-01T12:00:10+00:00"}
    }
    assert api(server, app, "GET", f"employees/{gone}/").status_code == 404
    rows = report(server, app, {"title": "All", "fields": ["firstName"]}).json()["employees"]
    assert [r["id"] for r in rows] == [kept]


def test_a_custom_report_answers_text_values_and_0000_00_00_for_empty_dates(
    app: BambooHREmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    boss = app.create(ADA | {"hireDate": "2020-02-03", "department": "Engineering"})
    clock.advance(60)
    report_to = app.create({"firstName": "Grace", "lastName": "Hopper", "supervisorEId": int(boss)})
    answer = report(
        server, app, {"title": "People", "fields": ["firstName", "hireDate", "supervisorEId", "lastChanged"]}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["title"] == "People"
    assert body["fields"][1] == {"id": "hireDate", "type": "date", "name": "Hire Date"}
    assert body["employees"] == [
        {"id": boss, "firstName": "Ada", "hireDate": "2020-02-03", "supervisorEId": None,
         "lastChanged": "2024-03-01T12:00:00+00:00"},
        {"id": report_to, "firstName": "Grace", "hireDate": "0000-00-00", "supervisorEId": boss,
         "lastChanged": "2024-03-01T12:01:00+00:00"},
    ]  # fmt: skip
    recent = {
        "fields": ["firstName"],
        "filters": {"lastChanged": {"includeNull": "no", "value": "2024-03-01T12:00:30Z"}},
    }
    assert [r["id"] for r in report(server, app, recent).json()["employees"]] == [report_to]
    unknown = report(server, app, {"fields": ["firstName", "shoeSize"]})
    assert unknown.status_code == 400 and "shoeSize" in unknown.headers["X-BambooHR-Error-Message"]
    xml = api(server, app, "POST", "reports/custom", params={"format": "XML"}, json={"fields": ["firstName"]})
    assert xml.status_code == 200 and ElementTree.fromstring(xml.content).tag == "report"


def test_create_answers_201_with_the_location_and_update_moves_last_changed(
    app: BambooHREmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    created = api(server, app, "POST", "employees/", json=ADA | {"customHubId": "H-1"})
    assert created.status_code == 201 and created.content == b""
    location = created.headers["Location"]
    assert location.startswith(f"{server.url}/api/gateway.php/omnihub/v1/employees/")
    new_id = location.rsplit("/", 1)[-1]
    clock.advance(30)
    assert api(server, app, "POST", f"employees/{new_id}/", json={"jobTitle": "Analyst"}).status_code == 200
    shown = api(
        server,
        app,
        "GET",
        f"employees/{new_id}/",
        params={"fields": "firstName,jobTitle,customHubId,lastChanged,terminationDate"},
    )
    assert shown.json() == {
        "id": new_id, "firstName": "Ada", "jobTitle": "Analyst", "customHubId": "H-1",
        "lastChanged": "2024-03-01T12:00:30+00:00", "terminationDate": "0000-00-00",
    }  # fmt: skip
    clock.advance(30)
    api(server, app, "POST", f"employees/{new_id}/", json={"jobTitle": "Analyst"})  # no change
    assert app.records()[0]["lastChanged"] == "2024-03-01T12:00:30+00:00"
    assert app.records()[0]["displayName"] == "Ada Lovelace"


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"firstName": "Ada"}, "lastName is required"),
        (ADA | {"workEmail": "ada at example"}, "workEmail"),
        (ADA | {"department": "Astrology"}, "department 'Astrology'"),
        (ADA | {"supervisorEId": "999"}, "supervisorEId '999'"),
        (ADA | {"hireDate": "2024-02-30"}, "hireDate"),
        (ADA | {"status": "Retired"}, "status"),
        (ADA | {"shoeSize": "42"}, "shoeSize"),
    ],
)
def test_invalid_employees_are_refused_with_the_error_header(
    app: BambooHREmulator, server: EmulatorServer, values: dict[str, Any], words: str
) -> None:
    answer = api(server, app, "POST", "employees/", json=values)
    assert answer.status_code == 400 and answer.content == b""
    assert words in answer.headers["X-BambooHR-Error-Message"]
    assert app.records() == []


def test_updates_are_validated_and_unknown_ids_are_404(app: BambooHREmulator, server: EmulatorServer) -> None:
    ada = app.create(ADA)
    selfish = api(server, app, "POST", f"employees/{ada}/", json={"supervisorEId": ada})
    assert selfish.status_code == 400 and "supervise" in selfish.headers["X-BambooHR-Error-Message"]
    cleared = api(server, app, "POST", f"employees/{ada}/", json={"lastName": ""})
    assert cleared.status_code == 400 and app.records()[0]["lastName"] == "Lovelace"
    assert api(server, app, "POST", "employees/999/", json={"jobTitle": "x"}).status_code == 404
    assert (
        api(server, app, "GET", "employees/999/").headers["X-BambooHR-Error-Message"]
        == "Employee 999 not found"
    )


def test_keys_company_and_accept_header_are_checked(app: BambooHREmulator, server: EmulatorServer) -> None:
    wrong = api(server, app, "GET", "meta/fields", key="not-the-key")
    assert wrong.status_code == 401 and wrong.headers["X-BambooHR-Error-Message"] == "Invalid API key"
    app.read_only_keys.add("reader-key")
    assert api(server, app, "GET", "meta/fields", key="reader-key").status_code == 200
    forbidden = api(server, app, "POST", "employees/", key="reader-key", json=ADA)
    assert forbidden.status_code == 403 and app.records() == []
    other = requests.get(
        f"{server.url}/api/gateway.php/elsewhere/v1/meta/fields", auth=(app.api_key, "x"), timeout=10
    )
    assert other.status_code == 404 and "elsewhere" in other.headers["X-BambooHR-Error-Message"]
    xml = api(server, app, "GET", "meta/fields", headers={"Accept": "application/xml"})
    assert xml.status_code == 200 and ElementTree.fromstring(xml.content).tag == "fields"  # BambooHR's XML
    fields = api(server, app, "GET", "meta/fields").json()
    assert {"alias": "customHubId", "name": "Hub ID", "type": "text"}.items() <= fields[-2].items()


def test_meta_lists_has_the_department_list_whose_options_employees_name(
    app: BambooHREmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    clock.advance(30)
    assert app.add_department("Legal") == "7"
    app.create({**ADA, "department": "Legal"})
    clock.advance(30)
    app.archive_department("Sales")
    app.archive_department("Sales")  # again: the first archive date stays
    answer = api(server, app, "GET", "meta/lists")
    assert answer.status_code == 200
    (department,) = answer.json()
    assert {k: v for k, v in department.items() if k != "options"} == {
        "fieldId": 4008, "manageable": "yes", "multiple": "no", "name": "Department", "alias": "department",
    }  # fmt: skip
    options = department["options"]
    assert [(o["id"], o["name"], o["archived"]) for o in options] == [
        (1, "Sales", "yes"), (2, "Support", "no"), (3, "Engineering", "no"), (4, "Finance", "no"),
        (5, "Operations", "no"), (6, "People", "no"), (7, "Legal", "no"),
    ]  # fmt: skip
    assert options[0] == {
        "id": 1, "archived": "yes", "createdDate": "2024-03-01T12:00:00+00:00",
        "archivedDate": "2024-03-01T12:01:00+00:00", "name": "Sales",
    }  # fmt: skip
    assert options[6]["createdDate"] == "2024-03-01T12:00:30+00:00" and options[6]["archivedDate"] is None
    with pytest.raises(ValueError, match="already an option"):
        app.add_department("Support")
    with pytest.raises(ValueError, match="'Astrology' is not one of the options"):
        app.archive_department("Astrology")
    refused = api(server, app, "POST", "employees/", json={**ADA, "department": "Astrology"})
    assert "Legal" in refused.headers["X-BambooHR-Error-Message"]
    assert api(server, app, "GET", "meta/lists", key="not-the-key").status_code == 401
    app.faults.configure(1.0, ("rate_limit",))
    throttled = api(server, app, "GET", "meta/lists")
    app.faults.configure(0.0, ())
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers


def test_the_directory_lists_active_employees_unless_disabled(
    app: BambooHREmulator, server: EmulatorServer
) -> None:
    ada = app.create(ADA)
    app.create(
        {"firstName": "Gone", "lastName": "Away", "status": "Inactive", "terminationDate": "2023-01-31"}
    )
    directory = api(server, app, "GET", "employees/directory").json()
    assert [e["id"] for e in directory["employees"]] == [ada]
    assert directory["employees"][0]["displayName"] == "Ada Lovelace"
    assert any(f["id"] == "workEmail" for f in directory["fields"])
    app.directory_enabled = False
    refused = api(server, app, "GET", "employees/directory")
    # BambooHR's reference: 403, an empty body, `x-bamboohr-error-message: Directory disabled for this account`
    assert refused.status_code == 403 and refused.content == b""
    assert refused.headers["x-bamboohr-error-message"] == "Directory disabled for this account"


def test_throttling_is_429_with_retry_after_and_unavailability_503(
    app: BambooHREmulator, server: EmulatorServer
) -> None:
    """BambooHR's "Planned Changes to the API": from 2026-09-16 a rate-limited request answers 429 (not
    503) and "every rate-limited response includes a `Retry-After` header"; 503 still means down."""
    app.retry_after = "7"
    app.faults.configure(1.0, ("rate_limit",))
    throttled = api(server, app, "GET", "meta/fields")
    app.faults.configure(1.0, ("unavailable",))
    down = api(server, app, "GET", "meta/fields")
    app.faults.configure(0.0, ())
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    assert "limit" in throttled.headers["X-BambooHR-Error-Message"]
    assert down.status_code == 503 and down.headers["Retry-After"] == "7"
    assert api(server, app, "GET", "meta/fields").status_code == 200


def test_the_sandbox_is_a_realistic_deterministic_company() -> None:
    app = BambooHREmulator(clock=ManualClock(START))
    app.seed_sandbox({}, 7)
    staff = app.records()
    assert len(staff) == 150
    again = BambooHREmulator(clock=ManualClock(START))
    again.seed_sandbox({"accounts": 5}, 7)
    assert again.records() == staff
    departments = Counter(e["department"] for e in staff)
    assert set(departments) == {"Sales", "Support", "Engineering", "Finance", "Operations", "People"}
    assert departments["Support"] >= 25
    by_id = {e["id"]: e for e in staff}
    roots = [e for e in staff if e["supervisorEId"] is None]
    assert [e["jobTitle"] for e in roots] == ["Chief Executive Officer"]
    for employee in staff:  # every chain of supervisors ends at the CEO
        seen, boss = set(), employee["supervisorEId"]
        while boss is not None:
            assert boss in by_id and boss not in seen
            seen.add(boss)
            boss = by_id[boss]["supervisorEId"]
    leavers = [e for e in staff if e["status"] == "Inactive"]
    assert 10 <= len(leavers) <= 20 and all(e["terminationDate"] for e in leavers)
    assert all(e["terminationDate"] is None for e in staff if e["status"] == "Active")
    assert all(date.fromisoformat(e["terminationDate"]) > date.fromisoformat(e["hireDate"]) for e in leavers)
    assert 1 <= sum(e["hireDate"] is None for e in staff) <= 5
    emails = [e["workEmail"] for e in staff]
    assert len(set(emails)) == 150 and all(e.endswith("@omnihub-demo.com") for e in emails)
    other = BambooHREmulator(clock=ManualClock(START))
    other.seed_sandbox({"employees": 40}, 8)
    assert len(other.records()) == 40 and other.records() != staff[:40]


def plain(server: EmulatorServer, app: BambooHREmulator, path: str, **kw: Any) -> requests.Response:
    """A call without `Accept: application/json`, as XML-reading clients (PyBambooHR's style) make it."""
    url = f"{server.url}/api/gateway.php/{app.company}/v1/{path}"
    return requests.get(url, auth=(app.api_key, "x"), timeout=10, **kw)


def test_without_accept_json_bamboohr_answers_xml(app: BambooHREmulator, server: EmulatorServer) -> None:
    ada = app.create(ADA)
    directory = ElementTree.fromstring(plain(server, app, "employees/directory").content)
    assert directory.tag == "directory" and directory.find("fieldset/field[@id='firstName']") is not None
    [employee] = directory.findall("employees/employee")
    assert employee.get("id") == ada and employee.findtext("field[@id='firstName']") == ADA["firstName"]
    one = plain(server, app, f"employees/{ada}/", params={"fields": "firstName,lastName"})
    assert one.headers["Content-Type"].startswith("text/xml")
    shown = ElementTree.fromstring(one.content)
    assert (shown.tag, shown.get("id"), shown.findtext("field[@id='lastName']")) == (
        "employee",
        ada,
        ADA["lastName"],
    )
    changed = ElementTree.fromstring(
        plain(server, app, "employees/changed/", params={"since": "2000-01-01T00:00:00Z"}).content
    )
    assert changed.get("latest") and changed.find("employee").get("action") == "Inserted"
    lists = ElementTree.fromstring(plain(server, app, "meta/lists").content)
    assert lists.find("list").get("alias") == "department" and lists.find("list/options/option") is not None
    assert plain(server, app, "employees/999/").status_code == 404  # errors stay bodiless, in the header


def test_changed_tables_give_each_changed_employees_dated_rows(
    app: BambooHREmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    ada = app.create({**ADA, "jobTitle": "Analyst", "department": app.store.departments[0]})
    other = app.create({"firstName": "Grace", "lastName": "Hopper"})
    since = clock.now + timedelta(minutes=1)
    clock.advance(minutes=5)
    app.edit(ada, {"jobTitle": "Lead Analyst"})
    app.edit(other, {"workEmail": "grace@omnihub.example"})  # no jobInfo column changed
    params = {"since": since.isoformat().replace("+00:00", "Z")}
    answer = api(server, app, "GET", "employees/changed/tables/jobInfo", params=params).json()
    assert answer["table"] == "jobInfo" and list(answer["employees"]) == [ada]
    rows = answer["employees"][ada]["rows"]
    assert [r["jobTitle"] for r in rows] == ["Analyst", "Lead Analyst"] and rows[-1][
        "date"
    ] == clock.now.date().isoformat()
    everyone = api(
        server, app, "GET", "employees/changed/tables/jobInfo", params={"since": "2000-01-01T00:00:00Z"}
    ).json()
    assert sorted(everyone["employees"]) == sorted([ada, other])
    missing = api(server, app, "GET", "employees/changed/tables/shoeSizes", params=params)
    assert missing.status_code == 404 and "shoeSizes" in missing.headers["X-BambooHR-Error-Message"]
    xml = ElementTree.fromstring(
        plain(server, app, "employees/changed/tables/jobInfo", params=params).content
    )
    assert xml.find("employee").get("id") == ada and len(xml.findall("employee/row")) == 2


def test_table_rows_of_one_employee_or_all_as_pybamboohr_reads_them(
    app: BambooHREmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    """`GET employees/{id|all}/tables/{table}` (PyBambooHR's get_tabular_data): JSON rows carrying
    their id and employeeId when asked, else `<table><row id employeeId><field id>…` as it parses."""
    ada = app.create({**ADA, "jobTitle": "Analyst"})
    gone = app.create(
        {"firstName": "Gone", "lastName": "Away", "status": "Inactive", "terminationDate": "2023-01-31"}
    )
    clock.advance(minutes=5)
    app.edit(ada, {"jobTitle": "Lead Analyst"})
    mine = api(server, app, "GET", f"employees/{ada}/tables/jobInfo").json()
    assert [(r["id"], r["employeeId"], r["jobTitle"]) for r in mine] == [
        ("1", ada, "Analyst"),
        ("2", ada, "Lead Analyst"),
    ]
    everyone = api(server, app, "GET", "employees/all/tables/jobInfo").json()
    assert sorted({r["employeeId"] for r in everyone}) == sorted([ada, gone])  # terminated ones too
    table = ElementTree.fromstring(plain(server, app, f"employees/{ada}/tables/jobInfo").content)
    assert table.tag == "table" and [row.get("employeeId") for row in table.findall("row")] == [ada, ada]
    titles = [row.find("field[@id='jobTitle']").text for row in table.findall("row")]  # type: ignore[union-attr]
    assert titles == ["Analyst", "Lead Analyst"]
    missing = api(server, app, "GET", f"employees/{ada}/tables/shoeSizes")
    assert missing.status_code == 404 and "shoeSizes" in missing.headers["X-BambooHR-Error-Message"]
    assert api(server, app, "GET", "employees/999/tables/jobInfo").status_code == 404


REAL = Path(__file__).parents[2] / "fixtures" / "real" / "bamboohr"


def test_the_directory_has_the_shape_of_bamboohrs_published_sample(
    app: BambooHREmulator, server: EmulatorServer
) -> None:
    """Keys compared with BambooHR's sample answer (tests/fixtures/real/bamboohr/directory.json):
    `fields` of {id, type, name}, and employees holding `id` plus exactly the fields' ids."""
    published = json.loads((REAL / "directory.json").read_bytes())
    app.create(ADA)
    answer = api(server, app, "GET", "employees/directory").json()
    assert set(answer) == set(published) == {"fields", "employees"}
    for body in (published, answer):
        assert all(set(f) == {"id", "type", "name"} for f in body["fields"])
        ids = {f["id"] for f in body["fields"]}
        assert all(set(e) == {"id"} | ids for e in body["employees"])


def test_writes_answer_as_the_published_create_and_update(
    app: BambooHREmulator, server: EmulatorServer
) -> None:
    """A create is 201 with an empty body and the new employee's URL in Location, an update 200 with an
    empty body, as the recorded answers (created_201.json, updated_200.json) are."""
    created, updated = (
        json.loads((REAL / name).read_bytes()) for name in ("created_201.json", "updated_200.json")
    )
    made = api(server, app, "POST", "employees/", json=ADA)
    assert (made.status_code, made.content.decode()) == (created["status"], created["body"])
    pattern = r"/api/gateway\.php/[^/]+/v1/employees/(\d+)$"
    published_id = re.search(pattern, urlsplit(created["headers"]["location"]).path)
    new_id = re.search(pattern, urlsplit(made.headers["Location"]).path)
    assert published_id is not None and new_id is not None
    changed = api(server, app, "POST", f"employees/{new_id.group(1)}/", json={"firstName": "Augusta"})
    assert (changed.status_code, changed.content.decode()) == (updated["status"], updated["body"])
