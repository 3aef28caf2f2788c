"""What ops do about records set aside and reports, each kept with who, when, what and why.

    groups(store, search)        open quarantine entries, one row per sync and reason (field and rule)
    ignore(store, ids)           resolve entries as ignored: they stay put until their record changes
    override(store, entry, ...)  correct one canonical value; every run applies it while the source's values
                                 the field is mapped from stay as they were (a source that changes them speaks
                                 again), even where mapping them fails
    record(store, ...)           the audit trail (`hub_actions`), shown by the console beside what it changed

Retries and heals run through the engine (`hub.console.service`); they are recorded here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update

from hub.engine.identity import value_at
from hub.state import StateStore
from hub.state.rows import QuarantineRow, now_text
from hub.state.tables import actions, overrides, quarantine

ACTIONS = ("retry", "override", "ignore", "heal")
FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass
class Group:
    """Open entries of one sync set aside for the same reason: the fields and rules they broke."""

    sync: str
    stage: str
    reason: str  # "phone: pattern; email: format"
    count: int = 0
    example: str = ""  # the first entry's messages, as a sample of the values
    ids: list[int] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.sync}|{self.stage}|{self.reason}"


def reason_of(errors: Iterable[Mapping[str, Any]]) -> str:
    """What makes entries alike: the fields and rules they broke, not the values (which differ)."""
    parts = sorted({f"{e.get('field') or '(record)'}: {e.get('rule') or 'error'}" for e in errors})
    return "; ".join(parts) or "(no reason given)"


def messages(errors: Iterable[Mapping[str, Any]]) -> str:
    return "; ".join(f"{e.get('field') or '(record)'}: {e.get('message')}" for e in errors)


def groups(store: StateStore, search: str = "", sync: str | None = None) -> list[Group]:
    """Open quarantine entries grouped by sync, stage and reason, largest first. `search` keeps the
    entries whose sync, record id or messages contain it (case-insensitively)."""
    needle = search.strip().casefold()
    found: dict[tuple[str, str, str], Group] = {}
    for entry in store.quarantined(sync, status="open"):
        said = messages(entry.errors)
        if needle and not any(needle in text.casefold() for text in (entry.sync, entry.record_id, said)):
            continue
        reason = reason_of(entry.errors)
        group = found.setdefault((entry.sync, entry.stage, reason), Group(entry.sync, entry.stage, reason))
        group.count += 1
        group.ids.append(entry.id)
        group.example = group.example or said
    return sorted(found.values(), key=lambda g: (-g.count, g.sync, g.reason))


def group(store: StateStore, key: str) -> Group | None:
    """The group `key` (`Group.key`) as it is now, None when none of its entries is open any more."""
    sync = key.split("|", 1)[0]
    return next((g for g in groups(store, sync=sync) if g.key == key), None)


def entry(store: StateStore, entry_id: int) -> QuarantineRow | None:
    found = store.quarantined(None, status=None, ids=[entry_id])
    return found[0] if found else None


def record(
    store: StateStore,
    *,
    actor: str,
    action: str,
    sync: str,
    target: str,
    reason: str,
    outcome: str,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """Keep one action in the audit trail; its id."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    row = {
        "at": now_text(),
        "actor": actor,
        "action": action,
        "sync": sync,
        "target": target,
        "reason": reason,
        "outcome": outcome,
        "detail": dict(detail or {}),
    }
    with store.engine.begin() as conn:
        return int(conn.execute(insert(actions).returning(actions.c.id), row).scalar_one())


def record_retry(
    store: StateStore,
    *,
    sync: str,
    wanted: Sequence[int],
    status: str,
    run_id: str,
    actor: str,
    reason: str,
    target: str,
    origin: str,
) -> tuple[str, int]:
    """Keep a retry of the open entries `wanted` in the audit, once its run (`status`, `run_id`) ended:
    how many it cleared and how many are still set aside. The message and the action's id."""
    still = {q.id for q in store.quarantined(sync, status="open", ids=wanted)} if wanted else set()
    cleared = len(wanted) - len(still)
    message = f"retried {len(wanted)}: {cleared} cleared, {len(still)} still set aside" + (
        f" (run {status})" if status != "success" else ""
    )
    detail = {"entries": list(wanted), "cleared": cleared, "run_id": run_id, "from": origin}
    return message, record(
        store,
        actor=actor,
        action="retry",
        sync=sync,
        target=target,
        reason=reason,
        outcome=message,
        detail=detail,
    )


def history(
    store: StateStore, *, sync: str | None = None, mentioning: Sequence[int] = (), limit: int = 200
) -> list[dict[str, Any]]:
    """Actions, newest first: all, one sync's, or those that touched any of the entries `mentioning`."""
    query = select(actions).order_by(actions.c.id.desc())
    if sync:
        query = query.where(actions.c.sync == sync)
    with store.engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query.limit(None if mentioning else limit))]
    if mentioning:
        wanted = set(mentioning)
        rows = [r for r in rows if wanted & set(r["detail"].get("entries", []))][:limit]
    return rows


def ignore(store: StateStore, ids: Sequence[int]) -> int:
    """Resolve open entries as ignored: a run meeting their record unchanged leaves it be; a change
    brings it back (and, still wrong, into quarantine again). How many were open."""
    if not ids:
        return 0
    with store.engine.begin() as conn:
        done = conn.execute(
            update(quarantine)
            .where(quarantine.c.id.in_(list(ids)), quarantine.c.status == "open")
            .values(status="ignored", updated_at=now_text())
        )
    return int(done.rowcount or 0)


@dataclass(frozen=True)
class Override:
    id: int
    field: str
    value: Any
    replaced: Any  # {system path: value}: what the source said when the override was made


def add_override(
    store: StateStore, found: QuarantineRow, path: str, value: Any, replaced: Any, *, actor: str, reason: str
) -> int:
    """Keep a corrected canonical value for one record of one sync (an earlier one of that field lapses)."""
    if not FIELD_PATH.match(path):
        raise ValueError(f"not a field path: {path!r}")
    with store.engine.begin() as conn:
        conn.execute(
            update(overrides)
            .where(
                overrides.c.sync == found.sync,
                overrides.c.system == found.system,
                overrides.c.record_id == found.record_id,
                overrides.c.field == path,
                overrides.c.status == "active",
            )
            .values(status="lapsed")
        )
        row = {
            "sync": found.sync,
            "system": found.system,
            "record_id": found.record_id,
            "field": path,
            "value": value,
            "replaced": replaced,
            "status": "active",
            "actor": actor,
            "reason": reason,
            "created_at": now_text(),
        }
        return int(conn.execute(insert(overrides).returning(overrides.c.id), row).scalar_one())


def active_overrides(store: StateStore, sync: str, system: str) -> dict[str, list[Override]]:
    """Record id -> the overrides a run of `sync` applies to the records of `system`."""
    query = select(overrides).where(
        overrides.c.sync == sync, overrides.c.system == system, overrides.c.status == "active"
    )
    found: dict[str, list[Override]] = {}
    with store.engine.connect() as conn:
        for row in conn.execute(query.order_by(overrides.c.id)).mappings():
            found.setdefault(row["record_id"], []).append(
                Override(row["id"], row["field"], row["value"], row["replaced"])
            )
    return found


def overrides_of(store: StateStore, sync: str, system: str, record_id: str) -> list[dict[str, Any]]:
    query = select(overrides).where(
        overrides.c.sync == sync, overrides.c.system == system, overrides.c.record_id == record_id
    )
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query.order_by(overrides.c.id.desc()))]


def lapse(store: StateStore, ids: Iterable[int]) -> None:
    """Overrides whose source changed the field they corrected: the source speaks again."""
    wanted = list(ids)
    if wanted:
        with store.engine.begin() as conn:
            conn.execute(update(overrides).where(overrides.c.id.in_(wanted)).values(status="lapsed"))


def standing(found: Sequence[Override], record: Mapping[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The overrides that stand for a source record, as canonical path -> value, and the ids of those
    that lapsed: the source changed a value their field is mapped from (`Override.replaced` keeps the
    source's values when the override was made)."""
    values: dict[str, Any] = {}
    stale = []
    for item in found:
        inputs = item.replaced if isinstance(item.replaced, dict) else {}
        if all(value_at(record, path) == value for path, value in inputs.items()):
            values[item.field] = item.value
        else:
            stale.append(item.id)
    return values, stale
