"""SOSL through the search resource, as simple-salesforce's `sf.search()` / `sf.quick_search()` call it.

    GET search/?q=FIND {term} [IN ALL|NAME|EMAIL|PHONE FIELDS]
                  [RETURNING Object[(field, … [WHERE …] [ORDER BY …] [LIMIT n])], …] [LIMIT n]
    -> {"searchRecords": [{"attributes": {...}, "Id": …, …}, …]}

A term matches a text field when it equals the field's text or one of its words (split at spaces,
punctuation and an email's @), case-insensitively;
`*` stands for any characters and `?` for one; several words (or a "phrase") must all match one field.
What each object returns (fields, WHERE, ORDER BY, LIMIT) is run as SOQL over the matching records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.emulators.salesforce.errors import ApiError, SfError, bad_request
from connectors.emulators.salesforce.objects import FieldDef, SObjectDef
from connectors.emulators.salesforce.rest import Route, V
from connectors.emulators.salesforce.soql import parse
from connectors.emulators.salesforce.soql_exec import Planner, matching, project
from connectors.emulators.salesforce.store import Record, Store
from connectors.emulators.server import Request, Response

FIND = re.compile(r"\s*FIND\s*\{(?P<term>(?:[^}\\]|\\.)*)\}\s*", re.IGNORECASE | re.DOTALL)
SCOPE = re.compile(r"IN\s+(?P<scope>ALL|NAME|EMAIL|PHONE)\s+FIELDS\s*", re.IGNORECASE)
RETURNING = re.compile(r"RETURNING\s+", re.IGNORECASE)
OBJECT = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*")
LIMIT = re.compile(r"LIMIT\s+(?P<n>\d+)\s*", re.IGNORECASE)
CLAUSE = re.compile(r"\b(?:WHERE|ORDER\s+BY|LIMIT|OFFSET)\b", re.IGNORECASE)
WORD_SPLIT = re.compile(r"[\s,;:()/\"]+")
FIELD_SPLIT = re.compile(r"[\s,;:()/\"@]+")  # an email's mailbox and domain are words of their own
NAME_FIELDS = frozenset({"name", "firstname", "lastname"})
MAX_RECORDS = 2000


@dataclass(frozen=True)
class Returning:
    """One object of a RETURNING clause, with the SOQL tail (`Id, Email WHERE … LIMIT 5`) in parens."""

    sobject: SObjectDef
    inside: str


def malformed(message: str) -> ApiError:
    return bad_request("MALFORMED_SEARCH", message)


def term_patterns(term: str) -> list[re.Pattern[str]]:
    """Each word of the search term as a case-insensitive pattern (`*` any run, `?` one character)."""
    words = [w for w in WORD_SPLIT.split(term.replace("\\", "")) if w and w.upper() not in ("AND", "OR")]
    if not words or all(len(w.strip("*?")) < 2 for w in words):
        raise malformed("search term must be longer than one character")
    return [
        re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in w), re.I)
        for w in words
    ]


def searched(field: FieldDef, scope: str) -> bool:
    if not field.is_text or field.type in ("id", "reference"):
        return False
    return {
        "ALL": True,
        "NAME": field.name.lower() in NAME_FIELDS,
        "EMAIL": field.type == "email",
        "PHONE": field.type == "phone",
    }[scope]


def matches(record: Record, fields: list[FieldDef], patterns: list[re.Pattern[str]]) -> bool:
    for field in fields:
        text = record.get(field.name)
        if not isinstance(text, str) or not text:
            continue
        words = [text, *FIELD_SPLIT.split(text)]
        if all(any(p.fullmatch(w) for w in words) for p in patterns):
            return True
    return False


class SearchApi:
    """Handler of /search."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def routes(self) -> list[Route]:
        return [("GET", V + r"/search", self.search)]

    def search(self, request: Request) -> Response:
        sosl = request.arg("q") or ""
        found = FIND.match(sosl)
        if found is None:
            raise malformed("No search term found. The search term must be enclosed in braces.")
        patterns, rest = term_patterns(found.group("term")), sosl[found.end() :]
        scope = SCOPE.match(rest)
        if scope is not None:
            rest = rest[scope.end() :]
        returning, tail = self.returning(rest)
        overall = LIMIT.fullmatch(tail) if tail else None
        if tail and overall is None:
            raise malformed(f"unexpected token: '{tail.split()[0]}'")
        cap = min(int(overall.group("n")), MAX_RECORDS) if overall else MAX_RECORDS
        records: list[dict[str, object]] = []
        version = request.params["version"]
        where = scope.group("scope").upper() if scope else "ALL"
        for item in returning:
            fields = [f for f in item.sobject.fields if searched(f, where)]
            hits = {
                r["Id"] for r in self.store.table(item.sobject).rows.values()
                if not r["IsDeleted"] and matches(r, fields, patterns)
            }  # fmt: skip
            clause = CLAUSE.search(item.inside)
            selected = (item.inside[: clause.start()] if clause else item.inside).strip() or "Id"
            tail_soql = item.inside[clause.start() :] if clause else ""
            plan = Planner(
                self.store, parse(f"SELECT {selected} FROM {item.sobject.name} {tail_soql}")
            ).plan()
            rows = [r for r in matching(plan, self.store, include_deleted=False) if r["Id"] in hits]
            records += [project(plan, r, version) for r in rows[: plan.query.limit]]
        return Response.json({"searchRecords": records[:cap]})

    def returning(self, rest: str) -> tuple[list[Returning], str]:
        """The RETURNING objects (every object when there is none) and the text after them."""
        keyword = RETURNING.match(rest)
        if keyword is None:
            return [Returning(s, "") for s in self.store.catalog.sobjects], rest.strip()
        pos, items = keyword.end(), []
        while True:
            name = OBJECT.match(rest, pos)
            if name is None:
                raise malformed("RETURNING needs an object name")
            sobject = self.store.catalog.get(name.group("name"))
            if sobject is None:
                message = f"sObject type '{name.group('name')}' is not supported."
                raise ApiError(400, SfError("INVALID_TYPE", message))
            pos, inside = name.end(), ""
            if rest[pos : pos + 1] == "(":
                close = closing_paren(rest, pos)
                inside, pos = rest[pos + 1 : close].strip(), close + 1
            items.append(Returning(sobject, inside))
            while pos < len(rest) and rest[pos].isspace():
                pos += 1
            if rest[pos : pos + 1] != ",":
                return items, rest[pos:].strip()
            pos += 1
            while pos < len(rest) and rest[pos].isspace():
                pos += 1


def closing_paren(text: str, start: int) -> int:
    """The index of the `)` closing the `(` at `start`, skipping quoted literals."""
    depth, quoted, i = 0, False, start
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == "'":
                quoted = False
        elif ch == "'":
            quoted = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise malformed("unbalanced parentheses in RETURNING")
