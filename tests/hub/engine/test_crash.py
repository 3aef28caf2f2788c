"""SIGKILL `hub sync` at named points and at random moments; the next run ends with every valid record
in the target exactly once: nothing lost, nothing duplicated."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.emulators.sandbox import Sandbox
from hub.state import StateStore

ROOT = Path(__file__).resolve().parents[3]
SYNC = "crm_contacts_to_erp"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The shipped project with small pages, so one run commits many pages."""
    root = tmp_path / "project"
    for folder in ("schemas", "mappings"):
        shutil.copytree(ROOT / folder, root / folder)
    for name in ("crm_contacts_to_erp", "crm_accounts_to_erp"):
        path = root / "mappings" / "syncs" / f"{name}.yaml"
        path.write_text(path.read_text() + "page_size: 200\nbatch_size: 50\n")
    return root


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    sandbox = Sandbox.start(
        folder=tmp_path / "sandbox", scale={"accounts": 150, "contacts": 1200}, seed=9, latency_ms=4
    )
    yield sandbox
    sandbox.stop()


def hub_env(sandbox: Sandbox, state: Path, failpoint: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "HUB_"))}
    env |= sandbox.environment() | {"HUB_STATE_URL": f"sqlite:///{state}"}
    if failpoint:
        env["HUB_FAILPOINTS"] = failpoint
    return env


def run_sync(project: Path, env: dict[str, str], kill_after: float | None = None) -> int:
    command = [sys.executable, "-m", "hub", "sync", SYNC, "--json", "--project", str(project)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if kill_after is not None:
        time.sleep(kill_after)
        process.send_signal(signal.SIGKILL)
    process.communicate(timeout=300)
    return process.returncode


def assert_exactly_once(sandbox: Sandbox, state: Path) -> None:
    partners = [r for r in sandbox.apps["odoo"].records("res.partner") if r["x_hub_id"]]  # type: ignore[attr-defined]
    per_hub_id = Counter(r["x_hub_id"] for r in partners)
    assert max(per_hub_id.values()) == 1, "a record was written twice"
    store = StateStore(f"sqlite:///{state}")
    contacts = [r["Id"] for r in sandbox.apps["salesforce"].records("Contact")]  # type: ignore[attr-defined]
    accounts = [r["Id"] for r in sandbox.apps["salesforce"].records("Account")]  # type: ignore[attr-defined]
    set_aside = {q.record_id for q in store.quarantined()}
    hub_ids = store.xrefs_by_external("contact", "salesforce", contacts)
    hub_ids |= store.xrefs_by_external("account", "salesforce", accounts)
    expected = {hub_ids[i].hub_id for i in contacts + accounts if i not in set_aside}
    assert set(per_hub_id) == expected, "a valid record is missing, or an unknown one appeared"
    assert len(set_aside) <= 0.03 * len(contacts + accounts)
    store.close()


@pytest.mark.parametrize(
    "failpoint", ["before_write:2", "after_write:1", "after_write:3", "before_commit:2", "after_commit:2"]
)
def test_killed_at_a_named_point_then_rerun(
    project: Path, sandbox: Sandbox, tmp_path: Path, failpoint: str
) -> None:
    state = tmp_path / "state.db"
    assert run_sync(project, hub_env(sandbox, state, failpoint)) == -signal.SIGKILL
    killed = StateStore(f"sqlite:///{state}").runs()  # it could not say how it ended: `hub runs` can
    assert [(r.status, r.finished_at) for r in killed] == [("interrupted", None)]
    assert str(killed[0].error).endswith(" is gone; what it committed is kept")
    assert run_sync(project, hub_env(sandbox, state)) in (0, 1)
    assert_exactly_once(sandbox, state)
    assert run_sync(project, hub_env(sandbox, state)) in (0, 1)
    assert_exactly_once(sandbox, state)


def test_killed_at_random_moments_again_and_again(project: Path, sandbox: Sandbox, tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    rng = random.Random(2024)
    salesforce = sandbox.apps["salesforce"]
    kills = 0
    for round_ in range(8):
        if round_:  # fresh edits, so every run has writes to be killed in the middle of
            for contact in rng.sample(salesforce.records("Contact"), 900):  # type: ignore[attr-defined]
                salesforce.edit("Contact", contact["Id"], {"Title": f"Title {round_}"})  # type: ignore[attr-defined]
        if run_sync(project, hub_env(sandbox, state), kill_after=rng.uniform(0.8, 1.5)) == -signal.SIGKILL:
            kills += 1
    assert kills >= 4, "the runs finished before they could be killed; slow the emulators down"
    final = subprocess.run(
        [sys.executable, "-m", "hub", "sync", SYNC, "--json", "--project", str(project)],
        env=hub_env(sandbox, state),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert final.returncode in (0, 1), final.stderr
    assert json.loads(final.stdout)["status"] in ("success", "partial")
    assert_exactly_once(sandbox, state)


@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_ends_the_run_interrupted_and_the_next_goes_on(
    project: Path, tmp_path: Path, sent: signal.Signals, code: int
) -> None:
    sandbox = Sandbox.start(
        folder=tmp_path / "slow", scale={"accounts": 150, "contacts": 1200}, seed=9, latency_ms=25
    )
    state = tmp_path / "state.db"
    try:
        command = [sys.executable, "-m", "hub", "sync", SYNC, "--json", "--project", str(project)]
        process = subprocess.Popen(
            command, env=hub_env(sandbox, state), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        while not _cursors(state) and process.poll() is None:  # a page committed: the run is under way
            time.sleep(0.05)
        process.send_signal(sent)
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == code, stderr
        name = "SIGINT (Ctrl-C)" if sent == signal.SIGINT else "SIGTERM"
        assert stdout == b"" and stderr.decode().splitlines() == [
            f"interrupted by {name}; `hub runs` shows it interrupted, and what it committed is kept: "
            "the next run goes on from there"
        ]
        store = StateStore(f"sqlite:///{state}")
        run = store.runs()[0]
        assert (run.status, run.error) == ("interrupted", f"interrupted by {name}")
        assert run.finished_at is not None and run.counts["read"] > 0
        store.locks.acquire(f"sync:{SYNC}").release()  # released: the next run need not wait
        store.close()
        assert run_sync(project, hub_env(sandbox, state)) in (0, 1)
        assert_exactly_once(sandbox, state)
    finally:
        sandbox.stop()


def _cursors(state: Path) -> int:
    """How many cursors the run committed so far (0 before its store exists)."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM hub_cursors").fetchone()[0])
    except sqlite3.Error:
        return 0
