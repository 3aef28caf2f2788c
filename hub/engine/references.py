"""References a run resolves on demand: records its records point at that the target lacks.

An order names its customer, an employee their manager, a ticket its requester. When the hub has no
cross-reference for such a record in the target yet, the page pipeline asks its `ReferenceResolver`:

    link(entity, ids)    the sync's `reference_match` keys: the target record with the same canonical
                         values (the CRM contact with the requester's e-mail) is linked, nothing written
    bring(entity, ids)   the sync its `references` names is run for just those records, first, in the
                         same run (a hierarchy, manager of a manager, up to MAX_HIERARCHY_DEPTH levels)

Both return source id → hub_id of the records that now exist in the target (would, in a plan).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from hub.engine.identity import LinkSide, link_references
from hub.engine.pipeline import Counts, RunContext
from hub.errors import LockError
from hub.io.connector import Connector
from hub.project.loading import Endpoint

if TYPE_CHECKING:
    from hub.engine.sync import SyncEngine
    from hub.state.locks import Lock

log = logging.getLogger("hub.sync")
MAX_REFERENCE_DEPTH = 3
# Levels of one hierarchy (manager of a manager of …) brought over on demand in one run.
MAX_HIERARCHY_DEPTH = 12
SHARD_REFERENCE_WAIT = 120.0
"""Seconds a backfill shard waits for a referenced sync another shard is running, before its records
wait in quarantine (the finishing run brings what is left)."""


class ReferenceResolver:
    """Links or brings over the references of one run's records (see the module docstring).

    `engine` builds the run of a referenced sync; `connectors` are the run's open connectors (shared
    by every sync it runs, so each system is logged in to once); `depth` is how many syncs deep this
    run already is."""

    def __init__(
        self, engine: SyncEngine, parent: RunContext, connectors: dict[Endpoint, Connector], depth: int
    ) -> None:
        self.engine, self.parent, self.connectors, self.depth = engine, parent, connectors, depth

    def bring(self, entity: str, source_ids: list[str]) -> dict[str, str]:
        """Sync the referenced records over first, through the sync the `references` section names."""
        parent = self.parent
        name = parent.spec.references[entity]
        own = name == parent.spec.name  # a hierarchy (an employee's manager): this run holds the lock
        if self.depth >= (MAX_HIERARCHY_DEPTH if own else MAX_REFERENCE_DEPTH):
            return {}
        try:
            lock = None if parent.dry_run or own else self._lock(name)
        except LockError as exc:
            log.warning("cannot bring %s references now: %s", entity, exc)
            return {}
        try:
            ctx = self.engine.context(
                self.engine.spec(name), parent.run_id, parent.source.calls, self.connectors, parent.dry_run
            )
            pipeline = self.engine.pipeline(ctx, self.connectors, self.depth + 1)
            pipeline.run(ctx.source.fetch(ctx.src_obj, source_ids), cursor=None)
        finally:
            if lock is not None:
                lock.release()
        add_references(parent.details, {name: ctx.counts.as_dict()})
        add_references(parent.details, ctx.details.get("references", {}))  # their own, deeper down
        return pipeline.written

    def _lock(self, name: str) -> Lock:
        """The referenced sync's lock; a backfill shard waits for it (up to SHARD_REFERENCE_WAIT), since
        its sibling shards bring the same references at the same moment, for a short while each."""
        deadline = time.monotonic() + (SHARD_REFERENCE_WAIT if self.parent.shard is not None else 0.0)
        while True:
            try:
                return self.engine.store.locks.acquire(f"sync:{name}")
            except LockError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)

    def link(self, entity: str, source_ids: list[str]) -> dict[str, str]:
        """Referenced records with no cross-reference, linked by the sync's `reference_match` keys."""
        parent, engine = self.parent, self.engine
        sides = []
        for endpoint, connector in ((parent.spec.source, parent.source), (parent.spec.target, parent.target)):
            (mapping,) = engine.project.mappings_of(endpoint.system, entity)  # one: `hub validate` checks
            compiled = engine.compiled(mapping.key)
            sides.append(
                LinkSide(endpoint.instance, connector, compiled.object_spec(), compiled.system_field_of)
            )
        return link_references(
            engine.store,
            entity,
            parent.spec.reference_match[entity],
            source_ids,
            sides[0],
            sides[1],
            dry_run=parent.dry_run,
        )


def add_references(details: dict[str, Any], brought: dict[str, dict[str, int]]) -> None:
    """Add what was brought over (by sync name) to a run's details, deeper levels included: a
    manager's manager, brought while bringing the manager, counts in the run that needed them."""
    totals = details.setdefault("references", {})
    for name, counts in brought.items():
        mine = totals.setdefault(name, Counts().as_dict())
        for key, value in counts.items():
            mine[key] += value
