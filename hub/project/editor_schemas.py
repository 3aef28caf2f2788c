"""The meta-schemas of a project's files, enriched from the project for editors (`hub schemas --export`).

schemas/mapping.schema.json and schemas/sync.schema.json say what keys a file has; `hub validate`
checks the rest. An editor running the YAML language server can catch most of that rest while one
types, when its schema knows the project: the transforms and their arguments (the transform
registry), each system's mapping options (`Connector.options_schema`, chosen by the mapping's
`system`), the canonical fields of each entity (chosen by the mapping's or sync's `entity`), the
systems, entities, mappings and syncs there are. This module builds those schemas; the loader keeps
checking files against the shipped ones, which are never rewritten.

    mapping.schema.json          mappings/<system>/<name>.yaml
    sync.schema.json             mappings/syncs/<name>.yaml
    rest-connector.schema.json   systems/<system>.yaml, the declarative REST connector's descriptions
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hub.errors import ConfigError
from hub.io.mapping_options import options_schema
from hub.project.checks.common import MANAGED
from hub.project.loading import Project
from hub.project.schemapaths import canonical_paths
from hub.project.transforms import REGISTRY, Transform

MAPPING = "mapping.schema.json"
SYNC = "sync.schema.json"
REST = "rest-connector.schema.json"


def editor_schemas(project: Project) -> dict[str, dict[str, Any]]:
    """Every exported meta-schema by file name, enriched from `project`."""
    from connectors.rest import meta_schema

    return {MAPPING: mapping_schema(project), SYNC: sync_schema(project), REST: copy.deepcopy(meta_schema())}


def export_schemas(project: Project, folder: Path) -> list[Path]:
    """Write `editor_schemas` into `folder` (made when missing); the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in editor_schemas(project).items():
        path = folder / name
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def shipped(project: Project, name: str) -> dict[str, Any]:
    """A copy of the project's own meta-schema `name` (ConfigError when it is missing or refused)."""
    schema = project.meta_schemas.get(name)
    if schema is None:
        raise ConfigError(f"schemas/{name} is missing or not valid; `hub validate` says why")
    return copy.deepcopy(schema)


# Mappings --------------------------------------------------------------------------------------
def mapping_schema(project: Project) -> dict[str, Any]:
    """mapping.schema.json with the project's systems, entities, options, canonical fields, transforms."""
    schema = shipped(project, MAPPING)
    properties, field = schema["properties"], schema["$defs"]["field"]["properties"]
    properties["system"].update(choices(system_names(project), "salesforce"))
    properties["entity"].update(choices(entity_names(project), "contact"))
    field["ref"].update(choices(entity_names(project), "account"))
    properties["options"]["description"] = (
        "Options of the system's connector; which ones there are depends on `system` (`hub validate` "
        "checks them against the connector's declaration)."
    )
    schema["$defs"]["transforms"]["items"] = transform_item(schema["$defs"]["transforms"]["items"])
    schema["allOf"] = [
        *(when("system", system, {"options": options}) for system, options in system_options(project)),
        *(
            when("entity", entity, {"fields": {"items": {"properties": {"canonical": fields}}}})
            for entity, fields in canonical_choices(project).items()
        ),
    ]
    return schema


def system_names(project: Project) -> dict[str, str]:
    """Every system a mapping may name, with the name people read (its connector's display name)."""
    from connectors.registry import connector_class

    return {system: connector_class(system).display_name for system in project.systems()}


def entity_names(project: Project) -> dict[str, str]:
    """Every canonical entity, with its schema's title or description."""
    schemas = {name: project.entity_schema(name) or {} for name in project.entities()}
    return {name: str(s.get("title") or s.get("description") or name) for name, s in schemas.items()}


def system_options(project: Project) -> list[tuple[str, dict[str, Any]]]:
    """Each system's `options_schema`, for the `options:` of its mappings."""
    found = [(system, options_schema(system)) for system in project.systems()]
    return [(system, schema) for system, schema in found if schema is not None]


def canonical_choices(project: Project) -> dict[str, dict[str, Any]]:
    """For each entity, the `canonical:` values its mappings may use: every field path but the hub's own."""
    found = {}
    for entity in project.entities():
        paths = canonical_paths(project.entity_schema(entity) or {}, project.registry)
        described = {
            p: str(s.get("description", s.get("type", ""))) for p, s in paths.items() if p not in MANAGED
        }
        found[entity] = {
            "type": "string",
            "description": f"A field of the canonical {entity} (dotted for nested objects).",
            **choices(described, next(iter(described), "")),
        }
    return found


def when(key: str, value: str, then: dict[str, Any]) -> dict[str, Any]:
    """`then` applies to the properties of a file whose `key` is `value` (JSON Schema's if/then)."""
    return {
        "if": {"properties": {key: {"const": value}}, "required": [key]},
        "then": {"properties": then},
    }


def choices(described: dict[str, str], example: str) -> dict[str, Any]:
    """An `enum` with a description per value (`enumDescriptions`, which editors show beside each)."""
    return {
        "enum": list(described),
        "enumDescriptions": list(described.values()),
        "examples": [example] if example in described else list(described)[:1],
    }


# Transforms ------------------------------------------------------------------------------------
def transform_item(shipped_item: dict[str, Any]) -> dict[str, Any]:
    """One entry of a `transforms`/`inbound`/`outbound` list: a bare name, or one name with its arguments."""
    bare = {t.name: described(t) for t in REGISTRY.values() if not t.needs_args}
    return {
        "description": shipped_item.get("description", ""),
        "anyOf": [
            {
                "type": "string",
                "description": "A transform that needs no arguments.",
                **choices(bare, "trim"),
            },
            {
                "type": "object",
                "description": "A transform with its arguments, {name: arguments}, e.g. {truncate: 80}.",
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": False,
                "properties": {t.name: arguments(t) for t in REGISTRY.values()},
                "examples": [{"truncate": 80}],
            },
        ],
    }


def described(transform: Transform) -> str:
    """What a transform does, with what it takes and gives when it says."""
    parts = [transform.summary]
    if transform.accepts:
        parts.append(f"accepts: {', '.join(transform.accepts)}")
    if transform.gives:
        parts.append(f"gives: {transform.gives}")
    return "; ".join(parts)


def arguments(transform: Transform) -> dict[str, Any]:
    """The schema of a transform's arguments (its declared `args`), described; a transform that takes
    none has null (as `{trim: }` writes it); one that declares none yet takes any."""
    if transform.args is not None:
        own = transform.args.get("description")
        text = described(transform) + (f". Arguments: {own}" if own else "")
        return {**transform.args, "description": text}
    if transform.takes_args:
        return {"description": described(transform)}
    return {"type": "null", "description": described(transform) + " (takes no arguments)"}


# Syncs -----------------------------------------------------------------------------------------
def sync_summary(project: Project, name: str) -> str:
    """A sync's description, or its file when it has none (or cannot be read)."""
    spec = project.syncs.get(name)
    return " ".join(spec.description.split()) if spec and spec.description else project.sync_files[name]


def sync_schema(project: Project) -> dict[str, Any]:
    """sync.schema.json with the project's entities, systems, mappings, syncs and canonical fields."""
    schema = shipped(project, SYNC)
    properties, endpoint = schema["properties"], schema["$defs"]["endpoint"]["properties"]
    entities = entity_names(project)
    properties["entity"].update(choices(entities, "contact"))
    endpoint["system"].update(choices(system_names(project), "salesforce"))
    mappings = {key: f"mappings/{key}.yaml" for key in sorted(project.mapping_files)}
    endpoint["mapping"].update(choices(mappings, "salesforce/contact"))
    syncs = {name: sync_summary(project, name) for name in sorted(project.sync_files)}
    properties["references"]["propertyNames"] = choices(entities, "account")
    properties["references"]["additionalProperties"] = {
        "type": "string",
        "description": "The sync that brings the referenced records over.",
        **choices(syncs, "crm_accounts_to_erp"),
    }
    properties["reference_match"]["propertyNames"] = choices(entities, "contact")
    schema["allOf"] = [
        when("entity", entity, {"match": {"items": {"items": fields}}})
        for entity, fields in canonical_choices(project).items()
    ]
    return schema
