"""The Mailchimp emulator driven by Mailchimp's own Python client (mailchimp-marketing), unchanged."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mailchimp_marketing as MailchimpMarketing
import pytest
import requests
from mailchimp_marketing.api_client import ApiClientError

from connectors.emulators.mailchimp import MailchimpEmulator, subscriber_hash
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer

LIST_ID = MailchimpEmulator.LIST_ID
KEY = MailchimpEmulator.API_KEY
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
REAL = Path(__file__).parents[2] / "fixtures" / "real" / "mailchimp"


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


def client_for(server: EmulatorServer, api_key: str = KEY) -> Any:
    """The official client, pointed at the emulator through its own `host` setting."""
    client = MailchimpMarketing.Client()
    client.set_config({"api_key": api_key, "server": "us6"})
    client.api_client.host = f"{server.url}/3.0"  # the default is https://server.api.mailchimp.com/3.0
    return client


@pytest.fixture
def client(server: EmulatorServer) -> Any:
    return client_for(server)


def refusal(caught: pytest.ExceptionInfo[ApiClientError]) -> dict[str, Any]:
    text = caught.value.text
    body: dict[str, Any] = text if isinstance(text, dict) else json.loads(text)
    return body


def test_ping_answers_everything_is_chimpy(client: Any) -> None:
    assert client.ping.get() == {"health_status": "Everything's Chimpy!"}


def test_a_wrong_key_is_refused_with_a_problem_document(server: EmulatorServer) -> None:
    with pytest.raises(ApiClientError) as caught:
        client_for(server, "ffffffffffffffffffffffffffffffff-us6").ping.get()
    assert caught.value.status_code == 401
    body = refusal(caught)
    assert body["title"] == "API Key Invalid" and body["status"] == 401
    assert set(body) >= {"type", "title", "status", "detail", "instance"}
    answer = requests.get(f"{server.url}/3.0/ping", timeout=5)
    assert answer.status_code == 401 and answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["title"] == "API Key Missing"


def test_other_auth_schemes_are_accepted(server: EmulatorServer) -> None:
    app = server.app
    assert isinstance(app, MailchimpEmulator)
    app.oauth_tokens.add("oauth-token-1")
    for header in (f"apikey {KEY}", "Bearer oauth-token-1", "OAuth oauth-token-1"):
        answer = requests.get(f"{server.url}/3.0/ping", headers={"Authorization": header}, timeout=5)
        assert answer.status_code == 200, header


def test_members_page_by_offset_in_last_changed_order(
    client: Any, app: MailchimpEmulator, clock: ManualClock
) -> None:
    for i in range(25):
        app.create(f"person{i:02d}@example.com", merge_fields={"FNAME": f"P{i}"})
        if i % 10 == 9:
            clock.advance(60)
    seen: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = client.lists.get_list_members_info(LIST_ID, count=7, offset=offset)
        assert page["total_items"] == 25 and page["list_id"] == LIST_ID
        seen += page["members"]
        offset += len(page["members"])
        if offset >= page["total_items"]:
            break
    assert len({m["id"] for m in seen}) == 25
    keys = [(m["last_changed"], m["id"]) for m in seen]
    assert keys == sorted(keys)
    assert seen[0]["last_changed"] == "2024-03-01T12:00:00+00:00"
    later = client.lists.get_list_members_info(LIST_ID, since_last_changed="2024-03-01T12:00:30+00:00")
    assert later["total_items"] == 15 and len(later["members"]) == 10  # count defaults to 10


def test_count_above_1000_is_refused(client: Any, server: EmulatorServer) -> None:
    with pytest.raises(ValueError):  # the client itself refuses; a raw request shows the API does too
        client.lists.get_list_members_info(LIST_ID, count=1001)
    url = f"{server.url}/3.0/lists/{LIST_ID}/members?count=1001"
    answer = requests.get(url, auth=("anystring", KEY), timeout=5)
    assert answer.status_code == 400 and answer.json()["title"] == "Invalid Resource"


def test_get_member_by_subscriber_hash(client: Any, app: MailchimpEmulator) -> None:
    member_id = app.create("Ada.Lovelace@Example.com", merge_fields={"FNAME": "Ada", "LNAME": "Lovelace"})
    assert member_id == subscriber_hash("ada.lovelace@example.com")
    member = client.lists.get_list_member(LIST_ID, member_id)
    assert member["email_address"] == "Ada.Lovelace@Example.com" and member["status"] == "subscribed"
    assert member["merge_fields"]["FNAME"] == "Ada" and member["full_name"] == "Ada Lovelace"
    with pytest.raises(ApiClientError) as caught:
        client.lists.get_list_member(LIST_ID, subscriber_hash("nobody@example.com"))
    assert caught.value.status_code == 404 and refusal(caught)["title"] == "Resource Not Found"


def test_set_list_member_upserts_and_keeps_an_unsubscribe(client: Any, clock: ManualClock) -> None:
    email = "grace@example.com"
    member_id = subscriber_hash(email)
    body = {"email_address": email, "status_if_new": "subscribed", "merge_fields": {"FNAME": "Grace"}}
    created = client.lists.set_list_member(LIST_ID, member_id, body)
    assert created["status"] == "subscribed" and created["id"] == member_id
    clock.advance(10)
    client.lists.set_list_member(LIST_ID, member_id, {"email_address": email, "status": "unsubscribed"})
    clock.advance(10)
    again = client.lists.set_list_member(LIST_ID, member_id, {**body, "merge_fields": {"FNAME": "G."}})
    assert again["status"] == "unsubscribed"  # status_if_new applies to new members only
    assert again["merge_fields"]["FNAME"] == "G." and again["last_changed"] == "2024-03-01T12:00:20+00:00"
    resubscribed = client.lists.set_list_member(
        LIST_ID, member_id, {"email_address": email, "status": "subscribed"}
    )
    assert resubscribed["status"] == "subscribed"  # only an explicit status changes it


def test_an_invalid_email_looks_fake(client: Any) -> None:
    with pytest.raises(ApiClientError) as caught:
        client.lists.set_list_member(
            LIST_ID,
            subscriber_hash("bad@nowhere"),
            {"email_address": "bad@nowhere", "status_if_new": "subscribed"},
        )
    assert caught.value.status_code == 400
    assert "looks fake or invalid" in refusal(caught)["detail"]


def test_batch_list_members_creates_updates_and_reports_errors(client: Any, app: MailchimpEmulator) -> None:
    app.create("old@example.com", status="unsubscribed")
    members = [
        {"email_address": "new@example.com", "status_if_new": "subscribed"},
        {"email_address": "old@example.com", "status_if_new": "subscribed", "merge_fields": {"FNAME": "Old"}},
        {"email_address": "broken@", "status_if_new": "subscribed"},
    ]
    answer = client.lists.batch_list_members(LIST_ID, {"members": members, "update_existing": True})
    assert [m["email_address"] for m in answer["new_members"]] == ["new@example.com"]
    assert [m["email_address"] for m in answer["updated_members"]] == ["old@example.com"]
    assert answer["updated_members"][0]["status"] == "unsubscribed"
    assert answer["errors"][0]["email_address"] == "broken@"
    assert "looks fake or invalid" in answer["errors"][0]["error"] and answer["errors"][0]["error_code"]
    assert (answer["total_created"], answer["total_updated"], answer["error_count"]) == (1, 1, 1)
    again = client.lists.batch_list_members(LIST_ID, {"members": members[:1], "update_existing": False})
    assert again["errors"][0]["error_code"] == "ERROR_CONTACT_EXISTS"


def test_a_batch_above_500_members_is_refused(client: Any) -> None:
    members = [{"email_address": f"m{i}@example.com", "status_if_new": "subscribed"} for i in range(501)]
    with pytest.raises(ApiClientError) as caught:
        client.lists.batch_list_members(LIST_ID, {"members": members})
    assert caught.value.status_code == 400 and refusal(caught)["title"] == "Invalid Resource"


def test_injected_rate_limits_answer_429_too_many_requests(client: Any, app: MailchimpEmulator) -> None:
    app.faults.configure(1.0, ("rate_limit",))
    with pytest.raises(ApiClientError) as caught:
        client.ping.get()
    assert caught.value.status_code == 429
    body = refusal(caught)
    assert body["title"] == "TooManyRequests" and "10 simultaneous connections" in body["detail"]


def test_seed_sandbox_is_deterministic() -> None:
    first, second = MailchimpEmulator(clock=lambda: T0), MailchimpEmulator(clock=lambda: T0)
    first.seed_sandbox({"members": 60}, seed=4)
    second.seed_sandbox({"members": 60}, seed=4)
    assert first.records() == second.records() and 55 <= len(first.records()) <= 60
    assert {m["status"] for m in first.records()} <= {"subscribed", "unsubscribed", "cleaned"}


def test_the_eleventh_simultaneous_request_is_refused(server: EmulatorServer, app: MailchimpEmulator) -> None:
    answers: queue.Queue[int] = queue.Queue()

    def ping() -> None:
        answers.put(requests.get(f"{server.url}/3.0/ping", auth=("any", KEY), timeout=30).status_code)

    threads = [threading.Thread(target=ping) for _ in range(12)]
    with app.lock:  # requests in flight wait for the emulator's lock, holding their connection slot
        for thread in threads:
            thread.start()
        refused = [answers.get(timeout=30), answers.get(timeout=30)]  # nothing else can answer yet
    for thread in threads:
        thread.join(timeout=30)
    assert refused == [429, 429]
    assert sorted(answers.get_nowait() for _ in range(10)) == [200] * 10


def test_the_client_finds_its_audience(app: MailchimpEmulator, client: Any) -> None:
    app.create("ada@example.com")
    lists = client.lists.get_all_lists()
    assert lists["total_items"] == 1 and lists["lists"][0]["id"] == LIST_ID
    one = client.lists.get_list(LIST_ID)
    assert one["stats"]["member_count"] == 1 and one["name"]
    with pytest.raises(ApiClientError) as missing:
        client.lists.get_list("nosuchlist")
    assert missing.value.status_code == 404


def test_members_are_added_patched_archived_and_deleted_as_the_client_does_it(
    app: MailchimpEmulator, client: Any
) -> None:
    added = client.lists.add_list_member(
        LIST_ID, {"email_address": "Grace@Example.com", "status": "subscribed"}
    )
    assert added["id"] == subscriber_hash("grace@example.com") and added["status"] == "subscribed"
    with pytest.raises(ApiClientError) as twice:
        client.lists.add_list_member(LIST_ID, {"email_address": "grace@example.com", "status": "subscribed"})
    assert twice.value.status_code == 400 and refusal(twice)["title"] == "Member Exists"
    patched = client.lists.update_list_member(LIST_ID, added["id"], {"merge_fields": {"FNAME": "Grace"}})
    assert patched["merge_fields"]["FNAME"] == "Grace" and patched["status"] == "subscribed"
    with pytest.raises(ApiClientError) as nobody:
        client.lists.update_list_member(LIST_ID, subscriber_hash("nobody@example.com"), {"vip": True})
    assert nobody.value.status_code == 404
    client.lists.delete_list_member(LIST_ID, added["id"])  # archived: out of the audience
    assert client.lists.get_list_members_info(LIST_ID)["total_items"] == 0
    archived = client.lists.get_list_members_info(LIST_ID, status="archived")
    assert [m["email_address"] for m in archived["members"]] == ["Grace@Example.com"]
    client.lists.delete_list_member_permanent(LIST_ID, added["id"])
    assert app.records() == []


def test_batches_run_operations_and_hand_back_their_responses(app: MailchimpEmulator, client: Any) -> None:
    import io
    import tarfile

    operations = [
        {
            "method": "POST",
            "path": f"/lists/{LIST_ID}/members",
            "operation_id": f"add-{i}",
            "body": json.dumps({"email_address": f"b{i}@example.com", "status": "subscribed"}),
        }
        for i in range(3)
    ]
    operations.append(
        {
            "method": "POST",
            "path": f"/lists/{LIST_ID}/members",
            "operation_id": "bad",
            "body": json.dumps({"email_address": "nope", "status": "subscribed"}),
        }
    )
    batch = client.batches.start({"operations": operations})
    assert batch["status"] == "pending" and batch["total_operations"] == 4
    seen = [client.batches.status(batch["id"])["status"] for _ in range(3)]
    assert seen == ["pending", "started", "finished"]
    done = client.batches.status(batch["id"])
    assert (done["finished_operations"], done["errored_operations"]) == (4, 1)
    assert [b["id"] for b in client.batches.list()["batches"]] == [batch["id"]]
    packed = requests.get(done["response_body_url"], timeout=10)
    with tarfile.open(fileobj=io.BytesIO(packed.content), mode="r:gz") as archive:
        member = next(m for m in archive.getmembers() if m.isfile())
        answers = json.loads(archive.extractfile(member).read())  # type: ignore[union-attr]
    assert [(a["operation_id"], a["status_code"]) for a in answers] == [
        ("add-0", 200),
        ("add-1", 200),
        ("add-2", 200),
        ("bad", 400),
    ]
    assert json.loads(answers[0]["response"])["email_address"] == "b0@example.com"
    assert len(app.records()) == 3
    client.batches.delete_request(batch["id"])
    assert client.batches.list()["total_items"] == 0


def test_archiving_an_archived_member_is_refused_as_the_real_api_refused_it(
    server: EmulatorServer, client: Any
) -> None:
    """Mailchimp's recorded 405 (tests/fixtures/real/mailchimp/archive_refused_405.json): title, detail
    and the Allow header, compared field by field (the instance is each answer's own)."""
    real = json.loads((REAL / "archive_refused_405.json").read_text())
    added = client.lists.add_list_member(
        LIST_ID, {"email_address": "ada@example.com", "status": "subscribed"}
    )
    client.lists.delete_list_member(LIST_ID, added["id"])
    with pytest.raises(ApiClientError) as again:
        client.lists.delete_list_member(LIST_ID, added["id"])
    assert again.value.status_code == 405
    body = refusal(again)
    assert {k: body[k] for k in ("type", "title", "status", "detail")} == {
        k: real[k] for k in ("type", "title", "status", "detail")
    }
    # the client keeps no headers: the same call through requests, as a script without the client sends it
    raw = requests.delete(f"{server.url}/3.0/lists/{LIST_ID}/members/{added['id']}", auth=("any", KEY))
    assert raw.status_code == 405 and raw.headers["Allow"] == "GET, PUT"
    assert raw.headers["Content-Type"] == "application/problem+json; charset=utf-8"


def test_a_members_page_has_the_fields_a_real_page_has(client: Any) -> None:
    """Every key of a member (and of its location) in a page a real account answered
    (tests/fixtures/real/mailchimp/members_page_1.json) is in the emulator's page too."""
    real = json.loads((REAL / "members_page_1.json").read_text())
    client.lists.add_list_member(LIST_ID, {"email_address": "ada@example.com", "status": "subscribed"})
    page = client.lists.get_list_members_info(LIST_ID, count=4)
    assert set(page) == set(real)
    [member], recorded = page["members"], real["members"][0]
    assert set(recorded) <= set(member)
    assert set(recorded["location"]) <= set(member["location"])
    assert member["consents_to_one_to_one_messaging"] is True  # as every recorded member's


def test_member_exists_and_a_shapeless_address_are_answered_as_the_real_api_answered(client: Any) -> None:
    """Mailchimp's recorded answers (tests/fixtures/real/mailchimp/member_exists.json,
    invalid_email_address.json), compared key by key but for the instance and the address."""
    exists = json.loads((REAL / "member_exists.json").read_text())
    shapeless = json.loads((REAL / "invalid_email_address.json").read_text())
    client.lists.add_list_member(LIST_ID, {"email_address": "ada@example.com", "status": "subscribed"})
    with pytest.raises(ApiClientError) as twice:
        client.lists.add_list_member(LIST_ID, {"email_address": "ada@example.com", "status": "subscribed"})
    answer = refusal(twice)
    assert sorted(answer) == sorted(exists)  # no "type" in this one
    assert (answer["title"], answer["status"]) == (exists["title"], exists["status"])
    assert answer["detail"] == exists["detail"].replace(exists["detail"].split()[0], "ada@example.com")
    with pytest.raises(ApiClientError) as caught:
        client.lists.add_list_member(LIST_ID, {"email_address": "AAAAA", "status": "subscribed"})
    answer = refusal(caught)
    assert sorted(answer) == sorted(shapeless)
    assert {k: answer[k] for k in ("type", "title", "status", "detail")} == {
        k: shapeless[k] for k in ("type", "title", "status", "detail")
    }


def test_a_written_member_is_answered_in_the_shape_a_real_put_answered(client: Any) -> None:
    """The 200 a real account answered to PUT /lists/{id}/members/{hash} (Grouparoo's recording,
    tests/fixtures/real/mailchimp/member_put_200.json): the emulator's answer to the same call, and
    each member of a batch subscribe's new_members/updated_members, have its keys in its order, and
    its stats and location keys (location has `region` too, as the page recorded three months later
    has)."""
    real = json.loads((REAL / "member_put_200.json").read_text())
    email = "wx3ti580f4ycqy185cumm@grouparoo.com"
    body = {"email_address": email, "merge_fields": {"FNAME": "Caio", "LNAME": "Silveira"}}
    client.lists.add_list_member(LIST_ID, {"email_address": email, "status": "subscribed"})
    written = client.lists.set_list_member(LIST_ID, subscriber_hash(email), body)  # as recorded: no status
    batch = client.lists.batch_list_members(
        LIST_ID, {"members": [{"email_address": "new@example.com", "status": "subscribed"}, body]}
    )
    for member in (written, *batch["new_members"], *batch["updated_members"]):
        assert list(member) == list(real)
        assert list(member["stats"]) == list(real["stats"])
        assert set(real["location"]) <= set(member["location"])
    assert written["full_name"] == real["full_name"] and written["source"] == real["source"]
    assert written["consents_to_one_to_one_messaging"] is True and written["tags"] == real["tags"]


def test_merge_fields_list_an_audiences_fields_as_the_client_reads_them(
    client: Any, app: MailchimpEmulator
) -> None:
    app.add_merge_field("PLAN", "Plan", "dropdown", options={"choices": ["Free", "Pro"]}, required=True)
    answer = client.lists.get_list_merge_fields(MailchimpEmulator.LIST_ID, count=3)
    assert answer["total_items"] == 7 and answer["list_id"] == MailchimpEmulator.LIST_ID
    assert [f["tag"] for f in answer["merge_fields"]] == ["FNAME", "LNAME", "ADDRESS"]
    first = answer["merge_fields"][0]
    assert (first["merge_id"], first["name"], first["type"], first["required"]) == (
        1,
        "First Name",
        "text",
        False,
    )
    rest = client.lists.get_list_merge_fields(MailchimpEmulator.LIST_ID, count=10, offset=3)
    assert [f["tag"] for f in rest["merge_fields"]] == ["PHONE", "BIRTHDAY", "HUBID", "PLAN"]
    plan = client.lists.get_list_merge_fields(MailchimpEmulator.LIST_ID, type="dropdown")["merge_fields"]
    assert plan[0]["options"]["choices"] == ["Free", "Pro"] and plan[0]["required"] is True
    assert client.lists.get_list_merge_field(MailchimpEmulator.LIST_ID, "6")["tag"] == "HUBID"
    member = client.lists.get_list_member(MailchimpEmulator.LIST_ID, app.create("kit@example.com"))
    assert set(member["merge_fields"]) == {f["tag"] for f in [*answer["merge_fields"], *rest["merge_fields"]]}
