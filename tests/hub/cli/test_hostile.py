"""A user's mistake on the command line, in a setting or in a connection: one line on stderr naming the
setting, what is wrong and what would be right; exit 2; no traceback, no secret, and nothing written
(no state file or folder, no run row)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.errors import ConfigError
from hub.state import StateStore

ROOT = Path(__file__).resolve().parents[3]
SECRET = "hunter2-secret"
CONNECTIONS = {
    "AIRFLOW_CONN_SALESFORCE_DEFAULT": json.dumps({"conn_type": "salesforce", "host": "https://127.0.0.1:9"}),
    "AIRFLOW_CONN_ODOO_DEFAULT": f"odoo://admin:{SECRET}@127.0.0.1:9/omnihub",
}
URLS = "sqlite:///path/to/state.db or postgresql://user:password@host:5432/database"
PG_FIX = "check that the server runs and that its host, port, user, password and database are right"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """Where the state store would be: it must not exist after a hostile command."""
    return tmp_path / "state" / "state.db"


def hub(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    """Run `hub` as a user would, with no state URL or connection but those given."""
    clean: dict[str, str | None] = {"HUB_STATE_URL": None, **dict.fromkeys(CONNECTIONS)}
    result = CliRunner().invoke(app, list(args), env={**clean, **(env or {})}, prog_name="hub")
    assert isinstance(result.exception, SystemExit), result.exception  # never an exception of ours
    return result.exit_code, result.stdout, result.stderr


def one_line(code: int, stdout: str, stderr: str) -> str:
    """The single line a refused command prints, after checking the rest of what it did."""
    assert code == 2, stderr
    assert stdout == ""
    assert stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr and SECRET not in stderr
    return stderr.rstrip("\n")


def sync_with_state(url: str, *extra: str) -> tuple[int, str, str]:
    return hub(
        "sync",
        "crm_accounts_to_erp",
        "--project",
        str(ROOT),
        *extra,
        env={**CONNECTIONS, "HUB_STATE_URL": url},
    )


def test_an_unparsable_state_url(state: Path) -> None:
    assert one_line(*sync_with_state("nonsense")) == (
        f"HUB_STATE_URL nonsense is not a database URL; give one such as {URLS}"
    )


def test_a_state_url_with_a_port_that_is_not_a_number() -> None:
    url = f"postgresql://postgres:{SECRET}@127.0.0.1:port/hub"
    assert one_line(*sync_with_state(url)) == (
        f"HUB_STATE_URL postgresql://postgres:***@127.0.0.1:port/hub: the port is not a number; give one such as {URLS}"
    )


def test_a_state_url_with_an_unknown_driver() -> None:
    assert one_line(*sync_with_state(f"mongodb://hub:{SECRET}@db.example.com/hub")) == (
        f"HUB_STATE_URL mongodb://hub:***@db.example.com/hub: the state store is SQLite or PostgreSQL, "
        f"not mongodb; give {URLS}"
    )


def test_a_sqlite_state_in_a_folder_that_does_not_exist(state: Path) -> None:
    assert one_line(*sync_with_state(f"sqlite:///{state}")) == (
        f"HUB_STATE_URL sqlite:///{state}: the folder {state.parent} does not exist; "
        "create it, or name a file in an existing one"
    )
    assert not state.parent.exists()


def test_the_state_url_option_is_named_when_it_is_the_mistake(state: Path) -> None:
    code, stdout, stderr = hub(
        "runs", "--project", str(ROOT), "--state-url", f"sqlite:///{state}", env={"HUB_STATE_URL": None}
    )
    assert one_line(code, stdout, stderr).startswith(f"--state-url sqlite:///{state}: the folder ")
    assert not state.parent.exists()


def test_a_state_store_with_nothing_listening() -> None:
    line = one_line(*sync_with_state(f"postgresql://postgres:{SECRET}@127.0.0.1:1/hub"))
    assert line.startswith(
        "HUB_STATE_URL postgresql://postgres:***@127.0.0.1:1/hub: cannot open the state store ("
    )
    assert "Connection refused" in line and line.endswith(f"); {PG_FIX}")


def test_a_state_store_that_refuses_the_login(pg_database: str) -> None:
    refused = "postgresql://nobody_of_the_hub:" + SECRET + "@" + pg_database.split("@", 1)[1]
    line = one_line(*sync_with_state(refused))
    assert line.startswith("HUB_STATE_URL postgresql://nobody_of_the_hub:***@127.0.0.1:5432/")
    assert 'role "nobody_of_the_hub" does not exist' in line and line.endswith(f"); {PG_FIX}")


def test_a_connection_that_is_neither_uri_nor_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    StateStore(url).close()  # a store that already holds runs must get no new one
    env = {**CONNECTIONS, "AIRFLOW_CONN_ODOO_DEFAULT": f"admin {SECRET} at erp", "HUB_STATE_URL": url}
    assert one_line(*hub("sync", "crm_accounts_to_erp", "--project", str(ROOT), env=env)) == (
        "AIRFLOW_CONN_ODOO_DEFAULT: connection 'odoo_default' is neither Airflow's URI form "
        "(type://login:password@host:port/schema) nor its JSON form "
        '({"conn_type": "type", "host": "...", "login": "...", "password": "...", "extra": {...}})'
    )
    assert StateStore(url).runs() == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (f"odoo://admin:{SECRET}@erp:99999/omnihub", "the port is not a number from 1 to 65535 (as in "),
        (json.dumps({"host": "erp", "port": "http", "password": SECRET}), "expected an integer port from 1"),
        (json.dumps({"host": "erp", "password": 12345678}), "password must be text (a JSON string)"),
    ],
)
def test_a_connection_with_a_bad_field(state: Path, value: str, message: str) -> None:
    env = {**CONNECTIONS, "AIRFLOW_CONN_ODOO_DEFAULT": value, "HUB_STATE_URL": f"sqlite:///{state}"}
    line = one_line(*hub("plan", "crm_accounts_to_erp", "--project", str(ROOT), env=env))
    assert line.startswith(f"AIRFLOW_CONN_ODOO_DEFAULT: connection 'odoo_default': {message}")
    assert not state.parent.exists()


def test_a_min_age_that_is_not_a_duration(state: Path) -> None:
    env = {**CONNECTIONS, "HUB_STATE_URL": f"sqlite:///{state}"}
    code, stdout, stderr = hub(
        "reconcile", "crm_contacts_to_erp", "--min-age", "forever", "--project", str(ROOT), env=env
    )
    assert one_line(code, stdout, stderr) == (
        "Invalid value for '--min-age': 'forever' is not a duration such as 90s, 5m, 2h or 1d "
        "(see hub reconcile --help)"
    )


def test_a_port_out_of_range(tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    code, stdout, stderr = hub("sandbox", "serve", "--port", "99999", "--project", str(tmp_path))
    assert one_line(code, stdout, stderr) == (
        "Invalid value for '--port': Input should be less than or equal to 65535 (see hub sandbox serve --help)"
    )
    assert not (tmp_path / ".hub").exists()


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_sandbox_on_a_port_in_use(tmp_path: Path, taken_port: int) -> None:
    (tmp_path / "mappings").mkdir()
    code, stdout, stderr = hub("sandbox", "serve", "--port", str(taken_port), "--project", str(tmp_path))
    assert one_line(code, stdout, stderr) == (
        f"--port {taken_port}: port {taken_port} of {taken_port}-{taken_port + 7} is in use by another "
        "program; choose a free one"
    )
    assert not (tmp_path / ".hub").exists()


def test_airflow_on_a_port_in_use(taken_port: int) -> None:
    code, stdout, stderr = hub("airflow", "--port", str(taken_port), "--project", str(ROOT))
    assert one_line(code, stdout, stderr) == (
        f"--port {taken_port}: it is in use by another program; choose a free one"
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("runs", "--limit", "-5"),
            "Invalid value for '--limit': Input should be greater than or equal to 1 (see hub runs --help)",
        ),
        (
            ("sandbox", "serve", "--fault-rate", "2"),
            "Invalid value for '--fault-rate': Input should be less than or equal to 1 (see hub sandbox serve --help)",
        ),
        (
            ("sandbox", "serve", "--fault-kinds", "rate_limit,bogus"),
            "Invalid value for '--fault-kinds': unknown kind bogus; choose from rate_limit, unavailable, "
            "disconnect (see hub sandbox serve --help)",
        ),
        (
            ("quarantine", "retry", "crm_contacts_to_erp", "--id", "0"),
            "Invalid value for '--id': Input should be greater than or equal to 1 (see hub quarantine retry --help)",
        ),
        (
            ("sync", "crm_contacts_to_erp", "--fulll"),
            "No such option: --fulll (Possible options: --full) (see hub sync --help)",
        ),
    ],
)
def test_an_option_out_of_its_range(state: Path, args: tuple[str, ...], line: str) -> None:
    code, stdout, stderr = hub(*args, "--project", str(ROOT), env={"HUB_STATE_URL": f"sqlite:///{state}"})
    assert one_line(code, stdout, stderr) == line
    assert not state.parent.exists()


@pytest.mark.parametrize("value", ["ten minutes", "-5", "nan", "inf"])
def test_a_lock_wait_that_is_not_a_number_of_seconds(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from hub.airflow.tasks import lock_wait

    monkeypatch.setenv("HUB_LOCK_WAIT", value)
    with pytest.raises(ConfigError) as refused:
        lock_wait()
    assert str(refused.value) == (
        f"HUB_LOCK_WAIT {value!r} is not a number of seconds from 0 up; give one such as 600"
    )
