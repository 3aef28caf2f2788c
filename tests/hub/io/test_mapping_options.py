"""The mapping options each connector declares (`Connector.options_schema`) and the table
`hub validate` reads them from without importing connector modules (hub/io/mapping_options.json)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from jsonschema import Draft202012Validator

from connectors.registry import DESCRIBED, connector_class
from connectors.rest import EXAMPLES
from hub.io.connector import Connector, ObjectSpec, batch_size_option
from hub.io.mapping_options import OPTIONS_FILE, declared_options, options_schema, write_table
from hub.io.records import Page, Record, WriteOp, WriteResult

NO_DEFAULT = {
    ("files", "format"),  # by default the connection's, else each file's extension says
    ("sql", "query"),  # by default the table itself is read
}
"""Options without a fixed default: what stands in for one depends on the file or the mapping."""


def test_the_table_is_what_the_connectors_declare() -> None:
    table = json.loads(OPTIONS_FILE.read_text(encoding="utf-8"))
    assert table == declared_options(), "stale: run `.venv/bin/python -m hub.io.mapping_options`"


def test_writing_the_table_writes_every_shipped_connector(tmp_path: Path) -> None:
    written = write_table(tmp_path / "options.json")
    table = json.loads(written.read_text(encoding="utf-8"))
    assert table == declared_options()
    assert list(table["odoo"]["properties"]) == ["follow", "include_archived", "lines", "batch_size"]


@pytest.mark.parametrize("system", sorted(declared_options()))
def test_each_option_is_json_schema_with_description_default_and_examples(system: str) -> None:
    schema = declared_options()[system]
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert schema["additionalProperties"] is False and schema["description"]
    for name, option in schema["properties"].items():
        assert option["description"] and option["examples"], (system, name)
        assert ("default" in option) != ((system, name) in NO_DEFAULT), (system, name)
        for value in [*option["examples"], *([option["default"]] if "default" in option else [])]:
            assert validator.is_valid({name: value}), (system, name, value)
    assert not validator.is_valid({"no_such_option": 1})


def test_batch_size_defaults_to_each_connectors_own_ceiling() -> None:
    for system, schema in declared_options().items():
        assert schema["properties"]["batch_size"]["default"] == connector_class(system).max_batch
    assert "default" not in Connector.options_schema["properties"]["batch_size"]


class Tiny(Connector):
    """A connector that reads one option of its own and has its own batch ceiling."""

    system = display_name = conn_type = "tiny"
    default_conn_id = "tiny_default"
    max_batch = 7
    max_page = 10
    options_schema: ClassVar[dict[str, Any]] = Connector.extended_options(
        {
            "colour": {
                "enum": ["red", "blue"],
                "description": "Its colour.",
                "default": "red",
                "examples": ["blue"],
            }
        },
        "Tiny's options.",
    )

    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        yield Page([], None)

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        return []

    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        return []

    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        return []


class TinyOwnBatch(Tiny):
    """A subclass declaring a batch_size of its own, which is kept as it is."""

    max_batch = 3
    options_schema: ClassVar[dict[str, Any]] = Tiny.extended_options(
        {"batch_size": {**batch_size_option(), "maximum": 3}}, "Tiny's, strictly."
    )


def test_extended_options_lists_the_connectors_own_first_and_keeps_the_base() -> None:
    properties = Tiny.options_schema["properties"]
    assert list(properties) == ["colour", "batch_size"]
    assert properties["batch_size"]["default"] == 7 and "at most 7" in properties["batch_size"]["description"]
    own = TinyOwnBatch.options_schema["properties"]
    assert list(own) == ["batch_size", "colour"] and own["batch_size"]["maximum"] == 3
    assert "default" not in own["batch_size"]


def test_a_described_system_has_the_options_of_its_description() -> None:
    saved = dict(DESCRIBED)
    try:
        DESCRIBED.clear()
        assert options_schema("freshdesk_rest") is None and options_schema("nobody") is None
        DESCRIBED["freshdesk_rest"] = EXAMPLES / "freshdesk.yaml"
        schema = options_schema("freshdesk_rest")
    finally:
        DESCRIBED.clear()
        DESCRIBED.update(saved)
    assert schema is not None and list(schema["properties"]) == ["batch_size"]
    batch = schema["properties"]["batch_size"]
    assert batch["default"] == 100 and "contacts 100" in batch["description"]
