"""The compiled validator gives jsonschema's verdict on every record of a large mixed corpus."""

from __future__ import annotations

import copy
import random
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hub.project.loading import Project
from hub.project.schemapaths import canonical_paths
from hub.project.validation import CanonicalValidator, compile_validator

ROOT = Path(__file__).resolve().parents[3]
PROJECT = Project.load(ROOT)

POOL: list[Any] = [
    None,
    "",
    "x",
    "a" * 81,
    "a" * 129,
    "a" * 256,
    "ada@example.com",
    "ada@",
    "no-at.example.com",
    "+14155550132",
    "555-1234",
    "+0123",
    "2024-01-15T14:22:10Z",
    "2024-01-15T14:22:10+02:00",
    "2024-13-01T00:00:00Z",
    "2024-02-29",
    "2023-02-29",
    "DE",
    "XX",
    "de",
    "EUR",
    "EURO",
    "https://x.org",
    "x y",
    str(uuid.UUID(int=7)),
    "not-a-uuid",
    "12.50",
    "12,5",
    "-0.001",
    "customer",
    "closed_won",
    "subscribed",
    "active",
    "urgent",
    0,
    -1,
    1,
    1.0,
    1.5,
    10**9,
    True,
    False,
    [],
    {},
    ["a", "a"],
    ["a", "b"],
    {"city": "Paris"},
    {"city": 1},
    {"unknown": 1},
    Decimal("1.5"),
]


def set_path(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = record
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[leaf] = value


def drop_path(record: dict[str, Any], path: str) -> None:
    *parents, leaf = path.split(".")
    node: Any = record
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(leaf, None)


def corpus(entity: str, size: int, rng: random.Random) -> list[dict[str, Any]]:
    schema = PROJECT.schemas[entity]
    base = schema["examples"][0]
    paths = sorted(canonical_paths(schema, PROJECT.registry))
    records = [copy.deepcopy(base)]
    for _ in range(size):
        record = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(paths)
            roll = rng.random()
            if roll < 0.15:
                drop_path(record, path)
            elif roll < 0.2:
                set_path(record, f"extra_{rng.randint(0, 9)}", "surprise")
            else:
                set_path(record, path, copy.deepcopy(rng.choice(POOL)))
        records.append(record)
    return records


@pytest.mark.parametrize("entity", PROJECT.entities())
def test_compiled_and_reference_verdicts_are_identical(entity: str) -> None:
    validator = CanonicalValidator(PROJECT.schemas[entity], PROJECT.registry)
    assert validator.fast is not None, "every canonical schema must compile"
    records = corpus(entity, 300, random.Random(entity))
    verdicts = [validator.reference.is_valid(r) for r in records]
    assert [validator.fast(r) for r in records] == verdicts
    assert 20 <= sum(verdicts) <= len(records) - 20, "the corpus must mix valid and invalid records"


def test_the_corpus_is_large_and_mixed() -> None:
    total = valid = 0
    for entity in PROJECT.entities():
        validator = CanonicalValidator(PROJECT.schemas[entity], PROJECT.registry)
        records = corpus(entity, 300, random.Random(entity))
        total += len(records)
        valid += sum(validator.reference.is_valid(r) for r in records)
    assert total >= 3000
    assert valid >= 500 and total - valid >= 1000


def test_reasons_come_from_the_reference() -> None:
    validator = PROJECT.validator("contact")
    record = {**PROJECT.schemas["contact"]["examples"][0], "email": "ada@", "phone": "555-1234"}
    record.pop("last_name")
    errors = {e.field: e for e in validator.check(record)}
    assert set(errors) == {"email", "phone", "last_name"}
    assert errors["email"].message == "'ada@' is not a valid email"
    assert errors["last_name"].rule == "required"
    assert validator.check(PROJECT.schemas["contact"]["examples"][0]) == []


def test_schemas_outside_the_subset_fall_back_to_the_reference() -> None:
    schema = {"$id": "urn:t", "anyOf": [{"type": "string"}, {"type": "integer"}]}
    from referencing import Registry

    validator = CanonicalValidator(schema, Registry())
    assert validator.fast is None
    assert validator.is_valid("a") and validator.is_valid(3) and not validator.is_valid(1.5)
    with pytest.raises(Exception, match="anyOf"):
        compile_validator(schema, Registry())


SYNTHETIC = [
    {"type": ["number", "boolean"], "minimum": 1},
    {"type": ["integer", "string", "null"], "minimum": 0, "maxLength": 3, "pattern": "^a"},
    {"type": "integer", "exclusiveMaximum": 10},
    {"minLength": 2, "maximum": 5},
    {"enum": ["a", 1, None, True]},
    {"enum": ["a", "b"]},
    {"type": ["string", "null"], "enum": ["a", None]},
    {"const": 1},
    {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
    {"type": "object", "required": ["city"], "additionalProperties": {"type": "integer"}},
    {"format": "email"},
    {
        "$ref": "#/$defs/node",
        "$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}},
    },
]


@pytest.mark.parametrize("index", range(len(SYNTHETIC)))
def test_guards_and_references_match_the_reference(index: int) -> None:
    from referencing import Registry

    schema = {"$id": f"urn:synthetic:{index}", **SYNTHETIC[index]}
    validator = CanonicalValidator(schema, Registry())
    assert validator.fast is not None
    values = [*POOL, {"next": {"next": {}}}, {"next": {"next": 1}}, {"city": 1, "x": 2}, {"city": "1"}]
    assert [validator.fast(v) for v in values] == [validator.reference.is_valid(v) for v in values]
