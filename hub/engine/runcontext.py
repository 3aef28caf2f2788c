"""What one run of one sync carries from page to page: its fixed context and its counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.engine.filters import FilterExit
from hub.io.connector import Connector, ObjectSpec
from hub.io.records import Record
from hub.project.loading import SyncSpec
from hub.project.mapping import CompiledMapping
from hub.project.validation import CanonicalValidator
from hub.state import StateStore


@dataclass
class Counts:
    """What a run did, record by record."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    quarantined: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    def add(self, other: Counts) -> None:
        for key, value in other.__dict__.items():
            setattr(self, key, getattr(self, key) + value)


@dataclass
class RunContext:
    """Everything fixed for one run of one sync."""

    spec: SyncSpec
    store: StateStore
    run_id: str
    source: Connector
    target: Connector
    src_map: CompiledMapping
    tgt_map: CompiledMapping
    src_obj: ObjectSpec
    tgt_obj: ObjectSpec
    validator: CanonicalValidator
    match_rules: list[list[str]]
    dry_run: bool = False
    seen_digest: Callable[[Record], str] | None = None
    bring: Callable[[str, list[str]], dict[str, str]] | None = None
    link: Callable[[str, list[str]], dict[str, str]] | None = None
    counts: Counts = field(default_factory=Counts)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    force: bool = False
    forget_targets: set[str] = field(default_factory=set)
    filter_exit: FilterExit | None = None  # the sync applies the source's filter itself
