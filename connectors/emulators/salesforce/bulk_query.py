"""Bulk API 2.0 query jobs, as simple-salesforce's `sf.bulk2.<Object>.query(…)` drives them.

    POST jobs/query {"operation": "query"|"queryAll", "query": …} -> UploadComplete
    GET jobs/query/{id} -> InProgress (for `progress_polls` polls) -> JobComplete
    GET jobs/query/{id}/results?maxRecords=n&locator=… -> CSV, with `Sforce-NumberOfRecords` and
        `Sforce-Locator` (the next page's locator, or the string "null" on the last page)

The query runs when the job is created and its rows are kept, so the pages are one snapshot.
Bulk queries take no parent-to-child sub-queries, aggregates or OFFSET, as in Salesforce.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.emulators.salesforce.bulk import DELIMITERS, LINE_ENDINGS, job_of, quoted
from connectors.emulators.salesforce.errors import bad_request
from connectors.emulators.salesforce.ids import format_datetime, make_id
from connectors.emulators.salesforce.rest import Route, V, json_body
from connectors.emulators.salesforce.soql import parse
from connectors.emulators.salesforce.soql_exec import Planner, execute
from connectors.emulators.salesforce.store import Store
from connectors.emulators.salesforce.values import to_text
from connectors.emulators.server import Request, Response

JOBS = V + r"/jobs/query"
JOB = JOBS + r"/(?P<job_id>\w{15,18})"
QUERY_JOB_PREFIX = "750"


@dataclass
class QueryJob:
    """One query job: its settings, state and the CSV rows it found."""

    id: str
    operation: str
    sobject: str
    delimiter: str
    line_ending: str
    created: datetime
    version: str
    created_by: str
    polls_left: int
    state: str = "UploadComplete"
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    def info(self, full: bool = False) -> dict[str, Any]:
        """The JobInfo body (`full` adds what GET reports)."""
        body: dict[str, Any] = {
            "id": self.id, "operation": self.operation, "object": self.sobject,
            "createdById": self.created_by, "createdDate": format_datetime(self.created),
            "systemModstamp": format_datetime(self.created), "state": self.state,
            "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": float(self.version),
            "lineEnding": self.line_ending, "columnDelimiter": self.delimiter,
        }  # fmt: skip
        if full:
            done = self.state == "JobComplete"
            body |= {
                "jobType": "V2Query", "numberRecordsProcessed": len(self.rows) if done else 0,
                "retries": 0, "totalProcessingTime": 0, "isPkChunkingSupported": True,
            }  # fmt: skip
        return body


def csv_cell(value: Any) -> str:
    """A value as a Bulk API 2.0 query result writes it (datetimes in UTC with Z)."""
    text = to_text(value)
    return text[:-5] + "Z" if isinstance(value, datetime) and text.endswith("+0000") else text


def locator_for(offset: int) -> str:
    """An opaque locator, Salesforce style (base64 of the next row's position)."""
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def offset_of(locator: str) -> int | None:
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


class BulkQueryApi:
    """Handlers of /jobs/query; `progress_polls` is how many polls see a job InProgress."""

    def __init__(self, store: Store, user_id: str, progress_polls: int = 1) -> None:
        self.store, self.user_id, self.progress_polls = store, user_id, progress_polls
        self.jobs: dict[str, QueryJob] = {}

    def routes(self) -> list[Route]:
        return [
            ("POST", JOBS, self.create),
            ("GET", JOB, self.get),
            ("GET", JOB + r"/results", self.results),
        ]

    def job(self, request: Request) -> QueryJob:
        return job_of(self.jobs, request)

    def create(self, request: Request) -> Response:
        """`POST jobs/query`: run the query and keep its rows."""
        body = json_body(request)
        if not isinstance(body, dict):
            raise bad_request("INVALIDJOB", "InvalidJob : the job definition must be a JSON object")
        operation = body.get("operation")
        if operation not in ("query", "queryAll"):
            raise bad_request("INVALIDJOB", f"InvalidJob : Invalid value for operation: {operation}")
        delimiter, line_ending = body.get("columnDelimiter", "COMMA"), body.get("lineEnding", "LF")
        if delimiter not in DELIMITERS or line_ending not in LINE_ENDINGS:
            raise bad_request("INVALIDJOB", "InvalidJob : Invalid columnDelimiter or lineEnding")
        if not isinstance(body.get("query"), str) or not body["query"].strip():
            raise bad_request("INVALIDJOB", "InvalidJob : query is required for a query job")
        parsed = parse(body["query"])
        if parsed.children or parsed.aggregates or parsed.group_by or parsed.count_only or parsed.offset:
            message = (
                "InvalidJob : Bulk API 2.0 queries support no sub-queries, aggregates, GROUP BY or OFFSET"
            )
            raise bad_request("INVALIDJOB", message)
        planner = Planner(self.store, parsed)
        plan = planner.plan()
        getters = [planner.getter(column) for column in plan.columns]
        records = execute(plan, self.store, include_deleted=operation == "queryAll")
        job_id = make_id(QUERY_JOB_PREFIX, len(self.jobs) + 1)
        job = QueryJob(
            job_id, operation, plan.sobject.name, delimiter, line_ending, self.store.now(),
            request.params["version"], self.user_id, self.progress_polls,
            header=[ref.path for ref in parsed.fields],
            rows=[[csv_cell(get(record)) for get in getters] for record in records],
        )  # fmt: skip
        self.jobs[job.id] = job
        return Response.json(job.info())

    def get(self, request: Request) -> Response:
        job = self.job(request)
        if job.state in ("UploadComplete", "InProgress"):
            job.state = "InProgress" if job.polls_left > 0 else "JobComplete"
            job.polls_left -= 1
        return Response.json(job.info(full=True))

    def results(self, request: Request) -> Response:
        """One page of CSV from `locator` (the start when absent), at most `maxRecords` rows."""
        job = self.job(request)
        if job.state != "JobComplete":
            raise bad_request(
                "INVALIDJOBSTATE", f"InvalidJobState : Job state {job.state} has no results yet"
            )
        start = offset_of(request.arg("locator") or "MA")  # "MA" is 0
        if start is None or start > len(job.rows):
            raise bad_request("INVALIDLOCATOR", "InvalidLocator : Invalid locator")
        wanted = request.arg("maxRecords")
        size = int(wanted) if wanted and wanted.isdigit() and int(wanted) > 0 else len(job.rows) or 1
        end = min(start + size, len(job.rows))
        delimiter, newline = DELIMITERS[job.delimiter], LINE_ENDINGS[job.line_ending]
        lines = [quoted(job.header, delimiter), *(quoted(row, delimiter) for row in job.rows[start:end])]
        response = Response.text(newline.join(lines) + newline, content_type="text/csv")
        response.headers["Sforce-NumberOfRecords"] = str(end - start)
        response.headers["Sforce-Locator"] = locator_for(end) if end < len(job.rows) else "null"
        return response
