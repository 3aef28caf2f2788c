"""Small public types that cross the boundary between the engine and the connectors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Record = dict[str, Any]
"""A record as a system returns it, or as the canonical model defines it."""

WriteKind = Literal["create", "update"]


@dataclass(slots=True)
class Page:
    """One page of changed records and the cursor value that covers all of them."""

    records: list[Record]
    cursor: datetime | None
    total: int | None = None


@dataclass(slots=True)
class WriteOp:
    """One record to write: update `target_id` when known, otherwise upsert by `hub_id`."""

    hub_id: str
    values: Record
    target_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecordError:
    """Why a system refused one record, in machine-readable form."""

    code: str
    message: str
    fields: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": list(self.fields)}


@dataclass(slots=True)
class WriteResult:
    """The outcome of writing one record: its id in the system, or an error."""

    id: str | None
    created: bool = False
    error: RecordError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class ObjectDescription:
    """What a system says about one of its objects: fields and their types."""

    name: str
    fields: dict[str, str] = field(default_factory=dict)
    external_id_fields: tuple[str, ...] = ()
