"""The database a state URL names: the URL checked, the database opened and its tables created.

A wrong URL (unparsable, a database the hub does not support, a SQLite file in a folder that does
not exist) is a ConfigError; a right URL whose database cannot be used (nothing listening, a login
refused, no such database) is `StateUnavailable`. Either way the message is one line naming the
setting the URL came from (`HUB_STATE_URL`, `--state-url`), with its password masked, and nothing
has been created: no folder, no file, no table.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, bindparam, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from hub.errors import ConfigError, HubError
from hub.io.pooling import ping_when_idle
from hub.io.redact import MASK, REDACTOR
from hub.state.tables import HUB_INDEX, KEYED_BY_INSTANCE, OLD_HUB_INDEXES, SYSTEM_LENGTH, metadata

STATE_SETTING = "HUB_STATE_URL"
"""The environment variable that names the state store (`--state-url` overrides it)."""
EXAMPLES = "sqlite:///path/to/state.db or postgresql://user:password@host:5432/database"
"""What a state URL looks like, for messages."""
POSTGRESQL_FIX = "check that the server runs and that its host, port, user, password and database are right"
SQLITE_FIX = "name a SQLite database file, or a new file in a folder you can write to"
_PASSWORD = re.compile(r"^([A-Za-z0-9+.-]*://[^:/@]*:)[^@]*@")


class StateUnavailable(HubError):
    """The state database a well-formed URL names cannot be used now (nothing listening, a login
    refused, no such database). Unlike a ConfigError it may pass, so Airflow retries the task; the
    command line exits 2."""


def default_url(root: Path) -> str:
    """HUB_STATE_URL, or SQLite at <root>/.hub/state.db (the folder is made when the store opens)."""
    return os.environ.get(STATE_SETTING) or f"sqlite:///{root / '.hub' / 'state.db'}"


def shown(url: str) -> str:
    """A state URL as messages show it: its password masked."""
    return _PASSWORD.sub(lambda m: m.group(1) + MASK + "@", url)


def parse_state_url(url: str, setting: str = STATE_SETTING) -> URL:
    """The URL, checked: it parses, names SQLite or PostgreSQL, and a SQLite file's folder exists.
    Raises ConfigError naming `setting`; registers the URL's password for redaction."""
    where = f"{setting} {shown(url)}" if url.strip() else f"{setting} (empty)"
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise ConfigError(f"{where} is not a database URL; give one such as {EXAMPLES}") from None
    except ValueError:  # a port that is not a number
        raise ConfigError(f"{where}: the port is not a number; give one such as {EXAMPLES}") from None
    REDACTOR.add(parsed.password)
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgres", "postgresql"):
        return _postgresql(parsed.set(drivername=f"postgresql+{driver or 'psycopg'}"), where)
    if backend == "sqlite":
        _check_sqlite_folder(parsed, where)
        return parsed
    raise ConfigError(
        f"{where}: the state store is SQLite or PostgreSQL, not {backend or 'this'}; give {EXAMPLES}"
    )


def _postgresql(url: URL, where: str) -> URL:
    if url.port is not None and not 1 <= url.port <= 65535:
        raise ConfigError(f"{where}: port {url.port} is not a port; give 1 to 65535 (PostgreSQL's is 5432)")
    return url


def _check_sqlite_folder(url: URL, where: str) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    path = Path(database).expanduser()
    if path.is_dir():
        raise ConfigError(
            f"{where}: {path} is a folder; give a database file in it, such as {path / 'state.db'}"
        )
    if not path.parent.is_dir():
        raise ConfigError(
            f"{where}: the folder {path.parent} does not exist; create it, or name a file in an existing one"
        )


SQLITE_BUSY_MS = 30_000
"""How long a SQLite state store waits for another writer before it gives up."""


def open_database(url: str, setting: str = STATE_SETTING) -> Engine:
    """An engine on the state database `url` names, with the state tables created when missing."""
    parsed = parse_state_url(url, setting)
    engine = _engine(parsed, f"{setting} {shown(url)}")
    try:
        metadata.create_all(engine)
        _widen_instances(engine)
        _one_hub_index(engine)
    except DBAPIError as exc:
        engine.dispose()
        fix = SQLITE_FIX if parsed.drivername.startswith("sqlite") else POSTGRESQL_FIX
        raise StateUnavailable(
            f"{setting} {shown(url)}: cannot open the state store ({_reason(exc)}); {fix}"
        ) from None
    return engine


def _widen_instances(engine: Engine) -> None:
    """Stores made before system instances (0.1) keep `system` in 50 characters: PostgreSQL's columns
    are widened in place to hold `system@connection` (SQLite does not bound them)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        narrow = conn.execute(
            text(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND column_name = 'system' AND table_name IN :tables AND character_maximum_length < :length"
            ).bindparams(bindparam("tables", expanding=True)),
            {"tables": list(KEYED_BY_INSTANCE), "length": SYSTEM_LENGTH},
        ).scalars()
        for table in list(narrow):
            conn.execute(text(f'ALTER TABLE "{table}" ALTER COLUMN system TYPE varchar({SYSTEM_LENGTH})'))


def _one_hub_index(engine: Engine) -> None:
    """Stores made by 0.2 and before keep two indexes where one does (tables.OLD_HUB_INDEXES): on
    PostgreSQL they are replaced by HUB_INDEX in place; SQLite, which cannot drop a table's own
    constraint, gets HUB_INDEX and loses the plain index."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            old = conn.execute(
                text(
                    "SELECT conname FROM pg_constraint "
                    "WHERE conname = :name AND conrelid = 'hub_xref'::regclass"
                ),
                {"name": OLD_HUB_INDEXES[0]},
            ).first()
            if old is None:
                return
            conn.execute(
                text(f"ALTER TABLE hub_xref ADD CONSTRAINT {HUB_INDEX} UNIQUE (entity, hub_id, system)")
            )
            conn.execute(text(f"ALTER TABLE hub_xref DROP CONSTRAINT {OLD_HUB_INDEXES[0]}"))
        else:
            old = conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'index' AND name = :name"),
                {"name": OLD_HUB_INDEXES[1]},
            ).first()
            if old is None:
                return
            conn.execute(text(f"CREATE UNIQUE INDEX {HUB_INDEX} ON hub_xref (entity, hub_id, system)"))
        conn.execute(text(f"DROP INDEX IF EXISTS {OLD_HUB_INDEXES[1]}"))


def _engine(url: URL, where: str) -> Engine:
    try:
        if url.drivername.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": 15}
        return ping_when_idle(create_engine(url, connect_args=connect_args))
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(f"{where}: its driver cannot be loaded here ({exc}); give {EXAMPLES}") from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_MS)}")
    cursor.close()


def state_failure(exc: DBAPIError, url: str | None = None) -> StateUnavailable:
    """A database error met in the middle of a run, as one line: the driver's words, and for SQLite
    held by another writer what to do (no SQLAlchemy pointer to its documentation)."""
    reason = _reason(exc)
    fix = (
        "another process kept the SQLite state store busy past the wait; run one sync at a time on "
        "SQLite, or give the runs a PostgreSQL store (HUB_STATE_URL=postgresql://…)"
        if "locked" in reason or "busy" in reason
        else "nothing past the last committed page was kept; run it again"
    )
    where = f" {shown(url)}" if url else ""
    return StateUnavailable(f"the state store{where} failed: {reason}; {fix}")


def _reason(exc: DBAPIError) -> str:
    """The driver's own words, on one line, without SQLAlchemy's pointer to its documentation."""
    lines = (" ".join(line.split()) for line in str(exc.orig).splitlines())
    text = "; ".join(line for line in lines if line).removeprefix("connection failed: ")
    return text[:400] + ("…" if len(text) > 400 else "")
