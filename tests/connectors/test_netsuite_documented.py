"""NetSuite's documented error bodies, served verbatim to the NetSuite connector after a real login
flow (the emulator's token endpoint checks the connector's signed client assertion)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.emulators.netsuite import NetSuiteEmulator
from connectors.emulators.server import EmulatorServer, Request, Response
from connectors.netsuite import NetSuiteConnector
from hub.errors import APIError, AuthenticationError
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import WriteOp

REAL = Path(__file__).parents[1] / "fixtures" / "real" / "netsuite"
CUSTOMERS = ObjectSpec(
    "customer", ("id", "lastmodifieddate", "companyname"), "id", "lastmodifieddate", "externalId"
)


class Documented(NetSuiteEmulator):
    """The emulator's login, with NetSuite's documented answers for the calls a test names: each
    `(status, file)` served every time, or `(status, file, times)` only the first `times` times."""

    def __init__(self, answers: dict[str, tuple[int, str] | tuple[int, str, int]]) -> None:
        super().__init__()
        self.answers = answers
        self.served: list[str] = []

    def handle(self, request: Request) -> Response:
        for prefix, (status, name, *times) in self.answers.items():
            left = times[0] - self.served.count(name) if times else 1
            if request.path.startswith(prefix) and request.method != "GET" and left > 0:
                self.served.append(name)
                body = (REAL / name).read_bytes()
                return Response(
                    status, body, {"Content-Type": "application/vnd.oracle.resource+json; type=error"}
                )
        return super().handle(request)


@pytest.fixture
def documented(request: pytest.FixtureRequest) -> Iterator[tuple[Documented, EmulatorServer]]:
    app = Documented(request.param)
    with EmulatorServer(app) as server:
        yield app, server


def connector(app: Documented, server: EmulatorServer, login_flow: str = "oauth2") -> NetSuiteConnector:
    spec = app.connection(server.url, login_flow=login_flow)
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
    return NetSuiteConnector(parse_connection("netsuite_default", json.dumps(spec)), policy=policy)


@pytest.mark.parametrize(
    "documented", [{"/services/rest/query/": (401, "invalid_login.json")}], indirect=True
)
def test_the_documented_invalid_login_is_a_refusal_after_one_fresh_token(
    documented: tuple[Documented, EmulatorServer],
) -> None:
    app, server = documented
    ns = connector(app, server)
    with pytest.raises(AuthenticationError) as refused:
        list(ns.read_changes(CUSTOMERS, None, 10))
    message = str(refused.value)
    assert "INVALID_LOGIN" in message and "Invalid login attempt." in message
    assert app.stats["POST /services/rest/auth/oauth2/v1/token"] == 2  # the token fetched again once
    assert "BEGIN PRIVATE KEY" not in message


@pytest.mark.parametrize(
    "documented", [{"/services/rest/record/v1/customer/": (400, "invalid_content.json")}], indirect=True
)
def test_the_documented_invalid_content_is_that_records_error(
    documented: tuple[Documented, EmulatorServer],
) -> None:
    app, server = documented
    made = app.create("customer", {"companyname": "Acme"})
    [result] = connector(app, server).write(
        CUSTOMERS, [WriteOp("hub-1", {"companyname": "Acme 2"}, str(made))]
    )
    assert not result.ok and result.error is not None
    assert result.error.code == "INVALID_CONTENT" and result.error.fields == ("item.items[0].item",)
    assert (
        "You have entered an Invalid Field Value 9999 for the following field: item" in result.error.message
    )


@pytest.mark.parametrize(
    "documented", [{"/services/rest/query/": (429, "concurrency_limit_exceeded.json", 1)}], indirect=True
)
def test_the_documented_concurrency_429_is_retried_and_the_read_goes_on(
    documented: tuple[Documented, EmulatorServer],
) -> None:
    app, server = documented
    app.create("customer", {"companyname": "Acme"})
    pages = list(connector(app, server).read_changes(CUSTOMERS, None, 10))
    assert [r["companyname"] for page in pages for r in page.records] == ["Acme"]
    assert app.served == ["concurrency_limit_exceeded.json"]  # one 429, then the real answer


@pytest.mark.parametrize(
    "documented", [{"/services/rest/query/": (429, "concurrency_limit_exceeded.json")}], indirect=True
)
def test_the_documented_concurrency_429_names_its_code_though_its_json_is_broken(
    documented: tuple[Documented, EmulatorServer],
) -> None:
    """Oracle's published body lacks the comma after `"o:errorCode": "USER_ERROR"`: still, the error
    says the detail's code and words, not the raw text, once the retries are spent."""
    app, server = documented
    with pytest.raises(APIError) as blocked:
        list(connector(app, server).read_changes(CUSTOMERS, None, 10))
    assert blocked.value.status == 429 and blocked.value.code == "CONCURRENCY_LIMIT_EXCEEDED"
    message = str(blocked.value)
    assert "Concurrent request limit exceeded. Request blocked." in message and "USER_ERROR" not in message
    assert app.served == ["concurrency_limit_exceeded.json"] * 2  # max_attempts=2
    assert "BEGIN PRIVATE KEY" not in message


@pytest.mark.parametrize(
    "documented", [{"/services/rest/query/": (500, "unexpected_error.json")}], indirect=True
)
def test_the_documented_unexpected_error_is_retried_then_names_its_error_id(
    documented: tuple[Documented, EmulatorServer],
) -> None:
    app, server = documented
    with pytest.raises(APIError) as failed:
        list(connector(app, server).read_changes(CUSTOMERS, None, 10))
    assert failed.value.status == 500 and failed.value.code == "UNEXPECTED_ERROR"
    assert "An unexpected error occurred. Error ID: jrgbpyylphhishmmlxyt" in str(failed.value)
    assert app.served == ["unexpected_error.json"] * 2


@pytest.mark.parametrize(
    "documented", [{"/services/rest/record/v1/customer/": (404, "nonexistent_id.json")}], indirect=True
)
def test_the_documented_nonexistent_id_is_that_records_error(
    documented: tuple[Documented, EmulatorServer],
) -> None:
    app, server = documented
    [result] = connector(app, server).write(CUSTOMERS, [WriteOp("hub-1", {"companyname": "Gone"}, "999")])
    assert not result.ok and result.error is not None
    assert (result.error.code, result.error.message) == ("NONEXISTENT_ID", "Record does not exist.")
    assert app.served == ["nonexistent_id.json"]  # a record's error, not retried


@pytest.mark.parametrize(
    "documented", [{"/services/rest/query/": (401, "invalid_login.json")}], indirect=True
)
def test_the_documented_invalid_login_refuses_a_token_based_signature_once(
    documented: tuple[Documented, EmulatorServer],
) -> None:
    """The same published 401 answers a token-based authentication NetSuite will not accept (users
    quote it for an invalid signature, drudge/n8n-nodes-netsuite#9): named as TBA's refusal, with the
    realm and what to check, not retried (there is no token to fetch again), and no secret shown."""
    app, server = documented
    ns = connector(app, server, login_flow="tba")
    with pytest.raises(AuthenticationError) as refused:
        list(ns.read_changes(CUSTOMERS, None, 10))
    message = str(refused.value)
    assert refused.value.status == 401 and refused.value.code == "INVALID_LOGIN"
    assert "token-based authentication" in message and "'1234567_SB1'" in message
    assert "Invalid login attempt." in message and "clock of this machine" in message
    assert app.served == ["invalid_login.json"]
    keys = app.token_keys
    assert all(secret not in message for secret in (keys.consumer_secret, keys.token_secret, keys.token_id))
