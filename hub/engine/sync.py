"""Running syncs: `SyncEngine.sync`, `.plan` (writes nothing) and `.retry` (quarantined records).

A run takes the sync's lock, reads the source from the stored cursor minus the overlap window,
pushes every page through `PagePipeline`, propagates deletes in mirror mode, retries records that
were waiting for a reference which now exists, and records the outcome in the runs table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol
from uuid import uuid4

from connectors.registry import connector_class
from hub.engine.filters import filter_exit, reading_spec
from hub.engine.identity import Side, link_references
from hub.engine.pipeline import PagePipeline
from hub.engine.runcontext import Counts, RunContext
from hub.errors import ConfigError, HubError, LockError
from hub.io.connections import get_connection
from hub.io.connector import Connector, ObjectSpec
from hub.io.http import ApiCalls
from hub.io.records import ReadsAgain
from hub.io.redact import redact
from hub.project.loading import Endpoint, Project, SyncSpec
from hub.project.mapping import CompiledMapping
from hub.project.transforms import format_utc
from hub.state import PageCommit, QuarantineRow, StateStore

log = logging.getLogger("hub.sync")
Status = Literal["success", "partial", "failed"]
MAX_REFERENCE_DEPTH = 3
# Levels of one hierarchy (manager of a manager of …) brought over on demand in one run.
MAX_HIERARCHY_DEPTH = 12
RETRY_CHUNK = 500


class Progress(Protocol):
    """Where a run reports how far it got (the CLI draws a progress bar)."""

    def start(self, sync: str, total: int | None) -> None: ...

    def advance(self, records: int, total: int | None = None) -> None: ...


@dataclass(frozen=True)
class Forced:
    """Records to write regardless of change detection (healing)."""

    source_ids: list[str]
    forget_targets: set[str]


@dataclass
class SyncResult:
    """The outcome of a run, as `hub sync --json` prints it."""

    sync: str
    run_id: str
    status: Status
    counts: Counts
    api_calls: dict[str, int]
    duration_s: float
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def written(self, kind: Literal["created", "updated"]) -> int:
        """Records this run created (or updated), those brought over as references included."""
        brought = self.details.get("references", {}).values()
        return int(getattr(self.counts, kind)) + sum(int(c[kind]) for c in brought)

    def summary(self) -> dict[str, Any]:
        """Exactly the keys of the documented JSON summary."""
        return {
            "sync": self.sync,
            "run_id": self.run_id,
            "status": self.status,
            **self.counts.as_dict(),
            "api_calls": self.api_calls,
            "duration_s": round(self.duration_s, 3),
        }

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "success" else 1


def cursor_text(moment: datetime) -> str:
    return format_utc(moment)


class SyncEngine:
    """Runs the project's syncs against the state store."""

    def __init__(
        self,
        project: Project,
        store: StateStore,
        *,
        progress: Progress | None = None,
        connector_factory: Callable[[Endpoint, ApiCalls], Connector] | None = None,
    ) -> None:
        self.project, self.store, self.progress = project, store, progress
        self._factory = connector_factory or _connect
        self._compiled: dict[tuple[str, frozenset[str] | None], CompiledMapping] = {}

    # Public -----------------------------------------------------------------------------------
    def sync(self, name: str, *, full: bool = False) -> SyncResult:
        """Run a sync: incremental from the stored cursor, or everything with `full`."""
        return self._execute(name, kind="sync", full=full)

    def plan(self, name: str, *, full: bool = False) -> SyncResult:
        """What a sync would do now: reads both systems, writes nothing anywhere."""
        return self._execute(name, kind="plan", full=full)

    def retry(self, name: str, ids: Sequence[int] | None = None) -> SyncResult:
        """Run quarantined records of a sync again (all open ones, or the given entry ids)."""
        return self._execute(name, kind="retry", retry_ids=ids)

    def push(
        self, spec: SyncSpec, source_ids: Sequence[str], *, forget_targets: Sequence[str] = ()
    ) -> SyncResult:
        """Write these source records now, even when the hub believes the target already has them.

        Reconciliation heals with it: what it found different is rewritten; hub_ids in
        `forget_targets` are written as if the target had never had them (it lost them).
        """
        forced = Forced(list(source_ids), set(forget_targets))
        return self._execute(spec.name, kind="heal", spec=spec, forced=forced)

    # Run lifecycle ----------------------------------------------------------------------------
    def _execute(
        self,
        name: str,
        *,
        kind: str,
        full: bool = False,
        retry_ids: Sequence[int] | None = None,
        spec: SyncSpec | None = None,
        forced: Forced | None = None,
    ) -> SyncResult:
        spec = spec or self.spec(name)
        lock = None if kind == "plan" else self.store.locks.acquire(f"sync:{name}")
        try:
            return self._run(spec, kind, full, retry_ids, forced)
        finally:
            if lock is not None:
                lock.release()

    def _run(
        self,
        spec: SyncSpec,
        kind: str,
        full: bool,
        retry_ids: Sequence[int] | None,
        forced: Forced | None = None,
    ) -> SyncResult:
        dry_run, started = kind == "plan", time.monotonic()
        run_id = f"plan-{uuid4()}" if dry_run else self.store.start_run(spec.name, kind)
        calls, connectors = ApiCalls(), dict[Endpoint, Connector]()
        ctx: RunContext | None = None
        try:
            ctx = self._context(spec, run_id, calls, connectors, dry_run=dry_run, depth=0)
            if forced is not None:
                ctx.force, ctx.forget_targets = True, forced.forget_targets
                PagePipeline(ctx).run(ctx.source.fetch(ctx.src_obj, forced.source_ids), None, retry=True)
            else:
                self._work(ctx, kind, full, retry_ids)
            status: Status = "success" if ctx.counts.quarantined + ctx.counts.failed == 0 else "partial"
            error = None
        except ConfigError:
            self._finish(run_id, dry_run, "failed", ctx, calls, "configuration error")
            raise
        except Exception as exc:
            status, error = "failed", redact(_describe(exc))
            log.error("sync %s failed: %s", spec.name, error, exc_info=not isinstance(exc, HubError))
        finally:
            for connector in connectors.values():
                connector.close()
        details = self._finish(run_id, dry_run, status, ctx, calls, error)
        counts = ctx.counts if ctx else Counts()
        duration = time.monotonic() - started
        return SyncResult(spec.name, run_id, status, counts, calls.snapshot(), duration, error, details)

    def _finish(
        self,
        run_id: str,
        dry_run: bool,
        status: str,
        ctx: RunContext | None,
        calls: ApiCalls,
        error: str | None,
    ) -> dict[str, Any]:
        details = dict(ctx.details) if ctx else {}
        if ctx and ctx.conflicts:
            details["conflicts"] = ctx.conflicts
        if calls.retries():
            details["retries"] = calls.retries()
        if not dry_run:
            counts = ctx.counts.as_dict() if ctx else {}
            self.store.finish_run(run_id, status, counts, calls.snapshot(), details=details, error=error)
        return details

    def spec(self, name: str) -> SyncSpec:
        """A sync's definition, or ConfigError when it (or a file it uses) has problems."""
        spec = self.project.sync(name)
        problems = self.project.problems_for_sync(name)
        if problems:
            raise ConfigError(problems)
        return spec

    def _work(self, ctx: RunContext, kind: str, full: bool, retry_ids: Sequence[int] | None) -> None:
        pipeline = PagePipeline(ctx)
        if kind == "retry":
            self._retry_quarantined(ctx, pipeline, ids=retry_ids)
            return
        since = self._since(ctx, full)
        self._read(ctx, pipeline, since)
        if ctx.spec.mode == "mirror":
            self._mirror_deletes(ctx, since)
        if not ctx.dry_run:
            self._retry_quarantined(ctx, pipeline, waiting_only=True)

    def _since(self, ctx: RunContext, full: bool) -> datetime | None:
        stored = self.store.cursor(ctx.spec.name, ctx.spec.source.system, ctx.src_obj.name)
        if full or stored is None:
            return None
        return datetime.fromisoformat(stored).astimezone(UTC) - ctx.spec.overlap

    def _read(self, ctx: RunContext, pipeline: PagePipeline, since: datetime | None) -> None:
        page_size = ctx.spec.page_size or ctx.source.max_page
        if self.progress:
            self.progress.start(ctx.spec.name, ctx.source.count(ctx.src_obj, since))
        for page in ctx.source.read_changes(ctx.src_obj, since, min(page_size, ctx.source.max_page)):
            cursor = cursor_text(page.cursor) if page.cursor else None
            pipeline.run(page.records, cursor, unreadable=page.unreadable, covered=page.covered)
            if self.progress:
                self.progress.advance(len(page.records) + len(page.unreadable), page.total)

    # Building a run -------------------------------------------------------------------------
    def compiled(self, key: str, owned: frozenset[str] | None = None) -> CompiledMapping:
        """A mapping compiled once per engine (and per set of owned fields)."""
        if (key, owned) not in self._compiled:
            self._compiled[(key, owned)] = CompiledMapping(self.project.mappings[key], self.project, owned)
        return self._compiled[(key, owned)]

    def _owned(self, spec: SyncSpec) -> frozenset[str] | None:
        if spec.conflict.policy != "owners":
            return None
        fields = self.project.mappings[spec.target.mapping].fields
        return frozenset(
            f.canonical for f in fields if f.canonical and spec.conflict.owner(f.canonical) == "source"
        )

    def _context(
        self,
        spec: SyncSpec,
        run_id: str,
        calls: ApiCalls,
        connectors: dict[Endpoint, Connector],
        *,
        dry_run: bool,
        depth: int,
    ) -> RunContext:
        src_map, tgt_map = (
            self.compiled(spec.source.mapping),
            self.compiled(spec.target.mapping, self._owned(spec)),
        )
        for endpoint in (spec.source, spec.target):
            if endpoint not in connectors:
                connectors[endpoint] = self.connect(endpoint, calls)
        src_obj = object_spec(src_map)
        leaving = filter_exit(spec, src_obj)
        ctx = RunContext(
            spec=spec,
            store=self.store,
            run_id=run_id,
            dry_run=dry_run,
            source=connectors[spec.source],
            target=connectors[spec.target],
            src_map=src_map,
            tgt_map=tgt_map,
            src_obj=reading_spec(src_obj) if leaving else src_obj,
            tgt_obj=object_spec(tgt_map, spec.batch_size),
            validator=self.project.validator(spec.entity),
            match_rules=self.match_rules(spec),
            seen_digest=self._seen_digest(spec),
            filter_exit=leaving,
        )
        ctx.bring = lambda entity, ids: self._bring(ctx, connectors, depth, entity, ids)
        ctx.link = lambda entity, ids: self._link(ctx, entity, ids)
        return ctx

    def connect(self, endpoint: Endpoint, calls: ApiCalls) -> Connector:
        """A connector for one side of a sync (through the registry, or the test's factory)."""
        return self._factory(endpoint, calls)

    def match_rules(self, spec: SyncSpec) -> list[list[str]]:
        """The sync's match rules, or the entity's default `x-match`."""
        if spec.match is not None:
            return spec.match
        schema = self.project.entity_schema(spec.entity) or {}
        return [list(rule) for rule in schema.get("x-match", [])]

    def _seen_digest(self, spec: SyncSpec) -> Callable[[dict[str, Any]], str] | None:
        """For a bidirectional pair: the digest the reverse sync compares against (echo suppression)."""
        for other in self.project.syncs.values():
            if (other.entity, other.source.system, other.target.system) == (
                spec.entity,
                spec.target.system,
                spec.source.system,
            ):
                return self.compiled(other.target.mapping, self._owned(other)).digest
        return None

    # References on demand -------------------------------------------------------------------
    def _bring(
        self,
        parent: RunContext,
        connectors: dict[Endpoint, Connector],
        depth: int,
        entity: str,
        source_ids: list[str],
    ) -> dict[str, str]:
        """Sync the referenced records over first, through the sync the references section names.

        Returns source id → hub_id of the records that reached the target (would, in a plan).
        """
        name = parent.spec.references[entity]
        own = name == parent.spec.name  # a hierarchy (an employee's manager): this run holds the lock
        if depth >= (MAX_HIERARCHY_DEPTH if own else MAX_REFERENCE_DEPTH):
            return {}
        try:
            lock = None if parent.dry_run or own else self.store.locks.acquire(f"sync:{name}")
        except LockError as exc:
            log.warning("cannot bring %s references now: %s", entity, exc)
            return {}
        try:
            ctx = self._context(
                self.spec(name),
                parent.run_id,
                parent.source.calls,
                connectors,
                dry_run=parent.dry_run,
                depth=depth + 1,
            )
            pipeline = PagePipeline(ctx)
            pipeline.run(ctx.source.fetch(ctx.src_obj, source_ids), cursor=None)
        finally:
            if lock is not None:
                lock.release()
        _add_references(parent.details, {name: ctx.counts.as_dict()})
        _add_references(parent.details, ctx.details.get("references", {}))  # their own, deeper down
        return pipeline.written

    def _link(self, parent: RunContext, entity: str, source_ids: list[str]) -> dict[str, str]:
        """Referenced records with no cross-reference, linked by the sync's reference_match keys."""
        spec = parent.spec
        sides = []
        for endpoint, connector in ((spec.source, parent.source), (spec.target, parent.target)):
            (mapping,) = self.project.mappings_of(endpoint.system, entity)  # one: `hub validate` checks
            compiled = self.compiled(mapping.key)
            sides.append(Side(endpoint.system, connector, object_spec(compiled), compiled.system_field_of))
        return link_references(
            self.store,
            entity,
            spec.reference_match[entity],
            source_ids,
            sides[0],
            sides[1],
            dry_run=parent.dry_run,
        )

    # Quarantine -----------------------------------------------------------------------------
    def _retry_quarantined(
        self,
        ctx: RunContext,
        pipeline: PagePipeline,
        *,
        ids: Sequence[int] | None = None,
        waiting_only: bool = False,
    ) -> None:
        """Run quarantined records again: fetched by id, or, for records the source could not read
        (stage "read"), by reading their places again. After a read, only those waiting for a
        reference that now exists, and unreadable ones whose place the read went through and did not
        find again (fixed or removed)."""
        entries = self.store.quarantined(ctx.spec.name, ids=ids)
        source = ctx.spec.source.system
        if waiting_only:
            entries = [  # not those this very run just set aside
                e
                for e in entries
                if e.stage == "reference" and e.run_id != ctx.run_id and self._references_ready(ctx, e.errors)
            ]
            unread = pipeline.stale_reads()
        else:
            unread = [e for e in entries if e.stage == "read" and e.system == source]
        wanted = [e.record_id for e in entries if e.system == source and e.stage != "read"]
        found: set[str] = set()
        for start in range(0, len(wanted), RETRY_CHUNK):
            records = ctx.source.fetch(ctx.src_obj, wanted[start : start + RETRY_CHUNK])
            found |= {ctx.source.record_id(ctx.src_obj, r) for r in records}
            pipeline.run(records, cursor=None, retry=True)
        gone = [i for i in wanted if i not in found] + self._read_again(ctx, pipeline, unread)
        if gone:
            self.store.mark_gone(ctx.spec.name, source, gone)
        retried = len(wanted) + len(unread)
        ctx.details.update({"retried": retried, "gone": len(gone)} if retried else {})

    def _read_again(self, ctx: RunContext, pipeline: PagePipeline, entries: list[QuarantineRow]) -> list[str]:
        """Read the places (files) of unreadable records again, in full: an entry whose record reads
        now is resolved and the place's records processed; one still unreadable stays. Returns the
        ids of entries whose place is gone."""
        place_of = {e.record_id: str((e.record or {}).get("place") or "") for e in entries}
        places = [place for place in dict.fromkeys(place_of.values()) if place]
        if not places:
            return []
        if not isinstance(ctx.source, ReadsAgain):
            log.warning(
                "%s cannot read places again: %d unreadable records stay", ctx.source.system, len(entries)
            )
            return []
        covered: set[str] = set()
        for page in ctx.source.read_again(ctx.src_obj, places):
            pipeline.run(page.records, None, unreadable=page.unreadable, covered=page.covered, again=True)
            covered.update(page.covered)
        missing = set(places) - covered
        return [record_id for record_id, place in place_of.items() if place in missing]

    def _references_ready(self, ctx: RunContext, errors: list[dict[str, Any]]) -> bool:
        for error in errors:
            entity, value = error.get("entity"), error.get("value")
            if not entity or value is None:
                return False
            if entity in ctx.spec.reference_match:  # may match by now: linking decides, on retry
                continue
            source = self.store.xrefs_by_external(entity, ctx.spec.source.system, [str(value)])
            if not source or not self.store.xrefs_by_hub(
                entity, ctx.spec.target.system, [source[str(value)].hub_id]
            ):
                return False
        return True

    # Mirror ---------------------------------------------------------------------------------
    def _mirror_deletes(self, ctx: RunContext, since: datetime | None) -> None:
        entity, key = ctx.spec.entity, f"{ctx.src_obj.name}#deletes"
        stored = self.store.cursor(ctx.spec.name, ctx.spec.source.system, key)
        start = datetime.fromisoformat(stored) if stored else since
        deleted, covered = ctx.source.read_deletes(ctx.src_obj, start)
        hub_ids = {
            x.hub_id: k
            for k, x in self.store.xrefs_by_external(entity, ctx.spec.source.system, deleted).items()
        }
        targets = [
            x
            for x in self.store.xrefs_by_hub(entity, ctx.spec.target.system, hub_ids).values()
            if not x.deleted
        ]
        ctx.details["deleted"] = len(targets)
        if ctx.dry_run:
            return
        if targets:
            results = ctx.target.delete(ctx.tgt_obj, [x.external_id for x in targets])
            done = [x for x, r in zip(targets, results, strict=True) if r.ok]
            self.store.mark_deleted(entity, ctx.spec.target.system, [x.external_id for x in done])
            self.store.mark_deleted(entity, ctx.spec.source.system, [hub_ids[x.hub_id] for x in done])
            ctx.details["deleted"] = len(done)
        if covered is not None:
            self.store.commit_page(
                PageCommit(
                    ctx.spec.name, ctx.run_id, cursor=(ctx.spec.source.system, key, cursor_text(covered))
                )
            )


def object_spec(compiled: CompiledMapping, batch_size: int | None = None) -> ObjectSpec:
    """The connector's view of a mapping's object (with the sync's batch size, when it sets one)."""
    spec = compiled.spec
    options = {**spec.options, "batch_size": batch_size} if batch_size else spec.options
    return ObjectSpec(
        name=spec.object,
        fields=tuple(compiled.read_fields),
        primary_key=spec.primary_key,
        cursor_field=spec.cursor_field,
        external_id_field=spec.external_id_field,
        filter=spec.filter,
        options=options,
    )


def _connect(endpoint: Endpoint, calls: ApiCalls) -> Connector:
    cls = connector_class(endpoint.system)
    return cls(get_connection(endpoint.connection), calls=calls)


def _describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, HubError) else f"{type(exc).__name__}: {exc}"


def _add_references(details: dict[str, Any], brought: dict[str, dict[str, int]]) -> None:
    """Add what was brought over (by sync name) to a run's details, deeper levels included: a
    manager's manager, brought while bringing the manager, counts in the run that needed them."""
    totals = details.setdefault("references", {})
    for name, counts in brought.items():
        mine = totals.setdefault(name, Counts().as_dict())
        for key, value in counts.items():
            mine[key] += value
