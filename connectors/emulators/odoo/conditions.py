"""One domain leaf on a plain column, with the NULL semantics of the SQL Odoo generates.

Odoo turns `(field, op, value)` into SQL where NULL never compares: so `('email', '>', 'a')` skips
records without an email, while the negative operators (`!=`, `not in`, `not like`, `not ilike`)
explicitly add `OR field IS NULL`, and `(field, '=', False)` means `IS NULL`. These functions
reproduce that (odoo/osv/expression.py `__leaf_to_sql`) over Python values.
"""

from __future__ import annotations

import operator as op
import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from connectors.emulators.odoo.fields import FieldSpec, Record, to_date, to_datetime

Predicate = Callable[[Record], bool]
Getter = Callable[[Record], Any]
ValueTest = Callable[[Any], bool]

NEGATIVE_OPERATORS = frozenset({"!=", "not like", "not ilike", "not in"})
WILDCARD_OPERATORS = frozenset({"like", "ilike", "not like", "not ilike"})
# "not =like"/"not =ilike" are internal: what '!' on a =like leaf becomes (NULL stays excluded).
PATTERN_OPERATORS = WILDCARD_OPERATORS | {"=like", "=ilike", "not =like", "not =ilike"}
CASE_INSENSITIVE = frozenset({"ilike", "not ilike", "=ilike", "not =ilike"})
ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "=": op.eq,
    "!=": op.ne,
    "<": op.lt,
    "<=": op.le,
    ">": op.gt,
    ">=": op.ge,
}


def always(_record: Record) -> bool:
    return True


def never(_record: Record) -> bool:
    return False


def compare(get: Getter, spec: FieldSpec, operator: str, right: Any) -> Predicate:
    """The predicate of `(field, operator, right)` for a field read by `get`."""
    if operator in ("in", "not in"):
        return _membership(get, spec, operator, right)
    falsy = _falsy_comparison(get, spec, operator, right)
    if falsy is not None:
        return falsy
    if operator == "=?":
        operator = "="
    test = _value_test(spec, operator, _expand_date(spec, operator, right))
    include_null = (operator in WILDCARD_OPERATORS and not right) or (
        bool(right) and operator in NEGATIVE_OPERATORS
    )
    if include_null:
        return lambda record: (value := get(record)) is None or test(value)
    return lambda record: (value := get(record)) is not None and test(value)


def _falsy_comparison(get: Getter, spec: FieldSpec, operator: str, right: Any) -> Predicate | None:
    """`= False`, `!= False` and `=? False`, which Odoo maps to IS NULL tests."""
    boolean = spec.type == "boolean"
    empty = right is False or right is None
    if boolean and ((operator == "=" and right is False) or (operator == "!=" and right is True)):
        return lambda record: not get(record)
    if empty and operator == "=":
        return lambda record: get(record) is None
    if boolean and operator == "!=" and right is False:
        return lambda record: bool(get(record))
    if empty and operator == "!=":
        return lambda record: get(record) is not None
    if empty and operator == "=?":
        return always
    return None


def _expand_date(spec: FieldSpec, operator: str, right: Any) -> Any:
    """A date given for a datetime field covers the whole day, as in Odoo's parser."""
    if spec.type != "datetime" or not right:
        return right
    end_of_day = operator in (">", "<=")
    if isinstance(right, str) and len(right) == 10:
        return right + (" 23:59:59" if end_of_day else " 00:00:00")
    if isinstance(right, date) and not isinstance(right, datetime):
        return datetime.combine(right, time.max if end_of_day else time.min)
    return right


def _value_test(spec: FieldSpec, operator: str, right: Any) -> ValueTest:
    """The test applied to a non-NULL column value."""
    if operator in PATTERN_OPERATORS:
        return _pattern_test(operator, right)
    if operator not in ORDERINGS:
        raise ValueError(f"Invalid operator {operator!r} for field type {spec.type}")
    expected = coerce(spec, right)
    compare_with = ORDERINGS[operator]
    return lambda value: bool(compare_with(value, expected))


def _pattern_test(operator: str, right: Any) -> ValueTest:
    text = "" if right is None or right is False else str(right)
    pattern = f"%{text}%" if operator in WILDCARD_OPERATORS else text
    regex = like_regex(pattern, ignore_case=operator in CASE_INSENSITIVE)
    positive = not operator.startswith("not")
    return lambda value: (regex.fullmatch(as_text(value)) is not None) == positive


def _membership(get: Getter, spec: FieldSpec, operator: str, right: Any) -> Predicate:
    """`in` / `not in`: False in the list also matches NULL, as Odoo's SQL builder adds."""
    if not isinstance(right, (list, tuple, set, frozenset)):
        raise ValueError(f"Invalid domain term: operator {operator!r} needs a list, not {right!r}")
    if spec.type == "boolean":
        values: set[Any] = {flag for flag in (True, False) if flag in right}
        check_null = False in right
    else:
        kept = [item for item in right if item is not False and item is not None]
        values = {coerce(spec, item) for item in kept}
        check_null = len(kept) < len(right)
    if operator == "in":
        return lambda record: (value := get(record)) in values or (check_null and value is None)
    if check_null:
        return lambda record: (value := get(record)) is not None and value not in values
    return lambda record: (value := get(record)) is None or value not in values


def coerce(spec: FieldSpec, value: Any) -> Any:
    """Convert a domain value to the column's type, as PostgreSQL would cast the parameter."""
    kind = spec.type
    if kind == "datetime":
        return to_datetime(value)
    if kind == "date":
        return to_date(value)
    if kind in ("integer", "many2one", "one2many", "many2many"):
        return _number(value, int, "integer")
    if kind in ("float", "monetary"):
        return _number(value, float, "double precision")
    if kind == "boolean":
        return bool(value)
    return str(value)


def _number(value: Any, kind: type[int] | type[float], sql_type: str) -> Any:
    if isinstance(value, (int, float)):
        return value
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f'invalid input syntax for type {sql_type}: "{value}"') from None


def like_regex(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    """Translate a SQL LIKE pattern (`%`, `_`, backslash escapes) into a regular expression."""
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts), flags)


def as_text(value: Any) -> str:
    """A column value cast to text (`::text`), as the like operators compare it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
