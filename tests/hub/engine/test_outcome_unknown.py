"""A create whose answer is lost and that lands late (a request queued behind a busy Odoo): the run
sets its records aside as "unknown" instead of creating them again, and a later run, once they had
time to arrive, links them. Nothing is lost and nothing is created twice (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.emulators.sandbox import Sandbox
from connectors.odoo.connector import OdooConnector
from hub.engine import quarantine
from hub.engine.sync import SyncEngine
from hub.errors import OutcomeUnknown
from hub.project.loading import Project
from hub.state import StateStore
from tests.emulated import start_sandbox

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = start_sandbox(tmp_path / "sandbox", monkeypatch)
    yield sandbox
    sandbox.stop()


def partners(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.apps["odoo"].records("res.partner") if r["x_hub_id"]]  # type: ignore[attr-defined]


def test_a_late_create_is_linked_by_a_later_run_never_made_twice(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    engine = SyncEngine(Project.load(ROOT), store)
    original = OdooConnector.call
    queued: list[tuple[OdooConnector, tuple[Any, ...]]] = []

    def queue_first_create(self: OdooConnector, service: str, method: str, *args: Any, **kw: Any) -> Any:
        if method == "execute_kw" and args[3] == "res.partner" and args[4] == "create" and not queued:
            queued.append((self, args))  # sent; the server will apply it after the hub gave up
            raise OutcomeUnknown("odoo", "POST /jsonrpc: connection lost after sending (ReadTimeout)")
        return original(self, service, method, *args, **kw)

    monkeypatch.setattr(OdooConnector, "call", queue_first_create)
    first = engine.sync("crm_accounts_to_erp")
    unknown = [q for q in store.quarantined("crm_accounts_to_erp") if q.stage == "unknown"]
    assert unknown and first.counts.quarantined >= len(unknown)
    assert "a later run looks for the record by x_hub_id" in unknown[0].errors[0]["message"]
    created = len(partners(sandbox))
    (connector, args) = queued[0]
    original(connector, "object", "execute_kw", *args)  # the queued create lands, late
    assert len(partners(sandbox)) == created + len(unknown)

    second = engine.sync("crm_accounts_to_erp")  # too soon: the lost creates are left to arrive
    assert [q.stage for q in store.quarantined("crm_accounts_to_erp") if q.stage == "unknown"] == [
        "unknown"
    ] * len(unknown)
    monkeypatch.setattr(quarantine, "OUTCOME_SETTLE", timedelta(0))
    third = engine.sync("crm_accounts_to_erp")
    assert not [q for q in store.quarantined("crm_accounts_to_erp") if q.stage == "unknown"]
    assert third.counts.created == 0 and second.counts.created == 0
    hub_ids = [p["x_hub_id"] for p in partners(sandbox)]
    assert len(hub_ids) == len(set(hub_ids)) == created + len(unknown)  # every account once, none twice
