"""Writing records the way a description says: one per call (`write.parallel` of them at once), or in
batches; one result per record, in the ops' order.

An op with a target id is an update. Without one it is an upsert by hub id: the hub id goes into
`write.external_id`, and either the system's duplicate answer names the record to update instead
(`write.duplicate`, Freshdesk's 409), or a list filter on the external id finds it first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import requests

from connectors.rest.answers import ErrorReader, json_body
from connectors.rest.paths import first, put
from connectors.rest.spec import BatchSpec, Call, ObjectRest
from hub.io.records import Record, RecordError, WriteOp, WriteResult

Lookup = Callable[[str], str | None]
"""The id of the record whose external id holds this hub id, if any."""


class Transport(Protocol):
    """What a writer needs from its connector."""

    @property
    def errors(self) -> ErrorReader:
        """How the system's error answers read."""

    def send(
        self, method: str, template: str, body: Any, *, idempotent: bool, record_id: str | None = None
    ) -> requests.Response:
        """One write request to a path template (`{id}` = record_id); auth refusals raise."""

    def failure(self, method: str, what: str, response: requests.Response) -> Exception:
        """The error for an answer that is not about the record (a 5xx after retries, a 405)."""


class RecordWriter:
    """Writes one object's records through a connector's transport."""

    def __init__(
        self,
        transport: Transport,
        rest: ObjectRest,
        external_id: str | None,
        defaults: Record,
        lookup: Lookup | None = None,
    ) -> None:
        assert rest.write is not None
        self.rest = rest
        self.spec = rest.write
        self.transport = transport
        self.errors = transport.errors
        self.external_id = external_id
        self.defaults = defaults
        self.lookup = lookup

    def item(self, op: WriteOp) -> Record:
        """The record as written: the mapping's fixed values, the op's, and the hub id."""
        record = {**self.defaults, **op.values}
        return put(record, self.external_id, op.hub_id) if self.external_id else record

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """One result per op, in order."""
        batch = self.spec.batch
        if batch is None and self.spec.parallel > 1 and len(ops) > 1:
            with ThreadPoolExecutor(max_workers=min(self.spec.parallel, len(ops))) as pool:
                return list(pool.map(self.write_one, ops))  # map keeps the ops' order
        if batch is None:
            return [self.write_one(op) for op in ops]
        results: list[WriteResult] = []
        for start in range(0, len(ops), batch.size):
            results += BatchWriter(self, batch).write(ops[start : start + batch.size])
        return results

    # One record a call ----------------------------------------------------------------------
    def write_one(self, op: WriteOp) -> WriteResult:
        item = self.item(op)
        target = op.target_id or (self.lookup(op.hub_id) if self.lookup else None)
        if target is not None:
            return self.update(target, item)
        if self.spec.create is None:
            return _refused("unsupported", f"{self.rest.name} cannot be created (no write.create)")
        duplicate = self.spec.duplicate
        # With a duplicate answer, replaying a create whose outcome is unknown is safe: it updates.
        response = self._send(self.spec.create, None, item, idempotent=duplicate is not None)
        owner = self.errors.duplicate_owner(response, duplicate) if duplicate else None
        if owner is not None:
            return self.update(owner, item)
        return self.result(response, None, created=True)

    def update(self, record_id: str, item: Record) -> WriteResult:
        if self.spec.update is None:
            return _refused("unsupported", f"{self.rest.name} cannot be updated (no write.update)", record_id)
        return self.result(self._send(self.spec.update, record_id, item, idempotent=True), record_id)

    def _send(self, call: Call, record_id: str | None, item: Any, *, idempotent: bool) -> requests.Response:
        body = {self.spec.wrap: item} if self.spec.wrap else item
        return self.transport.send(call.method, call.path, body, idempotent=idempotent, record_id=record_id)

    def result(
        self, response: requests.Response, record_id: str | None, *, created: bool = False
    ) -> WriteResult:
        """The outcome of one record's answer; answers about something else raise."""
        status = response.status_code
        if status < 300:
            return WriteResult(self.written_id(json_body(response), response, record_id), created=created)
        if status == 404 and record_id is not None:
            return _refused("NotFound", f"{self.rest.name} {record_id} does not exist", record_id)
        if status in self.errors.spec.record:
            return WriteResult(record_id, error=self.errors.record_error(response))
        raise self.transport.failure(response.request.method or "POST", self.rest.name, response)

    def written_id(self, body: Any, response: requests.Response, record_id: str | None) -> str | None:
        """The id an answer gives the record: in the body (wrapped or not), else the Location header."""
        paths = [f"{self.spec.wrap}.{self.rest.primary_key}"] if self.spec.wrap else []
        found = first(body, [*paths, self.rest.primary_key]) if isinstance(body, dict) else None
        if found is None and response.headers.get("Location"):
            found = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        return str(found) if found is not None else record_id


class BatchWriter:
    """One batch call per kind (creates, updates), results read at `batch.results`, in order."""

    def __init__(self, writer: RecordWriter, batch: BatchSpec) -> None:
        self.writer = writer
        self.batch = batch

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        results: dict[int, WriteResult] = {}
        spec = self.writer.spec
        for call, chosen in ((spec.create, False), (spec.update, True)):
            picked = [(i, op) for i, op in enumerate(ops) if bool(op.target_id) == chosen]
            if not picked:
                continue
            if call is None:
                missing = "write.update" if chosen else "write.create"
                refused = _refused("unsupported", f"no {missing} described")
                results |= {i: WriteResult(op.target_id, error=refused.error) for i, op in picked}
                continue
            outcomes = self._call(call, [op for _, op in picked])
            results |= {i: outcome for (i, _), outcome in zip(picked, outcomes, strict=True)}
        return [results[i] for i in range(len(ops))]

    def _entry(self, op: WriteOp) -> Record:
        record = self.writer.item(op)
        key = self.writer.rest.primary_key
        if self.batch.item:
            entry: Record = {self.batch.item: record}
            return {key: op.target_id, **entry} if op.target_id else entry
        return {**record, key: op.target_id} if op.target_id else record

    def _call(self, call: Call, ops: list[WriteOp]) -> list[WriteResult]:
        body = {self.batch.wrap: [self._entry(op) for op in ops]}
        response = self.writer.transport.send(call.method, call.path, body, idempotent=call.method != "POST")
        if response.status_code >= 300:
            single = self.writer.result(response, None)  # the whole batch refused: each record is
            return [WriteResult(op.target_id, error=single.error) for op in ops]
        found = first(json_body(response), self.batch.results)
        items = found if isinstance(found, list) else []
        if len(items) != len(ops):
            message = f"the batch answered {len(items)} results for {len(ops)} records"
            return [_refused("batch_mismatch", message, op.target_id) for op in ops]
        return [self._outcome(item, op) for item, op in zip(items, ops, strict=True)]

    def _outcome(self, item: Any, op: WriteOp) -> WriteResult:
        found = first(item, self.writer.rest.primary_key) if isinstance(item, dict) else None
        if found is None:
            return WriteResult(op.target_id, error=self.writer.errors.error(item, None))
        return WriteResult(str(found), created=op.target_id is None)


def _refused(code: str, message: str, record_id: str | None = None) -> WriteResult:
    return WriteResult(record_id, error=RecordError(code, message))
