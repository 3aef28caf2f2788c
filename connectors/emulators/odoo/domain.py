"""Odoo search domains compiled into predicates over stored records.

Follows odoo/osv/expression.py: Polish notation (`&`, `|`, `!`) with implicit AND, `!` pushed into
the leaves (`distribute_not`), `active_test`, dotted paths through relations, string values on
many2one fields resolved by name search, one2many/many2many conditions and `child_of`/`parent_of`.
Plain column comparisons live in `conditions`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.emulators.odoo.conditions import NEGATIVE_OPERATORS, Predicate, always, compare, never
from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.fields import FieldSpec, Record

NOT, OR, AND = "!", "|", "&"
TERM_OPERATORS = frozenset(
    {"=", "!=", "<=", "<", ">", ">=", "=?", "=like", "=ilike", "like", "not like", "ilike", "not ilike"}
    | {"in", "not in", "child_of", "parent_of", "not =like", "not =ilike"}
)
NEGATION = {
    "<": ">=",
    ">": "<=",
    "<=": ">",
    ">=": "<",
    "=": "!=",
    "!=": "=",
    "in": "not in",
    "not in": "in",
    "like": "not like",
    "not like": "like",
    "ilike": "not ilike",
    "not ilike": "ilike",
    "=like": "not =like",
    "=ilike": "not =ilike",
}
HIERARCHY_OPERATORS = frozenset({"child_of", "parent_of"})
TRUE_LEAF: tuple[Any, ...] = (1, "=", 1)
FALSE_LEAF: tuple[Any, ...] = (0, "=", 1)


def normalize_leaf(element: Sequence[Any]) -> tuple[Any, ...]:
    """Canonical leaf: lower-case operator, `<>` as `!=`, `in` with a bool and `=` with a list fixed."""
    left, operator, right = element
    operator = operator.lower() if isinstance(operator, str) else operator
    if operator == "<>":
        operator = "!="
    if isinstance(right, bool) and operator in ("in", "not in"):
        operator = "=" if operator == "in" else "!="
    if isinstance(right, (list, tuple)) and operator in ("=", "!="):
        operator = "in" if operator == "=" else "not in"
    return (left, operator, right)


def _check_leaf(element: Any) -> tuple[Any, ...]:
    valid = isinstance(element, (list, tuple)) and len(element) == 3
    if valid:
        leaf = normalize_leaf(element)
        if leaf in (TRUE_LEAF, FALSE_LEAF):
            return leaf
        if isinstance(leaf[0], str) and leaf[0] and leaf[1] in TERM_OPERATORS:
            return leaf
    raise ValueError(f"Invalid leaf {element}")


def normalize_domain(domain: Sequence[Any]) -> list[Any]:
    """Make the implicit ANDs explicit and check the syntax (`normalize_domain`)."""
    if not isinstance(domain, (list, tuple)):
        raise ValueError(f"Invalid domain {domain!r}: a domain is a list of leaves and operators")
    if not domain:
        return [TRUE_LEAF]
    result: list[Any] = []
    expected = 1
    for token in domain:
        if expected == 0:
            result.insert(0, AND)
            expected = 1
        if isinstance(token, str) and token in (NOT, OR, AND):
            expected += {NOT: 0, AND: 1, OR: 1}[token]
        else:
            token = _check_leaf(token)
            expected -= 1
        result.append(token)
    if expected != 0:
        raise ValueError(f"Domain {list(domain)!r} is syntactically not correct.")
    return result


def distribute_not(tokens: list[Any]) -> list[Any]:
    """Push every `!` into the leaves it negates, as Odoo does before building SQL."""
    result: list[Any] = []
    stack = [False]
    for token in tokens:
        negate = stack.pop()
        if isinstance(token, tuple):
            result.extend(_negated_leaf(token) if negate else [token])
        elif token == NOT:
            stack.append(not negate)
        else:
            result.append({AND: OR, OR: AND}[token] if negate else token)
            stack.extend([negate, negate])
    return result


def _negated_leaf(leaf: tuple[Any, ...]) -> list[Any]:
    if leaf in (TRUE_LEAF, FALSE_LEAF):
        return [FALSE_LEAF if leaf == TRUE_LEAF else TRUE_LEAF]
    left, operator, right = leaf
    if operator in NEGATION:
        return [(left, NEGATION[operator], right)]
    return [NOT, leaf]


@dataclass
class _Node:
    """A parsed domain: a leaf predicate, or an and/or/not of nodes (same-kind nesting flattened)."""

    kind: str
    children: list[_Node] = field(default_factory=list)
    leaf: Predicate | None = None

    def build(self) -> Predicate:
        if self.leaf is not None:
            return self.leaf
        parts = [child.build() for child in self.children]
        if self.kind == NOT:
            negated = parts[0]
            return lambda record: not negated(record)
        return _all_of(parts) if self.kind == AND else _any_of(parts)


def _all_of(parts: list[Predicate]) -> Predicate:
    if len(parts) == 2:
        first, second = parts
        return lambda record: first(record) and second(record)
    return lambda record: all(part(record) for part in parts)


def _any_of(parts: list[Predicate]) -> Predicate:
    if len(parts) == 2:
        first, second = parts
        return lambda record: first(record) or second(record)
    return lambda record: any(part(record) for part in parts)


def _merge(kind: str, first: _Node, second: _Node) -> _Node:
    children = first.children if first.kind == kind else [first]
    children.extend(second.children if second.kind == kind else [second])
    return _Node(kind, children)


class DomainCompiler:
    """Turns domains on the models of one database into record predicates."""

    def __init__(self, db: Database, *, active_test: bool = True) -> None:
        self.db = db
        self.active_test = active_test

    def predicate(
        self, model: str, domain: Sequence[Any] | None, *, active_test: bool | None = None
    ) -> Predicate:
        """The predicate selecting the records of `model` that match `domain`."""
        tokens = list(domain or [])
        if self.active_test if active_test is None else active_test:
            tokens = self._with_active_test(model, tokens)
        return self._parse(model, distribute_not(normalize_domain(tokens)))

    def search_ids(self, model: str, domain: Sequence[Any], *, active_test: bool) -> set[int]:
        """Ids of the records matching `domain` (in no particular order)."""
        matches = self.predicate(model, domain, active_test=active_test)
        return {record_id for record_id, record in self.db.tables[model].items() if matches(record)}

    def name_search_ids(
        self, model: str, name: Any, operator: str, *, active_test: bool, domain: Iterable[Any] = ()
    ) -> set[int]:
        """Ids whose name-search fields match, OR-ed (AND-ed for a negative operator)."""
        return self.search_ids(
            model, [*domain, *name_domain(self.db, model, operator, name)], active_test=active_test
        )

    def _with_active_test(self, model: str, tokens: list[Any]) -> list[Any]:
        if "active" not in self.db.spec(model).fields:
            return tokens
        if any(isinstance(item, (list, tuple)) and item and item[0] == "active" for item in tokens):
            return tokens
        return [("active", "=", True), *tokens]

    def _parse(self, model: str, tokens: list[Any]) -> Predicate:
        stack: list[_Node] = []
        for token in reversed(tokens):
            if token == NOT:
                stack.append(_Node(NOT, [stack.pop()]))
            elif token in (AND, OR):
                stack.append(_merge(token, stack.pop(), stack.pop()))
            else:
                stack.append(_Node("leaf", leaf=self._leaf(model, token)))
        return stack[0].build()

    def _leaf(self, model: str, leaf: tuple[Any, ...]) -> Predicate:
        if leaf in (TRUE_LEAF, FALSE_LEAF):
            return always if leaf == TRUE_LEAF else never
        left, operator, right = leaf
        path = left.split(".", 1)
        spec = self.db.spec(model).fields.get(path[0])
        if spec is None:
            where = "condition" if self.db.major >= 19 else "leaf"  # Odoo 19's words (test_webjson2)
            raise ValueError(f"Invalid field {model}.{path[0]} in {where} {leaf}")
        if len(path) > 1:
            return self._path_leaf(model, path, spec, operator, right)
        if left == "id" and operator in HIERARCHY_OPERATORS:
            ids = self._hierarchy(model, operator, self._to_ids(model, right), "parent_id")
            return lambda record: record["id"] in ids
        return self._field_leaf(model, left, spec, operator, right)

    def _field_leaf(self, model: str, name: str, spec: FieldSpec, operator: str, right: Any) -> Predicate:
        if name == "display_name":
            return self.predicate(model, name_domain(self.db, model, operator, right), active_test=False)
        if not spec.searchable:
            # Odoo 17 logs "Non-stored field ... cannot be searched." and ignores the leaf.
            return always
        if spec.type == "many2one":
            return self._many2one_leaf(model, name, spec, operator, right)
        if spec.type in ("one2many", "many2many"):
            return self._x2many_leaf(model, name, spec, operator, right)
        return compare(self._getter(model, name, spec), spec, operator, right)

    def _getter(self, model: str, name: str, spec: FieldSpec) -> Callable[[Record], Any]:
        compute = spec.compute
        if compute is not None:
            db = self.db
            return lambda record: compute(db, record)
        return lambda record: record.get(name)

    def _path_leaf(
        self, model: str, path: list[str], spec: FieldSpec, operator: str, right: Any
    ) -> Predicate:
        if spec.relation is None:
            raise ValueError(f"Invalid field {model}.{'.'.join(path)}: {path[0]} is not relational")
        sub_domain = [(path[1], operator, right)]
        if spec.type == "many2one":
            ids = self.search_ids(spec.relation, sub_domain, active_test=False)
            get = self._getter(model, path[0], spec)
            return lambda record: get(record) in ids
        ids = self.search_ids(spec.relation, sub_domain, active_test=self.active_test)
        return self._x2many_leaf(model, path[0], spec, "in", list(ids))

    def _many2one_leaf(self, model: str, name: str, spec: FieldSpec, operator: str, right: Any) -> Predicate:
        assert spec.relation is not None
        get = self._getter(model, name, spec)
        if operator in HIERARCHY_OPERATORS:
            return self._many2one_hierarchy(model, name, spec.relation, operator, right)
        if not _is_names(right):
            return compare(get, spec, operator, right)
        operator, right = _name_operator(operator, right)
        ids = self.name_search_ids(spec.relation, right, operator, active_test=False)
        if operator in NEGATIVE_OPERATORS:
            return lambda record: (value := get(record)) is None or value in ids
        return lambda record: get(record) in ids

    def _many2one_hierarchy(
        self, model: str, name: str, comodel: str, operator: str, right: Any
    ) -> Predicate:
        ids = self._to_ids(comodel, right)
        if comodel == model:
            family = self._hierarchy(model, operator, ids, name)
            return lambda record: record["id"] in family
        family = self._hierarchy(comodel, operator, ids, "parent_id")
        return lambda record: record.get(name) in family

    def _x2many_leaf(self, model: str, name: str, spec: FieldSpec, operator: str, right: Any) -> Predicate:
        if operator in HIERARCHY_OPERATORS:
            raise ValueError(f"The Odoo emulator does not support {operator} on {model}.{name}")
        negative = operator in NEGATIVE_OPERATORS
        if spec.type == "one2many":
            owners = self._one2many_owners(spec, right, operator)
            # `(o2m, '=', False)` keeps the records *without* lines, like a negative operator.
            excluded = negative if right is not False else not negative
            if excluded:
                return lambda record: record["id"] not in owners
            return lambda record: record["id"] in owners
        get = self._getter(model, name, spec)
        if right is False:
            return (lambda record: bool(get(record))) if negative else (lambda record: not get(record))
        related = self._related_ids(spec, right, operator)
        if negative:
            return lambda record: not related.intersection(get(record) or ())
        return lambda record: bool(related.intersection(get(record) or ()))

    def _one2many_owners(self, spec: FieldSpec, right: Any, operator: str) -> set[int]:
        """Ids of the records having a line among `right` (any line at all when right is False)."""
        assert spec.relation is not None and spec.inverse_name is not None
        if right is False:
            return set(self.db.children(spec.relation, spec.inverse_name))
        lines = self.db.tables[spec.relation]
        inverse = spec.inverse_name
        related = self._related_ids(spec, right, operator)
        return {parent for line_id in related if (parent := (lines.get(line_id) or {}).get(inverse))}

    def _related_ids(self, spec: FieldSpec, right: Any, operator: str) -> set[int]:
        assert spec.relation is not None
        if right is False:
            return set()
        if isinstance(right, str):
            positive = NEGATION[operator] if operator in NEGATIVE_OPERATORS else operator
            return self.name_search_ids(
                spec.relation, right, positive, active_test=self.active_test, domain=spec.domain
            )
        if isinstance(right, (list, tuple, set)):
            return {item for item in right if item}
        return {right}

    def _to_ids(self, model: str, value: Any) -> list[int]:
        """Odoo's `to_ids`: an id, a list of ids, or names resolved by name search."""
        if isinstance(value, str):
            value = [value]
        if isinstance(value, (list, tuple)) and value and all(isinstance(item, str) for item in value):
            found: set[int] = set()
            for name in value:
                found |= self.name_search_ids(model, name, "ilike", active_test=self.active_test)
            return list(found)
        if isinstance(value, int):
            return [value] if value else []
        return list(value or [])

    def _hierarchy(self, model: str, operator: str, ids: list[int], parent_field: str) -> set[int]:
        if operator == "child_of":
            return self._descendants(model, ids, parent_field)
        return self._ancestors(model, ids, parent_field)

    def _descendants(self, model: str, ids: list[int], parent_field: str) -> set[int]:
        index, table = self.db.children(model, parent_field), self.db.tables[model]
        found, frontier = set(ids), list(ids)
        while frontier:
            children = [child for parent in frontier for child in index.get(parent, [])]
            frontier = [child for child in children if child not in found and self._visible(table[child])]
            found.update(frontier)
        return found

    def _ancestors(self, model: str, ids: list[int], parent_field: str) -> set[int]:
        table, found = self.db.tables[model], set()
        for start in ids:
            record_id: int | None = start
            while record_id and record_id not in found:
                found.add(record_id)
                record_id = (table.get(record_id) or {}).get(parent_field)
        return found

    def _visible(self, record: Record) -> bool:
        return not self.active_test or record.get("active", True) is not False


def name_domain(db: Database, model: str, operator: str, name: Any) -> list[Any]:
    """`_name_search`'s domain: every name-search field against `name` (empty `ilike` = all)."""
    if name == "" and operator in ("like", "ilike"):
        return []
    names = db.spec(model).name_search_fields
    joiner = AND if operator in NEGATIVE_OPERATORS else OR
    return [joiner] * (len(names) - 1) + [(fname, operator, name) for fname in names]


def _is_names(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(item, str) for item in value)


def _name_operator(operator: str, right: Any) -> tuple[str, Any]:
    """Odoo's fix-ups for a many2one compared with names (e.g. `=` with a list becomes `in`)."""
    if operator in ("<", ">", "<=", ">="):
        operator = "in"
    if isinstance(right, tuple):
        right = list(right)
    if not isinstance(right, list) and operator in ("in", "not in"):
        operator = {"in": "=", "not in": "!="}[operator]
    elif isinstance(right, list) and operator in ("=", "!="):
        operator = {"=": "in", "!=": "not in"}[operator]
    return operator, right
