"""`hub demo` / `make demo`: the whole path on this machine, in under two minutes, leaving nothing running.

It starts the emulators, seeds Salesforce with accounts and contacts (about 1% of them deliberately
invalid), the helpdesks with the same people and their tickets, and the back office (`BACK_OFFICE`:
Odoo's customers, orders, invoices and departments, BambooHR's employees, NetSuite's customers, a
bank's payments export in the sandbox's drop folder), runs every shipped sync twice
against a fresh state store (in an order that lets one pass settle: see `sync_order`), and shows
what each run did: the first run creates everything valid and quarantines the rest with reasons; the
second writes nothing at all. Then it edits a few records directly in Odoo, reconciles every sync,
checks that the reports show exactly those edits, and prints where the index of reports is. Last, it
resolves identities across every system, checks that HubSpot's twins of Salesforce's companies made no
second Odoo company, and shows the 360° view of a customer found in five systems. Then it injects a
drift (a bulk edit writing "n/a" into 300 contacts' phones after a few quiet runs) and shows the alerts it
raised.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from connectors.emulators.sandbox import BACK_OFFICE
from connectors.registry import sandbox_class
from hub.cli.console import BarProgress, out, plain_table, summary_table
from hub.engine.sync import SyncEngine, SyncResult
from hub.project.loading import Project
from hub.reconcile.engine import Reconciler
from hub.report.document import KINDS
from hub.state import StateStore


def sync_order(project: Project) -> list[str]:
    """Every sync in an order that lets one pass settle: a sync runs after those it references, after
    those that write what it reads (or what changes it: a payment changes its invoice, the schema's
    `x-changes`), and after those that link (reference_match) what it reads. Cycles (the two halves of
    a bidirectional pair) are broken where they close."""
    ordered: list[str] = []
    syncs = project.syncs

    def changes(entity: str) -> set[str]:
        return {entity, *((project.entity_schema(entity) or {}).get("x-changes") or [])}

    def before(name: str) -> list[str]:
        spec = syncs[name]
        writers = [
            n
            for n, s in sorted(syncs.items())
            if s.target.system == spec.source.system and spec.entity in changes(s.entity)
        ]
        linkers = [
            n
            for n, s in sorted(syncs.items())
            if s.source.system == spec.source.system and spec.entity in s.reference_match
        ]
        return [*spec.references.values(), *writers, *linkers]

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in ordered or name in trail:
            return
        for other in before(name):
            if other in syncs and other != name:
                visit(other, (*trail, name))
        ordered.append(name)

    for name in sorted(syncs):
        visit(name, ())
    return ordered


def run_all(engine: SyncEngine, names: list[str]) -> list[SyncResult]:
    engine.progress = progress = BarProgress()
    with progress:
        return [engine.sync(name) for name in names]


def run_demo(root: Path, *, accounts: int = 2000, contacts: int = 10000, seed: int = 7) -> int:
    """Run the demonstration; returns the exit code."""
    project = Project.load(root)
    folder = root / ".hub" / "demo"
    shutil.rmtree(folder / "state", ignore_errors=True)
    (folder / "state").mkdir(parents=True)
    names = sync_order(project)
    scale = sandbox_class().demo_scale(accounts=accounts, contacts=contacts)
    out.print(
        f"Seeding the sandbox: {accounts:,} accounts and {contacts:,} contacts in Salesforce, as many "
        "companies and contacts in HubSpot, members in Mailchimp, the same people and their tickets in "
        f"Zendesk and Freshdesk; {BACK_OFFICE['customers']} of those companies in Odoo with "
        f"{BACK_OFFICE['orders']} orders, their invoices and payments; {BACK_OFFICE['employees']} "
        "employees in BambooHR, customers in NetSuite, and a bank's payments export in a folder ..."
    )
    with sandbox_class().start(folder=folder, scale=scale, seed=seed) as sandbox:
        os.environ.update(sandbox.environment())
        state_url = f"sqlite:///{(folder / 'state' / 'state.db').relative_to(root)}"
        store = StateStore(f"sqlite:///{folder / 'state' / 'state.db'}")
        engine = SyncEngine(project, store)
        first = run_all(engine, names)
        out.print(summary_table("First run: everything valid is created", [r.summary() for r in first]))
        _show_quarantine(store, state_url)
        second = run_all(engine, names)
        out.print(
            summary_table("Second run: nothing changed, so nothing is written", [r.summary() for r in second])
        )
        synced = _verdict(first, second)
        edits = edit_in_odoo(sandbox, store)
        reported = _check_reports(edits, reconcile_all(engine, names, root / ".hub" / "reports"))
        one_customer = resolve_identities(engine, sandbox, root)
        drifted = inject_drift(engine, sandbox, state_url)
        store.close()
    return synced or reported or one_customer or drifted


DRIFT_SYNC = "crm_contacts_to_erp"
DRIFT_RECORDS = 300


def inject_drift(engine: SyncEngine, sandbox: Any, state_url: str) -> int:
    """A drift the alerts must catch: after a few quiet runs of `DRIFT_SYNC`, a bulk edit in Salesforce
    writes "n/a" into the phone of `DRIFT_RECORDS` contacts, and the next run reads and quarantines them all.
    Returns the exit code (1 when no alert was raised)."""
    for _ in range(5):  # the quiet runs an incremental sync makes between changes: its history
        engine.sync(DRIFT_SYNC)
    salesforce = sandbox.apps["salesforce"]
    people = [c for c in salesforce.records("Contact") if c["Id"] not in salesforce.invalid_records]
    for contact in people[:DRIFT_RECORDS]:
        salesforce.edit("Contact", contact["Id"], {"Phone": "n/a"})
    result = engine.sync(DRIFT_SYNC)
    alerts = result.details.get("alerts", [])
    out.print(
        f"\nDrift: a bulk edit in Salesforce wrote 'n/a' into {DRIFT_RECORDS} contacts' phones; the next "
        f"run of {DRIFT_SYNC} read {result.counts.read} and quarantined {result.counts.quarantined}.",
        markup=False,
        highlight=False,
    )
    for alert in alerts:
        out.print(f"  alert: {alert['message']}", markup=False, highlight=False)
    out.print(f"  all alerts: hub alerts --state-url {state_url}", markup=False, highlight=False)
    out.print(
        f"  in the ops console: hub console --state-url {state_url}, then http://127.0.0.1:8090/alerts "
        "(Omnihub > Alerts in Airflow's UI shows the alerts of the runs Airflow made)",
        markup=False,
        highlight=False,
    )
    if not alerts:
        out.print("[red]no alert was raised for the drift[/]")
        return 1
    out.print(f"[green]ok[/]: the drift raised {len(alerts)} alerts against the sync's own history.")
    return 0


def resolve_identities(engine: SyncEngine, sandbox: Any, root: Path) -> int:
    """Resolve every company and person in every system, check that HubSpot's twins of Salesforce's
    companies made no second Odoo company, and show the 360° view of a customer found in the most
    systems (at least five); returns the exit code."""
    from hub.cli.identity import print_view
    from hub.identity.customer import view, write_page
    from hub.identity.run import IdentityRun
    from hub.identity.store import IdentityStore

    out.print("\nResolving identities: every company and person in every system, in clusters ...")
    result = IdentityRun(engine, say=lambda _: None).run()
    rows = [
        (
            e.entity,
            f"{sum(e.read.values()):,}",
            ", ".join(sorted(e.read)),
            f"{e.clusters:,}",
            f"{e.in_several:,}",
        )
        for e in result.entities
    ]
    out.print(
        plain_table("Identity", ["entity", "records", "systems", "clusters", "in several systems"], rows)
    )
    filed = sum(result.activity.values())
    out.print(
        f"{filed:,} tickets, orders, invoices and list members filed under their customers; "
        f"{result.duration_s:.1f} s, {sum(result.api_calls.values()):,} API calls",
        markup=False,
        highlight=False,
    )
    twice, linked, pairs = twin_companies(engine.store, sandbox)
    out.print(
        f"HubSpot holds {pairs} of Salesforce's companies, typed differently: {linked} linked to the "
        f"Salesforce account's hub record; Odoo has {twice} of them twice.",
        markup=False,
        highlight=False,
    )
    identity = IdentityStore(engine.store)
    chosen = next(
        (
            (golden_id, systems)
            for golden_id, systems in identity.widest("account", 50)
            if systems >= 5 and identity.activity(accounts=[golden_id])
        ),
        None,
    )
    if chosen is None:
        out.print("[red]no customer is in five systems with orders or tickets[/]")
        return 1
    syncs = [name for name, spec in engine.project.syncs.items() if spec.entity == "account"]
    doc = view(engine.store, "account", chosen[0], syncs)
    doc["page"] = str(write_page(doc, root / ".hub" / "customers"))
    out.print("\nOne customer, everywhere (hub customer SEARCH shows any):")
    print_view(doc)
    if twice or linked != pairs:
        out.print(f"[red]twin companies: {pairs - linked} not linked, {twice} twice in Odoo[/]")
        return 1
    out.print(
        f"[green]ok[/]: {doc['name']} is one customer in {len(doc['systems'])} systems; no twin company "
        "is twice in Odoo."
    )
    return 0


def twin_companies(store: StateStore, sandbox: Any) -> tuple[int, int, int]:
    """Of HubSpot's twins of Salesforce's companies (the sandbox knows which): how many Odoo holds
    twice, how many share the Salesforce account's hub record, and how many there are."""
    pairs = {
        hs_id: sandbox.apps["salesforce"].seeded_accounts[index]
        for hs_id, index in sandbox.apps["hubspot"].twins.items()
    }
    hubspot = store.xrefs_by_external("account", "hubspot", list(pairs))
    salesforce = store.xrefs_by_external("account", "salesforce", list(pairs.values()))
    hubs = [x.hub_id for x in (*hubspot.values(), *salesforce.values())]
    in_odoo = store.xrefs_by_hub("account", "odoo", hubs)
    linked = twice = 0
    for hs_id, sf_id in pairs.items():
        ours, theirs = hubspot.get(hs_id), salesforce.get(sf_id)
        if ours is not None and theirs is not None and ours.hub_id == theirs.hub_id:
            linked += 1
        elif ours is not None and theirs is not None and ours.hub_id in in_odoo and theirs.hub_id in in_odoo:
            twice += 1
    return twice, linked, len(pairs)


def edit_in_odoo(sandbox: Any, store: StateStore) -> set[tuple[str, str, str]]:
    """Change a few records directly in Odoo, as a user would; returns (sync, hub_id, what) expected."""
    odoo = sandbox.apps["odoo"]
    partners = sorted(
        (r for r in odoo.records("res.partner") if r["x_hub_id"] and r["active"]), key=lambda r: r["id"]
    )
    from_salesforce = store.xrefs_by_hub("account", "salesforce", [r["x_hub_id"] for r in partners])
    company = next(r for r in partners if r["is_company"] and r["x_hub_id"] in from_salesforce)
    people = [r for r in partners if not r["is_company"]][:3]
    odoo.edit("res.partner", company["id"], {"name": company["name"] + " (renamed in Odoo)"})
    odoo.edit("res.partner", people[0]["id"], {"phone": "+33 1 40 20 50 50"})
    odoo.edit("res.partner", people[1]["id"], {"function": "Head of Everything"})
    odoo.edit("res.partner", people[2]["id"], {"active": False})  # archived: Odoo's delete
    out.print(
        f"\nEdited directly in Odoo: company {company['id']} renamed; contact {people[0]['id']} phone, "
        f"contact {people[1]['id']} job title; contact {people[2]['id']} archived."
    )
    return {
        ("crm_accounts_to_erp", company["x_hub_id"], "name"),
        ("crm_contacts_to_erp", people[0]["x_hub_id"], "phone"),
        ("crm_contacts_to_erp", people[1]["x_hub_id"], "title"),
        ("crm_contacts_to_erp", people[2]["x_hub_id"], "only_in_source"),
    }


def reconcile_all(engine: SyncEngine, names: list[str], reports: Path) -> set[tuple[str, str, str]]:
    """Reconcile every sync that has a reconcile section (nothing is in flight here: min_age 0);
    returns what the reports show."""
    reconciler = Reconciler(engine.project, engine.store, engine=engine)
    found, rows, index = set(), [], reports / "index.html"
    for name in [n for n in names if engine.project.syncs[n].reconcile is not None]:
        result = reconciler.run(name, min_age=timedelta(0))
        files, doc = reconciler.report(result, reports)
        index = files.index
        for key, field, _, _, kind in result.comparison.discrepancies():
            found.add((name, str(key), field if kind == "different" else KINDS[kind]))
        counts = doc["counts"]
        rows.append(
            (
                name,
                doc["status"],
                counts["matched"],
                counts["unequal"],
                counts["only_in_source"],
                counts["only_in_target"],
                counts["quarantined_in_source"],
                files.html.relative_to(reports.parent.parent),
            )
        )
    out.print(
        plain_table(
            "Reconciliation",
            [
                "sync",
                "status",
                "matched",
                "unequal",
                "only in source",
                "only in target",
                "quarantined",
                "report",
            ],
            rows,
        )
    )
    out.print(f"Index of every sync's latest report: {index}", markup=False, highlight=False)
    return found


def _check_reports(edits: set[tuple[str, str, str]], found: set[tuple[str, str, str]]) -> int:
    if edits == found:
        out.print(
            f"[green]ok[/]: the reports show exactly the {len(edits)} edits made in Odoo, and nothing else."
        )
        return 0
    out.print(
        f"[red]the reports differ from the edits[/]: missed {sorted(edits - found)}, "
        f"unexpected {sorted(found - edits)}"
    )
    return 1


def _show_quarantine(store: StateStore, state_url: str) -> None:
    rows = store.quarantined(limit=100_000)
    reasons = Counter(f"{e.get('field')}: {e.get('rule')}" for row in rows for e in row.errors)
    out.print(
        plain_table(
            f"Quarantined: {len(rows)} records, by reason", ["reason", "records"], reasons.most_common(8)
        )
    )
    for rule in ("format", "transform", "enum", "unresolved_reference"):
        sample = next((r for r in rows if any(e.get("rule") == rule for e in r.errors)), None)
        if sample is not None:
            error = next(e for e in sample.errors if e.get("rule") == rule)
            out.print(
                f"  {sample.system}:{sample.record_id} {error.get('field')}: {error.get('message')}",
                markup=False,
                highlight=False,
            )
    out.print(f"  all of them: hub quarantine list --state-url {state_url}", markup=False, highlight=False)


def _verdict(first: list[SyncResult], second: list[SyncResult]) -> int:
    written = sum(r.written("created") + r.written("updated") for r in second)
    failed = [r.sync for r in first + second if r.status == "failed"]
    if failed or written:
        out.print(f"[red]demo failed: failed runs {failed}, second run wrote {written} records[/]")
        return 1
    created = sum(r.written("created") for r in first)  # references brought over included
    updated = sum(r.written("updated") for r in first)
    out.print(
        f"[green]ok[/]: the first run created {created:,} records and updated {updated:,} it found already "
        f"there; the second run wrote nothing "
        f"({sum(sum(r.api_calls.values()) for r in second)} read calls, 0 writes)."
    )
    return 0
