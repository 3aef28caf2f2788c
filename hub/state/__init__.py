"""The hub's state on SQLAlchemy: cursors, cross-references, runs, quarantine and locks.

SQLite at `.hub/state.db` is the embedded default; PostgreSQL (`HUB_STATE_URL=postgresql://…`) is
the production store, required when Airflow runs tasks on several workers. The schema is created on
first use. Every write that must be atomic with another (a page's cross-references, quarantine rows
and cursor) goes through one transaction. A run names its process and the lock it holds; a listing
shows (and stores) a run whose process is gone as `interrupted`. A wrong URL or a database out of reach
is one line naming the setting (`hub.state.database`).
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import ColumnElement, Select, Table, TextClause, delete, func, select, text, update
from sqlalchemy.engine import Connection as DBConnection
from sqlalchemy.engine import CursorResult

from hub.errors import ConfigError, HubError
from hub.io.redact import redact
from hub.state.database import (
    STATE_SETTING,
    StateUnavailable,
    default_url,
    open_database,
    parse_state_url,
)
from hub.state.locks import Lock, LockManager
from hub.state.rows import (
    PageCommit,
    QuarantineEntry,
    QuarantineRow,
    QuarantineStage,
    RunKind,
    RunRow,
    RunStatus,
    XrefRow,
    interrupted_by,
    now_text,
)
from hub.state.tables import cursors, identity_keys, locks, quarantine, runs, xref

_CHUNK = 500
UNSEEN_PROCESS_LIMIT = timedelta(hours=24)
"""How long a run that holds no lock (a reconciliation) may show `running` when its process cannot
be seen (it runs on another host, or was recorded before runs named their process)."""


def _insert(conn: DBConnection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _among(
    conn: DBConnection, column: Any, values: Sequence[str]
) -> Iterator[ColumnElement[bool] | TextClause]:
    """`column` among `values`, as few conditions as the database takes: on PostgreSQL one
    `= ANY(array)` (one statement and one plan whatever the page size; the array travels as one
    JSON text, which the server splits far faster than a driver quotes each element), IN lists of
    _CHUNK elsewhere."""
    if conn.dialect.name == "postgresql":
        if values:
            among = text(
                f"{column.table.name}.{column.name} = "
                "ANY(ARRAY(SELECT json_array_elements_text(CAST(:among AS json))))"
            )
            yield among.bindparams(among=json.dumps(list(values)))
        return
    for chunk in _chunks(values):
        yield column.in_(chunk)


_XREF_COLUMNS = (
    "entity",
    "system",
    "external_id",
    "hub_id",
    "last_hash",
    "last_modified",
    "deleted",
    "updated_at",
)
_XREF_ARRAYS = ("entity", "system", "external_id", "hub_id", "last_hash", "last_modified")


def _xref_rows(param: Callable[[str], str]) -> str:
    """A page's cross-references as rows on PostgreSQL: one array per column, unnested side by side,
    and the time they were written once (`param` writes a parameter's placeholder)."""
    arrays = [f"CAST({param(name)} AS text[])" for name in _XREF_ARRAYS]
    arrays.append(f"CAST({param('deleted')} AS boolean[])")
    names = ", ".join((*_XREF_ARRAYS, "deleted"))
    return f"SELECT r.*, CAST({param('updated_at')} AS text) FROM unnest({', '.join(arrays)}) AS r({names})"


def _xref_statements(param: Callable[[str], str]) -> tuple[str, str]:
    """The upsert and the claim of a page's cross-references on PostgreSQL."""
    rows, columns = _xref_rows(param), ", ".join(_XREF_COLUMNS)
    upsert = (
        f"INSERT INTO hub_xref AS x ({columns}) {rows} "
        "ON CONFLICT (entity, system, external_id) DO UPDATE SET hub_id = excluded.hub_id, "
        "last_hash = coalesce(excluded.last_hash, x.last_hash), last_modified = excluded.last_modified, "
        "deleted = excluded.deleted, updated_at = excluded.updated_at"
    )
    claim = (
        f"INSERT INTO hub_xref ({columns}) {rows} "
        "ON CONFLICT (entity, system, external_id) DO NOTHING RETURNING external_id, hub_id"
    )
    return upsert, claim


_PG_XREF_UPSERT_BINARY, _PG_XREF_CLAIM_BINARY = _xref_statements(lambda name: f"%({name})b")
"""With psycopg, the driver's own statements: each array goes as one binary value (the driver packs a
list of 1,000 texts in C, three times faster than the JSON text the server would parse instead)."""
_PG_XREF_UPSERT, _PG_XREF_CLAIM = (text(sql) for sql in _xref_statements(lambda name: f":{name}"))


def _pg_xrefs(conn: DBConnection, claim: bool, rows: Sequence[XrefRow], stamp: str) -> CursorResult[str, str]:
    """Upsert or claim cross-references on PostgreSQL, as binary arrays where the driver is psycopg."""
    params = _xref_arrays(rows, stamp)
    if conn.dialect.driver == "psycopg":
        return conn.exec_driver_sql(_PG_XREF_CLAIM_BINARY if claim else _PG_XREF_UPSERT_BINARY, params)
    return conn.execute(_PG_XREF_CLAIM if claim else _PG_XREF_UPSERT, params)


class StateStore:
    """Access to the state tables; safe to share within a process."""

    def __init__(self, url: str, *, setting: str = STATE_SETTING) -> None:
        self.url = url
        self.engine = open_database(url, setting)
        self._grown: dict[str, int] = {}  # rows written: per table since its last ANALYZE, per table/system
        self._counted: dict[str, float] = {}  # per table: the rows this process had written by then
        self._growth = threading.Lock()
        self._due: set[str] = set()  # tables to ANALYZE once the transaction that grew them committed
        self.locks = LockManager(self.engine, locks)

    @classmethod
    def open(
        cls, root: Path | str = ".", url: str | None = None, *, setting: str = STATE_SETTING
    ) -> StateStore:
        """The project's store: `url`, else HUB_STATE_URL, else SQLite under <root>/.hub/ (`setting`
        names where `url` came from, for messages)."""
        if url or os.environ.get(STATE_SETTING):
            return cls(url or default_url(Path(root)), setting=setting)
        folder = Path(root) / ".hub"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot make {folder} for the state store ({exc.strerror}); run from the project root, "
                f"pass --project, or set {STATE_SETTING}"
            ) from None
        return cls(default_url(Path(root)))

    @staticmethod
    def exists(root: Path | str = ".", url: str | None = None, *, setting: str = STATE_SETTING) -> bool:
        """Whether there is a store to read: false for a SQLite file not created yet (reading commands
        then create nothing). A given URL is checked as `open` checks it."""
        explicit = url or os.environ.get(STATE_SETTING)
        parsed = parse_state_url(explicit, setting) if explicit else None
        database = parsed.database if parsed is not None else str(Path(root) / ".hub" / "state.db")
        if parsed is not None and not parsed.drivername.startswith("sqlite"):
            return True
        return (
            not database or database == ":memory:" or database.startswith("file:") or Path(database).is_file()
        )

    def close(self) -> None:
        self.engine.dispose()

    # Cursors --------------------------------------------------------------------------------
    def cursor(self, sync: str, system: str, obj: str) -> str | None:
        """The stored cursor value of one sync's read of one object."""
        query = select(cursors.c.value).where(
            cursors.c.sync == sync, cursors.c.system == system, cursors.c.object == obj
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    def reset_cursor(self, sync: str) -> None:
        """Forget where a sync got to (the next run reads everything)."""
        with self.engine.begin() as conn:
            conn.execute(delete(cursors).where(cursors.c.sync == sync))

    def _set_cursor(self, conn: DBConnection, sync: str, system: str, obj: str, value: str) -> None:
        row = {"sync": sync, "system": system, "object": obj, "value": value, "updated_at": now_text()}
        statement = _insert(conn, cursors).values(**row)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["sync", "system", "object"],
                set_={"value": value, "updated_at": row["updated_at"]},
            )
        )

    def mark_shard_done(
        self, sync: str, system: str, progress_key: str, done_key: str, reached: str | None = None
    ) -> None:
        """Record that a backfill shard read its whole part: `reached` (a time window's shard: where
        the backfill's windows end), else its progress cursor ("" when it met no record), kept under
        its done key."""
        with self.engine.begin() as conn:
            query = select(cursors.c.value).where(
                cursors.c.sync == sync, cursors.c.system == system, cursors.c.object == progress_key
            )
            value = reached if reached is not None else conn.execute(query).scalar_one_or_none()
            self._set_cursor(conn, sync, system, done_key, value or "")

    def plan_windows(self, sync: str, system: str, obj: str, bounds: Sequence[str]) -> list[str]:
        """The time windows of a backfill of `len(bounds) - 1` shards: window K runs from bound K
        ("": the beginning) to bound K + 1. The first of the shards to start plans them (`bounds`,
        its own proposal) and every other one, and a shard run again, gets the same ones back: the
        plan is kept with the shards' cursors (`obj#windowK/N`) until `settle_shards` ends the backfill."""
        count = len(bounds) - 1
        keys = _window_keys(obj, count)
        stamp = now_text()
        with self.engine.begin() as conn:
            rows = [
                {"sync": sync, "system": system, "object": key, "value": bound, "updated_at": stamp}
                for key, bound in zip(keys, bounds, strict=True)
            ]  # all in one statement, in key order: two shards planning at once keep one plan whole
            conn.execute(
                _insert(conn, cursors).on_conflict_do_nothing(index_elements=["sync", "system", "object"]),
                rows,
            )
            stored = _windows(conn, sync, system, keys)
        assert stored is not None
        return stored

    def planned_windows(self, sync: str, system: str, obj: str, count: int) -> list[str] | None:
        """The time windows planned for a backfill of `count` shards (see `plan_windows`), if any."""
        with self.engine.connect() as conn:
            return _windows(conn, sync, system, _window_keys(obj, count))

    def settle_shards(self, sync: str, system: str, obj: str, count: int) -> tuple[str | None, list[int]]:
        """End a backfill of `count` shards: when every shard is done, the object's cursor becomes the
        earliest any shard reached (every record changed after it is read again by the next run) and
        the shards' own cursors, and their time windows, go; returns that cursor and the shards not
        done (nothing changes then)."""
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(cursors.c.object, cursors.c.value).where(
                    cursors.c.sync == sync,
                    cursors.c.system == system,
                    cursors.c.object.like(f"{obj}#%/{count}"),
                )
            ).all()
            done = {int(o[len(obj) + 5 : o.rindex("/")]): v for o, v in rows if o.startswith(f"{obj}#done")}
            missing = [i for i in range(count) if i not in done]
            if missing:
                return None, missing
            reached = [v for v in done.values() if v]
            earliest = (
                min(reached, key=lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")))
                if reached
                else None
            )
            if earliest is not None:
                self._set_cursor(conn, sync, system, obj, earliest)
            conn.execute(
                delete(cursors).where(
                    cursors.c.sync == sync,
                    cursors.c.system == system,
                    cursors.c.object.like(f"{obj}#%/{count}"),
                )
            )
        return earliest, []

    # Cross-references ---------------------------------------------------------------------
    def xrefs_by_external(self, entity: str, system: str, ids: Iterable[str]) -> dict[str, XrefRow]:
        """Cross-references of records of `system`, keyed by their id there."""
        return {r.external_id: r for r in self._xrefs(entity, system, xref.c.external_id, ids)}

    def xrefs_by_hub(self, entity: str, system: str, hub_ids: Iterable[str]) -> dict[str, XrefRow]:
        """Cross-references of hub records in `system`, keyed by hub_id."""
        return {r.hub_id: r for r in self._xrefs(entity, system, xref.c.hub_id, hub_ids)}

    def held_by_any(self, entity: str, systems: Iterable[str], hub_ids: Iterable[str]) -> set[str]:
        """Which of these hub records have a record in any of `systems`."""
        wanted = list(hub_ids)
        return (
            {hub for system in systems for hub in self.xrefs_by_hub(entity, system, wanted)}
            if wanted
            else set()
        )

    def _xrefs(self, entity: str, system: str, column: Any, values: Iterable[str]) -> list[XrefRow]:
        wanted = sorted(set(values))
        found: list[XrefRow] = []
        if not wanted:
            return found
        with self.engine.connect() as conn:
            for among in _among(conn, column, wanted):
                query = select(xref).where(xref.c.entity == entity, xref.c.system == system, among)
                found += [_xref_row(row) for row in conn.execute(query).mappings()]
        return found

    def claim_identities(self, rows: Sequence[XrefRow]) -> dict[str, str]:
        """Insert source identities unless present; returns external_id → the hub_id that stands.

        Two syncs reading the same source record at once may both mint a hub_id; the first insert
        wins and both get its hub_id back.
        """
        if not rows:
            return {}
        stamp = now_text()
        # in key order, as every write of cross-references: two transactions writing some of the same
        # keys (a page claiming while the page before commits) lock them in one order, never deadlock
        rows_in_order = [r for _, r in sorted({r.external_id: r for r in rows}.items())]
        claimed: dict[str, str] = {}
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                found = _pg_xrefs(conn, True, rows_in_order, stamp)
                claimed = {row[0]: row[1] for row in found}
                self._grew(conn, "hub_xref", [r for r in rows if r.external_id in claimed])
            else:
                statement = _insert(conn, xref).on_conflict_do_nothing(
                    index_elements=["entity", "system", "external_id"]
                )
                conn.execute(statement, [_xref_values(r, stamp) for r in rows_in_order])
        self._analyze_due()
        if len(claimed) == len(rows_in_order):  # all new: what a first load meets
            return claimed
        entity, system = rows[0].entity, rows[0].system
        stored = self.xrefs_by_external(entity, system, [r.external_id for r in rows])
        return {key: row.hub_id for key, row in stored.items()}

    # Identity keys ------------------------------------------------------------------------
    def identity_owners(self, entity: str, keys: Iterable[str]) -> dict[str, str]:
        """The hub record each of these identity keys belongs to, where one does (key -> hub_id)."""
        wanted = sorted(set(keys))
        found: dict[str, str] = {}
        if not wanted:
            return found
        with self.engine.connect() as conn:
            for among in _among(conn, identity_keys.c.key, wanted):
                query = select(identity_keys.c.key, identity_keys.c.hub_id).where(
                    identity_keys.c.entity == entity, among
                )
                found |= {str(key): str(hub_id) for key, hub_id in conn.execute(query)}
        return found

    def remember_identity(self, entity: str, keys: Mapping[str, str]) -> None:
        """Keep identity keys (key -> hub_id); a key already kept stays with its hub record."""
        if not keys:
            return
        stamp = now_text()
        rows = [
            {"entity": entity, "key": key, "hub_id": hub_id, "updated_at": stamp}
            for key, hub_id in sorted(keys.items())
        ]
        with self.engine.begin() as conn:
            conn.execute(
                _insert(conn, identity_keys).on_conflict_do_nothing(index_elements=["entity", "key"]), rows
            )

    def relink(self, entity: str, system: str, moves: Mapping[str, tuple[str, str]]) -> dict[str, str]:
        """Move records of `system` (external_id → (old hub_id, new hub_id)) to the hub_id of a record
        they turned out to be, when nothing in another system shares the old one (a record the hub
        met alone first) and the new one has no record of `system` yet (one hub record has one record
        per system: of two twins in one system, the first joins). Returns external_id → the hub_id
        that stands."""
        if not moves:
            return {}
        with self.engine.begin() as conn:
            for external_id, (old, new) in moves.items():
                shared = select(xref.c.system).where(
                    xref.c.entity == entity, xref.c.hub_id == old, xref.c.system != system
                )
                if conn.execute(shared.limit(1)).first() is not None:
                    continue
                taken = select(xref.c.external_id).where(
                    xref.c.entity == entity, xref.c.hub_id == new, xref.c.system == system
                )
                if conn.execute(taken.limit(1)).first() is not None:
                    continue
                conn.execute(
                    update(xref)
                    .where(
                        xref.c.entity == entity,
                        xref.c.system == system,
                        xref.c.external_id == external_id,
                        xref.c.hub_id == old,
                    )
                    .values(hub_id=new, last_hash=None, updated_at=now_text())
                )
        return {k: row.hub_id for k, row in self.xrefs_by_external(entity, system, list(moves)).items()}

    def _upsert_xrefs(self, conn: DBConnection, rows: Sequence[XrefRow]) -> None:
        """Insert or update a page's cross-references in one statement (SQLAlchemy sends it as
        multi-row INSERTs … ON CONFLICT DO UPDATE); a row without a hash keeps the stored one."""
        if not rows:
            return
        stamp = now_text()
        latest = {(r.entity, r.system, r.external_id): r for r in rows}  # one row per key: the last
        if conn.dialect.name == "postgresql":
            _pg_xrefs(conn, False, [row for _, row in sorted(latest.items())], stamp)
            return
        statement = _insert(conn, xref)
        excluded = statement.excluded
        changes = {
            "hub_id": excluded.hub_id,
            "last_hash": func.coalesce(excluded.last_hash, xref.c.last_hash),
            "last_modified": excluded.last_modified,
            "deleted": excluded.deleted,
            "updated_at": excluded.updated_at,
        }
        conn.execute(
            statement.on_conflict_do_update(index_elements=["entity", "system", "external_id"], set_=changes),
            [_xref_values(row, stamp) for row in latest.values()],
        )

    def adopt_instances(self, instances: Mapping[str, str]) -> list[str]:
        """Move a system's state to the instance that is now its key (instance -> system): a store
        written before system instances keyed everything by system, whatever the connection. Only
        an instance with no state of its own adopts, and only from a system that has some; returns
        the instances that did."""
        adopted = []
        with self.engine.begin() as conn:
            for instance, system in sorted(instances.items()):

                def held(key: str) -> bool:
                    return any(
                        conn.execute(select(table.c.system).where(table.c.system == key).limit(1)).first()
                        for table in (xref, cursors, quarantine)
                    )

                if instance == system or held(instance) or not held(system):
                    continue
                for table in (xref, cursors, quarantine):
                    conn.execute(update(table).where(table.c.system == system).values(system=instance))
                adopted.append(instance)
        return adopted

    def mark_deleted(self, entity: str, system: str, external_ids: Sequence[str]) -> None:
        with self.engine.begin() as conn:
            for among in _among(conn, xref.c.external_id, list(external_ids)):
                conn.execute(
                    update(xref)
                    .where(xref.c.entity == entity, xref.c.system == system, among)
                    .values(deleted=True, updated_at=now_text())
                )

    # A page, atomically -------------------------------------------------------------------
    def commit_page(self, commit: PageCommit) -> None:
        """Apply a page's cross-references, quarantine changes and cursor in one transaction."""
        with self.engine.begin() as conn:
            self._upsert_xrefs(conn, commit.xrefs)
            self._quarantine(conn, commit.sync, commit.run_id, commit.quarantined)
            self._resolve(conn, commit.sync, commit.resolved)
            if commit.cursor is not None:
                self._set_cursor(conn, commit.sync, *commit.cursor)
            self._grew(conn, "hub_xref", commit.xrefs)
            self._grew(conn, "hub_quarantine", commit.quarantined)
        self._analyze_due()

    def _grew(self, conn: DBConnection, table: str, rows: Iterable[Any]) -> None:
        """Keep PostgreSQL's statistics of a table the hub fills in step with it: it is due for
        ANALYZE (`_analyze_due`, once the page's transaction committed) when the rows this process
        wrote to it since have reached the rows it had written before (from 1,000: it doubled), and
        when a system's first 1,000 rows arrive. Rows the statistics do not know of are planned as if
        there were one or two (a server with autovacuum off, or one that has not got to the table
        yet), and a page's lookups then read every row of the system: a first load would slow down as
        it grows. Per system too, because a table analysed while it held only the source's rows knows
        nothing of the target's."""
        if conn.dialect.name != "postgresql":
            return
        written = Counter(getattr(row, "system", "") for row in rows)
        if not written:
            return
        with self._growth:  # a page claims its identities while the page before commits
            for system, count in written.items():
                key = f"{table}/{system}"
                before = self._grown.get(key, 0)
                self._grown[key] = before + count
                if before < 1000 <= self._grown[key]:
                    self._due.add(table)
            grown = self._grown.get(table, 0) + sum(written.values())
            if grown >= max(1000.0, self._counted.get(table, 0.0)):
                self._counted[table] = self._counted.get(table, 0.0) + grown
                self._due.add(table)
                grown = 0
            self._grown[table] = grown

    def _analyze_due(self) -> None:
        """ANALYZE the tables `_grew` found due, each on its own, unless another process is analysing
        it at this moment (its statistics will do: waiting would hold this run up for nothing)."""
        with self._growth:
            due, self._due = self._due, set()
        for table in sorted(due):
            with self.engine.connect() as conn:
                lock = f"omnihub:analyze:{table}"
                if conn.execute(
                    text("SELECT pg_try_advisory_lock(hashtext(:lock))"), {"lock": lock}
                ).scalar():
                    try:
                        conn.execute(text(f"ANALYZE {table}"))
                        conn.commit()
                    finally:
                        conn.execute(text("SELECT pg_advisory_unlock(hashtext(:lock))"), {"lock": lock})
                        conn.commit()

    # Quarantine -----------------------------------------------------------------------------
    def _quarantine(
        self, conn: DBConnection, sync: str, run_id: str, entries: Sequence[QuarantineEntry]
    ) -> None:
        """Set a page's records aside in one statement; a record already there is reopened with its
        new reasons and one attempt more."""
        if not entries:
            return
        stamp = now_text()
        latest = {(e.system, e.record_id): e for e in entries}
        values = [
            {
                "sync": sync,
                "system": entry.system,
                "object": entry.object,
                "record_id": entry.record_id,
                "run_id": run_id,
                "stage": entry.stage,
                "record": entry.record,
                "errors": entry.errors,
                "attempts": 1,
                "status": "open",
                "created_at": stamp,
                "updated_at": stamp,
            }
            for entry in latest.values()
        ]
        statement = _insert(conn, quarantine)
        excluded = statement.excluded
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["sync", "system", "record_id"],
                set_={
                    "run_id": excluded.run_id,
                    "stage": excluded.stage,
                    "record": excluded.record,
                    "errors": excluded.errors,
                    "status": "open",
                    "updated_at": excluded.updated_at,
                    "attempts": quarantine.c.attempts + 1,
                },
            ),
            values,
        )

    def _resolve(self, conn: DBConnection, sync: str, keys: Sequence[tuple[str, str]]) -> None:
        by_system: dict[str, list[str]] = {}
        for system, record_id in keys:
            by_system.setdefault(system, []).append(record_id)
        for system, ids in by_system.items():
            _close(conn, sync, system, ids, "resolved")

    def mark_gone(self, sync: str, system: str, record_ids: Sequence[str]) -> None:
        """Close quarantine entries whose records no longer exist in the source."""
        with self.engine.begin() as conn:
            _close(conn, sync, system, list(record_ids), "gone")

    def quarantined(
        self,
        sync: str | None = None,
        *,
        status: str | tuple[str, ...] | None = "open",
        ids: Sequence[int] | None = None,
        record_ids: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[QuarantineRow]:
        """Quarantine entries, newest first: of one `status` (or any of several), or all."""
        query = select(quarantine).order_by(quarantine.c.updated_at.desc(), quarantine.c.id.desc())
        if sync:
            query = query.where(quarantine.c.sync == sync)
        if isinstance(status, tuple):
            query = query.where(quarantine.c.status.in_(status))
        elif status:
            query = query.where(quarantine.c.status == status)
        if ids:
            query = query.where(quarantine.c.id.in_(list(ids)))
        if record_ids is not None:
            return self._quarantined_by_record(query, record_ids)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [QuarantineRow(**dict(row)) for row in conn.execute(query).mappings()]

    def _quarantined_by_record(self, query: Any, record_ids: Sequence[str]) -> list[QuarantineRow]:
        found: list[QuarantineRow] = []
        with self.engine.connect() as conn:
            for among in _among(conn, quarantine.c.record_id, list(record_ids)):
                rows = conn.execute(query.where(among)).mappings()
                found += [QuarantineRow(**dict(row)) for row in rows]
        return found

    def quarantine_counts(self) -> dict[str, int]:
        """Open quarantine entries per sync."""
        query = select(quarantine.c.sync, func.count()).where(quarantine.c.status == "open")
        with self.engine.connect() as conn:
            return {sync: int(n) for sync, n in conn.execute(query.group_by(quarantine.c.sync))}

    # Runs -----------------------------------------------------------------------------------
    def start_run(self, sync: str, kind: RunKind = "sync", *, lock: Lock | None = None) -> str:
        """Record the start of a run and return its id. The run names its process (host, pid) and
        the lock it holds, so a listing can tell when it died without recording its end."""
        run_id = str(uuid4())
        details: dict[str, Any] = {"process": {"host": self.locks.host, "pid": os.getpid()}, **airflow_run()}
        if lock is not None:
            details["lock"] = {"name": lock.name, "owner": lock.owner}
        with self.engine.begin() as conn:
            conn.execute(
                runs.insert().values(
                    id=run_id,
                    sync=sync,
                    kind=kind,
                    started_at=now_text(),
                    status="running",
                    counts={},
                    api_calls={},
                    details=details,
                )
            )
        return run_id

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        counts: dict[str, Any],
        api_calls: dict[str, int],
        *,
        details: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Record how a run ended."""
        with self.engine.begin() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    finished_at=now_text(),
                    status=status,
                    counts=counts,
                    api_calls=api_calls,
                    details=json.loads(json.dumps({**airflow_run(), **(details or {})}, default=str)),
                    error=error,
                )
            )

    def abandon_run(self, run_id: str, exc: BaseException, api_calls: dict[str, int]) -> None:
        """Record a run that stopped on `exc`: `failed` on an error, `interrupted` on a signal."""
        if isinstance(exc, Exception):
            error = str(exc) if isinstance(exc, HubError) else f"{type(exc).__name__}: {exc}"
            self.finish_run(run_id, "failed", {}, api_calls, error=redact(error))
        else:
            self.finish_run(run_id, "interrupted", {}, api_calls, error=interrupted_by(exc))

    def runs(self, sync: str | None = None, *, kind: RunKind | None = None, limit: int = 20) -> list[RunRow]:
        """Runs, newest first; a run whose process is gone shows (and is stored) as interrupted."""
        query = select(runs).order_by(runs.c.started_at.desc()).limit(limit)
        if sync:
            query = query.where(runs.c.sync == sync)
        if kind:
            query = query.where(runs.c.kind == kind)
        return self._settled(self._select(query))

    def run(self, run_id: str) -> RunRow | None:
        found = self._settled(self._select(select(runs).where(runs.c.id == run_id)))
        return found[0] if found else None

    def _select(self, query: Select[Any]) -> list[RunRow]:
        with self.engine.connect() as conn:
            return [RunRow(**dict(row)) for row in conn.execute(query).mappings()]

    def _settled(self, rows: list[RunRow]) -> list[RunRow]:
        """`rows`, with each `running` run whose process is gone marked `interrupted` in the store.
        Read before the locks: a run holds its lock from before its start to after its end."""
        gone = {row.id: reason for row in rows if row.status == "running" and (reason := self._gone(row))}
        if not gone:
            return rows
        with self.engine.begin() as conn:
            for run_id, reason in gone.items():
                conn.execute(
                    update(runs)
                    .where(runs.c.id == run_id, runs.c.status == "running")  # unless it ended meanwhile
                    .values(status="interrupted", error=reason)
                )
        fresh = {row.id: row for row in self._select(select(runs).where(runs.c.id.in_(list(gone))))}
        return [fresh.get(row.id, row) for row in rows]

    def _gone(self, row: RunRow) -> str | None:
        """Why a `running` run's process is known to be gone, or None while it may be alive.

        A run holding a lock lives as long as its lock: on this host a dead pid frees it at once,
        elsewhere its expiry does (`LockManager`). A run without one (a reconciliation) is judged
        by its pid on this host, and elsewhere, or when it named no process, by its age."""
        process = row.details.get("process") or {}
        who = f"pid {process['pid']} on {process['host']}" if process else "its process"
        kept = "what it committed is kept"
        if process and self.locks.process_gone(process["host"], int(process["pid"])):
            return f"interrupted: {who} is gone; {kept}"
        lock = row.details.get("lock")
        if lock:
            if self.locks.holds(lock["name"], lock["owner"]):
                return None
            return f"interrupted: {who} let its lock {lock['name']} expire (gone, or cut off); {kept}"
        if process and process["host"] == self.locks.host:
            return None
        if datetime.now(UTC) - datetime.fromisoformat(row.started_at) > UNSEEN_PROCESS_LIMIT:
            hours = UNSEEN_PROCESS_LIMIT.total_seconds() / 3600
            return (
                f"interrupted: running for over {hours:.0f} h ({who}, not visible from here): presumed gone"
            )
        return None


def airflow_run() -> dict[str, Any]:
    """The Airflow DAG run a task runs in (Airflow sets AIRFLOW_CTX_* in a task's environment), so a run
    recorded here links to it: {"airflow": {"dag_id", "run_id"}}, or nothing outside Airflow."""
    dag_id, run_id = os.environ.get("AIRFLOW_CTX_DAG_ID"), os.environ.get("AIRFLOW_CTX_DAG_RUN_ID")
    return {"airflow": {"dag_id": dag_id, "run_id": run_id}} if dag_id and run_id else {}


def _close(conn: DBConnection, sync: str, system: str, record_ids: list[str], status: str) -> None:
    """Move open (or ignored) quarantine entries of these records to `status` (resolved, gone)."""
    for among in _among(conn, quarantine.c.record_id, record_ids):
        conn.execute(
            update(quarantine)
            .where(
                quarantine.c.sync == sync,
                quarantine.c.system == system,
                among,
                quarantine.c.status.in_(("open", "ignored")),
            )
            .values(status=status, updated_at=now_text())
        )


def _windows(conn: DBConnection, sync: str, system: str, keys: Sequence[str]) -> list[str] | None:
    """The bounds kept under `keys` in their order, None unless all are."""
    query = select(cursors.c.object, cursors.c.value).where(
        cursors.c.sync == sync, cursors.c.system == system, cursors.c.object.in_(keys)
    )
    stored = dict(conn.execute(query).tuples().all())
    return [stored[key] for key in keys] if len(stored) == len(keys) else None


def _window_keys(obj: str, count: int) -> list[str]:
    """Where a backfill's time windows are kept: bound K under `obj#windowK/count`."""
    return [f"{obj}#window{k}/{count}" for k in range(count + 1)]


def _xref_arrays(rows: Sequence[XrefRow], stamp: str) -> dict[str, Any]:
    """Cross-references as the parameters of `_XREF_ROWS`: a list per column."""
    return {
        "entity": [r.entity for r in rows],
        "system": [r.system for r in rows],
        "external_id": [r.external_id for r in rows],
        "hub_id": [r.hub_id for r in rows],
        "last_hash": [r.last_hash for r in rows],
        "last_modified": [r.last_modified for r in rows],
        "deleted": [r.deleted for r in rows],
        "updated_at": stamp,
    }


def _xref_values(row: XrefRow, stamp: str) -> dict[str, Any]:
    return {
        "entity": row.entity,
        "system": row.system,
        "external_id": row.external_id,
        "hub_id": row.hub_id,
        "last_hash": row.last_hash,
        "last_modified": row.last_modified,
        "deleted": row.deleted,
        "updated_at": stamp,
    }


def _xref_row(row: Any) -> XrefRow:
    return XrefRow(
        row["entity"],
        row["system"],
        row["external_id"],
        row["hub_id"],
        row["last_hash"],
        row["last_modified"],
        bool(row["deleted"]),
    )


__all__ = [
    "PageCommit",
    "QuarantineEntry",
    "QuarantineRow",
    "QuarantineStage",
    "RunKind",
    "RunRow",
    "RunStatus",
    "StateStore",
    "StateUnavailable",
    "XrefRow",
    "default_url",
    "interrupted_by",
    "now_text",
]
