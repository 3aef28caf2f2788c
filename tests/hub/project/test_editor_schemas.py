"""The meta-schemas `hub schemas --export` writes for editors, and the `$schema` line every shipped YAML
file carries so that the YAML language server (VS Code and others) checks it while one types."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from hub.project.editor_schemas import MAPPING, REST, SYNC, editor_schemas, export_schemas
from hub.project.loading import Project
from hub.project.transforms import REGISTRY

ROOT = Path(__file__).resolve().parents[3]
MODELINE = "# yaml-language-server: $schema="
SHIPPED_YAML = sorted(
    [*(ROOT / "mappings").glob("*/*.yaml"), *(ROOT / "connectors/rest/examples").glob("*.yaml")]
)
MINIMAL = {"system": "odoo", "object": "res.partner", "entity": "contact", "primary_key": "id"}


def meta_schema_of(path: Path) -> str:
    """Which exported meta-schema a shipped YAML file is written against."""
    if path.parent.name == "examples":
        return REST
    return SYNC if path.parent.name == "syncs" else MAPPING


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.load(ROOT)


@pytest.fixture(scope="module")
def exported(project: Project) -> dict[str, dict[str, Any]]:
    return editor_schemas(project)


def errors(schema: dict[str, Any], data: Any) -> list[str]:
    return [e.message for e in Draft202012Validator(schema).iter_errors(data)]


def mapping(**changes: Any) -> dict[str, Any]:
    return {**MINIMAL, "fields": [{"canonical": "email", "system": "email"}], **changes}


def test_the_exported_schemas_are_valid_json_schemas(exported: dict[str, dict[str, Any]]) -> None:
    assert sorted(exported) == sorted([MAPPING, SYNC, REST])
    for schema in exported.values():
        Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", SHIPPED_YAML, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_yaml_file_is_valid_under_the_exported_schema(
    path: Path, exported: dict[str, dict[str, Any]]
) -> None:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert errors(exported[meta_schema_of(path)], data) == []


@pytest.mark.parametrize("path", SHIPPED_YAML, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_yaml_file_names_its_meta_schema_on_its_first_line(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(MODELINE), f"{path}: the first line must be {MODELINE}<relative path>"
    target = (path.parent / first.removeprefix(MODELINE)).resolve()
    assert target.is_file(), f"{path}: {target} does not exist"
    expected = {MAPPING: "mapping.schema.json", SYNC: "sync.schema.json", REST: "rest-connector.schema.json"}
    assert json.loads(target.read_text(encoding="utf-8"))["$id"].endswith(expected[meta_schema_of(path)])


def test_options_are_chosen_by_the_mappings_system(exported: dict[str, dict[str, Any]]) -> None:
    schema = exported[MAPPING]
    assert errors(schema, mapping(options={"include_archived": True, "batch_size": 50})) == []
    assert errors(schema, mapping(options={"include_archve": True}))  # odoo has no such option
    assert errors(schema, mapping(options={"include_archived": "yes"}))  # a boolean
    assert errors(schema, mapping(system="salesforce", options={"include_archived": True}))  # odoo's, not its
    assert errors(schema, mapping(system="files", options={"format": "csv", "delimiter": ";"})) == []


def test_canonical_fields_are_chosen_by_the_mappings_entity(exported: dict[str, dict[str, Any]]) -> None:
    schema = exported[MAPPING]
    assert errors(schema, mapping(fields=[{"canonical": "emial", "system": "email"}]))
    assert errors(schema, mapping(fields=[{"canonical": "hub_id", "system": "x_hub_id"}]))  # the hub's own
    assert errors(schema, mapping(entity="account", fields=[{"canonical": "name", "system": "name"}])) == []
    assert errors(schema, mapping(fields=[{"canonical": "name", "system": "name"}]))  # a contact has none
    assert errors(schema, mapping(entity="nobody"))


def test_transforms_are_named_with_their_arguments(exported: dict[str, dict[str, Any]]) -> None:
    schema = exported[MAPPING]
    ok = [{"canonical": "email", "system": "email", "transforms": ["trim", "lower", {"truncate": 80}]}]
    assert errors(schema, mapping(fields=ok)) == []
    for wrong in (["trimm"], ["truncate"], [{"trimm": 1}], [{"trim": 1, "lower": None}]):
        assert errors(
            schema, mapping(fields=[{"canonical": "email", "system": "email", "transforms": wrong}])
        )
    item = schema["$defs"]["transforms"]["items"]["anyOf"]
    assert set(item[0]["enum"]) == {t.name for t in REGISTRY.values() if not t.needs_args}
    assert set(item[1]["properties"]) == set(REGISTRY)
    assert all(text for text in item[0]["enumDescriptions"])


def test_a_transforms_declared_arguments_are_what_the_editor_checks(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = {"type": "integer", "minimum": 1, "description": "the most characters kept", "examples": [80]}
    monkeypatch.setitem(
        REGISTRY, "truncate", dataclasses.replace(REGISTRY["truncate"], args=args, gives="string")
    )
    schema = editor_schemas(project)[MAPPING]
    declared = schema["$defs"]["transforms"]["items"]["anyOf"][1]["properties"]["truncate"]
    assert declared["minimum"] == 1 and declared["examples"] == [80]
    assert (
        declared["description"].startswith(REGISTRY["truncate"].summary)
        and "gives: string" in declared["description"]
    )
    field = {"canonical": "email", "system": "email", "transforms": [{"truncate": 0}]}
    assert errors(schema, mapping(fields=[field]))


def test_syncs_name_known_entities_systems_mappings_and_syncs(exported: dict[str, dict[str, Any]]) -> None:
    schema = exported[SYNC]
    good = {
        "entity": "contact",
        "source": {
            "system": "salesforce",
            "connection": "salesforce_default",
            "mapping": "salesforce/contact",
        },
        "target": {"system": "odoo", "connection": "odoo_default", "mapping": "odoo/contact"},
        "references": {"account": "crm_accounts_to_erp"},
        "match": [["email"]],
    }
    assert errors(schema, good) == []
    for change in (
        {"entity": "contakt"},
        {"source": {**good["source"], "mapping": "salesforce/contacts"}},
        {"target": {**good["target"], "system": "odo"}},
        {"references": {"account": "crm_accounts_to_erpp"}},
        {"match": [["emial"]]},
    ):
        assert errors(schema, {**good, **change}), change


def test_building_the_schemas_leaves_the_loaders_own_untouched(project: Project) -> None:
    before = copy.deepcopy(project.meta_schemas)
    editor_schemas(project)
    assert project.meta_schemas == before


def test_export_writes_each_schema_into_the_folder(project: Project, tmp_path: Path) -> None:
    written = export_schemas(project, tmp_path / "editor" / "schemas")
    assert [p.name for p in written] == [MAPPING, SYNC, REST]
    assert all(p.parent == tmp_path / "editor" / "schemas" and p.read_text().endswith("}\n") for p in written)
