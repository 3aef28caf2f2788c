"""Reading one side of a sync into a frame of canonical values, keyed by hub_id where the hub knows it.

Each row carries `_key` (the hub_id from the cross-reference table, or the one the record itself
keeps in its external-id field; None when the hub has never seen the record), `_id` (the system's
own id), `_updated` (canonical updated_at) and one column per compared canonical field. Records the
mapping cannot read are set apart with their reasons instead of being compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from hub.engine.filters import FilterExit
from hub.io.connector import Connector, ObjectSpec
from hub.io.records import Record
from hub.project.mapping import CompiledMapping, MappingFailure, path_getter, referenced_values
from hub.reconcile.settings import Computed
from hub.state import StateStore

KEY, ID, UPDATED = "_key", "_id", "_updated"


@dataclass
class ReconSide:
    """One system's records for a reconciliation."""

    role: str
    system: str
    connector: Connector
    mapping: CompiledMapping
    obj: ObjectSpec
    rows: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[dict[str, Any]] = field(default_factory=list)
    read: int = 0
    foreign: int = 0  # target records not this reconciliation's to judge (another source's; unlinked)
    instance: str = ""  # the system instance its state is kept under (Endpoint.instance); "" the system

    @property
    def state_key(self) -> str:
        """What the state store keys this side's cross-references by."""
        return self.instance or self.system

    def frame(self, fields: Sequence[str]) -> pd.DataFrame:
        return rows_frame(self.rows, fields)


def rows_frame(rows: list[dict[str, Any]], fields: Sequence[str]) -> pd.DataFrame:
    """Canonical rows as a frame with the key, id and updated columns first."""
    columns = [KEY, ID, UPDATED, *fields]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    return pd.DataFrame(rows, columns=columns)


class SideReader:
    """Turns pages of one system's records into canonical rows."""

    def __init__(
        self,
        store: StateStore,
        entity: str,
        side: ReconSide,
        fields: Sequence[str],
        computed: Sequence[Computed] = (),
        *,
        owner: str | None = None,
        linked_only: bool = False,
        leaving: FilterExit | None = None,
        outranked_by: Sequence[str] = (),
    ) -> None:
        """`owner`: for a target side, the sync's source system; records the hub linked to a hub_id
        that has no record in that system came from another source (several CRMs feeding one ERP).
        `linked_only`: records the hub never linked are not judged either (`target_scope: linked`).
        `leaving`: for a source side under `filter_exit`, the filter applied here: records outside it
        are judged with its values if the target has them, else not.
        `outranked_by`: stronger sources' instances (`SyncEngine.outranked_by`); the hub records they
        feed are theirs to judge, on both sides."""
        self.store, self.entity, self.side, self.owner = store, entity, side, owner
        self.outranked_by = tuple(outranked_by)
        self.linked_only, self.leaving = linked_only, leaving
        self.getters = [(name, path_getter(name)) for name in fields]
        self.getters += [(c.name, c.build) for c in computed]

    def read_all(self) -> ReconSide:
        """Every record of the side (a full read: reconciliation ignores cursors), kept in memory."""
        for page in self.side.connector.read_changes(self.side.obj, None, self.side.connector.max_page):
            self.side.rows += self.rows(page.records)
        return self.side

    def stream(self, fields: Sequence[str]) -> Iterator[pd.DataFrame]:
        """Every record of the side, a page at a time, as frames (nothing kept: for partitions)."""
        for page in self.side.connector.read_changes(self.side.obj, None, self.side.connector.max_page):
            frame = rows_frame(self.rows(page.records), fields)
            missing = frame[KEY].isna()
            frame.loc[missing, KEY] = self.side.role + ":" + frame.loc[missing, ID].astype("str")
            yield frame

    def fetch(self, ids: Iterable[str]) -> ReconSide:
        """Only these records, read again now (the second look at flagged records)."""
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 500):
            self.side.rows += self.rows(self.side.connector.fetch(self.side.obj, wanted[start : start + 500]))
        return self.side

    def rows(self, records: Sequence[Record]) -> list[dict[str, Any]]:
        """Canonical rows of these records; the unreadable ones are noted on the side instead."""
        side, rows, leaving = self.side, [], set[str]()
        side.read += len(records)
        ids = [side.connector.record_id(side.obj, r) for r in records]
        if self.leaving is not None:
            kept, leaving = self.leaving.split(records, ids, self.store)
            side.foreign += len(records) - len(kept)
            records, ids = [records[i] for i in kept], [ids[i] for i in kept]
        known = self.store.xrefs_by_external(self.entity, side.state_key, ids)
        foreign = self._foreign(known) | self._outranked(known)
        refs = self._references(records)
        for system_id, record in zip(ids, records, strict=True):
            if system_id in foreign or (self.linked_only and system_id not in known):
                side.foreign += 1
                continue
            try:
                canonical = side.mapping.to_canonical(record, refs)
                if system_id in leaving and self.leaving is not None:
                    self.leaving.leave(canonical)
            except MappingFailure as failure:
                side.unreadable.append({"id": system_id, "errors": [p.as_dict() for p in failure.problems]})
                continue
            xref = known.get(system_id)
            key = xref.hub_id if xref else _own_hub_id(record, side.obj)
            row = {KEY: key, ID: system_id, UPDATED: canonical.get("updated_at")}
            row.update((name, get(canonical)) for name, get in self.getters)
            rows.append(row)
        return rows

    def _foreign(self, known: dict[str, Any]) -> set[str]:
        """Ids of linked records whose hub_id has no record in the owner system."""
        if self.owner is None or not known:
            return set()
        owned = self.store.xrefs_by_hub(self.entity, self.owner, [x.hub_id for x in known.values()])
        return {system_id for system_id, x in known.items() if x.hub_id not in owned}

    def _outranked(self, known: dict[str, Any]) -> set[str]:
        """Ids of linked records whose hub record a stronger source feeds."""
        fed = self.store.held_by_any(self.entity, self.outranked_by, [x.hub_id for x in known.values()])
        return {system_id for system_id, x in known.items() if x.hub_id in fed}

    def _references(self, records: Sequence[Record]) -> dict[str, dict[str, str]]:
        """Referenced ids as hub_ids; ids the hub does not know stay visible as `unsynced:<id>`."""
        tables: dict[str, dict[str, str]] = {}
        for entity, values in referenced_values(records, self.side.mapping.inbound_refs()).items():
            known = self.store.xrefs_by_external(entity, self.side.state_key, values)
            tables[entity] = {v: known[v].hub_id if v in known else f"unsynced:{v}" for v in values}
        return tables


def _own_hub_id(record: Record, obj: ObjectSpec) -> str | None:
    value = record.get(obj.external_id_field) if obj.external_id_field else None
    return str(value) if value else None


def young_keys(frames: Sequence[pd.DataFrame], cutoff: datetime) -> set[str]:
    """Keys of records changed after `cutoff` on any side (still in flight: not judged yet)."""
    young: set[str] = set()
    for frame in frames:
        stamps = pd.to_datetime(frame[UPDATED], utc=True, format="ISO8601", errors="coerce")
        young |= set(frame.loc[stamps > pd.Timestamp(cutoff), KEY].dropna())
    return young
