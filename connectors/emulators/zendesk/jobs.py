"""Zendesk's background jobs: what `*_many` endpoints answer, and `GET /api/v2/job_statuses/{id}`.

The emulator applies a batch when it is posted (so a fault injected later never half-applies it),
but reports the job the way Zendesk does: `queued` in the POST answer, then `working` with partial
`progress`, then `completed` with one result per item in request order. Only the last 100 jobs are
kept, as in Zendesk.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from connectors.emulators.zendesk.store import Outcome

KEPT_JOBS = 100


@dataclass
class Job:
    """One background job and what it did to each item."""

    id: str
    url: str
    outcomes: list[Outcome]
    extra: list[dict[str, Any]]  # per item: fields echoed in results (a user's email)
    finished_at: str
    polls: int = 0
    polls_to_complete: int = 2

    def status(self) -> str:
        if self.polls == 0:
            return "queued"
        return "working" if self.polls < self.polls_to_complete else "completed"

    def as_json(self) -> dict[str, Any]:
        status = self.status()
        total = len(self.outcomes)
        done = status == "completed"
        progress = None if status == "queued" else (total if done else total // 2)
        return {
            "id": self.id,
            "url": self.url,
            "total": total,
            "progress": progress,
            "status": status,
            "message": f"Completed at {self.finished_at}" if done else None,
            "results": [self._result(i) for i in range(total)] if done else None,
        }

    def _result(self, index: int) -> dict[str, Any]:
        outcome = self.outcomes[index]
        item: dict[str, Any] = {"index": index}
        if outcome.id is not None:
            item["id"] = outcome.id
        if outcome.error is not None:
            item.update(error=outcome.error, details=outcome.details, status="Failed")
            return item
        action = "create" if outcome.status == "Created" else "update"
        item.update(status=outcome.status, action=action, success=True)  # as a recorded job shows
        item.update(self.extra[index])
        return item


@dataclass
class JobBoard:
    """The account's recent jobs, oldest first; the 101st pushes out the first."""

    polls_to_complete: int = 2
    jobs: OrderedDict[str, Job] = field(default_factory=OrderedDict)
    counter: int = 0

    def add(self, base: str, outcomes: list[Outcome], extra: list[dict[str, Any]], finished_at: str) -> Job:
        self.counter += 1
        digest = hashlib.sha1(f"job-{self.counter}".encode()).hexdigest()
        job_id = f"V3-{digest[:32]}"
        job = Job(
            job_id,
            f"{base}/api/v2/job_statuses/{job_id}.json",
            outcomes,
            extra,
            finished_at,
            polls_to_complete=self.polls_to_complete,
        )
        self.jobs[job_id] = job
        while len(self.jobs) > KEPT_JOBS:
            self.jobs.popitem(last=False)
        return job

    def poll(self, job_id: str) -> dict[str, Any] | None:
        """The job's status as a GET shows it (each GET moves a running job along), or None."""
        job = self.jobs.get(job_id)
        if job is None:
            return None
        job.polls += 1
        return job.as_json()
