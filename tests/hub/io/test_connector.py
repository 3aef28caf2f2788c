from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hub.errors import UnsupportedOperation
from hub.io.connections import Connection
from hub.io.connector import Connector, ObjectSpec, filter_terms, passes_filter
from hub.io.records import Page, Record, WriteOp, WriteResult

ROOT = Path(__file__).resolve().parents[3]


class Minimal(Connector):
    system = display_name = conn_type = "minimal"
    default_conn_id = "minimal_default"
    max_batch = 100
    max_page = 500

    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        yield Page([], None)

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        return []

    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        return []

    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        return []


def test_batch_size_follows_the_sync_but_never_passes_the_api_ceiling() -> None:
    connector = Minimal(Connection("minimal_default"))
    assert connector.batch_size(ObjectSpec("o", (), "id")) == 100
    assert connector.batch_size(ObjectSpec("o", (), "id", options={"batch_size": 20})) == 20
    assert connector.batch_size(ObjectSpec("o", (), "id", options={"batch_size": 5000})) == 100


def test_retry_settings_come_from_the_connection_and_construction_is_offline() -> None:
    connection = Connection(
        "minimal_default",
        extra={"retry_attempts": "3", "retry_base_delay": 0.2, "ca_bundle": "/nonexistent/ca.pem"},
    )
    connector = Minimal(connection)
    assert "session" not in connector.__dict__  # nothing built before first use
    assert (connector.session.policy.max_attempts, connector.session.policy.base_delay) == (3, 0.2)
    assert connector.session.custom_verify == "/nonexistent/ca.pem"


def test_optional_capabilities_say_what_the_system_cannot_do() -> None:
    connector = Minimal(Connection("minimal_default"))
    with pytest.raises(UnsupportedOperation, match="minimal cannot report deleted records"):
        connector.read_deletes(ObjectSpec("o", (), "id"), None)


def test_a_record_passes_a_filter_when_it_meets_every_term() -> None:
    spec = ObjectSpec(
        "o", (), "id", filter={"kind": "lead", "status": {"not": "closed"}, "tier": {"not_in": ["x", "y"]}}
    )
    terms = filter_terms(spec)
    assert passes_filter(terms, {"kind": "lead", "status": "open", "tier": "a"})
    assert passes_filter(terms, {"kind": "lead"})  # absent fields read None
    assert not passes_filter(terms, {"kind": "deal", "status": "open", "tier": "a"})
    assert not passes_filter(terms, {"kind": "lead", "status": "closed", "tier": "a"})
    assert not passes_filter(terms, {"kind": "lead", "status": "open", "tier": "y"})
    assert passes_filter([], {})


def test_a_filter_reads_fields_the_way_it_is_told() -> None:
    terms = filter_terms(ObjectSpec("o", (), "id", filter={"kind": "lead"}))
    inside = {"fields": {"kind": "lead"}}
    assert not passes_filter(terms, inside)
    assert passes_filter(terms, inside, lambda record, name: record["fields"].get(name))


def test_the_engine_reaches_connectors_only_through_the_registry() -> None:
    for path in sorted((ROOT / "hub").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("connectors"):
                assert node.module == "connectors.registry", f"{path.name} imports {node.module}"
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("connectors") for a in node.names), path.name
