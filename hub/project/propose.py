"""Mappings proposed for you (`hub new mapping SYSTEM OBJECT ENTITY`): a system object's fields, as
the system describes them (`Connector.describe`), paired with a canonical entity's fields.

Three kinds of evidence make each pair's confidence:
- **names**: the field's name and label against the canonical field's path (rapidfuzz, on words:
  `BillingPostalCode` and `billing_address.postal_code` are both "billing postal code");
- **what the shipped mappings teach**: every system field the library maps to a canonical field (its
  name, and whether it is the same system's), so `MailingCity` in one system and `city` in another
  both teach `mailing_address.city`;
- **the values**: a profile of the sampled values (e-mails, phones, URLs, dates, date-times, numbers,
  booleans, a small set of repeated values) against what the canonical field holds (its format, type,
  pattern and enumeration); a field whose values cannot be what the canonical field holds is not
  proposed for it.

Pairs are chosen best first, one system field per canonical field and the other way round, above a
threshold. Transforms come from the shipped mappings (the same system's first, then the commonest
across systems), else from the canonical field's kind.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rapidfuzz import fuzz

from hub.io.connector import FieldInfo, ObjectShape
from hub.project.loading import MappingSpec, Project
from hub.project.schemapaths import canonical_paths

THRESHOLD = 0.72
"""The confidence below which no pair is proposed (a field left for the engineer)."""
MANAGED = {"hub_id"}
"""Canonical fields the hub fills itself."""
NOISE = {"c", "x", "hs", "the", "of", "a", "an", "is"}
"""Words that say nothing about a field (`__c`, `x_`, HubSpot's `hs_` prefix, articles)."""

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[\d\s().\-/]{7,20}$")
URL = re.compile(r"^(https?://|www\.)\S+$", re.I)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def words(text: str) -> str:
    """A name as lowercase words: camelCase, snake_case, dotted paths and `__c` split apart."""
    text = re.sub(r"__c$", "", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", text.lower()) if p and p not in NOISE]
    return " ".join(parts)


def similarity(a: str, b: str) -> float:
    """How alike two names are as words, 0 to 1 (order of words does not matter)."""
    if not a or not b:
        return 0.0
    return float(fuzz.token_sort_ratio(a, b)) / 100.0


# Values ----------------------------------------------------------------------------------------
def profile(values: Iterable[Any]) -> str | None:
    """What most of the sampled values are: email, phone, url, date, datetime, number, boolean,
    enum (few distinct values, repeated), text, or None when nothing was sampled."""
    present = [v for v in values if v not in (None, "", [], {})]
    if not present:
        return None
    kinds = Counter(_kind(v) for v in present)
    kind, count = kinds.most_common(1)[0]
    if count < 0.8 * len(present):
        return "text"
    if kind == "text":
        distinct = {str(v) for v in present}
        if len(present) >= 8 and len(distinct) <= max(3, min(12, len(present) // 3)):
            return "enum"
    return kind


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, dict | list):
        return "structure"
    text = str(value).strip()
    if EMAIL.match(text):
        return "email"
    if DATETIME.match(text):
        return "datetime"
    if DATE.match(text):
        return "date"
    if URL.match(text):
        return "url"
    if text.lower() in ("true", "false"):
        return "boolean"
    try:
        Decimal(text.replace(",", ""))
        digits = sum(ch.isdigit() for ch in text)
        return "phone" if text.startswith("+") and digits >= 7 else "number"
    except InvalidOperation:
        pass
    if PHONE.match(text) and sum(ch.isdigit() for ch in text) >= 7:
        return "phone"
    return "text"


SYSTEM_TYPES = {
    "email": "email",
    "phone": "phone",
    "url": "url",
    "date": "date",
    "datetime": "datetime",
    "date-time": "datetime",
    "timestamp": "datetime",
    "boolean": "boolean",
    "bool": "boolean",
    "checkbox": "boolean",
    "booleancheckbox": "boolean",
    "integer": "number",
    "int": "number",
    "double": "number",
    "float": "number",
    "currency": "number",
    "monetary": "number",
    "number": "number",
    "percent": "number",
    "numeric": "number",
    "picklist": "enum",
    "selection": "enum",
    "enumeration": "enum",
    "dropdown": "enum",
    "reference": "reference",
    "many2one": "reference",
    "id": "reference",
}


def field_kind(info: FieldInfo, values: Sequence[Any]) -> str | None:
    """What a system field holds: its type as the system declares it, else what its values look like."""
    declared = info.type.split("(")[0].strip().lower()
    for key, kind in SYSTEM_TYPES.items():
        if declared == key or declared.startswith(key + " "):
            return kind
    if declared.startswith(("varchar", "char", "text", "string", "textarea")) or declared == "":
        return profile(values)  # text is whatever its values are (None: none sampled, unknown)
    if declared.startswith(("numeric", "decimal", "real", "bigint", "smallint")):
        return "number"
    return profile(values) or None


def canonical_kind(schema: Mapping[str, Any]) -> str:
    """What a canonical field holds: email, phone, url, date, datetime, number, boolean, enum,
    reference (a uuid another entity's hub id), object, or text."""
    fmt = schema.get("format")
    types = schema.get("type", "string")
    types = [types] if isinstance(types, str) else list(types)
    if fmt == "email":
        return "email"
    if fmt == "uuid":
        return "reference"
    if fmt in ("uri", "url"):
        return "url"
    if fmt == "date":
        return "date"
    if fmt == "date-time":
        return "datetime"
    if str(schema.get("pattern", "")).startswith("^\\+[1-9]"):
        return "phone"
    if "enum" in schema:
        return "enum"
    if "boolean" in types:
        return "boolean"
    if "number" in types or "integer" in types:
        return "number"
    if "object" in types or "array" in types:
        return "object"
    return "text"


COMPATIBLE: dict[str, set[str]] = {
    "email": {"email", "text"},
    "phone": {"phone", "text", "number"},
    "url": {"url", "text"},
    "date": {"date", "datetime", "text"},
    "datetime": {"datetime", "date"},
    "number": {"number", "text"},
    "boolean": {"boolean", "enum"},
    "enum": {"enum", "text", "boolean", "reference"},
    "reference": {"reference", "number", "text"},
    "text": {"text", "enum", "email", "phone", "url", "number", "reference"},
    "object": set(),
}
"""Which kinds of system field may fill a canonical field of each kind."""


def type_factor(canonical: str, kind: str | None) -> float:
    """1.05 when the kinds agree exactly, 1.0 when compatible or unknown, 0 when they cannot be."""
    if kind is None:
        return 1.0
    if kind == canonical:
        return 1.05
    return 1.0 if kind in COMPATIBLE.get(canonical, set()) else 0.0


# What the library teaches ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    """One field of a shipped mapping: a system field mapped to a canonical field."""

    system: str
    name: str
    raw: dict[str, Any]


@dataclass
class Knowledge:
    """The shipped mappings' fields by entity and canonical field, and each system's conventions
    (primary key, cursor and external-id fields, and the mapping options they set)."""

    examples: dict[tuple[str, str], list[Example]] = field(default_factory=lambda: defaultdict(list))
    conventions: dict[str, list[MappingSpec]] = field(default_factory=lambda: defaultdict(list))
    tails: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """A canonical leaf's words -> the words systems end such a field's name with (`region`: `state`,
    `postal code`: `zip`), learned from every shipped field."""
    suffixes: dict[tuple[str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    """(system, canonical kind) -> how its mappings reach into a related record (`.id`, `.code`)."""

    @classmethod
    def learn(cls, mappings: Iterable[MappingSpec], leave_out: str | None = None) -> Knowledge:
        known = cls()
        for mapping in mappings:
            if mapping.key == leave_out:
                continue
            known.conventions[mapping.system].append(mapping)
            raws = (mapping.doc.data or {}).get("fields", [])
            for spec in mapping.fields:
                if spec.canonical and spec.system and spec.index < len(raws):
                    example = Example(mapping.system, spec.system, dict(raws[spec.index]))
                    known.examples[(mapping.entity, spec.canonical)].append(example)
                    known._learn_tail(spec.canonical, spec.system)
                    if "." in spec.system and spec.ref:
                        known.suffixes[(mapping.system, "reference")][
                            "." + spec.system.rsplit(".", 1)[1]
                        ] += 1
        return known

    def _learn_tail(self, canonical: str, name: str) -> None:
        parent, _, leaf = canonical.rpartition(".")
        base = name.split(".")[0] if "." in name else name  # Odoo's country_id.code: country_id
        drop = set(words(parent).split())
        tail = [w for w in words(base).split() if w not in drop]
        if tail:
            self.tails[words(leaf)].add(" ".join(tail))

    def by_tail(self, canonical: str, name: str) -> float:
        """0.9 when the field's name ends with words the library has seen for the canonical field
        (its `MailingState` teaches that a `BillingState` is `billing_address.region`) and its other
        words are those of the canonical field's parent; 0.85 when it has no other words."""
        parent, _, leaf = canonical.rpartition(".")
        own = words(name).split()
        best = 0.0
        for tail in self.tails.get(words(leaf), ()):
            size = len(tail.split())
            if own[-size:] != tail.split():
                continue
            rest = own[:-size]
            if not rest:
                best = max(best, 0.85)
            elif set(rest) <= set(words(parent).split()):
                best = max(best, 0.9)
        return best

    def taught(self, system: str, entity: str, canonical: str, name: str) -> float:
        """How well the library's names for this canonical field match `name`: the same system's
        exact name counts most."""
        best = 0.0
        for example in self.examples.get((entity, canonical), []):
            score = similarity(words(name), words(example.name))
            if example.system == system:
                score = 1.0 if example.name == name else score
            else:
                score *= 0.95
            best = max(best, score)
        return best

    def elsewhere(self, system: str, canonical: str, name: str) -> float:
        """The same, from mappings of other entities with a field of the same leaf name (a contact's
        `MailingCity` teaches an account's cities nothing, but `Email` teaches `email`)."""
        leaf = canonical.rsplit(".", 1)[-1]
        best = 0.0
        for (_, other), examples in self.examples.items():
            if other.rsplit(".", 1)[-1] != leaf or ("." in other) != ("." in canonical):
                continue
            for example in examples:
                if example.system == system and example.name == name:
                    best = max(best, 0.9)
        return best

    def raw_for(self, system: str, entity: str, canonical: str, name: str) -> dict[str, Any] | None:
        """The shipped field entry to copy transforms and direction from: this system's for this
        canonical field (the same name first), else the commonest shape across systems."""
        examples = self.examples.get((entity, canonical), [])
        same = [e for e in examples if e.system == system]
        for example in sorted(same, key=lambda e: e.name != name):
            return example.raw
        portable = [e.raw for e in examples if not _system_specific(e.raw)]
        if not portable:
            return None
        shapes = Counter(
            repr({k: v for k, v in r.items() if k not in ("canonical", "system")}) for r in portable
        )
        common = shapes.most_common(1)[0][0]
        return next(
            r
            for r in portable
            if repr({k: v for k, v in r.items() if k not in ("canonical", "system")}) == common
        )


def _system_specific(raw: Mapping[str, Any]) -> bool:
    """Whether a field's transforms name one system's values (a `map` of its codes) or fields (a
    phone's `region_field`): another system's mapping cannot take them as they are."""
    text = repr({k: v for k, v in raw.items() if k not in ("canonical", "system")})
    return any(word in text for word in ("'map'", "'values'", "_field'", "'template'"))


TEXT_ONLY = {"trim", "lower", "upper", "truncate"}
"""Transforms for text: what a number, date or flag field does not take."""


def _names(value: Any) -> set[str]:
    """The transform names in a field entry's transform lists."""
    found: set[str] = set()
    for key in ("transforms", "inbound", "outbound"):
        for item in value.get(key) or []:
            found |= {item} if isinstance(item, str) else set(item) if isinstance(item, dict) else set()
    return found


def enum_map(options: Sequence[str], allowed: Sequence[Any]) -> dict[str, Any] | None:
    """`map` transforms between a system's option values and a canonical enumeration, each option
    paired with the value most like it (as words, 80 or more of 100); None when none pairs."""
    choices = {value: words(str(value)) for value in allowed if value is not None}
    pairs: dict[str, Any] = {}
    for option in options:
        scored = [(fuzz.token_sort_ratio(words(option), said), value) for value, said in choices.items()]
        best = max(scored, default=(0.0, None), key=lambda s: s[0])
        if best[0] >= 80:
            pairs[option] = best[1]
    if not pairs:
        return None
    back = {value: option for option, value in reversed(pairs.items())}
    return {
        "inbound": [{"map": {"values": pairs, "default": None}}],
        "outbound": [{"map": {"values": back, "default": None}}],
    }


DEFAULT_TRANSFORMS: dict[str, dict[str, Any]] = {
    "email": {"transforms": ["trim", "lower"]},
    "phone": {"inbound": ["e164"]},
    "url": {"inbound": ["trim", "url"], "outbound": ["trim"]},
    "date": {"transforms": ["date"]},
    "datetime": {"inbound": ["datetime"], "direction": "inbound"},
    "number": {"inbound": ["decimal"]},
    "text": {"transforms": ["trim"]},
}


# Proposals ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Proposed:
    """One proposed field: the system field, the canonical one, the entry to write and why."""

    canonical: str
    system: str
    confidence: float
    entry: dict[str, Any]
    because: str


@dataclass
class Proposal:
    """A mapping proposed for one system object and canonical entity."""

    system: str
    object: str
    entity: str
    primary_key: str | None
    cursor_field: str | None
    external_id_field: str | None
    fields: list[Proposed]
    unfilled_required: list[str]
    left_out: list[FieldInfo]
    options: dict[str, Any] = field(default_factory=dict)


def propose(project: Project, system: str, shape: ObjectShape, entity: str, knowledge: Knowledge) -> Proposal:
    """The mapping proposed for `shape` (a `system` object) and the canonical `entity`."""
    schema = project.entity_schema(entity)
    if schema is None:
        raise KeyError(entity)
    paths = canonical_paths(schema, project.registry)
    targets = {
        path: sub
        for path, sub in paths.items()
        if path.split(".")[0] not in MANAGED
        and canonical_kind(sub) != "object"
        and not path.startswith("custom")
    }
    keys = _keys(system, shape, knowledge)
    values = {f.name: [row.get(f.name) for row in shape.sample] for f in shape.fields}
    kinds = {f.name: field_kind(f, values[f.name]) for f in shape.fields}
    distinctive = Counter(k for k in map(canonical_kind, targets.values()) if k in ("email", "url", "phone"))
    candidates: list[tuple[float, str, str, str, str]] = []  # score, field, system name, path, why
    for info in shape.fields:
        if info.name == keys[2] or (info.name == keys[0] and _id_like(info.name)):
            continue  # the hub id's field and a record id are keys, not fields (a name as key is both)
        own = words(info.name)
        label = words(info.label)
        for path, sub in targets.items():
            kind = canonical_kind(sub)
            name, learned = _reach(system, entity, path, info, kind, knowledge)
            factor = 1.0 if learned else type_factor(kind, kinds[info.name])
            if factor == 0.0:
                continue
            target = words(path)
            leaf = words(path.rsplit(".", 1)[-1])
            by_name = max(_by_name(own, target, leaf), 0.98 * _by_name(label, target, leaf))
            by_library = max(learned, knowledge.taught(system, entity, path, info.name))
            by_elsewhere = max(
                knowledge.elsewhere(system, path, info.name), knowledge.by_tail(path, info.name)
            )
            by_value = 0.8 if kinds[info.name] == kind and distinctive.get(kind) == 1 else 0.0
            score = max(by_name, by_library, by_elsewhere, by_value) * factor
            if by_name > 0.6 and by_library > 0.6:
                score = min(1.0, score + 0.05)
            why = (
                "the shipped mappings map it so"
                if by_library >= max(by_name, by_elsewhere)
                else "its values: the entity's only field of their kind"
                if by_value > max(by_name, by_elsewhere)
                else "its name"
                if by_name >= by_elsewhere
                else "the shipped mappings' words for it"
            )
            candidates.append((min(score, 1.0), info.name, name, path, why))
    if keys[1] is not None and "updated_at" in targets:  # the cursor is when the record changed
        candidates.append(
            (0.99, keys[1], keys[1], "updated_at", "the object's cursor: when a record changed")
        )
    chosen: list[Proposed] = []
    used_fields: set[str] = set()
    used_paths: set[str] = set()
    for score, name, reached, path, why in sorted(candidates, key=lambda c: (-c[0], c[1], c[3])):
        if score < THRESHOLD or name in used_fields or path in used_paths:
            continue
        if any(path.startswith(p + ".") or p.startswith(path + ".") for p in used_paths):
            continue  # a whole object and one of its parts are not both mapped
        used_fields.add(name)
        used_paths.add(path)
        info = next(f for f in shape.fields if f.name == name)
        entry = _entry(system, entity, path, info, reached, targets[path], kinds[name], knowledge)
        chosen.append(Proposed(path, reached, round(score, 2), entry, why))
    required = [r for r in schema.get("required", []) if r not in MANAGED and r not in used_paths]
    left = [f for f in shape.fields if f.name not in used_fields and f.name not in keys]
    order = list(paths)
    chosen.sort(key=lambda p: order.index(p.canonical))
    return Proposal(system, shape.object, entity, *keys, chosen, required, left, _options(system, knowledge))


def _id_like(name: str) -> bool:
    """Whether a field's name says it is an identifier (`Id`, `id`, `contact_id`, `AccountId`, `uuid`)."""
    return bool(re.search(r"(^|_|\.)(id|uuid|key)$", name, re.I)) or name.endswith("Id")


def _by_name(name: str, target: str, leaf: str) -> float:
    """How well a field's name (or label), as words, names a canonical field: the whole path, its
    last part (0.9), or all the words of one within the other (0.8: `value date` for `date`)."""
    if not name:
        return 0.0
    score = max(similarity(name, target), 0.9 * similarity(name, leaf))
    mine, theirs = set(name.split()), set(leaf.split())
    return max(score, 0.8) if theirs and (theirs <= mine or mine <= theirs) else score


def _reach(
    system: str, entity: str, path: str, info: FieldInfo, kind: str, knowledge: Knowledge
) -> tuple[str, float]:
    """The name to map a field by, and how sure the library is of it: a related record's field the
    same system's mappings reach for this canonical field (`country_id` -> `country_id.code`: 1.0),
    or the system's way into related records for a reference (`parent_id` -> `parent_id.id`: 0)."""
    for example in knowledge.examples.get((entity, path), []):
        if example.system == system and "." in example.name and example.name.split(".")[0] == info.name:
            return example.name, 1.0
    suffixes = knowledge.suffixes.get((system, "reference"))
    if kind == "reference" and suffixes and info.type in ("many2one", "reference"):
        return info.name + suffixes.most_common(1)[0][0], 0.0
    return info.name, 0.0


def _entry(
    system: str,
    entity: str,
    path: str,
    info: FieldInfo,
    name: str,
    schema: Mapping[str, Any],
    held: str | None,
    knowledge: Knowledge,
) -> dict[str, Any]:
    """The field's entry: the shipped mappings' transforms for it (this system's, else the commonest
    portable ones, unless they are for text and the field holds numbers, dates or flags), a `map` for
    an enumeration the system lists options for, else the canonical kind's usual transforms."""
    kind = canonical_kind(schema)
    entry: dict[str, Any] = {"canonical": path, "system": name}
    learned = knowledge.raw_for(system, entity, path, name)
    shape = {k: v for k, v in learned.items() if k not in ("canonical", "system")} if learned else None
    same_system = any(
        e.system == system for e in knowledge.examples.get((entity, path), []) if learned is e.raw
    )
    if (
        shape is not None
        and not same_system
        and held not in (None, "text", "enum")
        and _names(shape) <= TEXT_ONLY
    ):
        shape = None  # `trim` learned from a text field elsewhere does not fit this one's numbers
    if shape is None and kind == "enum" and info.options:
        shape = enum_map(info.options, schema.get("enum", []))
    if shape is None:
        shape = dict(DEFAULT_TRANSFORMS.get(kind, {}))
    if "ref" in shape and kind != "reference":
        shape.pop("ref")
    entry.update(shape)
    if info.readonly and "direction" not in entry:
        entry["direction"] = "inbound"
    return entry


def _keys(system: str, shape: ObjectShape, knowledge: Knowledge) -> tuple[str | None, str | None, str | None]:
    """The primary key, cursor field and external-id field: the system's own conventions (what its
    shipped mappings use, when the object has those fields), else by name and type."""
    names = [f.name for f in shape.fields]
    found: list[str | None] = [None, None, None]
    for mapping in knowledge.conventions.get(system, []):
        for i, value in enumerate((mapping.primary_key, mapping.cursor_field, mapping.external_id_field)):
            if found[i] is None and value in names:
                found[i] = value
    if found[0] is None:
        found[0] = next((n for n in names if n.lower() in ("id", "uuid", "key")), names[0] if names else None)
    if found[1] is None:
        stamps = [
            f.name
            for f in shape.fields
            if re.search(r"(updated|modified|modstamp|write_date|changed)", f.name, re.I)
            and field_kind(f, [r.get(f.name) for r in shape.sample]) in ("datetime", None)
        ]
        found[1] = stamps[0] if stamps else None
    if found[2] is None:
        found[2] = next((n for n in names if re.search(r"hub_?id", n, re.I)), None)
    return found[0], found[1], found[2]


def _options(system: str, knowledge: Knowledge) -> dict[str, Any]:
    """Options every shipped mapping of the system sets alike (a Files `format`, say)."""
    mappings = knowledge.conventions.get(system, [])
    if not mappings:
        return {}
    common = dict(mappings[0].options)
    for mapping in mappings[1:]:
        common = {k: v for k, v in common.items() if mapping.options.get(k) == v}
    return common


def pairs(mapping: MappingSpec) -> set[tuple[str, str]]:
    """The (canonical, system) pairs of a mapping's fields that name both."""
    return {(f.canonical, f.system) for f in mapping.fields if f.canonical and f.system}


# The file ------------------------------------------------------------------------------------------
def render(proposal: Proposal, described: str) -> str:
    """The proposal as a commented mapping file (`described`: what was read, for its first line)."""
    lines = [
        "# yaml-language-server: $schema=../../schemas/mapping.schema.json",
        f"# Proposed by `hub new mapping` from {described}.",
        "# Review every field: a confidence is how sure the proposal was (names, the shipped mappings,",
        "# the sampled values), not a promise.",
    ]
    if proposal.unfilled_required:
        lines.append(
            "# Required canonical fields it could not fill (map them, or the records are set aside):"
        )
        lines += [f"#   {name}" for name in proposal.unfilled_required]
    custom = [f for f in proposal.left_out if f.custom]
    other = [f for f in proposal.left_out if not f.custom]
    if custom:
        lines.append("# The account's own fields it left out (extend the entity in schemas/ to carry them):")
        lines += [f"#   {_told(f)}" for f in custom]
    if other:
        lines.append(f"# Other fields it left out ({len(other)}): " + ", ".join(f.name for f in other[:40]))
        if len(other) > 40:
            lines.append(f"#   ... and {len(other) - 40} more")
    lines += [
        f"system: {proposal.system}",
        f"object: {_flow(proposal.object)}",
        f"entity: {proposal.entity}",
        f"primary_key: {_flow(proposal.primary_key or 'id')}",
    ]
    if proposal.cursor_field:
        lines.append(f"cursor_field: {_flow(proposal.cursor_field)}")
    if proposal.external_id_field:
        lines.append(f"external_id_field: {_flow(proposal.external_id_field)}")
    else:
        lines.append(
            "# external_id_field: the field that keeps the hub id (a custom field you add), to write back"
        )
    if proposal.options:
        lines.append(f"options: {_flow(proposal.options)}")
    lines.append("fields:")
    for item in proposal.fields:
        lines.append(f"  # {item.confidence:.2f}: {item.because}")
        entry = dict(item.entry)
        lines.append(f"  - canonical: {_flow(entry.pop('canonical'))}")
        lines.append(f"    system: {_flow(entry.pop('system'))}")
        lines += [f"    {key}: {_flow(value)}" for key, value in entry.items()]
    return "\n".join(lines) + "\n"


def _told(info: FieldInfo) -> str:
    extra = f" ({info.label}, {info.type})" if info.label else f" ({info.type})" if info.type else ""
    return info.name + extra


PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/*]*$")
RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "~"}


def _flow(value: Any) -> str:
    """A value as flow-style YAML."""
    import json

    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value if PLAIN.match(value) and value.lower() not in RESERVED else json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(str(k))}: {_flow(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))
