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
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        *,
        typed: bool = True,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors
        self.typed = typed

    def response(self) -> Response:
        return problem(self.status, self.title, self.detail, self.errors, typed=self.typed)


def problem(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    *,
    typed: bool = True,
    **headers: str,
) -> Response:
    """An error answer in Mailchimp's problem+json shape (without `type` when not `typed`, as the real
    API answers "Member Exists")."""
    body: dict[str, Any] = {
        **({"type": ERROR_TYPE} if typed else {}),
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


def member_exists(email: str) -> MailchimpProblem:
    """400 "Member Exists", which the real API answers without a `type`
    (tests/fixtures/real/mailchimp/member_exists.json)."""
    return MailchimpProblem(
        400,
        "Member Exists",
        f"{email} is already a list member. Use PUT to insert or update list members.",
        typed=False,
    )


SHAPELESS_EMAIL = "Please provide a valid email address."  # an address without an @, as answered


def not_found() -> MailchimpProblem:
    return MailchimpProblem(404, "Resource Not Found", "The requested resource could not be found.")
