"""The console inside real Airflow, in headless Chromium (Debian's, through its chromedriver): a viewer
and an editor log in to Airflow's UI, find "Omnihub" in its navigation and go through every page; the
viewer is refused the actions; the editor fixes a quarantine group's cause in the sandbox, retries the
group and sees it clear. Screenshots stay in tests/artifacts/console/."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.emulators.sandbox import Sandbox
from hub.airflow.stack import AirflowStack
from tests.dags.test_runs import free_port, run_accounts_sync

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "tests" / "artifacts" / "console"
RECONCILE = "reconcile__crm_accounts_to_erp"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AirflowStack, Sandbox]]:
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.fail(
            "Chromium or its driver is missing: `make test` installs Debian's chromium and chromium-driver"
        )
    tmp = tmp_path_factory.mktemp("console")
    sandbox = Sandbox.start(folder=tmp / "sandbox", scale={"accounts": 60, "contacts": 150}, seed=3)
    stack = AirflowStack(
        home=tmp / "airflow",
        project=ROOT,
        port=free_port(),
        environ={
            "HUB_STATE_URL": f"sqlite:///{tmp / 'state.db'}",
            "HUB_REPORTS": str(tmp / "reports"),
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        },
        users={"viewer": "viewer", "editor": "user"},
    )
    try:
        run_accounts_sync(stack, sandbox, "scheduler")
        stack.wait_for_dag(RECONCILE)
        stack.unpause(RECONCILE)
        stack.wait_for_run(RECONCILE, stack.trigger(RECONCILE, {"min_age": "0s"}))
        yield stack, sandbox
    finally:
        stack.stop()
        sandbox.stop()


def browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def shot(driver: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def wait_for(driver: Any, check: Any, timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check(driver)
            if found:
                return found
        except Exception:  # the page is still loading
            pass
        time.sleep(0.5)
    raise AssertionError(
        f"timed out waiting for {what}: at {driver.current_url}\n{driver.page_source[:2000]}"
    )


def log_in(driver: Any, stack: AirflowStack, user: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{stack.url}/auth/login")
    name = wait_for(
        driver, lambda d: d.find_element(By.CSS_SELECTOR, "input[name=username]"), what="the login form"
    )
    name.send_keys(user)
    driver.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(stack.password_of(user))
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, lambda d: d.get_cookie("_token"), what="Airflow's session")


def console_page(driver: Any, stack: AirflowStack, path: str, user: str) -> str:
    driver.get(f"{stack.url}/omnihub/{path}")
    return str(
        wait_for(driver, lambda d: user in d.find_element("id", "who").text and d.page_source, what=path)
    )


def test_a_viewer_looks_and_is_refused_an_editor_retries_a_fixed_group_and_heals(
    airflow: tuple[AirflowStack, Sandbox],
) -> None:
    from selenium.webdriver.common.by import By

    stack, sandbox = airflow
    invalid: dict[str, str] = sandbox.apps["salesforce"].invalid_records  # type: ignore[attr-defined]
    assert invalid, "the sandbox seeds broken accounts to quarantine"

    viewer = browser()
    try:
        log_in(viewer, stack, "viewer")
        viewer.get(f"{stack.url}/")
        nav = wait_for(
            viewer,
            lambda d: d.find_element(By.PARTIAL_LINK_TEXT, "Omnihub"),
            what="Omnihub in the navigation",
        )
        nav.click()  # Airflow's UI shows the console inside its own page
        frame = wait_for(viewer, lambda d: d.find_element(By.TAG_NAME, "iframe"), what="the console's frame")
        viewer.switch_to.frame(frame)
        wait_for(
            viewer, lambda d: "viewer" in d.find_element(By.ID, "who").text, what="the console in Airflow"
        )
        viewer.switch_to.default_content()
        shot(viewer, "airflow-navigation")
        home = console_page(viewer, stack, "", "viewer")
        assert "crm_accounts_to_erp" in home and "viewer" in home
        assert re.search(r"/dags/sync__crm_accounts_to_erp/runs/", home), "runs link to their Airflow DAG run"
        shot(viewer, "viewer-runs")
        assert "<svg" in console_page(viewer, stack, "runs?sync=crm_accounts_to_erp", "viewer")
        quarantine = console_page(viewer, stack, "quarantine", "viewer")
        assert "crm_accounts_to_erp" in quarantine and "Retry" not in quarantine
        shot(viewer, "viewer-quarantine")
        entry = re.search(r'href="/omnihub/quarantine/group\?key=([^"]+)"', quarantine)
        assert entry
        first = re.search(
            r'href="/omnihub/quarantine/(\d+)"',
            console_page(viewer, stack, f"quarantine/group?key={entry.group(1)}", "viewer"),
        )
        assert first
        record = console_page(viewer, stack, f"quarantine/{first.group(1)}", "viewer")
        assert "Source values" in record and 'id="override"' not in record
        shot(viewer, "viewer-entry")
        assert "crm_accounts_to_erp" in console_page(viewer, stack, "reports", "viewer")
        report = console_page(viewer, stack, "reports/crm_accounts_to_erp", "viewer")
        assert 'id="earlier"' in report and 'id="heal"' not in report
        shot(viewer, "viewer-report")
        for path in ("alerts", "actions"):
            console_page(viewer, stack, path, "viewer")
        # the viewer forges the editor's form: refused
        viewer.execute_script(
            """const f = document.createElement('form'); f.method = 'post';
               f.action = '/omnihub/quarantine/' + arguments[0] + '/ignore';
               for (const [k, v] of [['csrf', document.querySelector('meta[name=csrf]').content], ['reason', 'x']]) {
                 const i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i); }
               document.body.appendChild(f); f.submit();""",
            first.group(1),
        )
        wait_for(viewer, lambda d: "may look but not act" in d.page_source, what="the refusal")
        shot(viewer, "viewer-refused")
    finally:
        viewer.quit()

    editor = browser()
    try:
        log_in(editor, stack, "editor")
        page = console_page(editor, stack, "quarantine", "editor")
        shot(editor, "editor-quarantine")
        rows = editor.find_elements(By.CSS_SELECTOR, "#groups tr")[1:]
        phone_row = next(r for r in rows if "phone" in r.text)
        count = int(phone_row.find_elements(By.CSS_SELECTOR, "td")[3].text.replace(",", ""))
        # the cause, fixed in the sandbox: every account with a broken phone gets a real number
        broken = [
            i for i, why in invalid.items() if why.startswith("phone") and i.startswith("001")
        ]  # accounts
        assert len(broken) == count, page
        for record_id in broken:
            sandbox.apps["salesforce"].edit("Account", record_id, {"Phone": "+31 20 794 0958"})  # type: ignore[attr-defined]
        phone_row.find_element(By.NAME, "reason").send_keys("phones corrected in Salesforce")
        phone_row.find_element(By.CSS_SELECTOR, "button[value=retry]").click()
        done = wait_for(editor, lambda d: d.find_element(By.ID, "done").text, timeout=120, what="the retry")
        assert f"retried {count}: {count} cleared, 0 still set aside" in done
        assert "phone" not in editor.find_element(By.ID, "groups").text
        shot(editor, "editor-retried")
        audit = console_page(editor, stack, "actions", "editor")
        assert "editor" in audit and "phones corrected in Salesforce" in audit
        shot(editor, "editor-audit")
        console_page(editor, stack, "reports/crm_accounts_to_erp", "editor")
        heal = editor.find_element(By.ID, "heal")
        heal.find_element(By.NAME, "reason").send_keys("after the phone fix")
        heal.find_element(By.TAG_NAME, "button").click()
        healed = wait_for(editor, lambda d: d.find_element(By.ID, "done").text, timeout=120, what="the heal")
        assert "reconciliation" in healed
        assert "after the phone fix" in editor.find_element(By.ID, "heals").text
        shot(editor, "editor-healed")
    finally:
        editor.quit()
