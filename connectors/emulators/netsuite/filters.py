"""Record collection filtering, `GET /services/rest/record/v1/customer?q=...`, as the Help Center's
"Record Collection Filtering" describes it: conditions `field OPERATOR value` joined by AND / OR (AND
binds first), field names in any case (`dateCreated`, `companyname`), values bare or in double quotes.

    matches(parse('dateCreated ON_OR_AFTER "1/1/2022" AND dateCreated BEFORE "1/1/2023"'), row, zone)

Dates are written in the user's date format (`M/D/YYYY`) and compared as the user's calendar dates.
The operators kept are the ones the Help Center's examples and an incremental read use: EMPTY,
EMPTY_NOT; IS, IS_NOT; START_WITH, CONTAIN; EQUAL, GREATER, GREATER_OR_EQUAL, LESS, LESS_OR_EQUAL;
ON, BEFORE, AFTER, ON_OR_BEFORE, ON_OR_AFTER. Anything else is refused (`Refused`, naming `q`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.emulators.netsuite.store import Field, Refused

TOKEN = re.compile(r'\s*("[^"]*"|\S+)')
DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
UNARY = {"EMPTY", "EMPTY_NOT"}
DATES = {"ON", "BEFORE", "AFTER", "ON_OR_BEFORE", "ON_OR_AFTER"}
NUMBERS = {"EQUAL", "GREATER", "GREATER_OR_EQUAL", "LESS", "LESS_OR_EQUAL"}
TEXTS = {"IS", "IS_NOT", "START_WITH", "CONTAIN"}


@dataclass(frozen=True)
class Term:
    column: str
    operator: str
    value: str | None


Filter = list[list[Term]]  # OR of ANDs


def refuse(detail: str) -> Refused:
    return Refused(400, "INVALID_PARAMETER", f"Invalid query parameter value for 'q': {detail}", "q")


def parse(text: str, fields: dict[str, Field]) -> Filter:
    """`q` as alternatives of conditions (Refused for what the subset does not know)."""
    tokens = [t for t in TOKEN.findall(text) if t]
    alternatives: Filter = [[]]
    while tokens:
        name, operator = tokens.pop(0), (tokens.pop(0) if tokens else "")
        column = name.lower()
        if column not in fields:
            raise refuse(f"unknown field '{name}'.")
        if operator not in UNARY | DATES | NUMBERS | TEXTS:
            raise refuse(f"unsupported operator '{operator}' for the field '{name}'.")
        value = None
        if operator not in UNARY:
            if not tokens:
                raise refuse(f"the operator {operator} needs a value.")
            value = tokens.pop(0).strip('"')
            if operator in DATES:
                _date(value)  # refused now, not row by row
        alternatives[-1].append(Term(column, operator, value))
        if tokens:
            joiner = tokens.pop(0).upper()
            if joiner == "OR":
                alternatives.append([])
            elif joiner != "AND" or not tokens:
                raise refuse(f"expected AND or OR and a condition, found '{joiner}'.")
    return alternatives


def matches(where: Filter, row: dict[str, Any], fields: dict[str, Field], zone: ZoneInfo) -> bool:
    return any(all(_holds(term, row, fields[term.column], zone) for term in terms) for terms in where)


def _holds(term: Term, row: dict[str, Any], field: Field, zone: ZoneInfo) -> bool:
    value, operator = row.get(term.column), term.operator
    if operator in UNARY:
        return (value in (None, "")) == (operator == "EMPTY")
    wanted = term.value or ""
    if operator in DATES:
        if not isinstance(value, datetime):
            return False
        day, given = value.astimezone(zone).date(), _date(wanted)
        return {
            "ON": day == given,
            "BEFORE": day < given,
            "AFTER": day > given,
            "ON_OR_BEFORE": day <= given,
            "ON_OR_AFTER": day >= given,
        }[operator]
    if field.kind == "boolean":
        flag = wanted.lower() == "true"
        return (bool(value) == flag) == (operator == "IS")
    text = "" if value is None else str(value)
    if operator in NUMBERS:
        try:
            left, right = float(text), float(wanted)
        except ValueError:
            return False
        return {
            "EQUAL": left == right,
            "GREATER": left > right,
            "GREATER_OR_EQUAL": left >= right,
            "LESS": left < right,
            "LESS_OR_EQUAL": left <= right,
        }[operator]
    low, wanted_low = text.lower(), wanted.lower()
    return {
        "IS": low == wanted_low,
        "IS_NOT": low != wanted_low,
        "START_WITH": low.startswith(wanted_low),
        "CONTAIN": wanted_low in low,
    }[operator]


def _date(text: str) -> date:
    found = DATE.match(text)
    if not found:
        raise refuse(f"'{text}' is not a date in the user's format (M/D/YYYY).")
    month, day, year = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise refuse(f"'{text}' is not a date.") from None


__all__ = ["Filter", "Term", "matches", "parse"]
