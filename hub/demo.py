"""`hub demo` / `make demo`: the whole path on this machine, in under two minutes, leaving nothing running.

It starts the emulators, seeds Salesforce with accounts and contacts (about 1% of them deliberately
invalid), runs every shipped sync twice against a fresh state store, and shows what each run did:
the first run creates everything valid and quarantines the rest with reasons; the second writes
nothing at all.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

from connectors.registry import sandbox_class
from hub.console import BarProgress, out, plain_table, summary_table
from hub.project import Project
from hub.state import StateStore
from hub.sync import SyncEngine, SyncResult


def sync_order(project: Project) -> list[str]:
    """Every sync, those that others reference first."""
    ordered: list[str] = []

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in ordered or name in trail:
            return
        for other in project.syncs[name].references.values():
            if other in project.syncs:
                visit(other, (*trail, name))
        ordered.append(name)

    for name in sorted(project.syncs):
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
    out.print(
        f"Seeding the sandbox: {accounts:,} accounts and {contacts:,} contacts in Salesforce, "
        "an empty Odoo ..."
    )
    with sandbox_class().start(
        folder=folder, scale={"accounts": accounts, "contacts": contacts}, seed=seed
    ) as sandbox:
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
        store.close()
    return _verdict(first, second)


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
    written = sum(r.counts.created + r.counts.updated for r in second)
    failed = [r.sync for r in first + second if r.status == "failed"]
    if failed or written:
        out.print(f"[red]demo failed: failed runs {failed}, second run wrote {written} records[/]")
        return 1
    created = sum(r.counts.created for r in first)
    out.print(
        f"[green]ok[/]: the first run created {created:,} records in Odoo; the second run wrote "
        f"nothing ({sum(sum(r.api_calls.values()) for r in second)} read calls, 0 writes)."
    )
    return 0
