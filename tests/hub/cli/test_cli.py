"""The `hub` command line as users run it: output, exit codes, and the sandbox and demo commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.emulators.sandbox import Sandbox
from hub.cli import app
from tests.conftest import SUMMARY_KEYS

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    sandbox = Sandbox.start(folder=tmp_path / "sandbox", scale={"accounts": 60, "contacts": 300}, seed=4)
    yield {**sandbox.environment(), "HUB_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}"}
    sandbox.stop()


def hub(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, [*args, "--project", str(ROOT)] if args[0] not in ("connectors",) else list(args), env=env
    )
    return result.exit_code, result.stdout, result.stderr


def test_sync_json_is_exactly_one_object_and_partial_exits_1(env: dict[str, str]) -> None:
    code, stdout, _ = hub("sync", "crm_accounts_to_erp", "--json", env=env)
    summary = json.loads(stdout)
    assert stdout.count("\n") == 1 and list(summary) == SUMMARY_KEYS
    assert (code, summary["status"], summary["read"]) == (1, "partial", 60)
    assert set(summary["api_calls"]) == {"salesforce", "odoo"}
    code, stdout, _ = hub("sync", "crm_accounts_to_erp", "--json", env=env)
    again = json.loads(stdout)
    assert (code, again["status"], again["created"], again["updated"]) == (0, "success", 0, 0)


def test_plan_json_has_the_same_keys_and_writes_nothing(env: dict[str, str]) -> None:
    code, stdout, _ = hub("plan", "crm_contacts_to_erp", "--json", env=env)
    plan = json.loads(stdout)
    assert code == 1 and list(plan) == SUMMARY_KEYS and plan["created"] > 250
    assert json.loads(hub("runs", "--json", env=env)[1]) == {"runs": []}
    _, stdout, _ = hub("sync", "crm_contacts_to_erp", "--json", env=env)
    real = json.loads(stdout)
    assert (real["created"], real["quarantined"]) == (plan["created"], plan["quarantined"])


def test_runs_and_quarantine_commands(env: dict[str, str]) -> None:
    hub("sync", "crm_contacts_to_erp", "--json", env=env)
    runs = json.loads(hub("runs", "--json", env=env)[1])["runs"]
    assert [r["sync"] for r in runs] == ["crm_contacts_to_erp"]
    listed = json.loads(hub("quarantine", "list", "--json", env=env)[1])["quarantine"]
    assert listed and all(q["errors"] and q["status"] == "open" for q in listed)
    code, stdout, _ = hub("quarantine", "list", "crm_contacts_to_erp", env=env)
    assert code == 0 and "quarantine" in stdout and "open:" in stdout
    code, stdout, _ = hub(
        "quarantine",
        "retry",
        "crm_contacts_to_erp",
        "--json",
        "--reason",
        "phones fixed",
        env={**env, "HUB_USER": "ops-anna"},
    )
    retried = json.loads(stdout)
    open_ones = [q for q in listed if q["sync"] == "crm_contacts_to_erp"]
    assert retried["read"] == len(open_ones) and retried["created"] == 0
    from hub.ops import actions
    from hub.state import StateStore

    store = StateStore(env["HUB_STATE_URL"])
    try:
        (kept,) = actions.history(store, sync="crm_contacts_to_erp")  # the console's audit shows it
    finally:
        store.close()
    assert (kept["actor"], kept["action"], kept["reason"]) == ("ops-anna", "retry", "phones fixed")
    assert kept["target"] == "every open entry" and sorted(kept["detail"]["entries"]) == sorted(
        q["id"] for q in open_ones
    )
    assert (
        kept["outcome"]
        == f"retried {len(open_ones)}: 0 cleared, {len(open_ones)} still set aside (run partial)"
    )


def test_mistakes_exit_2_with_a_message(env: dict[str, str]) -> None:
    code, _, stderr = hub("sync", "crm_nothing", env=env)
    assert code == 2 and "no sync named 'crm_nothing'" in stderr
    without = {k: v for k, v in env.items() if k != "AIRFLOW_CONN_SALESFORCE_DEFAULT"}
    code, _, stderr = hub(
        "sync", "crm_accounts_to_erp", env={**without, "AIRFLOW_CONN_SALESFORCE_DEFAULT": ""}
    )
    assert code == 2 and "connection 'salesforce_default' is empty" in stderr


def test_listing_commands() -> None:
    code, stdout, _ = hub("connectors", "--json")
    systems = {c["system"]: c for c in json.loads(stdout)["connectors"]}
    assert code == 0 and set(systems) >= {"salesforce", "odoo"}
    assert systems["salesforce"]["max_batch"] == 200
    code, stdout, _ = hub("schemas", "--json")
    assert code == 0 and len(json.loads(stdout)["schemas"]) == 12
    code, stdout, _ = hub("schemas", "contact")
    assert code == 0 and "mailing_address.country" in stdout
    assert hub("schemas", "nobody")[0] == 2


def test_validate_shows_the_code_a_sync_runs_for_each_record() -> None:
    code, stdout, _ = hub("validate", "--show-generated", "crm_contacts_to_helpdesk")
    assert code == 0
    roles = [line for line in stdout.splitlines() if line[:4] in ("# 1.", "# 2.", "# 3.", "# 4.", "# 5.")]
    assert roles == [
        "# 1. salesforce record -> canonical contact",
        "# 2. canonical contact checked against its schema",
        "# 3. change detection: what the hub writes to zendesk",
        "# 4. canonical contact -> zendesk values",
        "# 5. echo suppression: what helpdesk_contacts_to_crm writes back",
    ]
    for definition in ("def to_canonical(r, refs=_E):", "def validate(v):", "def to_system(", "def digest("):
        assert definition in stdout
    assert "# runs as <omnihub mapping salesforce/contact.to_canonical #" in stdout
    compile(stdout, "generated.py", "exec")  # the listing is Python a reader can load in an editor
    code, _, stderr = hub("validate", "--show-generated", "crm_nothing")
    assert code == 2 and "no sync named 'crm_nothing'" in stderr


def test_two_concurrent_runs_the_second_exits_1(tmp_path: Path) -> None:
    sandbox = Sandbox.start(
        folder=tmp_path / "slow", scale={"accounts": 300, "contacts": 2000}, seed=4, latency_ms=150
    )
    try:
        env = {**os.environ, **sandbox.environment(), "HUB_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}"}
        command = [
            sys.executable,
            "-m",
            "hub",
            "sync",
            "crm_contacts_to_erp",
            "--json",
            "--project",
            str(ROOT),
        ]
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        out, _ = first.communicate(timeout=300)
    finally:
        sandbox.stop()
    assert second.returncode == 1, second.stderr
    assert "sync:crm_contacts_to_erp is already running: pid" in second.stderr
    assert second.stdout == ""
    assert json.loads(out)["status"] == "partial"


def test_sandbox_serve_prints_connections_and_stops_on_sigterm(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "hub",
        "sandbox",
        "serve",
        "--port",
        "0",
        "--scale",
        "0.01",
        "--accounts",
        "10",
        "--project",
        str(tmp_path),
    ]
    (tmp_path / "mappings").mkdir()
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [server.stdout.readline() for _ in range(9)]  # type: ignore[union-attr]
    assert all(line.startswith("export AIRFLOW_CONN_") for line in lines)
    specs = [json.loads(line.split("=", 1)[1].strip().strip("'")) for line in lines]
    assert specs[0]["conn_type"] == "salesforce" and specs[0]["host"].startswith("https://127.0.0.1:")
    assert len({spec["conn_type"] for spec in specs}) == 9 and {"odoo", "netsuite", "bamboohr"} <= {
        s["conn_type"] for s in specs
    }
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=20) == 0
    said = server.stderr.read()  # type: ignore[union-attr]
    assert "seeding: 10 accounts and 100 contacts" in said and "2 customers and 3 orders (Odoo)" in said
    assert "seeded in" in said
