"""A small SOQL parser: a tokenizer and a recursive-descent parser producing a `Query` tree.

    SELECT field, Parent.field, (SELECT field, … FROM ChildRelationship …),
           COUNT(field) [alias], SUM|MIN|MAX|AVG(field) [alias], … | COUNT()  FROM Object
    [WHERE condition]  [GROUP BY field, …]  [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], …]
    [LIMIT n]  [OFFSET n]

A condition combines comparisons (= != <> < <= > >= LIKE IN NOT IN, and the semi-join
`field [NOT] IN (SELECT field FROM Object …)`) with AND, OR, NOT and parentheses; as in Salesforce,
AND and OR cannot be mixed at one level without parentheses. Literals: 'text' (with \\ escapes),
numbers, true/false, null, dates, unquoted ISO datetimes and date literals (TODAY, LAST_N_DAYS:n, …).
Errors are raised as MALFORMED_QUERY with Salesforce's "ERROR at Row:…:Column:…" layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Union

from connectors.emulators.salesforce.errors import query_error
from connectors.emulators.salesforce.ids import parse_date, parse_datetime

LiteralKind = Literal["string", "number", "boolean", "null", "date", "datetime", "dateliteral"]
DATE_LITERALS = frozenset(
    ("TODAY", "YESTERDAY", "TOMORROW", "THIS_WEEK", "LAST_WEEK", "NEXT_WEEK", "THIS_MONTH",
     "LAST_MONTH", "NEXT_MONTH", "THIS_YEAR", "LAST_YEAR", "NEXT_YEAR")
)  # fmt: skip
N_DATE_LITERALS = frozenset(("LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO"))
AGGREGATES = frozenset(("COUNT", "COUNT_DISTINCT", "SUM", "MIN", "MAX", "AVG"))
TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2}(?![\w:]))
    |(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))
    |(?P<string>'(?:[^'\\]|\\.)*')
    |(?P<dateliteral>[A-Za-z_]+:\d+)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    |(?P<op>!=|<>|<=|>=|=|<|>)
    |(?P<punct>[(),])""",
    re.VERBOSE,
)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
KEYWORDS = frozenset(
    ("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC",
     "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "TRUE", "FALSE", "NULL", "GROUP")
)  # fmt: skip
COMPARISONS = frozenset({"=", "!=", "<>", "<", "<=", ">", ">="})


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass(frozen=True)
class FieldRef:
    """A field path as written (`Name`, `Account.Name`) and where it starts in the query."""

    path: str
    pos: int


@dataclass(frozen=True)
class Value:
    """A literal, converted to its Python value."""

    kind: LiteralKind
    value: Any
    pos: int


@dataclass(frozen=True)
class Aggregate:
    """`SUM(Amount) total`: the function, its field, and the alias (None: `expr0`, `expr1`, …)."""

    function: str
    field: FieldRef
    alias: str | None


@dataclass(frozen=True)
class Comparison:
    field: FieldRef
    op: str  # = != < <= > >= LIKE IN NOTIN
    value: Value | tuple[Value, ...] | Query  # a Query: the semi-join `IN (SELECT …)`


@dataclass(frozen=True)
class Junction:
    op: Literal["AND", "OR"]
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Negation:
    operand: Condition


Condition = Union[Comparison, Junction, Negation]  # noqa: UP007 - a runtime alias, not an annotation


@dataclass(frozen=True)
class OrderItem:
    field: FieldRef
    descending: bool
    nulls_first: bool


@dataclass(frozen=True)
class Query:
    """A parsed SOQL query."""

    text: str
    fields: tuple[FieldRef, ...]
    count_only: bool
    sobject: str
    sobject_pos: int
    where: Condition | None
    order: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None
    # Parent-to-child sub-queries in the select list: FROM names a child relationship (`Contacts`).
    children: tuple[Query, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
    group_by: tuple[FieldRef, ...] = ()


def tokenize(soql: str) -> list[Token]:
    """The tokens of `soql`, ending with an "end" token."""
    tokens, pos = [], 0
    while pos < len(soql):
        match = TOKEN.match(soql, pos)
        if match is None:
            raise query_error("MALFORMED_QUERY", soql, pos, f"unexpected token: '{soql[pos]}'")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(soql)))
    return tokens


class Parser:
    """Recursive descent over the tokens of one query."""

    def __init__(self, soql: str) -> None:
        self.soql = soql
        self.tokens = tokenize(soql)
        self.index = 0

    # ---- token helpers ----

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def error(self, token: Token | None = None, message: str | None = None) -> Exception:
        token = token or self.current
        text = message or (
            f"unexpected token: '{token.text}'" if token.kind != "end" else "unexpected token: <EOF>"
        )
        return query_error("MALFORMED_QUERY", self.soql, token.pos, text)

    def at_keyword(self, *words: str) -> bool:
        return self.current.kind == "name" and self.current.upper in words

    def take(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def expect_keyword(self, word: str) -> Token:
        if not self.at_keyword(word):
            raise self.error()
        return self.take()

    def expect_punct(self, text: str) -> Token:
        if self.current.text != text:
            raise self.error()
        return self.take()

    # ---- grammar ----

    def query(self) -> Query:
        """query := SELECT select_list FROM name [WHERE] [ORDER BY] [LIMIT n] [OFFSET n]"""
        query = self.query_body(nested=False)
        if self.current.kind != "end":
            raise self.error()
        return query

    def query_body(self, nested: bool) -> Query:
        """A query up to its end, or up to the `)` closing a sub-query (which cannot nest further)."""
        self.expect_keyword("SELECT")
        count_only, fields, children, aggregates = self.select_list(nested)
        self.expect_keyword("FROM")
        sobject = self.object_name()
        where = self.where()
        group_by = self.group_by()
        order = self.order_by()
        limit = self.integer_clause("LIMIT")
        offset = self.integer_clause("OFFSET")
        return Query(
            self.soql, fields, count_only, sobject.text, sobject.pos, where, order, limit, offset,
            children, aggregates, group_by,
        )  # fmt: skip

    def group_by(self) -> tuple[FieldRef, ...]:
        if not self.at_keyword("GROUP"):
            return ()
        self.take()
        self.expect_keyword("BY")
        fields = [self.field_ref()]
        while self.current.text == ",":
            self.take()
            fields.append(self.field_ref())
        return tuple(fields)

    def name(self) -> Token:
        if self.current.kind != "name" or self.current.upper in KEYWORDS:
            raise self.error()
        return self.take()

    def object_name(self) -> Token:
        """The object after FROM: `Order` is an object there, not the start of ORDER BY."""
        following = self.tokens[self.index + 1] if self.index + 1 < len(self.tokens) else None
        if self.current.upper == "ORDER" and (following is None or following.upper != "BY"):
            return self.take()
        return self.name()

    def select_list(
        self, nested: bool
    ) -> tuple[bool, tuple[FieldRef, ...], tuple[Query, ...], tuple[Aggregate, ...]]:
        """COUNT(), or a comma-separated list of field paths, aggregates and (outside a sub-query)
        sub-queries."""
        if (
            self.at_keyword("COUNT")
            and self.tokens[self.index + 1].text == "("
            and self.tokens[self.index + 2].text == ")"
        ):
            self.index += 1
            self.expect_punct("(")
            self.expect_punct(")")
            return True, (), (), ()
        fields: list[FieldRef] = []
        children: list[Query] = []
        aggregates: list[Aggregate] = []
        while True:
            if self.current.text == "(" and not nested:
                self.take()
                children.append(self.query_body(nested=True))
                self.expect_punct(")")
            elif self.at_keyword(*AGGREGATES) and self.tokens[self.index + 1].text == "(":
                aggregates.append(self.aggregate())
            else:
                fields.append(self.field_ref())
            if self.current.text != ",":
                return False, tuple(fields), tuple(children), tuple(aggregates)
            self.take()

    def aggregate(self) -> Aggregate:
        """FUNCTION(field) [alias]"""
        function = self.take().upper
        self.expect_punct("(")
        field = self.field_ref()
        self.expect_punct(")")
        alias = None
        if self.current.kind == "name" and self.current.upper not in KEYWORDS:
            alias = self.take().text
        return Aggregate(function, field, alias)

    def field_ref(self) -> FieldRef:
        token = self.name()
        return FieldRef(token.text, token.pos)

    def where(self) -> Condition | None:
        if not self.at_keyword("WHERE"):
            return None
        self.take()
        return self.condition()

    def condition(self) -> Condition:
        """Operands joined by one kind of junction: AND and OR need parentheses to mix."""
        operands = [self.unary()]
        junction: str | None = None
        while self.at_keyword("AND", "OR"):
            if junction is not None and self.current.upper != junction:
                raise self.error()
            junction = self.take().upper
            operands.append(self.unary())
        if junction is None:
            return operands[0]
        return Junction("AND" if junction == "AND" else "OR", tuple(operands))

    def unary(self) -> Condition:
        """NOT unary | ( condition ) | comparison"""
        if self.at_keyword("NOT"):
            self.take()
            return Negation(self.unary())
        if self.current.text == "(":
            self.take()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        """field op literal | field [NOT] IN (literals) | field LIKE literal"""
        field = self.field_ref()
        token = self.current
        if token.kind == "op":
            self.take()
            return Comparison(field, "!=" if token.text == "<>" else token.text, self.literal())
        if self.at_keyword("LIKE"):
            self.take()
            return Comparison(field, "LIKE", self.literal())
        negated = self.at_keyword("NOT")
        if negated:
            self.take()
        if self.at_keyword("IN"):
            self.take()
            op = "NOTIN" if negated else "IN"
            if self.current.text == "(" and self.tokens[self.index + 1].upper == "SELECT":
                self.take()
                inner = self.query_body(nested=True)
                self.expect_punct(")")
                return Comparison(field, op, inner)
            return Comparison(field, op, self.literal_list())
        raise self.error()

    def literal_list(self) -> tuple[Value, ...]:
        self.expect_punct("(")
        values = [self.literal()]
        while self.current.text == ",":
            self.take()
            values.append(self.literal())
        self.expect_punct(")")
        return tuple(values)

    def literal(self) -> Value:
        """A string, number, boolean, null, date or datetime literal."""
        token = self.take()
        if token.kind == "string":
            return Value("string", unescape(token.text[1:-1]), token.pos)
        if token.kind == "number":
            number = float(token.text) if "." in token.text else int(token.text)
            return Value("number", number, token.pos)
        if token.kind == "date":
            return Value("date", self.temporal(token), token.pos)
        if token.kind == "datetime":
            return Value("datetime", self.temporal(token), token.pos)
        if token.kind == "name" and token.upper in ("TRUE", "FALSE"):
            return Value("boolean", token.upper == "TRUE", token.pos)
        if token.kind == "name" and token.upper == "NULL":
            return Value("null", None, token.pos)
        if token.kind == "name" and token.upper in DATE_LITERALS:
            return Value("dateliteral", (token.upper, 0), token.pos)
        if token.kind == "dateliteral":
            name, _, n = token.text.partition(":")
            if name.upper() in N_DATE_LITERALS:
                return Value("dateliteral", (name.upper(), int(n)), token.pos)
        raise self.error(token)

    def temporal(self, token: Token) -> date | datetime:
        parsed = parse_datetime(token.text) if token.kind == "datetime" else parse_date(token.text)
        if parsed is None:
            raise self.error(token)
        return parsed

    def order_by(self) -> tuple[OrderItem, ...]:
        """ORDER BY item, item, …"""
        if not self.at_keyword("ORDER"):
            return ()
        self.take()
        self.expect_keyword("BY")
        items = [self.order_item()]
        while self.current.text == ",":
            self.take()
            items.append(self.order_item())
        return tuple(items)

    def order_item(self) -> OrderItem:
        """field [ASC|DESC] [NULLS FIRST|LAST]; nulls sort first unless told otherwise."""
        field = self.field_ref()
        descending = self.at_keyword("DESC")
        if self.at_keyword("ASC", "DESC"):
            self.take()
        nulls_first = True
        if self.at_keyword("NULLS"):
            self.take()
            if not self.at_keyword("FIRST", "LAST"):
                raise self.error()
            nulls_first = self.take().upper == "FIRST"
        return OrderItem(field, descending, nulls_first)

    def integer_clause(self, keyword: str) -> int | None:
        if not self.at_keyword(keyword):
            return None
        self.take()
        token = self.take()
        if token.kind != "number" or not token.text.isdigit():
            raise self.error(token)
        return int(token.text)


def unescape(body: str) -> str:
    """A string literal's text with its backslash escapes resolved (\\% and \\_ kept for LIKE)."""
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def parse(soql: str) -> Query:
    """The `Query` of a SOQL text (raises ApiError MALFORMED_QUERY)."""
    return Parser(soql).query()
