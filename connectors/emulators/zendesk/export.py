"""Zendesk's incremental exports: cursor-based (users, tickets) and time-based (all three kinds).

Records are ordered by (`updated_at`, `id`). A cursor encodes the position after the last record
sent, like Zendesk's opaque `after_cursor` (base64 of `1694375868.0||<id>|`), so records sharing
one second are never lost between pages. A time-based page never splits a second: it runs on to the
last record of its final second and answers `end_time` = that second, so the next page repeats
those records (clients dedupe on id + updated_at); a page that is one second only ends a second later.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from connectors.emulators.zendesk.store import Store, epoch

MAX_PER_PAGE = 1000
Position = tuple[int, int]  # (updated_at in unix seconds, id): export order


class BadExportRequest(ValueError):
    """A parameter Zendesk would refuse (400 InvalidValue)."""


def encode_cursor(position: Position) -> str:
    return base64.b64encode(f"{position[0]}.0||{position[1]}|".encode()).decode()


def decode_cursor(cursor: str) -> Position:
    try:
        stamp, _, rest = base64.b64decode(cursor.encode(), validate=True).decode().partition("||")
        return int(float(stamp)), int(rest.strip("|") or 0)
    except (ValueError, UnicodeDecodeError):
        raise BadExportRequest("cursor is invalid") from None


def per_page(value: str | None) -> int:
    """The page size asked for, at most 1000 (Zendesk's default and ceiling)."""
    if value in (None, ""):
        return MAX_PER_PAGE
    try:
        size = int(str(value))
    except ValueError:
        raise BadExportRequest("per_page must be an integer") from None
    return max(1, min(size, MAX_PER_PAGE))


def start_time(value: str | None) -> int:
    if value in (None, ""):
        raise BadExportRequest("start_time is required")
    try:
        return int(str(value))
    except ValueError:
        raise BadExportRequest("start_time must be a unix timestamp") from None


def ordered(store: Store, kind: str) -> list[tuple[Position, dict[str, Any]]]:
    rows = [((epoch(r["updated_at"]), int(r["id"])), r) for r in store.tables[kind].values()]
    return sorted(rows, key=lambda row: row[0])


def cursor_page(
    store: Store,
    kind: str,
    base: str,
    *,
    start: int | None,
    cursor: str | None,
    size: int,
    asked: str | None = None,
) -> dict[str, Any]:
    """One page of `GET /api/v2/incremental/{kind}/cursor.json`."""
    after: Position = decode_cursor(cursor) if cursor else (int(start or 0), 0)
    remaining = [row for row in ordered(store, kind) if row[0] > after]
    page = remaining[:size]
    last = page[-1][0] if page else after
    next_cursor = encode_cursor(last)
    before = encode_cursor(page[0][0]) if page and cursor else None
    url = f"{base}/api/v2/incremental/{kind}/cursor.json?cursor="
    kept = f"&per_page={asked}" if asked else ""  # as Zendesk keeps the caller's per_page
    return {
        kind: [dict(record) for _, record in page],
        "after_url": url + quote(next_cursor) + kept,
        "after_cursor": next_cursor,
        "before_url": url + quote(before) + kept if before else None,
        "before_cursor": before,
        "end_of_stream": len(remaining) <= size,
    }


def time_page(
    store: Store, kind: str, base: str, *, start: int, size: int, asked: str | None = None
) -> dict[str, Any]:
    """One page of `GET /api/v2/incremental/{kind}.json?start_time=` (time-based)."""
    remaining = [row for row in ordered(store, kind) if row[0][0] >= start]
    page = remaining[:size]
    if page:
        last_second = page[-1][0][0]
        page = [row for row in remaining if row[0][0] <= last_second]
        single_second = page[0][0][0] == last_second
        end_time = last_second + 1 if single_second else last_second
    else:
        end_time = start
    return {
        kind: [dict(record) for _, record in page],
        "count": len(page),
        "next_page": f"{base}/api/v2/incremental/{kind}.json?"  # the caller's per_page kept
        + (f"per_page={asked}&" if asked else "")
        + f"start_time={end_time}",
        "end_time": end_time,
        "end_of_stream": len(remaining) == len(page),
    }
