"""Identity clusters: which records, across every system, are one person or one organisation.

Deterministic rules first. Records that share a hub id are one (the hub's own cross-references:
a sync linked them). Then each rule makes a key of a record's match values (`hub.identity.normalize`:
an e-mail as one mailbox, a phone number in E.164, a tax number as letters and digits, a web domain, a
person's whole name in either order), and records with one key are one. A key that more than
`max_group` records share is not evidence (a shared role mailbox, a switchboard number, a family
name and a shared company): it links nothing, and the resolution says which keys it set aside.

The clusters are the connected components of those links (a union-find over the records), each named
by its golden id: the smallest hub id among its records (the smallest record key when none has one),
so re-running the resolution over the same records gives the same ids. Every link keeps the rule that
made it, for `explain`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.engine.identity import value_at
from hub.identity import normalize

KINDS: dict[str, Callable[..., str | None]] = {
    "email": normalize.email,
    "phone": normalize.phone,
    "tax_id": normalize.tax_id,
    "domain": normalize.domain,
    "name": normalize.name,
    "person": normalize.person,
    "organisation": normalize.name,
}
"""How a key part reads its fields: `person` takes two (given name, family name), `organisation` two
or three (the company, an e-mail address, a phone number), the others one.

`organisation` is the record's company when it names one, else the company its e-mail's domain
belongs to, else the company its phone number belongs to (a switchboard colleagues share): a domain
or number that records of one cluster share with exactly one company, and that no record names
with another (free mail providers' domains belong to nobody). A Zendesk requester at
`anna.jansen@acme.com`, or calling from Acme's switchboard, and an ERP contact of Acme without an
e-mail then meet in "name and organisation". Rules with an `organisation` part are keyed after the
rules before them have made their clusters, which is where the domains and numbers are learned."""

ARITY = {"person": (2,), "organisation": (2, 3)}
"""How many fields a part of each kind reads (one for the kinds not named)."""


@dataclass(frozen=True)
class Candidate:
    """One record of one system, as identity resolution sees it: its canonical values."""

    system: str
    id: str
    values: Mapping[str, Any]
    hub_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.system}:{self.id}"


@dataclass(frozen=True)
class Part:
    """One part of a rule's key: the match value of `kind` read from `fields`."""

    kind: str
    fields: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown match kind {self.kind!r}; known: {', '.join(KINDS)}")
        wanted = ARITY.get(self.kind, (1,))
        if len(self.fields) not in wanted:
            shown = " or ".join(map(str, wanted))
            raise ValueError(f"a {self.kind} key part reads {shown} field(s), not {len(self.fields)}")

    def value(
        self, values: Mapping[str, Any], region: str | None, domains: Mapping[str, str] | None = None
    ) -> str | None:
        read = [value_at(values, path) for path in self.fields]
        if self.kind == "phone":
            return normalize.phone(read[0], region)
        if self.kind == "organisation":
            company = normalize.name(read[0]) if isinstance(read[0], str) else None
            if company:
                return company
            learned = domains or {}
            return next((learned[c] for c in _clues(read, region) if c in learned), None)
        return KINDS[self.kind](*read)


@dataclass(frozen=True)
class Rule:
    """Records whose every part agrees (and is present) are one."""

    name: str
    parts: tuple[Part, ...]

    @property
    def learns(self) -> bool:
        """Whether the rule reads companies from e-mail domains (see `KINDS`)."""
        return any(part.kind == "organisation" for part in self.parts)

    def key(
        self, values: Mapping[str, Any], region: str | None, domains: Mapping[str, str] | None = None
    ) -> tuple[str, ...] | None:
        found = []
        for part in self.parts:
            value = part.value(values, region, domains)
            if value is None:
                return None
            found.append(value)
        return tuple(found)


@dataclass
class Resolution:
    """The clusters: each record's golden id, the links and what made them, the keys set aside."""

    golden: dict[str, str]  # record key -> golden id
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (rule, record key, record key)
    too_common: dict[str, int] = field(default_factory=dict)  # "rule: key" -> records sharing it

    def clusters(self) -> dict[str, list[str]]:
        """Golden id -> its records' keys (sorted)."""
        found: dict[str, list[str]] = defaultdict(list)
        for key, golden in self.golden.items():
            found[golden].append(key)
        return {golden: sorted(keys) for golden, keys in found.items()}


def resolve(
    candidates: Iterable[Candidate],
    rules: Sequence[Rule],
    *,
    max_group: int = 10,
    region: str | None = None,
    probable: Iterable[tuple[str, str, float]] = (),
    apart: Collection[str] = (),
    merges: Iterable[tuple[str, str, str]] = (),
) -> Resolution:
    """Cluster `candidates` by their hub ids, then by `rules` (see the module's description), then
    by the `probable` pairs of record keys a probabilistic linkage scored (`hub.identity.linkage`);
    `region` reads national phone numbers.

    Decisions made by hand come last: records in `apart` (split off) are joined by no rule and no
    probable pair, only by their hub id; `merges` (label, record key, record key) join whatever else
    says."""
    records = list(candidates)
    held = {index for index, record in enumerate(records) if record.key in apart}
    sets = _UnionFind(len(records))
    links: list[tuple[str, str, str]] = []
    by_hub: dict[str, int] = {}
    for index, record in enumerate(records):
        if record.hub_id:
            first = by_hub.setdefault(record.hub_id, index)
            if first != index and sets.union(first, index):
                links.append(("hub id", records[first].key, record.key))
    too_common: dict[str, int] = {}
    domains: dict[str, str] | None = None
    for rule in rules:
        if rule.learns and domains is None:
            domains = _company_domains(records, rule, sets, region)
        groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for index, record in enumerate(records):
            key = None if index in held else rule.key(record.values, region, domains)
            if key is not None:
                groups[key].append(index)
        for key, members in groups.items():
            if len(members) > max_group:
                too_common[f"{rule.name}: {' / '.join(key)}"] = len(members)
                continue
            head = members[0]
            for other in members[1:]:
                if sets.union(head, other):
                    links.append((rule.name, records[head].key, records[other].key))
    index_of = {record.key: index for index, record in enumerate(records)}
    for left, right, score in probable:
        if left in apart or right in apart:
            continue
        if left in index_of and right in index_of and sets.union(index_of[left], index_of[right]):
            links.append((f"probable ({score:.3f})", left, right))
    for label, left, right in merges:
        if left in index_of and right in index_of and sets.union(index_of[left], index_of[right]):
            links.append((label, left, right))
    return Resolution(_golden_ids(records, sets), links, too_common)


def _clues(read: Sequence[Any], region: str | None) -> list[str]:
    """What names a record's company when it does not: its e-mail's domain ("@acme.com", none for
    free mail), then its phone number ("tel:+31207940958")."""
    found = []
    address = read[1] if len(read) > 1 else None
    if isinstance(address, str) and "@" in address and (domain := normalize.domain(address)):
        found.append(f"@{domain}")
    number = normalize.phone(read[2], region) if len(read) > 2 else None
    if number:
        found.append(f"tel:{number}")
    return found


def _company_domains(
    records: Sequence[Candidate], rule: Rule, sets: _UnionFind, region: str | None
) -> dict[str, str]:
    """E-mail domain or phone number (`_clues`) -> the company (folded) it belongs to, learned from the
    clusters so far: a cluster with one company lends it its records' domains and numbers; one lent
    two companies is nobody's."""
    part = next(part for part in rule.parts if part.kind == "organisation")
    companies: dict[int, set[str]] = defaultdict(set)
    seen: dict[int, set[str]] = defaultdict(set)
    for index, record in enumerate(records):
        read = [value_at(record.values, path) for path in part.fields]
        root = sets.find(index)
        if isinstance(read[0], str) and (folded := normalize.name(read[0])):
            companies[root].add(folded)
        seen[root].update(_clues(read, region))
    owners: dict[str, set[str]] = defaultdict(set)
    for root, found in seen.items():
        for clue in found:
            owners[clue].update(companies.get(root, ()))
    return {clue: next(iter(names)) for clue, names in owners.items() if len(names) == 1}


def _golden_ids(records: Sequence[Candidate], sets: _UnionFind) -> dict[str, str]:
    names: dict[int, str] = {}
    for index, record in enumerate(records):
        root = sets.find(index)
        candidate = record.hub_id or f"~{record.key}"  # any hub id names a cluster before a key does
        if root not in names or candidate < names[root]:
            names[root] = candidate
    return {record.key: names[sets.find(i)].removeprefix("~") for i, record in enumerate(records)}


class _UnionFind:
    """Disjoint sets over 0..n-1, by size, with path halving."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.size = [1] * size

    def find(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: int, b: int) -> bool:
        """Join the sets of a and b; False when they were one already."""
        a, b = self.find(a), self.find(b)
        if a == b:
            return False
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size[b]
        return True
