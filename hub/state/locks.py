"""Run locks in the state database: two runs of one sync never overlap.

A lock row names its holder (host, pid, owner token) and an expiry that a heartbeat thread pushes
forward. A second run finds the row and stops with a message naming the holder. A holder that
died without releasing (SIGKILL, a lost worker) does not block forever: on the same host a dead pid
frees the lock at once; elsewhere the expiry does.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from hub.errors import LockError

log = logging.getLogger("hub.locks")


def lock_table(metadata: MetaData) -> Table:
    return Table(
        "hub_locks",
        metadata,
        Column("name", String(200), primary_key=True),
        Column("owner", String(36), nullable=False),
        Column("host", String(255), nullable=False),
        Column("pid", Integer, nullable=False),
        Column("acquired_at", String(40), nullable=False),
        Column("expires_at", String(40), nullable=False),
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host (zombies count as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class Lock:
    """A held lock; a context manager that keeps it alive with a heartbeat and releases it."""

    def __init__(self, manager: LockManager, name: str, owner: str, ttl: timedelta) -> None:
        self.manager, self.name, self.owner, self.ttl = manager, name, owner, ttl
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lock-{name}", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(max(self.ttl.total_seconds() / 3, 0.05)):
            try:
                self.manager.extend(self)
            except Exception as exc:  # a heartbeat must never kill the run; expiry is the fallback
                log.warning("could not extend lock %s: %s", self.name, exc)

    def release(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.manager.release(self)

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class LockManager:
    """Takes and releases named locks in the `hub_locks` table."""

    def __init__(self, engine: Engine, table: Table) -> None:
        self.engine, self.table = engine, table
        self.host = socket.gethostname()

    def acquire(self, name: str, ttl: timedelta = timedelta(minutes=5)) -> Lock:
        """Take the lock `name` or raise LockError naming who holds it."""
        owner, now = str(uuid4()), datetime.now(UTC)
        with self.engine.begin() as conn:
            held = conn.execute(select(self.table).where(self.table.c.name == name)).mappings().first()
            if held is not None:
                if not self._stale(held, now):
                    raise LockError(_held_message(name, held))
                conn.execute(
                    delete(self.table).where(self.table.c.name == name, self.table.c.owner == held["owner"])
                )
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(self.table).values(
                        name=name,
                        owner=owner,
                        host=self.host,
                        pid=os.getpid(),
                        acquired_at=_stamp(now),
                        expires_at=_stamp(now + ttl),
                    )
                )
        except IntegrityError:
            raise LockError(f"{name} is already running (another run took the lock a moment ago)") from None
        return Lock(self, name, owner, ttl)

    def _stale(self, held: Any, now: datetime) -> bool:
        if held["expires_at"] < _stamp(now):
            return True
        return self.process_gone(held["host"], int(held["pid"]))

    def process_gone(self, host: str, pid: int) -> bool:
        """Whether process `pid` of `host` is known to be gone: only this host's processes can be
        seen; another host's are never known gone (their lock's expiry tells instead)."""
        return host == self.host and not pid_alive(pid)

    def holds(self, name: str, owner: str) -> bool:
        """Whether `owner` still holds the lock `name`: the row is its own and not stale (as
        `acquire` judges, so a holder that died no longer holds it)."""
        with self.engine.connect() as conn:
            held = conn.execute(select(self.table).where(self.table.c.name == name)).mappings().first()
        return held is not None and held["owner"] == owner and not self._stale(held, datetime.now(UTC))

    def extend(self, lock: Lock) -> None:
        expires = _stamp(datetime.now(UTC) + lock.ttl)
        with self.engine.begin() as conn:
            conn.execute(
                update(self.table)
                .where(self.table.c.name == lock.name, self.table.c.owner == lock.owner)
                .values(expires_at=expires)
            )

    def release(self, lock: Lock) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(self.table).where(self.table.c.name == lock.name, self.table.c.owner == lock.owner)
            )


def _held_message(name: str, held: Any) -> str:
    return (
        f"{name} is already running: pid {held['pid']} on {held['host']} holds the lock since "
        f"{held['acquired_at']} (it expires {held['expires_at']} unless that run is alive)"
    )
