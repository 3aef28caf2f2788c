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
from typing import Any

from hub.project.transforms import (
    REGISTRY,
    CompileContext,
    TransformArgsError,
    TransformError,
    parse_options,
    register,
)

Step = Callable[..., Any]


def _chain(calls: Any, ctx: CompileContext, key: str) -> list[tuple[Step, bool, bool]]:
    """The transforms of one item field, compiled: (callable, takes the item too, handles None)."""
    if not isinstance(calls, list):
        raise TransformArgsError(f"each: {key}.transforms must be a list of transforms")
    chain = []
    for call in calls:
        name, args = (call, None) if isinstance(call, str) else next(iter(dict(call).items()))
        spec = REGISTRY.get(name)
        if spec is None or spec.source:
            raise TransformArgsError(f"each: {key} cannot use the transform {name!r} on an item field")
        chain.append((spec.factory(args, ctx), spec.takes_record, spec.handles_none))
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
    takes_args=True,
    needs_args=True,
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


@register(
    "join_each",
    "write every item of a list as text: `template` names item fields ({quantity} x {description}), "
    "`sep` joins the items (a new line by default); empty fields print as nothing, and brackets "
    "around nothing are left out",
    takes_args=True,
    needs_args=True,
)
def _join_each(args: Any, ctx: CompileContext) -> Callable[[Any], Any]:
    options = parse_options(args, "join_each", {"template", "sep"}, frozenset({"template"}))
    template, sep = str(options["template"]), str(options.get("sep", "\n"))
    try:
        template.format_map(_Blank())
    except (ValueError, IndexError) as exc:
        raise TransformArgsError(f"join_each: bad template {template!r}: {exc}") from None

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
