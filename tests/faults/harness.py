"""Run a sync through fault proxies until it settles, and compare its target with a clean run's.

Shared by tests/faults/test_faults.py and bench/faults.py. A `FaultySandbox` starts the source's and
the target's emulators with a `FaultProxy` in front of each, and gives the connections that reach
them through the proxies. `settle` runs the sync again and again (each run after every held request
has landed) until a run ends without an error and leaves in quarantine only what a clean run leaves
(records the target refuses); `target_records` is what the target then holds, by source record id.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from connectors.emulators.sandbox import Sandbox
from connectors.emulators.tls import ensure_tls_files
from hub.engine import quarantine
from hub.engine.sync import SyncEngine
from hub.io.http import HubSession
from hub.project.loading import Project
from hub.state import StateStore
from tests.faults.proxy import FAULT_KINDS, FaultProxy

ROOT = Path(__file__).resolve().parents[2]
SCALE = {"accounts": 60, "contacts": 300}
SYNCS: dict[str, tuple[str, str]] = {
    "crm_accounts_to_erp": ("salesforce", "odoo"),
    "hubspot_companies_to_erp": ("hubspot", "odoo"),
    "crm_accounts_to_helpdesk": ("salesforce", "zendesk"),
}
"""The syncs under test, with their source and target systems."""
READ_TIMEOUT = 1.0
"""The hub's read timeout in these runs (seconds): `late` answers come after it, `slow` ones before."""
LATE_S = 1.5
SLOW_S = 0.3
FAST_RETRIES = {"retry_base_delay": 0.01, "retry_max_delay": 0.05}
SMALL_PAGES = "page_size: 10\nbatch_size: 5\n"
"""Many small pages and writes, so one run sends many requests for the faults to fall on."""


def small_page_project(folder: Path) -> Path:
    """The shipped project with the syncs under test reading 10 records a page and writing 5 a call."""
    root = folder / "project"
    for name in ("schemas", "mappings"):
        shutil.copytree(ROOT / name, root / name, dirs_exist_ok=True)
    for sync in SYNCS:
        path = root / "mappings" / "syncs" / f"{sync}.yaml"
        path.write_text(path.read_text() + SMALL_PAGES)
    return root


def hub_id_field(target: str) -> tuple[str, str]:
    """The target's kind of record and the field that keeps the hub id."""
    return {"odoo": ("res.partner", "x_hub_id"), "zendesk": ("organizations", "external_id")}[target]


@dataclass
class FaultySandbox:
    """A source and a target emulator, each behind its own fault proxy."""

    sandbox: Sandbox
    proxies: dict[str, FaultProxy]

    @classmethod
    def start(
        cls, folder: Path, systems: tuple[str, str], *, seed: int = 5, scale: dict[str, int] | None = None
    ) -> FaultySandbox:
        sandbox = Sandbox.start(folder=folder, scale=scale or SCALE, seed=seed, systems=list(systems))
        tls = ensure_tls_files(folder / "tls")
        proxies: dict[str, FaultProxy] = {}
        try:
            for offset, system in enumerate(systems):
                server = sandbox.servers[system]
                proxies[system] = FaultProxy(
                    server.url,
                    seed=seed + offset,
                    tls=tls if server.tls else None,
                    slow_s=SLOW_S,
                    late_s=LATE_S,
                ).start()
        except BaseException:
            sandbox.stop()
            raise
        return cls(sandbox, proxies)

    def configure(self, rate: float, kinds: tuple[str, ...] = FAULT_KINDS) -> None:
        for proxy in self.proxies.values():
            proxy.configure(rate, kinds)

    def drain(self) -> None:
        """Wait until every held request has reached its emulator (the settle time, in short)."""
        for proxy in self.proxies.values():
            proxy.drain()

    def injected(self) -> Counter[str]:
        return sum((p.injected for p in self.proxies.values()), Counter())

    def environment(self) -> dict[str, str]:
        """AIRFLOW_CONN_* variables reaching the emulators through the proxies, with quick retries."""
        env: dict[str, str] = {}
        for system, proxy in self.proxies.items():
            app, server = self.sandbox.apps[system], self.sandbox.servers[system]
            spec = app.connection(proxy.url, self.sandbox.ca_bundle if server.tls else None)
            spec.setdefault("extra", {}).update(FAST_RETRIES)
            env[f"AIRFLOW_CONN_{self.sandbox.conn_ids[system].upper()}"] = json.dumps(spec)
        return env

    def stop(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()
        self.sandbox.stop()


@contextmanager
def short_read_timeout(read_s: float = READ_TIMEOUT) -> Iterator[None]:
    """Every HubSession made meanwhile gives up reading an answer after `read_s`: connections have no
    `timeout` extra, so the default (10 s to connect, 120 s to read) is replaced here."""
    original = HubSession.__init__

    def init(self: HubSession, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.timeout = (2.0, read_s)

    HubSession.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        HubSession.__init__ = original  # type: ignore[method-assign]


@contextmanager
def outcome_settle(delay: timedelta = timedelta(0)) -> Iterator[None]:
    """Lost creates are looked for again after `delay` instead of ten minutes (`drain` stands for the
    wait: every held request has landed before the next run)."""
    original = quarantine.OUTCOME_SETTLE
    quarantine.OUTCOME_SETTLE = delay
    try:
        yield
    finally:
        quarantine.OUTCOME_SETTLE = original


@dataclass
class Settled:
    """How a sync under faults settled."""

    runs: int
    wall_s: float
    settled: bool
    target: Counter[str]
    unlinked: int
    injected: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def open_quarantine(store: StateStore, sync: str) -> set[tuple[str, str]]:
    return {(q.record_id, q.stage) for q in store.quarantined(sync)}


def target_records(sandbox: Sandbox, store: StateStore, sync: str) -> tuple[Counter[str], int]:
    """The target's records written by the hub, counted by the source record each stands for, and how
    many hold a hub id the state store does not know (written, then forgotten)."""
    source, target = SYNCS[sync]
    kind, hub_field = hub_id_field(target)
    rows = [r for r in sandbox.apps[target].records(kind) if r.get(hub_field)]  # type: ignore[attr-defined]
    hub_ids = [str(r[hub_field]) for r in rows]
    xrefs = store.xrefs_by_hub("account", source, hub_ids)
    by_source = Counter(xrefs[h].external_id for h in hub_ids if h in xrefs)
    return by_source, sum(1 for h in hub_ids if h not in xrefs)


def settle(
    faulty: FaultySandbox,
    store: StateStore,
    sync: str,
    project: Path,
    *,
    expected_quarantine: set[tuple[str, str]] | None,
    max_runs: int = 8,
    run: Callable[[], object] | None = None,
) -> Settled:
    """Run `sync` until a run ends without an error and leaves `expected_quarantine` open (None: the
    first run that ends without an error), at most `max_runs` times."""
    engine = SyncEngine(Project.load(project), store)
    started, errors = time.perf_counter(), []
    runs, done = 0, False
    while runs < max_runs and not done:
        runs += 1
        try:
            (run or (lambda: engine.sync(sync)))()
        except Exception as exc:  # a run that fails is run again: that is what settling means
            errors.append(f"{type(exc).__name__}: {exc}")
            faulty.drain()
            continue
        faulty.drain()
        done = expected_quarantine is None or open_quarantine(store, sync) == expected_quarantine
    wall = time.perf_counter() - started
    target, unlinked = target_records(faulty.sandbox, store, sync)
    return Settled(runs, wall, done, target, unlinked, faulty.injected(), errors)


def run_case(
    folder: Path,
    sync: str,
    rate: float,
    kinds: tuple[str, ...],
    *,
    max_runs: int = 8,
    seed: int = 5,
    scale: dict[str, int] | None = None,
) -> tuple[Settled, Settled]:
    """A clean run of `sync` and one under `kinds` of faults at `rate`, each on a fresh sandbox."""
    systems, project = SYNCS[sync], small_page_project(folder)
    outcomes: list[Settled] = []
    expected: set[tuple[str, str]] | None = None
    for name, faulty_rate in (("clean", 0.0), ("faulty", rate)):
        faulty = FaultySandbox.start(folder / name, systems, seed=seed, scale=scale)
        store = StateStore(f"sqlite:///{folder / name / 'state.db'}")
        try:
            with _environment(faulty.environment()), short_read_timeout(), outcome_settle():
                faulty.configure(faulty_rate, kinds)
                outcomes.append(
                    settle(faulty, store, sync, project, expected_quarantine=expected, max_runs=max_runs)
                )
                expected = open_quarantine(store, sync) if expected is None else expected
        finally:
            store.close()
            faulty.stop()
    return outcomes[0], outcomes[1]


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
