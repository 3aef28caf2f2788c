"""The subset of SuiteQL the emulator understands, parsed into a small syntax tree.

    >>> parse("SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD') AS day FROM customer "
    ...       "WHERE lastmodifieddate >= TO_DATE('2024-03-01', 'YYYY-MM-DD') AND id IN (1, 2) ORDER BY id")

Understood: `SELECT *` or a list of columns and `TO_CHAR`/`TO_DATE`/`TO_TIMESTAMP` calls (each with an
optional `AS` alias), `FROM` one record type, `WHERE` comparisons (`=`, `<>`, `!=`, `<`, `<=`, `>`,
`>=`, `[NOT] IN (...)`, `IS [NOT] NULL`, or a parenthesised group of them joined by `OR`) joined by
`AND`, and `ORDER BY` expressions with `ASC`/`DESC`.
Identifiers are case-insensitive (kept lower-case); string literals use single quotes (`''` escapes
one). Anything else (joins, a bare `OR`, `GROUP BY`, other functions) raises `SuiteQLError`: real SuiteQL
knows far more, the emulator answers those queries with a 400 rather than a wrong result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FUNCTIONS = frozenset({"to_char", "to_date", "to_timestamp"})
COMPARISONS = frozenset({"=", "<>", "!=", "<", "<=", ">", ">="})
KEYWORDS = frozenset(
    {"select", "from", "where", "and", "or", "order", "by", "asc", "desc", "in", "not", "is", "null", "as"}
)
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<number>\d+(?:\.\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op><>|!=|>=|<=|[=<>(),.*])
    )""",
    re.VERBOSE,
)


class SuiteQLError(ValueError):
    """A query the emulator cannot run; the message reads like NetSuite's search errors."""


@dataclass(frozen=True)
class Column:
    """A field of the queried record type (`customer.id` and `id` are the same column)."""

    name: str


@dataclass(frozen=True)
class Literal:
    """A string or number written in the query."""

    value: str | int | float


@dataclass(frozen=True)
class Call:
    """A function call such as `TO_CHAR(lastmodifieddate, 'YYYY-MM-DD')`."""

    function: str
    args: tuple[Expr, ...]


Expr = Column | Literal | Call


@dataclass(frozen=True)
class Condition:
    """One `WHERE` term: `left operator right` (IN lists have several, IS NULL none)."""

    left: Expr
    operator: str  # a comparison, "in", "not in", "is null" or "is not null"
    right: tuple[Expr, ...]


@dataclass(frozen=True)
class AnyOf:
    """A parenthesised group of terms joined by `OR`."""

    terms: tuple[Condition, ...]


Term = Condition | AnyOf


@dataclass(frozen=True)
class Selected:
    """One output column and the name its values are returned under."""

    expr: Expr
    name: str


@dataclass(frozen=True)
class OrderKey:
    expr: Expr
    descending: bool = False


@dataclass(frozen=True)
class Query:
    """A parsed query; `columns` is None for `SELECT *`."""

    table: str
    columns: tuple[Selected, ...] | None
    where: tuple[Term, ...]
    order: tuple[OrderKey, ...]


@dataclass(frozen=True)
class Token:
    kind: str  # string, number, name, op, end
    text: str


def tokenize(text: str) -> list[Token]:
    """The tokens of a query, ending with an `end` token; raises on characters SuiteQL has no use for."""
    tokens, position = [], 0
    text = text.rstrip().removesuffix(";")
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            near = text[position:].strip()[:20]
            raise SuiteQLError(f"Invalid search query. Syntax error near '{near}'.")
        tokens.append(Token(match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return [*tokens, Token("end", "")]


class _Parser:
    """Recursive descent over the tokens of one query."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.position = 0
        self.unnamed = 0

    # ---- token helpers ----

    def peek(self) -> Token:
        return self.tokens[self.position]

    def next(self) -> Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def at(self, *words: str) -> bool:
        """Whether the next tokens are these keywords or symbols (case-insensitive)."""
        ahead = self.tokens[self.position : self.position + len(words)]
        return len(ahead) == len(words) and all(
            t.text.lower() == w for t, w in zip(ahead, words, strict=True)
        )

    def accept(self, *words: str) -> bool:
        if self.at(*words):
            self.position += len(words)
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise self.error(f"expected {' '.join(w.upper() for w in words)}")

    def error(self, what: str) -> SuiteQLError:
        near = self.peek().text or "the end of the query"
        return SuiteQLError(f"Invalid search query. Syntax error near '{near}': {what}.")

    def identifier(self) -> str:
        token = self.next()
        if token.kind != "name" or token.text.lower() in KEYWORDS:
            self.position -= 1
            raise self.error("expected a name")
        return token.text.lower()

    # ---- grammar ----

    def query(self) -> Query:
        self.expect("select")
        if self.at("top") or self.at("distinct"):
            raise _unsupported(self.peek().text.upper())
        columns = None if self.accept("*") else self.select_list()
        self.expect("from")
        table = self.identifier()
        if self.peek().kind == "name" and not self.at("where") and not self.at("order"):
            raise _unsupported(f"'{self.peek().text}' after the record type (aliases and joins)")
        where = self.conditions() if self.accept("where") else ()
        order = self.order_keys() if self.accept("order", "by") else ()
        if self.peek().kind != "end":
            raise _unsupported(f"'{self.peek().text}'")
        return Query(table, columns, where, order)

    def select_list(self) -> tuple[Selected, ...]:
        columns = [self.selected()]
        while self.accept(","):
            columns.append(self.selected())
        return tuple(columns)

    def selected(self) -> Selected:
        expr = self.expression()
        if self.accept("as") or (self.peek().kind == "name" and not self.at("from")):
            return Selected(expr, self.identifier())
        if isinstance(expr, Column):
            return Selected(expr, expr.name)
        self.unnamed += 1
        return Selected(expr, f"expr{self.unnamed}")

    def expression(self) -> Expr:
        token = self.next()
        if token.kind == "string":
            return Literal(token.text[1:-1].replace("''", "'"))
        if token.kind == "number":
            return Literal(float(token.text) if "." in token.text else int(token.text))
        if token.kind != "name" or token.text.lower() in KEYWORDS:
            self.position -= 1
            raise self.error("expected a field, a literal or a function")
        name = token.text.lower()
        if self.accept("("):
            return self.call(name)
        if self.accept("."):
            return Column(self.identifier())  # `customer.id`: the one table's column
        return Column(name)

    def call(self, function: str) -> Call:
        if function not in FUNCTIONS:
            raise _unsupported(f"the function {function.upper()}")
        args = [self.expression()]
        while self.accept(","):
            args.append(self.expression())
        self.expect(")")
        return Call(function, tuple(args))

    def conditions(self) -> tuple[Term, ...]:
        terms = [self.term()]
        while self.accept("and"):
            terms.append(self.term())
        if self.at("or"):
            raise _unsupported("OR outside parentheses")
        return tuple(terms)

    def term(self) -> Term:
        if not self.accept("("):
            return self.condition()
        alternatives = [self.condition()]
        while self.accept("or"):
            alternatives.append(self.condition())
        self.expect(")")
        return AnyOf(tuple(alternatives))

    def condition(self) -> Condition:
        if self.at("("):
            raise _unsupported("nested parentheses")
        left = self.expression()
        if self.accept("is", "not", "null"):
            return Condition(left, "is not null", ())
        if self.accept("is", "null"):
            return Condition(left, "is null", ())
        if self.accept("not", "in"):
            return Condition(left, "not in", self.in_list())
        if self.accept("in"):
            return Condition(left, "in", self.in_list())
        token = self.next()
        if token.text not in COMPARISONS:
            self.position -= 1
            raise self.error("expected a comparison")
        return Condition(left, token.text, (self.expression(),))

    def in_list(self) -> tuple[Expr, ...]:
        self.expect("(")
        if self.at("select"):
            raise _unsupported("subqueries")
        values = [self.expression()]
        while self.accept(","):
            values.append(self.expression())
        self.expect(")")
        return tuple(values)

    def order_keys(self) -> tuple[OrderKey, ...]:
        keys = [self.order_key()]
        while self.accept(","):
            keys.append(self.order_key())
        return tuple(keys)

    def order_key(self) -> OrderKey:
        expr = self.expression()
        if self.accept("desc"):
            return OrderKey(expr, True)
        self.accept("asc")
        return OrderKey(expr)


def _unsupported(what: str) -> SuiteQLError:
    return SuiteQLError(
        f"Invalid search query. The NetSuite emulator does not support {what}; "
        "it runs single-table SELECTs with AND-ed comparisons only."
    )


def parse(text: str) -> Query:
    """The syntax tree of one query; raises SuiteQLError for anything outside the subset."""
    if not isinstance(text, str) or not text.strip():
        raise SuiteQLError("Invalid search query. The query is empty.")
    return _Parser(text).query()
