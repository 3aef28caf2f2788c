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

A key is `{kind: field}` (`person` takes two fields: given and family name); the kinds are
`hub.identity.resolve.KINDS`. Every mistake is a located problem naming the file, line and field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.errors import Problem
from hub.identity.resolve import KINDS, Part, Rule
from hub.project.hints import suggest
from hub.project.yamldoc import Document, PathItem

KEYS = ("max_group", "threshold", "rules")
SCHEMA_KEY = "x-identity"


@dataclass(frozen=True)
class IdentitySettings:
    """How an entity's records are resolved into clusters."""

    rules: tuple[Rule, ...]
    max_group: int = 10
    threshold: float = 0.9999


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
    return IdentitySettings(rules, int(data.get("max_group", 10)), float(data.get("threshold", 0.9999)))


def settings_problems(
    doc: Document, where: Sequence[PathItem], data: Any, fields: Mapping[str, Any]
) -> list[Problem]:
    """What is wrong with identity settings `data` at `where` in `doc`, for an entity of `fields`."""
    at = list(where)
    if not isinstance(data, dict):
        return [doc.problem(at, "identity holds rules (and optionally max_group, threshold)")]
    problems = [
        doc.problem(
            [*at, key], f"unknown key {key!r}{suggest(str(key), KEYS)}; known: {', '.join(KEYS)}", key=True
        )
        for key in data
        if key not in KEYS
    ]
    max_group = data.get("max_group", 10)
    if isinstance(max_group, bool) or not isinstance(max_group, int) or max_group < 2:
        problems.append(doc.problem([*at, "max_group"], "max_group is a whole number from 2 up"))
    threshold = data.get("threshold", 0.9999)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0.5 <= threshold <= 1:
        problems.append(doc.problem([*at, "threshold"], "threshold is a match probability from 0.5 to 1"))
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        return [*problems, doc.problem([*at, "rules"] if "rules" in data else at, "rules: a list of rules")]
    names: set[str] = set()
    for index, rule in enumerate(rules):
        problems += _rule_problems(doc, [*at, "rules", index], rule, fields, names)
    return problems


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
    wanted = 2 if kind == "person" else 1
    if len(given) != wanted or not all(isinstance(f, str) for f in given):
        shape = "two fields: [given name, family name]" if wanted == 2 else "one field"
        return [doc.problem([*at, kind], f"a {kind} key reads {shape}")]
    return [
        doc.problem([*at, kind], f"the entity has no field {name!r}{suggest(name.split('.')[0], fields)}")
        for name in given
        if name.split(".")[0] not in fields
    ]


def _part(key: Mapping[str, Any]) -> Part:
    kind, read = next(iter(key.items()))
    return Part(str(kind), tuple(read) if isinstance(read, list) else (str(read),))
