"""The Salesforce emulator driven by simple-salesforce itself, unchanged, over TLS."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceOperationError,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from connectors.emulators.salesforce import ManualClock, SalesforceEmulator
from connectors.emulators.seed import invalid_count
from connectors.emulators.server import EmulatorServer, TLSFiles
from connectors.emulators.tls import ensure_tls_files

T0 = datetime(2024, 3, 1, 9, 0, 0, tzinfo=UTC)
SF_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000")
NEXT_URL = re.compile(r"/services/data/v59\.0/query/01g\w{15}-(\d+)")


@dataclass
class Org:
    """A running emulator and everything a test needs to reach it."""

    app: SalesforceEmulator
    server: EmulatorServer
    clock: ManualClock
    session: requests.Session
    sf: Salesforce

    @property
    def url(self) -> str:
        return self.server.url

    def admin(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        return self.session.post(f"{self.url}/__emulator__/{path}", json=payload or {}).json()


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return ensure_tls_files(tmp_path_factory.mktemp("tls"))


def trusting_session(tls: TLSFiles) -> requests.Session:
    """A session that trusts only the emulator's CA (REQUESTS_CA_BUNDLE would override `verify`)."""
    session = requests.Session()
    session.verify, session.trust_env = tls.ca_cert, False
    return session


def oauth_token(
    session: requests.Session, url: str, app: SalesforceEmulator, **form: str
) -> requests.Response:
    creds = app.credentials
    data = {
        "grant_type": "password",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "username": creds.username,
        "password": creds.password + creds.security_token,
    }
    return session.post(f"{url}/services/oauth2/token", data=data | form)


def start(tls: TLSFiles, accounts: int = 40, contacts: int = 300, **options: Any) -> Iterator[Org]:
    clock = ManualClock(T0)
    app = SalesforceEmulator(clock=clock, **options)
    app.seed(accounts, contacts, seed=7)
    with EmulatorServer(app, tls=tls) as server:
        session = trusting_session(tls)
        token = oauth_token(session, server.url, app).json()
        sf = Salesforce(instance_url=token["instance_url"], session_id=token["access_token"], session=session)
        yield Org(app, server, clock, session, sf)
        session.close()


@pytest.fixture
def org(tls: TLSFiles) -> Iterator[Org]:
    yield from start(tls)


@pytest.fixture
def empty_org(tls: TLSFiles) -> Iterator[Org]:
    yield from start(tls, accounts=0, contacts=0)


def error_of(exc: pytest.ExceptionInfo[Any]) -> dict[str, Any]:
    content = exc.value.content
    assert isinstance(content, list), content
    first: dict[str, Any] = content[0]
    return first


def contact_rows(n: int, **overrides: Any) -> list[dict[str, Any]]:
    return [
        {"attributes": {"type": "Contact"}, "LastName": f"Row{i}", "Email": f"row{i}@example.com"} | overrides
        for i in range(n)
    ]


# ---- login and sessions ----


def test_password_grant_returns_a_token_for_this_emulator_and_refuses_bad_credentials(org: Org) -> None:
    body = oauth_token(org.session, org.url, org.app).json()
    assert body["instance_url"] == org.url and body["token_type"] == "Bearer"
    assert set(body) == {"access_token", "instance_url", "id", "token_type", "issued_at", "signature"}
    assert body["issued_at"] == str(int(T0.timestamp() * 1000))

    refused = oauth_token(org.session, org.url, org.app, password="wrong")
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_grant", "error_description": "authentication failure"}
    assert (
        oauth_token(org.session, org.url, org.app, client_secret="nope").json()["error"] == "invalid_client"
    )
    assert oauth_token(org.session, org.url, org.app, client_id="nope").json()["error"] == "invalid_client_id"


def test_client_credentials_login_through_simple_salesforce(org: Org) -> None:
    creds = org.app.credentials
    sf = Salesforce(
        consumer_key=creds.client_id,
        consumer_secret=creds.client_secret,
        domain=org.app.login_domain(org.url, "omnihub.my"),
        session=org.session,
    )
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 40


def test_username_password_token_login_logs_in_again_when_the_session_expires(org: Org) -> None:
    creds = org.app.credentials
    sf = Salesforce(
        username=creds.username,
        password=creds.password,
        security_token=creds.security_token,
        domain=org.app.login_domain(org.url),
        session=org.session,
    )
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 300
    assert org.admin("expire-tokens")["expired"] >= 2
    assert (
        sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 300
    )  # simple-salesforce re-ran the SOAP login
    assert sum(count for route, count in org.app.stats.items() if "/services/Soap/u/" in route) == 2

    with pytest.raises(SalesforceAuthenticationFailed, match="INVALID_LOGIN"):
        Salesforce(username=creds.username, password=creds.password, security_token="wrong",
                   domain=org.app.login_domain(org.url), session=org.session)  # fmt: skip


def test_a_given_session_that_expires_raises_salesforce_expired_session(org: Org) -> None:
    org.sf.query("SELECT Id FROM Account LIMIT 1")
    org.clock.advance(hours=2, seconds=1)
    with pytest.raises(SalesforceExpiredSession) as exc:
        org.sf.query("SELECT Id FROM Account LIMIT 1")
    assert exc.value.status == 401
    assert error_of(exc) == {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}


def test_every_rest_response_reports_api_usage(org: Org) -> None:
    org.sf.query("SELECT Id FROM Account LIMIT 1")
    first = org.sf.api_usage["api-usage"]
    limits = org.sf.limits()
    assert (first.used, first.total) == (1, 15000)
    assert org.sf.api_usage["api-usage"].used == 2
    assert limits["DailyApiRequests"] == {"Max": 15000, "Remaining": 15000 - 2}


# ---- SOQL ----


def test_query_pages_follow_batch_size_and_next_records_url(org: Org) -> None:
    options = {"Sforce-Query-Options": "batchSize=200"}
    first = org.sf.query("SELECT Id, LastName FROM Contact ORDER BY Id", headers=options)
    assert (first["totalSize"], first["done"], len(first["records"])) == (300, False, 200)
    assert NEXT_URL.fullmatch(first["nextRecordsUrl"]).group(1) == "200"  # type: ignore[union-attr]

    second = org.sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert (second["totalSize"], second["done"], len(second["records"])) == (300, True, 100)
    assert "nextRecordsUrl" not in second
    ids = [r["Id"] for r in first["records"] + second["records"]]
    assert ids == sorted(ids) and len(set(ids)) == 300

    tiny = org.sf.query("SELECT Id FROM Contact", headers={"Sforce-Query-Options": "batchSize=5"})
    assert len(tiny["records"]) == 200, "batch sizes below 200 are raised to 200"
    assert len(org.sf.query_all("SELECT Id FROM Contact", headers=options)["records"]) == 300


def test_a_query_result_is_a_snapshot_taken_when_it_ran(org: Org) -> None:
    first = org.sf.query(
        "SELECT Id, LastName FROM Contact ORDER BY Id", headers={"Sforce-Query-Options": "batchSize=200"}
    )
    later = org.app.records("Contact")[250]
    org.app.edit("Contact", later["Id"], {"LastName": "Changed"})
    org.app.delete(org.app.records("Contact")[260]["Id"])
    rest = org.sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)["records"]
    assert len(rest) == 100
    assert {"Id": later["Id"], "LastName": later["LastName"]}.items() <= dict(rest[50]).items()


def test_query_leaves_deleted_records_out_and_query_all_keeps_them(org: Org) -> None:
    victim = org.app.records("Contact")[0]["Id"]
    org.sf.Contact.delete(victim)
    soql = f"SELECT Id, IsDeleted FROM Contact WHERE Id = '{victim}'"
    assert org.sf.query(soql)["totalSize"] == 0
    everything = org.sf.query_all(soql, include_deleted=True)
    assert [(r["Id"], r["IsDeleted"]) for r in everything["records"]] == [(victim, True)]


def test_soql_filters_and_ordering_match_the_data(org: Org) -> None:
    contacts = org.app.records("Contact")
    soql = (
        "SELECT Id, LastName, MailingCountryCode FROM Contact "
        "WHERE (MailingCountryCode IN ('DE', 'FR') OR LastName LIKE 'm%') AND NOT Email = null "
        "AND MailingCountryCode NOT IN ('XX') ORDER BY LastName DESC, Id ASC LIMIT 25 OFFSET 5"
    )
    got = [r["Id"] for r in org.sf.query(soql)["records"]]
    wanted = [
        c for c in contacts
        if (c["MailingCountryCode"] in ("DE", "FR") or c["LastName"].lower().startswith("m"))
        and c["Email"] is not None and c["MailingCountryCode"] != "XX"
    ]  # fmt: skip
    wanted.sort(key=lambda c: c["Id"])
    wanted.sort(key=lambda c: c["LastName"].casefold(), reverse=True)
    assert got == [c["Id"] for c in wanted[5:30]]


@pytest.mark.parametrize(
    "literal", ["2023-09-01T00:00:00Z", "2023-09-01T02:00:00.000+0200", "2023-09-01T00:00:00+00:00"]
)
def test_unquoted_datetime_literals_in_any_iso_spelling(org: Org, literal: str) -> None:
    cutoff = datetime(2023, 9, 1, tzinfo=UTC)
    result = org.sf.query_all(
        f"SELECT Id, SystemModstamp FROM Contact WHERE SystemModstamp >= {literal} ORDER BY SystemModstamp"
    )
    stamps = [r["SystemModstamp"] for r in result["records"]]
    expected = [
        c
        for c in org.app.records("Contact")
        if datetime.strptime(c["SystemModstamp"], "%Y-%m-%dT%H:%M:%S.%f%z") >= cutoff
    ]
    assert len(stamps) == len(expected) > 0
    assert stamps == sorted(stamps) and all(SF_DATETIME.fullmatch(s) for s in stamps)


def test_parent_relationship_fields_come_back_nested_with_their_own_attributes(org: Org) -> None:
    orphan = org.sf.Contact.create({"LastName": "Nobody"})["id"]
    account = org.app.records("Account")[0]
    employee = org.sf.Contact.create({"LastName": "Staff", "AccountId": account["Id"]})["id"]
    soql = f"SELECT Id, Account.Name, Account.BillingCity FROM Contact WHERE Id IN ('{orphan}', '{employee}') ORDER BY LastName"
    nobody, staff = org.sf.query(soql)["records"]
    assert nobody["Account"] is None
    assert staff["Account"] == {
        "attributes": {"type": "Account", "url": f"/services/data/v59.0/sobjects/Account/{account['Id']}"},
        "Name": account["Name"],
        "BillingCity": account["BillingCity"],
    }
    filtered = org.sf.query(
        f"SELECT Id FROM Contact WHERE Account.Name = '{account['Name'].replace(chr(39), chr(92) + chr(39))}'"
    )
    assert employee in [r["Id"] for r in filtered["records"]]


def test_count_and_case_insensitive_names(org: Org) -> None:
    assert org.sf.query("select count() from contact where lastname != null")["totalSize"] == 300
    record = org.sf.query("select id, lastname from CONTACT limit 1")["records"][0]
    assert set(record) == {"attributes", "Id", "LastName"}


def test_date_literals_and_null_ordering(org: Org) -> None:
    born = [c["Birthdate"] for c in org.app.records("Contact")]
    older = org.sf.query("SELECT COUNT() FROM Contact WHERE Birthdate < 1980-01-01")["totalSize"]
    assert older == sum(1 for b in born if b is not None and b < "1980-01-01") > 0
    first = org.sf.query("SELECT Birthdate FROM Contact ORDER BY Birthdate LIMIT 1")["records"][0]
    last = org.sf.query("SELECT Birthdate FROM Contact ORDER BY Birthdate DESC NULLS LAST LIMIT 1")[
        "records"
    ][0]
    assert first["Birthdate"] is None and last["Birthdate"] == max(b for b in born if b)


@pytest.mark.parametrize(
    ("soql", "code", "message"),
    [
        ("SELECT Id FORM Contact", "MALFORMED_QUERY", "ERROR at Row:1:Column:11\nunexpected token: 'FORM'"),
        ("SELECT Id, Foo FROM Contact", "INVALID_FIELD", "No such column 'Foo' on entity 'Contact'. If you are"),
        ("SELECT Id FROM Contat", "INVALID_TYPE", "sObject type 'Contat' is not supported."),
        ("SELECT Id FROM Contact WHERE CreatedDate > '2024-01-01'", "INVALID_QUERY_FILTER_OPERATOR",
         "value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes"),
        ("SELECT Id FROM Contact WHERE LastName = 'a' AND Email = 'b' OR Title = 'c'", "MALFORMED_QUERY",
         "unexpected token: 'OR'"),
        ("SELECT Id FROM Contact WHERE Description = 'x'", "INVALID_FIELD", "can not be filtered"),
        ("SELECT Id FROM Contact WHERE Id = 'nope'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: nope"),
        ("SELECT Id, Owner.Name FROM Contact", "INVALID_FIELD", "Didn't understand relationship 'Owner'"),
    ],
)  # fmt: skip
def test_bad_soql_is_answered_with_salesforce_error_codes(
    org: Org, soql: str, code: str, message: str
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        org.sf.query(soql)
    assert error_of(exc)["errorCode"] == code
    assert message in error_of(exc)["message"]


# ---- single records ----


def test_create_get_update_upsert_and_delete_one_record(org: Org) -> None:
    created = org.sf.Contact.create({"FirstName": "Ana", "LastName": "López", "Email": "ana@example.com"})
    assert created["success"] is True and created["errors"] == [] and created["id"].startswith("003")
    record = org.sf.Contact.get(created["id"])
    assert (record["Name"], record["CreatedDate"]) == ("Ana López", "2024-03-01T09:00:00.000+0000")

    org.clock.advance(seconds=61.5)
    assert org.sf.Contact.update(created["id"], {"Title": "CFO"}) == 204
    assert org.sf.Contact.get(created["id"])["SystemModstamp"] == "2024-03-01T09:01:01.500+0000"

    hub_id = "0b6f1c2e-7f43-4d8e-9a55-2f1c3a9e8d10"
    first = org.sf.Contact.upsert(f"Hub_Id__c/{hub_id}", {"LastName": "Upserted"}, raw_response=True)
    again = org.sf.Contact.upsert(f"Hub_Id__c/{hub_id}", {"LastName": "Again"}, raw_response=True)
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (again.status_code, again.json()) == (
        200,
        {"id": first.json()["id"], "success": True, "errors": [], "created": False},
    )
    assert org.sf.Contact.get_by_custom_id("Hub_Id__c", hub_id)["LastName"] == "Again"

    assert org.sf.Contact.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound) as exc:
        org.sf.Contact.get(created["id"])
    assert error_of(exc)["errorCode"] == "ENTITY_IS_DELETED"


@pytest.mark.parametrize(
    ("values", "code", "message"),
    [
        ({"FirstName": "No"}, "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]"),
        ({"LastName": "X", "Email": "foo"}, "INVALID_EMAIL_ADDRESS", "Email: invalid email address: foo"),
        ({"LastName": "X" * 81}, "STRING_TOO_LONG", "Last Name: data value too large: " + "X" * 81 + " (max length=80)"),
        ({"LastName": "X", "Foo__c": 1}, "INVALID_FIELD", "No such column 'Foo__c' on sobject of type Contact"),
        ({"LastName": "X", "CreatedDate": "2020-01-01T00:00:00Z"}, "INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: CreatedDate."),
        ({"LastName": "X", "AccountId": "nonsense"}, "MALFORMED_ID", "Account ID: id value of incorrect type: nonsense"),
        ({"LastName": "X", "AccountId": "001000000000000AAA"}, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"),
        ({"LastName": "X", "Birthdate": "21-03-1978"}, "JSON_PARSER_ERROR", "Cannot deserialize instance of date from VALUE_STRING value 21-03-1978"),
    ],
)  # fmt: skip
def test_invalid_writes_are_refused_with_salesforce_error_codes(
    org: Org, values: dict[str, Any], code: str, message: str
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        org.sf.Contact.create(values)
    assert error_of(exc)["errorCode"] == code
    assert error_of(exc)["message"].startswith(message)
    assert org.sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 300


def test_an_external_id_value_belongs_to_one_record(org: Org) -> None:
    first = org.sf.Contact.create({"LastName": "One", "Hub_Id__c": "hub-1"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        org.sf.Contact.create({"LastName": "Two", "Hub_Id__c": "HUB-1"})
    assert error_of(exc) == {
        "message": f"duplicate value found: Hub_Id__c duplicates value on record with id: {first[:15]}",
        "errorCode": "DUPLICATE_VALUE",
    }


def test_missing_records_and_unknown_resources_answer_not_found(org: Org) -> None:
    with pytest.raises(SalesforceResourceNotFound) as exc:
        org.sf.Contact.get("003000000000000AAA")
    assert error_of(exc) == {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    with pytest.raises(SalesforceResourceNotFound, match="Provided external ID field does not exist"):
        org.sf.Contact.get_by_custom_id("LastName", "Smith")
    answer = org.session.put(f"{org.url}/services/data/v59.0/sobjects/Contact/003000000000000AAA",
                             headers={"Authorization": f"Bearer {org.sf.session_id}"})  # fmt: skip
    assert answer.status_code == 405 and answer.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"


def test_deleting_an_account_deletes_its_contacts(org: Org) -> None:
    account = org.app.records("Account")[0]["Id"]
    children = org.sf.query(f"SELECT Id FROM Contact WHERE AccountId = '{account}'")["records"]
    assert children
    org.clock.advance(minutes=5)
    org.sf.Account.delete(account)
    org.clock.advance(minutes=5)
    gone = org.sf.Contact.deleted(T0, org.clock() + timedelta(minutes=1))["deletedRecords"]
    assert {r["id"] for r in gone} == {r["Id"] for r in children}
    assert all(r["deletedDate"] == "2024-03-01T09:05:00.000+0000" for r in gone)


def test_updated_and_deleted_list_changes_within_the_window(org: Org) -> None:
    contacts = org.app.records("Contact")
    org.clock.advance(minutes=10)
    org.sf.Contact.update(contacts[0]["Id"], {"Title": "Edited"})
    org.sf.Contact.delete(contacts[1]["Id"])
    org.clock.advance(minutes=10)
    window = (T0 + timedelta(minutes=5), T0 + timedelta(minutes=15, seconds=30))
    updated = org.sf.Contact.updated(*window)
    deleted = org.sf.Contact.deleted(*window)
    assert updated == {"ids": [contacts[0]["Id"]], "latestDateCovered": "2024-03-01T09:15:00.000+0000"}
    assert [r["id"] for r in deleted["deletedRecords"]] == [contacts[1]["Id"]]
    assert SF_DATETIME.fullmatch(deleted["earliestDateAvailable"])
    with pytest.raises(SalesforceMalformedRequest, match="INVALID_REPLICATION_DATE"):
        org.sf.Contact.updated(window[1], window[0])


def test_describe_reports_objects_and_fields(org: Org) -> None:
    assert [s["name"] for s in org.sf.describe()["sobjects"]] == [
        "Account",
        "Contact",
        "Case",
        "Order",
        "Invoice__c",
    ]
    fields = {f["name"]: f for f in org.sf.Contact.describe()["fields"]}
    assert (
        fields["Hub_Id__c"]["externalId"],
        fields["Hub_Id__c"]["unique"],
        fields["Hub_Id__c"]["length"],
    ) == (True, True, 36)
    assert (
        fields["AccountId"]["referenceTo"] == ["Account"]
        and fields["AccountId"]["relationshipName"] == "Account"
    )
    assert fields["LastName"]["nillable"] is False and fields["Email"]["type"] == "email"
    assert fields["SystemModstamp"]["updateable"] is False and fields["Birthdate"]["type"] == "date"


# ---- sObject Collections ----


def test_collections_answer_each_row_in_request_order(empty_org: Org) -> None:
    rows = contact_rows(4)
    rows[1]["Email"] = "not-an-email"
    rows[2].pop("LastName")
    results = empty_org.sf.restful(
        "composite/sobjects", method="POST", json={"allOrNone": False, "records": rows}
    )
    assert [r["success"] for r in results] == [True, False, False, True]
    assert results[1]["errors"] == [
        {
            "statusCode": "INVALID_EMAIL_ADDRESS",
            "message": "Email: invalid email address: not-an-email",
            "fields": ["Email"],
        }
    ]
    assert results[2]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING" and "id" not in results[2]
    assert empty_org.sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 2


def test_collections_all_or_none_rolls_every_row_back(empty_org: Org) -> None:
    rows = contact_rows(3)
    rows[2]["Email"] = "broken@"
    results = empty_org.sf.restful(
        "composite/sobjects", method="POST", json={"allOrNone": True, "records": rows}
    )
    assert [r["errors"][0]["statusCode"] for r in results] == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK", "ALL_OR_NONE_OPERATION_ROLLED_BACK", "INVALID_EMAIL_ADDRESS",
    ]  # fmt: skip
    assert empty_org.sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 0


def test_collections_refuse_more_than_200_records(empty_org: Org) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        empty_org.sf.restful("composite/sobjects", method="POST", json={"records": contact_rows(201)})
    assert exc.value.status == 400
    assert error_of(exc) == {
        "message": "record limit reached. cannot submit more than 200 records into this call",
        "errorCode": "EXCEEDED_ID_LIMIT",
    }
    assert (
        len(empty_org.sf.restful("composite/sobjects", method="POST", json={"records": contact_rows(200)}))
        == 200
    )


def test_collections_upsert_update_retrieve_and_delete(empty_org: Org) -> None:
    sf = empty_org.sf
    upsert = [
        {"attributes": {"type": "Contact"}, "Hub_Id__c": f"h-{i}", "LastName": f"U{i}"} for i in range(3)
    ]
    created = sf.restful("composite/sobjects/Contact/Hub_Id__c", method="PATCH", json={"records": upsert})
    assert [r["created"] for r in created] == [True, True, True]
    upsert[0]["LastName"] = "Renamed"
    again = sf.restful("composite/sobjects/Contact/Hub_Id__c", method="PATCH", json={"records": upsert[:1]})
    assert again == [{"id": created[0]["id"], "success": True, "errors": [], "created": False}]

    ids = [r["id"] for r in created]
    updates = [{"attributes": {"type": "Contact"}, "id": ids[1], "Title": "VP"},
               {"attributes": {"type": "Contact"}, "id": "001000000000000AAA", "Title": "VP"}]  # fmt: skip
    updated = sf.restful("composite/sobjects", method="PATCH", json={"records": updates})
    assert updated[0]["success"] and updated[1]["errors"][0]["statusCode"] == "MALFORMED_ID"

    read = sf.restful(
        "composite/sobjects/Contact",
        params={"ids": ",".join([*ids, "003000000000000AAA"]), "fields": "LastName,Title"},
    )
    assert [r and (r["LastName"], r["Title"]) for r in read] == [
        ("Renamed", None),
        ("U1", "VP"),
        ("U2", None),
        None,
    ]

    deleted = sf.restful(
        "composite/sobjects",
        method="DELETE",
        params={"ids": f"{ids[0]},{ids[0]},garbage", "allOrNone": "false"},
    )
    assert [r["success"] for r in deleted] == [True, False, False]
    assert [deleted[1]["errors"][0]["statusCode"], deleted[2]["errors"][0]["statusCode"]] == [
        "ENTITY_IS_DELETED",
        "MALFORMED_ID",
    ]


# ---- Bulk API 2.0 ----


def test_bulk2_upsert_reports_failed_and_successful_rows(empty_org: Org) -> None:
    sf = empty_org.sf
    existing = sf.Contact.create({"LastName": "Before", "Hub_Id__c": "b-0"})["id"]
    records = [
        {"Hub_Id__c": "b-0", "LastName": "After", "Email": "after@example.com"},
        {"Hub_Id__c": "b-1", "LastName": "New", "Email": "new@example.com"},
        {"Hub_Id__c": "b-2", "LastName": "", "Email": "missing-name@example.com"},
        {"Hub_Id__c": "b-3", "LastName": "Bad", "Email": "bad@"},
        {"Hub_Id__c": "", "LastName": "No key", "Email": "nokey@example.com"},
    ]
    [job] = sf.bulk2.Contact.upsert(records=records, external_id_field="Hub_Id__c", wait=0)
    assert {k: job[k] for k in ("numberRecordsProcessed", "numberRecordsFailed", "numberRecordsTotal")} == {
        "numberRecordsProcessed": 5, "numberRecordsFailed": 3, "numberRecordsTotal": 5,
    }  # fmt: skip
    successes = list(csv.DictReader(io.StringIO(sf.bulk2.Contact.get_successful_records(job["job_id"]))))
    failures = list(csv.DictReader(io.StringIO(sf.bulk2.Contact.get_failed_records(job["job_id"]))))
    assert [(r["sf__Id"] == existing, r["sf__Created"], r["Hub_Id__c"]) for r in successes] == [
        (True, "false", "b-0"), (False, "true", "b-1"),
    ]  # fmt: skip
    assert [(r["Hub_Id__c"], r["sf__Error"]) for r in failures] == [
        ("b-2", "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"),
        ("b-3", "INVALID_EMAIL_ADDRESS:Email: invalid email address: bad@:Email --"),
        ("", "MISSING_ARGUMENT:Hub_Id__c not specified:--"),
    ]
    [header] = sf.bulk2.Contact.get_unprocessed_records(job["job_id"]).splitlines()
    assert set(header.split(",")) == {"Hub_Id__c", "Email", "LastName"}
    assert sf.Contact.get(existing)["LastName"] == "After"


def test_bulk2_update_and_delete_by_id_and_a_job_that_fails(empty_org: Org) -> None:
    sf = empty_org.sf
    ids = [sf.Contact.create({"LastName": f"C{i}", "Title": "Old"})["id"] for i in range(3)]
    [update] = sf.bulk2.Contact.update(
        records=[{"Id": ids[0], "Title": "Boss"}, {"Id": ids[1], "Title": "#N/A"}], wait=0
    )
    assert update["numberRecordsFailed"] == 0
    assert [sf.Contact.get(i)["Title"] for i in ids] == ["Boss", None, "Old"]
    [delete] = sf.bulk2.Contact.delete(records=[{"Id": ids[2]}], wait=0)
    assert delete["numberRecordsProcessed"] == 1
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 2
    with pytest.raises(SalesforceOperationError, match="Field name not found : Nickname"):
        sf.bulk2.Contact.insert(records=[{"LastName": "X", "Nickname": "x"}], wait=0)
    job = sf.restful("jobs/ingest", method="POST", json={"object": "Contact", "operation": "insert"})
    assert (
        sf.restful(f"jobs/ingest/{job['id']}", method="PATCH", json={"state": "Aborted"})["state"]
        == "Aborted"
    )
    listed = sf.restful("jobs/ingest")["records"]
    assert [job["state"] for job in listed] == ["JobComplete", "JobComplete", "Failed", "Aborted"]
    assert sf.restful(f"jobs/ingest/{job['id']}", method="DELETE") is None
    assert len(sf.restful("jobs/ingest")["records"]) == 3


# ---- throttling and outages ----


def test_injected_rate_limit_is_salesforce_403_request_limit_exceeded(org: Org) -> None:
    org.admin("faults", {"rate": 1.0, "kinds": ["rate_limit"]})
    with pytest.raises(SalesforceRefusedRequest) as exc:
        org.sf.query("SELECT Id FROM Account")
    assert exc.value.status == 403
    assert error_of(exc) == {  # concurrency throttling, which passes in seconds
        "message": "ConcurrentPerOrgLongTxn Limit exceeded.",
        "errorCode": "REQUEST_LIMIT_EXCEEDED",
    }
    raw = org.session.get(
        f"{org.url}/services/data/v59.0/limits/", headers={"Authorization": f"Bearer {org.sf.session_id}"}
    )
    assert raw.status_code == 403 and "Retry-After" not in raw.headers

    org.admin("faults", {"rate": 1.0, "kinds": ["unavailable"]})
    with pytest.raises(SalesforceGeneralError) as down:
        org.sf.query("SELECT Id FROM Account")
    assert down.value.status == 503 and error_of(down)["errorCode"] == "SERVER_UNAVAILABLE"
    org.admin("faults", {"rate": 0.0})
    assert org.sf.query("SELECT COUNT() FROM Account")["totalSize"] == 40


def test_exhausting_the_daily_allocation_refuses_further_calls(tls: TLSFiles) -> None:
    for small in start(tls, accounts=1, contacts=0, daily_api_limit=2):
        small.sf.query("SELECT Id FROM Account")
        assert small.sf.api_usage["api-usage"].used == 1  # simple-salesforce parses Sforce-Limit-Info
        small.sf.query("SELECT Id FROM Account")
        assert small.sf.api_usage["api-usage"].total == 2
        with pytest.raises(SalesforceRefusedRequest) as exc:
            small.sf.query("SELECT Id FROM Account")
        assert error_of(exc) == {
            "message": "TotalRequests Limit exceeded.",
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
        }


# ---- seeding and scale ----


def test_seeded_records_are_deterministic_spread_over_two_years_and_1_percent_broken(org: Org) -> None:
    twin = SalesforceEmulator(clock=ManualClock(T0))
    twin.seed(40, 300, seed=7)
    assert twin.records("Contact") == org.app.records("Contact")
    assert len(org.app.invalid_records) == invalid_count(40) + invalid_count(300) == 3
    created = [
        datetime.strptime(c["CreatedDate"], "%Y-%m-%dT%H:%M:%S.%f%z") for c in org.app.records("Contact")
    ]
    assert min(created) >= T0 - timedelta(days=731) and max(created) <= T0
    assert max(created) - min(created) > timedelta(days=600)
    contacts = {c["Id"]: c for c in org.app.records("Contact")}
    broken = [contacts[i] for i in org.app.invalid_records if i in contacts]
    assert broken and all(c["Email"] is not None for c in broken)


def test_ten_thousand_contacts_seed_and_page_in_2000s(tls: TLSFiles) -> None:
    app = SalesforceEmulator(clock=ManualClock(T0))
    app.seed(2000, 10000)
    with EmulatorServer(app, tls=tls) as server:
        sf = Salesforce(instance_url=server.url, session_id=app.access_token(), session=trusting_session(tls))
        soql = "SELECT Id, FirstName, LastName, Email, Account.Name, SystemModstamp FROM Contact ORDER BY SystemModstamp, Id"
        page = sf.query(soql)
        pages = 1
        while not page["done"]:
            assert len(page["records"]) == 2000
            page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
            pages += 1
        assert (pages, page["totalSize"]) == (5, 10000)


def test_the_sandbox_connection_carries_the_org_credentials(org: Org) -> None:
    connection = org.app.connection(org.url, "/ca.pem")
    assert connection["host"] == org.url and connection["login"] == org.app.credentials.username
    assert connection["extra"]["security_token"] == org.app.credentials.security_token
    assert connection["extra"]["ca_bundle"] == "/ca.pem"


def test_a_case_gets_a_number_and_closes_with_its_status(org: Org) -> None:
    contact = org.sf.Contact.create({"LastName": "Requester", "Email": "req@example.com"})["id"]
    created = org.sf.Case.create({"Subject": "Printer on fire", "ContactId": contact})
    case = org.sf.Case.get(created["id"])
    assert (case["Status"], case["Priority"], case["IsClosed"], case["ClosedDate"]) == (
        "New",
        "Medium",
        False,
        None,
    )
    assert case["CaseNumber"] and case["CaseNumber"].isdigit()
    org.sf.Case.update(created["id"], {"Status": "Closed"})
    closed = org.sf.Case.get(created["id"])
    assert closed["IsClosed"] is True and closed["ClosedDate"]
    problem = org.sf.Case.create  # a read-only field is refused, as Salesforce does
    with pytest.raises(SalesforceMalformedRequest, match="INVALID_FIELD_FOR_INSERT_UPDATE"):
        problem({"Subject": "x", "IsClosed": True})


def test_an_order_needs_its_account_and_keeps_money_exact(org: Org) -> None:
    account = org.sf.Account.create({"Name": "Order Co"})["id"]
    with pytest.raises(SalesforceMalformedRequest, match="REQUIRED_FIELD_MISSING"):
        org.sf.Order.create({"EffectiveDate": "2024-03-01"})
    amounts = {"Amount_Untaxed__c": 1234567890123.45, "Amount_Tax__c": 0.1, "Amount_Total__c": 0.005}
    created = org.sf.Order.create({"AccountId": account, "EffectiveDate": "2024-03-01", **amounts})
    order = org.sf.Order.get(created["id"])
    assert (order["Status"], order["CurrencyIsoCode"], order["ActivatedDate"]) == ("Draft", "USD", None)
    assert order["OrderNumber"].isdigit()
    raw = org.session.get(
        f"{org.url}/services/data/v59.0/sobjects/Order/{created['id']}",
        headers={"Authorization": f"Bearer {org.sf.session_id}"},
    )
    # Currency fields keep two decimals, rounded half up, and come back as exact JSON numbers.
    assert '"Amount_Untaxed__c":1234567890123.45' in raw.text
    assert '"Amount_Tax__c":0.10' in raw.text and '"Amount_Total__c":0.01' in raw.text
    org.sf.Order.update(created["id"], {"Status": "Activated"})
    assert org.sf.Order.get(created["id"])["ActivatedDate"]
    listed = org.sf.query("SELECT Id, OrderNumber FROM Order ORDER BY OrderNumber")[
        "records"
    ]  # Order: no keyword
    assert [r["Id"] for r in listed] == [created["id"]]


def test_invoices_are_a_custom_object_on_the_account(org: Org) -> None:
    account = org.sf.Account.create({"Name": "Invoice Co"})["id"]
    invoice = {"Name": "INV/2024/00001", "Account__c": account, "Payment_Status__c": "Partially Paid"}
    created = org.sf.Invoice__c.create({**invoice, "Amount_Total__c": 19.99, "Amount_Due__c": 9.99})
    assert org.sf.Invoice__c.describe()["custom"] is True
    rows = org.sf.query(
        f"SELECT Name, Amount_Due__c, Account__r.Name FROM Invoice__c WHERE Account__c = '{account}'"
    )["records"]
    assert [(r["Name"], r["Account__r"]["Name"]) for r in rows] == [("INV/2024/00001", "Invoice Co")]
    assert org.sf.Invoice__c.get(created["id"])["Payment_Status__c"] == "Partially Paid"


# ---- parent-to-child relationships ----


def test_describe_lists_child_relationships(empty_org: Org) -> None:
    children = {c["relationshipName"]: c for c in empty_org.sf.Account.describe()["childRelationships"]}
    assert children["Contacts"] == {
        "cascadeDelete": True,
        "childSObject": "Contact",
        "deprecatedAndHidden": False,
        "field": "AccountId",
        "junctionIdListNames": [],
        "junctionReferenceTo": [],
        "relationshipName": "Contacts",
        "restrictedDelete": False,
    }
    assert (children["Invoices__r"]["childSObject"], children["Invoices__r"]["field"]) == (
        "Invoice__c",
        "Account__c",
    )
    assert [c["relationshipName"] for c in empty_org.sf.Contact.describe()["childRelationships"]] == ["Cases"]


def test_child_subqueries_nest_query_results_per_parent(empty_org: Org) -> None:
    sf = empty_org.sf
    acme = sf.Account.create({"Name": "Acme"})["id"]
    lonely = sf.Account.create({"Name": "Lonely"})["id"]
    for name in ("Zed", "Ada", "Bob"):
        sf.Contact.create({"LastName": name, "Email": f"{name.lower()}@acme.example", "AccountId": acme})
    soql = (
        "SELECT Id, Name, (SELECT Id, LastName, Email FROM Contacts WHERE LastName != 'Bob' "
        "ORDER BY LastName LIMIT 5) FROM Account ORDER BY Name"
    )
    rows = sf.query_all(soql)["records"]
    assert [(r["Id"], r["Name"]) for r in rows] == [(acme, "Acme"), (lonely, "Lonely")]
    contacts = rows[0]["Contacts"]
    assert (contacts["totalSize"], contacts["done"]) == (2, True)
    assert [c["LastName"] for c in contacts["records"]] == ["Ada", "Zed"]
    assert contacts["records"][0]["attributes"]["type"] == "Contact"
    assert set(contacts["records"][0]) == {"attributes", "Id", "LastName", "Email"}
    assert rows[1]["Contacts"] is None
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id, (SELECT Id FROM Contact) FROM Account")
    assert error_of(exc)["errorCode"] == "INVALID_TYPE"
    assert "Didn't understand relationship 'Contact' in FROM part of query call" in error_of(exc)["message"]


# ---- SOQL: aggregates, GROUP BY, date literals, semi-joins ----


def test_aggregates_and_group_by_answer_aggregate_results(empty_org: Org) -> None:
    sf = empty_org.sf
    for name, industry, staff in (
        ("A", "Energy", 10),
        ("B", "Energy", 30),
        ("C", "Media", 5),
        ("D", None, None),
    ):
        sf.Account.create({"Name": name, "Industry": industry, "NumberOfEmployees": staff})
    totals = sf.query("SELECT COUNT(Id), SUM(NumberOfEmployees) staff, MAX(Name) FROM Account")
    assert totals == {
        "totalSize": 1,
        "done": True,
        "records": [{"attributes": {"type": "AggregateResult"}, "expr0": 4, "staff": 45, "expr1": "D"}],
    }
    grouped = sf.query_all(
        "SELECT Industry, COUNT(Id), MIN(NumberOfEmployees) FROM Account WHERE Name != 'D' "
        "GROUP BY Industry ORDER BY Industry"
    )["records"]
    assert [(r["Industry"], r["expr0"], r["expr1"]) for r in grouped] == [("Energy", 2, 10), ("Media", 1, 5)]
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 4
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Name, COUNT(Id) FROM Account GROUP BY Industry")
    assert "Field must be grouped or aggregated: Name" in error_of(exc)["message"]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT SUM(Name) FROM Account")
    assert error_of(exc)["errorCode"] == "INVALID_FIELD"


def test_date_literals_count_days_from_the_org_clock(empty_org: Org) -> None:
    sf = empty_org.sf
    old = sf.Contact.create({"LastName": "Old", "Birthdate": "2024-02-20"})["id"]
    empty_org.clock.advance(days=2)  # T0 + 2 days = 2024-03-03; the session has expired meanwhile
    sf.session_id = oauth_token(empty_org.session, empty_org.url, empty_org.app).json()["access_token"]
    sf.headers["Authorization"] = f"Bearer {sf.session_id}"
    new = sf.Contact.create({"LastName": "New", "Birthdate": "2024-03-05"})["id"]

    def ids(where: str) -> set[str]:
        return {r["Id"] for r in sf.query_all(f"SELECT Id FROM Contact WHERE {where}")["records"]}

    assert ids("CreatedDate = TODAY") == {new}
    assert ids("CreatedDate = YESTERDAY") == set()
    assert ids("CreatedDate = LAST_N_DAYS:2") == {old, new}
    assert ids("CreatedDate < TODAY") == {old}
    assert ids("Birthdate = NEXT_N_DAYS:2") == {new}
    assert ids("Birthdate = NEXT_N_DAYS:1") == set()
    assert ids("Birthdate = LAST_MONTH") == {old}
    assert ids("Birthdate = THIS_MONTH") == {new}
    assert ids("Birthdate > LAST_N_DAYS:30") == {new}
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FROM Contact WHERE LastName = TODAY")
    assert error_of(exc)["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"


def test_semi_joins_filter_by_a_sub_select(empty_org: Org) -> None:
    sf = empty_org.sf
    energy = sf.Account.create({"Name": "Volt", "Industry": "Energy"})["id"]
    media = sf.Account.create({"Name": "Press", "Industry": "Media"})["id"]
    a = sf.Contact.create({"LastName": "A", "AccountId": energy})["id"]
    b = sf.Contact.create({"LastName": "B", "AccountId": media})["id"]
    c = sf.Contact.create({"LastName": "C"})["id"]
    inner = "SELECT Id FROM Account WHERE Industry = 'Energy'"
    rows = sf.query(f"SELECT Id FROM Contact WHERE AccountId IN ({inner})")["records"]
    assert [r["Id"] for r in rows] == [a]
    rows = sf.query(f"SELECT Id FROM Contact WHERE AccountId NOT IN ({inner}) ORDER BY LastName")["records"]
    assert [r["Id"] for r in rows] == [b, c]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FROM Contact WHERE AccountId IN (SELECT Name FROM Account)")
    assert error_of(exc)["errorCode"] == "INVALID_FIELD"


# ---- Bulk API 2.0 query jobs ----


def test_bulk2_query_pages_csv_through_locators(org: Org) -> None:
    soql = "SELECT Id, LastName, Account.Name, CreatedDate FROM Contact WHERE LastName != null ORDER BY Id"
    pages = list(org.sf.bulk2.Contact.query(soql, max_records=120, wait=0))
    assert len(pages) == 3  # 300 contacts, 120 at a time
    rows = [row for page in pages for row in csv.DictReader(io.StringIO(page))]
    expected = org.sf.query_all(soql)["records"]
    assert [r["Id"] for r in rows] == [r["Id"] for r in expected]
    linked = next(i for i, r in enumerate(expected) if r["Account"])
    assert rows[linked]["Account.Name"] == expected[linked]["Account"]["Name"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rows[0]["CreatedDate"])
    assert pages[0].splitlines()[0] == '"Id","LastName","Account.Name","CreatedDate"'


def test_bulk2_query_job_states_and_result_headers(org: Org) -> None:
    sf, auth = org.sf, {"Authorization": f"Bearer {org.sf.session_id}"}
    job = sf.restful(
        "jobs/query", method="POST", json={"operation": "query", "query": "SELECT Id FROM Account"}
    )
    assert (job["state"], job["operation"], job["object"]) == ("UploadComplete", "query", "Account")
    assert sf.restful(f"jobs/query/{job['id']}")["state"] == "InProgress"
    done = sf.restful(f"jobs/query/{job['id']}")
    assert (done["state"], done["numberRecordsProcessed"], done["jobType"]) == ("JobComplete", 40, "V2Query")
    url = f"{org.url}/services/data/v59.0/jobs/query/{job['id']}/results"
    first = org.session.get(url, params={"maxRecords": 25}, headers=auth)
    assert first.headers["Sforce-NumberOfRecords"] == "25" and first.headers["Sforce-Locator"] != "null"
    rest = org.session.get(
        url, params={"maxRecords": 25, "locator": first.headers["Sforce-Locator"]}, headers=auth
    )
    assert (rest.headers["Sforce-NumberOfRecords"], rest.headers["Sforce-Locator"]) == ("15", "null")
    assert rest.text.startswith('"Id"\n"001')
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.restful(
            "jobs/query", method="POST", json={"operation": "query", "query": "SELECT COUNT() FROM Account"}
        )
    assert error_of(exc)["errorCode"] == "INVALIDJOB"


# ---- SOSL ----


def test_sosl_search_returns_search_records(empty_org: Org) -> None:
    sf = empty_org.sf
    ada = sf.Contact.create({"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@engine.example"})["id"]
    sf.Contact.create({"FirstName": "Charles", "LastName": "Babbage", "Email": "charles@engine.example"})
    acme = sf.Account.create({"Name": "Lovelace Analytics"})["id"]
    found = sf.search("FIND {lovelace} IN ALL FIELDS RETURNING Contact(Id, Email)")
    assert found == {
        "searchRecords": [
            {
                "attributes": {"type": "Contact", "url": f"/services/data/v59.0/sobjects/Contact/{ada}"},
                "Id": ada,
                "Email": "ada@engine.example",
            }
        ]
    }
    everywhere = sf.quick_search("Lovel*")["searchRecords"]
    assert {(r["attributes"]["type"], r["Id"]) for r in everywhere} == {("Account", acme), ("Contact", ada)}
    assert set(everywhere[0]) == {"attributes", "Id"}
    by_email = sf.search("FIND {ada@engine.example} IN EMAIL FIELDS RETURNING Contact(LastName), Account")
    assert [r["LastName"] for r in by_email["searchRecords"]] == ["Lovelace"]
    filtered = sf.search(
        "FIND {engine.example} RETURNING Contact(LastName WHERE FirstName != 'Ada' ORDER BY LastName LIMIT 5)"
    )["searchRecords"]
    assert [r["LastName"] for r in filtered] == ["Babbage"]
    assert sf.search("FIND {nobody} RETURNING Contact")["searchRecords"] == []
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.search("FIND lovelace")
    assert error_of(exc)["errorCode"] == "MALFORMED_SEARCH"


# ---- the emulator's answers compared with the bodies Salesforce publishes ----

REAL = Path(__file__).parents[2] / "fixtures" / "real" / "salesforce"
CSV_LINE = re.compile(r'"[^"]*"(,"[^"]*")*')


def shape(body: dict[str, Any]) -> dict[str, type]:
    """Each key's value type (an int where JSON has a whole number counts as a float)."""
    return {k: float if isinstance(v, int) and not isinstance(v, bool) else type(v) for k, v in body.items()}


def test_a_single_create_answers_as_the_published_201(org: Org) -> None:
    """REST API Developer Guide, "Create a Record": 201 with {id, errors, success} (sobject_created_201.json)."""
    published = json.loads((REAL / "sobject_created_201.json").read_bytes())
    auth = {"Authorization": f"Bearer {org.sf.session_id}"}
    answer = org.session.post(
        f"{org.url}/services/data/v59.0/sobjects/Account/",
        json={"Name": "Express Logistics and Transport"},
        headers=auth,
    )
    assert answer.status_code == 201 and shape(answer.json()) == shape(published)
    assert answer.json()["id"].startswith(published["id"][:3]) and len(answer.json()["id"]) == len(
        published["id"]
    )


def test_a_bulk_query_job_is_created_as_the_published_job_info(org: Org) -> None:
    """Bulk API 2.0 Developer Guide, "Step 6: Query Jobs": the create answer (bulk_query_job_created.json)."""
    published = json.loads((REAL / "bulk_query_job_created.json").read_bytes())
    job = org.sf.restful(
        "jobs/query", method="POST", json={"operation": "query", "query": "SELECT Id, Name FROM Account"}
    )
    assert list(job) == list(published) and shape(job) == shape(published)
    same = ("operation", "object", "state", "concurrencyMode", "contentType", "lineEnding", "columnDelimiter")
    assert {k: job[k] for k in same} == {k: published[k] for k in same}
    assert SF_DATETIME.fullmatch(job["createdDate"]) and SF_DATETIME.fullmatch(published["createdDate"])


def test_bulk_query_results_are_csv_as_published(org: Org) -> None:
    """Bulk API 2.0 Developer Guide, "Get Results for a Query Job": every cell double-quoted, a header line
    first, LF endings (bulk_query_results.csv); Sforce-NumberOfRecords counts the set and Sforce-Locator is
    the string "null" after the last set."""
    published = (REAL / "bulk_query_results.csv").read_text().splitlines()
    sf, auth = org.sf, {"Authorization": f"Bearer {org.sf.session_id}"}
    job = sf.restful(
        "jobs/query", method="POST", json={"operation": "query", "query": "SELECT Id, Name FROM Account"}
    )
    while sf.restful(f"jobs/query/{job['id']}")["state"] != "JobComplete":
        pass
    url = f"{org.url}/services/data/v59.0/jobs/query/{job['id']}/results"
    first = org.session.get(url, params={"maxRecords": len(published) - 1}, headers=auth)
    lines = first.text.split("\n")
    assert lines[0] == published[0] == '"Id","Name"' and lines[-1] == ""
    assert all(CSV_LINE.fullmatch(line) for line in lines[:-1] + published)
    assert [len(line.split(",")[0]) for line in lines[1:-1]] == [
        len(line.split(",")[0]) for line in published[1:]
    ]
    assert first.headers["Sforce-NumberOfRecords"] == str(len(published) - 1) == str(len(lines) - 2)
    assert re.fullmatch(r"[A-Za-z0-9+/=]+", first.headers["Sforce-Locator"])  # like the documented MTAwMDA
    last = org.session.get(url, params={"locator": first.headers["Sforce-Locator"]}, headers=auth)
    assert last.headers["Sforce-Locator"] == "null"
