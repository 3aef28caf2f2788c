"""The declarative REST connector in the shared connector test kit (see tests/connectors/kit.py):
Freshdesk's contacts described in `connectors/rest/examples/freshdesk.yaml`, against the Freshdesk
emulator, set up as the hand-written Freshdesk subject is (tests/connectors/kit_helpdesks.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from connectors.emulators.freshdesk import FreshdeskEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorApp, EmulatorServer, Request, Response, basic_credentials
from connectors.rest import EXAMPLES, declarative_connector, load_spec
from hub.io.connections import parse_connection
from hub.io.connector import Connector, ObjectSpec
from hub.io.records import WriteOp
from hub.testing import QUICK, Subject
from tests.connectors.kit import START

FRESHDESK_YAML = EXAMPLES / "freshdesk.yaml"


@contextmanager
def rest_freshdesk(folder: Path) -> Iterator[Subject]:
    cls = declarative_connector(FRESHDESK_YAML)
    clock = ManualClock(START)
    app = FreshdeskEmulator(clock=clock)
    app.retry_after = "0"
    obj = ObjectSpec(
        "contacts",
        ("id", "updated_at", "unique_external_id", "name", "email"),
        "id",
        "updated_at",
        "unique_external_id",
    )
    with EmulatorServer(app) as server:
        spec = {**app.connection(server.url), "conn_type": cls.conn_type}

        def build(password: str | None) -> Connector:
            given = {**spec, "password": password} if password is not None else spec
            return cls(parse_connection(cls.default_conn_id, json.dumps(given)), policy=QUICK)

        def op(i: int, valid: bool) -> WriteOp:
            values = {"name": f"Kit {i}" if valid else None, "email": f"kit{i}@example.com"}
            return WriteOp(str(uuid.uuid4()), values)

        def create(i: int) -> str:
            values = {"name": f"Direct {i}", "email": f"direct{i}@example.com", "unique_external_id": f"D{i}"}
            return str(app.create("contacts", values))

        yield Subject(
            cls.system,
            app,
            clock,
            obj,
            7,
            build,
            create,
            lambda record_id: app.edit("contacts", int(record_id), {"name": "Edited"}),
            op,
            lambda: {str(r["id"]) for r in app.records("contacts") if r["unique_external_id"]},
            str(spec["password"]),
        )


# A tiny emulator for the connector's own tests (tests/connectors/test_rest*.py) ----------------
WIDGET_TIME = "%Y-%m-%dT%H:%M:%SZ"
SECRET = "w-secret-Zq81Lk"  # the one credential every auth kind of the widgets emulator accepts
AuthMode = str  # basic, bearer, header, query, oauth2


class WidgetsEmulator(EmulatorApp):
    """Widgets `{id, name, updated_at}` listed in every paging style at `/api/{style}/widgets`:
    page (bare array), offset (`{data, total}`), cursor (`{results, paging.next.after}`), link
    (bare array + `Link` header, a 400 past `page_limit`) and next (`{items, links.next}`, a relative
    URL). Also GET/PUT `/api/widgets/{id}`, POST `/api/widgets`, batch `/api/widgets/batch/{create,
    update}` (`{"inputs": [{"id"?, "properties"}]}` → `{"results": [record | {"error"}]}`), an OAuth
    token endpoint, and errors as `{"error": {"code", "message", "field"}}`; throttling answers 420."""

    system = "widgets"

    def __init__(
        self, clock: ManualClock, auth: AuthMode = "bearer", page_limit: int = 1000, secret: str = SECRET
    ) -> None:
        super().__init__()
        self.clock = clock
        self.secret = secret
        self.auth = auth
        self.page_limit = page_limit
        self.rows: dict[int, dict[str, Any]] = {}
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.route("POST", r"/oauth/token", self._token)
        for method, pattern, handler in (
            ("GET", r"/api/me", lambda r: Response.json({"me": "widgets"})),
            ("GET", r"/api/(?P<style>page|offset|cursor|link|next)/widgets", self._list),
            ("GET", r"/api/widgets/(?P<id>\d+)", self._show),
            ("PUT", r"/api/widgets/(?P<id>\d+)", self._update),
            ("POST", r"/api/widgets", self._create),
            ("POST", r"/api/widgets/batch/(?P<kind>create|update)", self._batch),
        ):
            self.route(method, pattern, self._guarded(handler))

    # in-process helpers
    def create(self, name: str) -> int:
        record_id = len(self.rows) + 1
        self.rows[record_id] = {
            "id": record_id,
            "name": name,
            "updated_at": self.clock.now.strftime(WIDGET_TIME),
        }
        return record_id

    def ordered(self, since: str | None = None) -> list[dict[str, Any]]:
        rows = sorted(self.rows.values(), key=lambda r: (r["updated_at"], r["id"]))
        return [r for r in rows if since is None or r["updated_at"] >= since]

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def rate_limit_response(self) -> Response:
        return Response.json(
            {"error": {"code": "calm", "message": "Enhance your calm"}}, 420, {"Retry-After": "0"}
        )

    # auth
    def _guarded(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def guarded(request: Request) -> Response:
            if not self._authorized(request):
                return Response.json({"error": {"code": "unauthorized", "message": "Bad credentials"}}, 401)
            return handler(request)

        return guarded

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization") or ""
        if self.auth == "basic":
            return basic_credentials(header) == ("widget-user", self.secret)
        if self.auth == "bearer":
            return header == f"Bearer {self.secret}"
        if self.auth == "header":
            return request.headers.get("X-Api-Key") == f"Key {self.secret}"
        if self.auth == "query":
            return request.arg("api_key") == self.secret
        return header.removeprefix("Bearer ") in self.tokens

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        form = request.form()
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
            "client_credentials",
            "widget-client",
            self.secret,
        ):
            return Response.json({"error": "invalid_client"}, 401)
        token = f"tok-{self.token_requests}-{uuid.uuid4().hex[:8]}"
        self.tokens.add(token)
        return Response.json({"access_token": token, "token_type": "bearer", "expires_in": 3600})

    # lists
    def _list(self, request: Request) -> Response:
        rows = self.ordered(request.arg("updated_since"))
        if request.arg("name"):
            rows = [r for r in rows if r["name"] == request.arg("name")]
        answer: Response = getattr(self, f"_{request.params['style']}")(request, rows)
        return answer

    def _window(self, request: Request, rows: list[dict[str, Any]]) -> tuple[int, int, list[dict[str, Any]]]:
        page, size = int(request.arg("page") or 1), int(request.arg("per_page") or 10)
        return page, size, rows[(page - 1) * size : page * size]

    def _page(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        return Response.json(self._window(request, rows)[2])

    def _offset(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        offset, limit = int(request.arg("offset") or 0), int(request.arg("limit") or 10)
        return Response.json({"data": rows[offset : offset + limit], "total": len(rows)})

    def _cursor(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        start, limit = int((request.arg("after") or "o0")[1:]), int(request.arg("limit") or 10)
        body: dict[str, Any] = {"results": rows[start : start + limit]}
        if start + limit < len(rows):
            body["paging"] = {"next": {"after": f"o{start + limit}"}}
        return Response.json(body)

    def _link(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        page, size, window = self._window(request, rows)
        if page > self.page_limit:
            return Response.json({"error": {"code": "page", "message": "page too deep"}}, 400)
        headers = {}
        if len(rows) > page * size:
            query = {k: v[0] for k, v in request.query.items()} | {"page": page + 1}
            host = request.headers.get("Host")
            headers["Link"] = f'<http://{host}/api/link/widgets?{urlencode(query)}>; rel="next"'
        return Response.json(window, headers=headers)

    def _next(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        page, size, window = self._window(request, rows)
        query = {k: v[0] for k, v in request.query.items()} | {"page": page + 1}
        later = f"/api/next/widgets?{urlencode(query)}" if len(rows) > page * size else None
        return Response.json({"items": window, "links": {"next": later}})

    # records
    def _show(self, request: Request) -> Response:
        row = self.rows.get(int(request.params["id"]))
        return (
            Response.json(row) if row else Response.json({"error": {"code": "missing", "message": "no"}}, 404)
        )

    def _problem(self, values: Any) -> dict[str, Any] | None:
        if not isinstance(values, dict) or not isinstance(values.get("name"), str) or not values["name"]:
            return {"code": "invalid", "message": "name is required", "field": "name"}
        return None

    def _save(self, values: dict[str, Any], record_id: int | None) -> dict[str, Any]:
        record_id = record_id or len(self.rows) + 1
        stamp = self.clock.now.strftime(WIDGET_TIME)
        self.rows[record_id] = {
            **self.rows.get(record_id, {}),
            **values,
            "id": record_id,
            "updated_at": stamp,
        }
        return self.rows[record_id]

    def _create(self, request: Request) -> Response:
        values: Any = (request.json() or {}).get("widget")
        problem = self._problem(values)
        return (
            Response.json({"error": problem}, 400)
            if problem
            else Response.json({"widget": self._save(values, None)}, 201)
        )

    def _update(self, request: Request) -> Response:
        record_id = int(request.params["id"])
        if record_id not in self.rows:
            return Response.json({"error": {"code": "missing", "message": "no such widget"}}, 404)
        values: Any = (request.json() or {}).get("widget")
        problem = self._problem(values)
        return (
            Response.json({"error": problem}, 400)
            if problem
            else Response.json({"widget": self._save(values, record_id)})
        )

    def _batch(self, request: Request) -> Response:
        inputs = (request.json() or {}).get("inputs") or []
        if len(inputs) > 3:
            return Response.json({"error": {"code": "too_many", "message": "at most 3 inputs"}}, 400)
        results = []
        for entry in inputs:
            problem = self._problem(entry.get("properties"))
            record_id = int(entry["id"]) if request.params["kind"] == "update" else None
            if problem is None and record_id is not None and record_id not in self.rows:
                problem = {"code": "missing", "message": f"no widget {record_id}"}
            results.append({"error": problem} if problem else self._save(entry["properties"], record_id))
        return Response.json({"results": results})


def widgets_yaml(paging: str, auth: str = "{kind: bearer}", more: str = "") -> str:
    """A description of the widgets emulator: `paging` is "route|records path|paging block"
    (a STYLES value), `auth` an auth block, `more` lines appended to the object's write block."""
    route, records, block = paging.split("|")
    return f"""\
system: widgets
display_name: Widgets
base_url: "{{host}}/api"
auth: {auth}
check: me
errors:
  message: error.message
  code: error.code
  field: error.field
  rate_limited: [420]
objects:
  widgets:
    cursor: {{field: updated_at, format: "%Y-%m-%dT%H:%M:%SZ"}}
    list:
      path: {route}/widgets
      records: "{records}"
      since: {{param: updated_since}}
      filters: [name]
      paging: {block}
    get: widgets/{{id}}
    write:
      create: POST widgets
      update: PUT widgets/{{id}}
      wrap: widget
{more}"""


STYLES = {
    "page": "page||{style: page}",
    "offset": "offset|data|{style: offset, total: total}",
    "offset_short": "offset|data|{style: offset}",
    "cursor": "cursor|results|{style: cursor, token: paging.next.after, param: after, size_param: limit}",
    "link_header": "link||{style: link_header, size_param: per_page}",
    "next_url": "next|items|{style: next_url, url: links.next, size_param: per_page}",
}
"""Each paging style as "emulator route|records path|paging block"."""


@contextmanager
def widgets(
    folder: Path, yaml_text: str, auth: AuthMode = "bearer", **app_options: Any
) -> Iterator[tuple[WidgetsEmulator, Callable[..., Connector]]]:
    """The widgets emulator and a factory of connectors built from `yaml_text` (connection fields as keywords)."""
    path = folder / "widgets.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    cls = declarative_connector(load_spec(path))
    app = WidgetsEmulator(ManualClock(START), auth, **app_options)
    with EmulatorServer(app) as server:

        def build(**fields: Any) -> Connector:
            spec = {"conn_type": "widgets", "host": server.url, "password": SECRET, **fields}
            return cls(parse_connection("widgets_default", json.dumps(spec)), policy=QUICK)

        yield app, build
