"""The canonical models in schemas/: well-formed, within the keyword subset, and saying what they mean.

Every file in schemas/ except the meta-schemas of our own YAML files (mapping, sync) is checked against
the JSON Schema 2020-12 metaschema and the project's conventions; each entity's `examples` must
validate, and a corpus of broken records must not. The compiled hot-path validator must agree.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from hub.project.formats import format_checker as hub_format_checker
from hub.project.validation import compile_validator

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
BASE = "https://omnihub.dev/schemas/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
META_SCHEMAS = {"mapping.schema.json", "sync.schema.json", "recon_report.schema.json"}
ENTITIES = (
    "account",
    "contact",
    "lead",
    "deal",
    "ticket",
    "marketing_member",
    "product",
    "sales_order",
    "invoice",
    "employee",
    "payment",
)
ALLOWED = frozenset(
    {
        "$schema",
        "$id",
        "$ref",
        "$defs",
        "title",
        "description",
        "type",
        "properties",
        "required",
        "additionalProperties",
        "enum",
        "const",
        "format",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "default",
        "examples",
        "readOnly",
        "deprecated",
        "version",
        "x-match",
        "x-changes",
        "x-identity",
    }
)
ROOT_ONLY = frozenset({"$schema", "$id", "version", "x-match", "x-changes", "x-identity"})


def test_the_house_keywords_are_all_ones_the_compiled_validator_implements() -> None:
    from hub.project.validation import SUPPORTED

    assert ALLOWED - {"x-match", "x-changes", "x-identity"} <= SUPPORTED


JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
REF = re.compile(r"^(common\.schema\.json)?#/\$defs/[a-z_][a-z0-9_]*$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

FILES = sorted(p for p in SCHEMAS.glob("*.json") if p.name not in META_SCHEMAS)
DATA: dict[str, dict[str, Any]] = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in FILES}
REGISTRY: Registry[Any] = Registry().with_resources(
    (s["$id"], DRAFT202012.create_resource(s)) for s in DATA.values() if isinstance(s.get("$id"), str)
)
ENTITY_FILES = [name for name in DATA if name != "common.schema.json"]


def schema_of(entity: str) -> dict[str, Any]:
    return DATA[f"{entity}.schema.json"]


def example_of(entity: str) -> dict[str, Any]:
    return copy.deepcopy(schema_of(entity)["examples"][0])


def reference_validator(entity: str, checker: FormatChecker | None = None) -> Draft202012Validator:
    return Draft202012Validator(
        schema_of(entity), registry=REGISTRY, format_checker=checker or FormatChecker()
    )


def subschemas(schema: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Every schema position (root, $defs, properties, items, additionalProperties) with its pointer."""
    yield pointer or "/", schema
    if not isinstance(schema, dict):
        return
    for keyword in ("$defs", "properties"):
        for name, sub in schema.get(keyword, {}).items():
            yield from subschemas(sub, f"{pointer}/{keyword}/{name}")
    for keyword in ("items", "additionalProperties"):
        if keyword in schema:
            yield from subschemas(schema[keyword], f"{pointer}/{keyword}")


def resolve(schema: dict[str, Any], resolver: Any) -> tuple[dict[str, Any], Any]:
    """Follow a chain of `$ref`s; sibling keywords of a `$ref` win over the target's."""
    while "$ref" in schema:
        resolved = resolver.lookup(schema["$ref"])
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        schema, resolver = {**resolved.contents, **siblings}, resolved.resolver
    return schema, resolver


def field_paths(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Dotted path of every property, nested objects walked through their `$ref`s → resolved subschema."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: dict[str, Any], resolver: Any, prefix: str) -> None:
        node, resolver = resolve(node, resolver)
        for name, sub in node.get("properties", {}).items():
            resolved, sub_resolver = resolve(sub, resolver)
            found[prefix + name] = resolved
            if "properties" in resolved:
                walk(resolved, sub_resolver, f"{prefix}{name}.")

    walk(schema, REGISTRY.resolver(base_uri=schema["$id"]), "")
    return found


def types_of(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type", [])
    return set(declared if isinstance(declared, list) else [declared])


# Every schema file -----------------------------------------------------------------------------
def test_the_canonical_models_are_all_there() -> None:
    expected = {"common.schema.json", *(f"{e}.schema.json" for e in ENTITIES)}
    assert expected <= set(DATA), f"missing: {sorted(expected - set(DATA))}"


@pytest.mark.parametrize("name", DATA)
def test_is_a_valid_2020_12_schema(name: str) -> None:
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in meta.iter_errors(DATA[name])]
    assert errors == []


@pytest.mark.parametrize("name", DATA)
def test_header(name: str) -> None:
    schema = DATA[name]
    assert schema["$schema"] == DRAFT
    assert schema["$id"] == BASE + name, "$id must name the file"
    assert SEMVER.match(schema.get("version", "")), f"version {schema.get('version')!r} is not semver"
    assert schema.get("title") and schema.get("description")


@pytest.mark.parametrize("name", DATA)
def test_uses_only_the_allowed_keywords(name: str) -> None:
    problems = []
    for pointer, sub in subschemas(DATA[name]):
        if not isinstance(sub, dict):
            if not isinstance(sub, bool) or pointer.rsplit("/", 1)[-1] != "additionalProperties":
                problems.append(f"{pointer}: subschema must be an object")
            continue
        problems += [f"{pointer}: keyword {k!r} is not allowed" for k in sorted(set(sub) - ALLOWED)]
        if pointer != "/":
            problems += [
                f"{pointer}: {k!r} belongs at the top level only" for k in sorted(ROOT_ONLY & set(sub))
            ]
        if "type" in sub:
            declared = sub["type"] if isinstance(sub["type"], list) else [sub["type"]]
            if not declared or not set(declared) <= JSON_TYPES or len(set(declared)) != len(declared):
                problems.append(f"{pointer}: bad type {sub['type']!r}")
        extra = sub.get("additionalProperties")
        if extra is not None and extra is not False and not isinstance(extra, dict):
            problems.append(f"{pointer}: additionalProperties must be false or a schema")
    assert problems == []


@pytest.mark.parametrize("name", DATA)
def test_every_ref_is_to_common_or_local_defs_and_resolves(name: str) -> None:
    resolver = REGISTRY.resolver(base_uri=DATA[name]["$id"])
    refs = [(p, s["$ref"]) for p, s in subschemas(DATA[name]) if isinstance(s, dict) and "$ref" in s]
    for pointer, ref in refs:
        assert REF.match(ref), f"{pointer}: $ref {ref!r} must point into common.schema.json or local $defs"
        assert isinstance(resolver.lookup(ref).contents, dict), f"{pointer}: {ref!r} does not resolve"


@pytest.mark.parametrize("name", DATA)
def test_every_property_and_definition_is_described(name: str) -> None:
    undescribed = [
        pointer
        for pointer, sub in subschemas(DATA[name])
        if re.search(r"/(properties|\$defs)/[^/]+$", pointer)
        and not (isinstance(sub, dict) and sub.get("description"))
    ]
    assert undescribed == []


@pytest.mark.parametrize("name", DATA)
def test_property_names_are_snake_case(name: str) -> None:
    bad = [
        p
        for p, _ in subschemas(DATA[name])
        if "/properties/" in p and not FIELD_NAME.match(p.rsplit("/", 1)[-1])
    ]
    assert bad == []


# Entity conventions --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ENTITY_FILES)
def test_entity_shape(name: str) -> None:
    schema = DATA[name]
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert {"hub_id", "updated_at"} <= set(schema["required"])
    assert set(schema["required"]) <= set(schema["properties"])
    props = schema["properties"]
    assert props["hub_id"]["$ref"] == "common.schema.json#/$defs/uuid"
    assert props["updated_at"]["$ref"] == "common.schema.json#/$defs/date_time"
    assert types_of(props["custom"]) == {"object"} and "properties" not in props["custom"]


@pytest.mark.parametrize("name", ENTITY_FILES)
def test_optional_fields_are_nullable(name: str) -> None:
    schema = DATA[name]
    paths = field_paths(schema)
    required = set(schema["required"])
    not_nullable = [
        field
        for field in schema["properties"]
        if field not in required and field != "custom" and "null" not in types_of(paths[field])
    ]
    assert not_nullable == []
    nested = [
        path
        for path, sub in paths.items()
        if "." in path
        and "null" not in types_of(sub)
        and path.split(".", 1)[1] not in sub.get("required", [])
    ]
    assert nested == []


@pytest.mark.parametrize("name", ENTITY_FILES)
def test_x_match_names_existing_fields(name: str) -> None:
    rules = DATA[name]["x-match"]
    paths = field_paths(DATA[name])
    assert isinstance(rules, list) and rules, "x-match must be a non-empty list of rules"
    for rule in rules:
        assert isinstance(rule, list) and rule and len(set(rule)) == len(rule), f"bad rule {rule!r}"
        for path in rule:
            assert path in paths, f"x-match path {path!r} is not a field of {name}"
            assert not types_of(paths[path]) & {"object", "array"}, f"x-match path {path!r} is not a scalar"


def test_the_match_rules_other_engineers_rely_on() -> None:
    assert schema_of("account")["x-match"] == [["tax_id"], ["name", "billing_address.country"]]
    assert schema_of("contact")["x-match"] == [["email"], ["first_name", "last_name", "account"]]
    assert schema_of("marketing_member")["x-match"] == [["list_id", "email"]]
    assert schema_of("product")["x-match"] == [["sku"]]
    assert schema_of("sales_order")["x-match"] == [["number"]]
    assert schema_of("invoice")["x-match"] == [["number"]]
    assert schema_of("employee")["x-match"] == [["employee_number"], ["work_email"]]
    assert schema_of("payment")["x-match"] == [["reference"]]
    assert schema_of("payment")["x-changes"] == [
        "invoice"
    ]  # a sync writing payments runs before invoice readers
    assert all(set(DATA[n].get("x-changes", [])) <= set(ENTITIES) for n in ENTITY_FILES)


def test_account_and_contact_fields_are_exactly_the_agreed_ones() -> None:
    assert list(schema_of("account")["properties"]) == [
        "hub_id", "updated_at", "name", "account_number", "type", "industry", "website", "phone", "email",
        "tax_id", "employees", "annual_revenue", "currency", "billing_address", "shipping_address",
        "description", "parent", "status", "custom",
    ]  # fmt: skip
    assert list(schema_of("contact")["properties"]) == [
        "hub_id", "updated_at", "first_name", "last_name", "email", "phone", "mobile", "title", "department",
        "account", "mailing_address", "birthdate", "email_opt_out", "notes", "status", "custom",
    ]  # fmt: skip


def test_common_code_lists() -> None:
    defs = DATA["common.schema.json"]["$defs"]
    countries, currencies = defs["country"]["enum"], defs["currency"]["enum"]
    assert len(countries) >= 249 and len(set(countries)) == len(countries)
    assert all(re.fullmatch(r"[A-Z]{2}", c) for c in countries)
    assert {"US", "DE", "GB", "FR", "JP", "BR", "AQ", "AX", "SS", "CW", "BQ"} <= set(countries)
    assert {"XX", "UK", "EU"}.isdisjoint(countries)
    assert len(currencies) >= 170 and len(set(currencies)) == len(currencies)
    assert all(re.fullmatch(r"[A-Z]{3}", c) for c in currencies)
    assert {"USD", "EUR", "GBP", "JPY", "CHF", "CNY", "INR", "BRL", "ZAR", "VES", "SLE"} <= set(currencies)
    assert {"DEM", "FRF", "ITL", "EURO"}.isdisjoint(currencies)
    for name in ("country", "currency"):
        assert defs[f"{name}_or_null"]["enum"] == [*defs[name]["enum"], None]


# Examples and broken records -------------------------------------------------------------------
@pytest.mark.parametrize("name", ENTITY_FILES)
def test_examples_validate(name: str) -> None:
    schema = DATA[name]
    assert schema.get("examples"), "each entity has at least one example"
    for checker in (FormatChecker(), hub_format_checker()):
        validator = Draft202012Validator(schema, registry=REGISTRY, format_checker=checker)
        for example in schema["examples"]:
            assert [e.message for e in validator.iter_errors(example)] == []


def _set(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = record
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value


def _drop(record: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    node: Any = record
    for part in parents:
        node = node[part]
    del node[last]


DROP = object()
BROKEN = [
    # entity, field path, bad value (DROP removes the field), the keyword that must reject it
    ("account", "billing_address.country", "XX", "enum"),
    ("account", "billing_address.country", "de", "enum"),
    ("contact", "mailing_address.country", "XX", "enum"),
    ("contact", "phone", "555-1234", "pattern"),
    ("contact", "mobile", "+49 170 1234567", "pattern"),
    ("employee", "work_phone", "555-1234", "pattern"),
    ("sales_order", "amount_total", 12.5, "type"),
    ("sales_order", "lines.0.unit_price", 1290.0, "type"),
    ("sales_order", "lines.0.quantity", 10, "type"),
    ("invoice", "amount_due", 12.5, "type"),
    ("account", "annual_revenue", "1,000.00", "pattern"),
    ("deal", "amount", 12.5, "type"),
    ("contact", "last_name", DROP, "required"),
    ("contact", "last_name", "", "minLength"),
    ("employee", "last_name", DROP, "required"),
    ("account", "name", DROP, "required"),
    ("account", "hub_id", DROP, "required"),
    ("ticket", "updated_at", DROP, "required"),
    ("account", "nickname", "Acme", "additionalProperties"),
    ("contact", "mailing_address.floor", "3", "additionalProperties"),
    ("sales_order", "lines.0.colour", "red", "additionalProperties"),
    ("account", "updated_at", "2024-05-02T14:03:11+02:00", "pattern"),
    ("account", "updated_at", "2024-05-02 14:03:11", "pattern"),
    ("account", "hub_id", "acme-1", "format"),
    ("contact", "email", "jane.doe.example.com", "format"),
    ("contact", "birthdate", "1984-13-01", "format"),
    ("invoice", "currency", "EURO", "enum"),
    ("product", "currency", "DEM", "enum"),
    ("ticket", "status", "resolved", "enum"),
    ("ticket", "tags", ["vip", "vip"], "uniqueItems"),
    ("deal", "probability", 120, "maximum"),
    ("account", "employees", -1, "minimum"),
    ("marketing_member", "email", DROP, "required"),
    ("marketing_member", "status", "archived-ish", "enum"),
    ("sales_order", "lines.0.discount_percent", "120", "pattern"),
    ("employee", "status", None, "type"),
    ("account", "custom", "not an object", "type"),
]


def _broken(entity: str, path: str, value: Any) -> dict[str, Any]:
    record = example_of(entity)
    if value is DROP:
        _drop(record, path)
    else:
        _set(record, path, value)
    return record


@pytest.mark.parametrize(("entity", "path", "value", "keyword"), BROKEN)
def test_broken_records_fail(entity: str, path: str, value: Any, keyword: str) -> None:
    record = _broken(entity, path, value)
    for checker in (FormatChecker(), hub_format_checker()):
        errors = list(reference_validator(entity, checker).iter_errors(record))
        assert errors, f"{entity}.{path} = {value!r} was accepted"
        assert keyword in {e.validator for e in errors}, [e.message for e in errors]


@pytest.mark.parametrize("entity", ENTITIES)
def test_the_compiled_validator_agrees(entity: str) -> None:
    check = compile_validator(schema_of(entity), REGISTRY)
    reference = reference_validator(entity, hub_format_checker())
    records = [example_of(entity)] + [_broken(e, p, v) for e, p, v, _ in BROKEN if e == entity]
    for record in records:
        assert check(record) == reference.is_valid(record), record
