"""hub.airflow.stack: the environment Airflow's processes get, and the REST client's retries (no Airflow started)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hub.airflow.stack import API_ATTEMPTS, LOCAL_PARALLELISM, AirflowStack, StackError

PROBE = """
import json
from airflow.configuration import conf
print(json.dumps({"database": conf.get("database", "sql_alchemy_conn").split(":")[0],
                  "parallelism": conf.getint("core", "parallelism")}))
"""


def airflow_sees(stack: AirflowStack) -> dict[str, object]:
    """What an Airflow process started with the stack's environment reads from its configuration."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=stack._env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_on_sqlite_airflow_runs_few_tasks_at_once(tmp_path: Path) -> None:
    seen = airflow_sees(AirflowStack(home=tmp_path / "airflow", project=tmp_path))
    assert seen == {"database": "sqlite", "parallelism": min(LOCAL_PARALLELISM, 4)}


def test_on_postgresql_the_local_executor_runs_two_tasks_a_core(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    seen = airflow_sees(AirflowStack(home=tmp_path / "airflow", project=tmp_path, metadata_url=url))
    assert seen == {"database": "postgresql+psycopg", "parallelism": LOCAL_PARALLELISM}
    assert LOCAL_PARALLELISM in range(2, max(2, 2 * (os.cpu_count() or 1)) + 1)  # not 32 on a laptop


class Flaky(BaseHTTPRequestHandler):
    """Answers 500 ("Database error", as Airflow does while SQLite is locked) `failures` times, then 200."""

    failures = 0
    slow = 0  # of the calls after the token's, how many answer only after a second
    calls: list[str] = []

    def _answer(self) -> None:
        type(self).calls.append(self.command)
        if self.path != "/auth/token" and len(type(self).calls) <= type(self).slow + 1:
            threading.Event().wait(1.0)  # longer than the client waits (the test sets API_TIMEOUT lower)
        if self.path == "/auth/token":
            status, body = 201, {"access_token": "t"}
        elif len(type(self).calls) <= type(self).failures + 1:  # the token's call comes first
            status, body = 500, {"detail": "Database error"}
        else:
            status, body = 200, {"dag_id": "d"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AirflowStack, type[Flaky]]]:
    """A stack whose API server is a Flaky one, and no waiting between tries."""
    monkeypatch.setattr("hub.airflow.stack.time.sleep", lambda _: None)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Flaky.calls, Flaky.failures, Flaky.slow = [], 0, 0
    yield AirflowStack(home=tmp_path, project=tmp_path, port=server.server_address[1]), Flaky
    server.shutdown()


def test_a_call_that_changes_nothing_twice_is_tried_again_on_a_5xx(
    flaky: tuple[AirflowStack, type[Flaky]],
) -> None:
    stack, handler = flaky
    handler.failures = 2
    assert stack.api("PATCH", "/dags/d", {"is_paused": False}) == {"dag_id": "d"}
    assert handler.calls == ["POST", "PATCH", "PATCH", "PATCH"]


def test_a_post_is_not_repeated_and_a_lasting_5xx_is_reported(
    flaky: tuple[AirflowStack, type[Flaky]],
) -> None:
    stack, handler = flaky
    handler.failures = 100
    with pytest.raises(StackError, match=r"POST /api/v2/dags/d/dagRuns answered HTTP 500: .*Database error"):
        stack.api("POST", "/dags/d/dagRuns", {})
    assert handler.calls == ["POST", "POST"]
    with pytest.raises(StackError, match="GET /api/v2/dags/d answered HTTP 500"):
        stack.api("GET", "/dags/d")
    assert handler.calls[2:] == ["GET"] * API_ATTEMPTS


def test_a_call_that_changes_nothing_twice_is_tried_again_when_no_answer_comes_in_time(
    flaky: tuple[AirflowStack, type[Flaky]], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, handler = flaky
    monkeypatch.setattr("hub.airflow.stack.API_TIMEOUT", 0.3)
    handler.slow = 2
    assert stack.api("GET", "/dags/d") == {"dag_id": "d"}
    assert handler.calls == ["POST", "GET", "GET", "GET"]
