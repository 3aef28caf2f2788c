"""Transforms of lists: the lines of an order or an invoice, mapped item by item or written as text.

- canonical: lines
  system: order_line
  inbound:
    - each:
        description: name
        sku: product_id.default_code
        quantity: {field: product_uom_qty, transforms: [decimal]}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from string import Formatter
from typing import Any

from hub.project.transforms import (
    REGISTRY,
    CompileContext,
    TransformArgsError,
    TransformError,
    parse_options,
    register,
)
from hub.project.transforms.records import template_problem
from hub.project.transforms.signatures import args_problem, named

Step = Callable[..., Any]
LISTS = ("array",)

_ITEM_FIELD = {
    "description": "Where an item key's value comes from: a path in the item, or "
    "{field: path, transforms: [...]}.",
    "anyOf": [
        {
            "type": "string",
            "minLength": 1,
            "description": "A path in the item (dotted for nested fields).",
            "examples": ["product_id.default_code"],
        },
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["field"],
            "properties": {
                "field": {
                    "type": "string",
                    "minLength": 1,
                    "description": "A path in the item (dotted for nested fields).",
                    "examples": ["product_uom_qty"],
                },
                "transforms": {
                    "type": "array",
                    "description": "Transforms of the value, written as a field's are.",
                    "items": {"type": ["string", "object"], "minProperties": 1, "maxProperties": 1},
                    "examples": [["trim"], ["decimal"]],
                },
            },
            "examples": [{"field": "product_uom_qty", "transforms": ["decimal"]}],
        },
    ],
}


def _chain(calls: Any, ctx: CompileContext, key: str) -> list[tuple[Step, bool, bool]]:
    """The transforms of one item field, compiled: (callable, takes the item too, handles None). Each
    one's arguments are checked against its signature, as a field's are."""
    if not isinstance(calls, list):
        raise TransformArgsError(f"each: {key}.transforms must be a list of transforms", (key,))
    chain = []
    for position, call in enumerate(calls):
        at = (key, "transforms", position)
        name, args = (call, None) if isinstance(call, str) else next(iter(dict(call).items()))
        spec = REGISTRY.get(name)
        if spec is None or spec.source:
            raise TransformArgsError(f"each: {key} cannot use the transform {name!r} on an item field", at)
        if (problem := args_problem(spec, args)) is not None:
            raise TransformArgsError(f"each: {key}: {problem.message}", (*at, *problem.where))
        try:
            chain.append((spec.factory(args, ctx), spec.takes_record, spec.handles_none))
        except TransformArgsError as exc:
            raise TransformArgsError(f"each: {key}: {named(name, str(exc))}", (*at, name, *exc.at)) from None
    return chain


def _item_field(key: str, given: Any, ctx: CompileContext) -> Callable[[Mapping[str, Any]], Any]:
    if isinstance(given, str):
        return ctx.getter(given)
    if not isinstance(given, Mapping) or "field" not in given:
        raise TransformArgsError(f"each: {key} needs a field path or {{field: path, transforms: [...]}}")
    options = parse_options(given, f"each: {key}", {"field", "transforms"})
    read, chain = ctx.getter(str(options["field"])), _chain(options.get("transforms", []), ctx, key)

    def value(item: Mapping[str, Any]) -> Any:
        v = read(item)
        for call, takes_item, handles_none in chain:
            if v is not None or handles_none:
                v = call(v, item) if takes_item else call(v)
        return v

    return value


@register(
    "each",
    "map every item of a list: {key: path} or {key: {field: path, transforms: [...]}} per item field",
    needs_args=True,
    args={
        "type": "object",
        "minProperties": 1,
        "additionalProperties": _ITEM_FIELD,
        "description": "The keys of each item made, each with where its value comes from.",
        "examples": [
            {
                "sku": "product_id.default_code",
                "description": {"field": "name", "transforms": ["trim"]},
                "quantity": {"field": "product_uom_qty", "transforms": ["decimal"]},
            }
        ],
    },
    gives="array",
    accepts=LISTS,
)
def _each(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    if not isinstance(args, Mapping) or not args:
        raise TransformArgsError("each takes a mapping of item keys to item fields")
    fields = [(str(key), _item_field(str(key), given, ctx)) for key, given in args.items()]

    def each(items: Any) -> Any:
        if not isinstance(items, list):
            raise TransformError(f"expected a list of items, got {type(items).__name__}")
        out = []
        for position, item in enumerate(items, 1):
            if not isinstance(item, Mapping):
                raise TransformError(f"item {position} is not a record")
            try:
                out.append({key: value(item) for key, value in fields})
            except (TransformError, TypeError, ValueError) as exc:
                raise TransformError(f"item {position}: {exc}") from None
        return out

    return each


EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _item_template_problem(template: str) -> str | None:
    """Why join_each's template cannot write an item (None when it can): its braces, as every
    template's; a field that is not an item key (str.format would read `{a.b}` as an attribute and
    fail on every item); a conversion or format it does not know."""
    problem = template_problem(template)
    if problem is not None:
        return problem
    for _, name, _, _ in Formatter().parse(template):
        if name is not None and ("." in name or "[" in name):
            return (
                f"template field {name!r} is not a key of an item; name the keys `each` made, "
                "as in '{quantity} x {description}'"
            )
    return template_problem(template, lambda text: text.format_map(_Blank()))


@register(
    "join_each",
    "write every item of a list as text: `template` names item fields ({quantity} x {description}), "
    "`sep` joins the items (a new line by default); empty fields print as nothing, and brackets "
    "around nothing are left out",
    needs_args=True,
    args={
        "type": "object",
        "description": "How to write each item (`template`) and what to put between them (`sep`).",
        "additionalProperties": False,
        "required": ["template"],
        "properties": {
            "template": {
                "type": "string",
                "description": "The text of one item, naming its fields in braces ({quantity} x "
                "{description}); an empty field prints as nothing.",
                "examples": ["{quantity} x {description} ({sku}) @ {unit_price}"],
            },
            "sep": {
                "type": "string",
                "default": "\n",
                "description": "The text put between items.",
                "examples": ["\n", "; "],
            },
        },
        "examples": [{"template": "{quantity} x {description} ({sku}) @ {unit_price}"}],
    },
    gives="string",
    accepts=LISTS,
)
def _join_each(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    options = parse_options(args, "join_each", {"template", "sep"}, frozenset({"template"}))
    template, sep = str(options["template"]), str(options.get("sep", "\n"))
    if (problem := _item_template_problem(template)) is not None:
        raise TransformArgsError(problem, ("template",))

    def join(items: Any) -> Any:
        if not isinstance(items, list):
            raise TransformError(f"expected a list of items, got {type(items).__name__}")
        texts = []
        for item in items:
            present = {k: v for k, v in dict(item).items() if v is not None}
            text = EMPTY_BRACKETS.sub("", template.format_map(_Blank(present)))
            texts.append(" ".join(text.split()))
        return sep.join(texts) or None

    return join
