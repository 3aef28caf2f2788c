"""Rows of the state tables as the rest of the hub sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

RunKind = Literal["sync", "plan", "retry", "heal", "reconcile"]
"""What a run in the runs table was: a sync, a plan (never stored), a retry of quarantined records,
a heal (records re-synced by a reconciliation) or a reconciliation."""
RunStatus = Literal["running", "success", "partial", "failed", "interrupted", "pass", "warn", "fail"]
"""How a run stands: `running`; a sync, retry or heal ended `success`, `partial` (records set aside)
or `failed`; a reconciliation `pass`, `warn` or `fail`; `interrupted`: stopped by a signal (Ctrl-C,
SIGTERM), or its process found gone (SIGKILL, a lost worker), keeping what it committed."""
QuarantineStage = Literal["read", "inbound", "reference", "validate", "outbound", "match", "write", "unknown"]
"""Where a record was set aside: the source could not read it, the inbound mapping refused it, a
reference it makes is unresolved, the canonical schema refused it, the outbound mapping refused it,
its match was ambiguous, the target refused the write, or the outcome of its create is unknown (the
answer was lost: a later run looks for it before anything is created again)."""


def now_text() -> str:
    """The current UTC time as stored: ISO 8601 with microseconds and Z (sortable as text)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class XrefRow:
    """One system's id for one hub_id, with what the hub last knew of that record there."""

    entity: str
    system: str
    external_id: str
    hub_id: str
    last_hash: str | None = None
    last_modified: str | None = None
    deleted: bool = False


@dataclass
class QuarantineEntry:
    """A record set aside with the reasons it could not be synced."""

    system: str
    object: str
    record_id: str
    stage: QuarantineStage
    errors: list[dict[str, Any]]
    record: dict[str, Any] | None = None


@dataclass
class PageCommit:
    """Everything one processed page changes in the state, applied in one transaction."""

    sync: str
    run_id: str
    xrefs: list[XrefRow] = field(default_factory=list)
    quarantined: list[QuarantineEntry] = field(default_factory=list)
    resolved: list[tuple[str, str]] = field(default_factory=list)
    cursor: tuple[str, str, str] | None = None


def interrupted_by(exc: BaseException) -> str:
    """What stopped a run that ended on a BaseException, as its record says it."""
    if isinstance(exc, KeyboardInterrupt):
        return f"interrupted by {str(exc) or 'SIGINT (Ctrl-C)'}"
    return f"interrupted ({type(exc).__name__}{': ' if str(exc) else ''}{exc})"


@dataclass
class RunRow:
    id: str
    sync: str
    kind: RunKind
    started_at: str
    finished_at: str | None
    status: RunStatus
    counts: dict[str, Any]
    api_calls: dict[str, int]
    details: dict[str, Any]
    error: str | None


@dataclass
class QuarantineRow:
    id: int
    sync: str
    system: str
    object: str
    record_id: str
    run_id: str
    stage: QuarantineStage
    record: dict[str, Any] | None
    errors: list[dict[str, Any]]
    attempts: int
    status: str
    created_at: str
    updated_at: str
