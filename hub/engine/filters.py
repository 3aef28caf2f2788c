"""A sync's `filter_exit`: records that stop passing the source mapping's filter.

A filter keeps a sync to some of a system's records (BambooHR's Support department for the helpdesk).
Without more, a record that leaves it (an agent who moves to Sales) is simply no longer read, and its
copy in the target stays as it was. With `filter_exit`, the source is read without the filter and the
sync applies it itself:

    inside the filter                     synced as usual
    outside, already in the target        synced with the filter_exit values (status: terminated)
    outside, never in the target          left alone: nothing is created for it

A reconciliation reads the source the same way, so the record left behind compares equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from hub.io.connector import ObjectSpec, filter_terms, passes_filter
from hub.io.records import Record
from hub.state import StateStore

if TYPE_CHECKING:
    from hub.project.loading import SyncSpec


def reading_spec(obj: ObjectSpec) -> ObjectSpec:
    """The source object as read under `filter_exit`: no filter, the filter's fields still read."""
    more = tuple(name for name in obj.filter if name not in obj.fields)
    return replace(obj, fields=obj.fields + more, filter={})


@dataclass(frozen=True)
class FilterExit:
    """The filter a sync applies itself (`filter_terms`), the canonical values a record leaving it is
    written with, and the sync's entity and (source, target) systems."""

    terms: list[tuple[str, str, Any]]
    values: Mapping[str, Any]
    entity: str
    systems: tuple[str, str]

    def split(
        self, records: Sequence[Record], ids: Sequence[str], store: StateStore
    ) -> tuple[list[int], set[str]]:
        """Which records (their positions) to go on with, and the ids of those that left the filter.

        `ids` are the records' ids in the source. A record outside the filter goes on only when the hub
        has it in the target already."""
        outside = [i for i, record in enumerate(records) if not passes_filter(self.terms, record)]
        known = store.xrefs_by_external(self.entity, self.systems[0], [ids[i] for i in outside])
        in_target = store.xrefs_by_hub(self.entity, self.systems[1], [x.hub_id for x in known.values()])
        leaving = {
            ids[i]
            for i in outside
            if ids[i] in known and (x := in_target.get(known[ids[i]].hub_id)) is not None and not x.deleted
        }
        dropped = {i for i in outside if ids[i] not in leaving}
        return [i for i in range(len(records)) if i not in dropped], leaving

    def leave(self, canonical: Record) -> None:
        """Put the filter_exit values in a canonical record."""
        canonical.update(self.values)


def filter_exit(spec: SyncSpec, obj: ObjectSpec) -> FilterExit | None:
    """The sync's FilterExit for its source object (`obj`, with the mapping's filter), or None when the
    sync sets no filter_exit."""
    if not (spec.filter_exit and obj.filter):
        return None
    systems = (spec.source.instance, spec.target.instance)  # their state's keys
    return FilterExit(filter_terms(obj), spec.filter_exit, spec.entity, systems)
