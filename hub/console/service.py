"""What the ops console shows and does, over the project's state store, engine and reports.

The web layer (`hub.console.web`) only renders this and checks who asks; everything here works on
plain values, so the same calls serve Airflow's API server (`hub.airflow.plugin`) and `hub console`.
Values that leave here for a browser pass `_shown`: secrets redacted, sensitive fields masked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hub.console import ActionRefused
from hub.engine.identity import value_at
from hub.errors import HubError
from hub.io.redact import redact
from hub.ops import actions
from hub.ops.alerts import listed
from hub.project.mapping import CompiledMapping
from hub.report.document import mask
from hub.state import StateStore

if TYPE_CHECKING:
    from hub.engine.sync import SyncEngine
    from hub.project.loading import Project

SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$")
REPORT_FILES = ("report.html", "report.json", "discrepancies.csv")


@dataclass(frozen=True)
class Outcome:
    """What an action did, as the page says it and the audit keeps it."""

    message: str
    action_id: int


def _seconds(run: Any) -> float | None:
    if not run.finished_at:
        return None
    try:
        return (
            datetime.fromisoformat(run.finished_at) - datetime.fromisoformat(run.started_at)
        ).total_seconds()
    except ValueError:
        return None


def _discrepancies(counts: Mapping[str, Any]) -> int:
    return sum(int(counts.get(k) or 0) for k in ("unequal", "only_in_source", "only_in_target"))


def _shown(value: Any, sensitive: bool = False) -> Any:
    """A value as the browser may see it: masked when sensitive, secrets redacted, recursively."""
    if isinstance(value, dict):
        return {k: _shown(v, sensitive) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v, sensitive) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if sensitive:
        return mask(value)
    return value if isinstance(value, (int, float)) else redact(str(value))


class ConsoleService:
    """The console's reads and actions for one project.

    `engine_for(sync)` gives a sync engine whose connections resolve where the console runs (Airflow's
    connections in the API server, the environment's under `hub console`); `reports` is the folder the
    reconciliation reports are written to."""

    def __init__(
        self,
        project: Project,
        store: StateStore,
        engine_for: Callable[[str], SyncEngine],
        reports: Path,
        airflow_url: str | None = None,
    ) -> None:
        self.project = project
        self.store = store
        self.engine_for = engine_for
        self.reports = reports
        self.airflow_url = airflow_url.rstrip("/") if airflow_url else None
        self._mappings: dict[str, CompiledMapping] = {}

    # Runs -------------------------------------------------------------------------------------
    def runs(self, sync: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Sync and reconciliation runs, newest first, with what they did and their Airflow run."""
        found = []
        for run in self.store.runs(sync, limit=limit):
            counts = run.counts or {}
            link = (run.details or {}).get("airflow") or {}
            found.append(
                {
                    "id": run.id,
                    "sync": run.sync,
                    "kind": run.kind,
                    "status": run.status,
                    "started_at": run.started_at,
                    "seconds": _seconds(run),
                    "read": int(counts.get("read") or 0),
                    "written": int(counts.get("created") or 0) + int(counts.get("updated") or 0),
                    "quarantined": int(counts.get("quarantined") or 0),
                    "failed": int(counts.get("failed") or 0),
                    "discrepancies": _discrepancies(counts),
                    "api_calls": sum(int(v) for v in (run.api_calls or {}).values()),
                    "error": redact(run.error) if run.error else None,
                    "airflow": self._dag_run_url(link),
                    "dag_run": link.get("run_id"),
                }
            )
        return found

    def _dag_run_url(self, link: Mapping[str, Any]) -> str | None:
        if not (self.airflow_url and link.get("dag_id") and link.get("run_id")):
            return None
        return (
            f"{self.airflow_url}/dags/{quote(link['dag_id'], safe='')}/runs/{quote(link['run_id'], safe='')}"
        )

    def sync_names(self) -> list[str]:
        return sorted(self.project.syncs)

    def alerts(self, sync: str | None = None) -> list[dict[str, Any]]:
        return [_shown(alert) for alert in listed(self.store, sync)]

    def history(self, sync: str | None = None, entries: Sequence[int] = ()) -> list[dict[str, Any]]:
        return [_shown(row) for row in actions.history(self.store, sync=sync, mentioning=entries)]

    # Quarantine -------------------------------------------------------------------------------
    def groups(self, search: str = "") -> list[actions.Group]:
        found = actions.groups(self.store, search[:200])
        for group in found:
            group.example = redact(group.example)
        return found

    def group(self, key: str) -> actions.Group:
        """One group of open entries (`actions.Group.key`); ActionRefused when none is open any more."""
        found = actions.group(self.store, key[:1000])
        if found is None:
            raise ActionRefused("that group has no open entries now")
        found.example = redact(found.example)
        return found

    def entry(self, entry_id: int) -> dict[str, Any]:
        """One entry: the source's values, the canonical record they map to now (with ops' overrides),
        the reasons, its overrides and the actions that touched it."""
        found = actions.entry(self.store, entry_id)
        if found is None:
            raise ActionRefused(f"no quarantine entry {entry_id}")
        spec = self.project.sync(found.sync) if found.sync in self.project.syncs else None
        sensitive = set((spec.reconcile or {}).get("sensitive") or []) if spec else set()
        source, canonical, problem = dict(found.record or {}), None, None
        hidden_source: set[str] | None = None  # None: not known, so every source value is hidden
        if spec is not None:
            with suppress(Exception):  # the page shows the record whatever its mapping says
                compiled = self._compiled(spec.source.mapping)
                hidden_source = {path.split(".")[0] for f in sensitive for path in compiled.inputs_of(f)}
                given, _ = actions.standing(
                    actions.active_overrides(self.store, found.sync, found.system).get(found.record_id, []),
                    source,
                )
                try:
                    canonical = compiled.to_canonical_given(source, self._references(compiled, found), given)
                except HubError as exc:
                    problem = redact(str(exc))
        return {
            "id": found.id,
            "sync": found.sync,
            "system": found.system,
            "object": found.object,
            "record_id": found.record_id,
            "stage": found.stage,
            "status": found.status,
            "attempts": found.attempts,
            "created_at": found.created_at,
            "updated_at": found.updated_at,
            "errors": [_shown(e) for e in found.errors],
            "source": {
                k: _shown(
                    v, k in sensitive or (bool(sensitive) if hidden_source is None else k in hidden_source)
                )
                for k, v in source.items()
            },
            "canonical": (
                {k: _shown(v, k in sensitive) for k, v in canonical.items()}
                if canonical is not None
                else None
            ),
            "mapping_problem": problem,
            "fields": self._fields(found.sync),
            "overrides": [
                _shown(o, o["field"] in sensitive) | {"field": o["field"]}
                for o in actions.overrides_of(self.store, found.sync, found.system, found.record_id)
            ],
            "history": self.history(found.sync, entries=[found.id]),
        }

    def _compiled(self, key: str) -> CompiledMapping:
        """A mapping compiled once for the console's pages (no connection needed)."""
        if key not in self._mappings:
            self._mappings[key] = CompiledMapping(self.project.mappings[key], self.project)
        return self._mappings[key]

    def _references(self, compiled: Any, found: Any) -> dict[str, dict[str, str]]:
        refs: dict[str, dict[str, str]] = {}
        record = found.record or {}
        for path, entity in compiled.inbound_refs():
            value = record.get(path)
            if value is not None:
                known = self.store.xrefs_by_external(entity, found.system, [str(value)])
                refs.setdefault(entity, {}).update({k: x.hub_id for k, x in known.items()})
        return refs

    def _fields(self, sync: str) -> list[str]:
        """The canonical fields an override may set: the entity's schema's properties."""
        if sync not in self.project.syncs:
            return []
        schema = self.project.validator(self.project.sync(sync).entity).schema
        return sorted(k for k in (schema.get("properties") or {}) if k != "hub_id")

    # Actions ----------------------------------------------------------------------------------
    def _open(self, ids: Sequence[int], verb: str) -> tuple[str, list[int]]:
        """The sync and ids of those of `ids` still open, all of one sync (ActionRefused otherwise)."""
        entries = self.store.quarantined(None, status="open", ids=list(ids)) if ids else []
        if not entries:
            raise ActionRefused(f"nothing to {verb}: those entries are no longer open")
        syncs = {e.sync for e in entries}
        if len(syncs) != 1:
            raise ActionRefused("entries of one sync at a time")
        return syncs.pop(), [e.id for e in entries]

    def retry(self, ids: Sequence[int], *, actor: str, reason: str, target: str) -> Outcome:
        """Run open entries again through their sync (after their cause was fixed); what came of it."""
        sync, wanted = self._open(ids, "retry")
        engine = self.engine_for(sync)
        try:
            result = engine.retry(sync, wanted)
        finally:
            if engine.store is not self.store:
                engine.store.close()
        message, action = actions.record_retry(
            self.store,
            sync=sync,
            wanted=wanted,
            status=result.status,
            run_id=result.run_id,
            actor=actor,
            reason=reason,
            target=target,
            origin="console",
        )
        return Outcome(message, action)

    def override(self, entry_id: int, path: str, text: str, *, actor: str, reason: str) -> Outcome:
        """Keep a corrected canonical value for the entry's record; the next run (or a retry) applies it."""
        found = actions.entry(self.store, entry_id)
        if found is None:
            raise ActionRefused(f"no quarantine entry {entry_id}")
        if found.status != "open":
            raise ActionRefused(f"entry {entry_id} is {found.status}, not open")
        fields = self._fields(found.sync)
        if path not in fields:
            raise ActionRefused(
                f"{path!r} is not a field of the canonical record; fields: {', '.join(fields)}"
            )
        if len(text) > 10_000:
            raise ActionRefused("the value is longer than 10,000 characters")
        value = _parsed(text)
        compiled = self._compiled(self.project.sync(found.sync).source.mapping)
        record = found.record or {}
        replaced = {source: value_at(record, source) for source in compiled.inputs_of(path)}
        override_id = actions.add_override(
            self.store, found, path, value, replaced, actor=actor, reason=reason
        )
        message = (
            f"{path} of {found.system}:{found.record_id} will be {json.dumps(value)} from the next run on, "
            f"while the source leaves {', '.join(replaced) or 'the record'} as it is"
        )
        action = actions.record(
            self.store,
            actor=actor,
            action="override",
            sync=found.sync,
            target=f"entry {entry_id} ({found.system}:{found.record_id})",
            reason=reason,
            outcome=message,
            detail={"entries": [entry_id], "override": override_id, "field": path},
        )
        return Outcome(message, action)

    def ignore(self, ids: Sequence[int], *, actor: str, reason: str, target: str) -> Outcome:
        sync, wanted = self._open(ids, "ignore")
        done = actions.ignore(self.store, wanted)
        message = f"{done} ignored: they stay set aside until their record changes"
        action = actions.record(
            self.store,
            actor=actor,
            action="ignore",
            sync=sync,
            target=target,
            reason=reason,
            outcome=message,
            detail={"entries": wanted},
        )
        return Outcome(message, action)

    # Reports ----------------------------------------------------------------------------------
    def reports_index(self) -> list[dict[str, Any]]:
        """The latest reconciliation report of each sync (`<reports>/<sync>/latest.json`)."""
        found = (_summary(p) for p in sorted(self.reports.glob("*/latest.json")) if self.reports.is_dir())
        return [doc for doc in found if doc is not None]

    def latest_report(self, sync: str) -> dict[str, Any]:
        """The latest report of one sync (`<reports>/<sync>/latest.json`)."""
        found = _summary(self.reports / sync / "latest.json") if SAFE_NAME.match(sync) else None
        if found is None:
            raise ActionRefused(f"no report of {sync!r} yet")
        return found

    def reports_of(self, sync: str) -> list[dict[str, Any]]:
        """Every report of one sync kept in the folder, newest first."""
        if not SAFE_NAME.match(sync):
            raise ActionRefused("not a sync")
        found = (_summary(p) for p in (self.reports / sync).glob("*/report.json"))
        return sorted((doc for doc in found if doc is not None), key=lambda r: -r["written"])

    def report_file(self, sync: str, run_id: str, name: str) -> Path:
        """One file of one report, by plain names only (nothing outside the reports' folder)."""
        if not (SAFE_NAME.match(sync) and SAFE_NAME.match(run_id) and name in REPORT_FILES):
            raise ActionRefused("not a report")
        path = self.reports / sync / run_id / name
        if not path.is_file():
            raise ActionRefused(f"no report {sync}/{run_id}/{name}")
        return path

    def heal(self, sync: str, *, actor: str, reason: str) -> Outcome:
        """Reconcile the sync again, healing what differs from the side of truth, and rewrite its report."""
        if sync not in self.project.syncs:
            raise ActionRefused(f"no sync {sync!r}")
        from hub.reconcile.engine import Reconciler

        engine = self.engine_for(sync)
        try:
            reconciler = Reconciler(engine.project, engine.store, engine=engine)
            result = reconciler.run(sync, heal_records=True)
            _, doc = reconciler.report(result, self.reports)
        finally:
            if engine.store is not self.store:
                engine.store.close()
        healed = doc.get("healed") or {}
        message = (
            f"healed {healed.get('records', 0)} records from {healed.get('from')} to {healed.get('to')}; "
            f"reconciliation {doc['status']}"
            if healed
            else f"nothing to heal; reconciliation {doc['status']}"
        )
        action = actions.record(
            self.store,
            actor=actor,
            action="heal",
            sync=sync,
            target=f"report {sync}",
            reason=reason,
            outcome=message,
            detail={"run_id": doc.get("run_id"), "healed": healed},
        )
        return Outcome(message, action)


def _summary(path: Path) -> dict[str, Any] | None:
    """What the console lists of one report (its JSON document), None when it cannot be read."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        counts = doc.get("counts") or {}
        written = path.stat().st_mtime
        return {
            "sync": doc["sync"],
            "status": doc["status"],
            "run_id": doc["run_id"],
            "matched": counts.get("matched", 0),
            "discrepancies": _discrepancies(counts),
            "html": f"{doc['sync']}/{doc['run_id']}/report.html",
            "written": written,
            "at": datetime.fromtimestamp(written).isoformat(timespec="seconds"),
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _parsed(text: str) -> Any:
    """A value as typed: JSON when it reads as JSON (numbers, true, null, objects), else the text."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return stripped
