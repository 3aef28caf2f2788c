"""Mailchimp's batch operations (`/3.0/batches`): many API calls in one request, run in the background.

    POST   /3.0/batches        {"operations": [{method, path, params?, body? (a JSON string), operation_id?}]}
                               → the batch, `status` "pending"
    GET    /3.0/batches/{id}   `pending` → `started` → `finished` as it is polled, with
                               `total_operations`, `finished_operations`, `errored_operations` and, once
                               finished, `response_body_url`: a gzipped tar of JSON files, each a list of
                               `{status_code, operation_id, response}` (the response a JSON string)
    GET    /3.0/batches        every batch (`count`, `offset`), `total_items`
    DELETE /3.0/batches/{id}   stops and forgets a batch (204)

The operations run when the batch is submitted, in order, each answered as the same request alone
would be; the status moves on as it is polled, as a real batch moves on while clients wait for it.
"""

from __future__ import annotations

import io
import json
import secrets
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.emulators.mailchimp.errors import invalid_resource, not_found
from connectors.emulators.server import Request, Response

Operation = Callable[[str, str, dict[str, Any], bytes], Response]
STAGES = ("pending", "started", "finished")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class Batch:
    id: str
    total: int
    results: list[dict[str, Any]]
    submitted_at: str
    polls: int = 0
    completed_at: str = ""
    archive: bytes = field(default=b"", repr=False)

    @property
    def stage(self) -> str:
        return STAGES[min(self.polls, len(STAGES) - 1)]

    def view(self, base: str) -> dict[str, Any]:
        finished = self.stage == "finished"
        errored = sum(1 for r in self.results if r["status_code"] >= 400)
        done = self.total if finished else (self.total // 2 if self.stage == "started" else 0)
        return {
            "id": self.id,
            "status": self.stage,
            "total_operations": self.total,
            "finished_operations": done,
            "errored_operations": errored if finished else 0,
            "submitted_at": self.submitted_at,
            "completed_at": self.completed_at if finished else "",
            "response_body_url": f"{base}/batch-results/{self.id}.tar.gz" if finished else "",
            "_links": [],
        }


class BatchOperations:
    """The account's batches; `run(method, path, params, body)` answers one operation."""

    def __init__(self, run: Operation) -> None:
        self.run = run
        self.batches: dict[str, Batch] = {}

    def submit(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            body = None
        operations = body.get("operations") if isinstance(body, dict) else None
        if not isinstance(operations, list):
            raise invalid_resource("operations", "Schema describes array, NULL found instead")
        results = []
        for number, op in enumerate(operations):
            if not isinstance(op, dict) or not op.get("method") or not op.get("path"):
                raise invalid_resource(f"operations item {number}", "method and path are required")
            sent = op.get("body") or ""
            answer = self.run(
                str(op["method"]), str(op["path"]), dict(op.get("params") or {}), str(sent).encode()
            )
            results.append(
                {
                    "status_code": answer.status,
                    "operation_id": op.get("operation_id"),
                    "response": answer.body.decode() or "{}",
                }
            )
        batch = Batch(secrets.token_hex(5), len(operations), results, _now())
        batch.archive = _tarball(batch.id, results)
        batch.completed_at = _now()
        self.batches[batch.id] = batch
        return Response.json(batch.view(_base(request)))

    def status(self, request: Request) -> Response:
        batch = self._get(request.params["batch_id"])
        shown = batch.view(_base(request))
        batch.polls += 1
        return Response.json(shown)

    def listing(self, request: Request) -> Response:
        count = int(request.arg("count", "10") or 10)
        offset = int(request.arg("offset", "0") or 0)
        shown = [b.view(_base(request)) for b in self.batches.values()]
        return Response.json(
            {"batches": shown[offset : offset + count], "total_items": len(shown), "_links": []}
        )

    def delete(self, request: Request) -> Response:
        self._get(request.params["batch_id"])
        del self.batches[request.params["batch_id"]]
        return Response.empty(204)

    def results(self, request: Request) -> Response:
        batch = self._get(request.params["batch_id"])
        return Response(200, batch.archive, {"Content-Type": "application/x-gzip"})

    def _get(self, batch_id: str) -> Batch:
        batch = self.batches.get(batch_id)
        if batch is None:
            raise not_found()
        return batch


def _base(request: Request) -> str:
    return f"http://{request.headers.get('Host') or 'localhost'}"


def _tarball(batch_id: str, results: list[dict[str, Any]]) -> bytes:
    """The results as Mailchimp packs them: a gzipped tar holding a JSON file of the responses."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        content = json.dumps(results).encode()
        info = tarfile.TarInfo(f"{batch_id}/{batch_id}.json")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


__all__ = ["BatchOperations"]
