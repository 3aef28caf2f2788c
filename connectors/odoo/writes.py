"""How the Odoo connector writes records: values turned into Odoo's form (dotted paths resolved to
the related records' ids, line dicts into x2many commands), creates with a list, updates in one
`write` or one `load`, deletes that archive, and refused batches halved until the bad records stand
alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from connectors.odoo.rpc import OdooRPCError, load_text
from hub.errors import OutcomeUnknown
from hub.io.connector import ObjectSpec
from hub.io.records import OUTCOME_UNKNOWN, Record, RecordError, WriteOp, WriteResult

LOST_CREATE = (
    "the create was sent but its answer was lost, and it has not arrived (yet); it is not sent again "
    "now: a later run looks for the record by {key} first, and creates it only if it never arrived"
)


class RecordWrites:
    """The Odoo connector's writes, over its `execute` and `fields_of`; `related` caches values of
    related records by (model, field), shared with the connector's reads; `batch_size` says how many
    records one call takes for an object."""

    def __init__(
        self,
        execute: Callable[..., Any],
        fields_of: Callable[[str], dict[str, dict[str, Any]]],
        related: dict[tuple[str, str], dict[Any, Any]],
        batch_size: Callable[[ObjectSpec], int],
    ) -> None:
        self.execute, self.fields_of, self.related, self.batch_size = execute, fields_of, related, batch_size
        self._archived: set[str] = set()

    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Create or update records; one result per op, in order (ops without target_id upsert)."""
        results: list[WriteResult | None] = [None] * len(ops)
        self.prefetch_related(obj, ops)
        values: dict[int, Record] = {}
        for index, op in enumerate(ops):
            try:
                values[index] = self._to_odoo(obj, op)
            except ValueError as exc:
                results[index] = WriteResult(op.target_id, error=RecordError("INVALID_VALUE", str(exc)))
        known = self._existing(obj, [ops[i].hub_id for i in values if ops[i].target_id is None])
        for i in values:
            if ops[i].target_id is None and ops[i].hub_id in self._archived:
                values[i]["active"] = True  # an upsert makes the record exist again
        targets = {i: ops[i].target_id or known.get(ops[i].hub_id) for i in values}
        creates = [i for i in values if not targets[i]]
        updates = [i for i in values if targets[i]]
        for index, result in zip(creates, self._create(obj, [values[i] for i in creates]), strict=True):
            results[index] = result
        pairs = [(str(targets[i]), values[i]) for i in updates]
        for index, result in zip(updates, self._update(obj, pairs), strict=True):
            results[index] = result
        return [r for r in results if r is not None]

    def delete(self, obj: ObjectSpec, ids: Sequence[str]) -> list[WriteResult]:
        """Archive (Odoo's way of deleting what documents may still point at), or unlink without `active`."""
        wanted = [int(i) for i in ids]
        if "active" in self.fields_of(obj.name):
            return isolating(wanted, lambda part: self._write_same(obj, part, {"active": False}))
        return isolating(wanted, lambda part: self._unlink(obj, part))

    def prefetch_related(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> None:
        """Look up, in one call per related field, the records that dotted values point at."""
        wanted: dict[tuple[str, str], set[Any]] = {}
        for op in ops:
            self._wanted(obj.name, op.values, wanted)
        for (model, field), values in wanted.items():
            cache = self.related.setdefault((model, field), {})
            missing = values - set(cache.values())
            if missing:
                for row in self.execute(
                    model, "search_read", [(field, "in", sorted(missing, key=str))], fields=[field]
                ):
                    cache[row["id"]] = row[field]

    def values(self, model: str, values: Mapping[str, Any], *, update: bool = False) -> Record:
        """Odoo values: dotted paths resolved to ids (after `prefetch_related`), lists of line dicts
        turned into commands (replacing the lines on `update`)."""
        record: Record = {}
        for path, value in values.items():
            relation = self._relation(model, path)
            if relation is not None:
                value = self._related_id(relation[1], relation[2], value)
            elif path.endswith(".id") and value is not None:
                value = int(value)
            elif _is_line_list(value):
                line_model = str(self.fields_of(model).get(path, {}).get("relation"))
                lines = [(0, 0, self.values(line_model, line)) for line in value]
                value = [(5, 0, 0), *lines] if update else lines
            record[path.partition(".")[0]] = False if value is None else value
        return record

    def _relation(self, model: str, path: str) -> tuple[str, str, str] | None:
        """(field, related model, related field) of a dotted path such as `country_id.code`."""
        head, _, sub = path.partition(".")
        if not sub or sub == "id":
            return None
        return head, str(self.fields_of(model).get(head, {}).get("relation")), sub

    def _wanted(self, model: str, values: Mapping[str, Any], wanted: dict[tuple[str, str], set[Any]]) -> None:
        """The values dotted paths point at, in a record and in its line dicts (`product_id.default_code`)."""
        for path, value in values.items():
            relation = self._relation(model, path)
            if relation is not None and value is not None:
                wanted.setdefault(relation[1:], set()).add(value)
            elif _is_line_list(value):
                for line in value:
                    self._wanted(str(self.fields_of(model).get(path, {}).get("relation")), line, wanted)

    def _to_odoo(self, obj: ObjectSpec, op: WriteOp) -> Record:
        record = self.values(obj.name, op.values, update=op.target_id is not None)
        if obj.external_id_field:
            record[obj.external_id_field] = op.hub_id
        return record

    def _related_id(self, relation: str, field: str, value: Any) -> int | bool:
        if value is None:
            return False
        for record_id, known in self.related.get((relation, field), {}).items():
            if known == value:
                return int(record_id)
        raise ValueError(f"no {relation} record has {field} = {value!r}")

    def _existing(self, obj: ObjectSpec, hub_ids: list[str]) -> dict[str, str]:
        """Records that already carry these hub_ids (a replay after a crash must not duplicate)."""
        key = obj.external_id_field
        if not hub_ids or not key:
            return {}
        has_active = "active" in self.fields_of(obj.name)
        rows = self.execute(
            obj.name,
            "search_read",
            [(key, "in", hub_ids)],
            fields=["id", key, *(["active"] if has_active else [])],
            context={"active_test": False},
        )
        self._archived = {row[key] for row in rows if has_active and not row["active"]}
        return {row[key]: str(row["id"]) for row in rows}

    def _create(self, obj: ObjectSpec, records: list[Record]) -> list[WriteResult]:
        results: list[WriteResult] = []
        size = self.batch_size(obj)
        for start in range(0, len(records), size):
            chunk = records[start : start + size]
            results += isolating(chunk, lambda part: self._create_batch(obj, part))
        return results

    def _create_batch(self, obj: ObjectSpec, records: list[Record]) -> list[WriteResult]:
        try:
            ids = self.execute(obj.name, "create", records, idempotent=False)
        except OutcomeUnknown:
            if not obj.external_id_field:
                raise
            # The answer was lost. What has arrived is linked; what has not may still be queued behind a
            # busy server, so it is not created again now: it waits, and a later run looks again.
            key = obj.external_id_field
            found = self._existing(obj, [str(r.get(key)) for r in records])
            return [
                WriteResult(found[str(r.get(key))], created=True)
                if str(r.get(key)) in found
                else WriteResult(None, error=RecordError(OUTCOME_UNKNOWN, LOST_CREATE.format(key=key)))
                for r in records
            ]
        return [WriteResult(str(i), created=True) for i in (ids if isinstance(ids, list) else [ids])]

    def _update(self, obj: ObjectSpec, pairs: list[tuple[str, Record]]) -> list[WriteResult]:
        groups: dict[str, list[int]] = {}
        for index, (_, record) in enumerate(pairs):
            groups.setdefault(json.dumps(record, sort_keys=True, default=str), []).append(index)
        results: list[WriteResult | None] = [None] * len(pairs)
        singles = [indexes[0] for indexes in groups.values() if len(indexes) == 1]
        lined = [i for i in singles if any(isinstance(v, (list, tuple)) for v in pairs[i][1].values())]
        for i in lined:  # `load` cannot take x2many commands: one write each
            results[i] = isolating([int(pairs[i][0])], partial(self._write_same, obj, record=pairs[i][1]))[0]
        singles = [i for i in singles if i not in lined]
        for indexes in (g for g in groups.values() if len(g) > 1):
            ids = [int(pairs[i][0]) for i in indexes]
            outcome = isolating(ids, partial(self._write_same, obj, record=pairs[indexes[0]][1]))
            for i, result in zip(indexes, outcome, strict=True):
                results[i] = result
        size = self.batch_size(obj)
        by_fields: dict[tuple[str, ...], list[int]] = {}
        for i in singles:  # one import per set of columns: a missing column must not mean "empty it"
            by_fields.setdefault(tuple(sorted(pairs[i][1])), []).append(i)
        for same_fields in by_fields.values():
            for start in range(0, len(same_fields), size):
                chunk = same_fields[start : start + size]
                loaded = isolating([pairs[i] for i in chunk], lambda part: self._load(obj, part))
                for i, result in zip(chunk, loaded, strict=True):
                    results[i] = result
        return [r for r in results if r is not None]

    def _write_same(self, obj: ObjectSpec, ids: list[int], record: Record) -> list[WriteResult]:
        self.execute(obj.name, "write", ids, record, context={"active_test": False})
        return [WriteResult(str(i)) for i in ids]

    def _load(self, obj: ObjectSpec, pairs: list[tuple[str, Record]]) -> list[WriteResult]:
        """Update records with different values in one call, through Odoo's import (`load`)."""
        types = self.fields_of(obj.name)
        names = list(pairs[0][1])  # every record of one call has the same fields
        columns = [".id", *(f"{n}/.id" if types.get(n, {}).get("type") == "many2one" else n for n in names)]
        rows = [
            [target, *(load_text(record[n], types.get(n, {}).get("type")) for n in names)]
            for target, record in pairs
        ]
        # active_test off: records the hub updates may be archived (an upsert brings them back)
        answer = self.execute(obj.name, "load", columns, rows, context={"active_test": False})
        if not answer.get("ids"):
            messages = answer.get("messages") or [{"message": "load refused the batch"}]
            raise OdooRPCError(
                "odoo.exceptions.ValidationError", "; ".join(str(m.get("message")) for m in messages)
            )
        return [WriteResult(str(i)) for i in answer["ids"]]

    def _unlink(self, obj: ObjectSpec, ids: list[int]) -> list[WriteResult]:
        self.execute(obj.name, "unlink", ids)
        return [WriteResult(str(i)) for i in ids]


def isolating(items: list[Any], call: Callable[[list[Any]], list[WriteResult]]) -> list[WriteResult]:
    """Apply `call` to the batch; when the data is refused, halve until the bad records stand alone."""
    if not items:
        return []
    try:
        return call(items)
    except OdooRPCError as exc:
        if not exc.about_records:
            raise
        if len(items) == 1:
            return [WriteResult(None, error=exc.record_error())]
    middle = len(items) // 2
    return isolating(items[:middle], call) + isolating(items[middle:], call)


def _is_line_list(value: Any) -> bool:
    """A list of line dicts (not commands): what a mapping writes to a one2many."""
    return isinstance(value, list) and bool(value) and all(isinstance(item, Mapping) for item in value)
