"""A reconciliation with known differences, shared by the report tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.emulators.sandbox import Sandbox
from hub.engine.sync import SyncEngine
from hub.project.loading import Project
from hub.reconcile.engine import Reconciler
from hub.state import StateStore
from tests.emulated import start_sandbox

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def edited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Reconciler, Sandbox, Path]]:
    sandbox = start_sandbox(tmp_path / "sandbox", monkeypatch, accounts=60, contacts=300, seed=8)
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    engine = SyncEngine(Project.load(ROOT), store)
    engine.sync("crm_contacts_to_erp")
    odoo = sandbox.apps["odoo"]
    people = sorted(
        (r for r in odoo.records("res.partner") if r["x_hub_id"] and not r["is_company"]),  # type: ignore[attr-defined]
        key=lambda r: r["id"],
    )
    odoo.edit("res.partner", people[0]["id"], {"phone": "+33 1 40 20 50 50", "function": "Boss"})  # type: ignore[attr-defined]
    odoo.edit("res.partner", people[1]["id"], {"active": False})  # type: ignore[attr-defined]
    yield Reconciler(engine.project, store, engine=engine), sandbox, tmp_path / "reports"
    sandbox.stop()
    store.close()
