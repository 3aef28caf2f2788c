"""The partitioned reconciliation in steps (what Airflow maps over partitions) answers as one run does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.emulators.sandbox import Sandbox
from hub.engine.sync import SyncEngine
from hub.project.loading import Project
from hub.reconcile.engine import Reconciler
from hub.reconcile.staged import StagedReconciliation
from hub.state import StateStore
from tests.hub.reconcile.test_engine import (
    NOW,
    ROOT,
    found,
    people,
    reconcile,
    sandbox,
    store,
    synced,
    variant,
)

__all__ = ["sandbox", "store"]  # fixtures shared with test_engine


def test_spill_compare_finish_equals_one_run(tmp_path: Path, sandbox: Sandbox, store: StateStore) -> None:
    engine = synced(Project.load(ROOT), store)
    for person in people(sandbox)[2:5]:
        sandbox.apps["odoo"].edit("res.partner", person["id"], {"function": "Edited"})  # type: ignore[attr-defined]
    whole = reconcile(engine, "crm_contacts_to_erp")
    parted = variant(tmp_path, "crm_contacts_to_erp", "  min_age: 5m\n", "  min_age: 5m\n  partitions: 4\n")
    reconciler = Reconciler(parted, store, engine=SyncEngine(parted, store))
    staged = StagedReconciliation(reconciler, "crm_contacts_to_erp", tmp_path / "work")
    partitions = staged.spill(min_age=NOW)
    assert partitions == [0, 1, 2, 3]
    counts = [staged.compare(p) for p in reversed(partitions)]  # any order, any process
    assert sum(c["unequal"] for c in counts) == whole.comparison.summary["unequal"] == 3
    staged.compare(1)  # a retried partition overwrites its own result
    result = staged.finish()
    assert result.comparison.summary == whole.comparison.summary
    assert json.dumps(sorted(found(result))) == json.dumps(sorted(found(whole)))
    assert result.status == whole.status and result.api_calls["odoo"] > 0
    assert not (tmp_path / "work").exists()


def test_finish_refuses_when_a_partition_has_no_result(
    tmp_path: Path, sandbox: Sandbox, store: StateStore
) -> None:
    parted = variant(tmp_path, "crm_accounts_to_erp", "  min_age: 5m\n", "  min_age: 5m\n  partitions: 3\n")
    engine = synced(parted, store)
    staged = StagedReconciliation(
        Reconciler(parted, store, engine=engine), "crm_accounts_to_erp", tmp_path / "w"
    )
    staged.spill(min_age=NOW)
    staged.compare(0)
    with pytest.raises(FileNotFoundError, match="partition 1 has no result"):
        staged.finish()
