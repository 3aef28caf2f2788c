"""Shared fixtures: state stores on SQLite and on the machine's PostgreSQL, and the project root."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from hub.state import StateStore

# Airflow reads its configuration when first imported: give the test process a home of its own (never
# ~/airflow) and no example DAGs. Tests that run Airflow's processes give each its own home (hub.airflow.stack).
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="hub-test-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

ROOT = Path(__file__).resolve().parent.parent
SUMMARY_KEYS = [
    "sync",
    "run_id",
    "status",
    "read",
    "created",
    "updated",
    "unchanged",
    "conflicts",
    "quarantined",
    "failed",
    "api_calls",
    "duration_s",
]
"""The keys of `hub sync --json`, in the documented order."""
PG_ADMIN = os.environ.get("HUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(autouse=True)
def _budgets_kept_per_test() -> Iterator[None]:
    """A command run in-process shares API budgets in its PostgreSQL state store from then on
    (`hub.io.budget.share_with`); the next test starts without that database, which may be gone."""
    from hub.io import budget

    yield
    budget.share_with(None)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway database on the local PostgreSQL server, dropped at the end of the session."""
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def new_pg_database() -> Iterator[Callable[[str], str]]:
    """Makes throwaway databases on the local PostgreSQL server (`prefix` names them), dropped after the
    test; each call gives a new one's URL (postgresql://…)."""
    made: list[str] = []

    def make(prefix: str) -> str:
        made.append(f"{prefix}_{uuid.uuid4().hex[:10]}")
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{made[-1]}"')
        return PG_ADMIN.rsplit("/", 1)[0] + f"/{made[-1]}"

    yield make
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        for name in made:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """The throwaway database, emptied of hub tables before each test."""
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(
            "DROP TABLE IF EXISTS hub_cursors, hub_xref, hub_runs, hub_quarantine, hub_locks CASCADE"
        )
    yield pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same tests against both state stores."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[StateStore]:
    state = StateStore(store_url)
    yield state
    state.close()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> object:
    """One throwaway certificate authority for every TLS emulator of the session."""
    from connectors.emulators.tls import ensure_tls_files

    return ensure_tls_files(tmp_path_factory.mktemp("tls"))
