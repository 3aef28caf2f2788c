"""How the Odoo connector describes a model (`Connector.describe`): its fields from `fields_get`, the
char fields of the models its relations reach as dotted paths (`country_id.code`, `parent_id.id`: the
names mappings read through a relation by), and a sample read with `search_read` of its stored fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connectors.odoo.rpc import from_odoo
from hub.io.connector import FieldInfo, ObjectShape

ATTRIBUTES = ["string", "type", "required", "readonly", "selection", "relation", "store"]
# A dotted path through a relation names a field of the related record that identifies it: a code, a
# name, a reference, an email, a hub id — Odoo's char fields.
SUB_TYPES = frozenset({"char"})
THROUGH = frozenset({"many2one", "many2many"})  # relations a dotted path reads or writes through


def field_info(name: str, meta: Mapping[str, Any]) -> FieldInfo:
    """A FieldInfo of one `fields_get` entry (custom: a name starting with `x_`)."""
    return FieldInfo(
        name=name,
        label=str(meta.get("string") or ""),
        type=str(meta.get("type") or "").lower(),
        required=bool(meta.get("required")),
        custom=name.startswith("x_"),
        readonly=bool(meta.get("readonly")),
        options=tuple(str(item[0]) for item in meta.get("selection") or () if isinstance(item, list | tuple)),
    )


class ModelDescriber:
    """Describes Odoo models over a connector's `execute`, with one `fields_get` per model."""

    def __init__(self, execute: Callable[..., Any]) -> None:
        self.execute = execute
        self._meta: dict[str, dict[str, dict[str, Any]]] = {}

    def meta(self, model: str) -> dict[str, dict[str, Any]]:
        """`fields_get` of a model with the attributes a description needs (cached)."""
        if model not in self._meta:
            self._meta[model] = self.execute(model, "fields_get", attributes=ATTRIBUTES)
        return self._meta[model]

    def describe(self, model: str, sample: int) -> ObjectShape:
        """The model's fields (a relation's dotted paths after it) and up to `sample` records."""
        fields: list[FieldInfo] = []
        for name, meta in self.meta(model).items():
            fields.append(field_info(name, meta))
            fields.extend(self._through(name, meta))
        return ObjectShape(model, tuple(fields), tuple(self._sample(model, sample)))

    def _subfields(self, relation: str) -> dict[str, dict[str, Any]]:
        """The stored char fields of a related model: what a dotted path reads of it."""
        return {
            name: meta
            for name, meta in self.meta(relation).items()
            if meta.get("type") in SUB_TYPES and meta.get("store", True)
        }

    def _through(self, name: str, meta: Mapping[str, Any]) -> list[FieldInfo]:
        """`name.id` (a many2one) and `name.<char field>` of the related model."""
        if meta.get("type") not in THROUGH or not meta.get("relation"):
            return []
        own = field_info(name, meta)
        found = []
        if meta["type"] == "many2one":
            found.append(
                FieldInfo(
                    f"{name}.id", f"{own.label} (ID)", "integer", own.required, own.custom, own.readonly
                )
            )
        for sub, sub_meta in self._subfields(str(meta["relation"])).items():
            inner = field_info(sub, sub_meta)
            found.append(
                FieldInfo(
                    f"{name}.{sub}",
                    f"{own.label} / {inner.label}",
                    inner.type,
                    custom=own.custom or inner.custom,
                    readonly=own.readonly,
                    options=inner.options,
                )
            )
        return found

    def _sample(self, model: str, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` records (lowest ids first) keyed by the described names, a many2one flattened
        into its dotted paths (one `read` per related model for the whole sample)."""
        if limit <= 0:
            return []
        meta = self.meta(model)
        stored = [name for name, info in meta.items() if info.get("store", True)]
        rows = self.execute(model, "search_read", [], fields=stored, limit=limit, order="id asc")
        records = [{k: from_odoo(v, meta.get(k, {}).get("type")) for k, v in row.items()} for row in rows]
        many2one = {n: str(meta[n]["relation"]) for n in stored if meta[n].get("type") == "many2one"}
        related = self._related(records, many2one)
        for record in records:
            for name, relation in many2one.items():
                value = record.pop(name, None)
                ref = value.get("id") if isinstance(value, dict) else None
                record[f"{name}.id"] = ref
                for sub in self._subfields(relation):
                    record[f"{name}.{sub}"] = related.get(relation, {}).get(ref, {}).get(sub)
        return records

    def _related(
        self, records: list[dict[str, Any]], many2one: Mapping[str, str]
    ) -> dict[str, dict[Any, dict[str, Any]]]:
        """The char fields of every related record the sample points at, by model and id."""
        wanted: dict[str, set[int]] = {}
        for name, relation in many2one.items():
            for record in records:
                if isinstance(record.get(name), dict):
                    wanted.setdefault(relation, set()).add(int(record[name]["id"]))
        found: dict[str, dict[Any, dict[str, Any]]] = {}
        for relation, ids in wanted.items():
            subs = self._subfields(relation)
            if subs:
                rows = self.execute(relation, "read", sorted(ids), fields=list(subs))
                found[relation] = {
                    row["id"]: {k: from_odoo(v, subs.get(k, {}).get("type")) for k, v in row.items()}
                    for row in rows
                }
        return found
