"""How the Odoo connector reads through Odoo's relations: x2many fields as their lines, dotted paths
through a many2one (`country_id.code`), and `follow` paths that end in the record a chain of
relations reaches (`invoice_line_ids.sale_line_ids.order_id`). One `read` per relation and page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from connectors.odoo.rpc import from_odoo
from hub.errors import ConfigError
from hub.io.records import Record


class RelationReads:
    """The Odoo connector's reads through relations, over its `execute` and `fields_of`; `related`
    caches values of related records by (model, field), shared with the connector's writes."""

    def __init__(
        self,
        execute: Callable[..., Any],
        fields_of: Callable[[str], dict[str, dict[str, Any]]],
        related: dict[tuple[str, str], dict[Any, Any]],
    ) -> None:
        self.execute, self.fields_of, self.related = execute, fields_of, related

    def attach_followed(
        self, model: str, rows: list[dict[str, Any]], records: list[Record], name: str, path: str
    ) -> None:
        """`record[name] = {"id": …}`: the first record (lowest id) reached from each record through the
        path's relations (`invoice_line_ids.sale_line_ids.order_id`: an invoice's sales order), one
        `read` per hop for the whole page; None when the path reaches nothing."""
        head, *hops = path.split(".")
        reached = {row["id"]: _ids(row.get(head)) for row in rows}
        relation = str(self.fields_of(model).get(head, {}).get("relation"))
        for hop in hops:
            wanted = sorted({i for ids in reached.values() for i in ids})
            found = {r["id"]: _ids(r.get(hop)) for r in self.execute(relation, "read", wanted, fields=[hop])}
            reached = {
                key: sorted({j for i in ids for j in found.get(i, [])}) for key, ids in reached.items()
            }
            relation = str(self.fields_of(relation).get(hop, {}).get("relation"))
        for row, record in zip(rows, records, strict=True):
            ids = reached.get(row["id"]) or []
            record[name] = {"id": ids[0]} if ids else None

    def normalize_rows(self, model: str, paths: Sequence[str], rows: list[dict[str, Any]]) -> list[Record]:
        types = self.fields_of(model)
        records = [{k: from_odoo(v, types.get(k, {}).get("type")) for k, v in row.items()} for row in rows]
        for path in paths:
            head, _, sub = path.partition(".")
            if sub and sub != "id":
                self._enrich(records, head, sub, str(types.get(head, {}).get("relation")))
        return records

    def attach_lines(self, model: str, records: list[Record], name: str, paths: list[str]) -> None:
        """Replace the x2many ids of every record by its lines, read in one call for the page."""
        field = self.fields_of(model).get(name, {})
        if field.get("type") not in ("one2many", "many2many"):
            raise ConfigError(
                f"{model}.{name} is not a one2many or many2many field: it cannot be read as lines"
            )
        relation = str(field.get("relation"))
        ids = [i for record in records for i in record.get(name) or []]
        columns = list(dict.fromkeys(path.split(".")[0] for path in paths))
        rows = self.execute(relation, "read", sorted(set(ids)), fields=columns) if ids else []
        lines = {line["id"]: line for line in self.normalize_rows(relation, paths, rows)}
        for record in records:
            record[name] = [lines[i] for i in record.get(name) or [] if i in lines]

    def _enrich(self, records: list[Record], field: str, sub: str, relation: str) -> None:
        ids = {r[field]["id"] for r in records if isinstance(r.get(field), dict)}
        known = self._related_values(relation, sub, ids)
        for record in records:
            if isinstance(record.get(field), dict):
                record[field][sub] = known.get(record[field]["id"])

    def _related_values(self, relation: str, sub: str, ids: set[int]) -> dict[Any, Any]:
        cache = self.related.setdefault((relation, sub), {})
        missing = sorted(i for i in ids if i not in cache)
        if missing:
            types = self.fields_of(relation)
            for row in self.execute(relation, "read", missing, fields=[sub]):
                cache[row["id"]] = from_odoo(row[sub], types.get(sub, {}).get("type"))
        return cache


def _ids(value: Any) -> list[int]:
    """The ids a relational value holds: a many2one `[id, name]`, an x2many list of ids, or nothing."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[1], str):
        return [int(value[0])]
    if isinstance(value, list):
        return [int(i) for i in value]
    return [int(value)] if isinstance(value, int) and not isinstance(value, bool) and value else []
