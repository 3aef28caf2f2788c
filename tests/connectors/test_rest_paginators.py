"""Every paging style of the declarative REST connector, against the widgets emulator
(tests/connectors/kit_rest.py), plus the restart from the last cursor value at the page limit."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from connectors.rest.paginators import PAGINATORS
from hub.errors import FatalAPIError
from hub.io.connector import ObjectSpec
from tests.connectors.kit_rest import STYLES, widgets, widgets_yaml

WIDGETS = ObjectSpec("widgets", ("id", "name", "updated_at"), "id", "updated_at")


def list_calls(app: object) -> int:
    stats = app.stats  # type: ignore[attr-defined]
    return sum(n for key, n in stats.items() if "/widgets" in key and key.startswith("GET /api/("))


def test_every_paging_style_is_tested() -> None:
    assert set(PAGINATORS) - {"none"} <= {s.removesuffix("_short") for s in STYLES}


@pytest.mark.parametrize(
    ("style", "expected_calls"),
    [
        ("page", 5),  # 4 full pages, then an empty one: a page style only stops on a short page
        ("offset", 4),  # the body's total says the 4th page is the last
        ("offset_short", 5),  # no total: an empty page ends it
        ("cursor", 4),
        ("link_header", 4),
        ("next_url", 4),
    ],
)
def test_a_full_read_follows_the_style_to_the_last_page(
    tmp_path: Path, style: str, expected_calls: int
) -> None:
    with widgets(tmp_path, widgets_yaml(STYLES[style])) as (app, build):
        made = []
        for i in range(12):
            made.append(app.create(f"w{i}"))
            app.clock.advance(1)
        pages = list(build().read_changes(WIDGETS, None, 3))
        assert [r["id"] for p in pages for r in p.records] == made
        assert [len(p.records) for p in pages] == [3, 3, 3, 3]
        assert pages[-1].cursor == app.clock.now - timedelta(seconds=1)  # the newest record's
        assert list_calls(app) == expected_calls


@pytest.mark.parametrize("style", sorted(STYLES))
def test_an_incremental_read_sends_the_since_parameter_on_every_page(tmp_path: Path, style: str) -> None:
    with widgets(tmp_path, widgets_yaml(STYLES[style])) as (app, build):
        for i in range(5):
            app.create(f"old{i}")
        app.clock.advance(60)
        since = app.clock.now
        recent = [app.create(f"new{i}") for i in range(7)]
        ids = [r["id"] for p in build().read_changes(WIDGETS, since, 2) for r in p.records]
        assert ids == recent


def test_a_short_last_page_stops_without_another_call(tmp_path: Path) -> None:
    with widgets(tmp_path, widgets_yaml(STYLES["page"])) as (app, build):
        for i in range(7):
            app.create(f"w{i}")
        pages = list(build().read_changes(WIDGETS, None, 3))
        assert [len(p.records) for p in pages] == [3, 3, 1] and list_calls(app) == 3


def test_the_page_size_never_exceeds_what_the_api_serves(tmp_path: Path) -> None:
    paging = "link||{style: link_header, size_param: per_page, page_size: 4}"
    with widgets(tmp_path, widgets_yaml(paging)) as (app, build):
        for i in range(10):
            app.create(f"w{i}")
        connector = build()
        assert connector.max_page == 4
        assert [len(p.records) for p in connector.read_changes(WIDGETS, None, 100)] == [4, 4, 2]


def test_the_page_limit_restarts_from_the_last_cursor_without_duplicates(tmp_path: Path) -> None:
    paging = "link||{style: link_header, size_param: per_page, max_page: 3}"
    with widgets(tmp_path, widgets_yaml(paging), page_limit=3) as (app, build):
        made = []
        for i in range(25):  # pairs share a second, so restarts land inside a shared instant
            made.append(app.create(f"w{i}"))
            app.clock.advance(i % 2)
        pages = list(build().read_changes(WIDGETS, None, 2))
        assert [r["id"] for p in pages for r in p.records] == made
        assert list_calls(app) > 13  # 13 pages without a limit; each restart re-reads its instant
        cursors = [p.cursor for p in pages]
        assert cursors == sorted(cursors)  # type: ignore[type-var]


def test_more_records_in_one_instant_than_the_page_limit_holds_is_a_clear_error(tmp_path: Path) -> None:
    paging = "link||{style: link_header, size_param: per_page, max_page: 2}"
    with widgets(tmp_path, widgets_yaml(paging), page_limit=2) as (app, build):
        for i in range(6):
            app.create(f"w{i}")
        with pytest.raises(FatalAPIError, match="larger page size"):
            list(build().read_changes(WIDGETS, None, 2))


def test_a_body_whose_records_path_holds_no_list_is_a_clear_error(tmp_path: Path) -> None:
    text = widgets_yaml("offset|total|{style: offset}")
    with widgets(tmp_path, text) as (app, build):
        app.create("w")
        with pytest.raises(FatalAPIError, match="total is not a list of records"):
            list(build().read_changes(WIDGETS, None, 2))


def test_a_list_without_a_since_parameter_is_filtered_by_the_cursor_here(tmp_path: Path) -> None:
    text = widgets_yaml(STYLES["page"]).replace("      since: {param: updated_since}\n", "")
    with widgets(tmp_path, text) as (app, build):
        for i in range(4):
            app.create(f"old{i}")
        app.clock.advance(60)
        since = app.clock.now
        recent = [app.create(f"new{i}") for i in range(3)]
        assert [r["id"] for p in build().read_changes(WIDGETS, since, 2) for r in p.records] == recent
