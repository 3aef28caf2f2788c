"""One page of a sync, record by record: map, identify, validate, detect changes, match, write, commit.

    source page ─▶ inbound map ─▶ hub_id ─▶ validate ─▶ change check ─▶ conflicts ─▶ outbound map
                 └─▶ quarantine (with reasons) ◀───────────────┘            ─▶ match ─▶ write ─▶ commit

The page's cross-references, quarantine changes and cursor are committed in one transaction after
the target accepted the writes, so a run killed at any instant replays the page and upserts.

Records the source could not read at all (a malformed line of a file) arrive beside the page's
records as `Unreadable`s and are quarantined at the stage "read"; the page's cursor still advances.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub.engine.filters import FilterExit
from hub.engine.identity import match_targets, resolve_hub_ids
from hub.io.connector import Connector, ObjectSpec
from hub.io.failpoints import failpoint
from hub.io.records import OUTCOME_UNKNOWN, Record, Unreadable, WriteOp, WriteResult
from hub.io.redact import redact
from hub.ops.actions import Override, lapse, standing
from hub.project.loading import SyncSpec
from hub.project.mapping import CompiledMapping, MappingFailure, referenced_values
from hub.project.validation import CanonicalValidator
from hub.state import PageCommit, QuarantineEntry, QuarantineRow, QuarantineStage, StateStore, XrefRow

if TYPE_CHECKING:
    from hub.engine.references import ReferenceResolver
    from hub.identity.settings import IdentitySettings

MAX_LISTED_CONFLICTS = 100
STAGES = (
    "read",
    "sort out",
    "references",
    "map inbound",
    "identify",
    "validate",
    "detect changes",
    "conflicts",
    "map outbound",
    "match",
    "write",
    "commit",
)
"""A page's stages in the order it meets them, as a run's `stages` detail names them: reading the
page, setting aside what is filtered out, repeated or still quarantined, bringing references, the
inbound map, hub ids, validation, change detection, conflicts, the outbound map, matching (and the
sync's mode), the write to the target, and the commit of the page's state."""
log = logging.getLogger(__name__)


@dataclass
class Counts:
    """What a run did, record by record."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    quarantined: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    def add(self, other: Counts) -> None:
        for key, value in other.__dict__.items():
            setattr(self, key, getattr(self, key) + value)


@dataclass
class RunContext:
    """Everything fixed for one run of one sync, and what it counts as its pages go through."""

    spec: SyncSpec
    store: StateStore
    run_id: str
    source: Connector
    target: Connector
    src_map: CompiledMapping
    tgt_map: CompiledMapping
    src_obj: ObjectSpec
    tgt_obj: ObjectSpec
    validator: CanonicalValidator
    match_rules: list[list[str]]
    dry_run: bool = False
    seen_digest: Callable[[Record], str] | None = None
    counts: Counts = field(default_factory=Counts)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    force: bool = False
    forget_targets: set[str] = field(default_factory=set)
    filter_exit: FilterExit | None = None  # the sync applies the source's filter itself
    shard: Shard | None = None  # one part of a backfill: only its records, its own cursor
    identity: IdentitySettings | None = None  # the entity's, under the sync's `identity: true`
    outranked_by: tuple[str, ...] = ()  # stronger sources' instances (SyncEngine.outranked_by)
    overrides: dict[str, list[Override]] = field(default_factory=dict)  # source id -> ops' corrections

    @property
    def cursor_key(self) -> str:
        """What the run's cursor is kept under: the source object, or one shard's progress on it."""
        return self.src_obj.name if self.shard is None else self.shard.cursor_key(self.src_obj.name)


@dataclass(frozen=True)
class Shard:
    """Part `index` of `count` of a backfill. Split by time windows where the source can read one
    (`Connector.shard_mode`: a part reads only the records changed in its `window`, set by
    `SyncEngine` from the backfill's plan, `StateStore.plan_windows`), else by key: the records whose
    id falls to it (an integer id by its remainder, any other by a stable hash), which a connector
    that can reads alone (the SQL connector, on an integer key: `ObjectSpec.shard`) and any other
    reads with the rest. Each record is written by exactly one shard; its cursor is kept apart until
    every shard is done (`StateStore.settle_shards`)."""

    index: int
    count: int
    window: tuple[datetime | None, datetime] | None = None
    """From (None: the beginning) and before: this part's time window."""
    windows_end: datetime | None = None
    """Where the backfill's last window ends: what every windowed part reached once done (a record
    changed since is read by the run that finishes the backfill)."""

    def __post_init__(self) -> None:
        if not (self.count >= 1 and 0 <= self.index < self.count):
            raise ValueError(f"shard {self.index}/{self.count}: give K/N with 0 <= K < N")

    def owns(self, record_id: str) -> bool:
        """Whether this shard processes the record, the same in every process (when it splits by key:
        a part in a time window processes what it reads): an integer id by the remainder of its
        absolute value (what a database can compute too), any other by a hash."""
        if _INTEGER.fullmatch(record_id):
            return abs(int(record_id)) % self.count == self.index
        digest = hashlib.blake2b(record_id.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.count == self.index

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`K/N` as a Shard (ValueError saying how to write it otherwise)."""
        index, _, count = text.partition("/")
        try:
            return cls(int(index), int(count))
        except ValueError:
            raise ValueError(f"shard {text!r}: give K/N with 0 <= K < N, such as 0/4") from None

    def cursor_key(self, obj: str) -> str:
        return f"{obj}#shard{self.index}/{self.count}"

    def done_key(self, obj: str) -> str:
        return f"{obj}#done{self.index}/{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


_INTEGER = re.compile(r"-?[0-9]{1,18}")


@dataclass
class _Page:
    """A page between its two halves (`PagePipeline._prepare`, `_finish`)."""

    items: list[_Item]
    commit: PageCommit
    cursor: str | None


@dataclass
class _Item:
    source_id: str
    raw: Record
    canonical: Record = field(default_factory=dict)
    hub_id: str = ""
    minted: bool = False  # the hub id is new: no target record has it yet
    digest: str = ""
    target: XrefRow | None = None
    target_id: str | None = None
    values: Record = field(default_factory=dict)


def _jsonable(record: Record) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(record, default=str))
    return loaded


class PagePipeline:
    """Processes pages for one run; `run(records, cursor)` handles one page end to end.

    `references` resolves what the page's records refer to and the target lacks (linked by the
    sync's `reference_match`, or brought over through the sync its `references` names); without it,
    such records wait in quarantine."""

    def __init__(self, ctx: RunContext, references: ReferenceResolver | None = None) -> None:
        self.ctx = ctx
        self.references = references
        self.blocked: dict[tuple[str, str], str] = {}
        self.pending: set[str] = set()
        self.written: dict[str, str] = {}
        self.covered: set[str] = set()  # places the run read in full
        self.reported: set[str] = set()  # ids of the unreadable records the run met
        self.leaving: set[str] = set()  # source ids of the page's records that left the filter
        self._overlap: tuple[ThreadPoolExecutor, PagePipeline] | None = None  # see start_overlap
        self._inflight: Future[None] | None = None
        self._committer: ThreadPoolExecutor | None = None  # the writer's, in step (see start_overlap)
        self._committing: Future[None] | None = None
        # the target cross-references of the page being committed: by hub id, and the target ids
        self._uncommitted: tuple[dict[str, XrefRow], set[str]] = ({}, set())
        self._all_new = False  # the last page's records were all new to the hub: claim the next at once
        self.seconds: dict[str, float] = defaultdict(float)  # per stage, summed over pages (`stages`)
        self.entity = ctx.spec.entity
        self.src_system, self.tgt_system = ctx.spec.source.instance, ctx.spec.target.instance

    def run(
        self,
        records: Sequence[Record],
        cursor: str | None,
        *,
        retry: bool = False,
        unreadable: Sequence[Unreadable] = (),
        covered: Sequence[str] = (),
        again: bool = False,
    ) -> None:
        """Process one page and commit it (nothing is written or committed in a dry run).

        Records still quarantined and unchanged are skipped, unless this is a retry of them. The
        page's `unreadable` records are quarantined, and the places it `covered` remembered (see
        `stale_reads`); `again` marks a page of places read again, which settles their entries.
        """
        self._finish(self._prepare(records, cursor, retry, unreadable, covered, again))

    # Pages in step: the next page read and mapped while the last one is written and the one before
    # that committed ------------------------------------------------------------------------------
    def start_overlap(self) -> None:
        """From now on `run_overlapped` hands each page to a writer thread while the caller reads and
        maps the next, and the writer hands the page's commit to a committer thread while it writes
        the next: one core maps while the database or API works, where one thread would leave each
        waiting on the others. Pages are written in order and committed in order, each commit after
        its page's write; at most one page is being written and one committed, and a page's write
        waits for the commit two pages before it. The writer counts apart (its counts join the
        run's in `end_overlap`).

        A page written while the one before is still committing could miss that page's
        cross-references; the writer keeps them in memory until the commit landed
        (`_uncommitted`), for change detection and matching. A failed commit stops the writer
        before its next page's commit: the pages after it stay uncommitted, and a rerun replays
        them as after a crash."""
        finisher = copy.copy(self)
        finisher.ctx, finisher.seconds = replace(self.ctx, counts=Counts()), defaultdict(float)
        name = self.ctx.spec.name
        finisher._committer = ThreadPoolExecutor(1, thread_name_prefix=f"commit-{name}")
        self._overlap = (ThreadPoolExecutor(1, thread_name_prefix=f"write-{name}"), finisher)

    def run_overlapped(
        self,
        records: Sequence[Record],
        cursor: str | None,
        *,
        unreadable: Sequence[Unreadable] = (),
        covered: Sequence[str] = (),
    ) -> None:
        """`run` for a page of a run's read, its write and commit handed to the writer (see
        `start_overlap`); a failure of the page before it is raised here, before this page goes."""
        assert self._overlap is not None, "start_overlap first"
        page = self._prepare(records, cursor, False, unreadable, covered, False)
        self._settle_inflight()
        worker, finisher = self._overlap
        self._inflight = worker.submit(finisher._finish_in_step, page)

    def end_overlap(self, *, raising: bool = True) -> None:
        """Wait for the page being written and the one being committed (raising the first failure
        when `raising`; logging it otherwise, when another failure is on its way already) and join
        the writer's counts to the run's."""
        if self._overlap is None:
            return
        (worker, finisher), self._overlap = self._overlap, None
        failures: list[BaseException] = []
        for settle in (self._settle_inflight, finisher._settle_commit):
            try:
                settle()
            except Exception as exc:  # the write's failure first; a commit in flight still lands
                failures.append(exc)
        worker.shutdown(wait=True)
        if finisher._committer is not None:
            finisher._committer.shutdown(wait=True)
        self.ctx.counts.add(finisher.ctx.counts)
        for stage, spent in finisher.seconds.items():
            self.seconds[stage] += spent
        finisher.ctx.counts, finisher.seconds = Counts(), defaultdict(float)
        if failures and raising:
            raise failures[0]
        for failure in failures:
            log.error(
                "%s: the page being written or committed failed too: %s", self.ctx.spec.name, redact(failure)
            )

    def stages(self) -> dict[str, float]:
        """Seconds spent in each stage so far, summed over the pages, in the order a page meets them
        (with pages in step, the write and commit of one page run beside the next page's read and
        mapping, so the stages add up to more than the run took)."""
        order = [name for name in STAGES if name in self.seconds]
        return {name: round(self.seconds[name], 3) for name in order}

    def _timed(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] += now - started
        return now

    def _settle_inflight(self) -> None:
        inflight, self._inflight = self._inflight, None
        if inflight is not None:
            inflight.result()

    def _settle_commit(self) -> None:
        """Wait for the page being committed; its cross-references are then in the store."""
        committing, self._committing = self._committing, None
        if committing is not None:
            committing.result()
        self._uncommitted = ({}, set())

    def _prepare(
        self,
        records: Sequence[Record],
        cursor: str | None,
        retry: bool,
        unreadable: Sequence[Unreadable],
        covered: Sequence[str],
        again: bool,
    ) -> _Page:
        """A page up to its validated canonical records (what does not depend on earlier pages'
        writes): read-quarantine, filter, dedupe, references, inbound map, hub ids, validation."""
        ctx, clock = self.ctx, time.perf_counter()
        commit = PageCommit(ctx.spec.name, ctx.run_id)
        if unreadable or covered:
            self._unreadable(commit, unreadable, covered, again)
        ctx.counts.read += len(records)
        records = self._apply_filter(records)
        items = self._dedupe(records) if retry else self._skip_known_bad(self._dedupe(records))
        clock = self._timed("sort out", clock)
        refs_in = self._bring_references(items)
        clock = self._timed("references", clock)
        items = self._map_inbound(items, refs_in, commit)
        clock = self._timed("map inbound", clock)
        items = self._identify(items)
        clock = self._timed("identify", clock)
        items = self._validate(items, commit)
        self._timed("validate", clock)
        return _Page(items, commit, cursor)

    def _finish(self, page: _Page) -> None:
        """The rest of a page: its write (`_write_page`) and its commit."""
        self._write_page(page)
        self._commit(page)

    def _finish_in_step(self, page: _Page) -> None:
        """`_finish` on the writer thread: the write, then, once the commit before it landed, the
        commit handed to the committer (see `start_overlap`)."""
        self._write_page(page)
        self._settle_commit()
        assert self._committer is not None
        tgt, entity = self.tgt_system, self.entity
        written = {x.hub_id: x for x in page.commit.xrefs if x.system == tgt and x.entity == entity}
        self._uncommitted = (written, {x.external_id for x in written.values()})
        self._committing = self._committer.submit(self._commit, page)

    def _write_page(self, page: _Page) -> None:
        """Change detection against the target's cross-references, conflicts, outbound map,
        matching and the write."""
        ctx, commit, clock = self.ctx, page.commit, time.perf_counter()
        items = self._detect_changes(page.items, commit)
        clock = self._timed("detect changes", clock)
        items = self._settle_conflicts(items, commit)
        clock = self._timed("conflicts", clock)
        items = self._map_outbound(items, commit)
        clock = self._timed("map outbound", clock)
        items = self._match(items, commit)
        items = self._apply_mode(items, commit)
        clock = self._timed("match", clock)
        self._write(items, commit)
        self._timed("write", clock)
        if page.cursor is not None:
            commit.cursor = (self.src_system, ctx.cursor_key, page.cursor)

    def _commit(self, page: _Page) -> None:
        """The page's cross-references, quarantine changes and cursor, in one transaction."""
        clock = time.perf_counter()
        if not self.ctx.dry_run:
            failpoint("before_commit")
            self.ctx.store.commit_page(page.commit)
            failpoint("after_commit")
        self._timed("commit", clock)

    # Steps -----------------------------------------------------------------------------------
    def _apply_filter(self, records: Sequence[Record]) -> Sequence[Record]:
        """Under `filter_exit`: the records inside the filter, and those leaving it that the target has."""
        ctx = self.ctx
        if ctx.filter_exit is None:
            return records
        ids = [ctx.source.record_id(ctx.src_obj, record) for record in records]
        kept, self.leaving = ctx.filter_exit.split(records, ids, ctx.store)
        return [records[i] for i in kept]

    def _dedupe(self, records: Sequence[Record]) -> list[_Item]:
        by_id: dict[str, _Item] = {}
        for raw in records:
            source_id = self.ctx.source.record_id(self.ctx.src_obj, raw)
            by_id[source_id] = _Item(source_id, raw)
        return list(by_id.values())

    def _skip_known_bad(self, items: list[_Item]) -> list[_Item]:
        """Records still quarantined, or ignored by ops, and unchanged since (re-read in the overlap
        window) stay put."""
        stamp = self.ctx.src_obj.cursor_field
        if not stamp or not items:
            return items
        held = {
            q.record_id: q
            for q in self.ctx.store.quarantined(
                self.ctx.spec.name, status=("open", "ignored"), record_ids=[i.source_id for i in items]
            )
        }
        kept = []
        for item in items:
            known = held.get(item.source_id)
            if (
                known is not None
                and known.record
                and _text(known.record.get(stamp)) == _text(item.raw.get(stamp))
            ):
                self.ctx.counts.unchanged += 1
                continue
            kept.append(item)
        return kept

    def _quarantine(
        self, commit: PageCommit, item: _Item, stage: QuarantineStage, errors: list[dict[str, Any]]
    ) -> None:
        commit.quarantined.append(
            QuarantineEntry(
                self.src_system, self.ctx.src_obj.name, item.source_id, stage, errors, _jsonable(item.raw)
            )
        )
        if stage == "write":
            self.ctx.counts.failed += 1
        else:
            self.ctx.counts.quarantined += 1

    def _bring_references(self, items: list[_Item]) -> dict[str, dict[str, str]]:
        """source id → hub_id per referenced entity: through the cross-references, then by the sync's
        reference_match keys, then by syncing the missing references over on demand."""
        ctx, resolver, refs_in = self.ctx, self.references, {}
        wanted = referenced_values([i.raw for i in items], ctx.src_map.inbound_refs())
        for entity, ids in wanted.items():
            table = self._reference_table(entity, ids)
            missing = [i for i in ids if i not in table]
            if missing and entity in ctx.spec.reference_match and resolver is not None:
                table = self._arrived(entity, ids, table, resolver.link(entity, missing))
                missing = [i for i in ids if i not in table]
                self._explain_unmatched(entity, missing)
            if missing and entity in ctx.spec.references and resolver is not None:
                table = self._arrived(entity, ids, table, resolver.bring(entity, missing))
                self._explain_missing(entity, [i for i in ids if i not in table])
            refs_in[entity] = table
        return refs_in

    def _arrived(
        self, entity: str, ids: set[str], table: dict[str, str], arrived: dict[str, str]
    ) -> dict[str, str]:
        """The reference table once linking or bringing returned (source id → hub_id): read again from
        the state, or, in a plan, taken from what the plan says would arrive."""
        if not self.ctx.dry_run:
            return self._reference_table(entity, ids)
        self.pending |= set(arrived.values())
        return {**table, **arrived}

    def _explain_unmatched(self, entity: str, ids: list[str]) -> None:
        """Say what reference_match looked for, for references it could not link."""
        fields = ", ".join(self.ctx.spec.reference_match[entity])
        for value in ids:
            self.blocked[(entity, value)] = (
                f"{self.src_system} {entity} {value} is not linked yet, and no {self.tgt_system} {entity} "
                f"has the same {fields}; it goes through once one does"
            )

    def _explain_missing(self, entity: str, ids: list[str]) -> None:
        """Remember why references stayed unresolved: usually the referenced record is quarantined."""
        name = self.ctx.spec.references[entity]
        for row in self.ctx.store.quarantined(name, record_ids=ids) if ids else []:
            reasons = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in row.errors)
            self.blocked[(entity, row.record_id)] = (
                f"{entity} {row.record_id} is quarantined by {name} ({reasons})"
            )

    def _problems(self, failure: MappingFailure) -> list[dict[str, Any]]:
        found = []
        for problem in failure.problems:
            entry = problem.as_dict()
            if problem.reference is not None and problem.reference in self.blocked:
                entry["message"] = self.blocked[problem.reference]
            found.append(entry)
        return found

    def _reference_table(self, entity: str, ids: set[str]) -> dict[str, str]:
        """Referenced source ids that the hub knows and that already exist in the target."""
        store = self.ctx.store
        source = store.xrefs_by_external(entity, self.src_system, ids)
        present = store.xrefs_by_hub(entity, self.tgt_system, [x.hub_id for x in source.values()])
        return {i: x.hub_id for i, x in source.items() if x.hub_id in present}

    def _map_inbound(
        self, items: list[_Item], refs: dict[str, dict[str, str]], commit: PageCommit
    ) -> list[_Item]:
        kept = []
        for item in items:
            try:
                if item.source_id in self.ctx.overrides:
                    item.canonical = self._overridden(item, refs)
                else:
                    item.canonical = self.ctx.src_map.to_canonical(item.raw, refs)
                if item.source_id in self.leaving and self.ctx.filter_exit is not None:
                    self.ctx.filter_exit.leave(item.canonical)
            except MappingFailure as failure:
                stage: QuarantineStage = (
                    "reference" if len(failure.unresolved) == len(failure.problems) else "inbound"
                )
                self._quarantine(commit, item, stage, self._problems(failure))
                continue
            kept.append(item)
        return kept

    def _overridden(self, item: _Item, refs: dict[str, dict[str, str]]) -> Record:
        """The record mapped with ops' corrections of its canonical values in place (`hub.ops.actions`),
        even of a field whose mapping fails; one whose source values have changed since lapses: the
        source speaks again."""
        given, stale = standing(self.ctx.overrides[item.source_id], item.raw)
        if stale and not self.ctx.dry_run:
            lapse(self.ctx.store, stale)
            self.ctx.overrides[item.source_id] = [
                o for o in self.ctx.overrides[item.source_id] if o.id not in stale
            ]
        if not given:
            return self.ctx.src_map.to_canonical(item.raw, refs)
        return self.ctx.src_map.to_canonical_given(item.raw, refs, given)

    def _identify(self, items: list[_Item]) -> list[_Item]:
        ctx = self.ctx
        cursor_field = ctx.src_obj.cursor_field
        modified = {i.source_id: _text(i.raw.get(cursor_field)) if cursor_field else None for i in items}
        hub_ids, minted = resolve_hub_ids(
            ctx.store,
            self.entity,
            self.src_system,
            [i.source_id for i in items],
            last_modified=modified,
            dry_run=ctx.dry_run,
            claim_first=self._all_new,
        )
        self._all_new = bool(items) and len(minted) == len(hub_ids)
        for item in items:
            item.hub_id = hub_ids[item.source_id]
            item.canonical["hub_id"] = item.hub_id
            item.minted = item.source_id in minted
        if ctx.spec.identity and not ctx.dry_run:
            self._join_identities(items)
        return items

    def _join_identities(self, items: list[_Item]) -> None:
        """Under the sync's `identity`: a record met for the first time joins the hub record its identity
        keys name (the entity's identity rules, `Project.identity_settings`: kept by the syncs that met that
        record first), when they name exactly one; every record's keys are kept for those that follow."""
        store, rules = self.ctx.store, self.ctx.identity.rules if self.ctx.identity else ()
        keys: dict[str, list[str]] = {}
        for item in items:
            keys[item.source_id] = [
                f"{rule.name}: {' / '.join(key)}" for rule in rules for key in rule.keys(item.canonical, None)
            ]
        fresh = [item for item in items if item.minted]
        owners = store.identity_owners(self.entity, [k for item in fresh for k in keys[item.source_id]])
        moves = {}
        for item in fresh:
            named = {owners[k] for k in keys[item.source_id] if k in owners} - {item.hub_id}
            if len(named) == 1:
                moves[item.source_id] = (item.hub_id, named.pop())
            elif named:
                log.info(
                    "%s %s: its identity keys name %d hub records; it stays apart",
                    self.src_system,
                    item.source_id,
                    len(named),
                )
        stood = store.relink(self.entity, self.src_system, moves) if moves else {}
        for item in fresh:
            joined = stood.get(item.source_id)
            if joined is not None and joined == moves[item.source_id][1]:
                item.hub_id, item.minted = joined, False
                item.canonical["hub_id"] = joined
        store.remember_identity(
            self.entity, {k: i.hub_id for i in reversed(items) for k in keys[i.source_id]}
        )

    def _validate(self, items: list[_Item], commit: PageCommit) -> list[_Item]:
        kept = []
        for item in items:
            problems = self.ctx.validator.check(item.canonical)
            if problems:
                self._quarantine(commit, item, "validate", [p.as_dict() for p in problems])
            else:
                kept.append(item)
        return kept

    def _detect_changes(self, items: list[_Item], commit: PageCommit) -> list[_Item]:
        ctx = self.ctx
        # a hub id minted for this page is in no target yet: only the others are looked up
        targets = ctx.store.xrefs_by_hub(
            self.entity, self.tgt_system, [i.hub_id for i in items if not i.minted]
        )
        targets.update(self._uncommitted[0])  # the page before's, while its commit is in flight
        # a hub record a stronger source also feeds into the target is that source's to write
        stronger = ctx.store.held_by_any(
            self.entity, ctx.outranked_by, [i.hub_id for i in items if not i.minted]
        )
        kept = []
        for item in items:
            if item.hub_id in stronger:
                ctx.counts.unchanged += 1
                ctx.details["deferred"] = ctx.details.get("deferred", 0) + 1
                commit.resolved.append((self.src_system, item.source_id))
                continue
            item.digest = ctx.tgt_map.digest(item.canonical)
            item.target = None if item.hub_id in ctx.forget_targets else targets.get(item.hub_id)
            if item.target is not None and not item.target.deleted:
                item.target_id = item.target.external_id
                if item.target.last_hash == item.digest and not ctx.force:
                    ctx.counts.unchanged += 1
                    commit.resolved.append((self.src_system, item.source_id))
                    self._seen(item, commit)
                    continue
            kept.append(item)
        return kept

    def _seen(self, item: _Item, commit: PageCommit) -> None:
        """Remember the source's state for the reverse sync's echo suppression."""
        if self.ctx.seen_digest is not None:
            commit.xrefs.append(
                XrefRow(
                    self.entity,
                    self.src_system,
                    item.source_id,
                    item.hub_id,
                    last_hash=self.ctx.seen_digest(item.canonical),
                )
            )

    def _settle_conflicts(self, items: list[_Item], commit: PageCommit) -> list[_Item]:
        policy = self.ctx.spec.conflict.policy
        linked = [i for i in items if i.target_id is not None]
        if policy in ("source_wins", "owners") or not linked:
            return items
        current = self._target_digests(linked)
        kept = []
        for item in items:
            now = current.get(item.target_id or "")
            changed = item.target is not None and now is not None and now[0] != item.target.last_hash
            if changed and not self._source_prevails(item, now[1] if now else {}):
                commit.resolved.append((self.src_system, item.source_id))
                continue
            kept.append(item)
        return kept

    def _target_digests(self, items: list[_Item]) -> dict[str, tuple[str, Record]]:
        ctx = self.ctx
        records = ctx.target.fetch(ctx.tgt_obj, [i.target_id for i in items if i.target_id])
        found = {}
        for record in records:
            try:
                canonical = ctx.tgt_map.to_canonical(record, self._target_refs(record))
            except MappingFailure:
                canonical = {}
            found[ctx.target.record_id(ctx.tgt_obj, record)] = (ctx.tgt_map.digest(canonical), canonical)
        return found

    def _target_refs(self, record: Record) -> dict[str, dict[str, str]]:
        wanted = referenced_values([record], self.ctx.tgt_map.inbound_refs())
        return {
            entity: {
                k: x.hub_id for k, x in self.ctx.store.xrefs_by_external(entity, self.tgt_system, ids).items()
            }
            for entity, ids in wanted.items()
        }

    def _source_prevails(self, item: _Item, target_canonical: Record) -> bool:
        ctx = self.ctx
        ctx.counts.conflicts += 1
        source_time, target_time = item.canonical.get("updated_at"), target_canonical.get("updated_at")
        wins = (
            ctx.spec.conflict.policy == "newest_wins"
            and bool(source_time)
            and (not target_time or str(source_time) >= str(target_time))
        )
        if len(ctx.conflicts) < MAX_LISTED_CONFLICTS:
            ctx.conflicts.append(
                {
                    "hub_id": item.hub_id,
                    "source_id": item.source_id,
                    "target_id": item.target_id,
                    "policy": ctx.spec.conflict.policy,
                    "winner": "source" if wins else "target",
                }
            )
        return wins

    def _map_outbound(self, items: list[_Item], commit: PageCommit) -> list[_Item]:
        ctx = self.ctx
        refs: dict[str, dict[str, str]] = {}
        for entity, hub_ids in referenced_values(
            [i.canonical for i in items], ctx.tgt_map.outbound_refs()
        ).items():
            known = ctx.store.xrefs_by_hub(entity, self.tgt_system, hub_ids)
            refs[entity] = {h: x.external_id for h, x in known.items() if not x.deleted}
            refs[entity].update({h: h for h in hub_ids if h in self.pending})
        kept = []
        for item in items:
            try:
                item.values = ctx.tgt_map.to_system(item.canonical, refs)
            except MappingFailure as failure:
                stage: QuarantineStage = (
                    "reference" if len(failure.unresolved) == len(failure.problems) else "outbound"
                )
                self._quarantine(commit, item, stage, [p.as_dict() for p in failure.problems])
                continue
            kept.append(item)
        return kept

    def _match(self, items: list[_Item], commit: PageCommit) -> list[_Item]:
        ctx = self.ctx
        unlinked = {i.hub_id: i for i in items if i.target_id is None}
        if not unlinked or not ctx.match_rules:
            return items
        outcome = match_targets(
            ctx.target,
            ctx.tgt_obj,
            ctx.match_rules,
            {h: i.values for h, i in unlinked.items()},
            ctx.tgt_map.system_field_of,
            self._already_linked,
        )
        for hub_id, target_id in outcome.linked.items():
            unlinked[hub_id].target_id = target_id
        for hub_id, reason in outcome.ambiguous.items():
            self._quarantine(
                commit,
                unlinked[hub_id],
                "match",
                [{"field": "(match)", "rule": "ambiguous", "message": reason}],
            )
        return [i for i in items if i.hub_id not in outcome.ambiguous]

    def _already_linked(self, target_ids: Sequence[str]) -> set[str]:
        """Which of these target ids some hub record already owns."""
        owned = set(self.ctx.store.xrefs_by_external(self.entity, self.tgt_system, target_ids))
        return owned | (self._uncommitted[1] & set(target_ids))

    def _apply_mode(self, items: list[_Item], commit: PageCommit) -> list[_Item]:
        mode = self.ctx.spec.mode
        if mode in ("upsert", "mirror"):
            return items
        wanted_new = mode == "insert"
        kept = [i for i in items if (i.target_id is None) == wanted_new]
        skipped = [i for i in items if (i.target_id is None) != wanted_new]
        self.ctx.counts.unchanged += len(skipped)
        commit.resolved += [(self.src_system, i.source_id) for i in skipped]
        return kept

    def _write(self, items: list[_Item], commit: PageCommit) -> None:
        ctx = self.ctx
        if ctx.dry_run:
            for item in items:
                if item.target_id is None:
                    ctx.counts.created += 1
                else:
                    ctx.counts.updated += 1
                self.written[item.source_id] = item.hub_id
            return
        ops = [WriteOp(i.hub_id, i.values, i.target_id) for i in items]
        failpoint("before_write")
        results = ctx.target.write(ctx.tgt_obj, ops) if ops else []
        failpoint("after_write")
        for item, result in zip(items, results, strict=True):
            self._record_result(item, result, commit)

    def _record_result(self, item: _Item, result: WriteResult, commit: PageCommit) -> None:
        ctx = self.ctx
        if not result.ok or result.id is None:
            error = (
                result.error.as_dict() if result.error else {"code": "unknown", "message": "no id returned"}
            )
            self._quarantine(
                commit,
                item,
                "unknown" if error["code"] == OUTCOME_UNKNOWN else "write",
                [
                    {
                        "field": ",".join(error.get("fields", [])) or "(record)",
                        "rule": error["code"],
                        "message": error["message"],
                    }
                ],
            )
            return
        created = result.created and item.target_id is None
        ctx.counts.created += int(created)
        ctx.counts.updated += int(not created)
        commit.xrefs.append(
            XrefRow(self.entity, self.tgt_system, result.id, item.hub_id, last_hash=item.digest)
        )
        commit.resolved.append((self.src_system, item.source_id))
        self._seen(item, commit)

    # Records the source could not read ------------------------------------------------------------
    def _unreadable(
        self, commit: PageCommit, unreadable: Sequence[Unreadable], covered: Sequence[str], again: bool
    ) -> None:
        """Quarantine what the source could not read (stage "read"), once per run; one still open and
        unchanged stays as it is. On a read again, the covered places' entries that the page does not
        report are resolved: the page holds every record those places hold now."""
        fresh = [u for u in unreadable if u.record_id not in self.reported]
        self.reported.update(u.record_id for u in fresh)
        self.ctx.counts.read += len(fresh)
        held = {} if again else self._held_reads([u.record_id for u in fresh])
        for bad in fresh:
            known = held.get(bad.record_id)
            if known is not None and (known.record, known.errors) == (bad.as_record(), [bad.as_error()]):
                self.ctx.counts.unchanged += 1
                continue
            self._quarantine(commit, _Item(bad.record_id, bad.as_record()), "read", [bad.as_error()])
        if not again:
            self.covered.update(covered)
            return
        reported = {u.record_id for u in unreadable}
        commit.resolved += [
            (self.src_system, q.record_id) for q in self._open_reads(covered) if q.record_id not in reported
        ]

    def _held_reads(self, record_ids: list[str]) -> dict[str, QuarantineRow]:
        """Open "read" entries of these records."""
        if not record_ids:
            return {}
        rows = self.ctx.store.quarantined(self.ctx.spec.name, record_ids=record_ids)
        return {q.record_id: q for q in rows if q.stage == "read" and q.system == self.src_system}

    def _open_reads(self, places: Collection[str]) -> list[QuarantineRow]:
        """Open "read" entries of records in these places."""
        wanted = set(places)
        rows = self.ctx.store.quarantined(self.ctx.spec.name) if wanted else []
        return [
            q
            for q in rows
            if q.stage == "read" and q.system == self.src_system and (q.record or {}).get("place") in wanted
        ]

    def stale_reads(self) -> list[QuarantineRow]:
        """Open "read" entries in places this run read in full that no page reported again: fixed or
        removed since. The engine reads those places again (`run(..., again=True)`) to settle them,
        because a fixed record may not have been among the changes read (an old cursor)."""
        return [q for q in self._open_reads(self.covered) if q.record_id not in self.reported]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
