"""The HubSpot emulator driven by HubSpot's own Python client (hubspot-api-client), unchanged: objects
one at a time and in batches, search, and associations (v4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hubspot
import pytest
import requests
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.associations.v4.exceptions import ApiException as AssociationsApiException
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts.exceptions import ApiException

from connectors.emulators.hubspot import HubSpotEmulator
from connectors.emulators.hubspot.app import search_cursor
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
REAL = Path(__file__).parents[2] / "fixtures" / "real" / "hubspot"


def recorded(name: str) -> dict[str, object]:
    """A body HubSpot answered a real account (tests/fixtures/real/hubspot/SOURCES.md)."""
    body: dict[str, object] = json.loads((REAL / name).read_text())
    return body


@pytest.fixture
def portal() -> Iterator[tuple[HubSpotEmulator, EmulatorServer, ManualClock]]:
    clock = ManualClock(T0)
    app = HubSpotEmulator(clock=clock)
    with EmulatorServer(app) as server:
        yield app, server, clock


def client(server: EmulatorServer, token: str) -> hubspot.Client:
    return hubspot.Client.create(access_token=token, host=server.url)


def test_the_official_client_creates_reads_searches_and_upserts(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, clock = portal
    api = client(server, app.token)
    created = api.crm.contacts.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                SimplePublicObjectBatchInputForCreate(
                    properties={"email": f"p{i}@example.com", "lastname": f"P{i}"}
                )
                for i in range(3)
            ]
        )
    )
    assert created.status == "COMPLETE" and len(created.results) == 3
    first = created.results[0]
    assert first.properties["email"] == "p0@example.com" and first.created_at == T0
    page = api.crm.contacts.basic_api.get_page(limit=2, properties=["email"])
    assert [r.properties["email"] for r in page.results] == ["p0@example.com", "p1@example.com"]
    assert page.paging.next.after == "2"
    last = api.crm.contacts.basic_api.get_page(limit=2, after=page.paging.next.after)
    assert len(last.results) == 1 and last.paging is None  # no paging key on the last page
    one = api.crm.contacts.basic_api.get_by_id(first.id, properties=["lastname"])
    assert one.properties["lastname"] == "P0"

    clock.advance(minutes=5)
    app.edit("contacts", created.results[2].id, {"lastname": "Changed"})
    found = api.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=[
                {
                    "filters": [
                        {
                            "propertyName": "lastmodifieddate",
                            "operator": "GTE",
                            "value": str(int(clock.now.timestamp() * 1000)),
                        }
                    ]
                }
            ],
            sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            properties=["lastname"],
            limit=200,
        )
    )
    assert found.total == 1 and found.results[0].properties["lastname"] == "Changed"

    upserted = api.crm.contacts.batch_api.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                SimplePublicObjectBatchInputUpsert(
                    id="p1@example.com", id_property="email", properties={"lastname": "Again"}
                ),
                SimplePublicObjectBatchInputUpsert(
                    id="new@example.com", id_property="email", properties={"lastname": "New"}
                ),
            ]
        )
    )
    assert sorted((r.properties["email"], r.new) for r in upserted.results) == [
        ("new@example.com", True),
        ("p1@example.com", False),
    ]
    read = api.crm.contacts.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            properties=["lastname"], inputs=[SimplePublicObjectId(id=created.results[1].id)]
        )
    )
    assert read.results[0].properties["lastname"] == "Again"


def test_partial_failures_are_a_207_with_errors(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    api = client(server, app.token)
    answer = api.crm.contacts.batch_api.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                SimplePublicObjectBatchInputUpsert(
                    id="h1", id_property="hub_id", properties={"email": "ok@example.com"}
                ),
                SimplePublicObjectBatchInputUpsert(
                    id="h2", id_property="hub_id", properties={"email": "broken"}
                ),
            ]
        )
    )
    assert answer.num_errors == 1 and len(answer.results) == 1
    assert answer.errors[0].category == "VALIDATION_ERROR" and answer.errors[0].context == {"ids": ["h2"]}


def test_ceilings_tokens_and_throttling_answer_as_hubspot_does(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    with pytest.raises(ApiException) as refused:
        client(server, "pat-wrong").crm.contacts.basic_api.get_page()
    assert refused.value.status == 401 and "INVALID_AUTHENTICATION" in refused.value.body
    headers = {"Authorization": f"Bearer {app.token}"}
    too_many = {"inputs": [{"properties": {"lastname": str(i)}} for i in range(101)]}
    answer = requests.post(
        f"{server.url}/crm/v3/objects/contacts/batch/create", json=too_many, headers=headers, timeout=10
    )
    assert answer.status_code == 400 and answer.json()["category"] == "VALIDATION_ERROR"
    deep = {"limit": 200, "after": search_cursor(9900)}
    answer = requests.post(
        f"{server.url}/crm/v3/objects/contacts/search", json=deep, headers=headers, timeout=10
    )
    assert answer.status_code == 400 and "10000" in answer.json()["message"]
    app.faults.configure(1.0, ("rate_limit",))
    with pytest.raises(ApiException) as throttled:
        client(server, app.token).crm.contacts.basic_api.get_page()
    app.faults.configure(0.0, ())
    assert throttled.value.status == 429 and '"policyName":"TEN_SECONDLY_ROLLING"' in throttled.value.body


def test_the_sandbox_seed_is_deterministic() -> None:
    one, two = HubSpotEmulator(clock=ManualClock(T0)), HubSpotEmulator(clock=ManualClock(T0))
    one.seed_sandbox({"accounts": 20, "contacts": 50}, 7)
    two.seed_sandbox({"accounts": 20, "contacts": 50}, 7)
    assert one.records("contacts") == two.records("contacts") and len(one.records("companies")) == 20


def test_search_cursors_are_opaque_as_hubspots_are(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    for i in range(5):
        app.create("contacts", {"lastname": f"P{i}", "email": f"p{i}@example.com"})
    api = client(server, app.token)
    ask = {"sorts": [{"propertyName": "lastname", "direction": "ASCENDING"}], "properties": ["lastname"]}
    first = api.crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=2, **ask))
    after = first.paging.next.after
    assert after == "Mgo%3D" and not after.isdigit()  # base64 of "2\n", URL-quoted, like "NTI1Cg%3D%3D"
    second = api.crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=2, after=after, **ask))
    names = [r.properties["lastname"] for r in (*first.results, *second.results)]
    assert names == ["P0", "P1", "P2", "P3"]
    headers = {"Authorization": f"Bearer {app.token}"}
    for garbled in ("2", "NTI1Cg", "not a cursor"):  # a number is no cursor HubSpot issued
        answer = requests.post(
            f"{server.url}/crm/v3/objects/contacts/search",
            json={**ask, "limit": 2, "after": garbled},
            headers=headers,
            timeout=10,
        )
        assert answer.status_code == 400 and answer.json()["category"] == "VALIDATION_ERROR", garbled


def test_every_property_asked_for_is_served_and_ids_are_url_decoded(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    made = app.create("contacts", {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com"})
    api = client(server, app.token)
    one = api.crm.contacts.basic_api.get_by_id(made, properties=["firstname", "lastname", "email"])
    assert {k: one.properties.get(k) for k in ("firstname", "lastname", "email")} == {
        "firstname": "Ada",
        "lastname": "Lovelace",
        "email": "ada@example.com",
    }  # the client sends ?properties=firstname&properties=lastname&properties=email
    by_email = api.crm.contacts.basic_api.get_by_id("ada@example.com", id_property="email")
    assert by_email.id == made  # the client quotes the e-mail's @ as %40 in the path
    headers = {"Authorization": f"Bearer {app.token}"}
    listed = requests.get(
        f"{server.url}/crm/v3/objects/contacts/{made}?properties=firstname,lastname",
        headers=headers,
        timeout=10,
    ).json()["properties"]
    assert listed["firstname"] == "Ada" and listed["lastname"] == "Lovelace"


def test_one_object_is_created_updated_and_archived_as_the_client_does_it(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    contacts = client(server, app.token).crm.contacts.basic_api
    made = contacts.create(
        SimplePublicObjectInputForCreate(properties={"email": "ada@example.com", "lastname": "Lovelace"})
    )
    assert made.properties["email"] == "ada@example.com" and made.id
    with pytest.raises(ApiException) as taken:
        contacts.create(SimplePublicObjectInputForCreate(properties={"email": "ada@example.com"}))
    body = json.loads(taken.value.body)
    assert taken.value.status == 409 and body["category"] == "CONFLICT"
    assert body["message"] == f"Contact already exists. Existing ID: {made.id}"
    changed = contacts.update(made.id, SimplePublicObjectInput(properties={"firstname": "Ada"}))
    assert changed.properties["firstname"] == "Ada"
    by_email = contacts.update(
        "ada@example.com", SimplePublicObjectInput(properties={"jobtitle": "Analyst"}), id_property="email"
    )
    assert by_email.id == made.id and app.records("contacts")[0]["jobtitle"] == "Analyst"
    other = contacts.create(SimplePublicObjectInputForCreate(properties={"email": "grace@example.com"}))
    with pytest.raises(ApiException) as moved:  # an update may not take another contact's e-mail either
        contacts.update(other.id, SimplePublicObjectInput(properties={"email": "ada@example.com"}))
    assert moved.value.status == 409
    contacts.archive(other.id)
    with pytest.raises(ApiException) as gone:
        contacts.get_by_id(other.id)
    assert gone.value.status == 404 and [r["id"] for r in app.records("contacts")] == [made.id]


def test_a_batch_create_meeting_an_existing_email_is_refused_whole(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    taken = app.create("contacts", {"email": "taken@example.com"})
    batch = client(server, app.token).crm.contacts.batch_api
    inputs = [
        SimplePublicObjectBatchInputForCreate(properties={"email": email})
        for email in ("new1@example.com", "taken@example.com", "new2@example.com")
    ]
    with pytest.raises(ApiException) as refused:
        batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs))
    body = json.loads(refused.value.body)
    assert refused.value.status == 409 and body["category"] == "CONFLICT"
    assert body["message"] == f"Contact already exists. Existing ID: {taken}"
    assert len(app.records("contacts")) == 1  # nothing of the batch was written
    upsert = SimplePublicObjectBatchInputUpsert(
        id="h9", id_property="hub_id", properties={"email": "taken@example.com"}
    )
    with pytest.raises(ApiException) as again:
        batch.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=[upsert]))
    assert again.value.status == 409 and len(app.records("contacts")) == 1


def test_associations_v4_through_the_client(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    api = client(server, app.token)
    person = app.create("contacts", {"email": "lin@example.com"})
    firm, other = app.create("companies", {"name": "Acme"}), app.create("companies", {"name": "Globex"})
    links = api.crm.associations.v4
    made = links.basic_api.create_default("contacts", person, "companies", firm)
    assert made.status == "COMPLETE"
    assert {(r._from.id, r.to.id, r.association_spec.association_type_id) for r in made.results} == {
        (person, firm, 279),
        (firm, person, 280),
    }
    labelled = links.basic_api.create(
        "contacts",
        person,
        "companies",
        other,
        [AssociationSpec("HUBSPOT_DEFINED", 1)],  # primary company
    )
    assert (labelled.from_object_id, labelled.to_object_id, labelled.to_object_type_id) == (
        person,
        other,
        "0-2",
    )
    page = links.basic_api.get_page("contacts", person, "companies", limit=1)
    assert [r.to_object_id for r in page.results] == [firm] and page.paging.next.after == "1"
    rest = links.basic_api.get_page("contacts", person, "companies", after=page.paging.next.after)
    assert [r.to_object_id for r in rest.results] == [other]
    assert rest.results[0].association_types[0].label == "Primary" and rest.paging is None
    back = links.batch_api.get_page(
        "companies",
        "contacts",
        BatchInputPublicFetchAssociationsBatchRequest([PublicFetchAssociationsBatchRequest(id=firm)]),
    )
    assert [[t.to_object_id for t in r.to] for r in back.results] == [[person]]
    shown = api.crm.contacts.basic_api.get_by_id(person, associations=["companies"])
    assert sorted(r.id for r in shown.associations["companies"].results) == sorted([firm, other])
    links.basic_api.archive("contacts", person, "companies", firm)
    remaining = links.basic_api.get_page("contacts", person, "companies")
    assert [r.to_object_id for r in remaining.results] == [other]
    with pytest.raises(AssociationsApiException) as missing:
        links.basic_api.create_default("contacts", person, "companies", "999999")
    assert missing.value.status == 404


def test_a_batch_create_answers_201_in_the_shape_a_real_account_recorded(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    """Status, results, startedAt and completedAt, and no requestedAt (the emulator sent one)."""
    app, server, _ = portal
    inputs = BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[
            SimplePublicObjectBatchInputForCreate(
                properties={"email": "grouparoo@demo.com", "firstname": "John"}
            )
        ]
    )
    raw = client(server, app.token).crm.contacts.batch_api.create_with_http_info(
        inputs, _preload_content=False
    )
    answer, real = json.loads(raw.data), recorded("batch_create_201.json")
    assert raw.status == 201 and list(answer) == list(real)
    assert list(answer["results"][0]) == list(real["results"][0])  # type: ignore[index]
    update = BatchInputSimplePublicObjectBatchInput(
        inputs=[SimplePublicObjectBatchInput(id=answer["results"][0]["id"], properties={"lastname": "Doe"})]
    )
    raw = client(server, app.token).crm.contacts.batch_api.update_with_http_info(
        update, _preload_content=False
    )
    assert raw.status == 200 and list(json.loads(raw.data)) == list(recorded("batch_update_200.json"))


def test_a_throttled_search_answers_as_a_real_account_recorded(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    """A search past the per-second limit: HubSpot's recorded body (category RATE_LIMITS, no
    policyName), where other calls name their TEN_SECONDLY_ROLLING policy."""
    app, server, _ = portal
    app.faults.configure(1.0, ("rate_limit",))
    with pytest.raises(ApiException) as throttled:
        client(server, app.token).crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=1))
    app.faults.configure(0.0, ())
    body, real = json.loads(throttled.value.body), recorded("secondly_limit_429.json")
    assert throttled.value.status == 429 and list(body) == list(real)
    assert (body["message"], body["category"]) == (real["message"], real["category"])
    assert "Retry-After" not in (throttled.value.headers or {})


def test_an_expired_oauth_token_is_refused_as_hubspot_words_it(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, clock = portal
    app.token_expires_at = T0 + timedelta(minutes=30)  # HubSpot's OAuth access tokens last 30 minutes
    api = client(server, app.token)
    assert api.crm.contacts.basic_api.get_page(limit=1).results == []
    clock.advance(hours=5, minutes=31)
    with pytest.raises(ApiException) as refused:
        api.crm.contacts.basic_api.get_page(limit=1)
    body, real = json.loads(refused.value.body), recorded("expired_token_401.json")
    assert refused.value.status == 401 and list(body) == list(real)
    assert body["category"] == "EXPIRED_AUTHENTICATION"
    assert body["message"] == "The OAuth token used to make this call expired 5 hour(s) ago."
    assert body["context"] == {"expire time": ["2024-05-01T09:30:00.000Z"]}
    app.token_expires_at = clock() - timedelta(seconds=0)
    with pytest.raises(ApiException) as just:
        api.crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=1))
    assert json.loads(just.value.body)["message"] == real["message"]  # "expired 0 second(s) ago."


def test_a_partly_refused_batch_answers_207_in_the_shape_hubspot_documents(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    """HubSpot's documented multi-status answer (error handling, "Multi-status errors"): numErrors and
    errors after the results, no requestedAt; each error names its input by the objectWriteTraceId it
    carried, and words a refused value as HubSpot's JSON list in the message (no errors[] of its own)."""
    app, server, _ = portal
    inputs = BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[
            SimplePublicObjectBatchInputForCreate(
                properties={"lastname": "Kept"}, object_write_trace_id="549b1c2a9350"
            ),
            SimplePublicObjectBatchInputForCreate(
                properties={"email": "broken"}, object_write_trace_id="549b1c2a9351"
            ),
        ]
    )
    raw = client(server, app.token).crm.contacts.batch_api.create_with_http_info(
        inputs, _preload_content=False
    )
    answer, real = json.loads(raw.data), recorded("multi_status_207.json")
    assert raw.status == 207 and list(answer) == list(real)
    [refused], [documented] = answer["errors"], real["errors"]  # type: ignore[misc]
    assert list(refused) == list(documented) and refused["context"] == {
        "objectWriteTraceId": ["549b1c2a9351"]
    }
    prefix = "Property values were not valid: "
    ours, theirs = (json.loads(e["message"].removeprefix(prefix)) for e in (refused, documented))
    assert refused["message"].startswith(prefix) and [list(p) for p in ours] == [list(p) for p in theirs]
    assert ours[0]["error"] == "INVALID_EMAIL" and ours[0]["name"] == "email"
    assert list(answer["results"][0]) == list(real["results"][0])  # type: ignore[index]


def test_a_refused_value_answers_400_in_the_shape_hubspot_documents(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    """HubSpot's documented 400 for refused property values ("Using Object APIs"): status, message
    (the JSON list), correlationId, errors[] (message, code, context.propertyName), category."""
    app, server, _ = portal
    with pytest.raises(ApiException) as refused:
        client(server, app.token).crm.contacts.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"email": "broken"})
        )
    body, real = json.loads(refused.value.body), recorded("property_doesnt_exist_400.json")
    assert refused.value.status == 400 and list(body) == list(real) and body["category"] == real["category"]
    [detail], [documented] = body["errors"], real["errors"]  # type: ignore[misc]
    assert list(detail) == list(documented) and detail["context"] == {"propertyName": ["email"]}
    assert detail["code"] == "INVALID_EMAIL" and body["message"].startswith(
        "Property values were not valid: [{"
    )


def test_a_spent_daily_limit_answers_the_429_hubspot_documents(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    """HubSpot's documented daily-limit 429 (usage details): errorType, policyName DAILY, requestId."""
    _, _server, clock = portal
    app = HubSpotEmulator(clock=clock, daily_limit=1)
    app.daily_used = 1
    with EmulatorServer(app) as spent, pytest.raises(ApiException) as throttled:
        client(spent, app.token).crm.contacts.basic_api.get_page(limit=1)
    body, real = json.loads(throttled.value.body), recorded("daily_limit_429.json")
    assert throttled.value.status == 429 and list(body) == list(real)
    assert (body["message"], body["errorType"], body["policyName"]) == (
        real["message"],
        real["errorType"],
        real["policyName"],
    )


def test_the_properties_api_lists_every_property_the_records_carry_through_the_client(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    app.seed_sandbox({"accounts": 30, "contacts": 60}, 7)
    app.create("companies", {"name": "Acme", "description": "Anvils", "hub_id": "h-1", "annualrevenue": 9})
    app.create("contacts", {"lastname": "Lovelace", "hub_id": "h-2", "jobtitle": "Analyst"})
    api = client(server, app.token).crm.properties.core_api
    for object_type in ("contacts", "companies", "deals", "tickets"):
        listed = {p.name: p for p in api.get_all(object_type).results}
        carried = {name for record in app.records(object_type) for name in record if name != "id"}
        assert carried <= set(listed), object_type
        hub_id = listed["hub_id"]
        assert (hub_id.type, hub_id.field_type, hub_id.has_unique_value) == ("string", "text", True)
        assert not hub_id.hubspot_defined and not hub_id.modification_metadata.read_only_value
        assert listed["hs_object_id"].hubspot_defined and listed["createdate"].type == "datetime"
        assert listed["createdate"].modification_metadata.read_only_value
    companies = {p.name: p for p in api.get_all("companies").results}
    industry = companies["industry"]
    assert (industry.type, industry.field_type, industry.label) == ("enumeration", "select", "Industry")
    seeded = {r["industry"] for r in app.records("companies") if r.get("industry")}
    assert seeded <= {o.value for o in industry.options}
    assert companies["hs_lastmodifieddate"].type == "datetime" and "lastmodifieddate" not in companies
    assert companies["numberofemployees"].type == "number"
    assert api.get_all("companies", archived=True).results == []
    assert api.get_by_name("0-1", "lastmodifieddate").label == "Last Modified Date"


def test_the_properties_answer_has_hubspots_documented_shape(
    portal: tuple[HubSpotEmulator, EmulatorServer, ManualClock],
) -> None:
    app, server, _ = portal
    headers = {"Authorization": f"Bearer {app.token}"}
    answer = requests.get(f"{server.url}/crm/v3/properties/contacts", headers=headers, timeout=5)
    body = answer.json()
    assert answer.status_code == 200 and list(body) == ["results"]  # no paging: all in one answer
    stage = next(p for p in body["results"] if p["name"] == "lifecyclestage")
    assert stage["options"][0] == {
        "label": "Subscriber",
        "value": "subscriber",
        "displayOrder": 0,
        "hidden": False,
    }
    assert set(stage["modificationMetadata"]) == {"archivable", "readOnlyDefinition", "readOnlyValue"}
    hub_id = next(p for p in body["results"] if p["name"] == "hub_id")
    assert "hubspotDefined" not in hub_id  # as the documented custom property
    refused = requests.get(f"{server.url}/crm/v3/properties/contacts", timeout=5)
    assert refused.status_code == 401 and refused.json()["category"] == "INVALID_AUTHENTICATION"
    missing = requests.get(f"{server.url}/crm/v3/properties/contacts/nope", headers=headers, timeout=5)
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"
