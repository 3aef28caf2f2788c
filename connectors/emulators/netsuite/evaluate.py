"""Running a parsed SuiteQL query over in-memory rows, and rendering its results as NetSuite does.

Rows hold typed values (int ids, str, bool, aware UTC datetimes, int reference keys, None). SuiteQL
answers every value as a string: numbers and reference keys in decimal, booleans `T`/`F`, datetimes
in the user's date format preference (`M/D/YYYY`, the date only, in the user's time zone) unless the
query formats them with `TO_CHAR`; empty values are left out of an item altogether. `TO_CHAR`,
`TO_DATE` and `TO_TIMESTAMP` read and write the Oracle format elements `YYYY MM DD HH24 HH MI SS AM`
and quoted text, in the user's time zone (the session's, as in NetSuite).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cmp_to_key
from typing import Any
from zoneinfo import ZoneInfo

from connectors.emulators.netsuite.suiteql import (
    AnyOf,
    Call,
    Column,
    Condition,
    Expr,
    Literal,
    Query,
    Selected,
    SuiteQLError,
)

Row = Mapping[str, Any]
_ELEMENT = re.compile(r'"[^"]*"|YYYY|HH24|HH12|HH|MM|DD|MI|SS|AM|PM|[^A-Za-z"]+|[A-Za-z]+', re.IGNORECASE)
_STRFTIME = {"YYYY": "%Y", "MM": "%m", "DD": "%d", "HH24": "%H", "HH12": "%I", "HH": "%I", "MI": "%M"}
_STRFTIME |= {"SS": "%S", "AM": "%p", "PM": "%p"}


def strftime_pattern(mask: str) -> str:
    """An Oracle datetime format mask (`'YYYY-MM-DD"T"HH24:MI:SS'`) as a strftime pattern."""
    parts = []
    for element in _ELEMENT.findall(mask):
        if element.startswith('"'):
            parts.append(element[1:-1].replace("%", "%%"))
        elif element.upper() in _STRFTIME:
            parts.append(_STRFTIME[element.upper()])
        elif element[0].isalpha():
            raise SuiteQLError(f"Invalid search query. Unsupported date format element '{element}'.")
        else:
            parts.append(element.replace("%", "%%"))
    return "".join(parts)


@dataclass(frozen=True)
class Session:
    """What the integration user's preferences change about results: time zone and date format."""

    zone: ZoneInfo

    def to_char(self, moment: datetime, mask: str) -> str:
        return moment.astimezone(self.zone).strftime(strftime_pattern(mask))

    def to_date(self, text: str, mask: str) -> datetime:
        try:
            local = datetime.strptime(text, strftime_pattern(mask))
        except ValueError:
            raise SuiteQLError(
                f"Invalid search query. '{text}' does not match the date format '{mask}'."
            ) from None
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def default_text(self, value: Any) -> str:
        """A value as SuiteQL returns it without TO_CHAR."""
        if isinstance(value, bool):
            return "T" if value else "F"
        if isinstance(value, datetime):
            local = value.astimezone(self.zone)
            return f"{local.month}/{local.day}/{local.year}"
        return str(value)


def run(
    query: Query, table: Mapping[str, str], rows: Iterable[Row], session: Session
) -> list[dict[str, str]]:
    """The items a query answers (every matching row, ordered, rendered), for a record type whose
    fields and kinds are `table`."""
    _check_fields(query, table)
    evaluate = _Evaluator(session)
    matching = [row for row in rows if all(evaluate.holds(term, row) for term in query.where)]
    selected = query.columns or tuple(_star(table))
    outputs = [{c.name: evaluate.value(c.expr, row) for c in selected} for row in matching]
    if query.order:
        aliases = {c.name for c in selected}
        pairs = sorted(
            zip(matching, outputs, strict=True), key=cmp_to_key(_comparer(query, aliases, evaluate))
        )
        outputs = [output for _row, output in pairs]
    return [{k: session.default_text(v) for k, v in out.items() if v is not None} for out in outputs]


def _star(table: Mapping[str, str]) -> Iterable[Selected]:
    return (Selected(Column(name), name) for name in table)


def _columns(expr: Expr) -> Iterable[str]:
    if isinstance(expr, Column):
        yield expr.name
    elif isinstance(expr, Call):
        for arg in expr.args:
            yield from _columns(arg)


def _check_fields(query: Query, table: Mapping[str, str]) -> None:
    exprs: list[Expr] = [c.expr for c in query.columns or ()]
    terms = [c for t in query.where for c in (t.terms if isinstance(t, AnyOf) else (t,))]
    exprs += [t.left for t in terms] + [e for t in terms for e in t.right]
    aliases = {c.name for c in query.columns or ()}
    exprs += [k.expr for k in query.order if not (isinstance(k.expr, Column) and k.expr.name in aliases)]
    for name in (n for e in exprs for n in _columns(e)):
        if name not in table:
            raise SuiteQLError(
                "Invalid search query. Detailed unprocessed description follows. Search error occurred: "
                f"Field '{name}' for record '{query.table}' was not found. Reason: UNKNOWN_FIELD"
            )


class _Evaluator:
    """Values of expressions over one row, and the truth of conditions (SQL NULL semantics)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def value(self, expr: Expr, row: Row) -> Any:
        if isinstance(expr, Column):
            return row.get(expr.name)
        if isinstance(expr, Literal):
            return expr.value
        args = [self.value(a, row) for a in expr.args]
        return self.call(expr.function, args)

    def call(self, function: str, args: list[Any]) -> Any:
        if len(args) != 2 or not isinstance(args[1], str):
            raise SuiteQLError(f"Invalid search query. {function.upper()} takes a value and a format mask.")
        value, mask = args
        if value is None:
            return None
        if function == "to_char":
            return self.session.to_char(value, mask) if isinstance(value, datetime) else str(value)
        if not isinstance(value, str):
            raise SuiteQLError(f"Invalid search query. {function.upper()} needs a string to convert.")
        return self.session.to_date(value, mask)

    def holds(self, term: Condition | AnyOf, row: Row) -> bool:
        if isinstance(term, AnyOf):
            return any(self.holds(alternative, row) for alternative in term.terms)
        left = self.value(term.left, row)
        if term.operator in ("is null", "is not null"):
            return (left is None) == (term.operator == "is null")
        rights = [self.value(e, row) for e in term.right]
        if left is None:
            return False
        if term.operator in ("in", "not in"):
            found = any(r is not None and _compare(left, r) == 0 for r in rights)
            return found == (term.operator == "in")
        right = rights[0]
        if right is None:
            return False
        return _OPERATORS[term.operator](_compare(left, right))


_OPERATORS: dict[str, Callable[[int], bool]] = {
    "=": lambda c: c == 0,
    "<>": lambda c: c != 0,
    "!=": lambda c: c != 0,
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


def _coerce(value: Any, like: Any) -> Any:
    """`value` converted to the type of `like` the way Oracle converts implicitly (or refused)."""
    if isinstance(like, bool) and isinstance(value, str) and value in ("T", "F"):
        return value == "T"
    if isinstance(like, (int, float)) and not isinstance(like, bool) and isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            raise SuiteQLError(f"Invalid search query. '{value}' is not a number.") from None
    if isinstance(like, datetime) and not isinstance(value, datetime):
        raise SuiteQLError(
            f"Invalid search query. Compare dates with TO_DATE or TO_TIMESTAMP, not with {value!r}."
        )
    return value


def _compare(left: Any, right: Any) -> int:
    right, left = _coerce(right, left), _coerce(left, right)
    if isinstance(left, str) != isinstance(right, str):
        left, right = str(left), str(right)
    return int(left > right) - int(left < right)


def _comparer(query: Query, aliases: set[str], evaluate: _Evaluator) -> Callable[[Any, Any], int]:
    """Compare (row, output) pairs by ORDER BY; a name that is a select alias means the alias, as in
    Oracle. NULLs sort last ascending, first descending."""

    def key_value(pair: tuple[Row, dict[str, Any]], expr: Expr) -> Any:
        row, output = pair
        if isinstance(expr, Column) and expr.name in aliases:
            return output[expr.name]
        return evaluate.value(expr, row)

    def compare(a: tuple[Row, dict[str, Any]], b: tuple[Row, dict[str, Any]]) -> int:
        for key in query.order:
            x, y = key_value(a, key.expr), key_value(b, key.expr)
            if x is None or y is None:
                result = (x is None) - (y is None)
            else:
                result = _compare(x, y)
            if result:
                return -result if key.descending else result
        return 0

    return compare
