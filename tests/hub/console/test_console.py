"""The ops console over a real project (two SQLite databases, `hub init`), through its HTTP interface:
pages, quarantine triage (retry a group after fixing its cause, override, ignore), reports and heal,
the audit of every action, who may act, CSRF, input checks and what never reaches the browser."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from typer.testing import CliRunner

from hub.cli import app as cli
from hub.console.auth import LocalAuthority
from hub.console.service import ConsoleService
from hub.console.web import create_app
from hub.engine.sync import SyncEngine
from hub.project.loading import Project
from hub.state import StateStore
from hub.state.tables import alerts
from tests.hub.kit_sql_project import ACCOUNT, two_databases

SECRET_NUMBER = "C-SECRET-4711"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Ten accounts, four without a name (the schema requires one) and one whose number is sensitive."""
    root, env = two_databases(tmp_path, 10, sync="reconcile:\n  sensitive: [account_number]\n")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with sqlite3.connect(tmp_path / "crm.db") as db:
        db.execute("UPDATE crm_accounts SET name = NULL WHERE id IN (2, 4, 6, 8)")
        db.execute("UPDATE crm_accounts SET number = ? WHERE id = 2", (SECRET_NUMBER,))
    done = CliRunner().invoke(cli, ["sync", "crm_to_dw", "--json", "--project", str(root)])
    assert done.exit_code == 1 and '"quarantined": 4' in done.output, done.output  # a partial run
    yield root


def service_of(root: Path) -> ConsoleService:
    project = Project.load(root)

    def engine_for(sync: str) -> SyncEngine:
        return SyncEngine(project, StateStore.open(root))

    return ConsoleService(project, StateStore.open(root), engine_for, root / ".hub" / "reports")


def client(root: Path, *, editor: bool = True, name: str = "ops") -> TestClient:
    return TestClient(create_app(lambda: service_of(root), LocalAuthority(name, can_edit=editor)))


def token(page: str) -> str:
    found = re.search(r'name="csrf" (?:value|content)="([0-9a-f]+)"', page)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def group_key(page: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', page)
    assert found
    return found.group(1).replace("&#39;", "'")


def override(browser: TestClient, entry_id: int, page: str, field: str, value: str, reason: str) -> Any:
    """Post the entry page's override form."""
    data = {"csrf": token(page), "field": field, "value": value, "reason": reason}
    return browser.post(f"/quarantine/{entry_id}/override", data=data)


def rename(root: Path, ids: tuple[int, ...]) -> None:
    """Fix the cause in the source: the accounts get their names (and a newer time)."""
    with sqlite3.connect(root.parent / "crm.db") as db:
        for i in ids:
            db.execute(
                "UPDATE crm_accounts SET name = ?, updated_at = '2024-06-01 00:00:00' WHERE id = ?",
                (f"Named {i}", i),
            )


def test_the_pages_show_runs_trend_quarantine_groups_and_alerts(project: Path) -> None:
    browser = client(project)
    home = browser.get("/")
    assert home.status_code == 200 and "crm_to_dw" in home.text and "editor" in home.text
    runs = browser.get("/runs", params={"sync": "crm_to_dw"})
    assert runs.status_code == 200 and "<svg" in runs.text and "quarantined" in runs.text
    quarantine = browser.get("/quarantine")
    assert "name: type" in quarantine.text and ">4<" in quarantine.text  # four records, one row
    assert "Nothing set aside" in browser.get("/quarantine", params={"q": "no such thing"}).text
    assert "name: type" in browser.get("/quarantine", params={"q": "CRM_TO"}).text
    group = browser.get("/quarantine/group", params={"key": group_key(quarantine.text)})
    assert group.status_code == 200 and group.text.count("/quarantine/") >= 4
    assert browser.get("/actions").status_code == 200
    with service_of(project).store.engine.begin() as conn:  # an alert as a drifted run leaves one
        conn.execute(
            insert(alerts),
            {
                "sync": "crm_to_dw",
                "run_id": "r-1",
                "kind": "sync",
                "metric": "quarantined",
                "value": 300.0,
                "median": 0.0,
                "deviation": 0.0,
                "score": None,
                "baseline": "weekday",
                "runs": 7,
                "message": "quarantined 300: up from a median of 0",
                "status": "open",
                "created_at": "2026-12-04T10:00:00Z",
            },
        )
    shown = browser.get("/alerts").text
    assert (
        "quarantined 300: up from a median of 0" in shown and ">300<" in shown and "weekday (7 runs)" in shown
    )
    assert "quarantined 300: up from a median of 0" in browser.get("/").text  # open alerts on the first page
    assert browser.get("/runs", params={"sync": "nope"}).status_code == 404
    assert browser.get("/quarantine/99999").status_code == 404


def test_an_editor_retries_a_group_after_fixing_its_cause_and_the_audit_keeps_it(project: Path) -> None:
    browser = client(project, name="anna")
    page = browser.get("/quarantine").text
    rename(project, (2, 4))
    answer = browser.post(
        "/quarantine/group/retry",
        data={"csrf": token(page), "key": group_key(page), "reason": "names added in the CRM"},
    )
    assert answer.status_code == 200, answer.text  # followed the redirect
    assert "retried 4: 2 cleared, 2 still set aside" in answer.text
    assert ">2<" in browser.get("/quarantine").text
    audit = browser.get("/actions").text
    assert "anna" in audit and "names added in the CRM" in audit and "2 cleared" in audit
    with sqlite3.connect(project.parent / "dw.db") as db:
        assert {r[0] for r in db.execute("SELECT name FROM dw_accounts")} >= {"Named 2", "Named 4"}


def test_an_override_is_audited_applied_by_the_next_run_and_lapses_when_the_source_changes(
    project: Path,
) -> None:
    service = service_of(project)
    entry = next(e for e in service.store.quarantined("crm_to_dw") if e.record_id == "6")
    browser = client(project)
    page = browser.get(f"/quarantine/{entry.id}").text
    refused = override(browser, entry.id, page, "nmae", "x", "typo")
    assert refused.status_code == 400 and "not a field of the canonical record" in refused.text
    done = override(browser, entry.id, page, "name", "Acme (fixed by ops)", "CRM is read-only")
    assert done.status_code == 200 and "will be" in done.text
    assert "Acme (fixed by ops)" in done.text and "CRM is read-only" in done.text  # overrides and history
    retried = browser.post(
        f"/quarantine/{entry.id}/retry", data={"csrf": token(page), "reason": "override set"}
    )
    assert "1 cleared" in retried.text
    with sqlite3.connect(project.parent / "dw.db") as db:
        assert db.execute(
            "SELECT count(*) FROM dw_accounts WHERE name = 'Acme (fixed by ops)'"
        ).fetchone() == (1,)
    rename(project, (6,))  # the source now says something itself: it speaks again
    CliRunner().invoke(cli, ["sync", "crm_to_dw", "--project", str(project)])
    with sqlite3.connect(project.parent / "dw.db") as db:
        assert db.execute("SELECT count(*) FROM dw_accounts WHERE name = 'Named 6'").fetchone() == (1,)
    assert (
        service.store.engine.connect().exec_driver_sql("SELECT status FROM hub_overrides").scalar()
        == "lapsed"
    )


def test_an_ignored_entry_stays_out_of_quarantine_until_its_record_changes(project: Path) -> None:
    service = service_of(project)
    entry = next(e for e in service.store.quarantined("crm_to_dw") if e.record_id == "8")
    browser = client(project)
    page = browser.get(f"/quarantine/{entry.id}").text
    done = browser.post(
        f"/quarantine/{entry.id}/ignore", data={"csrf": token(page), "reason": "test account"}
    )
    assert "1 ignored" in done.text and 'id="status">ignored' in done.text
    again = CliRunner().invoke(cli, ["sync", "crm_to_dw", "--full", "--json", "--project", str(project)])
    assert '"quarantined": 0' in again.output and '"unchanged": 10' in again.output
    assert [e.status for e in service.store.quarantined(None, status=None, ids=[entry.id])] == ["ignored"]
    with sqlite3.connect(project.parent / "crm.db") as db:  # the record changes, still without a name
        db.execute("UPDATE crm_accounts SET number = 'C-80', updated_at = '2024-06-02 00:00:00' WHERE id = 8")
    changed = CliRunner().invoke(cli, ["sync", "crm_to_dw", "--json", "--project", str(project)])
    assert '"quarantined": 1' in changed.output
    assert [e.status for e in service.store.quarantined(None, status=None, ids=[entry.id])] == ["open"]


def test_a_viewer_sees_everything_and_is_refused_every_action(project: Path) -> None:
    browser = client(project, editor=False, name="victor")
    page = browser.get("/quarantine")
    assert page.status_code == 200 and "viewer" in page.text and "Retry" not in page.text
    entry = service_of(project).store.quarantined("crm_to_dw")[0]
    shown = browser.get(f"/quarantine/{entry.id}").text
    assert 'id="override"' not in shown and "Resolve as ignored" not in shown
    for path, extra in (
        ("/quarantine/group/retry", {"key": "crm_to_dw|validate|name: type"}),
        (f"/quarantine/{entry.id}/retry", {}),
        (f"/quarantine/{entry.id}/ignore", {}),
        (f"/quarantine/{entry.id}/override", {"field": "name", "value": "x"}),
        ("/reports/crm_to_dw/heal", {}),
    ):
        answer = browser.post(path, data={"csrf": token(page.text), "reason": "trying", **extra})
        assert answer.status_code == 403 and "may look but not act" in answer.text, path
    assert service_of(project).history() == []
    assert len(service_of(project).store.quarantined("crm_to_dw")) == 4


def test_actions_need_the_pages_csrf_token_the_same_origin_and_a_reason(project: Path) -> None:
    browser = client(project)
    page = browser.get("/quarantine").text
    entry = service_of(project).store.quarantined("crm_to_dw")[0]
    url = f"/quarantine/{entry.id}/ignore"
    assert browser.post(url, data={"reason": "no token"}).status_code == 403
    assert browser.post(url, data={"csrf": "0" * 64, "reason": "forged"}).status_code == 403
    other = TestClient(browser.app)  # another browser: no cookie of this one, so its token is worthless
    assert other.post(url, data={"csrf": token(page), "reason": "stolen"}).status_code == 403
    crossed = browser.post(
        url, data={"csrf": token(page), "reason": "x"}, headers={"Origin": "https://evil.example"}
    )
    assert crossed.status_code == 403 and "another site" in crossed.text
    blank = browser.post(url, data={"csrf": token(page), "reason": "   "})
    assert blank.status_code == 400 and "say why" in blank.text
    assert browser.post(url, data={"csrf": token(page), "reason": "x" * 2001}).status_code == 400
    assert browser.post(url, content=b"reason=" + b"x" * 70_000).status_code == 413
    assert service_of(project).history() == []


def test_no_sensitive_or_secret_value_reaches_the_browser(project: Path) -> None:
    service = service_of(project)
    entry = next(e for e in service.store.quarantined("crm_to_dw") if e.record_id == "2")
    page = client(project).get(f"/quarantine/{entry.id}").text
    assert SECRET_NUMBER not in page and "C-S" in page  # masked: its ends only
    assert "Content-Security-Policy" in client(project).get("/").headers


def test_reports_are_listed_served_without_paths_out_and_healed_from_the_page(project: Path) -> None:
    done = CliRunner().invoke(cli, ["reconcile", "crm_to_dw", "--project", str(project)])
    assert done.exit_code in (0, 1), done.output
    browser = client(project, name="hanna")
    index = browser.get("/reports")
    assert "crm_to_dw" in index.text
    link = re.search(r'href="(/reports/files/[^"]+)"', index.text)
    assert link and browser.get(link.group(1)).status_code == 200
    assert browser.get("/reports/files/crm_to_dw/..%2F..%2Fstate.db/report.html").status_code == 404
    assert browser.get("/reports/files/crm_to_dw/x/state.db").status_code == 404
    page = browser.get("/reports/crm_to_dw")
    assert page.status_code == 200 and "Heal" in page.text
    healed = browser.post(
        "/reports/crm_to_dw/heal", data={"csrf": token(page.text), "reason": "after the fix"}
    )
    assert healed.status_code == 200 and "reconciliation" in healed.text and "hanna" in healed.text
    assert [a["action"] for a in service_of(project).history()] == ["heal"]
    assert healed.text.count('/report.html">report</a>') == 2  # every report: the first and the heal's


def test_hub_console_serves_the_pages_alone_as_the_user_who_started_it(project: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    import requests

    from tests.dags.test_runs import free_port

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub",
            "console",
            "--project",
            str(project),
            "--port",
            str(port),
            "--user",
            "olga",
        ],
        env={**os.environ, "HUB_STATE_URL": ""},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline, answer = time.monotonic() + 60, None
        while time.monotonic() < deadline and answer is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/quarantine", timeout=5)
            except requests.ConnectionError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.3)
        assert answer is not None and answer.status_code == 200
        assert "olga · editor" in answer.text and "name: type" in answer.text
    finally:
        server.terminate()
        server.wait(10)


def test_an_override_mends_a_field_whose_mapping_fails(project: Path) -> None:
    mapping = project / "mappings" / "sql" / "crm_account.yaml"  # the number is read as a phone now
    phone = (
        "  - {canonical: account_number, system: number}\n"
        "  - {canonical: phone, system: number, direction: inbound, inbound: [{e164: {default_region: NL}}]}\n"
    )
    mapping.write_text(ACCOUNT.format(table="crm_accounts", fields=phone))
    with sqlite3.connect(project.parent / "crm.db") as db:
        db.execute("UPDATE crm_accounts SET number = '020 794 0958'")
        db.execute("UPDATE crm_accounts SET number = 'n/a' WHERE id = 3")  # no number: set aside at "inbound"
    ran = CliRunner().invoke(cli, ["sync", "crm_to_dw", "--full", "--json", "--project", str(project)])
    assert '"quarantined": 1' in ran.output, ran.output
    service = service_of(project)
    entry = next(e for e in service.store.quarantined("crm_to_dw") if e.record_id == "3")
    assert entry.stage == "inbound" and service.entry(entry.id)["canonical"] is None
    browser = client(project)
    page = browser.get(f"/quarantine/{entry.id}").text
    done = override(browser, entry.id, page, "phone", "+31207940959", "number from the contract")
    assert "while the source leaves number as it is" in done.text and 'id="canonical"' in done.text
    retried = browser.post(
        f"/quarantine/{entry.id}/retry", data={"csrf": token(page), "reason": "override set"}
    )
    assert "1 cleared" in retried.text
    assert "3" not in {e.record_id for e in service.store.quarantined("crm_to_dw")}
    with sqlite3.connect(project.parent / "dw.db") as db:
        assert db.execute("SELECT count(*) FROM dw_accounts WHERE number = 'n/a'").fetchone() == (1,)
