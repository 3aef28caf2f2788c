from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.project.loading import Project
from hub.project.mapping import CompiledMapping, MappingCompileError, MappingFailure, make_digest

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://omnihub.dev/schemas/person.schema.json",
    "version": "1.0.0",
    "type": "object",
    "additionalProperties": False,
    "required": ["hub_id", "updated_at", "last_name"],
    "x-match": [["email"]],
    "properties": {
        "hub_id": {"type": "string"},
        "updated_at": {"type": "string", "format": "date-time"},
        "first_name": {"type": ["string", "null"]},
        "last_name": {"type": "string"},
        "email": {"type": ["string", "null"], "format": "email"},
        "phone": {"type": ["string", "null"]},
        "employer": {"type": ["string", "null"]},
        "home": {
            "type": "object",
            "properties": {"city": {"type": ["string", "null"]}, "country": {"type": ["string", "null"]}},
        },
        "tags": {"type": ["array", "null"], "items": {"type": "string"}},
    },
}

CRM = """
system: salesforce
object: Contact
entity: person
primary_key: Id
cursor_field: SystemModstamp
external_id_field: Hub_Id__c
filter: {IsPerson: true}
fields:
  - {canonical: first_name, system: FirstName, transforms: [trim]}
  - {canonical: last_name, system: LastName, transforms: [trim]}
  - {canonical: email, system: Email, inbound: [trim, lower]}
  - canonical: phone
    system: Phone
    inbound: [{e164: {region_field: Address.Country, default_region: US}}]
  - {canonical: employer, system: AccountId, ref: company}
  - {canonical: home.city, system: Address.City}
  - {canonical: home.country, system: Address.Country, inbound: [upper]}
  - {canonical: updated_at, system: SystemModstamp, direction: inbound, inbound: [datetime]}
  - {system: Full_Name__c, direction: outbound, outbound: [{template: "{first_name} {last_name}"}]}
  - {system: Source__c, direction: outbound, value: omnihub}
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = Path(__file__).resolve().parents[3]
    (tmp_path / "schemas").mkdir()
    for meta in ("mapping.schema.json", "sync.schema.json"):
        shutil.copy(root / "schemas" / meta, tmp_path / "schemas" / meta)
    (tmp_path / "schemas" / "person.schema.json").write_text(json.dumps(SCHEMA))
    company = {**SCHEMA, "$id": "https://omnihub.dev/schemas/company.schema.json"}
    (tmp_path / "schemas" / "company.schema.json").write_text(json.dumps(company))
    (tmp_path / "mappings" / "salesforce").mkdir(parents=True)
    (tmp_path / "mappings" / "salesforce" / "person.yaml").write_text(CRM)
    loaded = Project.load(tmp_path)
    assert loaded.problems == []
    return loaded


def compiled(project: Project) -> CompiledMapping:
    return CompiledMapping(project.mappings["salesforce/person"], project)


RAW = {
    "Id": "003A",
    "FirstName": " Ada ",
    "LastName": "Lovelace",
    "Email": " ADA@Example.com ",
    "Phone": "020 7946 0958",
    "AccountId": "001X",
    "Address": {"City": "London", "Country": "gb"},
    "SystemModstamp": "2024-01-15T14:22:10.456+0000",
}


def test_inbound_builds_nested_canonical_records(project: Project) -> None:
    mapping = compiled(project)
    canonical = mapping.to_canonical(RAW, {"company": {"001X": "hub-company"}})
    assert canonical == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "+442079460958",
        "employer": "hub-company",
        "home": {"city": "London", "country": "GB"},
        "updated_at": "2024-01-15T14:22:10.456Z",
    }


def test_outbound_resolves_references_templates_constants_and_filters(project: Project) -> None:
    mapping = compiled(project)
    canonical = mapping.to_canonical(RAW, {"company": {"001X": "hub-company"}})
    values = mapping.to_system(canonical, {"company": {"hub-company": "001X"}})
    assert values == {
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Email": "ada@example.com",
        "Phone": "+442079460958",
        "AccountId": "001X",
        "Address.City": "London",
        "Address.Country": "GB",
        "Full_Name__c": "Ada Lovelace",
        "Source__c": "omnihub",
        "IsPerson": True,
    }


def test_failures_name_every_bad_field(project: Project) -> None:
    mapping = compiled(project)
    bad = {**RAW, "Phone": "n/a", "AccountId": "001MISSING"}
    with pytest.raises(MappingFailure) as caught:
        mapping.to_canonical(bad, {"company": {}})
    problems = {p.field: p for p in caught.value.problems}
    assert set(problems) == {"phone", "employer"}
    assert "not a phone number" in problems["phone"].message
    assert problems["employer"].code == "unresolved_reference"
    assert problems["employer"].as_dict()["value"] == "001MISSING"
    assert len(caught.value.unresolved) == 1


def test_given_values_stand_in_for_their_fields_even_where_mapping_them_fails(project: Project) -> None:
    mapping = compiled(project)
    refs = {"company": {RAW["AccountId"]: "h-company"}}
    bad = {**RAW, "Phone": "n/a"}
    fixed = mapping.to_canonical_given(bad, refs, {"phone": "+442079460999"})  # ops' override
    assert fixed == {**mapping.to_canonical(RAW, refs), "phone": "+442079460999"}
    with pytest.raises(MappingFailure) as caught:  # a field not given still fails the record
        mapping.to_canonical_given({**bad, "AccountId": "001MISSING"}, refs, {"phone": None})
    assert [p.field for p in caught.value.problems] == ["employer"]
    assert mapping.inputs_of("phone") == ["Phone"]


def test_read_fields_cover_keys_cursor_and_paths(project: Project) -> None:
    fields = compiled(project).read_fields
    assert fields[:4] == ["Id", "SystemModstamp", "Hub_Id__c", "IsPerson"]
    assert {"Address.City", "Address.Country", "AccountId", "Email"} <= set(fields)
    assert "Full_Name__c" not in fields


def test_digest_covers_written_fields_only(project: Project) -> None:
    mapping = compiled(project)
    canonical = mapping.to_canonical(RAW, {"company": {"001X": "h"}})
    assert mapping.written_paths == [
        "email",
        "employer",
        "first_name",
        "home.city",
        "home.country",
        "last_name",
        "phone",
    ]
    later = {**canonical, "updated_at": "2030-01-01T00:00:00Z"}
    assert mapping.digest(later) == mapping.digest(canonical)
    assert mapping.digest({**canonical, "email": "other@example.com"}) != mapping.digest(canonical)


def test_digest_of_containers_ignores_key_order() -> None:
    digest, _ = make_digest(["tags", "x"], frozenset({"tags"}))
    assert digest({"tags": {"a": 1, "b": 2}, "x": 1}) == digest({"tags": {"b": 2, "a": 1}, "x": 1})


def test_owned_fields_restrict_what_is_written(project: Project) -> None:
    mapping = CompiledMapping(project.mappings["salesforce/person"], project, frozenset({"phone"}))
    values = mapping.to_system({"phone": "+1", "email": "x@y.z", "last_name": "L"}, {})
    assert values == {"Phone": "+1", "Full_Name__c": "L", "Source__c": "omnihub", "IsPerson": True}
    assert mapping.written_paths == ["first_name", "last_name", "phone"]


def test_compile_errors_are_located(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "mappings" / "salesforce" / "person.yaml"
    path.write_text(CRM.replace("inbound: [trim, lower]", "inbound: [trim, lowr, {truncate: 0}]"))
    spec = Project.load(tmp_path).mappings["salesforce/person"]
    with pytest.raises(MappingCompileError) as caught:
        CompiledMapping(spec, project)
    messages = [str(p) for p in caught.value.problems]
    assert messages[0].startswith("mappings/salesforce/person.yaml:12:55: ")
    assert "unknown transform 'lowr' (did you mean 'lower'?)" in messages[0]
    assert (
        messages[1]
        == "mappings/salesforce/person.yaml:12:72: truncate needs a whole number of 1 or more, got 0"
    )


def test_unknown_sync_is_a_config_error(project: Project) -> None:
    with pytest.raises(ConfigError, match="no sync named 'nope'"):
        project.sync("nope")


def test_a_field_built_from_several_is_hashed_as_written() -> None:
    """Odoo keeps one name: "Ruben" + "van Leeuwen" and "Ruben van" + "Leeuwen" write the same, so the echo
    check of a bidirectional pair must not see a change between them."""
    shipped = Project.load(Path(__file__).resolve().parents[3])
    mapping = CompiledMapping(shipped.mappings["odoo/contact"], shipped)
    base = {"email": "ruben@example.nl", "account": None}
    one = mapping.digest({**base, "first_name": "Ruben", "last_name": "van Leeuwen"})
    other = mapping.digest({**base, "first_name": "Ruben van", "last_name": "Leeuwen"})
    assert one == other
    assert one != mapping.digest({**base, "first_name": "Ruben", "last_name": "van Dijk"})
