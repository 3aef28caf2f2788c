"""hub.engine.filters: which records a sync with `filter_exit` goes on with, and how they are read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.engine.filters import FilterExit, filter_exit, reading_spec
from hub.io.connector import ObjectSpec, filter_terms
from hub.project.loading import Project
from hub.state import PageCommit, StateStore, XrefRow

ROOT = Path(__file__).resolve().parents[3]

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
    syncs = Project.load(ROOT).syncs
    assert filter_exit(syncs["hr_employees_to_erp"], SUPPORT) is None  # no filter_exit: the connector filters
    agents = syncs["hr_agents_to_helpdesk"]
    assert filter_exit(agents, ObjectSpec("employees", (), "id")) is None  # no filter to leave
    assert filter_exit(agents, SUPPORT) == FilterExit(
        [("department", "=", "Support"), ("status", "!=", "Deleted")],
        {"status": "terminated"},
        "employee",
        ("bamboohr", "zendesk"),
    )


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
    leaving = FilterExit(filter_terms(SUPPORT), {"status": "terminated"}, "employee", ("bamboohr", "zendesk"))
    kept, left = leaving.split(records, [r["id"] for r in records], store)
    assert (kept, left) == ([0, 1], {"2"})
    canonical = {"hub_id": "hub-2", "status": "active"}
    leaving.leave(canonical)
    assert canonical == {"hub_id": "hub-2", "status": "terminated"}
