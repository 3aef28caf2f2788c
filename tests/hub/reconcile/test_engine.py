"""Reconciling the shipped syncs against the emulators: detection, joining, in-flight records, healing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.emulators.sandbox import Sandbox
from hub.engine.sync import SyncEngine
from hub.project.loading import Project
from hub.reconcile.engine import Reconciler
from hub.reconcile.reconciliation import Reconciliation
from hub.state import StateStore
from tests.emulated import start_sandbox

ROOT = Path(__file__).resolve().parents[3]
NOW = timedelta(0)


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = start_sandbox(tmp_path / "sandbox", monkeypatch)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    yield state
    state.close()


def synced(project: Project, store: StateStore) -> SyncEngine:
    engine = SyncEngine(project, store)
    engine.sync("crm_accounts_to_erp")
    engine.sync("crm_contacts_to_erp")
    return engine


def reconcile(engine: SyncEngine, name: str, **options: Any) -> Reconciliation:
    return Reconciler(engine.project, engine.store, engine=engine).run(
        name, min_age=options.pop("min_age", NOW), **options
    )


def found(result: Reconciliation) -> set[tuple[str, str]]:
    return {(str(key), field or kind) for key, field, _, _, kind in result.comparison.discrepancies()}


def people(sandbox: Sandbox) -> list[dict[str, Any]]:
    rows = sandbox.apps["odoo"].records("res.partner")  # type: ignore[attr-defined]
    return sorted(
        (r for r in rows if r["x_hub_id"] and not r["is_company"] and r["active"]), key=lambda r: r["id"]
    )


def variant(tmp_path: Path, sync: str, old: str, new: str) -> Project:
    root = tmp_path / "variant"
    for folder in ("schemas", "mappings"):
        shutil.copytree(ROOT / folder, root / folder, dirs_exist_ok=True)
    path = root / "mappings" / "syncs" / f"{sync}.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    return Project.load(root)


def test_systems_in_agreement_pass(sandbox: Sandbox, store: StateStore) -> None:
    engine = synced(Project.load(ROOT), store)
    for name in ("crm_accounts_to_erp", "crm_contacts_to_erp"):
        result = reconcile(engine, name)
        summary = result.comparison.summary
        assert result.status == "pass", (name, summary)
        assert summary["matched"] == summary["equal"] > 0
        assert result.quarantined == len(store.quarantined(name)) - len(result.sides["source"].unreadable)


def test_edits_in_the_target_are_reported_field_by_field(sandbox: Sandbox, store: StateStore) -> None:
    engine = synced(Project.load(ROOT), store)
    odoo, target = sandbox.apps["odoo"], people(sandbox)
    odoo.edit("res.partner", target[0]["id"], {"phone": "+33 1 40 20 50 50"})  # type: ignore[attr-defined]
    odoo.edit("res.partner", target[1]["id"], {"name": "Renamed Person"})  # type: ignore[attr-defined]
    odoo.edit("res.partner", target[2]["id"], {"active": False})  # type: ignore[attr-defined]
    result = reconcile(engine, "crm_contacts_to_erp")
    assert found(result) == {
        (target[0]["x_hub_id"], "phone"),
        (target[1]["x_hub_id"], "full_name"),
        (target[2]["x_hub_id"], "only_left"),
    }
    assert result.status == "warn"
    phone = result.comparison.fields["phone"]
    assert list(phone.right) == ["+33140205050"]  # canonical values: what the mapping made of each side


def test_duplicate_keys_are_reported_and_never_compared(sandbox: Sandbox, store: StateStore) -> None:
    engine = synced(Project.load(ROOT), store)
    original = people(sandbox)[0]
    sandbox.apps["odoo"].create(
        "res.partner",
        {  # type: ignore[attr-defined]
            "name": "Someone Else",
            "x_hub_id": original["x_hub_id"],
            "is_company": False,
            "type": "contact",
        },
    )
    summary = reconcile(engine, "crm_contacts_to_erp").comparison.summary
    assert (
        summary["duplicates_in_source"] if "duplicates_in_source" in summary else summary["duplicates_left"]
    ) == 1
    assert summary["duplicates_right"] == 2
    assert summary["unequal"] == 0


def test_records_the_hub_never_linked_are_joined_by_match_keys(sandbox: Sandbox, store: StateStore) -> None:
    engine = synced(Project.load(ROOT), store)
    salesforce, odoo = sandbox.apps["salesforce"], sandbox.apps["odoo"]
    salesforce.create("Contact", {"FirstName": "Nora", "LastName": "Newman", "Email": "nora@example.com"})  # type: ignore[attr-defined]
    odoo.create(
        "res.partner",
        {
            "name": "Nora Newman",
            "email": "nora@example.com",
            "is_company": False,  # type: ignore[attr-defined]
            "phone": "+1 415 555 0101",
        },
    )
    result = reconcile(engine, "crm_contacts_to_erp")
    summary = result.comparison.summary
    assert (summary["only_left"], summary["only_right"]) == (0, 0)
    assert {field for _, field in found(result)} == {"phone"}


def test_records_still_in_flight_are_not_judged(sandbox: Sandbox, store: StateStore) -> None:
    engine = synced(Project.load(ROOT), store)
    result = reconcile(engine, "crm_contacts_to_erp", min_age=timedelta(hours=1))
    assert result.skipped_young > 300  # everything was just written to Odoo
    assert result.comparison.summary["matched"] < 100


def test_flagged_records_are_read_again_before_reporting(
    sandbox: Sandbox, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = synced(Project.load(ROOT), store)
    odoo, target = sandbox.apps["odoo"], people(sandbox)[0]
    odoo.edit("res.partner", target["id"], {"function": "Temporary"})  # type: ignore[attr-defined]
    original = Reconciler._recheck

    def settle_then_recheck(self: Reconciler, *args: Any) -> Any:
        odoo.edit("res.partner", target["id"], {"function": target["function"]})  # type: ignore[attr-defined]
        return original(self, *args)

    monkeypatch.setattr(Reconciler, "_recheck", settle_then_recheck)
    result = reconcile(engine, "crm_contacts_to_erp")
    assert result.rechecked == 1 and result.status == "pass"


def test_heal_copies_the_source_over_the_target_and_a_second_run_passes(
    sandbox: Sandbox, store: StateStore
) -> None:
    engine = synced(Project.load(ROOT), store)
    odoo, target = sandbox.apps["odoo"], people(sandbox)
    odoo.edit("res.partner", target[0]["id"], {"phone": "+33 1 40 20 50 50"})  # type: ignore[attr-defined]
    odoo.edit("res.partner", target[1]["id"], {"active": False})  # type: ignore[attr-defined]
    healed = reconcile(engine, "crm_contacts_to_erp", heal_records=True)
    assert healed.healed["records"] == 2 and healed.healed["updated"] == 2
    again = reconcile(engine, "crm_contacts_to_erp")
    assert again.status == "pass", found(again)
    assert next(r for r in people(sandbox) if r["id"] == target[1]["id"])["active"] is True


def test_heal_from_the_target_writes_back_to_the_source(
    tmp_path: Path, sandbox: Sandbox, store: StateStore
) -> None:
    project = variant(
        tmp_path, "crm_accounts_to_erp", "  min_age: 5m\n", "  min_age: 5m\n  source_of_truth: target\n"
    )
    engine = synced(project, store)
    company = sorted(
        (
            r
            for r in sandbox.apps["odoo"].records("res.partner")  # type: ignore[attr-defined]
            if r["x_hub_id"] and r["is_company"]
        ),
        key=lambda r: r["id"],
    )[0]
    sandbox.apps["odoo"].edit("res.partner", company["id"], {"name": "Odoo Knows Best Ltd"})  # type: ignore[attr-defined]
    healed = reconcile(engine, "crm_accounts_to_erp", heal_records=True)
    assert (healed.healed["from"], healed.healed["to"], healed.healed["updated"]) == ("target", "source", 1)
    names = {r["Name"] for r in sandbox.apps["salesforce"].records("Account")}  # type: ignore[attr-defined]
    assert "Odoo Knows Best Ltd" in names
    assert reconcile(engine, "crm_accounts_to_erp").status == "pass"


def test_thresholds_fail_the_report(tmp_path: Path, sandbox: Sandbox, store: StateStore) -> None:
    project = variant(
        tmp_path,
        "crm_contacts_to_erp",
        "    max_unequal_ratio: 0.01\n",
        "    max_unequal_ratio: 0.01\n    max_unequal_rows: 0\n",
    )
    engine = synced(project, store)
    sandbox.apps["odoo"].edit("res.partner", people(sandbox)[0]["id"], {"function": "X"})  # type: ignore[attr-defined]
    result = reconcile(engine, "crm_contacts_to_erp")
    assert result.status == "fail" and result.exit_code == 1
    assert result.breaches == ["1 unequal rows > max_unequal_rows 0"]


def test_partitions_give_the_same_answer(tmp_path: Path, sandbox: Sandbox, store: StateStore) -> None:
    engine = synced(Project.load(ROOT), store)
    sandbox.apps["odoo"].edit("res.partner", people(sandbox)[3]["id"], {"function": "X"})  # type: ignore[attr-defined]
    whole = reconcile(engine, "crm_contacts_to_erp")
    parted_project = variant(
        tmp_path, "crm_contacts_to_erp", "  min_age: 5m\n", "  min_age: 5m\n  partitions: 5\n"
    )
    parted = Reconciler(parted_project, store, engine=SyncEngine(parted_project, store)).run(
        "crm_contacts_to_erp", min_age=NOW, work_folder=tmp_path
    )
    assert parted.comparison.summary == whole.comparison.summary
    assert json.dumps(sorted(found(parted))) == json.dumps(sorted(found(whole)))


def test_records_another_source_wrote_are_not_this_reconciliations(
    sandbox: Sandbox, store: StateStore
) -> None:
    """Two CRMs feed one ERP: each reconciliation judges the Odoo companies of its own source only."""
    engine = SyncEngine(Project.load(ROOT), store)
    engine.sync("crm_accounts_to_erp")
    from_hubspot = engine.sync("hubspot_companies_to_erp")
    assert from_hubspot.counts.created > 0
    reconciler = Reconciler(engine.project, store, engine=engine)
    for name in ("crm_accounts_to_erp", "hubspot_companies_to_erp"):
        result = reconciler.run(name, min_age=NOW)
        summary = result.comparison.summary
        assert (summary["only_left"], summary["only_right"], summary["unequal"]) == (0, 0, 0), name
        assert result.sides["target"].foreign > 0  # the other CRM's companies, left out
    hubspot_company = next(  # HubSpot's alone: a twin of a Salesforce account is Salesforce's
        r
        for r in sandbox.apps["odoo"].records("res.partner")  # type: ignore[attr-defined]
        if r["x_hub_id"] in store.xrefs_by_hub("account", "hubspot", [r["x_hub_id"]])
        and not store.xrefs_by_hub("account", "salesforce", [r["x_hub_id"]])
    )
    sandbox.apps["odoo"].edit("res.partner", hubspot_company["id"], {"name": "Edited in Odoo"})  # type: ignore[attr-defined]
    assert found(reconciler.run("crm_accounts_to_erp", min_age=NOW)) == set()
    assert found(reconciler.run("hubspot_companies_to_erp", min_age=NOW)) == {
        (hubspot_company["x_hub_id"], "name")
    }


def test_a_linked_target_scope_leaves_sign_ups_out(
    tmp_path: Path, sandbox: Sandbox, store: StateStore
) -> None:
    """The Mailchimp audience also holds sign-ups no CRM knows: with target_scope linked they are not missing."""
    engine = SyncEngine(Project.load(ROOT), store)
    engine.sync("crm_contacts_to_marketing")
    sign_up = sandbox.apps["mailchimp"].create("new.reader@example.org")  # type: ignore[attr-defined]
    scoped = Reconciler(engine.project, store, engine=engine).run("crm_contacts_to_marketing", min_age=NOW)
    assert scoped.comparison.summary["only_right"] == 0 and scoped.sides["target"].foreign > 0
    everything = variant(
        tmp_path, "crm_contacts_to_marketing", "  target_scope: linked", "  target_scope: all"
    )
    unscoped = Reconciler(everything, store, engine=SyncEngine(everything, store)).run(
        "crm_contacts_to_marketing", min_age=NOW
    )
    assert sign_up not in scoped.ids["target"].values()
    assert sign_up in {unscoped.ids["target"].get(key) for key in unscoped.comparison.only_right}


def test_a_difference_the_quarantine_explains_is_not_a_discrepancy(
    sandbox: Sandbox, store: StateStore
) -> None:
    """A contact edited into a country that does not exist is set aside by the sync; Odoo keeps the
    old one. The reconciliation counts it as quarantined (its reason is in the quarantine), not unequal."""
    engine = synced(Project.load(ROOT), store)
    salesforce = sandbox.apps["salesforce"]
    person = people(sandbox)[0]
    contact_id = store.xrefs_by_hub("contact", "salesforce", [person["x_hub_id"]])[
        person["x_hub_id"]
    ].external_id
    salesforce.edit("Contact", contact_id, {"MailingCountryCode": "XX"})  # type: ignore[attr-defined]
    before = reconcile(engine, "crm_contacts_to_erp")
    assert (person["x_hub_id"], "mailing_address.country") in found(
        before
    )  # not yet set aside: a discrepancy

    held = engine.sync("crm_contacts_to_erp")
    assert held.counts.quarantined == 1
    after = reconcile(engine, "crm_contacts_to_erp")
    assert (person["x_hub_id"], "mailing_address.country") not in found(after)
    assert after.quarantined == before.quarantined + 1 and after.status == "pass"
