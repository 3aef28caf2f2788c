"""The paging styles of REST lists: each says how to ask for the first page and what comes next.

    pages = paginator(spec.paging, size=50)
    call = pages.first(url, params)               # page 1
    call = pages.next(call, response, body, records)   # None after the last page

| style       | next page                                         | last page when                     |
|-------------|---------------------------------------------------|------------------------------------|
| none        | —                                                 | always                             |
| page        | `page_param` + 1                                  | a page shorter than the page size  |
| offset      | `offset_param` + records received                 | short page, or `total` reached     |
| cursor      | the body's `token` sent back as `param`           | no token                           |
| link_header | the `Link: <…>; rel="next"` URL (RFC 8288)        | no such link                       |
| next_url    | the URL at the body's `url` path                  | no URL                             |
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests

from connectors.rest.paths import first
from connectors.rest.spec import PagingSpec
from hub.io.records import Record


@dataclass(frozen=True)
class PageCall:
    """The request of one page: a URL and its query parameters (None: the URL carries them)."""

    url: str
    params: dict[str, Any] | None


class Paginator(ABC):
    """One paging style over a list of `size` records a page."""

    def __init__(self, spec: PagingSpec, size: int) -> None:
        self.spec = spec
        self.size = size

    def first(self, url: str, params: dict[str, Any]) -> PageCall:
        """The first page's request: the list's parameters plus the page size."""
        sized = {self.spec.size_param: self.size} if self.spec.size_param else {}
        return PageCall(url, {**params, **sized, **self.start()})

    def start(self) -> dict[str, Any]:
        """Parameters only the first page carries (page 1, offset 0)."""
        return {}

    @abstractmethod
    def next(
        self, call: PageCall, response: requests.Response, body: Any, records: Sequence[Record]
    ) -> PageCall | None:
        """The next page's request, or None after the last page."""


class SinglePage(Paginator):
    """A list served whole."""

    def next(
        self, call: PageCall, response: requests.Response, body: Any, records: Sequence[Record]
    ) -> PageCall | None:
        return None


class PageNumberPaginator(Paginator):
    """`?page=N&per_page=S`; a page shorter than S is the last."""

    def start(self) -> dict[str, Any]:
        return {self.spec.page_param: self.spec.first_page}

    def next(
        self, call: PageCall, response: requests.Response, body: Any, records: Sequence[Record]
    ) -> PageCall | None:
        if call.params is None or len(records) < self.size:
            return None
        page = int(call.params[self.spec.page_param]) + 1
        return PageCall(call.url, {**call.params, self.spec.page_param: page})


class OffsetPaginator(Paginator):
    """`?offset=N&limit=S`; the last page is short, or ends at the body's `total`."""

    def start(self) -> dict[str, Any]:
        return {self.spec.offset_param: 0}

    def next(
        self, call: PageCall, response: requests.Response, body: Any, records: Sequence[Record]
    ) -> PageCall | None:
        if call.params is None or not records:
            return None
        offset = int(call.params[self.spec.offset_param]) + len(records)
        total = first(body, self.spec.total) if self.spec.total else None
        if total is not None and offset >= int(total):
            return None
        if total is None and len(records) < self.size:
            return None
        return PageCall(call.url, {**call.params, self.spec.offset_param: offset})


class CursorPaginator(Paginator):
    """A token at a body path (`paging.next.after`), sent back as a parameter (`after`)."""

    def next(
        self, call: PageCall, response: requests.Response, body: Any, records: Sequence[Record]
    ) -> PageCall | None:
        token = first(body, self.spec.token)
        if call.params is None or token in (None, ""):
            return None
        return PageCall(call.url, {**call.params, self.spec.param: token})


class LinkHeaderPaginator(Paginator):
    """RFC 8288: `Link: <https://…&page=2>; rel="next"`, absent on the last page."""

    def next(
        self, call: PageCall, response: requests.Response, body: Any, records: Sequence[Record]
    ) -> PageCall | None:
        link = response.links.get("next", {}).get("url")
        return PageCall(urljoin(response.url, link), None) if link else None


class NextUrlPaginator(Paginator):
    """The next page's URL at a body path (`next_page`, `links.next`), absent or null at the end."""

    def next(
        self, call: PageCall, response: requests.Response, body: Any, records: Sequence[Record]
    ) -> PageCall | None:
        link = first(body, self.spec.url)
        return PageCall(urljoin(response.url, str(link)), None) if link not in (None, "") else None


PAGINATORS: dict[str, type[Paginator]] = {
    "none": SinglePage,
    "page": PageNumberPaginator,
    "offset": OffsetPaginator,
    "cursor": CursorPaginator,
    "link_header": LinkHeaderPaginator,
    "next_url": NextUrlPaginator,
}


def paginator(spec: PagingSpec, size: int) -> Paginator:
    """The paginator of a paging style, for pages of `size` records."""
    return PAGINATORS[spec.style](spec, size)
