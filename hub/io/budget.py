"""One API budget per system and connection, shared by every process and worker that calls it.

A token bucket per (system, connection): a request takes a token before it is sent, and waits when
there is none; the bucket refills at the system's documented rate. Every process reaches the same
bucket, so two syncs (or a backfill's shards) writing to one HubSpot portal share its 100 requests
per 10 seconds instead of each spending them. The vendors' own answers feed it as they arrive:

- rate headers set the limit and drain what the system says is left (HubSpot
  `X-HubSpot-RateLimit-Max`/`-Remaining`/`-Interval-Milliseconds`, Zendesk `X-Rate-Limit`/
  `X-Rate-Limit-Remaining`, Freshdesk `X-RateLimit-Total`/`X-RateLimit-Remaining`);
- a `Retry-After` on a refusal (429, BambooHR's 503) means "no tokens until T" for the bucket: when
  one worker is told to wait, every process waits until T. A 429 without one pauses the bucket for
  the rolling window the system named (HubSpot's `-Interval-Milliseconds`, at most 10 s), or, when
  it named none, spends the bucket's tokens so that requests go out at the documented rate again.

Where the bucket lives (`default_budget`):

- `HUB_BUDGET_URL=redis://host:6379/0`: in Redis (a hash per bucket, changed under WATCH/MULTI,
  timed by the server's clock);
- `HUB_BUDGET_URL=postgresql://…`, or else a PostgreSQL `HUB_STATE_URL`: in the database's
  `hub_api_budget` table, one row per bucket changed under `SELECT … FOR UPDATE`;
- otherwise (a SQLite state store, nothing configured): in this process only. SQLite would make every
  request of every process queue for the state file's one write lock, which the syncs' own writes
  need, so the budget is not shared across processes there;
- `HUB_BUDGET_URL=local`: in this process only, whatever the state store;
- `HUB_BUDGET_URL=off`: no budget at all (only the session's own retries).

A shared store that fails (Redis down, the database away) is logged once and the process goes on with
a bucket of its own: a budget never fails a sync.

    budget = default_budget()
    throttle = Throttle(budget, "hubspot:hubspot_default", RateLimit(100, 10))
    time.sleep(throttle.wait())                 # before each request
    throttle.answered(response.status_code, response.headers)
"""

from __future__ import annotations

import logging
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

log = logging.getLogger("hub.budget")

BUDGET_SETTING = "HUB_BUDGET_URL"
"""The environment variable naming where budgets are shared (redis://…, postgresql://…, or off)."""
MARGIN = 0.95
"""The share of a documented rate the hub spends: requests in flight and clocks never line up exactly."""
MAX_PAUSE = 300.0
"""The longest a Retry-After may stop a bucket (as the session's `max_retry_after`)."""
THROTTLED_PAUSE = 10.0
"""The longest a 429 that names no wait stops a bucket: one interval of its limit, at most this."""
OFF = frozenset({"off", "none", "0", "false", "no"})
T = TypeVar("T")


@dataclass(frozen=True)
class RateLimit:
    """`requests` per `seconds`, as a vendor documents it (HubSpot 100 per 10 s)."""

    requests: float
    seconds: float

    @classmethod
    def parse(cls, text: Any) -> RateLimit | None:
        """A limit from a connection option: "190/10" (190 per 10 s), "700/60s", "700/min"; None for
        "none": no rate assumed, only what the system's answers say (limit headers, Retry-After)."""
        value = str(text).strip().lower()
        if value in OFF:
            return None
        count, _, period = value.partition("/")
        period = {"s": "1", "sec": "1", "second": "1", "min": "60", "minute": "60"}.get(period, period)
        try:
            limit = cls(float(count), float(period.removesuffix("s") or 1))
        except ValueError:
            raise ValueError(
                f"rate_limit {text!r}: give requests/seconds, such as 190/10 or 700/60"
            ) from None
        if limit.requests <= 0 or limit.seconds <= 0:
            raise ValueError(f"rate_limit {text!r}: requests and seconds must be above 0")
        return limit


@dataclass
class Bucket:
    """One bucket's state: `tokens` counted at `at` (negative: requests already promised a later
    slot), no request before `until`, refilled at `requests` per `seconds` (0 requests: no rate known,
    only pauses apply); `window` is the rolling window a system's headers named (0: none). Times are
    seconds since the epoch on the store's clock."""

    tokens: float
    at: float
    until: float
    requests: float
    seconds: float
    window: float = 0.0

    @classmethod
    def new(cls, limit: RateLimit | None, now: float) -> Bucket:
        requests, seconds = (limit.requests, limit.seconds) if limit else (0.0, 1.0)
        return cls(tokens=requests, at=now, until=0.0, requests=requests, seconds=seconds)

    @property
    def rate(self) -> float:
        """Tokens per second."""
        return self.requests / self.seconds * MARGIN

    def refill(self, now: float) -> None:
        """Add what the rate gave since the tokens were counted (nothing while paused)."""
        start = max(self.at, self.until)
        if self.requests > 0 and now > start:
            self.tokens = min(self.requests, self.tokens + (now - start) * self.rate)
        self.at = max(self.at, now)

    def take(self, now: float) -> float:
        """Take one token: the seconds to wait before sending (the slot promised to this request)."""
        self.refill(now)
        paused = max(0.0, self.until - now)
        if self.requests <= 0:
            return paused
        self.tokens -= 1
        return paused + max(0.0, -self.tokens) / self.rate

    def learn(self, now: float, seen: Observation) -> None:
        """What an answer said: the limit, how much is left, a pause."""
        self.refill(now)
        if seen.limit is not None:
            unknown = self.requests <= 0  # the first limit this bucket hears of: it starts full
            self.requests, self.seconds = seen.limit.requests, seen.limit.seconds
            self.tokens = self.requests if unknown else min(self.tokens, self.requests)
        if seen.remaining is not None:
            self.tokens = min(self.tokens, seen.remaining)
        if seen.window is not None:
            self.window = seen.window
        pause = seen.pause
        if pause is None and seen.throttled and self.window > 0:
            pause = min(self.window, THROTTLED_PAUSE)  # the window is full: it empties within one
        if pause is not None:
            self.until = max(self.until, now + min(pause, MAX_PAUSE))
        elif seen.throttled:
            self.tokens = min(self.tokens, 0.0)


@dataclass(frozen=True)
class Observation:
    """What one answer says about the budget."""

    limit: RateLimit | None = None
    remaining: float | None = None
    pause: float | None = None  # seconds from now, from Retry-After
    throttled: bool = False  # refused for its rate (429)
    window: float | None = None  # seconds of a rolling window the headers named

    def __bool__(self) -> bool:
        return self != Observation()


def _number(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _limit(requests: float | None, seconds: float | None) -> RateLimit | None:
    return RateLimit(requests, seconds) if requests and seconds and requests > 0 and seconds > 0 else None


def read_limits(status: int, headers: Mapping[str, str]) -> Observation:
    """The budget news in one answer's status and headers (case-insensitive `headers`)."""
    from hub.io.http import retry_after_seconds

    if (hubspot := _number(headers, "X-HubSpot-RateLimit-Max")) is not None:
        interval = _number(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        window = interval / 1000 if interval else None
        limit = _limit(hubspot, window)
        remaining = _number(headers, "X-HubSpot-RateLimit-Remaining")
    elif (zendesk := _number(headers, "X-Rate-Limit")) is not None:
        limit, remaining, window = _limit(zendesk, 60.0), _number(headers, "X-Rate-Limit-Remaining"), None
    elif (freshdesk := _number(headers, "X-RateLimit-Total")) is not None:
        limit, remaining, window = _limit(freshdesk, 60.0), _number(headers, "X-RateLimit-Remaining"), None
    else:
        limit, remaining, window = None, None, None
    pause = retry_after_seconds(headers.get("Retry-After")) if status >= 400 else None
    return Observation(limit, remaining, pause, throttled=status == 429, window=window)


class ApiBudget(ABC):
    """Token buckets by key ("system:connection"), kept where every process that shares them looks."""

    shared: bool = True
    """Whether other processes see the same buckets."""

    def take(self, key: str, limit: RateLimit | None) -> float:
        """Take a token from `key`'s bucket (made with `limit` if new): seconds to wait before sending."""
        return self.change(key, limit, Bucket.take)

    def learn(self, key: str, limit: RateLimit | None, seen: Observation) -> None:
        """Tell `key`'s bucket what an answer said."""
        self.change(key, limit, lambda bucket, now: bucket.learn(now, seen))

    @abstractmethod
    def change(self, key: str, limit: RateLimit | None, change: Callable[[Bucket, float], T]) -> T:
        """Apply `change(bucket, now)` to `key`'s bucket atomically for every sharer; its result."""

    @abstractmethod
    def close(self) -> None:
        """Let go of connections."""


class LocalBudget(ApiBudget):
    """Buckets in this process: shared by its threads and sessions, not by other processes."""

    shared = False

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def change(self, key: str, limit: RateLimit | None, change: Callable[[Bucket, float], T]) -> T:
        with self._lock:
            now = self._clock()
            bucket = self._buckets.setdefault(key, Bucket.new(limit, now))
            return change(bucket, now)

    def close(self) -> None:
        with self._lock:
            self._buckets.clear()


class FallibleBudget(ApiBudget):
    """A shared store that may fail: on the first failure it says so once and a local bucket serves."""

    def __init__(self, where: str) -> None:
        self.where = where
        self._local: LocalBudget | None = None

    def change(self, key: str, limit: RateLimit | None, change: Callable[[Bucket, float], T]) -> T:
        if self._local is None:
            try:
                return self.change_shared(key, limit, change)
            except Exception as exc:  # a budget must never fail a sync
                log.warning(
                    "API budget at %s unavailable (%s); this process keeps its own from now on",
                    self.where,
                    type(exc).__name__,
                )
                self._local = LocalBudget()
        return self._local.change(key, limit, change)

    @abstractmethod
    def change_shared(self, key: str, limit: RateLimit | None, change: Callable[[Bucket, float], T]) -> T:
        """`change` on the shared store; raises when the store cannot be used."""


class RedisBudget(FallibleBudget):
    """Buckets as Redis hashes (`hub:budget:<key>`), changed under WATCH/MULTI on the server's clock."""

    def __init__(self, url: str, prefix: str = "hub:budget:") -> None:
        import redis  # only when Redis is configured: `import hub.airflow` does not need it

        from hub.state.database import shown

        super().__init__(shown(url))
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = prefix
        self._conflict = redis.WatchError

    def change_shared(self, key: str, limit: RateLimit | None, change: Callable[[Bucket, float], T]) -> T:
        name = self.prefix + key
        with self.client.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(name)  # type: ignore[no-untyped-call]
                    seconds, micros = pipe.time()
                    now = seconds + micros / 1e6
                    stored = {_text(k): float(v) for k, v in pipe.hgetall(name).items()}
                    bucket = _bucket(stored) or Bucket.new(limit, now)
                    result = change(bucket, now)
                    pipe.multi()
                    pipe.hset(name, mapping=asdict(bucket))  # type: ignore[arg-type]
                    pipe.expire(name, 86_400)
                    pipe.execute()
                    return result
                except self._conflict:
                    continue  # another process changed the bucket between our read and write

    def close(self) -> None:
        self.client.close()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bucket(fields: Mapping[str, float]) -> Bucket | None:
    """The bucket a stored hash holds; None for none (or one from before a field was added)."""
    try:
        return Bucket(**{name: fields[name] for name in Bucket.__dataclass_fields__})
    except KeyError:
        return None


class DatabaseBudget(FallibleBudget):
    """Buckets as rows of `hub_api_budget` in a PostgreSQL database (the state store's by default),
    each changed in one transaction under `SELECT … FOR UPDATE`, on the database's clock."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import Column, Float, MetaData, String, Table, create_engine

        from hub.io.pooling import ping_when_idle
        from hub.state.database import parse_state_url, shown

        parsed = parse_state_url(url, BUDGET_SETTING)
        if not parsed.drivername.startswith("postgresql"):
            raise ValueError("a budget shared in a database needs PostgreSQL")
        super().__init__(shown(url))
        self.engine = ping_when_idle(create_engine(parsed, pool_size=2, max_overflow=2))
        self.table = Table(
            "hub_api_budget",
            MetaData(),
            Column("key", String(300), primary_key=True),
            *(
                Column(name, Float, nullable=False)
                for name in ("tokens", "at", "until", "requests", "seconds", "window")
            ),
        )
        self._created = False

    def change_shared(self, key: str, limit: RateLimit | None, change: Callable[[Bucket, float], T]) -> T:
        from sqlalchemy import func, select
        from sqlalchemy.dialects.postgresql import insert

        table = self.table
        if not self._created:
            self._create()
        with self.engine.begin() as conn:
            now = float(conn.execute(select(func.extract("epoch", func.clock_timestamp()))).scalar_one())
            locked = select(*(table.c[name] for name in Bucket.__dataclass_fields__)).where(
                table.c.key == key
            )
            row = conn.execute(locked.with_for_update()).mappings().first()
            if row is None:
                conn.execute(
                    insert(table).values(key=key, **asdict(Bucket.new(limit, now))).on_conflict_do_nothing()
                )
                row = conn.execute(locked.with_for_update()).mappings().one()
            bucket = Bucket(**row)
            result = change(bucket, now)
            conn.execute(table.update().where(table.c.key == key).values(**asdict(bucket)))
            return result

    def _create(self) -> None:
        """Create the table unless it is there; another process creating it at the same moment wins."""
        from sqlalchemy import inspect
        from sqlalchemy.exc import DBAPIError

        try:
            self.table.create(self.engine, checkfirst=True)
        except DBAPIError:
            if not inspect(self.engine).has_table(self.table.name):
                raise
        self._created = True

    def close(self) -> None:
        self.engine.dispose()


_budgets: dict[tuple[int, str], ApiBudget] = {}
_budgets_lock = threading.Lock()
_state_url: str | None = None


def share_with(state_url: str | None) -> None:
    """Share budgets in this state database when HUB_BUDGET_URL names none (a store opened with
    --state-url or omnihub.yaml's `state:`, which the environment does not hold)."""
    global _state_url
    _state_url = state_url


def budget_url() -> str:
    """Where budgets are shared: HUB_BUDGET_URL, else a PostgreSQL state store, else "" (this process)."""
    configured = os.environ.get(BUDGET_SETTING, "").strip()
    if configured:
        return configured
    state = _state_url or os.environ.get("HUB_STATE_URL", "")
    return state if state.strip().lower().startswith("postgres") else ""


def open_budget(url: str) -> ApiBudget | None:
    """The budget a URL names: Redis, PostgreSQL, "" for this process's own, None for off."""
    if url.lower() in OFF:
        return None
    if url.lower() in ("", "local"):
        return LocalBudget()
    if url.split(":", 1)[0].lower() in ("redis", "rediss", "unix"):
        return _redis(url)
    if url.lower().startswith("postgres"):
        return DatabaseBudget(url)
    log.warning("%s names neither Redis nor PostgreSQL; API budgets are kept per process", BUDGET_SETTING)
    return LocalBudget()


def _redis(url: str) -> RedisBudget:
    from hub.errors import ConfigError
    from hub.state.database import shown

    try:
        return RedisBudget(url)
    except ImportError:
        raise ConfigError(
            f"{BUDGET_SETTING} names Redis, and the redis package is not installed: "
            "pip install 'omnihub[airflow]' (or redis)"
        ) from None
    except ValueError as exc:
        raise ConfigError(f"{BUDGET_SETTING} {shown(url)}: {exc}") from None


def default_budget() -> ApiBudget | None:
    """This process's budget for the configured place (one per place and process: a forked worker
    opens its own connections)."""
    url = budget_url()
    key = (os.getpid(), url)
    with _budgets_lock:
        if key not in _budgets:
            _budgets[key] = open_budget(url)  # type: ignore[assignment]
        return _budgets[key]


class Throttle:
    """One session's handle on its bucket: wait before a request, report each answer."""

    def __init__(self, budget: ApiBudget, key: str, limit: RateLimit | None) -> None:
        self.budget, self.key, self.limit = budget, key, limit
        self._known: RateLimit | None = limit

    def wait(self) -> float:
        """Seconds to wait before sending the next request (its token taken)."""
        return self.budget.take(self.key, self.limit)

    def answered(self, status: int, headers: Mapping[str, str]) -> None:
        """Feed an answer's limit headers and refusals to the bucket; an answer that says nothing new
        (the known limit, plenty left) costs no round trip to the store."""
        seen = read_limits(status, headers)
        if not seen or not self._news(seen):
            return
        self.budget.learn(self.key, self.limit, seen)
        if seen.limit is not None:
            self._known = seen.limit

    def _news(self, seen: Observation) -> bool:
        if seen.pause is not None or seen.throttled or seen.limit != self._known:
            return True
        limit = seen.limit or self._known
        return seen.remaining is not None and (limit is None or seen.remaining < limit.requests * 0.1)
