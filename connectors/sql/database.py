"""One database behind a connection: its URL, the engine, retries of transient failures, and errors an
operator can act on.

    database = Database(connection, calls=calls, policy=RetryPolicy())
    rows = database.run(lambda conn: conn.execute(statement).all(), what="reading 'invoices'")

`run` executes its work in one transaction (committed for writes, rolled back for reads) and replays
the whole transaction when the database says the failure is transient: a serialization failure, a
deadlock, a busy SQLite file, a dropped or refused connection. Every statement counts as one API call
and every replay as one retry, per system, in the connector's `ApiCalls`. Driver messages are
redacted (the connection's password never shows) and cut to their first lines, never the SQL text
or its parameters.
"""

from __future__ import annotations

import itertools
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event

from hub.errors import AuthenticationError, ConfigError, FatalAPIError, HubError, RetryableAPIError
from hub.io.connections import Connection
from hub.io.http import ApiCalls, RetryPolicy
from hub.io.pooling import ping_when_idle
from hub.io.redact import REDACTOR, redact

T = TypeVar("T")
log = logging.getLogger("connectors.sql")
SYSTEM = "sql"
DEFAULT_DIALECT = "postgresql+psycopg"
DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}
CONNECT_TIMEOUT = 10
# SQLSTATEs that mean "not done, try again": serialization failure, deadlock, lock not available,
# too many connections, admin shutdown, crash shutdown, cannot connect now; and class 08 (connection).
TRANSIENT_STATES = frozenset({"40001", "40P01", "55P03", "53300", "57P01", "57P02", "57P03"})
# Connection failures carry no SQLSTATE: libpq's own words say the server could not be reached.
UNREACHABLE = (
    "connection refused",
    "timeout expired",
    "could not connect",
    "server closed the connection",
    "connection reset",
    "could not translate host name",
    "no route to host",
    "network is unreachable",
    "could not receive data",
    "could not send data",
    "the database system is starting up",
    "the database system is shutting down",
    "too many clients",
    "terminating connection",
    "ssl syscall error",
)
SQLITE_BUSY = ("database is locked", "database table is locked")
LOGIN_REFUSED = re.compile(
    r"password authentication failed|role \"[^\"]*\" does not exist|no pg_hba\.conf entry|"
    r"authentication failed|access denied for user|login failed for user",
    re.IGNORECASE,
)
NO_DATABASE = re.compile(r"database \"[^\"]*\" does not exist|unknown database", re.IGNORECASE)
VERSION_SQL = {
    "postgresql": "SELECT version()",
    "sqlite": "SELECT 'SQLite ' || sqlite_version()",
    "mysql": "SELECT CONCAT('MySQL ', VERSION())",
    "mssql": "SELECT @@VERSION",
}


def database_url(connection: Connection) -> sa.URL:
    """The SQLAlchemy URL of a connection: extra `url`, or host/schema/login/port with extra `dialect`;
    the password field fills in the password either way."""
    raw = connection.option("url")
    url = _url_from_extra(connection, str(raw)) if raw else _url_from_fields(connection)
    if url.drivername in DRIVERS:
        url = url.set(drivername=DRIVERS[url.drivername])
    if connection.password:
        url = url.set(password=connection.password)
    if url.get_backend_name() == "sqlite":
        _check_sqlite_file(connection, url)
    return url


def _url_from_extra(connection: Connection, raw: str) -> sa.URL:
    try:
        url = sa.make_url(raw)
    except sa.exc.ArgumentError:
        raise ConfigError(
            f"connection {connection.conn_id!r}: extra 'url' is not a SQLAlchemy URL; "
            "expected dialect+driver://user@host:port/database or sqlite:////path/to/file.db"
        ) from None
    if url.password:
        REDACTOR.add(str(url.password))
        raise ConfigError(
            f"connection {connection.conn_id!r}: extra 'url' carries a password; remove it from the "
            "url and put it in the connection's password field (extras are not kept secret)"
        )
    return url


def _url_from_fields(connection: Connection) -> sa.URL:
    if not connection.host:
        raise ConfigError(
            f"connection {connection.conn_id!r} names no database: set extra 'url' "
            "(e.g. postgresql+psycopg://user@host:5432/db) or host, schema (the database) and login"
        )
    return sa.URL.create(
        str(connection.option("dialect") or DEFAULT_DIALECT),
        username=connection.login or None,
        host=connection.host,
        port=connection.port,
        database=connection.schema or None,
    )


def _check_sqlite_file(connection: Connection, url: sa.URL) -> None:
    """SQLite creates a missing file silently; a mistyped path must not read as an empty database."""
    path = url.database or ""
    if path and path != ":memory:" and not path.startswith("file:") and not Path(path).is_file():
        raise ConfigError(
            f"connection {connection.conn_id!r}: the SQLite database file {path!r} does not exist"
        )


def build_engine(connection: Connection, url: sa.URL) -> sa.Engine:
    """An engine that checks pooled connections that sat idle before use (`ping_when_idle`) and, on
    PostgreSQL, talks in UTC."""
    options: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        timeout = int(float(connection.option("connect_timeout") or CONNECT_TIMEOUT))
        args: dict[str, Any] = {"connect_timeout": timeout}
        if "options" not in url.query:
            args["options"] = "-c TimeZone=UTC"  # naive timestamps compare and read as UTC
        options["connect_args"] = args
    try:
        return ping_when_idle(sa.create_engine(url, **options))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise ConfigError(
            f"connection {connection.conn_id!r}: cannot use the database dialect {url.drivername!r} "
            f"({redact(exc)[:200]})"
        ) from None


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE a driver gave for a failure, if any."""
    orig = getattr(exc, "orig", exc)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return str(state) if state else None


def driver_message(exc: BaseException) -> str:
    """What the database said, redacted, on one line and at most 500 characters (never the SQL)."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split()) or type(orig).__name__
    return redact(text)[:500]


def is_transient(exc: sa.exc.DBAPIError) -> bool:
    """Whether a failure means "not done, try again" (the transaction can be replayed as a whole)."""
    if exc.connection_invalidated:
        return True
    state = sqlstate(exc)
    if state:
        return state in TRANSIENT_STATES or state.startswith("08")
    text = str(exc.orig).lower()
    name = str(getattr(exc.orig, "sqlite_errorname", ""))
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or text.startswith(SQLITE_BUSY):
        return True
    return isinstance(exc, sa.exc.OperationalError) and any(words in text for words in UNREACHABLE)


def is_refusal(exc: sa.exc.StatementError) -> bool:
    """Whether the database refused the data (a constraint, a value it cannot hold), not the request."""
    if isinstance(exc, (sa.exc.IntegrityError, sa.exc.DataError)):
        return True
    return not isinstance(exc, sa.exc.DBAPIError)  # a value the driver could not bind


def hub_error(exc: sa.exc.StatementError, conn_id: str, what: str) -> HubError:
    """The hub's error for a failure that retrying cannot fix."""
    message = driver_message(exc)
    if (sqlstate(exc) or "").startswith("28") or LOGIN_REFUSED.search(message):
        return AuthenticationError(
            SYSTEM, f"connection {conn_id!r}: the database refused the login ({message})"
        )
    if sqlstate(exc) == "3D000" or NO_DATABASE.search(message):
        return ConfigError(
            f"connection {conn_id!r}: {message}; check the database name of the connection "
            "(its schema field, or the url's path)"
        )
    return FatalAPIError(SYSTEM, f"{what}: {message}", code=sqlstate(exc))


class Database:
    """The engine of one connection (built on first use) and the retrying transaction runner."""

    def __init__(self, connection: Connection, *, calls: ApiCalls, policy: RetryPolicy) -> None:
        self.connection = connection
        self.calls = calls
        self.policy = policy
        self.sleep: Callable[[float], None] = time.sleep
        self.rng = random.Random()
        REDACTOR.add(*connection.secrets())

    @cached_property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine; each statement it executes counts as one API call."""
        engine = build_engine(self.connection, database_url(self.connection))
        event.listen(engine, "after_cursor_execute", self._counted)
        return engine

    @property
    def dialect(self) -> str:
        """The dialect's name: postgresql, sqlite, mysql, …"""
        return self.engine.dialect.name

    def _counted(self, *args: Any) -> None:
        self.calls.count(SYSTEM)

    def run(
        self,
        work: Callable[[sa.Connection], T],
        *,
        what: str,
        write: bool = False,
        keep_refusals: bool = False,
    ) -> T:
        """`work` in one transaction, replayed on transient failures with the policy's backoff.

        Other failures become the hub's errors, except refused data when `keep_refusals` asks for the
        SQLAlchemy exception (the caller isolates the refused records)."""
        for attempt in itertools.count(1):
            try:
                with self.engine.begin() if write else self.engine.connect() as conn:
                    return work(conn)
            except sa.exc.DBAPIError as exc:
                if keep_refusals and not is_transient(exc) and is_refusal(exc):
                    raise
                self.failed(exc, attempt, what)
            except sa.exc.StatementError as exc:
                if keep_refusals:
                    raise
                raise FatalAPIError(SYSTEM, f"{what}: {driver_message(exc)}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def stream(
        self, statement: Callable[[list[Any] | None], sa.Select[Any]], keys: int, size: int, *, what: str
    ) -> Iterator[Sequence[sa.Row[Any]]]:
        """The rows of one SELECT ordered by its last `keys` columns, `size` at a time, through a
        server-side cursor: one statement for the whole read, however many pages (on PostgreSQL a
        keyset page per statement sorted or scanned the table once per page).

        `statement(last)` gives the SELECT of the rows after the keys `last` (None: from the start);
        a transient failure waits with the policy's backoff and starts a new statement after the
        last row handed out, so a read resumes where it broke. The attempts count failures in a row.
        """
        last: list[Any] | None = None
        failures = 0
        while True:
            try:
                with self.engine.connect() as conn:
                    streamed = conn.execution_options(stream_results=True, max_row_buffer=size)
                    for rows in streamed.execute(statement(last)).partitions(size):
                        failures = 0
                        last = list(rows[-1][-keys:])
                        yield rows
                    return
            except sa.exc.DBAPIError as exc:
                failures += 1
                self.failed(exc, failures, what)
            except sa.exc.StatementError as exc:
                raise FatalAPIError(SYSTEM, f"{what}: {driver_message(exc)}") from None

    def failed(self, exc: sa.exc.DBAPIError, attempt: int, what: str) -> None:
        """Wait before the next attempt when the failure is transient; otherwise raise the hub's error."""
        if not is_transient(exc):
            raise hub_error(exc, self.connection.conn_id, what) from None
        self._wait(exc, attempt, what)

    def _wait(self, exc: sa.exc.DBAPIError, attempt: int, what: str) -> None:
        message = driver_message(exc)
        if attempt >= self.policy.max_attempts:
            raise RetryableAPIError(
                SYSTEM, f"{what}: still failing after {attempt} attempts ({message})", code=sqlstate(exc)
            ) from None
        delay = self.policy.backoff(attempt, self.rng)
        log.warning("%s: %s failed (%s); retry %d in %.2fs", SYSTEM, what, message, attempt, delay)
        self.calls.count(SYSTEM, retry=True)
        self.sleep(delay)

    def server(self) -> str:
        """The server's name and version, as it says them."""

        def probe(conn: sa.Connection) -> str:
            sql = VERSION_SQL.get(conn.dialect.name)
            if sql:
                return str(conn.exec_driver_sql(sql).scalar()).split(" on ")[0].strip()
            info = ".".join(str(part) for part in conn.dialect.server_version_info or ())
            return f"{conn.dialect.name} {info}".strip()

        return self.run(probe, what="connecting")

    def dispose(self) -> None:
        """Close the pooled connections (when the engine was ever built)."""
        if "engine" in self.__dict__:
            self.engine.dispose()
