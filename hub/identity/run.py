"""`hub identity resolve`: every person and organisation record in every connected system, in clusters.

    every system the syncs of an entity read or write ─▶ canonical records (its mapping, inbound)
    ─▶ clusters (hub ids, then the entity's rules, then Splink for people when asked, then the merges
    and splits made by hand) ─▶ a golden record per cluster (survivorship) ─▶ the state store

Organisations are resolved first, so a person's company is its cluster's golden id and the "name and
organisation" rule links colleagues of twin companies. Then what customers have everywhere, their tickets,
orders, invoices and marketing consent, is read the same way and filed under the clusters its
references name (`hub customer` shows it). Each resolution replaces the last one's clusters and golden
records; the decisions made by hand are kept apart and applied every time, so they survive it.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.engine.sync import SyncEngine
from hub.errors import ConfigError, ConnectionNotFound
from hub.identity import ACTIVITY, ALSO, PARTIES, normalize
from hub.identity.golden import Member, golden_record
from hub.identity.resolve import Candidate, Resolution, resolve
from hub.identity.settings import IdentitySettings
from hub.identity.store import Decision, IdentityStore
from hub.io.http import ApiCalls
from hub.project.loading import Endpoint
from hub.reconcile.sides import ID, KEY, UPDATED, ReconSide, SideReader
from hub.state.rows import now_text

log = logging.getLogger("hub.identity")

SHOWN: dict[str, tuple[str, ...]] = {
    "ticket": ("subject", "status", "priority", "created_at", "requester_email"),
    "sales_order": ("number", "status", "order_date", "amount_total", "currency"),
    "invoice": ("number", "status", "payment_status", "due_date", "amount_total", "amount_due", "currency"),
    "marketing_member": ("list_id", "email", "status", "consent_at", "unsubscribe_reason"),
}
"""The canonical fields the 360° view shows of each."""


@dataclass
class EntityResult:
    """What one entity's resolution found."""

    entity: str
    read: dict[str, int] = field(default_factory=dict)  # system instance -> records
    unreadable: int = 0
    clusters: int = 0
    in_several: int = 0  # clusters with records in more than one system
    links: dict[str, int] = field(default_factory=dict)  # rule -> links it made
    too_common: int = 0
    decisions: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # system instance -> why it was not read

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class IdentityResult:
    entities: list[EntityResult] = field(default_factory=list)
    activity: dict[str, int] = field(default_factory=dict)  # entity -> records filed under a customer
    skipped: dict[str, str] = field(default_factory=dict)  # "entity from system" -> why it was not read
    duration_s: float = 0.0
    api_calls: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "entities": [e.as_dict() for e in self.entities],
            "activity": self.activity,
            "skipped": self.skipped,
            "duration_s": round(self.duration_s, 3),
            "api_calls": self.api_calls,
        }


def endpoints(engine: SyncEngine, entity: str) -> list[Endpoint]:
    """Each system instance a sync of `entity` reads or writes, once, with the first mapping it uses
    that reads all its records (one without a `filter`), else the first: BambooHR's employees through
    `bamboohr/employee`, not `bamboohr/support_agent`, which reads the Support department alone."""
    found: dict[str, Endpoint] = {}
    mappings = engine.project.mappings

    def filtered(endpoint: Endpoint) -> bool:
        spec = mappings.get(endpoint.mapping)
        return bool(spec is not None and spec.filter)

    for name in sorted(engine.project.syncs):
        spec = engine.project.syncs[name]
        if spec.entity != entity or engine.project.problems_for_sync(name):
            continue
        for endpoint in (spec.source, spec.target):
            held = found.setdefault(endpoint.instance, endpoint)
            if filtered(held) and not filtered(endpoint):
                found[endpoint.instance] = endpoint
    return [found[instance] for instance in sorted(found)]


def fields_of(engine: SyncEngine, entity: str) -> list[str]:
    schema = engine.project.entity_schema(entity) or {}
    return [name for name in schema.get("properties", {}) if name not in ("hub_id", "custom")]


def decided(
    decisions: Sequence[Decision], hub_of: Mapping[str, str | None]
) -> tuple[set[str], list[tuple[str, str, str]]]:
    """The records held apart and the pairs merged, from the decisions in the order they were made: a
    split takes back the earlier merges of its record; a record split off takes with it the records
    its hub id links (a sync made them one)."""
    apart: set[str] = set()
    merges: list[tuple[str, str, str]] = []
    for decision in decisions:
        head = decision.records[0]
        if decision.action == "split":
            apart.add(head)
            merges = [m for m in merges if head not in m[1:]]
        else:
            label = f"merged by {decision.decided_by} (#{decision.id})"
            merges += [(label, head, other) for other in decision.records[1:]]
    hubs = {hub_of.get(key) for key in apart} - {None}
    apart |= {key for key, hub in hub_of.items() if hub in hubs}
    return apart, merges


class IdentityRun:
    """One resolution of every party entity, and the activity filed under its clusters."""

    def __init__(
        self, engine: SyncEngine, *, probable: bool = False, say: Callable[[str], None] = log.info
    ) -> None:
        self.engine, self.probable, self.say = engine, probable, say
        self.store = IdentityStore(engine.store)
        self.calls = ApiCalls()
        self.golden_by_hub: dict[str, dict[str, str]] = {}  # entity -> hub id -> golden id
        self.golden_by_email: dict[str, str] = {}  # a person's mailbox -> golden id
        self.skipped: dict[tuple[str, str], str] = {}  # (entity, system instance) -> why not read
        self.sides: dict[tuple[str, str], tuple[frozenset[str], ReconSide]] = {}  # read once, used twice

    def run(self, entities: Sequence[str] = PARTIES) -> IdentityResult:
        started = time.monotonic()
        self.engine.adopt_instances()
        result = IdentityResult()
        for entity in [e for e in PARTIES if e in entities]:
            settings = self.engine.project.identity_settings(entity)
            if settings is None:
                raise ConfigError(
                    f"the entity {entity!r} has no identity rules (x-identity or schemas/{entity}.yaml)"
                )
            result.entities.append(self.resolve_entity(entity, settings))
        result.activity = self.file_activity()
        result.skipped = {
            f"{entity} from {instance}": why for (entity, instance), why in self.skipped.items()
        }
        result.duration_s, result.api_calls = time.monotonic() - started, self.calls.snapshot()
        return result

    def read(self, endpoint: Endpoint, entity: str, fields: Sequence[str]) -> ReconSide | None:
        """Every record of one system, as canonical rows keyed by hub id where the hub knows one; None
        when no connection to it is defined here (said, and listed in the result). A system read already
        in this run with at least these fields is not read again."""
        kept = self.sides.get((entity, endpoint.instance))
        if kept is not None and set(fields) <= kept[0]:
            return kept[1]
        compiled = self.engine.compiled(endpoint.mapping)
        try:
            connector = self.engine.connect(endpoint, self.calls)
        except ConnectionNotFound as exc:
            self.skipped[(entity, endpoint.instance)] = str(exc)
            self.say(f"{entity}: not read from {endpoint.instance}: {exc}")
            return None
        try:
            side = ReconSide(
                "source",
                endpoint.system,
                connector,
                compiled,
                compiled.object_spec(),
                instance=endpoint.instance,
            )
            SideReader(self.engine.store, entity, side, fields).read_all()
        finally:
            connector.close()
        self.say(f"{entity}: read {side.read:,} records from {endpoint.instance}")
        self.sides[(entity, endpoint.instance)] = (frozenset(fields), side)
        return side

    def resolve_entity(self, entity: str, settings: IdentitySettings) -> EntityResult:
        fields = fields_of(self.engine, entity)
        found = EntityResult(entity)
        candidates: list[Candidate] = []
        updated: dict[str, str | None] = {}
        for endpoint, side in self._sides(entity, fields, found):
            for row in side.rows:
                values = {name: _plain(row[name]) for name in fields if row.get(name) is not None}
                if entity == "contact" and values.get("account"):
                    account = str(values["account"])
                    values["account"] = self.golden_by_hub.get("account", {}).get(account, account)
                candidate = Candidate(endpoint.instance, str(row[ID]), values, row[KEY])
                candidates.append(candidate)
                updated[candidate.key] = row[UPDATED]
        read_here = {endpoint.instance for endpoint in endpoints(self.engine, entity)}
        for other, (reference, renamed) in ALSO.get(entity, {}).items():
            candidates += self._also(other, reference, renamed, fields, read_here, found, updated)
        hub_of = {c.key: c.hub_id for c in candidates}
        decisions = self.store.decisions(entity)
        apart, merges = decided(decisions, hub_of)
        probable: Iterable[tuple[str, str, float]] = ()
        if self.probable and entity == "contact":
            from hub.identity.linkage import probable_links

            probable = probable_links(candidates, threshold=settings.threshold, blocking=settings.blocking)
        resolution = resolve(
            candidates,
            settings.rules,
            max_group=settings.max_group,
            probable=probable,
            apart=apart,
            merges=merges,
        )
        rows, golden = self._rows(entity, candidates, updated, resolution, settings, fields)
        self.store.replace(entity, rows, golden)
        self._index(entity, ((c.hub_id, resolution.golden[c.key], c.values) for c in candidates))
        systems: dict[str, set[str]] = defaultdict(set)
        for candidate in candidates:
            systems[resolution.golden[candidate.key]].add(candidate.system)
        found.clusters = len(golden)
        found.in_several = sum(1 for held in systems.values() if len(held) > 1)
        found.links = dict(Counter(_rule_of(label) for label, _, _ in resolution.links))
        found.too_common, found.decisions = len(resolution.too_common), len(decisions)
        self.say(
            f"{entity}: {len(candidates):,} records in {found.clusters:,} clusters, "
            f"{found.in_several:,} of them in more than one system"
        )
        return found

    def _sides(
        self, entity: str, fields: Sequence[str], found: EntityResult, leave: Collection[str] = ()
    ) -> Iterator[tuple[Endpoint, ReconSide]]:
        """Each system of `entity` but those in `leave`, read (what was read, or why not, in `found`)."""
        for endpoint in endpoints(self.engine, entity):
            if endpoint.instance in leave:
                continue
            side = self.read(endpoint, entity, fields)
            if side is None:
                found.skipped[endpoint.instance] = self.skipped[(entity, endpoint.instance)]
                continue
            found.read[endpoint.instance] = len(side.rows)
            found.unreadable += len(side.unreadable)
            yield endpoint, side

    def _also(
        self,
        other: str,
        reference: str | None,
        renamed: Mapping[str, str] | None,
        fields: Sequence[str],
        read_here: set[str],
        found: EntityResult,
        updated: dict[str, str | None],
    ) -> list[Candidate]:
        """The records of `other` (see `ALSO`) in systems no sync of the party reads, as its candidates:
        the party's fields they have (`renamed`: which are which; None: those named alike), and the hub
        id `reference` names."""
        theirs = set((self.engine.project.entity_schema(other) or {}).get("properties", {}))
        pairs = renamed.items() if renamed is not None else ((name, name) for name in fields)
        read = {mine: party for mine, party in pairs if mine in theirs and party in fields}
        linked = [reference] if reference else []
        wanted = list(
            dict.fromkeys([*read, *linked, *SHOWN.get(other, ()), *ACTIVITY.get(other, {}).values()])
        )
        made = []
        for endpoint, side in self._sides(other, wanted, found, leave=read_here):
            for row in side.rows:
                values = {
                    party: _plain(row[mine]) for mine, party in read.items() if row.get(mine) is not None
                }
                named = row.get(reference) if reference else None
                candidate = Candidate(endpoint.instance, str(row[ID]), values, str(named) if named else None)
                made.append(candidate)
                updated[candidate.key] = row[UPDATED]
        return made

    def _rows(
        self,
        entity: str,
        candidates: Sequence[Candidate],
        updated: Mapping[str, str | None],
        resolution: Resolution,
        settings: IdentitySettings,
        fields: Sequence[str],
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        stamp = now_text()
        by_cluster: dict[str, list[Candidate]] = defaultdict(list)
        for candidate in candidates:
            by_cluster[resolution.golden[candidate.key]].append(candidate)
        links: dict[str, list[list[str]]] = defaultdict(list)
        for label, left, right in resolution.links:
            links[resolution.golden[left]].append([label, left, right])
        records = [
            {
                "entity": entity,
                "system": c.system,
                "external_id": c.id,
                "hub_id": c.hub_id,
                "golden_id": resolution.golden[c.key],
                "updated": updated.get(c.key),
                "record": dict(c.values),
                "resolved_at": stamp,
            }
            for c in candidates
        ]
        golden = []
        for golden_id, members in sorted(by_cluster.items()):
            chosen, sources = golden_record(
                [Member(c.system, c.id, c.values, updated.get(c.key)) for c in members],
                [name for name in fields if name != "updated_at"],  # each record's own, not the customer's
                settings.survivorship,
            )
            golden.append(
                {
                    "entity": entity,
                    "golden_id": golden_id,
                    "record": chosen,
                    "sources": sources,
                    "links": links.get(golden_id, []),
                    "members": len(members),
                    "account": chosen.get("account") if entity == "contact" else None,
                    "search": search_text(golden_id, members),
                    "resolved_at": stamp,
                }
            )
        return records, golden

    def _index(self, entity: str, records: Iterable[tuple[str | None, str, Mapping[str, Any]]]) -> None:
        """Where activity finds its customers: hub id -> golden id, and a person's mailbox -> golden id,
        from (hub id, golden id, values) of every record of a party entity."""
        by_hub = self.golden_by_hub.setdefault(entity, {})
        for hub_id, golden_id, values in records:
            if hub_id:
                by_hub[hub_id] = golden_id
            mailbox = normalize.email(values.get("email")) if entity == "contact" else None
            if mailbox:
                self.golden_by_email.setdefault(mailbox, golden_id)

    def file_activity(self) -> dict[str, int]:
        """Tickets, orders, invoices and marketing members, under the clusters they belong to (a party
        this run did not resolve is found in the last resolution's clusters)."""
        for party in PARTIES:
            if party not in self.golden_by_hub:
                self._index(party, self.store.records(party))
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        stamp = now_text()
        for entity, refs in ACTIVITY.items():
            shown = [*SHOWN[entity], *refs.values()]
            for endpoint in endpoints(self.engine, entity):
                side = self.read(endpoint, entity, shown)
                for row in side.rows if side is not None else ():
                    key = str(row[KEY] or f"{endpoint.instance}:{row[ID]}")
                    here = f"{endpoint.instance}:{row[ID]}"
                    if (entity, key) in rows:
                        rows[(entity, key)]["systems"].append(here)
                        continue
                    owners = {
                        party: self.golden_by_hub.get(party, {}).get(str(row.get(reference)))
                        for party, reference in refs.items()
                    }
                    if entity == "marketing_member" and owners.get("contact") is None:
                        owners["contact"] = self.golden_by_email.get(normalize.email(row.get("email")) or "")
                    if not any(owners.values()):
                        continue
                    rows[(entity, key)] = {
                        "entity": entity,
                        "key": key,
                        "systems": [here],
                        "account": owners.get("account"),
                        "contact": owners.get("contact"),
                        "record": {
                            name: _plain(row.get(name)) for name in SHOWN[entity] if row.get(name) is not None
                        },
                        "resolved_at": stamp,
                    }
        self.store.replace_activity(list(rows.values()))
        return dict(Counter(entity for entity, _ in rows))


def search_text(golden_id: str, members: Sequence[Candidate]) -> str:
    """What `hub customer` finds a cluster by: folded names, mailboxes, phones, ids (space-separated)."""
    words: list[str] = [golden_id]
    for member in members:
        values = member.values
        words += [member.key, member.hub_id or ""]
        for name in ("name", "first_name", "last_name"):
            words.append(normalize.name(values.get(name)) or "")
        words += [normalize.email(values.get("email")) or "", normalize.domain(values.get("website")) or ""]
        for name in ("phone", "mobile"):
            words.append(normalize.phone(values.get(name)) or "")
    return " ".join(dict.fromkeys(w for w in words if w))


def _rule_of(label: str) -> str:
    return (
        "probable"
        if label.startswith("probable")
        else ("merged by hand" if label.startswith("merged by") else label)
    )


def _plain(value: Any) -> Any:
    """A canonical value as JSON keeps it (decimals as text)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)
