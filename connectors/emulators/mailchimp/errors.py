"""Mailchimp's error answers: `application/problem+json` bodies with type, title, status, detail, instance.

>>> problem(404, "Resource Not Found", "The requested resource could not be found.").status
404
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from connectors.emulators.server import Response

ERROR_TYPE = "https://mailchimp.com/developer/marketing/docs/errors/"
INVALID_RESOURCE_DETAIL = (
    "The resource submitted could not be validated. For field-specific details, see the 'errors' array."
)


class MailchimpProblem(Exception):
    """Raised inside a handler: answer with this problem instead of a result."""

    def __init__(
        self, status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors

    def response(self) -> Response:
        return problem(self.status, self.title, self.detail, self.errors)


def problem(
    status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None, **headers: str
) -> Response:
    """An error answer in Mailchimp's problem+json shape."""
    body: dict[str, Any] = {
        "type": ERROR_TYPE,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(uuid.uuid4()),
    }
    if errors is not None:
        body["errors"] = errors
    payload = json.dumps(body, separators=(",", ":")).encode()
    return Response(status, payload, {"Content-Type": "application/problem+json; charset=utf-8", **headers})


def invalid_resource(field: str, message: str) -> MailchimpProblem:
    """400 Invalid Resource naming one field, as schema validation failures answer."""
    return MailchimpProblem(
        400, "Invalid Resource", INVALID_RESOURCE_DETAIL, [{"field": field, "message": message}]
    )


def fake_email(email: str) -> str:
    """The message Mailchimp gives for an address it refuses."""
    return f"{email} looks fake or invalid, please enter a real email address."


def not_found() -> MailchimpProblem:
    return MailchimpProblem(404, "Resource Not Found", "The requested resource could not be found.")
