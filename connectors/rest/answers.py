"""Error answers read the way a description says: message, code and fields at body paths.

    reader = ErrorReader(spec.errors)
    reader.record_error(response)
    # RecordError("missing_field", "name: It should be a/an String", ("name",))

Everything that leaves here is redacted and cut to a readable length. `json_body` (the parsed body or
None) is `hub.io.rest`'s, named here too for the readers and writers.
"""

from __future__ import annotations

from typing import Any

import requests

from connectors.rest.paths import collect, first
from connectors.rest.spec import DuplicateSpec, ErrorSpec
from hub.io.records import RecordError
from hub.io.redact import redact
from hub.io.rest import json_body

LONGEST = 500


class ErrorReader:
    """Finds the message, code and refused fields in a system's error bodies."""

    def __init__(self, spec: ErrorSpec) -> None:
        self.spec = spec

    def code(self, body: Any) -> str | None:
        """The machine-readable code of an error body (the first one of a list)."""
        found = first(body, self.spec.code) if isinstance(body, (dict, list)) else None
        return str(found) if isinstance(found, (str, int)) else None

    def error(self, body: Any, status: int | None, text: str = "") -> RecordError:
        """One error body (a whole answer, or one item of a batch's results) as a RecordError."""
        if not isinstance(body, (dict, list)):
            shown = text.strip() or (f"HTTP {status}" if status else "refused")
            return RecordError(f"HTTP{status}" if status else "refused", redact(shown)[:LONGEST])
        messages = [str(m) for m in collect(body, self.spec.message) if isinstance(m, (str, int, float))]
        fields = tuple(str(f) for f in collect(body, self.spec.field) if isinstance(f, str))
        if fields and len(fields) == len(messages):
            message = "; ".join(f"{f}: {m}" for f, m in zip(fields, messages, strict=True))
        else:
            message = "; ".join(messages) or str(body)
        code = self.code(body) or (f"HTTP{status}" if status else "refused")
        return RecordError(code, redact(message)[:LONGEST], fields)

    def record_error(self, response: requests.Response) -> RecordError:
        """Why the system refused the record of this answer."""
        return self.error(json_body(response), response.status_code, response.text)

    def detail(self, response: requests.Response) -> tuple[str | None, str]:
        """The code and readable message of any error answer (redacted)."""
        error = self.record_error(response)
        code = None if error.code.startswith("HTTP") else error.code
        return code, error.message

    def duplicate_owner(self, response: requests.Response, duplicate: DuplicateSpec) -> str | None:
        """The id of the existing record a duplicate answer names, when the answer is one."""
        if response.status_code != duplicate.status:
            return None
        body = json_body(response)
        codes = [str(c) for c in collect(body, self.spec.code)]
        if duplicate.code is not None and duplicate.code not in codes:
            return None
        owner = first(body, duplicate.id)
        return None if owner is None else str(owner)


__all__ = ["ErrorReader", "json_body"]
