"""Running a parsed SOQL query against the store: field resolution, filtering, ordering, projection.

Field names resolve case-insensitively to their canonical spelling, as Salesforce does; text compares
case-insensitively; unknown fields and mistyped literals fail with Salesforce's error codes and wording.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.emulators.salesforce.errors import NO_SUCH_COLUMN_HINT, ApiError, invalid_type, query_error
from connectors.emulators.salesforce.ids import normalize_id
from connectors.emulators.salesforce.objects import FieldDef, SObjectDef
from connectors.emulators.salesforce.soql import Comparison, Condition, FieldRef, Junction, Query, Value
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
        return Plan(self.query, self.sobject, columns, predicate, sort_keys, self.parents)

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
        values = comparison.value if isinstance(comparison.value, tuple) else (comparison.value,)
        wanted = [self.literal(column.field, comparison.field, value) for value in values]
        return self.operator(comparison, column.field, get, wanted)

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
    """The matching records, ordered and sliced; parent records are snapshotted alongside."""
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
    start = plan.query.offset or 0
    end = start + plan.query.limit if plan.query.limit is not None else None
    return rows[start:end]


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
    return out
