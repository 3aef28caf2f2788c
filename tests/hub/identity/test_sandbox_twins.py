"""The "no second Odoo company" path on the emulators: HubSpot's sandbox holds twins of half the CRM's
companies, typed differently; with `identity: true` each links to the Odoo company the Salesforce sync
made, Salesforce (ranked above HubSpot) keeps writing it, and both reconciliations pass."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from hub.cli.demo import twin_companies
from hub.engine.sync import SyncEngine
from hub.identity.run import IdentityRun
from hub.identity.store import IdentityStore
from hub.library import root as library_root
from hub.project.loading import Project
from hub.reconcile.engine import Reconciler
from hub.state import StateStore
from tests.emulated import start_sandbox


def test_twin_companies_link_to_one_odoo_company_and_resolve_into_one_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = start_sandbox(
        tmp_path / "sandbox", monkeypatch, accounts=120, contacts=1, systems=["salesforce", "hubspot", "odoo"]
    )
    with sandbox:
        store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
        engine = SyncEngine(Project.load(library_root()), store)
        engine.sync("crm_accounts_to_erp")
        said = engine.sync("hubspot_companies_to_erp").summary()
        twice, linked, pairs = twin_companies(store, sandbox)
        assert pairs > 40 and linked == pairs and twice == 0
        assert said["unchanged"] == pairs and said["updated"] == 0  # linked, left to Salesforce
        partners = [
            r for r in sandbox.apps["odoo"].records("res.partner") if r["is_company"] and r["x_hub_id"]
        ]
        assert len(partners) == len({r["x_hub_id"] for r in partners})
        hubspot_alone = said["created"]
        salesforce_written = len(store.xrefs_by_hub("account", "odoo", [r["x_hub_id"] for r in partners]))
        assert salesforce_written == len(partners) and hubspot_alone == len(partners) - (
            len(sandbox.apps["salesforce"].seeded_accounts) - len(sandbox.apps["salesforce"].invalid_records)
        )
        reconciler = Reconciler(engine.project, store, engine=engine)
        for name in ("crm_accounts_to_erp", "hubspot_companies_to_erp"):
            result = reconciler.run(name, min_age=timedelta(0))
            summary = result.comparison.summary
            assert (summary["unequal"], summary["only_left"], summary["only_right"]) == (0, 0, 0), name
        resolution = IdentityRun(engine).run(["account"])
        assert set(resolution.skipped) >= {
            "account from netsuite",
            "account from zendesk",
        }  # not started here
        identity = IdentityStore(store)
        hs_id = next(iter(sandbox.apps["hubspot"].twins))
        golden_id = identity.golden_of("account", f"hubspot:{hs_id}")
        assert golden_id is not None
        members = identity.members("account", [golden_id])
        assert {m["system"] for m in members} == {"salesforce", "hubspot", "odoo"}
        golden = identity.golden("account", golden_id)
        assert golden is not None and golden["sources"]["name"]["system"] == "salesforce"
        store.close()
