"""Pooled database connections checked before use only when they sat idle.

SQLAlchemy's `pool_pre_ping` sends a round trip before every checkout. A load checks a connection
out for every page it writes and every statement of state it commits, from a write thread that,
after each round trip, also waits its turn for the interpreter: a 1,000,000-row load spent seconds
on pings alone. A connection in steady use is alive; the one that sat idle (between the runs of a
long-lived worker, across a server restart or an idle timeout) is the one to check. Checked here
when it sat idle for `IDLE_SECONDS` or more; a dead one is replaced, as with `pool_pre_ping`, and a
connection that breaks while in use fails as a transient error that the callers retry.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from hub.io.redact import redact

IDLE_SECONDS = 10.0
_SINCE = "omnihub_idle_since"


def ping_when_idle(engine: sa.Engine, idle: float = IDLE_SECONDS) -> sa.Engine:
    """Have `engine`'s pool ping a connection at checkout when it sat idle for `idle` seconds."""

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_SINCE] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_SINCE)
        if since is None or time.monotonic() - since < idle:
            return  # just connected, or in steady use
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool drops it and connects again (up to three times)
            raise sa.exc.DisconnectionError(f"a pooled connection failed its check: {redact(exc)}") from exc

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)
    return engine
