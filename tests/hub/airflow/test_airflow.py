"""hub.airflow: task callables (XCom gets counts and paths only), connections from Airflow, the hooks
declared per connector, and the connection types every connector registers with Airflow."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from airflow.providers_manager import ProvidersManager
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from typer.testing import CliRunner

from connectors.emulators.sandbox import Sandbox
from connectors.registry import airflow_provider_info, connector_class, shipped_systems, systems
from hub import airflow as hub_airflow
from hub.airflow import tasks
from hub.cli import app
from hub.errors import QuotaExhausted
from hub.io.airflow_provider import provider_info
from hub.io.connections import set_resolver
from hub.io.connector import Connector
from tests.emulated import start_sandbox

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = start_sandbox(tmp_path / "sandbox", monkeypatch, accounts=40, contacts=120)
    monkeypatch.setenv("HUB_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setenv("HUB_REPORTS", str(tmp_path / "reports"))
    yield sandbox
    sandbox.stop()


@pytest.fixture(autouse=True)
def default_resolver() -> Iterator[None]:
    """The tasks install Airflow's connection resolver for their process; other tests expect the default."""
    yield
    set_resolver(None)


def scalars_only(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and scalars_only(v) for k, v in value.items())
    return isinstance(value, str | int | float | bool) or value is None


def test_every_connector_registers_its_connection_type_and_form() -> None:
    info = airflow_provider_info()
    assert info["package-name"] == "omnihub"
    types = {t["connection-type"]: t for t in info["connection-types"]}
    assert set(types) == {connector_class(s).conn_type for s in systems()}
    salesforce = types["salesforce"]
    assert salesforce["hook-class-name"] == "hub.airflow.SalesforceHook"
    assert salesforce["conn-fields"]["client_secret"]["schema"]["format"] == "password"
    assert salesforce["conn-fields"]["bulk_threshold"]["schema"]["type"] == ["integer", "null"]
    assert "schema" in salesforce["ui-field-behaviour"]["hidden-fields"]
    assert types["odoo"]["ui-field-behaviour"]["relabeling"]["schema"] == "Database"
    netsuite = types["netsuite"]["conn-fields"]  # both ways NetSuite lets a program log in
    assert {"login_flow", "certificate_id", "private_key_file", "token_id", "token_secret"} <= set(netsuite)
    assert netsuite["token_secret"]["schema"]["format"] == "password"
    assert "consumer key" in types["netsuite"]["ui-field-behaviour"]["relabeling"]["login"]


def test_the_provider_file_airflow_reads_is_what_the_connectors_declare() -> None:
    """Airflow reads hub/io/airflow_provider.json (no connector imported); it must say what the
    connectors declare. Refresh it with `python -m connectors.registry`."""
    read = provider_info()
    assert read.pop("versions") == [hub_airflow_version()]
    assert read == airflow_provider_info(), "stale: run `.venv/bin/python -m connectors.registry`"


def hub_airflow_version() -> str:
    from importlib.metadata import version

    return version("omnihub")


def test_every_shipped_connector_has_a_declared_hook_agreeing_with_it() -> None:
    by_system = {hook.system: hook for hook in hub_airflow.HOOKS}
    assert sorted(by_system) == shipped_systems()
    for system, hook in by_system.items():
        connector = connector_class(system)
        assert (hook.conn_type, hook.hook_name, hook.default_conn_name) == (
            connector.conn_type,
            connector.display_name,
            connector.default_conn_id,
        )
        assert hook.__module__ == "hub.airflow.hooks" and "Hook" in hook.__name__
    for entry in airflow_provider_info()["connection-types"]:  # the class names Airflow imports
        module, _, name = entry["hook-class-name"].rpartition(".")
        assert module == "hub.airflow" and getattr(hub_airflow, name) in hub_airflow.HOOKS


def test_importing_the_airflow_layer_imports_no_connector() -> None:
    """Airflow imports hub.airflow in every process (the hooks, the DAG file): that loads no connector
    module, not even the registry; Airflow's own start (the provider entry point) neither; parsing
    the DAGs loads the registry alone."""
    code = "import sys, hub.airflow; print(sorted(m for m in sys.modules if m.startswith('connectors')))"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"
    # Parsing the DAGs reads the registry's table of systems (to check mappings), never a connector.
    parse = "import pathlib, sys, hub.airflow; "
    parse += f"hub.airflow.build_dags(pathlib.Path({str(ROOT)!r})); {code.split('; ', 1)[1]}"
    shown = subprocess.run([sys.executable, "-c", parse], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "['connectors', 'connectors.registry']"


def test_airflow_itself_sees_the_connection_types_through_the_entry_point() -> None:
    manager = ProvidersManager()
    assert "omnihub" in manager.providers
    assert manager.field_behaviours["odoo"]["relabeling"]["schema"] == "Database"
    widgets = manager.connection_form_widgets
    secret = widgets["extra__salesforce__security_token"]
    assert secret.is_sensitive and secret.field["schema"]["title"] == "Security token"
    assert "extra__odoo__ca_bundle" in widgets


def test_the_hook_tests_a_connection_without_touching_records(sandbox: Sandbox) -> None:
    ok, message = hub_airflow.SalesforceHook().test_connection()
    assert ok, message
    assert "Salesforce accepted" in message
    ok, message = hub_airflow.OdooHook().test_connection()
    assert ok and "database 'omnihub'" in message


def test_a_refused_login_is_a_failed_test_without_the_password(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = sandbox.connection("odoo")
    spec["password"] = "wrong-password-42"
    monkeypatch.setenv("AIRFLOW_CONN_ODOO_DEFAULT", json.dumps(spec))
    ok, message = hub_airflow.OdooHook().test_connection()
    assert not ok
    assert "refused login 'admin'" in message and "wrong-password-42" not in message


def test_the_sync_task_returns_counts_only_and_uses_the_hubs_cursor(sandbox: Sandbox) -> None:
    first = hub_airflow.run_sync("crm_accounts_to_erp", str(ROOT))
    assert scalars_only(first)
    assert first["created"] > 0 and first["read"] == 40
    again = hub_airflow.run_sync("crm_accounts_to_erp", str(ROOT))
    assert (again["created"], again["updated"]) == (0, 0)  # the cursor in the hub state, not a data interval
    full = hub_airflow.run_sync("crm_accounts_to_erp", str(ROOT), params={"full": True})
    assert full["read"] == 40 and full["created"] == 0


def test_the_identity_task_resolves_every_system_and_returns_counts_only(sandbox: Sandbox) -> None:
    hub_airflow.run_sync("crm_accounts_to_erp", str(ROOT))
    crm = sandbox.apps["salesforce"]
    person = next(c for c in crm.records("Contact") if c["Email"] and c["Id"] not in crm.invalid_records)  # type: ignore[attr-defined]
    signed_up = sandbox.apps["mailchimp"].create(  # type: ignore[attr-defined]
        person["Email"].upper(), merge_fields={"FNAME": person["FirstName"], "LNAME": person["LastName"]}
    )  # on a form of Mailchimp's own: no sync made this member
    hr = sandbox.apps["bamboohr"]
    hired = hr.create(  # type: ignore[attr-defined]
        {"firstName": person["FirstName"], "lastName": person["LastName"], "workEmail": person["Email"]}
    )  # a customer's contact who came to work here
    said = hub_airflow.run_identity(str(ROOT))
    accounts, contacts = said["entities"]
    assert accounts["entity"] == "account" and accounts["read"]["salesforce"] == 40
    assert {"hubspot", "odoo", "zendesk", "netsuite"} <= set(accounts["read"])
    assert contacts["clusters"] > 0 and said["skipped"] == {}
    members = len(sandbox.apps["mailchimp"].records())  # type: ignore[attr-defined]
    assert contacts["read"]["mailchimp"] == members  # list members are people too: cluster members
    explained = CliRunner().invoke(
        app, ["identity", "explain", "contact", f"mailchimp:{signed_up}", "--json", "--project", str(ROOT)]
    )
    assert explained.exit_code == 0, explained.output
    records = json.loads(explained.stdout)["records"]
    assert f"salesforce:{person['Id']}" in records
    assert f"bamboohr:{hired}" in records  # employees are people too, met by their work e-mail
    employees = len(hr.records())  # type: ignore[attr-defined]
    assert employees - contacts["unreadable"] <= contacts["read"]["bamboohr"] <= employees  # all, not Support
    kept = CliRunner().invoke(app, ["customer", person["Email"], "--json", "--project", str(ROOT)])
    assert kept.exit_code == 0, kept.output
    employee = next(r for r in json.loads(kept.stdout)["records"] if r["system"] == "bamboohr")
    assert set(employee["record"]) == {"first_name", "last_name", "email"}  # a contact's fields, and no more
    assert json.loads(json.dumps(said)) == said  # what XCom keeps
    from hub.identity.run import IdentityRun

    engine = tasks.engine_for(str(ROOT), None)
    again = IdentityRun(engine).run(["account"])  # people's clusters come from the last resolution
    engine.store.close()
    assert again.activity == said["activity"] and said["activity"]["marketing_member"] > 0


def test_a_connection_missing_from_airflow_fails_without_retries(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_SALESFORCE_DEFAULT")
    with pytest.raises(AirflowFailException, match="'salesforce_default' is not defined in Airflow"):
        hub_airflow.run_sync("crm_accounts_to_erp", str(ROOT))


def test_a_failed_sync_fails_the_task(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = sandbox.connection("odoo")
    spec["password"] = "not-the-password"
    monkeypatch.setenv("AIRFLOW_CONN_ODOO_DEFAULT", json.dumps(spec))
    with pytest.raises(AirflowException, match="sync crm_accounts_to_erp failed") as caught:
        hub_airflow.run_sync("crm_accounts_to_erp", str(ROOT))
    assert "not-the-password" not in str(caught.value)


def test_a_spent_daily_budget_fails_the_task_without_retries(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    resets = datetime(2026, 12, 4, tzinfo=UTC)

    def spent(self: Connector, response: Any) -> QuotaExhausted:
        return QuotaExhausted(self.system, "daily API limit reached", resets_at=resets, status=429)

    monkeypatch.setattr(Connector, "budget_spent", spent)
    with pytest.raises(AirflowFailException, match="the budget resets at 2026-12-04T00:00"):
        hub_airflow.run_sync("crm_accounts_to_erp", str(ROOT))


def test_the_reconcile_task_passes_paths_and_fails_over_thresholds(sandbox: Sandbox, tmp_path: Path) -> None:
    hub_airflow.run_sync("crm_accounts_to_erp", str(ROOT))
    passed = hub_airflow.run_reconcile("crm_accounts_to_erp", str(ROOT), params={"min_age": "0s"})
    assert scalars_only(passed)
    assert passed["status"] == "pass" and passed["equal"] == passed["matched"] > 0
    assert Path(passed["report"]).is_file() and passed["report"].startswith(str(tmp_path / "reports"))
    odoo = sandbox.apps["odoo"]
    companies = [r for r in odoo.records("res.partner") if r["x_hub_id"] and r["is_company"]]
    for record in companies[:5]:
        odoo.edit("res.partner", record["id"], {"website": "https://edited.example.com"})
    with pytest.raises(AirflowException, match="crossed its thresholds") as caught:
        hub_airflow.run_reconcile("crm_accounts_to_erp", str(ROOT), params={"min_age": "0s"})
    report = str(caught.value).rsplit("report: ", 1)[1]
    assert Path(report).is_file() and report.endswith("report.html")
    with pytest.raises(AirflowException, match=r"unequal ratio 0\.1250"):  # reports what it found, heals it
        hub_airflow.run_reconcile("crm_accounts_to_erp", str(ROOT), params={"min_age": "0s", "heal": True})
    after = hub_airflow.run_reconcile("crm_accounts_to_erp", str(ROOT), params={"min_age": "0s"})
    assert after["status"] == "pass" and after["unequal"] == 0


def test_the_staged_reconcile_tasks_agree_with_the_single_task_and_finish_on_one_engine(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_WORK", str(tmp_path / "work"))
    hub_airflow.run_sync("crm_accounts_to_erp", str(ROOT))
    params = {"min_age": "0s"}
    partitions = hub_airflow.run_spill("crm_accounts_to_erp", str(ROOT), params, run_id="run 1")
    for (partition,) in partitions:
        hub_airflow.run_compare(partition, "crm_accounts_to_erp", str(ROOT), run_id="run 1")
    built: list[str] = []
    build = tasks.engine_for
    monkeypatch.setattr(tasks, "engine_for", lambda root, name: built.append(root) or build(root, name))
    staged = hub_airflow.run_reconcile("crm_accounts_to_erp", str(ROOT), params, "run 1", staged=True)
    assert built == [str(ROOT)]
    assert not (tmp_path / "work" / "reconcile" / "crm_accounts_to_erp" / "run_1").exists()
    single = hub_airflow.run_reconcile("crm_accounts_to_erp", str(ROOT), params)
    assert staged["status"] == single["status"] == "pass"
    assert (staged["matched"], staged["equal"]) == (single["matched"], single["equal"])


def test_a_sync_waits_for_another_run_holding_its_lock(sandbox: Sandbox, tmp_path: Path) -> None:
    import threading

    from hub.state import StateStore

    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    lock = store.locks.acquire("sync:crm_accounts_to_erp")  # as a contacts sync pulling accounts would
    threading.Timer(1.5, lock.release).start()
    try:
        counts = hub_airflow.run_sync("crm_accounts_to_erp", str(ROOT))
    finally:
        store.close()
    assert counts["created"] > 0


def test_a_lock_held_too_long_fails_the_try_for_a_retry(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.state import StateStore

    monkeypatch.setenv("HUB_LOCK_WAIT", "0.5")
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    lock = store.locks.acquire("sync:crm_accounts_to_erp")
    try:
        with pytest.raises(AirflowException, match="is already running") as caught:
            hub_airflow.run_sync("crm_accounts_to_erp", str(ROOT))
        assert not isinstance(caught.value, AirflowFailException)  # Airflow's retries still apply
    finally:
        lock.release()
        store.close()
