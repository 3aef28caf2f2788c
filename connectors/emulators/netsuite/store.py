"""NetSuite records in memory: the customer record type, its REST shape, validation and timestamps.

Rows are kept under the SuiteQL column names (lower-case: `companyname`, `externalid`,
`lastmodifieddate`) with typed values; the REST record service shows the same fields under their
REST names (`companyName`, `externalId`, `lastModifiedDate`), references as `{"id", "refName",
"links"}` objects and datetimes as ISO-8601 UTC (`2024-03-01T12:00:00Z`). NetSuite keeps datetimes to
the second. A refused write raises `Refused` with NetSuite's error code, detail and JSON path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

Clock = Callable[[], datetime]
Kind = Literal["integer", "text", "boolean", "datetime", "reference"]
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")
FIRST_ID = 101


@dataclass(frozen=True)
class Field:
    """One field of a record type: its REST name, its kind, and whether requests may set it."""

    rest: str
    kind: Kind
    writable: bool = True
    label: str = ""


CUSTOMER: dict[str, Field] = {
    "id": Field("id", "integer", writable=False, label="Internal ID"),
    "entityid": Field("entityId", "text", label="Customer ID"),
    "companyname": Field("companyName", "text", label="Company Name"),
    "email": Field("email", "text", label="Email"),
    "phone": Field("phone", "text", label="Phone"),
    "url": Field("url", "text", label="Web Address"),
    "comments": Field("comments", "text", label="Comments"),
    "externalid": Field("externalId", "text", label="External ID"),
    "subsidiary": Field("subsidiary", "reference", label="Primary Subsidiary"),
    "currency": Field("currency", "reference", label="Currency"),
    "isinactive": Field("isInactive", "boolean", label="Inactive"),
    "defaultaddress": Field("defaultAddress", "text", writable=False, label="Default Address"),
    "datecreated": Field("dateCreated", "datetime", writable=False, label="Date Created"),
    "lastmodifieddate": Field("lastModifiedDate", "datetime", writable=False, label="Date Last Modified"),
}
RECORD_TYPES: dict[str, dict[str, Field]] = {"customer": CUSTOMER}
# The reference lists a sandbox account ships with, by internal id.
SUBSIDIARIES = {1: "Omnihub Inc.", 2: "Omnihub UK Ltd", 3: "Omnihub GmbH"}
CURRENCIES = {1: "USA", 2: "British pound", 3: "Euro", 4: "Canadian Dollar"}
REFERENCES: dict[str, dict[int, str]] = {"subsidiary": SUBSIDIARIES, "currency": CURRENCIES}


JSON_SCHEMA = "https://json-schema.org/draft-06/hyper-schema#"


def json_schema(record_type: str, base: str) -> dict[str, Any]:
    """A record type as `GET /record/v1/metadata-catalog/{type}` with `Accept: application/schema+json`
    describes it ("Working with JSON Schema Metadata"): each field by its REST name with `title`, `type`,
    `format` (date-time) and `nullable`; a reference as an object linking to its type's metadata."""
    properties: dict[str, Any] = {}
    for name, field in RECORD_TYPES[record_type].items():
        prop: dict[str, Any] = {"title": field.label or field.rest}
        if field.kind == "reference":
            prop |= {"type": "object", "$ref": f"{base}/services/rest/record/v1/metadata-catalog/{name}"}
        elif field.kind == "datetime":
            prop |= {"type": "string", "format": "date-time"}
        else:
            prop["type"] = {"boolean": "boolean"}.get(field.kind, "string")  # ids are text in REST
        properties[field.rest] = prop | {"nullable": name != "id"}
    return {"type": "object", "properties": properties, "$schema": JSON_SCHEMA}


class Refused(ValueError):
    """A request NetSuite refuses: HTTP status, `o:errorCode`, `detail` and the JSON path at fault."""

    def __init__(self, status: int, code: str, detail: str, path: str | None = None) -> None:
        self.status, self.code, self.detail, self.path = status, code, detail, path
        super().__init__(detail)


def rest_time(moment: datetime) -> str:
    """`2024-03-01T12:00:00Z`: how REST web services write every datetime."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def columns(record_type: str) -> dict[str, str]:
    """The SuiteQL columns of a record type and their kinds."""
    return {name: field.kind for name, field in RECORD_TYPES[record_type].items()}


class Store:
    """Records by type and internal id."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.tables: dict[str, dict[int, dict[str, Any]]] = {t: {} for t in RECORD_TYPES}
        self._next = {t: FIRST_ID for t in RECORD_TYPES}

    def now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(microsecond=0)

    def get(self, record_type: str, record_id: int) -> dict[str, Any] | None:
        return self.tables[record_type].get(record_id)

    def by_external_id(self, record_type: str, external_id: str) -> dict[str, Any] | None:
        return next((r for r in self.tables[record_type].values() if r["externalid"] == external_id), None)

    def rows(self, record_type: str) -> list[dict[str, Any]]:
        return [self.tables[record_type][i] for i in sorted(self.tables[record_type])]

    def insert(self, record_type: str, values: Mapping[str, Any]) -> int:
        """Create a record from column values (validated); returns its internal id."""
        fields = RECORD_TYPES[record_type]
        row: dict[str, Any] = {name: None for name in fields} | {"isinactive": False}
        row |= {"subsidiary": 1, "currency": 1} | dict(values)
        if not row.get("entityid"):
            row["entityid"] = row.get("companyname")
        self.validate(record_type, row, None)
        record_id = self._next[record_type]
        self._next[record_type] += 1
        stamp = self.now()
        row.update(id=record_id, datecreated=stamp, lastmodifieddate=stamp)
        self.tables[record_type][record_id] = row
        return record_id

    def update(self, record_type: str, record_id: int, values: Mapping[str, Any]) -> None:
        """Change a record (validated); its lastmodifieddate moves to now."""
        merged = {**self.tables[record_type][record_id], **values}
        self.validate(record_type, merged, record_id)
        merged["lastmodifieddate"] = self.now()
        self.tables[record_type][record_id] = merged

    def validate(self, record_type: str, row: Mapping[str, Any], record_id: int | None) -> None:
        """Raise Refused the way NetSuite words a customer it will not save."""
        if not str(row.get("companyname") or "").strip():
            raise Refused(400, "USER_ERROR", "Please enter value(s) for: Company Name", "companyName")
        email = row.get("email")
        if email not in (None, "") and not EMAIL.match(str(email)):
            raise Refused(400, "USER_ERROR", "Please enter a valid email address.", "email")
        for name, choices in REFERENCES.items():
            if row.get(name) is not None and row[name] not in choices:
                raise Refused(400, "USER_ERROR", f"Invalid {name} reference key {row[name]}.", name)
        external = row.get("externalid")
        owner = self.by_external_id(record_type, external) if external else None
        if owner is not None and owner["id"] != record_id:
            raise Refused(
                400, "USER_ERROR", f"A record with the external ID '{external}' already exists.", "externalId"
            )

    def from_rest(self, record_type: str, body: Any) -> dict[str, Any]:
        """Column values from a REST request body; unknown, read-only or ill-typed fields are refused."""
        if not isinstance(body, dict):
            raise Refused(400, "INVALID_CONTENT", "The request body must be a JSON object.")
        by_rest = {field.rest: (name, field) for name, field in RECORD_TYPES[record_type].items()}
        values = {}
        for key, value in body.items():
            if key not in by_rest:
                raise Refused(
                    400,
                    "INVALID_PARAMETER",
                    f"Invalid field '{key}'. The record type '{record_type}' has no such field; "
                    "provide a valid field name.",
                    key,
                )
            name, field = by_rest[key]
            values[name] = _request_value(key, field, value)
        return values

    def to_rest(self, record_type: str, row: Mapping[str, Any], base: str) -> dict[str, Any]:
        """A record as `GET /record/v1/{type}/{id}` shows it (empty fields left out)."""
        href = f"{base}/services/rest/record/v1/{record_type}/{row['id']}"
        shown: dict[str, Any] = {"links": [{"rel": "self", "href": href}]}
        for name, field in RECORD_TYPES[record_type].items():
            value = row.get(name)
            if value is None:
                continue
            if field.kind == "datetime":
                value = rest_time(value)
            elif field.kind == "reference":
                ref_href = f"{base}/services/rest/record/v1/{name}/{value}"
                value = {"links": [{"rel": "self", "href": ref_href}], "id": str(value)}
                value["refName"] = REFERENCES[name].get(int(value["id"]), "")
            elif field.kind == "integer":
                value = str(value)
            shown[field.rest] = value
        return shown


def _request_value(key: str, field: Field, value: Any) -> Any:
    """One request field's value in column form, or Refused."""
    if not field.writable:
        raise Refused(400, "INVALID_PARAMETER", f"The field '{key}' is read-only and cannot be set.", key)
    if value is None:
        return None
    if field.kind == "reference":
        if isinstance(value, dict) and str(value.get("id", "")).isdigit():
            return int(value["id"])
        raise Refused(
            400, "INVALID_PARAMETER", f'Invalid value for \'{key}\': give a reference as {{"id": "1"}}.', key
        )
    if field.kind == "boolean" and not isinstance(value, bool):
        raise Refused(400, "INVALID_PARAMETER", f"Invalid value for '{key}': expected true or false.", key)
    if field.kind == "text" and not isinstance(value, str):
        raise Refused(400, "INVALID_PARAMETER", f"Invalid value for '{key}': expected a string.", key)
    return value
