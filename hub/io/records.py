"""Small public types that cross the boundary between the engine and the connectors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from hub.io.connector import ObjectSpec

Record = dict[str, Any]
"""A record as a system returns it, or as the canonical model defines it."""

WriteKind = Literal["create", "update"]


MAX_UNREADABLE_TEXT = 500  # characters of an unreadable record's raw text kept in quarantine


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A record a connector found but could not read: a stable id, where it is, and why.

    `place` is what the connector reads as one whole (a file), `where` says where in it for people
    ("payments/2024-03.csv line 17"), `location` the same as fields (`{"file": …, "line": 17}`) and
    `field_name` the field at fault, when one is. The engine quarantines it at the stage "read".

        Unreadable("payments/2024-03.csv:17", "payments/2024-03.csv", "payments/2024-03.csv line 17",
                   "3 cells where the header has 4", {"file": "payments/2024-03.csv", "line": 17})
    """

    record_id: str
    place: str
    where: str
    problem: str
    location: Mapping[str, Any] = field(default_factory=dict)
    field_name: str | None = None
    text: str | None = None

    def as_error(self) -> dict[str, Any]:
        """The reason as quarantine errors hold them (field, rule, message), plus the location."""
        message = f"{self.where}: {self.problem}"
        return {
            "field": self.field_name or "(record)",
            "rule": "unreadable",
            "message": message,
            **self.location,
        }

    def as_record(self) -> dict[str, Any]:
        """What quarantine keeps of it: the place, the location and the raw text (cut short)."""
        text = self.text if self.text is None else self.text[:MAX_UNREADABLE_TEXT]
        return {"place": self.place, **self.location, "text": text}


@dataclass(slots=True)
class Page:
    """One page of changed records and the cursor value that covers all of them.

    `unreadable` lists records the connector found in this stretch but could not read; `covered`
    names places (files) the read went through in full, so that an earlier unreadable record there
    that no page of this read reports again has been fixed or removed."""

    records: list[Record]
    cursor: datetime | None
    total: int | None = None
    unreadable: list[Unreadable] = field(default_factory=list)
    covered: list[str] = field(default_factory=list)


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


OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"
"""A RecordError code: the create was sent but its answer was lost, and the system has nothing that
makes a second one safe (no idempotency key); the record waits, quarantined, until a later run finds
it there by its hub id, and is never created twice in the meantime."""


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


@runtime_checkable
class ReadsAgain(Protocol):
    """A connector that can read places (files) again in full, for quarantined unreadable records."""

    def read_again(self, obj: ObjectSpec, places: Sequence[str]) -> Iterator[Page]:
        """One page per place that still exists, covering it: every record there that passes the
        object's filter (whatever its cursor) and every unreadable one; no cursor."""
        ...
