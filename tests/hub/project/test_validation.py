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


BASE = "https://omnihub.dev/schemas/"


def flaws(schema: dict[str, Any], elsewhere: dict[str, str] | None = None) -> list[tuple[Any, ...]]:
    from hub.project.validation import schema_flaws

    return [
        (f.where, f.message)
        for f in schema_flaws({"$id": BASE + "x.schema.json", **schema}, PROJECT.registry, elsewhere)
    ]


def test_the_shipped_schemas_have_no_flaw() -> None:
    from hub.project.validation import schema_flaws

    assert all(
        schema_flaws(s, PROJECT.registry) == []
        for s in [*PROJECT.schemas.values(), *PROJECT.meta_schemas.values()]
    )


def test_a_pattern_that_is_not_a_regular_expression_is_a_flaw_where_it_is_written() -> None:
    found = flaws(
        {"properties": {"sku": {"type": "string", "pattern": "[A-Z"}}, "patternProperties": {"(": {}}}
    )
    assert found == [
        (
            ("patternProperties", "("),
            "patternProperties name '(' is not a regular expression: missing ), unterminated subpattern at position 0",
        ),
        (
            ("properties", "sku", "pattern"),
            "pattern '[A-Z' is not a regular expression: unterminated character set at position 0",
        ),
    ]


def test_a_ref_to_nothing_says_what_is_missing() -> None:
    found = flaws(
        {
            "properties": {
                "a": {"$ref": "common.schema.json#/$defs/adress"},
                "b": {"$ref": "comon.schema.json#/$defs/uuid"},
                "c": {"$ref": "#/$defs/nothing"},
                "d": {"$ref": "https://example.com/remote.json"},  # never fetched
                "e": {"$ref": "gone.schema.json"},
            }
        },
        {BASE + "gone.schema.json": "schemas/gone.schema.json"},
    )
    assert [message for _, message in found] == [
        "$ref 'common.schema.json#/$defs/adress' points to nothing: no '/$defs/adress' in common.schema.json (did you mean '/$defs/address'?)",
        "$ref 'comon.schema.json#/$defs/uuid' points to nothing: no schema has the $id 'https://omnihub.dev/schemas/comon.schema.json' (did you mean 'common.schema.json'?)",
        "$ref '#/$defs/nothing' points to nothing: no '/$defs/nothing' in this schema",
        "$ref 'https://example.com/remote.json' points to nothing: no schema has the $id 'https://example.com/remote.json'",
        "$ref 'gone.schema.json' points into schemas/gone.schema.json, which has problems of its own",
    ]
    assert found[0][0] == ("properties", "a", "$ref")


def test_a_ref_circle_is_one_flaw_but_a_recursive_structure_is_none() -> None:
    assert flaws({"$ref": "#"}) == [
        (("$ref",), "$ref '#' comes back here ('#') without going into a property or item")
    ]
    circle = {"$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]}, "b": {"not": {"$ref": "#/$defs/a"}}}}
    assert [where for where, _ in flaws(circle)] == [("$defs", "a", "allOf", 0, "$ref")]
    tree = {
        "type": "object",
        "properties": {"parent": {"$ref": "#"}, "children": {"type": "array", "items": {"$ref": "#"}}},
    }
    assert flaws(tree) == []


def test_canonical_paths_walk_recursive_and_broken_schemas_once() -> None:
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    wide = {"$id": BASE + "t.schema.json", "properties": {c: {"$ref": "#"} for c in "abcdefghijkl"}}
    registry = Registry().with_resource(wide["$id"], DRAFT202012.create_resource(wide))
    assert sorted(canonical_paths(wide, registry)) == list("abcdefghijkl")  # 12**9 paths before
    loop = {
        "$id": BASE + "l.schema.json",
        "$ref": "#/$defs/a",
        "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
    }
    registry = Registry().with_resource(loop["$id"], DRAFT202012.create_resource(loop))
    assert canonical_paths(loop, registry) == {}  # it never answered
    missing = {"$id": BASE + "m.schema.json", "properties": {"a": {"$ref": "#/$defs/none"}}}
    assert canonical_paths(missing, Registry()) == {"a": {}}


def test_a_schema_refused_takes_the_schemas_that_refer_to_it_along(tmp_path: Path) -> None:
    import shutil

    for folder in ("schemas", "mappings"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    common = tmp_path / "schemas" / "common.schema.json"
    common.write_text(common.read_text().replace('"type": "object"', '"type": "object", "pattern": "(("', 1))
    project = Project.load(tmp_path)  # before: a traceback naming no file, from every DAG
    assert "common" not in project.schemas and "contact" not in project.schemas
    shown = [str(p) for p in project.problems if p.path.startswith("schemas/")]
    assert shown[0].startswith("schemas/common.schema.json:") and "is not a regular expression" in shown[0]
    assert any(
        line.startswith("schemas/contact.schema.json:")
        and "points into schemas/common.schema.json, which has problems of its own" in line
        for line in shown
    )
    assert project.problems_for_sync("crm_contacts_to_erp")  # stopped; and checking did not crash


def test_a_meta_schema_with_a_flaw_is_refused_alone(tmp_path: Path) -> None:
    import json
    import shutil

    for folder in ("schemas", "mappings"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    path = tmp_path / "schemas" / "sync.schema.json"
    meta = json.loads(path.read_text())
    meta["$defs"]["draft"] = {"$ref": "https://json-schema.org/draft/2020-12/schema"}  # jsonschema knows it
    meta["$defs"]["typo"] = {"$ref": "#/$defs/endpoitn"}
    path.write_text(json.dumps(meta, indent=2))
    project = Project.load(tmp_path)
    assert [p.message for p in project.checked] == [
        "$ref '#/$defs/endpoitn' points to nothing: no '/$defs/endpoitn' in this schema (did you mean '/$defs/endpoint'?)"
    ]
    assert project.syncs == {} and project.problems_for_sync("crm_accounts_to_erp")
