"""Running quarantined records again: `hub quarantine retry`, and the retry at the end of every run.

Records set aside are fetched from the source by id and go through the page pipeline once more;
records the source could not read at all (stage "read": a malformed line of a file) are settled by
reading their places again. At the end of a run, only the records waiting for a reference that now
exists are retried, the unreadable ones whose place the run read in full without meeting them, and
creates whose answer was lost (stage "unknown") once they have had OUTCOME_SETTLE to arrive: the target
connector then finds them by hub id, or creates them as they never arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.engine.pipeline import PagePipeline, RunContext
from hub.io.records import ReadsAgain
from hub.state import QuarantineRow

log = logging.getLogger("hub.sync")
RETRY_CHUNK = 500
OUTCOME_SETTLE = timedelta(minutes=10)
"""How long a create whose answer was lost may still be in flight (queued behind a busy server) before
a run looks for it again: far beyond any read timeout."""


def retry_quarantined(
    ctx: RunContext,
    pipeline: PagePipeline,
    *,
    ids: Sequence[int] | None = None,
    waiting_only: bool = False,
) -> None:
    """Run quarantined records of the sync again: all open ones, the entries `ids`, or (`waiting_only`,
    after a read) those waiting for a reference that now exists and the unreadable ones this run's
    read went through and did not find again (fixed or removed)."""
    entries = ctx.store.quarantined(ctx.spec.name, ids=ids)
    source = ctx.spec.source.instance
    if waiting_only:
        entries = [  # not those this very run just set aside
            e
            for e in entries
            if e.run_id != ctx.run_id
            and (
                (e.stage == "reference" and references_ready(ctx, e.errors))
                or (e.stage == "unknown" and settled(e))
            )
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
    gone = [i for i in wanted if i not in found] + read_again(ctx, pipeline, unread)
    if gone:
        ctx.store.mark_gone(ctx.spec.name, source, gone)
    retried = len(wanted) + len(unread)
    ctx.details.update({"retried": retried, "gone": len(gone)} if retried else {})


def settled(entry: QuarantineRow, now: datetime | None = None) -> bool:
    """Whether a create whose answer was lost has had time to arrive (OUTCOME_SETTLE): only then does
    a run look for it again, and create it only if it is still not there."""
    since = datetime.fromisoformat(entry.updated_at.replace("Z", "+00:00"))
    return (now or datetime.now(UTC)) - since >= OUTCOME_SETTLE


def read_again(ctx: RunContext, pipeline: PagePipeline, entries: list[QuarantineRow]) -> list[str]:
    """Read the places (files) of unreadable records again, in full: an entry whose record reads now
    is resolved and the place's records processed; one still unreadable stays. Returns the ids of
    entries whose place is gone."""
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


def references_ready(ctx: RunContext, errors: list[dict[str, Any]]) -> bool:
    """Whether every reference a quarantined record waits for now exists in the target (or may be
    linked by `reference_match` by now: linking decides, on retry)."""
    store, spec = ctx.store, ctx.spec
    for error in errors:
        entity, value = error.get("entity"), error.get("value")
        if not entity or value is None:
            return False
        if entity in spec.reference_match:
            continue
        source = store.xrefs_by_external(entity, spec.source.instance, [str(value)])
        if not source or not store.xrefs_by_hub(entity, spec.target.instance, [source[str(value)].hub_id]):
            return False
    return True
