"""What a connector gives the test kit: a `Subject`, the connector and the system it talks to."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Protocol

from hub.io.connector import Connector, ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import WriteOp

# Many attempts: the rate-limit check faults half of all requests, and parallel writers meet them in
# no fixed order, so eight tries would now and then all be refused.
QUICK = RetryPolicy(base_delay=0.01, max_delay=0.05, max_attempts=24)
"""A retry policy fast enough for tests: build the subject's connectors with `policy=QUICK`."""


class FaultInjector(Protocol):
    """The system's fault injection: from now on, fail `rate` of the requests with one of `kinds`."""

    def configure(self, rate: float, kinds: tuple[str, ...], *, seed: int = 0) -> object: ...


class App(Protocol):
    """The system a connector talks to (an emulator, a database), as the kit drives it."""

    @property
    def faults(self) -> FaultInjector: ...


class Clock(Protocol):
    """The system's clock, which only the kit moves: every record it stamps takes `now`."""

    @property
    def now(self) -> datetime: ...

    def advance(self, seconds: float) -> object: ...


@dataclass
class Subject:
    """One connector and the system it talks to, as the kit drives them.

    `app.faults` is used only by the rate-limit check: a subject that sets `no_rate_limit` may give
    any object as its app. `build(None)` makes a connector with the right credentials, `build(text)`
    one with `text` as its password; `create(i)` makes record number `i` in the system directly
    (not through the connector) and returns its id; `edit(id)` changes a record directly; `op(i,
    valid)` is a write operation the system accepts (or refuses); `stored()` gives the ids of the
    records that creates and writes made.
    """

    name: str  # the connector's `system`: how its API calls are counted and its errors named
    app: App
    clock: Clock
    obj: ObjectSpec
    page: int  # a small page size the connector accepts
    build: Callable[[str | None], Connector]
    create: Callable[[int], str]
    edit: Callable[[str], None]
    op: Callable[[int, bool], WriteOp]
    stored: Callable[[], set[str]]
    secret: str | None  # the right password, which no error may show (None: it is also the login)
    # Why the system has no rate limit or no credentials to refuse (a local file, SQLite); the kit
    # skips those checks with this reason. None: it has them, and the kit checks them.
    no_rate_limit: str | None = None
    no_credentials: str | None = None

    def connector(self, password: str | None = None) -> Connector:
        """A new connector: with the right credentials, or with `password` instead."""
        return self.build(password)

    def advance(self, seconds: float) -> None:
        """Move the system's clock forward."""
        self.clock.advance(seconds=seconds)


SubjectFactory = Callable[[Path], AbstractContextManager[Subject]]
"""Makes a subject in a fresh folder and tears it down after one test (a `@contextmanager`)."""


def open_subject(factory: SubjectFactory | str, folder: Path) -> AbstractContextManager[Subject]:
    """The subject of a factory, or of a `"module:function"` naming one (imported now, not before)."""
    if isinstance(factory, str):
        module, _, function = factory.partition(":")
        if not module or not function:
            raise ValueError(f"subject {factory!r}: write it as 'module:function'")
        made: SubjectFactory = getattr(import_module(module), function)
        return made(folder)
    return factory(folder)


def read_ids(connector: Connector, obj: ObjectSpec, since: datetime | None, page: int) -> list[str]:
    """The ids of every record a read of changes since `since` returns, in order, repeats kept."""
    return [connector.record_id(obj, r) for p in connector.read_changes(obj, since, page) for r in p.records]


def just_before(moment: datetime) -> datetime:
    """A cursor one second before `moment`: a read since it returns what changed at `moment`."""
    return moment - timedelta(seconds=1)
