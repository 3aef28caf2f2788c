"""Airflow's own processes, running the hub's DAGs: what `hub airflow up` (`make airflow`) and the
Airflow tests start.

    stack = AirflowStack(home=Path(".hub/airflow"), project=Path("."), port=8080)
    stack.migrate()                         # a metadata database of its own (SQLite unless told)
    stack.import_connections({...})         # Airflow Connections, as the UI shows them
    stack.start()                           # api-server, scheduler, dag-processor (+ celery worker)
    run_id = stack.trigger("sync__crm_accounts_to_erp")
    stack.wait_for_run("sync__crm_accounts_to_erp", run_id)
    stack.stop()

Nothing here imports Airflow: it runs the `airflow` command of this interpreter (`python -m airflow`)
with an environment of its own, talks to the API server over REST (API v2, a JWT from the simple auth
manager's /auth/token), and stops every process group it started.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from hub.errors import HubError

USER = "admin"
FINISHED = {"success", "failed"}


API_ATTEMPTS = 6  # tries of one API call that is not a POST (after a 5xx, a timeout, a dropped connection)

# The LocalExecutor runs every task as a process of this machine: at most two per core (Airflow's
# default is 32, which on a laptop starves the API server of CPU while the first runs start). SQLite
# lets one process write at a time: on it, at most SQLITE_PARALLELISM tasks wait for its lock together.
LOCAL_PARALLELISM = max(2, min(32, 2 * (os.cpu_count() or 1)))
SQLITE_PARALLELISM = 4
API_TIMEOUT = 90  # seconds one API call may take (a busy API server answers late, not never)


class StackError(HubError):
    """An Airflow process failed to start, answer or finish in time."""


@dataclass
class AirflowStack:
    """One Airflow installation (home folder, metadata database, processes) serving the hub's DAGs."""

    home: Path
    project: Path
    port: int = 8080
    executor: str = "LocalExecutor"
    metadata_url: str | None = None
    celery_broker: str | None = None
    celery_backend: str | None = None
    environ: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(
        default_factory=dict
    )  # more UI users: name -> role (viewer, user, op, admin)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _token: str | None = None

    def __post_init__(self) -> None:
        self.home = self.home.resolve()
        self.project = self.project.resolve()
        self.home.mkdir(parents=True, exist_ok=True)

    # Configuration ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _secret(self, name: str, make: Any) -> str:
        """A value generated once and kept in the home folder (mode 600), so every process agrees."""
        path = self.home / name
        if not path.exists():
            path.write_text(make())
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def password(self) -> str:
        """The UI/API password of `admin` (generated on first use, kept in the home folder)."""
        return self.password_of(USER)

    def password_of(self, user: str) -> str:
        """The UI/API password of `admin` or one of `users` (made on first use, kept in the home folder)."""
        names = [USER, *self.users]
        stored = json.loads(
            self._secret("passwords.json", lambda: json.dumps({n: secrets.token_urlsafe(12) for n in names}))
        )
        if any(name not in stored for name in names):  # users added since the file was written
            stored |= {n: secrets.token_urlsafe(12) for n in names if n not in stored}
            (self.home / "passwords.json").write_text(json.dumps(stored))
        return str(stored[user])

    def environment(self) -> dict[str, str]:
        """The environment every Airflow process of this stack runs with (on top of os.environ)."""
        from cryptography.fernet import Fernet

        metadata = self.metadata_url or f"sqlite:///{self.home / 'airflow.db'}"
        for name in (USER, *self.users):  # the passwords file is written before any process reads it
            self.password_of(name)
        env = {
            "AIRFLOW_HOME": str(self.home),
            "HUB_PROJECT": str(self.project),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.project / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": self.executor,
            "AIRFLOW__CORE__FERNET_KEY": self._secret("fernet.key", lambda: Fernet.generate_key().decode()),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(
                f"{name}:{role}" for name, role in {USER: "admin", **self.users}.items()
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": self._secret("jwt.secret", lambda: secrets.token_urlsafe(32)),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
        }
        if self.executor == "LocalExecutor":
            limit = (
                min(LOCAL_PARALLELISM, SQLITE_PARALLELISM)
                if metadata.startswith("sqlite")
                else LOCAL_PARALLELISM
            )
            env["AIRFLOW__CORE__PARALLELISM"] = str(limit)
        if metadata.startswith("postgresql+psycopg://"):  # psycopg 3 serves Airflow's async engine too
            env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] = metadata
        if self.executor == "CeleryExecutor":
            env["AIRFLOW__CELERY__BROKER_URL"] = self.celery_broker or "redis://127.0.0.1:6379/0"
            backend = self.celery_backend or "db+" + metadata.replace("+psycopg2", "")
            env["AIRFLOW__CELERY__RESULT_BACKEND"] = backend
            env["AIRFLOW__CELERY__WORKER_CONCURRENCY"] = "2"
        return {**env, **self.environ}

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
        return {**env, **self.environment()}

    # Commands -----------------------------------------------------------------------------------
    def airflow(
        self, *args: str, timeout: float = 300, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run one `airflow …` command to completion with this stack's environment."""
        done = subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            env=self._env(),
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-25:])
            raise StackError(f"`airflow {' '.join(args[:2])}` exited with {done.returncode}:\n{tail}")
        return done

    def migrate(self) -> None:
        """Create or upgrade the metadata database."""
        self.airflow("db", "migrate")

    def import_connections(self, connections: Mapping[str, Mapping[str, Any]]) -> None:
        """Store connections (Airflow's JSON form, by conn_id) in the metadata database, replacing any."""
        path = self.home / "connections.json"
        as_stored = {  # the import wants `extra` as the JSON text Airflow stores
            conn_id: {**spec, "extra": json.dumps(spec.get("extra") or {})}
            for conn_id, spec in connections.items()
        }
        path.write_text(json.dumps(as_stored))
        path.chmod(0o600)
        try:
            self.airflow("connections", "import", "--overwrite", str(path))
        finally:
            path.unlink()

    # Processes ----------------------------------------------------------------------------------
    def components(self) -> list[list[str]]:
        commands = [["api-server"], ["scheduler"], ["dag-processor"]]
        if self.executor == "CeleryExecutor":
            commands.append(["celery", "worker", "--concurrency", "2"])
        return commands

    def start(self, timeout: float = 120) -> None:
        """Start the API server, scheduler and DAG processor (and a Celery worker), then wait for health."""
        logs = self.home / "logs"
        logs.mkdir(exist_ok=True)
        env = self._env()
        for command in self.components():
            name = "-".join(command[:2]) if command[0] == "celery" else command[0]
            with (logs / f"{name}.log").open("ab") as out:
                self.processes[name] = subprocess.Popen(
                    [sys.executable, "-m", "airflow", *command],
                    env=env,
                    cwd=self.home,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        self.wait_until_healthy(timeout)

    def log(self, name: str, lines: int = 40) -> str:
        """The last lines of one process's log (for error messages)."""
        path = self.home / "logs" / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def check_alive(self) -> None:
        """Raise StackError naming the first Airflow process that has exited, with its log."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise StackError(f"airflow {name} exited with {process.returncode}:\n{self.log(name)}")

    def wait_until_healthy(self, timeout: float = 120) -> dict[str, Any]:
        """Wait until the API server answers and reports the scheduler and DAG processor healthy."""
        deadline, last = time.monotonic() + timeout, "no answer"
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                health: dict[str, Any] = requests.get(f"{self.url}/api/v2/monitor/health", timeout=5).json()
                parts = ("metadatabase", "scheduler", "dag_processor")
                states = {part: (health.get(part) or {}).get("status") for part in parts}
                if all(state == "healthy" for state in states.values()):
                    return health
                last = str(states)
            except (requests.RequestException, ValueError) as exc:
                last = type(exc).__name__
            time.sleep(1)
        raise StackError(f"Airflow was not healthy after {timeout:.0f} s ({last})")

    def stop(self, timeout: float = 30) -> None:
        """Stop every process this stack started (SIGTERM to each process group, then SIGKILL)."""
        for process in self.processes.values():
            if process.poll() is None:
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
            with suppress(
                ProcessLookupError, PermissionError
            ):  # the leader is gone or stuck: take its children with it
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self.processes.clear()

    def __enter__(self) -> AirflowStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # REST API v2 --------------------------------------------------------------------------------
    def token(self) -> str:
        """A JWT for `admin` from the simple auth manager."""
        if self._token is None:
            response = requests.post(
                f"{self.url}/auth/token",
                json={"username": USER, "password": self.password},
                timeout=API_TIMEOUT,
            )
            if response.status_code not in (200, 201):
                raise StackError(f"POST /auth/token answered HTTP {response.status_code}")
            self._token = str(response.json()["access_token"])
        return self._token

    def api(self, method: str, path: str, body: Any = None, *, ok: Sequence[int] = (200,)) -> Any:
        """One call to /api/v2; a status outside `ok` raises StackError with Airflow's detail.

        A call that changes nothing twice (not a POST) is tried again on a 5xx, a timeout or a dropped
        connection: on SQLite, Airflow answers "Database error" while its scheduler or DAG processor
        holds the database's lock, and a busy machine can keep the API server from answering in time."""
        for attempt in range(1, API_ATTEMPTS + 1):
            again = method != "POST" and attempt < API_ATTEMPTS
            try:
                response = requests.request(
                    method,
                    f"{self.url}/api/v2{path}",
                    json=body,
                    headers={"Authorization": f"Bearer {self.token()}"},
                    timeout=API_TIMEOUT,
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                if not again:
                    raise StackError(f"{method} /api/v2{path}: no answer ({type(exc).__name__})") from None
                self.check_alive()
                time.sleep(0.5 * attempt)
                continue
            if response.status_code < 500 or not again:
                break
            time.sleep(0.5 * attempt)
        if response.status_code not in ok:
            raise StackError(
                f"{method} /api/v2{path} answered HTTP {response.status_code}: {response.text[:500]}"
            )
        return response.json() if response.content else None

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> dict[str, Any]:
        """Wait until the DAG processor has parsed and stored a DAG."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            found = self.api("GET", f"/dags/{dag_id}", ok=(200, 404))
            if found and found.get("dag_id") == dag_id:
                return dict(found)
            time.sleep(1)
        raise StackError(f"DAG {dag_id} did not appear within {timeout:.0f} s:\n{self.log('dag-processor')}")

    def unpause(self, dag_id: str) -> None:
        self.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})

    def trigger(self, dag_id: str, conf: Mapping[str, Any] | None = None) -> str:
        """Start a run of a DAG now; its run id."""
        run = self.api("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": dict(conf or {})})
        return str(run["dag_run_id"])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300) -> dict[str, Any]:
        """Wait until a run has finished (success or failed); the run as the API shows it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            run: dict[str, Any] = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            if run["state"] in FINISHED:
                return run
            time.sleep(1)
        raise StackError(f"run {run_id} of {dag_id} did not finish within {timeout:.0f} s")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        found = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return list(found["task_instances"])

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        entry = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}")
        return entry["value"]
