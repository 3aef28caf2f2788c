"""Bulk API 2.0 ingest jobs, as simple-salesforce's `sf.bulk2.<Object>.insert/upsert/…` drive them.

    POST jobs/ingest -> Open; PUT …/batches (CSV, once) -> 201; PATCH {"state": "UploadComplete"};
    GET jobs/ingest/{id} -> InProgress (for `progress_polls` polls) -> JobComplete (or Failed);
    GET …/successfulResults/ | failedResults/ | unprocessedrecords/ -> CSV.

Rows are validated like any other write; an empty cell leaves a field alone and #N/A empties it;
`Parent.ExternalId__c` columns set a lookup by the parent's external id.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from connectors.emulators.salesforce.errors import ApiError, RowError, SfError, bad_request, not_found
from connectors.emulators.salesforce.ids import format_datetime, make_id, normalize_id
from connectors.emulators.salesforce.objects import FieldDef, SObjectDef
from connectors.emulators.salesforce.rest import Route, V, json_body
from connectors.emulators.salesforce.store import Store
from connectors.emulators.salesforce.values import TypeMismatch, from_text
from connectors.emulators.server import Request, Response

J = TypeVar("J")


def job_of(jobs: dict[str, J], request: Request) -> J:
    """The job a `…/jobs/{ingest|query}/{job_id}` route names (15- or 18-character id), else 404."""
    found = jobs.get(normalize_id(request.params["job_id"]) or "")
    if found is None:
        raise not_found()
    return found


JOBS = V + r"/jobs/ingest"
JOB = JOBS + r"/(?P<job_id>\w{15,18})"
OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
RESULT_COLUMNS = {"successfulResults": ("sf__Id", "sf__Created"), "failedResults": ("sf__Id", "sf__Error")}
FINAL_STATES = ("JobComplete", "Failed", "Aborted")
MULTIPLE_UPLOADS = (
    "Found multiple contents for job: <{id}>, please 'Close' / 'Abort' / 'Delete' the current Job then "
    "create a new Job and make sure you only do 'PUT' once on a given Job."
)


@dataclass(frozen=True)
class Column:
    """A CSV column: the field it writes, or a lookup set through the parent's external id."""

    field: FieldDef
    parent: SObjectDef | None = None
    parent_key: FieldDef | None = None


@dataclass
class Job:
    """One ingest job and its outcome."""

    id: str
    operation: str
    sobject: SObjectDef
    external_id: FieldDef | None
    line_ending: str
    delimiter: str
    created: datetime
    version: str
    created_by: str
    state: str = "Open"
    final_state: str = "JobComplete"
    polls_left: int = 0
    data: str | None = None
    error_message: str | None = None
    header: list[str] = field(default_factory=list)
    successes: list[list[str]] = field(default_factory=list)
    failures: list[list[str]] = field(default_factory=list)
    unprocessed: list[list[str]] = field(default_factory=list)

    def info(self, full: bool = False) -> dict[str, Any]:
        """The JobInfo body (`full` adds the counters that GET reports)."""
        body: dict[str, Any] = {
            "id": self.id, "operation": self.operation, "object": self.sobject.name,
            "createdById": self.created_by, "createdDate": format_datetime(self.created),
            "systemModstamp": format_datetime(self.created), "state": self.state,
            "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": float(self.version),
            "contentUrl": f"services/data/v{self.version}/jobs/ingest/{self.id}/batches",
            "lineEnding": self.line_ending, "columnDelimiter": self.delimiter,
        }  # fmt: skip
        if self.external_id is not None:
            body["externalIdFieldName"] = self.external_id.name
        if full:
            body |= {
                "jobType": "V2Ingest", "retries": 0, "totalProcessingTime": 0, "apiActiveProcessingTime": 0,
                "apexProcessingTime": 0, "numberRecordsProcessed": len(self.successes) + len(self.failures),
                "numberRecordsFailed": len(self.failures),
            }  # fmt: skip
            if self.error_message:
                body["errorMessage"] = self.error_message
        return body


def read_csv(job: Job) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the job's uploaded CSV."""
    reader = csv.reader(io.StringIO(job.data or ""), delimiter=DELIMITERS[job.delimiter])
    return next(reader, []), [row for row in reader if row]


def quoted(cells: list[str], delimiter: str) -> str:
    return delimiter.join('"' + cell.replace('"', '""') + '"' for cell in cells)


class BulkApi:
    """Handlers of /jobs/ingest; `progress_polls` is how many polls see a job InProgress."""

    def __init__(self, store: Store, user_id: str, progress_polls: int = 1) -> None:
        self.store, self.user_id, self.progress_polls = store, user_id, progress_polls
        self.jobs: dict[str, Job] = {}

    def routes(self) -> list[Route]:
        """The ingest job resources (simple-salesforce asks for `unprocessedRecords`)."""
        return [
            ("POST", JOBS, self.create),
            ("GET", JOBS, self.list_jobs),
            ("GET", JOB, self.get),
            ("PATCH", JOB, self.set_state),
            ("DELETE", JOB, self.delete),
            ("PUT", JOB + r"/batches", self.upload),
            ("GET", JOB + r"/(?P<kind>successfulResults|failedResults|unprocessed[Rr]ecords)", self.results),
        ]

    def job(self, request: Request) -> Job:
        return job_of(self.jobs, request)

    # ---- job lifecycle ----

    def create(self, request: Request) -> Response:
        """`POST jobs/ingest`: a new Open job."""
        body = json_body(request)
        if not isinstance(body, dict):
            raise bad_request("INVALIDJOB", "InvalidJob : request body must be a JobInfo object")
        sobject = self.store.catalog.get(str(body.get("object") or ""))
        operation = str(body.get("operation") or "")
        if sobject is None:
            raise bad_request("INVALIDJOB", f"InvalidJob : Unable to find object: {body.get('object')}")
        if operation not in OPERATIONS:
            raise bad_request("INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
        key = self.external_id(sobject, operation, body)
        job = Job(
            make_id("750", len(self.jobs) + 1), operation, sobject, key,
            self.option(body, "lineEnding", LINE_ENDINGS, "LF"),
            self.option(body, "columnDelimiter", DELIMITERS, "COMMA"),
            self.store.now(), request.params["version"], self.user_id,
        )  # fmt: skip
        self.jobs[job.id] = job
        return Response.json(job.info())

    @staticmethod
    def option(body: dict[str, Any], name: str, allowed: dict[str, str], default: str) -> str:
        value = str(body.get(name) or default)
        if value not in allowed:
            raise bad_request("INVALIDJOB", f"InvalidJob : Invalid {name}: {value}")
        return value

    @staticmethod
    def external_id(sobject: SObjectDef, operation: str, body: dict[str, Any]) -> FieldDef | None:
        """The upsert key of a job; upserts must name an external id (or Id) field."""
        if operation != "upsert":
            return None
        name = str(body.get("externalIdFieldName") or "")
        if not name:
            message = (
                f"InvalidJob : External ID was blank for {sobject.name}. "
                "An External ID must be specified for upsert."
            )
            raise bad_request("INVALIDJOB", message)
        key = sobject.field(name)
        if key is None or not (key.external_id or key.type == "id"):
            raise bad_request("INVALIDJOB", f"InvalidJob : The field {name} is not an external id field")
        return key

    def list_jobs(self, request: Request) -> Response:
        return Response.json(
            {"done": True, "records": [j.info() for j in self.jobs.values()], "nextRecordsUrl": None}
        )

    def get(self, request: Request) -> Response:
        job = self.job(request)
        if job.state in ("UploadComplete", "InProgress"):
            job.state = "InProgress" if job.polls_left > 0 else job.final_state
            job.polls_left -= 1
        return Response.json(job.info(full=True))

    def upload(self, request: Request) -> Response:
        job = self.job(request)
        if job.state != "Open" or job.data is not None:
            raise bad_request("BULK_API_ERROR", MULTIPLE_UPLOADS.format(id=job.id))
        job.data = request.body.decode("utf-8-sig")
        return Response.empty(201)

    def set_state(self, request: Request) -> Response:
        """`PATCH jobs/ingest/{id}`: UploadComplete (which processes the data) or Aborted."""
        job, wanted = self.job(request), (json_body(request) or {}).get("state")
        if wanted == "UploadComplete" and job.state == "Open":
            job.state, job.polls_left = "UploadComplete", self.progress_polls
            self.process(job)
        elif wanted == "Aborted" and job.state not in FINAL_STATES:
            if not job.header:  # aborted before processing: every row stays unprocessed
                job.header, job.unprocessed = read_csv(job)
            job.state = job.final_state = "Aborted"
        else:
            message = f"InvalidJobState : Job state {job.state} cannot be changed to {wanted}"
            raise bad_request("INVALIDJOBSTATE", message)
        return Response.json(job.info())

    def delete(self, request: Request) -> Response:
        job = self.job(request)
        if job.state == "Open":
            raise bad_request("INVALIDJOBSTATE", "InvalidJobState : an Open job cannot be deleted")
        del self.jobs[job.id]
        return Response.empty(204)

    # ---- processing ----

    def process(self, job: Job) -> None:
        """Write every row of the uploaded CSV, recording each row's outcome."""
        job.header, rows = read_csv(job)
        try:
            columns = [self.column(job.sobject, name) for name in job.header]
        except ApiError as exc:
            job.final_state, job.error_message = "Failed", exc.errors[0].message
            job.unprocessed = rows
            return
        for cells in rows:
            self.process_row(job, columns, cells + [""] * (len(columns) - len(cells)))

    def column(self, sobject: SObjectDef, name: str) -> Column:
        """What a CSV header names: a field, or `Relationship.ExternalIdField` of a parent."""
        relationship, _, key_name = name.partition(".")
        if key_name:
            link = sobject.relationships.get(relationship.lower())
            parent = self.store.catalog.get(link.reference_to or "") if link else None
            key = parent.field(key_name) if parent else None
            if link and parent and key and (key.external_id or key.type == "id"):
                return Column(link, parent, key)
        elif (found := sobject.field(name)) is not None:
            return Column(found)
        raise bad_request("INVALIDBATCH", f"InvalidBatch : Field name not found : {name}")

    def process_row(self, job: Job, columns: list[Column], cells: list[str]) -> None:
        """Write one row and record its success or its first error."""
        record_id = ""
        try:
            values = self.values(columns, cells)
            record_id = str(values.get("Id") or "")
            record_id, created = self.write(job, values)
        except RowError as exc:
            job.failures.append([record_id, exc.errors[0].bulk(), *cells])
            return
        job.successes.append([record_id, "true" if created else "false", *cells])

    def values(self, columns: list[Column], cells: list[str]) -> dict[str, Any]:
        """A row's non-empty cells as stored values."""
        values: dict[str, Any] = {}
        for column, cell in zip(columns, cells, strict=False):
            if cell == "":
                continue  # an empty cell leaves the field unchanged
            try:
                values[column.field.name] = (
                    self.parent_id(column, cell) if column.parent else from_text(column.field, cell)
                )
            except TypeMismatch as exc:
                raise RowError(exc.row_error()) from None
        return values

    def parent_id(self, column: Column, cell: str) -> str | None:
        """The id of the parent a `Relationship.ExternalIdField` cell names."""
        if cell == "#N/A" or column.parent is None or column.parent_key is None:
            return None
        found = self.store.find(column.parent, column.parent_key, cell)
        if not found:
            key, parent = column.parent_key.name, column.parent.name
            message = f"Foreign key external ID: {cell} not found for field {key} in entity {parent}"
            raise RowError(SfError("INVALID_FIELD", message))
        return str(found[0]["Id"])

    def write(self, job: Job, values: dict[str, Any]) -> tuple[str, bool]:
        """Apply the job's operation to one row; returns (id, created)."""
        sobject, operation = job.sobject, job.operation
        if operation == "insert":
            return self.store.insert(sobject, values), True
        if operation == "upsert" and job.external_id is not None:
            key_value = values.pop(job.external_id.name, None)
            return self.store.upsert(sobject, job.external_id, key_value, values)
        record_id = normalize_id(str(values.pop("Id", "") or ""))
        if record_id is None:
            raise RowError(SfError("MISSING_ARGUMENT", f"Id not specified in an {operation} call"))
        if operation == "update":
            self.store.update(sobject, record_id, values)
        elif (error := self.store.delete_many([record_id])[0]) is not None:
            raise RowError(error)
        return record_id, False

    def results(self, request: Request) -> Response:
        job, kind = self.job(request), request.params["kind"]
        delimiter, newline = DELIMITERS[job.delimiter], LINE_ENDINGS[job.line_ending]
        leading = RESULT_COLUMNS.get(kind, ())
        header = delimiter.join([*(f'"{name}"' for name in leading), *job.header])
        rows = {"successfulResults": job.successes, "failedResults": job.failures}.get(kind, job.unprocessed)
        lines = [header, *(quoted(row, delimiter) for row in rows)]
        return Response.text(newline.join(lines) + newline, content_type="text/csv")
