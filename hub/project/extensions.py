"""A project's extensions of the library's canonical entities: `schemas/<entity>.yaml` adds fields to
`<entity>` (a Salesforce `Industry_Segment__c` that must reach Odoo) without copying its schema.

    # schemas/account.yaml
    properties:
      industry_segment:
        type: [string, "null"]
        maxLength: 80
        description: Salesforce's Industry_Segment__c
    required: [industry_segment]    # optional: new fields a record must carry

An extension only adds: a field the entity already has is a located problem naming where the library
defines it (replacing the whole entity is done with a `schemas/<entity>.schema.json` of the project's).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from jsonschema import Draft202012Validator

from hub.errors import Problem
from hub.identity.settings import SCHEMA_KEY, settings_problems
from hub.project.yamldoc import Document

KEYS = ("description", "properties", "required", "identity")
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*")


def extension_problems(doc: Document, base: dict[str, Any], base_file: str) -> list[Problem]:
    """What keeps `doc` from extending the entity whose schema is `base` (defined in `base_file`)."""
    data = doc.data
    if not isinstance(data, dict):
        return [doc.problem([], "an extension is a mapping with `properties:` (and optionally `required:`)")]
    problems = [
        doc.problem([key], f"unknown key {key!r}; an extension has {', '.join(KEYS)}", key=True)
        for key in data
        if key not in KEYS
    ]
    properties = {} if "identity" in data and "properties" not in data else data.get("properties")
    if not isinstance(properties, dict) or (not properties and "properties" in data):
        return [
            *problems,
            doc.problem(["properties"] if "properties" in data else [], "properties: the fields added"),
        ]
    if "identity" in data:  # the entity's identity rules, in place of its schema's
        fields = {**base.get("properties", {}), **properties}
        problems += settings_problems(doc, ["identity"], data["identity"], fields)
    existing = base.get("properties", {})
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    for name, schema in properties.items():
        if name in existing:
            problems.append(
                doc.problem(
                    ["properties", name],
                    f"{name!r} is already a field of the entity ({base_file}); an extension only adds "
                    "fields: rename it, or replace the entity with a schemas/<entity>.schema.json of yours",
                    key=True,
                )
            )
        elif not FIELD_NAME.fullmatch(str(name)):
            problems.append(
                doc.problem(
                    ["properties", name],
                    f"{name!r}: a field name is lowercase letters, digits and '_'",
                    key=True,
                )
            )
        elif not isinstance(schema, dict):
            problems.append(
                doc.problem(["properties", name], "a field is described by a JSON Schema (a mapping)")
            )
        else:
            problems += [
                doc.problem(["properties", name, *e.absolute_path], f"not a valid JSON Schema: {e.message}")
                for e in meta.iter_errors(schema)
            ]
    required = data.get("required", [])
    known = set(existing) | set(properties)
    if not isinstance(required, list):
        problems.append(doc.problem(["required"], "required is a list of field names"))
    else:
        problems += [
            doc.problem(["required", i], f"{name!r} is not a field of the entity or of this extension")
            for i, name in enumerate(required)
            if name not in known
        ]
    if "description" in data and not isinstance(data["description"], str):
        problems.append(doc.problem(["description"], "description is text"))
    return problems


def extended(base: dict[str, Any], extension: dict[str, Any]) -> dict[str, Any]:
    """A copy of the entity's schema with the extension's fields (and required ones) added."""
    merged = copy.deepcopy(base)
    merged.setdefault("properties", {}).update(copy.deepcopy(extension.get("properties") or {}))
    if "identity" in extension:
        merged[SCHEMA_KEY] = copy.deepcopy(extension["identity"])
    added = [name for name in extension.get("required", []) if name not in merged.get("required", [])]
    if added:
        merged["required"] = [*merged.get("required", []), *added]
    return merged
