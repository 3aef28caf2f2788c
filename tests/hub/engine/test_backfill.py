"""A backfill split into shards (issue 16): each source record written by exactly one shard (a source
that reads time windows read in windows, one per shard), the sync's cursor where the windows end (or
the earliest any shard reached), nothing done until every shard is, and a shard killed mid-run simply
run again: the target ends as a single full run leaves it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.emulators.sandbox import Sandbox
from hub.engine.pipeline import Shard
from hub.engine.sync import SyncEngine
from hub.errors import HubError
from hub.project.loading import Project
from hub.state import StateStore
from tests.emulated import start_sandbox

ROOT = Path(__file__).resolve().parents[3]
SYNC = "crm_contacts_to_erp"  # contacts bring their accounts over on demand: shards meet shared references


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = start_sandbox(tmp_path / "sandbox", monkeypatch)
    yield sandbox
    sandbox.stop()


def partners(sandbox: Sandbox) -> Counter[str]:
    rows = sandbox.apps["odoo"].records("res.partner")  # type: ignore[attr-defined]
    return Counter(r["x_hub_id"] for r in rows if r["x_hub_id"])


def test_shards_read_their_own_time_windows_write_each_record_once_and_settle_where_the_windows_end(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Salesforce reads time windows: the first shard to start plans them, each reads only its own
    (together every contact once), and the finished backfill's cursor is where the windows end."""
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    engine = SyncEngine(Project.load(ROOT), store)
    first = engine.sync(SYNC, shard=Shard(0, 2))
    assert first.details["shard"] == "0/2" and store.cursor(SYNC, "salesforce", "Contact") is None
    plan = [store.cursor(SYNC, "salesforce", f"Contact#window{k}/2") for k in range(3)]
    assert plan[0] == "" and plan[1] and plan[2] and plan[1] < plan[2]  # from the start, then two bounds
    with pytest.raises(HubError, match=r"backfill shards 1/2 have not finished"):
        engine.finish_backfill(SYNC, 2)
    second = engine.sync(SYNC, shard=Shard(1, 2))
    contacts = len(sandbox.apps["salesforce"].records("Contact"))  # type: ignore[attr-defined]
    assert first.counts.read + second.counts.read == contacts  # each read its window alone
    assert first.counts.read > 0 and second.counts.read > 0
    finished = engine.finish_backfill(SYNC, 2)
    assert store.cursor(SYNC, "salesforce", "Contact") == plan[2]
    assert store.cursor(SYNC, "salesforce", "Contact#done0/2") is None  # the shards' own cursors went
    assert store.cursor(SYNC, "salesforce", "Contact#window1/2") is None  # and the plan
    written = partners(sandbox)
    assert max(written.values()) == 1, "a record was written twice"
    assert first.counts.created > 0 and second.counts.created > 0
    assert finished.counts.created == 0  # the ordinary run after found nothing left to create

    clean = SyncEngine(Project.load(ROOT), StateStore(f"sqlite:///{tmp_path / 'clean.db'}"))
    plan = clean.plan(SYNC, full=True)  # what one full run would find to do now: nothing new
    assert plan.counts.created == 0, "a record the shards should have written is missing"


def test_a_shard_killed_mid_run_is_run_again_and_nothing_is_lost_or_doubled(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    state = tmp_path / "state.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "HUB_"))}
    env |= sandbox.environment() | {"HUB_STATE_URL": f"sqlite:///{state}"}
    command = [sys.executable, "-m", "hub", "sync", SYNC, "--json", "--project", str(ROOT), "--shard"]
    killed = subprocess.run(
        [*command, "1/2"], env=env | {"HUB_FAILPOINTS": "after_write:2"}, capture_output=True, check=False
    )
    assert killed.returncode == -signal.SIGKILL
    for shard in ("0/2", "1/2"):  # the other shard, and the killed one again
        done = subprocess.run([*command, shard], env=env, capture_output=True, text=True, check=False)
        assert done.returncode in (0, 1), done.stderr
        assert json.loads(done.stdout)["status"] in ("success", "partial")
    engine = SyncEngine(Project.load(ROOT), StateStore(f"sqlite:///{state}"))
    engine.finish_backfill(SYNC, 2)
    written = partners(sandbox)
    assert max(written.values()) == 1, "a record was written twice"
    assert (
        SyncEngine(Project.load(ROOT), StateStore(f"sqlite:///{tmp_path / 'c.db'}"))
        .plan(SYNC, full=True)
        .counts.created
        == 0
    )


def test_hub_backfill_runs_the_shards_at_once_then_finishes(sandbox: Sandbox, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "HUB_"))}
    env |= sandbox.environment() | {"HUB_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "hub", "backfill", SYNC, "--shards", "3", "--json", "--project", str(ROOT)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr
    said = json.loads(done.stdout)
    assert [s["shard"] for s in said["shards"]] == ["0/3", "1/3", "2/3"]
    assert said["finish"]["status"] in ("success", "partial")  # it writes what waited for a reference
    assert max(partners(sandbox).values()) == 1, "a record was written twice"
    assert (
        SyncEngine(Project.load(ROOT), StateStore(f"sqlite:///{tmp_path / 'c.db'}"))
        .plan(SYNC, full=True)
        .counts.created
        == 0
    )
