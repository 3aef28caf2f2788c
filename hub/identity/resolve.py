"""Identity clusters: which records, across every system, are one person or one organisation.

Deterministic rules first. Records that share a hub id are one (the hub's own cross-references:
a sync linked them). Then each rule makes keys of a record's match values (`hub.identity.normalize`:
an e-mail as one mailbox, a phone number in E.164, a tax number as letters and digits, a web domain, a
person's whole name in either order, allowing one typo, or only when it is rare), and records sharing a
key are one. A key that more than
`max_group` records share is not evidence (a shared role mailbox, a switchboard number, a family
name and a shared company): it links nothing, and the resolution says which keys it set aside.

The clusters are the connected components of those links (a union-find over the records), each named
by its golden id: the smallest hub id among its records (the smallest record key when none has one),
so re-running the resolution over the same records gives the same ids. Every link keeps the rule that
made it, for `explain`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.engine.identity import value_at
from hub.identity import normalize

KINDS: dict[str, Callable[..., str | tuple[str, ...] | None]] = {
    "email": normalize.email,
    "phone": normalize.phone,
    "tax_id": normalize.tax_id,
    "domain": normalize.domain,
    "name": normalize.name,
    "person": normalize.person,
    "similar_person": normalize.similar_people,
    "rare_person": normalize.person,
    "organisation": normalize.name,
}
"""How a key part reads its fields: `person`, `similar_person` and `rare_person` take two (given name,
family name), `organisation` two or three (the company, an e-mail address, a phone number), the others one.

`similar_person` is a person's whole name allowing one typo (`normalize.similar_people`): a record
has several such keys, and records sharing any one of them agree on the part.

`rare_person` is a person's whole name when it is rare enough to name one person: when fewer than
`RARE` other people are expected to bear it by chance, the number of people (the clusters the rules
before it made) times how often its given name and its family name occur among the records. "Anna
de Jong" is never one; "Fenna Oudehofdeneman" among a million records is.

`organisation` is the record's company when it names one, else the company its e-mail's domain
belongs to, else the company its phone number belongs to (a switchboard colleagues share): a domain
or number that records of one cluster share with exactly one company, and that no record names
with another (free mail providers' domains belong to nobody). A Zendesk requester at
`anna.jansen@acme.com`, or calling from Acme's switchboard, and an ERP contact of Acme without an
e-mail then meet in "name and organisation". Rules with an `organisation` part are keyed after the
rules before them have made their clusters, which is where the domains and numbers are learned."""

ARITY = {"person": (2,), "similar_person": (2,), "rare_person": (2,), "organisation": (2, 3)}
"""How many fields a part of each kind reads (one for the kinds not named)."""
RARE = 0.01
"""A whole name is rare (`rare_person`) when fewer other people than this are expected to bear it."""
LEARNING = frozenset({"organisation", "rare_person"})
"""The kinds that read what the rules before theirs found (`Learned`)."""


@dataclass(frozen=True)
class Learned:
    """What the records and the clusters made so far say, for the kinds that need it (`LEARNING`): which
    company an e-mail domain or a phone number belongs to, how often each given and family name
    occurs, and how many people there are."""

    domains: Mapping[str, str] = field(default_factory=dict)
    given: Mapping[str, int] = field(default_factory=dict)
    family: Mapping[str, int] = field(default_factory=dict)
    records: int = 0
    people: int = 0

    def rare(self, given: str, family: str) -> bool:
        """Whether fewer than `RARE` other people are expected to bear this whole name, read either way
        round (a record may hold the family name as the given one)."""
        if not self.records:
            return False
        share = max(
            self.given.get(given, 0) * self.family.get(family, 0),
            self.given.get(family, 0) * self.family.get(given, 0),
        ) / (self.records * self.records)
        return self.people * share < RARE


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

    def values(
        self, values: Mapping[str, Any], region: str | None, learned: Learned | None = None
    ) -> list[str]:
        """The part's match values of a record: one, several (`similar_person`) or none."""
        read = [value_at(values, path) for path in self.fields]
        if self.kind == "similar_person":
            return list(normalize.similar_people(*read))
        if self.kind == "rare_person":
            given, family = normalize.name(read[0]), normalize.name(read[1])
            if not given or not family or learned is None or not learned.rare(given, family):
                return []
            return [normalize.person(given, family) or ""]
        if self.kind == "phone":
            found = normalize.phone(read[0], region)
        elif self.kind == "organisation":
            found = normalize.name(read[0]) if isinstance(read[0], str) else None
            if not found:
                domains = learned.domains if learned else {}
                found = next((domains[c] for c in _clues(read, region) if c in domains), None)
        else:
            made = KINDS[self.kind](*read)
            found = made if isinstance(made, str) else None
        return [found] if found is not None else []


@dataclass(frozen=True)
class Rule:
    """Records whose every part agrees (and is present) are one."""

    name: str
    parts: tuple[Part, ...]

    @property
    def learns(self) -> bool:
        """Whether the rule reads what the rules before it found (`LEARNING`)."""
        return any(part.kind in LEARNING for part in self.parts)

    def keys(
        self, values: Mapping[str, Any], region: str | None, learned: Learned | None = None
    ) -> list[tuple[str, ...]]:
        """A record's keys under the rule: every combination of its parts' values (one key unless a
        part is `similar_person`); none when a part has no value."""
        found: list[tuple[str, ...]] = [()]
        for part in self.parts:
            read = part.values(values, region, learned)
            if not read:
                return []
            found = [(*key, value) for key in found for value in read]
        return found


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
    learned: Learned | None = None
    for rule in rules:
        if rule.learns:  # again after each rule that needs it: the clusters have grown
            learned = _learn(records, rule, sets, region)
        groups: dict[tuple[str, ...], int | list[int]] = {}  # a key one record has keeps no list
        for index, record in enumerate(records):
            if index not in held:
                for key in rule.keys(record.values, region, learned):
                    found = groups.setdefault(key, index)
                    if isinstance(found, list):
                        found.append(index)
                    elif found != index:
                        groups[key] = [found, index]
        for key, members in groups.items():
            if isinstance(members, int):
                continue
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


def _learn(records: Sequence[Candidate], rule: Rule, sets: _UnionFind, region: str | None) -> Learned:
    """What `rule`'s parts need to know of the records and the clusters so far (`Learned`)."""
    kinds = {part.kind for part in rule.parts}
    given: Counter[str] = Counter()
    family: Counter[str] = Counter()
    if "rare_person" in kinds:
        part = next(part for part in rule.parts if part.kind == "rare_person")
        for record in records:
            first, last = (normalize.name(value_at(record.values, path)) for path in part.fields)
            if first:
                given[first] += 1
            if last:
                family[last] += 1
    people = len({sets.find(index) for index in range(len(records))}) if "rare_person" in kinds else 0
    domains = _company_domains(records, rule, sets, region) if "organisation" in kinds else {}
    return Learned(domains, given, family, len(records), people)


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
