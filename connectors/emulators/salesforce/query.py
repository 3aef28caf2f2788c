"""The query and queryAll resources: SOQL over the store, paged through query locators.

A query's result is a snapshot: the records it matched are kept (records are immutable dicts) and
served page by page from `nextRecordsUrl`, however the data changes meanwhile.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from connectors.emulators.salesforce.errors import ApiError, SfError, bad_request
from connectors.emulators.salesforce.ids import make_id
from connectors.emulators.salesforce.rest import Route, V
from connectors.emulators.salesforce.soql import parse
from connectors.emulators.salesforce.soql_exec import Plan, Planner, aggregate, execute, project
from connectors.emulators.salesforce.store import Record, Store
from connectors.emulators.server import Request, Response

DEFAULT_BATCH, MIN_BATCH, MAX_BATCH = 2000, 200, 2000
MAX_OFFSET = 2000
OPEN_CURSORS = 100
BATCH_OPTION = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
LOCATOR_PREFIX = "01g"


@dataclass
class Cursor:
    """The snapshot of one query, served `batch` records at a time."""

    plan: Plan
    rows: list[Record]
    batch: int


def batch_size(request: Request) -> int:
    """The page size asked for in `Sforce-Query-Options: batchSize=N`, kept within 200..2000."""
    match = BATCH_OPTION.search(request.headers.get("Sforce-Query-Options") or "")
    return max(MIN_BATCH, min(MAX_BATCH, int(match.group(1)))) if match else DEFAULT_BATCH


class QueryApi:
    """Handlers of query/, queryAll/ and query/{locator}-{offset}."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cursors: OrderedDict[str, Cursor] = OrderedDict()
        self.opened = 0

    def routes(self) -> list[Route]:
        more = r"/(?P<locator>\w{18})-(?P<start>\d+)"
        return [
            ("GET", V + r"/(?P<endpoint>query|queryAll)", self.query),
            ("GET", V + r"/(?P<endpoint>query|queryAll)" + more, self.more),
        ]

    def query(self, request: Request) -> Response:
        """`GET query/?q=` and `queryAll/?q=`: the first page of a SOQL result."""
        soql = request.arg("q")
        if not soql:
            raise bad_request("MALFORMED_QUERY", "A query string has to be specified")
        parsed = parse(soql)
        if parsed.offset is not None and parsed.offset > MAX_OFFSET:
            raise bad_request("NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}")
        plan = Planner(self.store, parsed).plan()
        if plan.aggregated:
            found = aggregate(plan, self.store, include_deleted=request.params["endpoint"] == "queryAll")
            return Response.json({"totalSize": len(found), "done": True, "records": found})
        rows = execute(plan, self.store, include_deleted=request.params["endpoint"] == "queryAll")
        if parsed.count_only:
            return Response.json({"totalSize": len(rows), "done": True, "records": []})
        cursor = Cursor(plan, rows, batch_size(request))
        locator = self.open(cursor) if len(rows) > cursor.batch else ""
        return self.page(cursor, locator, 0, request.params["version"])

    def more(self, request: Request) -> Response:
        cursor = self.cursors.get(request.params["locator"])
        start = int(request.params["start"])
        if cursor is None or start >= len(cursor.rows):
            raise ApiError(400, SfError("INVALID_QUERY_LOCATOR", "invalid query locator"))
        self.cursors.move_to_end(request.params["locator"])
        return self.page(cursor, request.params["locator"], start, request.params["version"])

    def open(self, cursor: Cursor) -> str:
        """Register a cursor; the oldest ones are closed, as Salesforce limits open cursors."""
        self.opened += 1
        locator = make_id(LOCATOR_PREFIX, self.opened)
        self.cursors[locator] = cursor
        while len(self.cursors) > OPEN_CURSORS:
            self.cursors.popitem(last=False)
        return locator

    @staticmethod
    def page(cursor: Cursor, locator: str, start: int, version: str) -> Response:
        end = min(start + cursor.batch, len(cursor.rows))
        done = end >= len(cursor.rows)
        body: dict[str, object] = {"totalSize": len(cursor.rows), "done": done}
        if not done:
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
        body["records"] = [project(cursor.plan, record, version) for record in cursor.rows[start:end]]
        return Response.json(body)
