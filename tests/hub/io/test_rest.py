"""The REST connector base against a tiny local server: refused credentials, error classification by the
one retry rule, and error messages that name the request without its secrets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.emulators.server import EmulatorApp, EmulatorServer, Request, Response
from hub.errors import AuthenticationError, FatalAPIError, RetryableAPIError
from hub.io.connections import Connection
from hub.io.http import RetryPolicy
from hub.io.rest import RequestAuth, RESTConnector, json_body
from tests.hub.io.test_connector import Minimal

SECRET = "acme-key-5c1f9e"  # sent as a query parameter, the easiest place for a secret to leak from
ATTEMPTS = 3


class Scripted(EmulatorApp):
    """Answers each request under /api/ with the next scripted answer (200 `{"ok": true}` after)."""

    system = "acme"

    def __init__(self) -> None:
        super().__init__()
        self.script: list[Response] = []
        self.seen: list[Request] = []
        self.route("GET", r"/api/things", self.answer)
        self.route("POST", r"/api/things", self.answer)

    def answer(self, request: Request) -> Response:
        self.seen.append(request)
        return self.script.pop(0) if self.script else Response.json({"ok": True})


class AcmeConnector(RESTConnector, Minimal):
    """What a subclass declares: root, auth, auth statuses, error body, a throttling signal (reads and
    writes are `Minimal`'s: nothing here uses them)."""

    system = "acme"
    display_name = "Acme"
    conn_type = "acme"
    default_conn_id = "acme_default"
    max_batch = 10
    max_page = 10
    auth_statuses = frozenset({401, 407})
    credential_name = "the API key"

    def api_root(self) -> str:
        return f"{self.connection.base_url()}/api"

    def credentials(self) -> RequestAuth:
        return RequestAuth(params={"api_key": self.connection.password or ""})

    def error_detail(self, response: requests.Response) -> tuple[str | None, str]:
        body = json_body(response)
        if not isinstance(body, dict):
            return super().error_detail(response)
        return body.get("code"), str(body.get("message"))

    def retryable(self, response: Any) -> bool:
        """Acme throttles with a 403 that says "slow down"."""
        return bool(response.status_code == 403 and "slow down" in response.text)


@pytest.fixture
def app() -> Iterator[Scripted]:
    yield Scripted()


@pytest.fixture
def acme(app: Scripted) -> Iterator[AcmeConnector]:
    with EmulatorServer(app) as server:
        connection = Connection("acme_default", "acme", host=server.url, password=SECRET)
        yield AcmeConnector(connection, policy=RetryPolicy(max_attempts=ATTEMPTS, base_delay=0, max_delay=0))


def problem(status: int, code: str, message: str) -> Response:
    return Response.json({"code": code, "message": message}, status)


def test_an_auth_status_is_an_authentication_error_naming_the_connection_not_the_secret(
    app: Scripted, acme: AcmeConnector
) -> None:
    app.script = [problem(407, "key_revoked", "This API key was revoked")]
    with pytest.raises(AuthenticationError) as caught:
        acme.call("GET", "things")
    message = str(caught.value)
    assert message.startswith("acme: connection 'acme_default': Acme refused the API key")
    assert "This API key was revoked" in message and "(HTTP 407, key_revoked)" in message
    assert SECRET not in message
    assert app.seen[0].arg("api_key") == SECRET and len(app.seen) == 1  # sent once, never replayed


def test_a_refused_request_is_fatal_naming_system_request_status_and_the_vendors_message(
    app: Scripted, acme: AcmeConnector
) -> None:
    app.script = [problem(400, "invalid", "Name is required")]
    with pytest.raises(FatalAPIError) as caught:
        acme.call("GET", "things", params={"page": 2})
    assert not isinstance(caught.value, RetryableAPIError)
    assert str(caught.value) == "acme: GET /api/things: Name is required (HTTP 400, invalid)"
    assert (caught.value.status, caught.value.code) == (400, "invalid")
    assert app.seen[0].arg("page") == "2" and len(app.seen) == 1


def test_a_plain_text_error_body_is_the_message(app: Scripted, acme: AcmeConnector) -> None:
    app.script = [Response.text("method not allowed here", 405)]
    with pytest.raises(
        FatalAPIError, match=r"^acme: POST /api/things: method not allowed here \(HTTP 405\)$"
    ):
        acme.call("POST", f"{acme.api_root()}/things?api_key={SECRET}", body={"name": "x"})
    assert app.seen[0].headers["Content-Type"] == "application/json"


def test_a_503_that_outlasts_the_retries_is_retryable(app: Scripted, acme: AcmeConnector) -> None:
    app.script = [problem(503, "maintenance", "Back soon")] * ATTEMPTS
    with pytest.raises(RetryableAPIError) as caught:
        acme.call("GET", "things")
    assert str(caught.value) == "acme: GET /api/things: Back soon (HTTP 503, maintenance)"
    assert len(app.seen) == ATTEMPTS and acme.calls.retries() == {"acme": ATTEMPTS - 1}


def test_the_subclass_throttling_signal_is_retried_and_classified_retryable(
    app: Scripted, acme: AcmeConnector
) -> None:
    app.script = [problem(403, "throttled", "slow down"), Response.json({"ok": True})]
    assert acme.call("GET", "things") == {"ok": True}
    assert acme.calls.retries() == {"acme": 1}
    app.script = [problem(403, "throttled", "slow down")] * ATTEMPTS
    with pytest.raises(RetryableAPIError, match=r"slow down \(HTTP 403, throttled\)"):
        acme.call("GET", "things")
    app.script = [problem(403, "forbidden", "not yours")]  # a 403 without the signal: not retried
    with pytest.raises(FatalAPIError) as caught:
        acme.call("GET", "things")
    assert not isinstance(caught.value, RetryableAPIError)
    assert acme.calls.retries() == {"acme": ATTEMPTS}


def test_missing_ok_turns_a_404_into_none(app: Scripted, acme: AcmeConnector) -> None:
    app.script = [problem(404, "not_found", "no such thing")] * 2
    assert acme.call("GET", "things", missing_ok=True) is None
    with pytest.raises(FatalAPIError, match=r"no such thing \(HTTP 404, not_found\)"):
        acme.call("GET", "things")
