"""An entity's identity settings, as its canonical schema (`x-identity`) or the project's extension of it
(`schemas/<entity>.yaml`, `identity:`) says them:

    identity:
      max_group: 10            # a key more records share than this links nothing (10)
      threshold: 0.9999        # the match probability of Splink's pairs that links them (0.9999)
      rules:                   # deterministic, in order; a record agreeing on every key of one is one
        - name: e-mail
          keys: [{email: email}]
        - name: phone and name
          keys: [{phone: phone}, {person: [first_name, last_name]}]
      blocking:                # which pairs Splink compares: records agreeing on one of these
        - [email]
        - [last_name, account]
      survivorship:            # how a cluster's golden record picks each field's value
        sources: [salesforce, hubspot, odoo]   # source priority, highest first (or system@connection)
        default: source_priority               # or most_recent, most_complete, most_frequent
        fields:
          phone: most_recent
          industry: {source_priority: [hubspot, salesforce]}

A key is `{kind: field}` (`person`, `similar_person` and `rare_person` take two fields: given and
family name; `organisation` two or three); the kinds are `hub.identity.resolve.KINDS`. Blocking
columns are `hub.identity.linkage.COLUMNS`. The survivorship's `sources` also rank the syncs of a
cluster into one target: a sync under `identity: true` does not overwrite a target record that a
higher-ranked source feeds (`SyncEngine.outranked_by`). Every mistake is a located problem naming
the file, line and field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.errors import Problem
from hub.identity.resolve import ARITY, KINDS, Part, Rule
from hub.project.hints import suggest
from hub.project.yamldoc import Document, PathItem

KEYS = ("max_group", "threshold", "rules", "blocking", "survivorship")
SCHEMA_KEY = "x-identity"
RULES = ("source_priority", "most_recent", "most_complete", "most_frequent")
"""Survivorship rules (`hub.identity.golden`)."""
BLOCKING = (("email",), ("phone",), ("full_name",), ("last_name", "account"))
"""Splink's blocking when the settings name none: the pairs it compares share one of these."""


@dataclass(frozen=True)
class FieldRule:
    """How one field's surviving value is chosen: a rule, and for `source_priority` its own order
    (empty: the survivorship's `sources`)."""

    rule: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Survivorship:
    """How a cluster's golden record chooses each canonical field's value."""

    sources: tuple[str, ...] = ()  # system names, highest priority first
    default: FieldRule = FieldRule("source_priority")
    fields: Mapping[str, FieldRule] = field(default_factory=dict)

    def rule(self, name: str) -> FieldRule:
        return self.fields.get(name, self.default)

    def rank(self, system: str, order: Sequence[str] = ()) -> int:
        """A system's place in `order` (or `sources`): smaller is stronger; unlisted systems last. A
        system instance (`sql@warehouse`) is ranked as listed, else as its system."""
        ranked = tuple(order) or self.sources
        for name in (system, system.split("@", 1)[0]):
            if name in ranked:
                return ranked.index(name)
        return len(ranked)


@dataclass(frozen=True)
class IdentitySettings:
    """How an entity's records are resolved into clusters."""

    rules: tuple[Rule, ...]
    max_group: int = 10
    threshold: float = 0.9999
    blocking: tuple[tuple[str, ...], ...] = BLOCKING
    survivorship: Survivorship = Survivorship()


def library_settings(entity: str) -> IdentitySettings | None:
    """The identity settings of one of the library's canonical entities (None: it has none)."""
    import json

    from hub.library import root

    path = root() / "schemas" / f"{entity}.schema.json"
    data = json.loads(path.read_text(encoding="utf-8")).get(SCHEMA_KEY) if path.is_file() else None
    return None if data is None else read_settings(data)


def read_settings(data: Any) -> IdentitySettings:
    """Settings from checked data (`settings_problems` found none)."""
    rules = tuple(
        Rule(str(rule["name"]), tuple(_part(key) for key in rule["keys"])) for rule in data.get("rules", [])
    )
    blocking = tuple(tuple(block) for block in data.get("blocking", BLOCKING))
    kept = data.get("survivorship") or {}
    survivorship = Survivorship(
        tuple(kept.get("sources", ())),
        _field_rule(kept.get("default", "source_priority")),
        {str(name): _field_rule(rule) for name, rule in (kept.get("fields") or {}).items()},
    )
    return IdentitySettings(
        rules, int(data.get("max_group", 10)), float(data.get("threshold", 0.9999)), blocking, survivorship
    )


def _field_rule(data: Any) -> FieldRule:
    if isinstance(data, dict):
        return FieldRule("source_priority", tuple(data["source_priority"]))
    return FieldRule(str(data))


def settings_problems(
    doc: Document, where: Sequence[PathItem], data: Any, fields: Mapping[str, Any]
) -> list[Problem]:
    """What is wrong with identity settings `data` at `where` in `doc`, for an entity of `fields`."""
    at = list(where)
    if not isinstance(data, dict):
        return [doc.problem(at, "identity holds rules (and optionally max_group, threshold)")]
    problems = _unknown_keys(doc, at, data, KEYS)
    max_group = data.get("max_group", 10)
    if isinstance(max_group, bool) or not isinstance(max_group, int) or max_group < 2:
        problems.append(doc.problem([*at, "max_group"], "max_group is a whole number from 2 up"))
    threshold = data.get("threshold", 0.9999)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0.5 <= threshold <= 1:
        problems.append(doc.problem([*at, "threshold"], "threshold is a match probability from 0.5 to 1"))
    if "blocking" in data:
        problems += _blocking_problems(doc, [*at, "blocking"], data["blocking"])
    if "survivorship" in data:
        problems += _survivorship_problems(doc, [*at, "survivorship"], data["survivorship"], fields)
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        return [*problems, doc.problem([*at, "rules"] if "rules" in data else at, "rules: a list of rules")]
    names: set[str] = set()
    for index, rule in enumerate(rules):
        problems += _rule_problems(doc, [*at, "rules", index], rule, fields, names)
    return problems


def _unknown_keys(
    doc: Document, at: list[PathItem], data: dict[Any, Any], known: Sequence[str]
) -> list[Problem]:
    return [
        doc.problem(
            [*at, key], f"unknown key {key!r}{suggest(str(key), known)}; known: {', '.join(known)}", key=True
        )
        for key in data
        if key not in known
    ]


def _blocking_problems(doc: Document, at: list[PathItem], data: Any) -> list[Problem]:
    from hub.identity.linkage import COLUMNS

    columns = [c for c in COLUMNS if c != "unique_id"]
    shape = "blocking: a list of column lists such as [[email], [last_name, account]]; columns: "
    shape += ", ".join(columns)
    if not isinstance(data, list) or not data:
        return [doc.problem(at, shape)]
    problems = []
    for index, block in enumerate(data):
        if not isinstance(block, list) or not block:
            problems.append(doc.problem([*at, index], shape))
            continue
        problems += [
            doc.problem(
                [*at, index, place],
                f"unknown column {column!r}{suggest(str(column), columns)}; columns: {', '.join(columns)}",
            )
            for place, column in enumerate(block)
            if column not in columns
        ]
    return problems


def _survivorship_problems(
    doc: Document, at: list[PathItem], data: Any, fields: Mapping[str, Any]
) -> list[Problem]:
    known = ("sources", "default", "fields")
    if not isinstance(data, dict):
        return [doc.problem(at, "survivorship holds sources, default and fields")]
    problems = _unknown_keys(doc, at, data, known)
    sources = data.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) and s for s in sources):
        problems.append(
            doc.problem([*at, "sources"], "sources: a list of system names, highest priority first")
        )
    if "default" in data:
        problems += _field_rule_problems(doc, [*at, "default"], data["default"])
    chosen = data.get("fields", {})
    if not isinstance(chosen, dict):
        return [*problems, doc.problem([*at, "fields"], "fields: each canonical field and its rule")]
    for name, rule in chosen.items():
        if str(name).split(".")[0] not in fields:
            problems.append(
                doc.problem(
                    [*at, "fields", name],
                    f"the entity has no field {name!r}{suggest(str(name), fields)}",
                    key=True,
                )
            )
        problems += _field_rule_problems(doc, [*at, "fields", name], rule)
    return problems


def _field_rule_problems(doc: Document, at: list[PathItem], rule: Any) -> list[Problem]:
    if isinstance(rule, dict):
        order = rule.get("source_priority")
        if set(rule) != {"source_priority"} or not isinstance(order, list) or not order:
            return [doc.problem(at, "a field's own priority is {source_priority: [hubspot, salesforce]}")]
        return []
    if rule not in RULES:
        return [
            doc.problem(
                at,
                f"unknown survivorship rule {rule!r}{suggest(str(rule), RULES)}; rules: {', '.join(RULES)}",
            )
        ]
    return []


def _rule_problems(
    doc: Document, at: list[PathItem], rule: Any, fields: Mapping[str, Any], names: set[str]
) -> list[Problem]:
    if not isinstance(rule, dict) or set(rule) != {"name", "keys"}:
        return [doc.problem(at, "a rule has a name and keys: {name: e-mail, keys: [{email: email}]}")]
    problems = []
    if not isinstance(rule["name"], str) or not rule["name"].strip():
        problems.append(doc.problem([*at, "name"], "a rule's name is text"))
    elif rule["name"] in names:
        problems.append(doc.problem([*at, "name"], f"another rule is named {rule['name']!r}"))
    else:
        names.add(rule["name"])
    keys = rule["keys"]
    if not isinstance(keys, list) or not keys:
        return [*problems, doc.problem([*at, "keys"], "keys: a list such as [{email: email}]")]
    for index, key in enumerate(keys):
        problems += _key_problems(doc, [*at, "keys", index], key, fields)
    return problems


def _key_problems(doc: Document, at: list[PathItem], key: Any, fields: Mapping[str, Any]) -> list[Problem]:
    if not isinstance(key, dict) or len(key) != 1:
        return [
            doc.problem(at, f"a key is one kind and its field: {{email: email}}; kinds: {', '.join(KINDS)}")
        ]
    kind, read = next(iter(key.items()))
    if kind not in KINDS:
        return [
            doc.problem(
                [*at, kind],
                f"unknown kind {kind!r}{suggest(str(kind), KINDS)}; kinds: {', '.join(KINDS)}",
                key=True,
            )
        ]
    given = read if isinstance(read, list) else [read]
    wanted = ARITY.get(str(kind), (1,))
    if len(given) not in wanted or not all(isinstance(f, str) for f in given):
        shape = {
            "person": "two fields: [given name, family name]",
            "similar_person": "two fields: [given name, family name]",
            "rare_person": "two fields: [given name, family name]",
            "organisation": "two or three fields: [company, e-mail] or [company, e-mail, phone]",
        }.get(str(kind), "one field")
        return [doc.problem([*at, kind], f"a {kind} key reads {shape}")]
    return [
        doc.problem([*at, kind], f"the entity has no field {name!r}{suggest(name.split('.')[0], fields)}")
        for name in given
        if name.split(".")[0] not in fields
    ]


def _part(key: Mapping[str, Any]) -> Part:
    kind, read = next(iter(key.items()))
    return Part(str(kind), tuple(read) if isinstance(read, list) else (str(read),))
