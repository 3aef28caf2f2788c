"""HubSpot CRM objects as the emulator keeps them: ids, string properties, timestamps, unique values.

Every property value is a string, as the v3 API returns it. `createdAt`/`updatedAt` are ISO-8601 UTC
with milliseconds; the modified-date property is `lastmodifieddate` on contacts and
`hs_lastmodifieddate` on the other objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

OBJECT_TYPES = ("contacts", "companies", "deals", "tickets")
MODIFIED = {"contacts": "lastmodifieddate"}
UNIQUE = {
    "contacts": ("email", "hub_id"),
    "companies": ("hub_id",),
    "deals": ("hub_id",),
    "tickets": ("hub_id",),
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BUILT_IN = {"hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate"}


def modified_property(object_type: str) -> str:
    return MODIFIED.get(object_type, "hs_lastmodifieddate")


def iso(moment: datetime) -> str:
    """HubSpot's timestamp form: `2024-01-15T14:22:10.456Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def as_property(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class PropertyError(ValueError):
    """A property value the portal refuses (category VALIDATION_ERROR)."""

    def __init__(self, name: str, error: str, message: str) -> None:
        super().__init__(message)
        self.name, self.error = name, error


@dataclass
class HubSpotObject:
    id: str
    properties: dict[str, str | None]
    created: datetime
    updated: datetime
    archived: bool = False
    archived_at: datetime | None = None

    def view(self, object_type: str, wanted: list[str] | None) -> dict[str, Any]:
        """The record as the API shows it, with the asked-for (or default) properties."""
        names = wanted or ["createdate", modified_property(object_type), "hs_object_id"]
        return {
            "id": self.id,
            "properties": {name: self.properties.get(name) for name in names},
            "createdAt": iso(self.created),
            "updatedAt": iso(self.updated),
            "archived": self.archived,
            **({"archivedAt": iso(self.archived_at)} if self.archived_at else {}),
        }


@dataclass
class ObjectStore:
    """All records of one object type, with its unique-value indexes."""

    object_type: str
    clock: Callable[[], datetime]
    records: dict[str, HubSpotObject] = field(default_factory=dict)
    next_id: int = 1001
    unique: dict[str, dict[str, str]] = field(default_factory=dict)  # property -> value -> id

    @staticmethod
    def _key(name: str, value: str) -> str:
        return value.lower() if name == "email" else value

    def find_unique(self, name: str, value: str) -> HubSpotObject | None:
        record_id = self.unique.get(name, {}).get(self._key(name, value))
        record = self.records.get(record_id) if record_id else None
        return record if record is not None and not record.archived else None

    def _index(self, record: HubSpotObject, before: Mapping[str, str | None]) -> None:
        for name in UNIQUE[self.object_type]:
            index = self.unique.setdefault(name, {})
            old, new = before.get(name), record.properties.get(name)
            if old and index.get(self._key(name, old)) == record.id:
                del index[self._key(name, old)]
            if new:
                index[self._key(name, new)] = record.id

    def validate(self, values: Mapping[str, Any], current: HubSpotObject | None) -> dict[str, str | None]:
        clean = {name: as_property(value) for name, value in values.items()}
        for name in clean:
            if name in BUILT_IN:
                raise PropertyError(name, "READ_ONLY_VALUE", f'Property "{name}" is read-only')
        email = clean.get("email")
        if self.object_type == "contacts" and email is not None and not EMAIL.match(email):
            raise PropertyError("email", "INVALID_EMAIL", f"Email address {email} is invalid")
        for name in UNIQUE[self.object_type]:
            value = clean.get(name)
            holder = self.find_unique(name, value) if value else None
            if holder is not None and holder is not current:
                raise PropertyError(
                    name,
                    "CONFLICT",
                    f"{self.object_type[:-1].title()} already exists. Existing ID: {holder.id}",
                )
        return clean

    def create(self, values: Mapping[str, Any]) -> HubSpotObject:
        clean = self.validate(values, None)
        now = self.clock()
        record_id = str(self.next_id)
        self.next_id += 1
        stamp = iso(now)
        clean |= {"hs_object_id": record_id, "createdate": stamp, modified_property(self.object_type): stamp}
        record = HubSpotObject(record_id, clean, now, now)
        self.records[record_id] = record
        self._index(record, {})
        return record

    def update(self, record: HubSpotObject, values: Mapping[str, Any]) -> HubSpotObject:
        clean = self.validate(values, record)
        now = self.clock()
        before = dict(record.properties)
        record.properties.update(clean)
        self._index(record, before)
        record.properties[modified_property(self.object_type)] = iso(now)
        record.updated = now
        return record
