"""sObject Collections: create, update, upsert, delete and retrieve up to 200 records per request.

A well-formed request is always answered 200 with one result per record, in request order; a
malformed one (bad JSON, an unknown field, more than 200 records) gets 400 and changes nothing.
With allOrNone, one failed record rolls every other back (ALL_OR_NONE_OPERATION_ROLLED_BACK).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.emulators.salesforce.errors import (
    ROLLED_BACK,
    ApiError,
    RowError,
    SfError,
    bad_request,
    invalid_type,
)
from connectors.emulators.salesforce.ids import normalize_id
from connectors.emulators.salesforce.objects import FieldDef, SObjectDef
from connectors.emulators.salesforce.rest import Route, V, json_body
from connectors.emulators.salesforce.soql_exec import attributes
from connectors.emulators.salesforce.store import Store
from connectors.emulators.salesforce.values import record_from_json, to_json
from connectors.emulators.server import Request, Response

MAX_RECORDS = 200
TOO_MANY = "record limit reached. cannot submit more than 200 records into this call"
COLLECTION = V + r"/composite/sobjects"
Result = dict[str, Any]
Action = Callable[[], Result]


def succeeded(record_id: str, **extra: Any) -> Result:
    return {"id": record_id, "success": True, "errors": [], **extra}


def failed(*errors: SfError) -> Result:
    return {"success": False, "errors": [error.row() for error in errors]}


class CollectionsApi:
    """Handlers of /composite/sobjects."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def routes(self) -> list[Route]:
        """The sObject Collections resources."""
        return [
            ("POST", COLLECTION, self.create),
            ("PATCH", COLLECTION, self.update),
            ("DELETE", COLLECTION, self.delete),
            ("GET", COLLECTION + r"/(?P<sobject>\w+)", self.retrieve),
            ("POST", COLLECTION + r"/(?P<sobject>\w+)", self.retrieve),
            ("PATCH", COLLECTION + r"/(?P<sobject>\w+)/(?P<field>\w+)", self.upsert),
        ]

    # ---- request parsing ----

    def payload(self, request: Request) -> tuple[bool, list[Any]]:
        body = json_body(request)
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            raise bad_request("JSON_PARSER_ERROR", "Cannot deserialize the request: records must be a list")
        if len(records) > MAX_RECORDS:
            raise bad_request("EXCEEDED_ID_LIMIT", TOO_MANY)
        return body.get("allOrNone") in (True, "true"), records

    def row_type(self, record: Any, default: SObjectDef | None = None) -> SObjectDef:
        """The sObject of a row, from its `attributes.type` (or `default`)."""
        attributes = record.get("attributes") if isinstance(record, dict) else None
        name = attributes.get("type") if isinstance(attributes, dict) else None
        if not name:
            if default is None:
                raise bad_request("INVALID_TYPE", "Must send a concrete entity type.")
            return default
        sobject = self.store.catalog.get(str(name))
        if sobject is None:
            raise ApiError(400, invalid_type(str(name)))
        return sobject

    def sobject(self, request: Request) -> SObjectDef:
        sobject = self.store.catalog.get(request.params["sobject"])
        if sobject is None:
            raise ApiError(400, invalid_type(request.params["sobject"]))
        return sobject

    # ---- running rows ----

    def run(self, actions: list[Action], all_or_none: bool) -> Response:
        """Each row's result in order; with allOrNone, a failure undoes the successful rows."""
        savepoint = self.store.savepoint() if all_or_none else None
        results = []
        for action in actions:
            try:
                results.append(action())
            except RowError as exc:
                results.append(failed(*exc.errors))
        if savepoint is not None and not all(r["success"] for r in results):
            self.store.rollback(savepoint)
            results = [rolled_back(r) if r["success"] else r for r in results]
        return Response.json(results)

    def create(self, request: Request) -> Response:
        """`POST composite/sobjects`: create rows of any object types."""
        all_or_none, records = self.payload(request)
        rows = [(sobject := self.row_type(r), record_from_json(sobject, r)) for r in records]
        return self.run([self.insert_action(sobject, values) for sobject, values in rows], all_or_none)

    def insert_action(self, sobject: SObjectDef, values: dict[str, Any]) -> Action:
        def insert() -> Result:
            if "Id" in values:
                raise RowError(SfError("INVALID_FIELD", "cannot specify Id in an insert call", ("Id",)))
            return succeeded(self.store.insert(sobject, values), created=True)

        return insert

    def update(self, request: Request) -> Response:
        """`PATCH composite/sobjects`: update rows by id."""
        all_or_none, records = self.payload(request)
        rows = []
        for record in records:
            raw_id = (record.get("id") or record.get("Id")) if isinstance(record, dict) else None
            sobject = self.row_type(record, self.store.catalog.for_id(str(raw_id or "")))
            rows.append((sobject, record_from_json(sobject, record)))
        return self.run([self.update_action(sobject, values) for sobject, values in rows], all_or_none)

    def update_action(self, sobject: SObjectDef, values: dict[str, Any]) -> Action:
        """Update one row by its `id`."""

        def update() -> Result:
            """`PATCH composite/sobjects`: update rows by id."""
            raw_id = values.pop("Id", None)
            if not raw_id:
                raise RowError(SfError("MISSING_ARGUMENT", "Id not specified in an update call"))
            full = normalize_id(raw_id)
            if full is None or full[:3] != sobject.key_prefix:
                message = f"{sobject.label} ID: id value of incorrect type: {raw_id}"
                raise RowError(SfError("MALFORMED_ID", message, ("Id",)))
            self.store.update(sobject, full, values)
            return succeeded(full)

        return update

    def upsert(self, request: Request) -> Response:
        """`PATCH composite/sobjects/{Object}/{ExternalIdField}`."""
        sobject = self.sobject(request)
        key = sobject.field(request.params["field"])
        if key is None or not (key.external_id or key.type == "id"):
            message = (
                f"Provided external ID field does not exist or is not accessible: {request.params['field']}"
            )
            raise ApiError(404, SfError("NOT_FOUND", message))
        all_or_none, records = self.payload(request)
        rows = [record_from_json(self.row_type(r, sobject), r) for r in records]
        return self.run([self.upsert_action(sobject, key, values) for values in rows], all_or_none)

    def upsert_action(self, sobject: SObjectDef, key: FieldDef, values: dict[str, Any]) -> Action:
        """Upsert one row by its external id value."""

        def upsert() -> Result:
            """`PATCH composite/sobjects/{Object}/{ExternalIdField}`."""
            record_id, created = self.store.upsert(sobject, key, values.pop(key.name, None), values)
            return succeeded(record_id, created=created)

        return upsert

    def delete(self, request: Request) -> Response:
        """`DELETE composite/sobjects?ids=…&allOrNone=`."""
        ids = [i for i in (request.arg("ids") or "").split(",") if i]
        if not ids:
            raise bad_request("MISSING_ARGUMENT", "ids parameter is required")
        if len(ids) > MAX_RECORDS:
            raise bad_request("EXCEEDED_ID_LIMIT", TOO_MANY)
        all_or_none = (request.arg("allOrNone") or "false").lower() == "true"
        savepoint = self.store.savepoint() if all_or_none else None
        errors = self.store.delete_many(ids)
        results = [
            failed(e) if e else succeeded(normalize_id(i) or i) for i, e in zip(ids, errors, strict=True)
        ]
        if savepoint is not None and any(errors):
            self.store.rollback(savepoint)
            results = [rolled_back(r) if r["success"] else r for r in results]
        return Response.json(results)

    def retrieve(self, request: Request) -> Response:
        """`GET composite/sobjects/{Object}?ids=&fields=` (or POST them in the body); null for missing ids."""
        sobject = self.sobject(request)
        body = json_body(request) if request.method == "POST" else None
        if isinstance(body, dict):
            ids, names = list(body.get("ids") or []), list(body.get("fields") or [])
        else:
            ids, names = (request.arg("ids") or "").split(","), (request.arg("fields") or "").split(",")
        fields = [self.known_field(sobject, str(name).strip()) for name in names if str(name).strip()]
        if not fields or not ids:
            raise bad_request("MISSING_ARGUMENT", "ids and fields are required")
        version = request.params["version"]
        return Response.json([self.retrieved(sobject, str(i), fields, version) for i in ids])

    @staticmethod
    def known_field(sobject: SObjectDef, name: str) -> FieldDef:
        found = sobject.field(name)
        if found is None:
            raise bad_request("INVALID_FIELD", f"No such column '{name}' on entity '{sobject.name}'")
        return found

    def retrieved(self, sobject: SObjectDef, raw_id: str, fields: list[FieldDef], version: str) -> Any:
        record = self.store.get(raw_id.strip())
        if record is None or record["IsDeleted"] or record["Id"][:3] != sobject.key_prefix:
            return None
        body: dict[str, Any] = {"attributes": attributes(sobject, record["Id"], version)}
        return body | {f.name: to_json(record[f.name]) for f in fields}


def rolled_back(result: Result) -> Result:
    """A successful row undone by allOrNone (rows that created a record lose their id)."""
    undone: Result = {
        "success": False,
        "errors": [SfError("ALL_OR_NONE_OPERATION_ROLLED_BACK", ROLLED_BACK).row()],
    }
    if not result.get("created"):
        undone = {"id": result["id"], **undone}
    return undone
