"""NetSuite's published answers, served verbatim to the NetSuite connector after a real login flow
(the emulator's token endpoint checks the connector's signed client assertion)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from connectors.emulators.netsuite import NetSuiteEmulator
from connectors.emulators.server import EmulatorServer, Request, Response
from connectors.netsuite import NetSuiteConnector
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import WriteOp

REAL = Path(__file__).parents[1] / "fixtures" / "real" / "netsuite"
CUSTOMERS = ObjectSpec(
    "customer", ("id", "lastmodifieddate", "companyname"), "id", "lastmodifieddate", "externalId"
)


class PublishedCreate(NetSuiteEmulator):
    """The emulator's login and SuiteQL, with Oracle's published 204 for a record write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/services/rest/record/v1/customer/") and request.method == "PUT":
            self.writes.append(request.path)
            published = json.loads((REAL / "created_204.json").read_text())
            return Response(published["status"], b"", dict(published["headers"]))
        return super().handle(request)


class PublishedToken(NetSuiteEmulator):
    """The emulator, whose token endpoint answers with Oracle's published access token response."""

    def __init__(self) -> None:
        super().__init__()
        self.bearers: list[str] = []

    def handle(self, request: Request) -> Response:
        if request.path == "/services/rest/auth/oauth2/v1/token":
            super().handle(request)  # the signed assertion is still checked
            body = (REAL / "token_response.json").read_bytes()
            self.tokens[json.loads(body)["access_token"]] = self.clock() + timedelta(hours=1)
            return Response(200, body, {"Content-Type": "application/json;charset=UTF-8"})
        if request.path.startswith("/services/rest/query/"):
            self.bearers.append(request.headers.get("Authorization", ""))
        return super().handle(request)


def test_the_published_token_response_gives_the_bearer_of_the_next_call() -> None:
    app = PublishedToken()
    app.create("customer", {"companyname": "Acme"})
    published = json.loads((REAL / "token_response.json").read_text())["access_token"]
    with EmulatorServer(app) as server:
        pages = list(connector(app, server).read_changes(CUSTOMERS, None, 10))
    assert [r["companyname"] for page in pages for r in page.records] == ["Acme"]
    assert app.bearers and set(app.bearers) == {f"Bearer {published}"}
    assert app.stats["POST /services/rest/auth/oauth2/v1/token"] == 1  # cached, not fetched per call


def connector(app: NetSuiteEmulator, server: EmulatorServer) -> NetSuiteConnector:
    spec = app.connection(server.url)
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
    return NetSuiteConnector(parse_connection("netsuite_default", json.dumps(spec)), policy=policy)


def test_the_published_204_gives_the_id_in_its_location_header() -> None:
    app = PublishedCreate()
    with EmulatorServer(app) as server:
        [result] = connector(app, server).write(CUSTOMERS, [WriteOp("hub-1", {"companyname": "My Company"})])
    assert result.ok and result.id == "647" and result.created
    assert app.writes == ["/services/rest/record/v1/customer/eid:hub-1"]
