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


class PublishedUpdate(NetSuiteEmulator):
    """The emulator's login, with Oracle's published 204 for a record update (PATCH)."""

    def __init__(self) -> None:
        super().__init__()
        self.updates: list[tuple[str, dict[str, object]]] = []

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/services/rest/record/v1/customer/") and request.method == "PATCH":
            self.updates.append((request.path, request.json()))
            published = json.loads((REAL / "updated_204.json").read_text())
            return Response(published["status"], b"", dict(published["headers"]))
        return super().handle(request)


def test_the_published_update_204_is_an_update_of_the_record_in_its_location() -> None:
    app = PublishedUpdate()
    with EmulatorServer(app) as server:
        [result] = connector(app, server).write(
            CUSTOMERS, [WriteOp("hub-1", {"companyname": "Updated Customer"}, "107")]
        )
    assert result.ok and result.id == "107" and not result.created
    assert app.updates == [
        ("/services/rest/record/v1/customer/107", {"companyName": "Updated Customer", "externalId": "hub-1"})
    ]


IDS = ObjectSpec("customer", ("id",), "id")


class PublishedPages(NetSuiteEmulator):
    """The emulator's login, answering queries with Oracle's two published pages of a customer
    collection (Collection Paging: limit=2, three customers), chosen by the request's offset."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str | None, str | None]] = []

    def handle(self, request: Request) -> Response:
        if request.path == "/services/rest/query/v1/suiteql":
            limit, offset = request.arg("limit"), request.arg("offset")
            self.asked.append((limit, offset))
            page = {"0": "customers_page_1.json", "2": "customers_page_2.json"}[offset or "0"]
            kind = "application/vnd.oracle.resource+json; type=collection; charset=UTF-8"
            return Response(200, (REAL / page).read_bytes(), {"Content-Type": kind})
        return super().handle(request)


def test_the_published_collection_pages_are_read_to_the_end_and_no_further() -> None:
    app = PublishedPages()
    with EmulatorServer(app) as server:
        pages = list(connector(app, server).read_changes(IDS, None, 2))
    assert [[r["id"] for r in page.records] for page in pages] == [["107", "41"], ["90"]]
    assert {page.total for page in pages} == {3}  # totalResults
    assert app.asked == [("2", "0"), ("2", "2")]  # offset by limit; hasMore false ends the read
