"""The CRM search endpoint's filters and sorts, over the emulator's records.

`filterGroups` are OR'ed, the filters inside a group AND'ed; date properties compare as instants
whether the filter value is epoch milliseconds or ISO-8601, as HubSpot accepts both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from connectors.emulators.hubspot.store import HubSpotObject

DATE_PROPERTIES = {"createdate", "lastmodifieddate", "hs_lastmodifieddate"}
OPERATORS = {
    "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
    "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
}  # fmt: skip


class SearchError(ValueError):
    """A search body HubSpot refuses (400 VALIDATION_ERROR)."""


def _instant(value: Any) -> float:
    text = str(value)
    if text.lstrip("-").isdigit():
        return int(text) / 1000.0
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).timestamp()


def _comparable(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in DATE_PROPERTIES:
        return _instant(value)
    text = str(value)
    try:
        return float(text)
    except ValueError:
        return text.lower()


def _matches(record: HubSpotObject, rule: Mapping[str, Any]) -> bool:
    name, operator = rule.get("propertyName"), rule.get("operator", "EQ")
    if not isinstance(name, str) or operator not in OPERATORS:
        raise SearchError(f"Invalid filter: {dict(rule)}")
    raw = record.properties.get(name) if name != "id" else record.id
    if operator == "HAS_PROPERTY":
        return raw not in (None, "")
    if operator == "NOT_HAS_PROPERTY":
        return raw in (None, "")
    have = _comparable(name, raw)
    if operator in ("IN", "NOT_IN"):
        values = {_comparable(name, v) for v in rule.get("values") or []}
        return bool((have in values) == (operator == "IN"))
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        token = str(rule.get("value", "")).lower().strip("*")
        return bool((token in str(raw or "").lower()) == (operator == "CONTAINS_TOKEN"))
    want = _comparable(name, rule.get("value"))
    if operator == "BETWEEN":
        high = _comparable(name, rule.get("highValue"))
        return have is not None and want <= have <= high
    if operator == "EQ":
        return bool(have == want)
    if operator == "NEQ":
        return bool(have != want)
    if have is None or want is None:
        return False
    try:
        return bool(
            {"LT": have < want, "LTE": have <= want, "GT": have > want, "GTE": have >= want}[operator]
        )
    except TypeError:
        return False


def _sort_key(record: HubSpotObject, name: str) -> tuple[bool, Any]:
    value = _comparable(name, record.properties.get(name))
    return value is None, value if value is not None else 0


def search(records: Sequence[HubSpotObject], body: Mapping[str, Any]) -> list[HubSpotObject]:
    """The records a search body selects, in its sort order (then by id, as HubSpot's ties fall)."""
    groups = body.get("filterGroups") or []
    if len(groups) > 5:
        raise SearchError("filterGroups may contain at most 5 groups")
    found = [
        r
        for r in records
        if not r.archived
        and (not groups or any(all(_matches(r, f) for f in g.get("filters", [])) for g in groups))
    ]
    found.sort(key=lambda r: int(r.id))
    for sort in reversed(body.get("sorts") or []):
        name = sort.get("propertyName") if isinstance(sort, Mapping) else str(sort)
        descending = isinstance(sort, Mapping) and sort.get("direction") == "DESCENDING"
        found.sort(key=partial(_sort_key, name=str(name)), reverse=descending)
    return found
