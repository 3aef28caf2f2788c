"""Golden records: one value per canonical field for each cluster, chosen by survivorship rules.

A cluster's records each say something about the customer, in their own system, at their own time.
For each field, the rule the entity's survivorship names (`IdentitySettings.survivorship`) chooses among
the records that say something (an empty text, list or address says nothing):

- `source_priority`: the value of the highest-ranked system (the survivorship's `sources`, or the
  field's own order); the most recent among one system's records;
- `most_recent`: the value of the record changed last;
- `most_complete`: the longest text, or the address or object with the most parts filled in;
- `most_frequent`: the value most records agree on (compared as written, after trimming and case).

Every tie falls to source priority, then to the most recent record, then to the record key, so the
same records always give the same golden record. Each chosen value keeps its source: the system, the
record's id, when that record last changed, and the rule that chose it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.identity.settings import Survivorship


@dataclass(frozen=True)
class Member:
    """One record of a cluster, as survivorship sees it."""

    system: str  # the system instance
    id: str
    values: Mapping[str, Any]
    updated: str | None = None  # when the record last changed in its system (UTC text)

    @property
    def key(self) -> str:
        return f"{self.system}:{self.id}"


def says_something(value: Any) -> bool:
    """Whether a value carries information (not None, nor empty, nor an object of empty parts)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, Mapping):
        return any(says_something(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(says_something(v) for v in value)
    return True


def completeness(value: Any) -> int:
    """How much a value says: a text's length, an object's filled parts (then their length)."""
    if isinstance(value, Mapping):
        return sum(1000 + completeness(v) for v in value.values() if says_something(v))
    if isinstance(value, list | tuple):
        return sum(completeness(v) for v in value)
    return len(str(value).strip())


def _same(value: Any) -> str:
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    return json.dumps(value, sort_keys=True, default=str)


def golden_record(
    members: Sequence[Member], fields: Iterable[str], survivorship: Survivorship
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The surviving value of each field (only fields some record fills), and where each came from."""
    record: dict[str, Any] = {}
    sources: dict[str, dict[str, Any]] = {}
    for name in fields:
        saying = [m for m in members if says_something(m.values.get(name))]
        if not saying:
            continue
        rule = survivorship.rule(name)

        def order(member: Member, rule_sources: Sequence[str] = rule.sources) -> tuple[int, str, str]:
            # stronger system first, then the newer record, then the key: a total, stable order
            return (survivorship.rank(member.system, rule_sources), _negated(member.updated), member.key)

        if rule.rule == "most_recent":
            chosen = min(saying, key=lambda m: (_negated(m.updated), *order(m)))
        elif rule.rule == "most_complete":
            chosen = min(saying, key=lambda m: (-completeness(m.values[name]), *order(m)))
        elif rule.rule == "most_frequent":
            votes = Counter(_same(m.values[name]) for m in saying)
            chosen = min(saying, key=lambda m: (-votes[_same(m.values[name])], *order(m)))
        else:
            chosen = min(saying, key=order)
        record[name] = chosen.values[name]
        sources[name] = {
            "system": chosen.system,
            "id": chosen.id,
            "updated": chosen.updated,
            "rule": rule.rule,
        }
    return record, sources


def _negated(stamp: str | None) -> str:
    """Sorts newer UTC texts first (None last): each character's code point mirrored."""
    if not stamp:
        return "\uffff"
    return "".join(chr(0xFFFF - ord(c)) for c in stamp)
