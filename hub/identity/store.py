"""Where identity resolution keeps its clusters, golden records, decisions and customers' activity: four
state tables beside the sync's (`hub.state.tables`), in the same database."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, or_, select

from hub.state import StateStore
from hub.state.rows import now_text
from hub.state.tables import identity_activity, identity_decisions, identity_golden, identity_records

_BATCH = 5000


@dataclass(frozen=True)
class Decision:
    """A merge or split made by hand."""

    id: int
    entity: str
    action: str  # merge | split
    records: tuple[str, ...]
    decided_by: str
    reason: str
    decided_at: str

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "records": list(self.records)}


def who() -> str:
    """Who is deciding: HUB_USER, else the login name."""
    try:
        return os.environ.get("HUB_USER") or getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"


class IdentityStore:
    """The identity tables of a state store."""

    def __init__(self, state: StateStore) -> None:
        self.engine = state.engine

    # Resolution -----------------------------------------------------------------------------
    def replace(
        self, entity: str, records: Sequence[dict[str, Any]], golden: Sequence[dict[str, Any]]
    ) -> None:
        """A resolution's records and golden records of `entity`, in place of the last one's, at once."""
        with self.engine.begin() as conn:
            conn.execute(delete(identity_records).where(identity_records.c.entity == entity))
            conn.execute(delete(identity_golden).where(identity_golden.c.entity == entity))
            for table, rows in ((identity_records, records), (identity_golden, golden)):
                for start in range(0, len(rows), _BATCH):
                    conn.execute(insert(table), list(rows[start : start + _BATCH]))

    def replace_activity(self, rows: Sequence[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(identity_activity))
            for start in range(0, len(rows), _BATCH):
                conn.execute(insert(identity_activity), list(rows[start : start + _BATCH]))

    # Decisions ------------------------------------------------------------------------------
    def decide(
        self, entity: str, action: str, records: Sequence[str], reason: str, by: str | None = None
    ) -> Decision:
        decided_by, decided_at = by or who(), now_text()
        row = {
            "entity": entity,
            "action": action,
            "records": list(records),
            "decided_by": decided_by,
            "reason": reason,
            "decided_at": decided_at,
        }
        with self.engine.begin() as conn:
            number = conn.execute(insert(identity_decisions).values(row)).inserted_primary_key
        assert number is not None
        return Decision(int(number[0]), entity, action, tuple(records), decided_by, reason, decided_at)

    def decisions(self, entity: str | None = None) -> list[Decision]:
        """Decisions in the order they were made."""
        query = select(identity_decisions).order_by(identity_decisions.c.id)
        if entity is not None:
            query = query.where(identity_decisions.c.entity == entity)
        with self.engine.connect() as conn:
            return [
                Decision(r.id, r.entity, r.action, tuple(r.records), r.decided_by, r.reason, r.decided_at)
                for r in conn.execute(query)
            ]

    # Reading --------------------------------------------------------------------------------
    def golden_of(self, entity: str, ref: str) -> str | None:
        """The golden id a record key (system:id), a hub id or a golden id stands for."""
        system, _, external = ref.rpartition(":")
        c = identity_records.c
        conditions = [c.hub_id == ref, c.golden_id == ref]
        if system:
            conditions.append((c.system == system) & (c.external_id == external))
        query = select(c.golden_id).where(c.entity == entity, or_(*conditions)).limit(1)
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar_one_or_none()
        return str(found) if found is not None else None

    def records(self, entity: str) -> Iterator[tuple[str | None, str, dict[str, Any]]]:
        """(hub id, golden id, values) of every record the last resolution of `entity` read."""
        c = identity_records.c
        with self.engine.connect() as conn:
            for hub_id, golden_id, record in conn.execute(
                select(c.hub_id, c.golden_id, c.record).where(c.entity == entity)
            ):
                yield hub_id, golden_id, record or {}

    def golden(self, entity: str, golden_id: str) -> dict[str, Any] | None:
        c = identity_golden.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(identity_golden).where(c.entity == entity, c.golden_id == golden_id)
            ).first()
        return dict(row._mapping) if row is not None else None

    def members(self, entity: str, golden_ids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = sorted(set(golden_ids))
        if not wanted:
            return []
        c = identity_records.c
        query = (
            select(identity_records)
            .where(c.entity == entity, c.golden_id.in_(wanted))
            .order_by(c.golden_id, c.system, c.external_id)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def people_of(self, account: str) -> list[dict[str, Any]]:
        """The golden records of the people whose golden record names this organisation (its golden id)."""
        c = identity_golden.c
        query = (
            select(identity_golden).where(c.entity == "contact", c.account == account).order_by(c.golden_id)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def activity(self, accounts: Iterable[str] = (), contacts: Iterable[str] = ()) -> list[dict[str, Any]]:
        c = identity_activity.c
        accounts, contacts = sorted(set(accounts)), sorted(set(contacts))
        conditions = ([c.account.in_(accounts)] if accounts else []) + (
            [c.contact.in_(contacts)] if contacts else []
        )
        if not conditions:
            return []
        query = select(identity_activity).where(or_(*conditions)).order_by(c.entity, c.key)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def search(self, terms: Sequence[str], limit: int = 20) -> list[dict[str, Any]]:
        """Golden records whose search text holds every term (folded), organisations first."""
        c = identity_golden.c
        query = select(c.entity, c.golden_id, c.record, c.members).order_by(c.entity, c.golden_id)
        for term in terms:
            query = query.where(c.search.contains(term, autoescape=True))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query.limit(limit))]

    def widest(self, entity: str, limit: int = 20) -> list[tuple[str, int]]:
        """The clusters with records in the most systems: (golden id, systems), widest first."""
        c = identity_records.c
        systems = func.count(func.distinct(c.system))
        query = (
            select(c.golden_id, systems)
            .where(c.entity == entity)
            .group_by(c.golden_id)
            .order_by(systems.desc(), c.golden_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(str(g), int(n)) for g, n in conn.execute(query)]

    def resolved(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(identity_golden.c.golden_id).limit(1)).first() is not None
