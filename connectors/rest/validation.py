"""Every problem of a REST description, as `path:line:column: field: what is wrong; how to fix it`.

Two passes: the meta-schema (`meta.schema.json`) checks shapes and names, and `semantic_problems`
checks what a schema cannot say (placeholders that exist, `{id}` in record paths, time formats that
read back what they write, a page limit that has a cursor to restart from).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Sequence
from functools import cache
from importlib.resources import files
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from connectors.rest.paths import placeholders
from connectors.rest.times import TimeFormat
from hub.errors import Problem
from hub.project.yamldoc import Document, PathItem

CONNECTION_FIELDS = ("host", "login", "password", "schema", "port")


@cache
def meta_schema() -> dict[str, Any]:
    """The meta-schema every REST description is checked against (also usable by YAML editors)."""
    loaded: dict[str, Any] = json.loads((files("connectors.rest") / "meta.schema.json").read_text("utf-8"))
    return loaded


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(meta_schema())


def schema_problems(doc: Document) -> list[Problem]:
    """The meta-schema's verdict on a parsed description, in file order."""
    errors = sorted(_validator().iter_errors(doc.data), key=lambda e: doc.position(list(e.absolute_path)))
    return [_problem(doc, error) for error in errors]


def _label(where: Sequence[PathItem]) -> str:
    return ".".join(map(str, where)) or "the file"


def _hint(schema: Any) -> str:
    description = schema.get("description") if isinstance(schema, dict) else None
    return f" ({description})" if description else ""


def _problem(doc: Document, error: ValidationError) -> Problem:
    where = list(error.absolute_path)
    schema: Any = error.schema
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        return _unknown_key(doc, where, error)
    if error.validator == "required":
        name = str(error.message).split("'")[1]
        hint = _hint(schema.get("properties", {}).get(name))
        return doc.problem(where, f"{_label(where)}: missing required key '{name}'{hint}")
    if error.validator == "enum":
        options = ", ".join(map(str, cast(list[Any], error.validator_value)))
        message = f"{_label(where)}: {error.instance!r} is not allowed; use one of: {options}"
        return doc.problem(where, message)
    if error.validator in ("pattern", "anyOf"):
        return doc.problem(where, f"{_label(where)}: {error.instance!r} is not valid{_hint(schema)}")
    if error.validator == "type":
        wanted = error.validator_value
        kinds = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return doc.problem(where, f"{_label(where)}: expected {kinds}, got {error.instance!r}")
    return doc.problem(where, f"{_label(where)}: {error.message}{_hint(schema)}")


def _unknown_key(doc: Document, where: list[PathItem], error: ValidationError) -> Problem:
    instance: Any = error.instance
    allowed = _allowed_keys(error.schema, instance)
    extra = sorted(str(k) for k in instance if k not in allowed)
    name = extra[0] if extra else "?"
    close = difflib.get_close_matches(name, allowed, n=1)
    guess = f"did you mean {close[0]!r}? " if close else ""
    message = f"{_label([*where, name])}: unknown key; {guess}expected one of: {', '.join(sorted(allowed))}"
    return doc.problem([*where, name], message, key=True)


def _allowed_keys(schema: Any, instance: Any) -> list[str]:
    """The keys a schema allows for this instance: its properties, and those of every `if/then`
    branch whose `if` the instance meets (a paging style's own keys, an auth kind's)."""
    allowed = set(schema.get("properties", {}))
    for branch in schema.get("allOf", []):
        condition = branch.get("if")
        if condition is not None and Draft202012Validator(condition).is_valid(instance):
            allowed |= set(branch.get("then", {}).get("properties", {}))
    return sorted(allowed)


# Semantic checks (the data already conforms to the meta-schema) ---------------------------------
def semantic_problems(doc: Document) -> list[Problem]:
    """Problems a JSON Schema cannot express, located like the schema's."""
    data = doc.data
    found = list(_template_problems(doc, ["base_url"], data["base_url"]))
    found += _template_problems(doc, ["check"], data.get("check"))
    for name, value in (data.get("headers") or {}).items():
        found += _template_problems(doc, ["headers", name], value)
    for name, value in data["auth"].items():
        if name != "kind":
            found += _template_problems(doc, ["auth", name], value)
    for name, obj in data["objects"].items():
        found += _object_problems(doc, ["objects", name], obj)
    return found


def _template_problems(
    doc: Document, where: list[PathItem], template: Any, record: bool = False
) -> Iterator[Problem]:
    """Placeholders must name connection fields (`{extra.NAME}` too), or `{id}` in record paths."""
    if not isinstance(template, str):
        return
    try:
        names = placeholders(template)
    except ValueError:
        yield doc.problem(where, f"{_label(where)}: unbalanced braces in {template!r}; write {{name}}")
        return
    allowed = [*CONNECTION_FIELDS, *(["id"] if record else [])]
    for name in names:
        if name not in allowed and not (name.startswith("extra.") and len(name) > 6):
            options = ", ".join(f"{{{a}}}" for a in allowed)
            yield doc.problem(
                where, f"{_label(where)}: unknown placeholder {{{name}}}; use {options} or {{extra.NAME}}"
            )


def _needs_id(doc: Document, where: list[PathItem], path: Any) -> Iterator[Problem]:
    yield from _template_problems(doc, where, path, record=True)
    if isinstance(path, str) and "{id}" not in path:
        message = f"{_label(where)}: {path!r} must name the record as {{id}}, e.g. contacts/{{id}}"
        yield doc.problem(where, message)


def _object_problems(doc: Document, where: list[PathItem], obj: dict[str, Any]) -> list[Problem]:
    listing, cursor = obj["list"], obj.get("cursor")
    found = list(_template_problems(doc, [*where, "list", "path"], listing["path"]))
    for name, value in (listing.get("params") or {}).items():
        found += _template_problems(doc, [*where, "list", "params", name], value)
    if "get" in obj:
        found += _needs_id(doc, [*where, "get"], obj["get"])
    found += _format_problems(doc, [*where, "cursor", "format"], (cursor or {}).get("format"))
    since = listing.get("since") or {}
    found += _format_problems(doc, [*where, "list", "since", "format"], since.get("format"))
    if since and cursor is None:
        message = f"{_label([*where, 'list', 'since'])}: an incremental read needs the object's cursor"
        found.append(doc.problem([*where, "list", "since"], f"{message} (field and format)"))
    max_page = (listing.get("paging") or {}).get("max_page")
    if max_page is not None and "since" not in listing:
        found.append(
            doc.problem(
                [*where, "list", "paging", "max_page"],
                f"{_label([*where, 'list', 'paging', 'max_page'])}: restarting at the page limit needs "
                "list.since (the parameter that restarts from the last cursor value)",
            )
        )
    return found + _write_problems(doc, [*where, "write"], obj.get("write"))


def _format_problems(doc: Document, where: list[PathItem], pattern: Any) -> Iterator[Problem]:
    if isinstance(pattern, str):
        problem = TimeFormat(pattern).problem()
        if problem:
            yield doc.problem(where, f"{_label(where)}: {problem}; e.g. %Y-%m-%dT%H:%M:%SZ, iso or epoch")


def _write_problems(doc: Document, where: list[PathItem], write: dict[str, Any] | None) -> list[Problem]:
    if write is None:
        return []
    if "create" not in write and "update" not in write:
        hint = "give create, update or both, e.g. create: POST contacts"
        return [doc.problem(where, f"{_label(where)}: {hint}")]
    found: list[Problem] = []
    if "create" in write:
        found += _template_problems(doc, [*where, "create"], write["create"].split(" ", 1)[1])
    if "update" in write and "batch" in write:  # a batch update names its records in the body
        found += _template_problems(doc, [*where, "update"], write["update"].split(" ", 1)[1])
    elif "update" in write:
        found += _needs_id(doc, [*where, "update"], write["update"].split(" ", 1)[1])
    if "duplicate" in write and ("create" not in write or "update" not in write):
        message = "a duplicate answer turns a create into an update: give both write.create and write.update"
        found.append(doc.problem([*where, "duplicate"], f"{_label([*where, 'duplicate'])}: {message}"))
    if "parallel" in write and "batch" in write:
        message = "parallel is for one record a call; a batch write sends its batches one after another"
        found.append(doc.problem([*where, "parallel"], f"{_label([*where, 'parallel'])}: {message}"))
    return found
