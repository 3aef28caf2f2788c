"""Acme: a connector written outside Omnihub, and the in-memory system it talks to, as the example in
`hub.testing`'s docstring expects them (`acme_connector`); tests/hub/testing/test_suite.py copies this
file into a project folder of its own and runs that example over it. It imports only `hub`.

Two subclasses are deliberately broken, each in a way one check of the kit exists to catch.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.errors import AuthenticationError, RetryableAPIError
from hub.io.connector import Connector, ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import Page, Record, RecordError, WriteOp, WriteResult

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
RUNNING: dict[str, AcmeEmulator] = {}
"""Each running emulator by its URL: what a connector reaches, as it would reach a host."""
_URLS = itertools.count(1)
_JITTER = random.Random(0)

ResumeAt = tuple[datetime | None, tuple[datetime, int] | None]
"""Where a read's next page starts: changed at or after a time, and past a (time, id)."""


class RateLimited(Exception):
    """Acme is busy: the request was not processed."""


class Refused(Exception):
    """Acme does not know the API key."""


class Invalid(Exception):
    """Acme refuses a record as it is."""


class ManualClock:
    """Acme's clock, which only the test moves."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class Faults:
    """Acme's fault injection: `rate` of requests answered with a rate limit, when "rate_limit" is a kind."""

    def __init__(self) -> None:
        self.configure(0.0, ())

    def configure(self, rate: float, kinds: tuple[str, ...], *, seed: int = 0) -> None:
        self.rate = rate if "rate_limit" in kinds else 0.0
        self._rng = random.Random(seed)

    def due(self) -> bool:
        return self._rng.random() < self.rate


class AcmeEmulator:
    """Acme's contacts in memory, reachable at `url` while it runs (as a context manager)."""

    password = "acme-secret-key"

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.faults = Faults()
        self.url = f"memory://acme-{next(_URLS)}"
        self._records: dict[int, Record] = {}
        self._ids = itertools.count(1)

    def __enter__(self) -> AcmeEmulator:
        RUNNING[self.url] = self
        return self

    def __exit__(self, *exc: object) -> None:
        del RUNNING[self.url]

    def answer(self, api_key: str | None) -> AcmeEmulator:
        """What Acme says before it does anything: busy (a rate limit), or who are you."""
        if self.faults.due():
            raise RateLimited
        if api_key != self.password:
            raise Refused
        return self

    def create(self, values: Mapping[str, Any]) -> str:
        record_id = next(self._ids)
        self._records[record_id] = {**values, "id": record_id, "updated_at": self.clock.now}
        return str(record_id)

    def edit(self, record_id: str, values: Mapping[str, Any]) -> None:
        self._records[int(record_id)] |= {**values, "updated_at": self.clock.now}

    def records(self) -> list[Record]:
        return [dict(r) for r in self._records.values()]

    def save(self, hub_id: str, values: Mapping[str, Any]) -> tuple[str, bool]:
        """Update the contact with this hub id, or create one; its id, and whether it is new."""
        if not values.get("name"):
            raise Invalid("a contact needs a name")
        for record in self._records.values():
            if record.get("hub_id") == hub_id:
                self.edit(str(record["id"]), values)
                return str(record["id"]), False
        return self.create({**values, "hub_id": hub_id}), True

    def changes(self, resume: ResumeAt, limit: int) -> list[Record]:
        """Up to `limit` contacts from where a read resumes, by time of change, then id."""
        since, after = resume
        found = sorted(
            (r for r in self._records.values() if since is None or r["updated_at"] >= since),
            key=lambda r: (r["updated_at"], r["id"]),
        )
        return [dict(r) for r in found if after is None or (r["updated_at"], r["id"]) > after][:limit]


class AcmeConnector(Connector):
    """Acme's contacts: read by time of change, written by hub id."""

    system = "acme"
    display_name = "Acme"
    conn_type = "acme"
    default_conn_id = "acme_default"
    max_batch = 100
    max_page = 100

    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        resume: ResumeAt = (since, None)
        while True:
            records = self._request().changes(resume, page_size)
            if records:
                yield Page(records, records[-1]["updated_at"])
            if len(records) < page_size:
                return
            resume = self.next_page(resume, records[-1])

    def next_page(self, resume: ResumeAt, last: Record) -> ResumeAt:
        """Where the next page starts: past the last record read, by its time and then its id."""
        return resume[0], (last["updated_at"], last["id"])

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        wanted = {int(i) for i in ids}
        return [r for r in self._request().records() if r["id"] in wanted]

    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        records = self._request().records()
        return [r for r in records if all(r.get(name) in values for name, values in criteria.items())]

    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        acme = self._request()
        results = []
        for op in ops:
            try:
                record_id, created = acme.save(op.hub_id, op.values)
            except Invalid as refused:
                results.append(WriteResult(None, error=RecordError("invalid", str(refused), ("name",))))
            else:
                results.append(WriteResult(record_id, created))
        return results

    def check(self) -> str:
        self._request()
        return "Acme accepts the API key"

    def _request(self) -> AcmeEmulator:
        """Acme, once it agrees to answer: retried while busy, each answer counted."""
        policy = self.policy or RetryPolicy()
        acme = RUNNING[str(self.connection.host)]
        for attempt in range(1, policy.max_attempts + 1):
            self.calls.count(self.system)
            try:
                return acme.answer(self.connection.password)
            except RateLimited:
                if attempt < policy.max_attempts:
                    self.calls.count(self.system, retry=True)
                    time.sleep(policy.backoff(attempt, _JITTER))
            except Refused:
                raise AuthenticationError(
                    self.system, f"connection {self.connection.conn_id!r}: Acme refused the API key"
                ) from None
        raise RetryableAPIError(self.system, f"Acme was still busy after {policy.max_attempts} attempts")


class ResultDroppingConnector(AcmeConnector):
    """Broken: its write leaves out the results of the records Acme refused."""

    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        return [result for result in super().write(obj, ops) if result.ok]


class TimestampPagingConnector(AcmeConnector):
    """Broken: each next page starts after the last record's time, skipping others stamped with it."""

    def next_page(self, resume: ResumeAt, last: Record) -> ResumeAt:
        return last["updated_at"] + timedelta(microseconds=1), None
