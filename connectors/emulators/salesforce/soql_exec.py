"""Running a parsed SOQL query against the store: field resolution, filtering, ordering, projection.

Field names resolve case-insensitively to their canonical spelling, as Salesforce does; text compares
case-insensitively; unknown fields and mistyped literals fail with Salesforce's error codes and wording.
"""

from __future__ import annotations

import dataclasses
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from connectors.emulators.salesforce.errors import NO_SUCH_COLUMN_HINT, ApiError, invalid_type, query_error
from connectors.emulators.salesforce.ids import normalize_id
from connectors.emulators.salesforce.objects import FieldDef, SObjectDef
from connectors.emulators.salesforce.soql import (
    Comparison,
    Condition,
    FieldRef,
    Junction,
    Query,
    Value,
)
from connectors.emulators.salesforce.store import Record, Store
from connectors.emulators.salesforce.values import to_json

Getter = Callable[[Record], Any]
Predicate = Callable[[Record], bool]
RELATIONSHIP_HINT = (
    "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom "
    "relationship name. Please reference your WSDL or the describe call for the appropriate names."
)
LITERAL_KINDS = {"int": "number", "currency": "number", "double": "number", "boolean": "boolean",
                 "date": "date", "datetime": "datetime"}  # fmt: skip
TYPE_WORDS = {"int": "int", "currency": "double", "double": "double", "boolean": "boolean",
              "date": "date", "datetime": "dateTime", "id": "id", "reference": "id"}  # fmt: skip
RELATIONAL: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


@dataclass(frozen=True)
class Column:
    """A resolved field path: the field itself, and the lookup it is reached through (if any)."""

    field: FieldDef
    link: FieldDef | None = None
    target: SObjectDef | None = None


@dataclass
class Plan:
    """A query resolved against the org's objects, ready to run."""

    query: Query
    sobject: SObjectDef
    columns: list[Column]
    predicate: Predicate
    sort_keys: list[tuple[Getter, bool, bool]]
    parents: dict[str, dict[str, Record]] = field(default_factory=dict)
    # Sub-queries: (relationship name, the child's field pointing here, the child's plan).
    children: list[tuple[str, str, Plan]] = field(default_factory=list)
    # Per sub-query relationship: the matching child records by parent id, snapshotted by `execute`.
    child_rows: dict[str, dict[str, list[Record]]] = field(default_factory=dict)
    # GROUP BY: (output name, value getter, comparable getter) per grouped field.
    groups: list[tuple[str, Getter, Getter]] = field(default_factory=list)
    # Aggregates: (output name `expr0` or the alias, function, value getter, comparable getter).
    aggregates: list[tuple[str, str, Getter, Getter]] = field(default_factory=list)

    @property
    def aggregated(self) -> bool:
        return bool(self.groups or self.aggregates)


def attributes(sobject: SObjectDef, record_id: str, version: str) -> dict[str, str]:
    return {"type": sobject.name, "url": f"/services/data/v{version}/sobjects/{sobject.name}/{record_id}"}


class Planner:
    """Resolves the names and literals of one query; the source of its field errors."""

    def __init__(self, store: Store, query: Query) -> None:
        self.store, self.query = store, query
        sobject = store.catalog.get(query.sobject)
        if sobject is None:
            raise ApiError(400, invalid_type(query.sobject))
        self.sobject = sobject
        self.parents: dict[str, dict[str, Record]] = {}

    def fail(self, code: str, pos: int, message: str) -> ApiError:
        return query_error(code, self.query.text, pos, message)

    def plan(self) -> Plan:
        """Resolve the select list, WHERE and ORDER BY of the query."""
        columns = [self.column(ref) for ref in self.query.fields]
        seen = set()
        for ref in self.query.fields:
            if ref.path.lower() in seen:
                raise self.fail("MALFORMED_QUERY", ref.pos, f"duplicate field selected: {ref.path}")
            seen.add(ref.path.lower())
        predicate = self.condition(self.query.where) if self.query.where else (lambda record: True)
        sort_keys = [
            (self.sort_getter(item.field), item.descending, item.nulls_first) for item in self.query.order
        ]
        children = [self.child_plan(child) for child in self.query.children]
        plan = Plan(self.query, self.sobject, columns, predicate, sort_keys, self.parents, children)
        if self.query.aggregates or self.query.group_by:
            self.plan_aggregates(plan)
        return plan

    def plan_aggregates(self, plan: Plan) -> None:
        """GROUP BY fields and aggregate functions; every other selected field must be grouped."""
        grouped = {ref.path.lower() for ref in self.query.group_by}
        for ref in self.query.fields:
            if ref.path.lower() not in grouped:
                raise self.fail(
                    "MALFORMED_QUERY", ref.pos, f"Field must be grouped or aggregated: {ref.path}"
                )
        for ref in self.query.group_by:
            column = self.column(ref)
            plan.groups.append((column.field.name, self.getter(column), self.normalized_getter(column)))
        unnamed = 0
        for aggregate in self.query.aggregates:
            column = self.column(aggregate.field)
            numeric = column.field.type in ("int", "currency", "double")
            if aggregate.function in ("SUM", "AVG") and not numeric:
                message = (
                    f"field {column.field.name} does not support aggregate operator {aggregate.function}"
                )
                raise self.fail("INVALID_FIELD", aggregate.field.pos, message)
            name = aggregate.alias
            if name is None:
                name, unnamed = f"expr{unnamed}", unnamed + 1
            getters = (self.getter(column), self.normalized_getter(column))
            plan.aggregates.append((name, aggregate.function, *getters))

    def child_plan(self, child: Query) -> tuple[str, str, Plan]:
        """A sub-query's plan: its FROM names a child relationship of the queried object."""
        relationship = self.store.catalog.child(self.sobject, child.sobject)
        if relationship is None:
            message = (
                f"Didn't understand relationship '{child.sobject}' in FROM part of query call. "
                f"{RELATIONSHIP_HINT}"
            )
            raise self.fail("INVALID_TYPE", child.sobject_pos, message)
        plan = Planner(self.store, dataclasses.replace(child, sobject=relationship.child.name)).plan()
        return relationship.name, relationship.field.name, plan

    def column(self, ref: FieldRef) -> Column:
        """The field a path names: `Name` on the queried object or `Account.Name` through a lookup."""
        parts = ref.path.split(".")
        if len(parts) == 1:
            return Column(self.field_of(self.sobject, parts[0], ref))
        link = self.sobject.relationships.get(parts[0].lower())
        target = self.store.catalog.get(link.reference_to or "") if link else None
        if len(parts) > 2 or link is None or target is None:
            message = f"Didn't understand relationship '{parts[0]}' in field path. {RELATIONSHIP_HINT}"
            raise self.fail("INVALID_FIELD", ref.pos, message)
        self.parents.setdefault(target.name, {})
        return Column(self.field_of(target, parts[1], ref), link, target)

    def field_of(self, sobject: SObjectDef, name: str, ref: FieldRef) -> FieldDef:
        found = sobject.field(name)
        if found is None:
            message = f"No such column '{name}' on entity '{sobject.name}'. {NO_SUCH_COLUMN_HINT}"
            raise self.fail("INVALID_FIELD", ref.pos, message)
        return found

    def getter(self, column: Column) -> Getter:
        """A function reading the column's value from a record (through its parent for lookups)."""
        name = column.field.name
        if column.link is None:
            return lambda record: record[name]
        link, parents = column.link.name, self.parents[column.target.name if column.target else ""]

        def parent_value(record: Record) -> Any:
            parent = parents.get(record[link] or "")
            return parent[name] if parent is not None else None

        return parent_value

    def normalized_getter(self, column: Column) -> Getter:
        """The column's value in comparable form: text case-folded, ids as they are."""
        get = self.getter(column)
        if column.field.is_text and column.field.type not in ("id", "reference"):
            return lambda record: None if (value := get(record)) is None else value.casefold()
        return get

    def sort_getter(self, ref: FieldRef) -> Getter:
        column = self.column(ref)
        if not column.field.filterable:
            raise self.fail(
                "INVALID_FIELD", ref.pos, f"field '{column.field.name}' can not be sorted in a query call"
            )
        return self.normalized_getter(column)

    # ---- WHERE ----

    def condition(self, condition: Condition) -> Predicate:
        """A predicate for a WHERE condition."""
        if isinstance(condition, Comparison):
            return self.comparison(condition)
        if isinstance(condition, Junction):
            parts = [self.condition(operand) for operand in condition.operands]
            if condition.op == "AND":
                return lambda record: all(part(record) for part in parts)
            return lambda record: any(part(record) for part in parts)
        inner = self.condition(condition.operand)
        return lambda record: not inner(record)

    def comparison(self, comparison: Comparison) -> Predicate:
        """A predicate for one comparison, after checking the field and literal types."""
        column = self.column(comparison.field)
        if not column.field.filterable:
            message = f"field '{column.field.name}' can not be filtered in a query call"
            raise self.fail("INVALID_FIELD", comparison.field.pos, message)
        get = self.normalized_getter(column)
        if isinstance(comparison.value, Query):
            return self.semi_join(comparison, comparison.value, get)
        values = comparison.value if isinstance(comparison.value, tuple) else (comparison.value,)
        if any(value.kind == "dateliteral" for value in values):
            return self.date_range(comparison, column.field, get, values)
        wanted = [self.literal(column.field, comparison.field, value) for value in values]
        return self.operator(comparison, column.field, get, wanted)

    def semi_join(self, comparison: Comparison, inner: Query, get: Getter) -> Predicate:
        """`field [NOT] IN (SELECT Id FROM Object WHERE …)`: the sub-select runs once, when first needed."""
        if len(inner.fields) != 1 or inner.children or inner.aggregates or inner.count_only:
            message = "Semi join sub-selects must select exactly one field"
            raise self.fail("MALFORMED_QUERY", inner.sobject_pos, message)
        planner = Planner(self.store, inner)
        plan = planner.plan()
        selected = planner.getter(plan.columns[0])
        if plan.columns[0].field.type not in ("id", "reference"):
            message = "Semi join sub-selects are only allowed to select Id or reference fields"
            raise self.fail("INVALID_FIELD", inner.fields[0].pos, message)
        store, found = self.store, list[set[Any]]()

        def members() -> set[Any]:
            if not found:
                rows = matching(plan, store, include_deleted=False)
                found.append({value for row in rows if (value := selected(row)) is not None})
            return found[0]

        if comparison.op == "IN":
            return lambda record: get(record) in members()
        if comparison.op == "NOTIN":
            return lambda record: get(record) not in members()
        raise self.fail("MALFORMED_QUERY", comparison.field.pos, "Semi join sub-selects need IN or NOT IN")

    def date_range(
        self, comparison: Comparison, field: FieldDef, get: Getter, values: tuple[Value, ...]
    ) -> Predicate:
        """A comparison with date literals (TODAY, LAST_N_DAYS:n, …): each names a range of days."""
        if field.type not in ("date", "datetime"):
            word = TYPE_WORDS.get(field.type, "string")
            message = f"value of filter criterion for field '{comparison.field.path}' must be of type {word}"
            raise self.fail("INVALID_QUERY_FILTER_OPERATOR", values[0].pos, message)
        ranges: list[tuple[Any, Any]] = []
        for value in values:
            if value.kind != "dateliteral":
                raise self.fail("MALFORMED_QUERY", value.pos, "date literals cannot be mixed with values")
            name, n = value.value
            start, end = date_literal_range(name, n, self.store.now().date())
            if field.type == "datetime":
                ranges.append((datetime.combine(start, time(), UTC), datetime.combine(end, time(), UTC)))
            else:
                ranges.append((start, end))
        lo, hi = ranges[0]
        op = comparison.op
        tests: dict[str, Callable[[Any], bool]] = {
            "=": lambda v: lo <= v < hi, "!=": lambda v: not lo <= v < hi, "<": lambda v: v < lo,
            "<=": lambda v: v < hi, ">": lambda v: v >= hi, ">=": lambda v: v >= lo,
            "IN": lambda v: any(a <= v < b for a, b in ranges),
            "NOTIN": lambda v: not any(a <= v < b for a, b in ranges),
        }  # fmt: skip
        if op not in tests:
            raise self.fail("INVALID_QUERY_FILTER_OPERATOR", comparison.field.pos, f"invalid operator: {op}")
        test, none = tests[op], op in ("!=", "NOTIN")
        return lambda record: none if (value := get(record)) is None else test(value)

    def operator(self, comparison: Comparison, field: FieldDef, get: Getter, wanted: list[Any]) -> Predicate:
        """The predicate of a comparison operator over comparable values."""
        op, first = comparison.op, wanted[0]
        if op == "=":
            return lambda record: get(record) == first
        if op == "!=":
            return lambda record: get(record) != first
        if op in ("IN", "NOTIN"):
            members = set(wanted)
            return (lambda r: get(r) in members) if op == "IN" else (lambda r: get(r) not in members)
        if op == "LIKE":
            return self.like(comparison, field, get, first)
        compare = RELATIONAL[op]
        return lambda record: (
            (value := get(record)) is not None and first is not None and compare(value, first)
        )

    def like(self, comparison: Comparison, field: FieldDef, get: Getter, pattern: Any) -> Predicate:
        if not field.is_text or not isinstance(pattern, str):
            message = f"invalid operator on {TYPE_WORDS.get(field.type, field.type)} field: LIKE"
            raise self.fail("INVALID_QUERY_FILTER_OPERATOR", comparison.field.pos, message)
        regex = re.compile(like_to_regex(pattern), re.DOTALL)
        return lambda record: (
            (value := get(record)) is not None and regex.fullmatch(value.casefold()) is not None
        )

    def literal(self, field: FieldDef, ref: FieldRef, value: Value) -> Any:
        """The literal in the field's comparable form (raises INVALID_QUERY_FILTER_OPERATOR)."""
        if value.kind == "null":
            return None
        expected = "string" if field.is_text else LITERAL_KINDS[field.type]
        if value.kind != expected:
            word = TYPE_WORDS.get(field.type, "string")
            quoted = "should be enclosed in quotes" if field.is_text else "should not be enclosed in quotes"
            message = f"value of filter criterion for field '{ref.path}' must be of type {word} and {quoted}"
            raise self.fail("INVALID_QUERY_FILTER_OPERATOR", value.pos, message)
        if field.type in ("id", "reference"):
            full = normalize_id(value.value)
            if full is None:
                raise self.fail(
                    "INVALID_QUERY_FILTER_OPERATOR", value.pos, f"invalid ID field: {value.value}"
                )
            return full
        return value.value.casefold() if field.is_text else value.value


def date_literal_range(name: str, n: int, today: date) -> tuple[date, date]:
    """The days [start, end) a date literal names, in the org's time zone (UTC); weeks start Sunday."""
    day = timedelta(days=1)
    week = today - timedelta(days=(today.weekday() + 1) % 7)
    month = today.replace(day=1)

    def add_months(first: date, k: int) -> date:
        index = first.year * 12 + first.month - 1 + k
        return date(index // 12, index % 12 + 1, 1)

    year = date(today.year, 1, 1)
    ranges = {
        "TODAY": (today, today + day), "YESTERDAY": (today - day, today),
        "TOMORROW": (today + day, today + 2 * day),
        "LAST_N_DAYS": (today - n * day, today + day), "NEXT_N_DAYS": (today + day, today + (n + 1) * day),
        "N_DAYS_AGO": (today - n * day, today - (n - 1) * day),
        "THIS_WEEK": (week, week + 7 * day), "LAST_WEEK": (week - 7 * day, week),
        "NEXT_WEEK": (week + 7 * day, week + 14 * day),
        "THIS_MONTH": (month, add_months(month, 1)), "LAST_MONTH": (add_months(month, -1), month),
        "NEXT_MONTH": (add_months(month, 1), add_months(month, 2)),
        "THIS_YEAR": (year, year.replace(year=year.year + 1)),
        "LAST_YEAR": (year.replace(year=year.year - 1), year),
        "NEXT_YEAR": (year.replace(year=year.year + 1), year.replace(year=year.year + 2)),
    }  # fmt: skip
    return ranges[name]


def like_to_regex(pattern: str) -> str:
    """A LIKE pattern (% any run, _ one character, \\% and \\_ literal) as a case-folded regex."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "%_":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch.casefold()))
        i += 1
    return "".join(out)


def execute(plan: Plan, store: Store, include_deleted: bool) -> list[Record]:
    """The matching records, ordered and sliced; parent and child records are snapshotted alongside."""
    rows = matching(plan, store, include_deleted)
    start = plan.query.offset or 0
    end = start + plan.query.limit if plan.query.limit is not None else None
    rows = rows[start:end]
    for relationship, link, child in plan.children:
        by_parent: dict[str, list[Record]] = {}
        for record in matching(child, store, include_deleted=False):
            if record[link] is not None:
                by_parent.setdefault(record[link], []).append(record)
        limit = child.query.limit
        plan.child_rows[relationship] = {
            parent: found[:limit] if limit is not None else found for parent, found in by_parent.items()
        }
    return rows


def aggregate(plan: Plan, store: Store, include_deleted: bool) -> list[dict[str, Any]]:
    """The AggregateResult records of a GROUP BY / aggregate query: one per group (one in all
    without GROUP BY), groups in ORDER BY order, then OFFSET and LIMIT."""
    groups: dict[tuple[Any, ...], list[Record]] = {}
    for record in matching(plan, store, include_deleted):
        groups.setdefault(tuple(key(record) for _, _, key in plan.groups), []).append(record)
    if not plan.groups:
        groups.setdefault((), [])
    out = []
    for members in groups.values():
        result: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
        for name, get, _ in plan.groups:
            result[name] = to_json(get(members[0]))
        for name, function, get, key in plan.aggregates:
            values = [v for r in members if (v := get(r)) is not None]
            result[name] = to_json(summarize(function, values, [key(r) for r in members]))
        out.append(result)
    start = plan.query.offset or 0
    end = start + plan.query.limit if plan.query.limit is not None else None
    return out[start:end]


def summarize(function: str, values: list[Any], keys: list[Any]) -> Any:
    """One aggregate function over the non-null values of a group."""
    if function == "COUNT":
        return len(values)
    if function == "COUNT_DISTINCT":
        return len({k for k in keys if k is not None})
    if not values:
        return None
    if function == "SUM":
        return sum(values)
    if function == "AVG":
        return sum(values) / len(values)
    return min(values) if function == "MIN" else max(values)


def matching(plan: Plan, store: Store, include_deleted: bool) -> list[Record]:
    """The records matching the plan's WHERE, in its ORDER BY order."""
    for name, snapshot in plan.parents.items():
        snapshot.update(store.tables[name].rows)
    rows = [
        record
        for record in store.table(plan.sobject).rows.values()
        if (include_deleted or not record["IsDeleted"]) and plan.predicate(record)
    ]
    for get, descending, nulls_first in reversed(plan.sort_keys):
        null_rank = 1 if descending == nulls_first else 0
        rows.sort(
            key=lambda r: (null_rank, None) if (v := get(r)) is None else (1 - null_rank, v),
            reverse=descending,
        )
    return rows


def project(plan: Plan, record: Record, version: str) -> dict[str, Any]:
    """One record as the query response shows it: attributes, then the selected fields in order."""
    out: dict[str, Any] = {"attributes": attributes(plan.sobject, record["Id"], version)}
    for column in plan.columns:
        if column.link is None or column.target is None:
            out[column.field.name] = to_json(record[column.field.name])
            continue
        relationship = column.link.relationship_name or column.link.name
        parent = plan.parents[column.target.name].get(record[column.link.name] or "")
        if parent is None:
            out[relationship] = None
            continue
        nested = out.get(relationship) or {"attributes": attributes(column.target, parent["Id"], version)}
        nested[column.field.name] = to_json(parent[column.field.name])
        out[relationship] = nested
    for name, _, child in plan.children:
        found = plan.child_rows.get(name, {}).get(record["Id"], [])
        out[name] = (
            {"totalSize": len(found), "done": True, "records": [project(child, r, version) for r in found]}
            if found
            else None
        )
    return out
