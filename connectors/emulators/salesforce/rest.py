"""The REST API's sObject resources: versions, describe, limits, single-record CRUD and upsert,
and the getUpdated / getDeleted replication resources."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from connectors.emulators.salesforce.errors import (
    ApiError,
    RowError,
    SfError,
    bad_request,
    entity_deleted,
    not_found,
)
from connectors.emulators.salesforce.ids import format_datetime, normalize_id, parse_datetime
from connectors.emulators.salesforce.objects import FieldDef, SObjectDef
from connectors.emulators.salesforce.soql_exec import attributes
from connectors.emulators.salesforce.store import DeletedRecord, MissingRecord, Record, Store
from connectors.emulators.salesforce.values import record_from_json, to_json
from connectors.emulators.server import Request, Response

V = r"/services/data/v(?P<version>\d+\.\d)"
SOBJECT = V + r"/sobjects/(?P<sobject>\w+)"
Route = tuple[str, str, Callable[[Request], Response]]
# Salesforce answered upserts that updated a record with 204 until API version 46.0.
UPSERT_BODY_SINCE = 46.0
DELETED_RETENTION = timedelta(days=15)


def release_name(version: float) -> str:
    """The release an API version shipped with: 59.0 -> "Winter '24"."""
    step = round(version) - 59
    return f"{('Winter', 'Spring', 'Summer')[step % 3]} '{24 + step // 3}"


def json_body(request: Request) -> Any:
    """The request's JSON, or Salesforce's 400 JSON_PARSER_ERROR."""
    try:
        return json.loads(request.body or b"null", parse_float=Decimal)  # currency stays exact
    except json.JSONDecodeError as exc:
        raise bad_request(
            "JSON_PARSER_ERROR", f"{exc.msg} at [line:{exc.lineno}, column:{exc.colno}]"
        ) from None


def rest_row_error(exc: RowError) -> ApiError:
    return ApiError(400, *exc.errors)


class RestApi:
    """Handlers of /services/data/vNN.N/ (sObjects, describe, limits)."""

    def __init__(self, store: Store, usage: Callable[[], tuple[int, int]], org_created: datetime) -> None:
        self.store, self.usage, self.org_created = store, usage, org_created

    def routes(self) -> list[Route]:
        """Specific routes first: `{sobject}/{id}` would otherwise swallow `describe` and friends."""
        return [
            ("GET", V, self.resources),
            ("GET", V + r"/limits", self.limits),
            ("GET", V + r"/sobjects", self.describe_global),
            ("GET", SOBJECT, self.sobject_info),
            ("POST", SOBJECT, self.create),
            ("GET", SOBJECT + r"/describe", self.describe),
            ("GET", SOBJECT + r"/updated", self.updated),
            ("GET", SOBJECT + r"/deleted", self.deleted),
            ("GET", SOBJECT + r"/(?P<field>\w+)/(?P<value>[^/]+)", self.get_by_field),
            ("PATCH", SOBJECT + r"/(?P<field>\w+)/(?P<value>[^/]+)", self.upsert),
            ("GET", SOBJECT + r"/(?P<record_id>[^/]+)", self.get),
            ("PATCH", SOBJECT + r"/(?P<record_id>[^/]+)", self.update),
            ("DELETE", SOBJECT + r"/(?P<record_id>[^/]+)", self.delete),
        ]

    # ---- org-level resources ----

    @staticmethod
    def versions(request: Request) -> Response:
        """`GET /services/data/`: every API version, no session needed."""
        return Response.json(
            [
                {"label": release_name(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
                for v in range(31, 60)
            ]
        )

    def resources(self, request: Request) -> Response:
        base = f"/services/data/v{request.params['version']}"
        names = ("sobjects", "query", "queryAll", "limits", "composite", "jobs/ingest")
        return Response.json({name.split("/")[0]: f"{base}/{name}" for name in names})

    def limits(self, request: Request) -> Response:
        """`GET limits/`: the org's allocations and what remains of them."""
        used, total = self.usage()
        return Response.json(
            {
                "DailyApiRequests": {"Max": total, "Remaining": max(total - used, 0)},
                "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
                "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
                "DataStorageMB": {"Max": 1024, "Remaining": 1000},
            }
        )

    def describe_global(self, request: Request) -> Response:
        version = request.params["version"]
        sobjects = [s.summary(version) for s in self.store.catalog.sobjects]
        return Response.json({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects})

    def sobject(self, request: Request) -> SObjectDef:
        found = self.store.catalog.get(request.params["sobject"])
        if found is None:
            raise not_found()
        return found

    def sobject_info(self, request: Request) -> Response:
        summary = self.sobject(request).summary(request.params["version"])
        return Response.json({"objectDescribe": summary, "recentItems": []})

    def describe(self, request: Request) -> Response:
        sobject = self.sobject(request)
        children = self.store.catalog.children(sobject)
        return Response.json(sobject.describe(request.params["version"], children))

    # ---- records ----

    def record_json(self, sobject: SObjectDef, record: Record, version: str, fields: str | None) -> Any:
        names = [f.name for f in sobject.fields]
        if fields:
            names = [self.field(sobject, name.strip(), 400).name for name in fields.split(",")]
        body: dict[str, Any] = {"attributes": attributes(sobject, record["Id"], version)}
        return body | {name: to_json(record[name]) for name in names}

    @staticmethod
    def field(sobject: SObjectDef, name: str, status: int) -> FieldDef:
        found = sobject.field(name)
        if found is None:
            message = f"No such column '{name}' on sobject of type {sobject.name}"
            raise ApiError(status, SfError("INVALID_FIELD", message))
        return found

    def live_record(self, sobject: SObjectDef, raw_id: str) -> Record:
        """The record a URL id names; 404 NOT_FOUND or ENTITY_IS_DELETED otherwise."""
        full = normalize_id(raw_id)
        if full is None:
            message = f"Provided external ID field does not exist or is not accessible: {raw_id}"
            raise ApiError(404, SfError("NOT_FOUND", message))
        try:
            return self.store.table(sobject).live(full)
        except MissingRecord:
            raise not_found() from None
        except DeletedRecord:
            raise ApiError(404, entity_deleted()) from None

    def get(self, request: Request) -> Response:
        sobject = self.sobject(request)
        record = self.live_record(sobject, request.params["record_id"])
        return Response.json(
            self.record_json(sobject, record, request.params["version"], request.arg("fields"))
        )

    def lookup_field(self, sobject: SObjectDef, name: str) -> FieldDef:
        found = sobject.field(name)
        if found is None or not (found.external_id or found.type == "id"):
            message = f"Provided external ID field does not exist or is not accessible: {name}"
            raise ApiError(404, SfError("NOT_FOUND", message))
        return found

    def get_by_field(self, request: Request) -> Response:
        """`GET sobjects/{Object}/{ExternalIdField}/{value}`."""
        sobject = self.sobject(request)
        key = self.lookup_field(sobject, request.params["field"])
        matches = self.store.find(sobject, key, unquote(request.params["value"]))
        version = request.params["version"]
        if not matches:
            raise not_found()
        if len(matches) > 1:
            urls = [attributes(sobject, r["Id"], version)["url"] for r in matches]
            return Response.json(urls, 300)
        return Response.json(self.record_json(sobject, matches[0], version, request.arg("fields")))

    def create(self, request: Request) -> Response:
        """`POST sobjects/{Object}/`: 201 with the new id."""
        sobject = self.sobject(request)
        values = record_from_json(sobject, json_body(request))
        try:
            record_id = self.store.insert(sobject, values)
        except RowError as exc:
            raise rest_row_error(exc) from None
        location = attributes(sobject, record_id, request.params["version"])["url"]
        return Response.json({"id": record_id, "success": True, "errors": []}, 201, {"Location": location})

    def update(self, request: Request) -> Response:
        """`PATCH sobjects/{Object}/{Id}`: 204."""
        sobject = self.sobject(request)
        record = self.live_record(sobject, request.params["record_id"])
        values = record_from_json(sobject, json_body(request))
        if normalize_id(str(values.get("Id"))) == record["Id"]:
            del values["Id"]
        try:
            self.store.update(sobject, record["Id"], values)
        except RowError as exc:
            raise rest_row_error(exc) from None
        return Response.empty(204)

    def upsert(self, request: Request) -> Response:
        """`PATCH sobjects/{Object}/{ExternalIdField}/{value}`: 201 created, or 200 `created: false`."""
        sobject = self.sobject(request)
        key = self.lookup_field(sobject, request.params["field"])
        key_value = unquote(request.params["value"])
        values = record_from_json(sobject, json_body(request))
        if key.name in values and str(values.pop(key.name)).lower() != key_value.lower():
            raise bad_request(
                "INVALID_FIELD", f"{key.name} specified in the URL does not match the request body"
            )
        try:
            record_id, created = self.store.upsert(sobject, key, key_value, values)
        except MissingRecord:
            raise not_found() from None
        except RowError as exc:
            raise rest_row_error(exc) from None
        body = {"id": record_id, "success": True, "errors": [], "created": created}
        if created:
            return Response.json(body, 201)
        return (
            Response.json(body) if float(request.params["version"]) >= UPSERT_BODY_SINCE else Response.empty()
        )

    def delete(self, request: Request) -> Response:
        sobject = self.sobject(request)
        record = self.live_record(sobject, request.params["record_id"])
        self.store.delete_many([record["Id"]])
        return Response.empty(204)

    # ---- replication ----

    def window(self, request: Request) -> tuple[datetime, datetime]:
        """The start and end parameters, to the minute (Salesforce ignores the seconds)."""
        bounds = []
        for name in ("start", "end"):
            text = request.arg(name)
            moment = parse_datetime(text) if text else None
            if moment is None:
                raise bad_request("INVALID_REPLICATION_DATE", f"Invalid {name} date: {text}")
            bounds.append(moment.replace(second=0, microsecond=0))
        start, end = bounds[0], min(bounds[1], self.store.now().replace(second=0, microsecond=0))
        if start >= end:
            message = "start date must chronologically precede end date by more than one minute"
            raise bad_request("INVALID_REPLICATION_DATE", message)
        return start, end

    def changed(self, request: Request, deleted: bool) -> tuple[list[Record], datetime]:
        start, end = self.window(request)
        if deleted:
            start = max(start, self.store.now() - DELETED_RETENTION)
        rows = self.store.table(self.sobject(request)).rows.values()
        return [r for r in rows if r["IsDeleted"] == deleted and start <= r["SystemModstamp"] < end], end

    def updated(self, request: Request) -> Response:
        """`GET sobjects/{Object}/updated/?start=&end=`: ids of records changed in the window."""
        records, end = self.changed(request, deleted=False)
        return Response.json({"ids": [r["Id"] for r in records], "latestDateCovered": format_datetime(end)})

    def deleted(self, request: Request) -> Response:
        """`GET sobjects/{Object}/deleted/?start=&end=`: records deleted in the window (15 days kept)."""
        records, end = self.changed(request, deleted=True)
        return Response.json(
            {
                "deletedRecords": [
                    {"id": r["Id"], "deletedDate": format_datetime(r["SystemModstamp"])} for r in records
                ],
                "earliestDateAvailable": format_datetime(self.org_created),
                "latestDateCovered": format_datetime(end),
            }
        )
