"""Identity: which hub_id a source record is, and which target record a hub record already is.

Source records get their hub_id from the cross-reference table, or a new time-ordered UUID (version
7) that is committed before anything is written anywhere (so a replay after a crash finds the same
hub_id and upserts).
Target records are found through the cross-reference table, and, for records the hub has never
written, through the sync's match keys (ordered rule sets, strict first).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from hub.io.connector import Connector, ObjectSpec
from hub.io.records import Record
from hub.state import StateStore, XrefRow


def resolve_hub_ids(
    store: StateStore,
    entity: str,
    system: str,
    ids: Sequence[str],
    *,
    last_modified: Mapping[str, str | None],
    dry_run: bool,
    claim_first: bool = False,
) -> tuple[dict[str, str], set[str]]:
    """hub_id of every source id, minting and committing new ones (in memory only when dry_run), and
    the source ids whose hub id was minted now (no system can have a record of those yet).

    The ids already known are looked up and only the others claimed; with `claim_first` (the page
    before was all new: a first load) a hub id is minted for every record and all are claimed at
    once, the claim keeping the hub ids that stand: one statement instead of two when none is known,
    the same answer when some are."""
    if claim_first and not dry_run:
        fresh = _fresh(entity, system, sorted(set(ids)), last_modified)
        stood = store.claim_identities(fresh)
        return stood, _minted(fresh, stood)
    known = {k: row.hub_id for k, row in store.xrefs_by_external(entity, system, ids).items()}
    new = sorted({i for i in ids if i not in known})  # the claim writes in this order: both indexes ascend
    fresh = _fresh(entity, system, new, last_modified)
    if not fresh:
        return known, set()
    if dry_run:
        return {**known, **{row.external_id: row.hub_id for row in fresh}}, set(new)
    claimed = store.claim_identities(fresh)
    return {**known, **claimed}, _minted(fresh, claimed)


def _minted(fresh: Sequence[XrefRow], stood: Mapping[str, str]) -> set[str]:
    """The source ids whose hub id minted now stood its claim (another run's may have come first)."""
    return {row.external_id for row in fresh if stood.get(row.external_id) == row.hub_id}


def _fresh(
    entity: str, system: str, ids: Sequence[str], last_modified: Mapping[str, str | None]
) -> list[XrefRow]:
    return [
        XrefRow(entity, system, i, hub_id, last_modified=last_modified.get(i))
        for i, hub_id in zip(ids, mint_hub_ids(len(ids)), strict=True)
    ]


def mint_hub_ids(count: int) -> list[str]:
    """`count` new hub ids: time-ordered (version 7, RFC 9562) UUIDs as text, in ascending order.

    The first 48 bits are the Unix time in milliseconds and the other 74 are random, so ids minted
    later sort later: every index on hub ids (the state store's, the target's unique external-id
    column) takes a first load's inserts at its right edge, in pages the database has at hand,
    instead of at random places across an index larger than its cache (with random version-4 ids a
    1,000,000-row load spent most of its database time there). One call for random bytes serves
    the batch."""
    if count <= 0:
        return []
    stamp = f"{(time.time_ns() // 1_000_000) & 0xFFFF_FFFF_FFFF:012x}"
    head = f"{stamp[:8]}-{stamp[8:]}-7"  # the time, then the version digit
    noise = os.urandom(10 * count)
    tails = sorted(int.from_bytes(noise[i : i + 10]) >> 6 for i in range(0, 10 * count, 10))
    minted = []
    for tail in tails:  # 74 random bits: 12 after the version digit, 62 after the variant bits
        low = f"{(tail & 0x3FFF_FFFF_FFFF_FFFF) | 1 << 63:016x}"
        minted.append(f"{head}{tail >> 62:03x}-{low[:4]}-{low[4:]}")
    return minted


def value_at(record: Mapping[str, Any], path: str) -> Any:
    """A record's value at a system field path: a flat key, or nested (Odoo's `country_id.code`
    arrives as {"country_id": {"id": …, "code": …}})."""
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _key(values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(v.casefold() if isinstance(v, str) else v for v in values)


@dataclass
class MatchOutcome:
    """Target ids found by match keys, and records whose match was ambiguous."""

    linked: dict[str, str]
    ambiguous: dict[str, str]


def match_targets(
    connector: Connector,
    obj: ObjectSpec,
    rules: Sequence[Sequence[str]],
    candidates: Mapping[str, Record],
    system_field: Callable[[str], str | None],
    already_linked: Callable[[Sequence[str]], set[str]],
) -> MatchOutcome:
    """Link hub records (hub_id → outbound system record) to existing target records by match keys.

    `already_linked` tells which target ids some hub record already owns; they are never linked again.
    """
    outcome = MatchOutcome({}, {})
    pending = dict(candidates)
    taken: set[str] = set()
    for rule in rules:
        fields = [system_field(path) for path in rule]
        if not pending or any(f is None for f in fields):
            continue
        names = [f for f in fields if f is not None]
        wanted = {hub: _key([value_at(rec, f) for f in names]) for hub, rec in pending.items()}
        wanted = {hub: key for hub, key in wanted.items() if all(v not in (None, "") for v in key)}
        if not wanted:
            continue
        criteria = {
            f: sorted({v for rec in pending.values() if (v := value_at(rec, f)) is not None}, key=str)
            for f in names
        }
        records = connector.find(obj, criteria)
        ids = [connector.record_id(obj, r) for r in records]
        taken |= already_linked(ids)
        found: dict[tuple[Any, ...], list[str]] = {}
        for record, target_id in zip(records, ids, strict=True):
            found.setdefault(_key([value_at(record, f) for f in names]), []).append(target_id)
        _settle(wanted, found, rule, outcome, pending, taken)
    return outcome


@dataclass
class LinkSide:
    """One system as reference matching sees it: where to read, and which field holds a canonical one."""

    system: str
    connector: Connector
    obj: ObjectSpec
    field_of: Callable[[str], str | None]


def link_references(
    store: StateStore,
    entity: str,
    rule: Sequence[str],
    ids: Sequence[str],
    source: LinkSide,
    target: LinkSide,
    *,
    dry_run: bool,
) -> dict[str, str]:
    """Link referenced source records the hub has no cross-reference for to the one target record
    with the same values of the canonical fields `rule` (a requester to the CRM contact with the same
    e-mail); returns source id → hub_id of those linked.

    A target record the hub already knows keeps its hub_id, unless that hub_id already stands for
    another record of the source system (then nothing is linked); one it does not know gets a new one.
    A source record the hub met before only on its own (a hub_id no other system shares, as a sync in
    update mode leaves behind) moves to the target record's hub_id.
    """
    pairs = [(source.field_of(path), target.field_of(path)) for path in rule]
    fields = [(mine, theirs) for mine, theirs in pairs if mine is not None and theirs is not None]
    if not ids or len(fields) != len(rule):
        return {}
    records = source.connector.fetch(source.obj, ids)
    candidates = {
        source.connector.record_id(source.obj, record): {t: value_at(record, s) for s, t in fields}
        for record in records
    }
    outcome = match_targets(
        target.connector, target.obj, [list(rule)], candidates, target.field_of, lambda _ids: set()
    )
    if not outcome.linked:
        return {}
    known = store.xrefs_by_external(entity, target.system, list(outcome.linked.values()))
    hub_of = {t: known[t].hub_id if t in known else str(uuid4()) for t in outcome.linked.values()}
    taken = store.xrefs_by_hub(entity, source.system, list(hub_of.values()))
    linked = {s: hub_of[t] for s, t in outcome.linked.items() if hub_of[t] not in taken}
    if dry_run or not linked:
        return linked
    fresh = [XrefRow(entity, target.system, t, hub_of[t]) for t in set(outcome.linked.values()) - set(known)]
    hub_of |= store.claim_identities(fresh)  # another run may have linked that target first
    linked = {s: hub_of[outcome.linked[s]] for s in linked}
    met_alone = store.xrefs_by_external(entity, source.system, list(linked))
    moves = {s: (row.hub_id, linked[s]) for s, row in met_alone.items() if row.hub_id != linked[s]}
    moved = store.relink(entity, source.system, moves)
    claimed = store.claim_identities(
        [XrefRow(entity, source.system, s, h) for s, h in linked.items() if s not in met_alone]
    )
    kept = {s: row.hub_id for s, row in met_alone.items() if s not in moves}
    return {s: h for s, h in (kept | moved | claimed).items() if h == linked[s]}


def _settle(
    wanted: dict[str, tuple[Any, ...]],
    found: dict[tuple[Any, ...], list[str]],
    rule: Sequence[str],
    outcome: MatchOutcome,
    pending: dict[str, Record],
    taken: set[str],
) -> None:
    for hub_id, key in wanted.items():
        hits = [t for t in found.get(key, []) if t not in taken]
        if len(hits) == 1:
            outcome.linked[hub_id] = hits[0]
            taken.add(hits[0])
            pending.pop(hub_id, None)
        elif len(hits) > 1:
            shown = ", ".join(f"{p}={v!r}" for p, v in zip(rule, key, strict=True))
            outcome.ambiguous[hub_id] = f"{len(hits)} target records match {shown}: {', '.join(hits[:5])}"
            pending.pop(hub_id, None)
