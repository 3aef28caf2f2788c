"""The Zendesk connector against the Zendesk emulator: exports, batch jobs and failure handling."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorApp, EmulatorServer, Request, Response
from connectors.emulators.zendesk import ZendeskEmulator
from connectors.zendesk import ZendeskConnector
from hub.errors import AuthenticationError, FatalAPIError
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import WriteOp

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
USERS = ObjectSpec(
    "users", ("id", "updated_at", "external_id", "name", "email"), "id", "updated_at", "external_id"
)
ORGANIZATIONS = ObjectSpec("organizations", ("id", "updated_at", "external_id", "name"), "id", "updated_at")
TICKETS = ObjectSpec("tickets", ("id", "updated_at", "subject"), "id", "updated_at")
REAL = Path(__file__).parents[1] / "fixtures" / "real" / "zendesk"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def zendesk(clock: ManualClock) -> Iterator[tuple[ZendeskEmulator, EmulatorServer]]:
    app = ZendeskEmulator(clock=clock)
    app.retry_after = "0"
    with EmulatorServer(app) as server:
        yield app, server


def connector(app: ZendeskEmulator, server: EmulatorServer, **override: object) -> ZendeskConnector:
    spec = {**app.connection(server.url), "extra": {"job_poll_interval": 0.01}, **override}
    conn = parse_connection("zendesk_default", json.dumps(spec))
    return ZendeskConnector(conn, policy=RetryPolicy(base_delay=0.01, max_delay=0.05))


def user(i: int, **values: object) -> WriteOp:
    return WriteOp(str(uuid.uuid4()), {"name": f"User {i}", "email": f"user{i}@example.com", **values})


def calls(app: ZendeskEmulator, endpoint: str) -> int:
    return sum(n for key, n in app.stats.items() if endpoint in key)


def ids(pages: object) -> list[int]:
    return [r["id"] for page in pages for r in page.records]  # type: ignore[attr-defined]


def test_full_and_incremental_reads(
    zendesk: tuple[ZendeskEmulator, EmulatorServer], clock: ManualClock
) -> None:
    app, server = zendesk
    made = []
    for i in range(9):
        made.append(app.create("users", {"name": f"U{i}", "email": f"u{i}@example.com"}))
        clock.advance(10)
    pages = list(connector(app, server).read_changes(USERS, None, 4))
    assert ids(pages) == made and [len(p.records) for p in pages] == [4, 4, 1]
    assert pages[-1].cursor == START + timedelta(seconds=80)
    clock.advance(600)
    app.edit("users", made[3], {"name": "Edited"})
    since = pages[-1].cursor
    changed = list(connector(app, server).read_changes(USERS, since + timedelta(seconds=1), 4))
    assert ids(changed) == [made[3]] and changed[-1].cursor == clock.now


def test_records_sharing_one_second_survive_page_boundaries(
    zendesk: tuple[ZendeskEmulator, EmulatorServer],
) -> None:
    app, server = zendesk
    users = {app.create("users", {"name": f"U{i}"}) for i in range(11)}
    orgs = {app.create("organizations", {"name": f"Org {i}"}) for i in range(11)}
    tickets = {app.create("tickets", {"subject": f"T{i}", "description": "x"}) for i in range(11)}
    zd = connector(app, server)
    for obj, made in ((USERS, users), (ORGANIZATIONS, orgs), (TICKETS, tickets)):
        read = ids(zd.read_changes(obj, START, 3))
        assert sorted(read) == sorted(made), obj.name


def test_time_based_export_dedupes_the_repeated_last_second(
    zendesk: tuple[ZendeskEmulator, EmulatorServer], clock: ManualClock
) -> None:
    app, server = zendesk
    made = []
    for i in range(7):
        made.append(app.create("organizations", {"name": f"Org {i}"}))
        clock.advance(1 if i % 2 else 0)
    read = ids(connector(app, server).read_changes(ORGANIZATIONS, None, 2))
    assert read == made


def test_a_mixed_batch_gives_one_result_per_record_in_order(
    zendesk: tuple[ZendeskEmulator, EmulatorServer],
) -> None:
    app, server = zendesk
    ops = [user(0), user(1, name=None), user(2, email="not-an-email"), user(3)]
    results = connector(app, server).write(USERS, ops)
    assert [r.ok for r in results] == [True, False, False, True]
    assert results[1].error is not None and "Name: cannot be blank" in results[1].error.message
    assert results[2].error is not None and results[2].error.code == "UserCreateError"
    stored = {r["external_id"]: r for r in app.records("users")}
    assert str(stored[ops[0].hub_id]["id"]) == results[0].id and results[0].created
    again = connector(app, server).write(USERS, [user(0, name="Renamed")])  # matched on email
    assert again[0].id == results[0].id and not again[0].created


@pytest.mark.parametrize("n", [250, 1250])
def test_batches_of_100_are_one_call_each_and_their_jobs_are_polled_together(
    zendesk: tuple[ZendeskEmulator, EmulatorServer], n: int
) -> None:
    app, server = zendesk
    zd = connector(app, server)
    results = zd.write(USERS, [user(i) for i in range(n)])
    assert all(r.ok for r in results) and len({r.id for r in results}) == n
    assert [r.id for r in results] == sorted(r.id for r in results)  # one result per op, in order
    jobs = math.ceil(n / 100)
    groups = math.ceil(jobs / 10)  # up to 10 jobs in flight, polled through show_many
    assert calls(app, "create_or_update_many") == jobs
    assert calls(app, "job_statuses") == groups * 2  # "working", then "completed"
    assert app.stats["requests"] == zd.calls.total("zendesk") == jobs + groups * 2  # nothing else


def test_updates_by_target_id_and_fetch_and_find(zendesk: tuple[ZendeskEmulator, EmulatorServer]) -> None:
    app, server = zendesk
    zd = connector(app, server)
    created = zd.write(USERS, [user(i) for i in range(3)])
    target = created[1].id
    assert target is not None
    updated = zd.write(USERS, [WriteOp("HUB-X", {"name": "By id"}, target_id=target)])
    assert updated[0].id == target and updated[0].ok
    assert [r["name"] for r in zd.fetch(USERS, [target, "999"])] == ["By id"]
    hub_ids = [r["external_id"] for r in app.records("users")]
    assert {r["external_id"] for r in zd.find(USERS, {"external_id": hub_ids[:2]})} == set(hub_ids[:2])
    assert [r["email"] for r in zd.find(USERS, {"email": ["user2@example.com"]})] == ["user2@example.com"]


def test_rate_limits_are_retried_and_counted(zendesk: tuple[ZendeskEmulator, EmulatorServer]) -> None:
    app, server = zendesk
    zd = connector(app, server)
    app.faults.configure(0.5, ("rate_limit",), seed=3)
    results = zd.write(USERS, [user(i) for i in range(30)])
    read = ids(zd.read_changes(USERS, None, 7))
    app.faults.configure(0.0, ())
    assert all(r.ok for r in results) and {int(str(r.id)) for r in results} == set(read)
    assert zd.calls.retries()["zendesk"] == app.stats["faults:rate_limit"] > 0


def test_refused_credentials_raise_without_the_token(zendesk: tuple[ZendeskEmulator, EmulatorServer]) -> None:
    app, server = zendesk
    wrong = "Wrong-Token-4242"
    with pytest.raises(AuthenticationError) as caught:
        list(connector(app, server, password=wrong).read_changes(USERS, None, 10))
    assert "'zendesk_default'" in str(caught.value) and wrong not in str(caught.value)
    assert app.token not in str(caught.value)
    assert "agent@omnihub.example" in connector(app, server).check()


def test_oauth_token_from_the_extras(zendesk: tuple[ZendeskEmulator, EmulatorServer]) -> None:
    app, server = zendesk
    oauth = connector(app, server, password=None, extra={"oauth_token": app.oauth_token})
    assert oauth.check()


def test_too_large_batches_and_unknown_objects_are_fatal(
    zendesk: tuple[ZendeskEmulator, EmulatorServer],
) -> None:
    app, server = zendesk
    zd = connector(app, server)
    with pytest.raises(FatalAPIError, match="TooManyValues"):
        zd.call("POST", "users/create_or_update_many.json", body={"users": [{}] * 101})
    with pytest.raises(FatalAPIError, match="unknown object"):
        zd.fetch(ObjectSpec("macros", ("id",), "id"), ["1"])


class Published(EmulatorApp):
    """Zendesk's own bodies, served verbatim for the users export, once each in turn, then an empty page."""

    system = "zendesk"

    def __init__(self, *answers: tuple[int, str, dict[str, str]]) -> None:
        super().__init__()
        self.answers = list(answers)
        self.route("GET", r"/api/v2/incremental/users/cursor(?:\.json)?", self.answer)

    def answer(self, request: Request) -> Response:
        if self.answers:
            status, name, headers = self.answers.pop(0)
            return Response(status, (REAL / name).read_bytes(), headers)
        end = {"users": [], "after_cursor": "x", "after_url": None, "before_cursor": None, "before_url": None}
        return Response.json(end | {"end_of_stream": True})


def published(server: EmulatorServer) -> ZendeskConnector:
    spec = {
        "conn_type": "zendesk",
        "host": server.url,
        "login": "agent@example.com",
        "password": "zd-token-1",
    }
    policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)
    return ZendeskConnector(parse_connection("zendesk_default", json.dumps(spec)), policy=policy)


def test_zendesks_plain_text_429_is_waited_out() -> None:
    app = Published(
        (429, "rate_limited.txt", {"Content-Type": "text/plain; charset=utf-8", "Retry-After": "0"})
    )
    with EmulatorServer(app) as server:
        zd = published(server)
        assert [p.records for p in zd.read_changes(USERS, None, 100)] in ([], [[]])
    assert zd.calls.retries() == {"zendesk": 1}


def test_zendesks_too_many_values_names_the_limit() -> None:
    app = Published((400, "too_many_values.json", {"Content-Type": "application/json"}))
    with EmulatorServer(app) as server, pytest.raises(FatalAPIError) as refused:
        list(published(server).read_changes(USERS, None, 100))
    assert "Parameter  cannot specify more than 100 values" in str(refused.value)
    assert refused.value.status == 400


class Recorded(EmulatorApp):
    """Two cursor-export pages recorded from a real Zendesk account, then the end of the stream."""

    system = "zendesk"

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[dict[str, list[str]]] = []
        self.route("GET", r"/api/v2/incremental/tickets/cursor(?:\.json)?", self.answer)

    def answer(self, request: Request) -> Response:
        self.queries.append(request.query)
        number = len(self.queries)
        if number <= 2:
            body = (REAL / f"incremental_tickets_cursor_{number}.json").read_bytes()
            return Response(200, body, {"Content-Type": "application/json; charset=utf-8"})
        end = {
            "tickets": [],
            "after_url": None,
            "after_cursor": None,
            "before_url": None,
            "before_cursor": None,
        }
        return Response.json(end | {"end_of_stream": True})


def test_zendesks_recorded_cursor_pages_are_followed_by_their_after_cursor() -> None:
    app = Recorded()
    with EmulatorServer(app) as server:
        records = [r for page in published(server).read_changes(TICKETS, None, 1) for r in page.records]
    assert [r["id"] for r in records] == [28, 29]
    assert records[0]["via"]["channel"] == "api" and records[0]["generated_timestamp"] == 1695052663
    assert app.queries[1]["cursor"] == ["MTY5NTA1MjY2My4wfHwyOHw="]  # sent back as it came
    assert app.queries[2]["cursor"] == ["MTY5NTA1MjY2My4wfHwyOXw="]


class RecordedJob(EmulatorApp):
    """A bulk write answered with a job recorded from a real account: queued, then completed."""

    system = "zendesk"

    def __init__(self) -> None:
        super().__init__()
        self.polls = 0
        self.route("POST", r"/api/v2/organizations/create_or_update_many(?:\.json)?", self.queued)
        self.route("GET", r"/api/v2/job_statuses/show_many(?:\.json)?", self.polled)

    def queued(self, request: Request) -> Response:
        return Response(
            200, (REAL / "job_status_queued.json").read_bytes(), {"Content-Type": "application/json"}
        )

    def polled(self, request: Request) -> Response:
        self.polls += 1
        job = json.loads((REAL / "job_status_completed.json").read_bytes())
        return Response.json({"job_statuses": [job["job_status"]]})


def test_a_recorded_job_gives_one_result_per_record_in_order() -> None:
    app = RecordedJob()
    ops = [WriteOp(f"hub-{i}", {"name": f"Org {i}"}, str(3862 + i)) for i in range(100)]
    with EmulatorServer(app) as server:
        zd = published(server)
        zd.connection.extra["job_poll_interval"] = 0.01
        results = zd.write(ORGANIZATIONS, ops)
    recorded = json.loads((REAL / "job_status_completed.json").read_text())["job_status"]["results"]
    assert [r.id for r in results] == [str(r["id"]) for r in recorded]  # in order, with no index
    assert all(r.ok and not r.created for r in results) and app.polls >= 1


JSON = {"Content-Type": "application/json; charset=utf-8"}


def refused_read(status: int, name: str) -> tuple[pytest.ExceptionInfo[FatalAPIError], ZendeskConnector]:
    """The users export answered once with a body Zendesk sent: the error the read raises."""
    app = Published((status, name, JSON))
    with EmulatorServer(app) as server, pytest.raises(FatalAPIError) as refused:
        zd = published(server)
        list(zd.read_changes(USERS, None, 100))
    return refused, zd


def test_zendesks_401_names_the_connection_and_zendesks_words_never_the_token() -> None:
    refused, zd = refused_read(401, "unauthorized.json")
    error = refused.value
    assert isinstance(error, AuthenticationError) and error.status == 401 and error.system == "zendesk"
    assert "'zendesk_default'" in str(error) and "Couldn't authenticate you" in str(error)
    assert error.code is None  # Zendesk's 401 says a sentence, not a code
    assert "zd-token-1" not in str(error) and zd.calls.total("zendesk") == 1  # not retried


def test_zendesks_403_for_an_agent_without_access_says_zendesks_title_and_message() -> None:
    refused, zd = refused_read(403, "forbidden.json")
    error = refused.value
    assert error.status == 403 and error.code == "Forbidden" and not isinstance(error, AuthenticationError)
    assert (
        "Forbidden: You do not have access to this page. Please contact the account owner of this help "
        "desk for further help." in str(error)
    )
    assert "{" not in str(error) and "agent's role" in str(error)  # read, not a dict dumped
    assert "zd-token-1" not in str(error) and zd.calls.total("zendesk") == 1


def test_zendesks_403_for_a_token_missing_a_scope_names_the_scope() -> None:
    refused, _ = refused_read(403, "forbidden_scope.json")
    assert refused.value.code == "Forbidden"
    assert "You are missing the following required scopes: read" in str(refused.value)


def test_zendesks_recorded_404_is_fatal_with_its_code() -> None:
    refused, zd = refused_read(404, "record_not_found.json")
    error = refused.value
    assert error.status == 404 and error.code == "RecordNotFound" and "Not found" in str(error)
    assert zd.calls.total("zendesk") == 1


def test_zendesks_recorded_422_says_each_problem_in_zendesks_words() -> None:
    refused, zd = refused_read(422, "record_invalid_blank_description.json")
    error = refused.value
    assert error.status == 422 and error.code == "RecordInvalid"
    assert "Record validation errors; Description: cannot be blank (BlankValue)" in str(error)
    assert "{" not in str(error) and zd.calls.total("zendesk") == 1  # not retried
