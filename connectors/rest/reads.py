"""Reading a described list page by page, restarting from the last cursor value at the page limit.

Some APIs serve only so many pages of one query (Freshdesk: 300). With `paging.max_page` set, a read
that reaches it starts the query again with `since` = the newest cursor value seen, and drops the
records of that very instant it already returned, so nothing is lost and nothing repeats.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from connectors.rest.paginators import PageCall, paginator
from connectors.rest.paths import first
from connectors.rest.spec import ObjectRest
from hub.errors import FatalAPIError
from hub.io.connector import passes_filter
from hub.io.records import Page, Record

Fetch = Callable[[PageCall], tuple[requests.Response, Any]]
"""Sends one page's request; the answer and its parsed body (errors raise)."""


@dataclass
class Watermark:
    """The newest cursor value seen so far, and the ids of the records that carry it."""

    latest: datetime | None = None
    ids: set[str] = field(default_factory=set)

    def see(self, moment: datetime, record_id: str) -> None:
        if self.latest is None or moment > self.latest:
            self.latest, self.ids = moment, set()
        if moment == self.latest:
            self.ids.add(record_id)


class ChangeReader:
    """The pages of one object's records changed since a moment, oldest first (a list without a
    `since` parameter is read whole and its older records are left out here)."""

    def __init__(
        self,
        system: str,
        rest: ObjectRest,
        url: str,
        params: dict[str, Any],
        size: int,
        terms: Sequence[tuple[str, str, Any]] = (),
    ) -> None:
        self.system = system
        self.rest = rest
        self.url = url
        self.params = params
        self.size = size
        self.terms = terms
        self.mark = Watermark()

    def pages(self, fetch: Fetch, since: datetime | None) -> Iterator[Page]:
        """Every page, restarting at the page limit until the list ends."""
        start, seen = since, set[str]()
        while (yield from self._query(fetch, start, seen)):
            if self.mark.latest is None or (start is not None and self.mark.latest <= start):
                raise FatalAPIError(
                    self.system,
                    f"more {self.rest.name} share one {self.rest.cursor_field} ({start}) than "
                    f"{self.rest.list.paging.max_page} pages of {self.size} hold; use a larger page size",
                )
            start, seen = self.mark.latest, set(self.mark.ids)

    def _query(self, fetch: Fetch, start: datetime | None, seen: set[str]) -> Generator[Page, None, bool]:
        """One run of the query from `start`; returns True when it stopped at the page limit."""
        pages = paginator(self.rest.list.paging, self.size)
        call: PageCall | None = pages.first(self.url, self._params(start))
        number = 0
        while call is not None:
            number += 1
            response, body = fetch(call)
            records = self.records(body)
            if records:
                yield self._page(records, start, seen)
            call = pages.next(call, response, body, records)
            if call is not None and number == self.rest.list.paging.max_page:
                return True
        return False

    def _params(self, start: datetime | None) -> dict[str, Any]:
        since = self.rest.list.since
        if start is None or since is None:
            return dict(self.params)
        return {**self.params, since.param: since.format.format(start)}

    def records(self, body: Any) -> list[Record]:
        """The records of one answer, at the list's `records` path."""
        found = first(body, self.rest.list.records)
        if found is None:
            return []
        if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
            where = self.rest.list.records or "the body"
            raise FatalAPIError(self.system, f"{self.rest.name}: {where} is not a list of records")
        return found

    def _page(self, records: list[Record], start: datetime | None, seen: set[str]) -> Page:
        kept, newest = [], None
        for record in records:
            moment = self.moment(record)
            record_id = str(first(record, self.rest.primary_key))
            if moment is not None:
                self.mark.see(moment, record_id)
                newest = moment if newest is None or moment > newest else newest
            if moment is not None and moment == start and record_id in seen:
                continue  # returned before the restart
            if self.rest.list.since is None and start and moment is not None and moment < start:
                continue  # a list with no since parameter is filtered here
            if passes_filter(self.terms, record, first):
                kept.append(record)
        return Page(kept, newest)

    def moment(self, record: Record) -> datetime | None:
        """The record's cursor value (None when the object has no cursor or the record none)."""
        if self.rest.cursor_field is None:
            return None
        value = first(record, self.rest.cursor_field)
        if value is None:
            return None
        try:
            return self.rest.cursor_format.parse(value)
        except (ValueError, TypeError, OverflowError):
            raise FatalAPIError(
                self.system,
                f"{self.rest.name}: {self.rest.cursor_field} {value!r} does not fit the cursor format "
                f"{self.rest.cursor_format.pattern!r}",
            ) from None
