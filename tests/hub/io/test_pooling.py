"""Pooled connections are checked before use only when they sat idle, and a dead one is replaced."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from hub.io.pooling import ping_when_idle
from tests.connectors.kit_sql import pg_url


@pytest.fixture
def engine() -> sa.Engine:
    return ping_when_idle(sa.create_engine(pg_url()), idle=0.2)


def pings(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    seen: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        seen.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


def backend(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_in_steady_use_is_not_pinged_and_an_idle_one_is(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = pings(engine, monkeypatch)
    first = backend(engine)
    assert [backend(engine) for _ in range(20)] == [first] * 20 and seen == []
    time.sleep(0.3)
    assert backend(engine) == first and len(seen) == 1
    engine.dispose()


def test_an_idle_connection_the_server_ended_is_replaced_before_use(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = pings(engine, monkeypatch)
    first = backend(engine)
    with sa.create_engine(pg_url()).connect() as admin:
        admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    time.sleep(0.3)
    assert backend(engine) != first and len(seen) == 1  # the check failed, a new connection served
    engine.dispose()
