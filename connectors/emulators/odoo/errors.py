"""Odoo's exceptions as the RPC layer reports them, and their JSON-RPC and XML-RPC shapes.

The classes mirror `odoo.exceptions` (17.0) so the wire shows the names clients match on
(`odoo.exceptions.ValidationError`...); Python built-ins keep their own `builtins.X` names, as in
Odoo, where a bad domain or an unknown field surfaces as `builtins.ValueError`.
"""

from __future__ import annotations

import xmlrpc.client
from dataclasses import dataclass
from typing import Any, ClassVar

from connectors.emulators.server import Response

# XML-RPC fault codes of /xmlrpc/2 (odoo/addons/base/controllers/rpc.py).
FAULT_APPLICATION_ERROR = 1
FAULT_WARNING = 2
FAULT_ACCESS_DENIED = 3
FAULT_ACCESS_ERROR = 4


class OdooException(Exception):
    """Base of the emulated `odoo.exceptions` classes; `wire_name` is what clients see."""

    wire_name: ClassVar[str] = "odoo.exceptions.UserError"


class UserError(OdooException):
    """A business error shown to the user (`odoo.exceptions.UserError`)."""


class ValidationError(UserError):
    """A constraint refused the values (`odoo.exceptions.ValidationError`)."""

    wire_name = "odoo.exceptions.ValidationError"


class MissingError(UserError):
    """The record was deleted (`odoo.exceptions.MissingError`)."""

    wire_name = "odoo.exceptions.MissingError"


class AccessError(UserError):
    """The user may not do this (`odoo.exceptions.AccessError`)."""

    wire_name = "odoo.exceptions.AccessError"


class AccessDenied(UserError):
    """Bad credentials (`odoo.exceptions.AccessDenied`)."""

    wire_name = "odoo.exceptions.AccessDenied"

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


class DatabaseNotFound(OdooException):
    """The database named in the call does not exist: psycopg2 fails to connect."""

    wire_name = "psycopg2.OperationalError"

    def __init__(self, name: str) -> None:
        super().__init__(f'connection to server failed: FATAL:  database "{name}" does not exist\n')


PG_NOT_NULL = "23502"
PG_FOREIGN_KEY = "23503"
PG_UNIQUE = "23505"
PG_CHECK = "23514"


@dataclass
class IntegrityViolation(Exception):
    """A PostgreSQL constraint violation, before Odoo turns it into a ValidationError."""

    pgcode: str
    table: str
    pgmessage: str
    constraint: str | None = None
    column: str | None = None
    columns: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.pgmessage


def wire_name(exc: BaseException) -> str:
    """The exception's `module.Class` name as Odoo's `serialize_exception` reports it."""
    if isinstance(exc, OdooException):
        return exc.wire_name
    kind = type(exc)
    return f"{kind.__module__}.{kind.__name__}"


def exception_message(exc: BaseException) -> str:
    """Odoo's `exception_to_unicode`: the args joined by newlines."""
    if exc.args:
        return "\n".join(str(arg) for arg in exc.args)
    return str(exc)


def serialize_exception(exc: BaseException, debug: str, major: int = 17) -> dict[str, Any]:
    """The `error.data` object of a JSON-RPC error response; Odoo 19 puts `debug` last (the order its
    test_webjson2 asserts, and a 19.0 server's /jsonrpc answers show)."""
    data: dict[str, Any] = {"name": wire_name(exc), "debug": debug}
    data |= {"message": exception_message(exc), "arguments": list(exc.args), "context": {}}
    return data | {"debug": data.pop("debug")} if major >= 19 else data


def jsonrpc_error(exc: BaseException, debug: str, major: int = 17) -> dict[str, Any]:
    """The `error` member answered in HTTP 200: code 200 and "Odoo Server Error" in Odoo 17; code 0 from
    Odoo 19 (`JsonRPCDispatcher.handle_error`: "'code': 0,  # we don't care of this code")."""
    data = serialize_exception(exc, debug, major)
    return {"code": 0 if major >= 19 else 200, "message": "Odoo Server Error", "data": data}


def xmlrpc_fault(exc: BaseException, debug: str) -> xmlrpc.client.Fault:
    """The fault /xmlrpc/2 answers with: Odoo errors by class, anything else with the traceback."""
    if isinstance(exc, AccessError):
        return xmlrpc.client.Fault(FAULT_ACCESS_ERROR, str(exc))
    if isinstance(exc, AccessDenied):
        return xmlrpc.client.Fault(FAULT_ACCESS_DENIED, str(exc))
    if isinstance(exc, UserError):
        return xmlrpc.client.Fault(FAULT_WARNING, str(exc))
    return xmlrpc.client.Fault(FAULT_APPLICATION_ERROR, debug)


class SessionExpired(OdooException):
    """odoo.http.SessionExpiredException: a web route without a (live) session cookie."""

    wire_name = "odoo.http.SessionExpiredException"


class Unauthorized(Exception):
    """werkzeug.exceptions.Unauthorized: JSON-2 without a valid API key."""


class BadRequest(Exception):
    """werkzeug.exceptions.BadRequest: a JSON-2 body that is no JSON object."""


class NotFound(Exception):
    """werkzeug.exceptions.NotFound: JSON-2 on a model or method that does not exist (or is private)."""


class UnprocessableEntity(Exception):
    """werkzeug.exceptions.UnprocessableEntity: JSON-2 parameters that do not fit the method."""


WERKZEUG_STATUS: dict[type[BaseException], int] = {
    Unauthorized: 401,
    BadRequest: 400,
    NotFound: 404,
    UnprocessableEntity: 422,
}
JSON_UTF8 = "application/json; charset=utf-8"  # what Odoo's make_json_response sends


def json2_status(exc: BaseException) -> int:
    """The status Odoo 19's JSON-2 answers an exception with (`Json2Dispatcher.handle_error`): werkzeug's
    own status, a UserError's `http_status`, else 500 (a ValueError for an unknown field in a domain is
    a 500, as Odoo's test_webjson2 asserts)."""
    if type(exc) in WERKZEUG_STATUS:
        return WERKZEUG_STATUS[type(exc)]
    if isinstance(exc, AccessDenied):
        return 401
    if isinstance(exc, AccessError):
        return 403
    if isinstance(exc, MissingError):
        return 404
    if isinstance(exc, UserError):
        return 422
    return 500


def json2_error(
    exc: BaseException, status: int, debug: str = "", headers: dict[str, str] | None = None
) -> Response:
    """JSON-2's error body (`name`, `message`, `arguments`, `context`, `debug`, in that order) with its
    status; werkzeug's exceptions carry their status in `arguments`."""
    if type(exc) in WERKZEUG_STATUS:
        name = f"werkzeug.exceptions.{type(exc).__name__}"
        message = str(exc)
        arguments: list[Any] = [message, status]
    else:
        name, message, arguments = wire_name(exc), exception_message(exc), list(exc.args)
    body = {"name": name, "message": message, "arguments": arguments, "context": {}, "debug": debug}
    return Response.json(body, status, {"Content-Type": JSON_UTF8, **(headers or {})})
