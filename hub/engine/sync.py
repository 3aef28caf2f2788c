"""Running syncs: `SyncEngine.sync`, `.plan` (writes nothing), `.retry` (quarantined records) and
`.push` (records a reconciliation heals).

A run takes the sync's lock, reads the source from the stored cursor minus the overlap window,
pushes every page through `PagePipeline` (with a `ReferenceResolver` for what its records refer to),
propagates deletes in mirror mode, retries records that were waiting for a reference which now
exists (`hub.engine.quarantine`), and records the outcome in the runs table.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol
from uuid import uuid4

from connectors.registry import connector_class
from hub.engine.filters import filter_exit, reading_spec
from hub.engine.pipeline import Counts, PagePipeline, RunContext, Shard
from hub.engine.quarantine import retry_quarantined
from hub.engine.references import ReferenceResolver
from hub.errors import ConfigError, HubError, QuotaExhausted
from hub.io.connections import get_connection
from hub.io.connector import Connector, ObjectSpec
from hub.io.http import ApiCalls
from hub.io.redact import redact
from hub.ops.actions import active_overrides
from hub.ops.alerts import check_run
from hub.project.codegen import GeneratedCode
from hub.project.loading import Endpoint, Project, SyncSpec
from hub.project.mapping import CompiledMapping
from hub.project.schemapaths import canonical_paths
from hub.project.transforms import format_utc
from hub.state import PageCommit, RunKind, RunStatus, StateStore, interrupted_by
from hub.state.locks import Lock

log = logging.getLogger("hub.sync")
Status = Literal["success", "partial", "failed"]


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

    def __init__(self, project: Project, store: StateStore, *, progress: Progress | None = None) -> None:
        self.project, self.store, self.progress = project, store, progress
        self._compiled: dict[tuple[str, frozenset[str] | None], CompiledMapping] = {}
        self._adopted = False

    def adopt_instances(self) -> None:
        """Once per engine: a system the project reaches through one connection only, not its
        default one, takes over the state a store kept under the bare system before instances
        (`StateStore.adopt_instances`)."""
        if self._adopted:
            return
        self._adopted = True
        by_system: dict[str, set[str]] = {}
        for spec in self.project.syncs.values():
            for endpoint in (spec.source, spec.target):
                by_system.setdefault(endpoint.system, set()).add(endpoint.instance)
        lone = {next(iter(keys)): system for system, keys in by_system.items() if len(keys) == 1}
        for instance in self.store.adopt_instances({k: v for k, v in lone.items() if k != v}):
            log.warning(
                "state kept under %s before system instances now belongs to %s", lone[instance], instance
            )

    # Public -----------------------------------------------------------------------------------
    def sync(self, name: str, *, full: bool = False, shard: Shard | None = None) -> SyncResult:
        """Run a sync: incremental from the stored cursor, or everything with `full`; with `shard`,
        one part of a backfill (always a full read; `finish_backfill` ends it)."""
        return self._execute(name, kind="sync", full=full or shard is not None, shard=shard)

    def finish_backfill(self, name: str, count: int) -> SyncResult:
        """End a backfill of `count` shards once all are done: the sync's cursor becomes the earliest
        any shard reached, and one ordinary run reads what changed meanwhile and retries what waited
        (HubError naming the shards not done, and nothing changes, otherwise)."""
        spec = self.spec(name)
        lock = self.store.locks.acquire(f"sync:{name}")
        try:
            cursor, missing = self.store.settle_shards(
                name, spec.source.instance, self.compiled(spec.source.mapping).object_spec().name, count
            )
        finally:
            lock.release()
        if missing:
            shown = ", ".join(f"{i}/{count}" for i in missing)
            raise HubError(f"{name}: backfill shards {shown} have not finished; run them (again) first")
        log.info("%s: backfill of %d shards settled at %s", name, count, cursor or "no cursor")
        result = self.sync(name)
        waiting = [q.id for q in self.store.quarantined(name) if q.stage == "reference"]
        if waiting:  # what a shard could not bring while its siblings held the referenced sync
            retried = self.retry(name, waiting)
            result.details["references_retried"] = retried.summary()
            result.counts.created += retried.counts.created
            result.counts.updated += retried.counts.updated
        return result

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
        kind: RunKind,
        full: bool = False,
        retry_ids: Sequence[int] | None = None,
        spec: SyncSpec | None = None,
        forced: Forced | None = None,
        shard: Shard | None = None,
    ) -> SyncResult:
        spec = spec or self.spec(name)
        held = f"sync:{name}" if shard is None else f"sync:{name}#shard{shard}"
        lock = None if kind == "plan" else self.store.locks.acquire(held)
        if kind != "plan":  # a plan writes nothing anywhere, the state store included
            self.adopt_instances()
        try:
            return self._run(spec, kind, full, retry_ids, forced, lock, shard)
        finally:
            if lock is not None:
                lock.release()

    def _run(
        self,
        spec: SyncSpec,
        kind: RunKind,
        full: bool,
        retry_ids: Sequence[int] | None,
        forced: Forced | None = None,
        lock: Lock | None = None,
        shard: Shard | None = None,
    ) -> SyncResult:
        dry_run, started = kind == "plan", time.monotonic()
        run_id = f"plan-{uuid4()}" if dry_run else self.store.start_run(spec.name, kind, lock=lock)
        calls, connectors = ApiCalls(), dict[Endpoint, Connector]()
        ctx: RunContext | None = None
        try:
            ctx = self.context(spec, run_id, calls, connectors, dry_run)
            ctx.shard = None if shard is None else self._windowed(ctx, shard)
            pipeline = self.pipeline(ctx, connectors, depth=0)
            if forced is not None:
                ctx.force, ctx.forget_targets = True, forced.forget_targets
                pipeline.run(ctx.source.fetch(ctx.src_obj, forced.source_ids), None, retry=True)
            else:
                self._work(ctx, pipeline, kind, full, retry_ids)
            status: Status = "success" if ctx.counts.quarantined + ctx.counts.failed == 0 else "partial"
            error = None
        except ConfigError:
            self._finish(run_id, dry_run, "failed", ctx, calls, "configuration error")
            raise
        except Exception as exc:
            status, error = "failed", redact(_describe(exc))
            if isinstance(exc, QuotaExhausted) and ctx is not None:  # the task must not retry into it
                resets = exc.resets_at.isoformat() if exc.resets_at else None
                ctx.details["budget_spent"] = {"system": exc.system, "resets_at": resets}
            log.error("sync %s failed: %s", spec.name, error, exc_info=not isinstance(exc, HubError))
        except BaseException as exc:  # Ctrl-C, SIGTERM, Airflow stopping the task: pages committed stay
            self._finish(run_id, dry_run, "interrupted", ctx, calls, interrupted_by(exc))
            raise
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
        status: RunStatus,
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
            drifted = check_run(self.store, run_id)
            if drifted:
                details["alerts"] = [d.as_dict() for d in drifted]
        return details

    def spec(self, name: str) -> SyncSpec:
        """A sync's definition, or ConfigError when it (or a file it uses) has problems."""
        spec = self.project.sync(name)
        problems = self.project.problems_for_sync(name)
        if problems:
            raise ConfigError(problems)
        return spec

    def _work(
        self,
        ctx: RunContext,
        pipeline: PagePipeline,
        kind: RunKind,
        full: bool,
        retry_ids: Sequence[int] | None,
    ) -> None:
        if kind == "retry":
            retry_quarantined(ctx, pipeline, ids=retry_ids)
            return
        since = self._since(ctx, full)
        self._read(ctx, pipeline, since)
        if ctx.shard is not None:  # the other shards' records are not its to delete or retry
            ctx.details["shard"] = str(ctx.shard)
            if not ctx.dry_run:
                obj = ctx.src_obj.name
                end = ctx.shard.windows_end
                ctx.store.mark_shard_done(
                    ctx.spec.name,
                    ctx.spec.source.instance,
                    ctx.cursor_key,
                    ctx.shard.done_key(obj),
                    reached=None if end is None else format_utc(end),
                )
            return
        if ctx.spec.mode == "mirror":
            self._mirror_deletes(ctx, since)
        if not ctx.dry_run:
            retry_quarantined(ctx, pipeline, waiting_only=True)

    def _windowed(self, ctx: RunContext, shard: Shard) -> Shard:
        """A backfill's part with its time window, where the source reads windows: the backfill's
        plan (`StateStore.plan_windows`), made by the first part to start and kept for the others
        and for a part run again. A plan splits the time from the source's oldest change to the
        moment it was made into equal windows; a record changed since is read by no part but by
        the run that finishes the backfill."""
        if ctx.source.shard_mode(ctx.src_obj) != "window":
            return shard
        where = (ctx.spec.name, ctx.spec.source.instance, ctx.src_obj.name)
        plan = ctx.store.planned_windows(*where, shard.count)
        if plan is None:  # the first part to start: it proposes, and the first proposal stored stands
            end = datetime.now(UTC).replace(microsecond=0)
            start = min(self._oldest_change(ctx) or end, end)
            step = (end - start) / shard.count
            bounds = [format_utc((start + step * k).replace(microsecond=0)) for k in range(1, shard.count)]
            plan = ctx.store.plan_windows(*where, ["", *bounds, format_utc(end)])
        moments = [datetime.fromisoformat(b.replace("Z", "+00:00")) if b else None for b in plan]
        until = moments[shard.index + 1]
        assert until is not None and moments[-1] is not None
        log.info(
            "%s: shard %s reads the changes from %s to %s",
            ctx.spec.name,
            shard,
            plan[shard.index] or "the start",
            plan[shard.index + 1],
        )
        return replace(shard, window=(moments[shard.index], until), windows_end=moments[-1])

    @staticmethod
    def _oldest_change(ctx: RunContext) -> datetime | None:
        """When the source's oldest record changed: the cursor of the first page of one record that
        has one (records oldest first; a few without a time may come first)."""
        pages = ctx.source.read_changes(ctx.src_obj, None, 1)
        try:
            for _, page in zip(range(100), pages, strict=False):
                if page.cursor is not None:
                    return page.cursor.astimezone(UTC)
            return None
        finally:
            close = getattr(pages, "close", None)  # a generator: its request or statement ends here
            if close is not None:
                close()

    def _since(self, ctx: RunContext, full: bool) -> datetime | None:
        stored = self.store.cursor(ctx.spec.name, ctx.spec.source.instance, ctx.src_obj.name)
        if full or stored is None:
            return None
        return datetime.fromisoformat(stored).astimezone(UTC) - ctx.spec.overlap

    def _read(self, ctx: RunContext, pipeline: PagePipeline, since: datetime | None) -> None:
        page_size = ctx.spec.page_size or ctx.source.max_page
        shard = ctx.shard
        obj = ctx.src_obj
        if shard is not None and shard.window is not None:  # its own time window alone
            since, until = shard.window
            obj = replace(obj, until=until)
        elif shard is not None:
            obj = replace(obj, shard=(shard.index, shard.count))
        if self.progress:
            self.progress.start(ctx.spec.name, ctx.source.count(obj, since))
        overlap = overlaps(ctx)
        if overlap:
            pipeline.start_overlap()
        clock = time.perf_counter()
        try:
            for page in ctx.source.read_changes(obj, since, min(page_size, ctx.source.max_page)):
                pipeline.seconds["read"] += time.perf_counter() - clock
                cursor = cursor_text(page.cursor) if page.cursor else None
                records, unreadable, covered = page.records, page.unreadable, page.covered
                if shard is not None and shard.window is None:
                    # its own records only; the places it read settle nothing of others'
                    records = [r for r in records if shard.owns(ctx.source.record_id(ctx.src_obj, r))]
                    unreadable, covered = [u for u in unreadable if shard.owns(u.record_id)], []
                if overlap:
                    pipeline.run_overlapped(records, cursor, unreadable=unreadable, covered=covered)
                else:
                    pipeline.run(records, cursor, unreadable=unreadable, covered=covered)
                if self.progress:
                    self.progress.advance(len(page.records) + len(page.unreadable), page.total)
                clock = time.perf_counter()
        finally:
            # the page in flight lands or fails before anything closes (its failure raised unless
            # another is on its way already); its stages count too
            pipeline.end_overlap(raising=sys.exc_info()[0] is None)
            ctx.details["stages"] = pipeline.stages()

    # Building a run -------------------------------------------------------------------------
    def compiled(self, key: str, owned: frozenset[str] | None = None) -> CompiledMapping:
        """A mapping compiled once per engine (and per set of owned fields)."""
        if (key, owned) not in self._compiled:
            self._compiled[(key, owned)] = CompiledMapping(self.project.mappings[key], self.project, owned)
        return self._compiled[(key, owned)]

    def _owned(self, spec: SyncSpec) -> frozenset[str] | None:
        return owned_fields(self.project, spec)

    def generated(self, name: str) -> list[tuple[str, GeneratedCode]]:
        """The code a run of the sync executes for each record, with the part each plays, in the order
        a record meets it: the source's inbound mapping, the entity's validator, the target's digest
        and outbound mapping, and, for a bidirectional pair, the digest the reverse sync compares."""
        spec = self.spec(name)
        source = self.compiled(spec.source.mapping)
        target = self.compiled(spec.target.mapping, self._owned(spec))
        validator = self.project.validator(spec.entity).generated
        found = [(f"{spec.source.system} record -> canonical {spec.entity}", source.generated.to_canonical)]
        if validator is not None:
            found.append((f"canonical {spec.entity} checked against its schema", validator))
        found += [
            (f"change detection: what the hub writes to {spec.target.system}", target.generated.digest),
            (f"canonical {spec.entity} -> {spec.target.system} values", target.generated.to_system),
        ]
        reverse = self._reverse(spec)
        if reverse is not None:
            compiled = self.compiled(reverse.target.mapping, self._owned(reverse))
            found.append((f"echo suppression: what {reverse.name} writes back", compiled.generated.digest))
        return found

    def context(
        self,
        spec: SyncSpec,
        run_id: str,
        calls: ApiCalls,
        connectors: dict[Endpoint, Connector],
        dry_run: bool,
    ) -> RunContext:
        """What one run of `spec` works with, connecting the systems `connectors` lacks yet."""
        src_map, tgt_map = (
            self.compiled(spec.source.mapping),
            self.compiled(spec.target.mapping, self._owned(spec)),
        )
        for endpoint in (spec.source, spec.target):
            if endpoint not in connectors:
                connectors[endpoint] = self.connect(endpoint, calls)
        src_obj = src_map.object_spec()
        leaving = filter_exit(spec, src_obj)
        return RunContext(
            spec=spec,
            store=self.store,
            run_id=run_id,
            dry_run=dry_run,
            source=connectors[spec.source],
            target=connectors[spec.target],
            src_map=src_map,
            tgt_map=tgt_map,
            src_obj=reading_spec(src_obj) if leaving else src_obj,
            tgt_obj=implied_columns(self.project, spec, tgt_map.object_spec(spec.batch_size)),
            validator=self.project.validator(spec.entity),
            match_rules=self.match_rules(spec),
            seen_digest=self._seen_digest(spec),
            filter_exit=leaving,
            identity=self.project.identity_settings(spec.entity) if spec.identity else None,
            outranked_by=self.outranked_by(spec),
            overrides=active_overrides(self.store, spec.name, spec.source.instance),
        )

    def pipeline(self, ctx: RunContext, connectors: dict[Endpoint, Connector], depth: int) -> PagePipeline:
        """The page pipeline of a run, resolving references through this engine (`depth` syncs deep)."""
        return PagePipeline(ctx, ReferenceResolver(self, ctx, connectors, depth))

    def connect(self, endpoint: Endpoint, calls: ApiCalls) -> Connector:
        """A connector for one side of a sync, through the registry, counting its calls in `calls`."""
        return connector_class(endpoint.system)(get_connection(endpoint.connection), calls=calls)

    def match_rules(self, spec: SyncSpec) -> list[list[str]]:
        """The sync's match rules, or the entity's default `x-match`."""
        if spec.match is not None:
            return spec.match
        schema = self.project.entity_schema(spec.entity) or {}
        return [list(rule) for rule in schema.get("x-match", [])]

    def _seen_digest(self, spec: SyncSpec) -> Callable[[dict[str, Any]], str] | None:
        """For a bidirectional pair: the digest the reverse sync compares against (echo suppression)."""
        other = self._reverse(spec)
        return None if other is None else self.compiled(other.target.mapping, self._owned(other)).digest

    def outranked_by(self, spec: SyncSpec) -> tuple[str, ...]:
        """Under the sync's `identity`: the source instances of the syncs of its entity into the same
        target whose system the entity's survivorship ranks above this sync's source. A target record
        one of them feeds is theirs to write and to reconcile: one customer known to two CRMs is written
        to the ERP by the stronger one, and the other's record only links to it."""
        settings = self.project.identity_settings(spec.entity) if spec.identity else None
        if settings is None:
            return ()
        rank = settings.survivorship.rank
        return tuple(
            sorted(
                {
                    other.source.instance
                    for other in self.project.syncs.values()
                    if other.name != spec.name
                    and (other.entity, other.target.instance) == (spec.entity, spec.target.instance)
                    and rank(other.source.instance) < rank(spec.source.instance)
                }
            )
        )

    def _reverse(self, spec: SyncSpec) -> SyncSpec | None:
        """The sync in the opposite direction over the same entity, when there is one: between the
        same two system instances (a sync between two connections of one system is not its own)."""
        for other in self.project.syncs.values():
            if other.name != spec.name and (other.entity, other.source.instance, other.target.instance) == (
                spec.entity,
                spec.target.instance,
                spec.source.instance,
            ):
                return other
        return None

    # Mirror ---------------------------------------------------------------------------------
    def _mirror_deletes(self, ctx: RunContext, since: datetime | None) -> None:
        entity, key = ctx.spec.entity, f"{ctx.src_obj.name}#deletes"
        stored = self.store.cursor(ctx.spec.name, ctx.spec.source.instance, key)
        start = datetime.fromisoformat(stored) if stored else since
        deleted, covered = ctx.source.read_deletes(ctx.src_obj, start)
        hub_ids = {
            x.hub_id: k
            for k, x in self.store.xrefs_by_external(entity, ctx.spec.source.instance, deleted).items()
        }
        targets = [
            x
            for x in self.store.xrefs_by_hub(entity, ctx.spec.target.instance, hub_ids).values()
            if not x.deleted
        ]
        ctx.details["deleted"] = len(targets)
        if ctx.dry_run:
            return
        if targets:
            results = ctx.target.delete(ctx.tgt_obj, [x.external_id for x in targets])
            done = [x for x, r in zip(targets, results, strict=True) if r.ok]
            self.store.mark_deleted(entity, ctx.spec.target.instance, [x.external_id for x in done])
            self.store.mark_deleted(entity, ctx.spec.source.instance, [hub_ids[x.hub_id] for x in done])
            ctx.details["deleted"] = len(done)
        if covered is not None:
            self.store.commit_page(
                PageCommit(
                    ctx.spec.name, ctx.run_id, cursor=(ctx.spec.source.instance, key, cursor_text(covered))
                )
            )


def overlaps(ctx: RunContext) -> bool:
    """Whether a run's read may write each page while it reads and maps the next
    (`PagePipeline.start_overlap`): not in a plan, and not when mapping a page may itself write
    (references brought over by another sync on demand, records leaving a filter, which the target is
    asked about). HUB_OVERLAP=0 turns it off."""
    if os.environ.get("HUB_OVERLAP", "1").strip() in ("0", "off", "false"):
        return False
    return not (ctx.dry_run or ctx.filter_exit is not None or ctx.src_map.inbound_refs())


DECIMAL_PATTERN = "^-?[0-9]+(\\.[0-9]+)?$"
"""common.schema.json's `decimal`: an exact amount written as a string."""


def implied_columns(project: Project, spec: SyncSpec, obj: ObjectSpec) -> ObjectSpec:
    """A target mapping's `create_table` with each column the canonical schema types (an integer, a
    number, a decimal amount, a boolean, a date-time, a date, an object or list) given that type, for
    the columns a field fills unchanged (no outbound transforms, no reference); a type the mapping's
    `columns` names wins. Any other object spec is returned as it is."""
    option = obj.options.get("create_table")
    if not option:
        return obj
    declared = option.get("columns", {}) if isinstance(option, Mapping) else {}
    schema = project.entity_schema(spec.entity) or {}
    paths = canonical_paths(schema, project.registry)
    implied: dict[str, str] = {}
    for entry in project.mappings[spec.target.mapping].fields:
        plain = entry.writes and not entry.outbound and entry.ref is None and not entry.has_value
        if plain and entry.canonical in paths and entry.system and "." not in entry.system:
            kind = _column_type(paths[entry.canonical])
            if kind is not None and entry.system != obj.external_id_field:
                implied[entry.system] = kind
    made = (
        {**option, "columns": {**implied, **declared}}
        if isinstance(option, Mapping)
        else {"columns": implied}
    )
    return replace(obj, options={**obj.options, "create_table": made})


def _column_type(subschema: Mapping[str, Any]) -> str | None:
    """The create_table column type of a canonical field's schema, when it is not text."""
    kinds = subschema.get("type", [])
    kinds = {kinds} if isinstance(kinds, str) else set(kinds)
    kinds.discard("null")
    if kinds == {"integer"}:
        return "integer"
    if kinds <= {"integer", "number"} and kinds:
        return "numeric"
    if kinds == {"boolean"}:
        return "boolean"
    if kinds and kinds <= {"object", "array"}:
        return "json"
    if kinds == {"string"}:
        if subschema.get("format") == "date-time":
            return "timestamp"
        if subschema.get("format") == "date":
            return "date"
        if subschema.get("pattern") == DECIMAL_PATTERN:
            return "numeric"
    return None


def owned_fields(project: Project, spec: SyncSpec) -> frozenset[str] | None:
    """Under per-field owners, the canonical fields the sync's source owns (the only ones it writes)."""
    if spec.conflict.policy != "owners":
        return None
    fields = project.mappings[spec.target.mapping].fields
    return frozenset(
        f.canonical for f in fields if f.canonical and spec.conflict.owner(f.canonical) == "source"
    )


def _describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, HubError) else f"{type(exc).__name__}: {exc}"
