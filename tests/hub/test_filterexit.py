"""hub.filterexit: which records a sync with `filter_exit` goes on with, and how they are read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.connector import ObjectSpec
from hub.filterexit import FilterExit, filter_exit, reading_spec
from hub.state import PageCommit, StateStore, XrefRow

SUPPORT = ObjectSpec(
    name="employees",
    fields=("firstName", "status"),
    primary_key="id",
    filter={"department": "Support", "status": {"not": "Deleted"}},
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    yield state
    state.close()


def test_the_source_is_read_without_the_filter_but_with_its_fields() -> None:
    read = reading_spec(SUPPORT)
    assert read.filter == {} and read.fields == ("firstName", "status", "department")
    assert filter_exit({}, SUPPORT) is None  # no filter_exit: the connector filters as before
    assert (
        filter_exit({"status": "terminated"}, ObjectSpec("employees", (), "id")) is None
    )  # nothing to leave


def test_inside_goes_on_outside_only_when_the_target_has_it(store: StateStore) -> None:
    linked = [("2", "hub-2", "z-2", False), ("3", "hub-3", None, False), ("4", "hub-4", "z-4", True)]
    rows = [XrefRow("employee", "bamboohr", source, hub) for source, hub, _, _ in linked]
    rows += [XrefRow("employee", "zendesk", z, hub, deleted=gone) for _, hub, z, gone in linked if z]
    store.commit_page(PageCommit("s", "r", xrefs=rows))
    records = [
        {"id": "1", "department": "Support", "status": "Active"},  # inside
        {"id": "2", "department": "Sales", "status": "Active"},  # moved out; an agent in Zendesk
        {"id": "3", "department": "Sales", "status": "Active"},  # known to the hub, never in Zendesk
        {"id": "4", "department": "Sales", "status": "Active"},  # its agent was deleted in Zendesk
        {"id": "5", "department": "Sales", "status": "Active"},  # never synced
        {"id": "6", "department": "Support", "status": "Deleted"},  # outside by the other term
    ]
    leaving = FilterExit(SUPPORT.filter, {"status": "terminated"})
    ids = [r["id"] for r in records]
    kept, left = leaving.split(records, ids, store, "employee", ("bamboohr", "zendesk"))
    assert (kept, left) == ([0, 1], {"2"})
    assert leaving.leave({"hub_id": "hub-2", "status": "active"}) == {
        "hub_id": "hub-2",
        "status": "terminated",
    }
