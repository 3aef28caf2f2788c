"""Zendesk's plain lists and its search, as the emulator answers them.

    GET /api/v2/{users|organizations|tickets}.json   offset paging (`page`, `per_page` ≤ 100: `next_page`,
                                                      `previous_page`, `count`), or cursor paging
                                                      (`page[size]`, `page[after]`: `meta.has_more`,
                                                      `meta.after_cursor`, `links.next`)
    GET /api/v2/search.json?query=                   `type:ticket status:open priority:high
                                                      tags:vip created>2024-01-01 updated<… "free text"`;
                                                      `results` each with `result_type`, `facets`, `count`,
                                                      `next_page` (per_page ≤ 100)

Both order by id (search by `sort_by`/`sort_order` on created_at or updated_at when asked).
"""

from __future__ import annotations

import base64
import re
import shlex
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from connectors.emulators.zendesk.store import SINGULAR, Store, parse_zendesk_time

MAX_PER_PAGE = 100
RESULT_TYPES = {"ticket": "tickets", "user": "users", "organization": "organizations"}
COMPARISON = re.compile(r"^(?P<field>[a-z_]+)(?P<op>:|>=|<=|>|<)(?P<value>.+)$")
DATE_FIELDS = {
    "created": "created_at",
    "updated": "updated_at",
    "created_at": "created_at",
    "updated_at": "updated_at",
}


class BadListRequest(ValueError):
    """A list or search request Zendesk refuses (400 InvalidPaginationParameter / InvalidValue)."""


def _size(value: str | None, default: int = MAX_PER_PAGE) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= MAX_PER_PAGE:
        raise BadListRequest(f"per_page must be a number between 1 and {MAX_PER_PAGE}")
    return int(value)


def list_page(store: Store, kind: str, base: str, query: dict[str, list[str]]) -> dict[str, Any]:
    """One page of `GET /api/v2/{kind}.json`, offset or cursor paged as the request asks."""
    rows = [store.tables[kind][i] for i in sorted(store.tables[kind])]
    first = {k: v[0] for k, v in query.items() if v}
    if "page[size]" in first or "page[after]" in first:
        size = _size(first.get("page[size]"))
        after = _cursor_id(first.get("page[after]"))
        remaining = [r for r in rows if r["id"] > after]
        page, more = remaining[:size], len(remaining) > size
        last = encode_id(page[-1]["id"]) if page else None
        link = (
            f"{base}/api/v2/{kind}.json?" + urlencode({"page[size]": size, "page[after]": last})
            if more
            else None
        )
        before = encode_id(page[0]["id"]) if page else None
        return {
            kind: [store.shown(kind, r) for r in page],
            "meta": {"has_more": more, "after_cursor": last, "before_cursor": before},
            "links": {"prev": None, "next": link},
        }
    size = _size(first.get("per_page"))
    number = int(first["page"]) if first.get("page", "").isdigit() and int(first["page"]) > 0 else 1
    return {
        kind: [store.shown(kind, r) for r in rows[(number - 1) * size : number * size]],
        **_offset(base, f"{kind}.json", first, number, size, len(rows)),
    }


def _offset(
    base: str, path: str, given: dict[str, str], number: int, size: int, total: int
) -> dict[str, Any]:
    def url(page: int) -> str:
        return f"{base}/api/v2/{path}?" + urlencode({**given, "page": page, "per_page": size})

    return {
        "next_page": url(number + 1) if number * size < total else None,
        "previous_page": url(number - 1) if number > 1 else None,
        "count": total,
    }


def encode_id(record_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{record_id}".encode()).decode().rstrip("=")


def _cursor_id(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(text.removeprefix("id:"))
    except ValueError:
        raise BadListRequest("page[after] is not a cursor this account issued") from None


def search_page(store: Store, base: str, query: dict[str, list[str]]) -> dict[str, Any]:
    """One page of `GET /api/v2/search.json?query=`."""
    first = {k: v[0] for k, v in query.items() if v}
    text = first.get("query")
    if not text:
        raise BadListRequest("query is required")
    kinds, tests = _parse(text)
    found = [
        {**store.shown(kind, record), "result_type": SINGULAR[kind]}
        for kind in kinds
        for record in (store.tables[kind][i] for i in sorted(store.tables[kind]))
        if all(test(kind, record) for test in tests)
    ]
    if first.get("sort_by") in ("created_at", "updated_at"):
        found.sort(key=lambda r: r[first["sort_by"]], reverse=first.get("sort_order", "desc") == "desc")
    size = _size(first.get("per_page"))
    number = int(first["page"]) if first.get("page", "").isdigit() and int(first["page"]) > 0 else 1
    page = found[(number - 1) * size : number * size]
    return {"results": page, "facets": None, **_offset(base, "search.json", first, number, size, len(found))}


def _parse(text: str) -> tuple[list[str], list[Any]]:
    """The kinds a query searches and a test per term (`field:value`, dates with `>`/`<`, free text)."""
    kinds = list(RESULT_TYPES.values())
    tests = []
    try:
        terms = shlex.split(text)
    except ValueError:
        raise BadListRequest("the query has an unbalanced quote") from None
    for term in terms:
        matched = COMPARISON.match(term)
        if matched is None:
            tests.append(_free_text(term))
            continue
        field, op, value = matched["field"], matched["op"], matched["value"].strip('"')
        if field == "type" and op == ":":
            if value not in RESULT_TYPES:
                raise BadListRequest(f"unknown type {value!r}")
            kinds = [RESULT_TYPES[value]]
        elif field in DATE_FIELDS:
            tests.append(_date(DATE_FIELDS[field], op, value))
        elif op == ":":
            tests.append(_equals(field, value))
        else:
            raise BadListRequest(f"{field} cannot be compared with {op}")
    return kinds, tests


def _free_text(word: str) -> Any:
    wanted = word.lower()
    fields = ("subject", "description", "name", "email", "details", "notes")
    return lambda kind, record: any(wanted in str(record.get(f) or "").lower() for f in fields)


def _equals(field: str, value: str) -> Any:
    wanted = value.lower()

    def test(kind: str, record: dict[str, Any]) -> bool:
        if field in ("tags", "tag"):
            return wanted in [str(t).lower() for t in record.get("tags") or []]
        name = {
            "requester": "requester_id",
            "assignee": "assignee_id",
            "organization": "organization_id",
        }.get(field, field)
        return str(record.get(name) if record.get(name) is not None else "none").lower() == wanted

    return test


def _date(field: str, op: str, value: str) -> Any:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)

    def test(kind: str, record: dict[str, Any]) -> bool:
        at = parse_zendesk_time(record[field])
        return {
            ">": at > moment,
            ">=": at >= moment,
            "<": at < moment,
            "<=": at <= moment,
            ":": at.date() == moment.date(),
        }[op]

    return test


__all__ = ["BadListRequest", "list_page", "search_page"]
