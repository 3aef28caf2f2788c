"""Exceptions that say what went wrong and carry what an operator needs to act on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class HubError(Exception):
    """Base class of every error the hub raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem in a project file, reported as `path:line:column: message`."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class ConfigError(HubError):
    """The project (schemas, mappings, syncs, connections) is wrong; exit code 2."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            self.problems: list[Problem] = []
            super().__init__(problems)
        else:
            self.problems = problems
            super().__init__("\n".join(str(p) for p in problems))


class ConnectionNotFound(ConfigError):
    """No connection with this id is defined (no AIRFLOW_CONN_<ID> variable)."""


class MappingError(HubError):
    """A record could not be mapped: a transform refused its value."""

    def __init__(self, field: str, message: str, code: str = "mapping") -> None:
        self.field = field
        self.code = code
        self.message = message
        super().__init__(f"{field}: {message}")


class UnresolvedReference(MappingError):
    """A reference to another entity has no cross-reference yet."""

    def __init__(self, field: str, entity: str, system: str, value: str) -> None:
        self.entity = entity
        self.system = system
        self.value = value
        super().__init__(
            field,
            f"{entity} {value!s} has no {system} counterpart yet (sync the {entity} first)",
            code="unresolved_reference",
        )


class APIError(HubError):
    """A call to an external system failed; the message is already redacted."""

    def __init__(
        self, system: str, message: str, *, status: int | None = None, code: str | None = None
    ) -> None:
        self.system = system
        self.status = status
        self.code = code
        detail = f" (HTTP {status}{', ' + code if code else ''})" if status is not None else ""
        super().__init__(f"{system}: {message}{detail}")


class RetryableAPIError(APIError):
    """The system asked us to slow down or was briefly unavailable, and retries ran out."""


class FatalAPIError(APIError):
    """The system refused the request in a way that retrying cannot fix."""


class QuotaExhausted(FatalAPIError):
    """The system's request budget for a long period (a day, 24 hours) is spent: retrying in seconds or
    minutes cannot help, so the run stops at once and touches nothing more. `resets_at` is when the
    budget comes back, when the system says (the message says it too)."""

    def __init__(
        self,
        system: str,
        message: str,
        *,
        resets_at: datetime | None = None,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        self.resets_at = resets_at
        when = f"; the budget resets at {resets_at.isoformat(timespec='minutes')}" if resets_at else ""
        super().__init__(system, f"{message}{when}", status=status, code=code)


class AuthenticationError(FatalAPIError):
    """The credentials of a connection were refused or have expired."""


class LockError(HubError):
    """Another run of the same sync holds the lock."""


class OutcomeUnknown(RetryableAPIError):
    """The connection broke after a non-idempotent request was sent: it may or may not have applied."""


class UnsupportedOperation(HubError):
    """A connector was asked for something its system cannot do (e.g. reading deletes)."""
