"""Salesforce's error shapes: the REST error array, per-row SaveResult errors and Bulk API error cells.

The same error reads `{"errorCode": ...}` at the top of a REST response, `{"statusCode": ...}` inside a
sObject Collections row and `CODE:message:fields --` in a Bulk API 2.0 failedResults cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.emulators.server import Response

NO_SUCH_COLUMN_HINT = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom field "
    "name. Please reference your WSDL or the describe call for the appropriate names."
)
NO_SUCH_TYPE_HINT = (
    "If you are attempting to use a custom object, be sure to append the '__c' after the entity name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)
ROLLED_BACK = (
    "Record rolled back because not all records were valid and the request was using AllOrNone header"
)


@dataclass(frozen=True)
class SfError:
    """One Salesforce error: code, message and the fields it is about."""

    code: str
    message: str
    fields: tuple[str, ...] = ()

    def rest(self) -> dict[str, Any]:
        """The element of a top-level REST error array."""
        body: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields:
            body["fields"] = list(self.fields)
        return body

    def row(self) -> dict[str, Any]:
        """The element of a SaveResult's `errors` list."""
        return {"statusCode": self.code, "message": self.message, "fields": list(self.fields)}

    def bulk(self) -> str:
        """The `sf__Error` cell of a Bulk API failed row."""
        fields = f"{','.join(self.fields)} --" if self.fields else "--"
        return f"{self.code}:{self.message}:{fields}"


class ApiError(Exception):
    """Ends a request with an HTTP error status and Salesforce's JSON error array."""

    def __init__(self, status: int, *errors: SfError) -> None:
        super().__init__(errors[0].message if errors else str(status))
        self.status = status
        self.errors = errors

    def response(self) -> Response:
        return Response.json([error.rest() for error in self.errors], self.status)


class RowError(Exception):
    """A record that could not be written; carries every reason."""

    def __init__(self, *errors: SfError) -> None:
        super().__init__("; ".join(f"{e.code}: {e.message}" for e in errors))
        self.errors = errors


def not_found() -> ApiError:
    return ApiError(404, SfError("NOT_FOUND", "The requested resource does not exist"))


def entity_deleted() -> SfError:
    return SfError("ENTITY_IS_DELETED", "entity is deleted")


def bad_request(code: str, message: str, *fields: str) -> ApiError:
    return ApiError(400, SfError(code, message, tuple(fields)))


def invalid_type(name: str) -> SfError:
    return SfError("INVALID_TYPE", f"sObject type '{name}' is not supported. {NO_SUCH_TYPE_HINT}")


def query_error(code: str, soql: str, position: int, message: str) -> ApiError:
    """A SOQL error, pointing at the row and column of `soql` where it was found."""
    row = soql.count("\n", 0, position) + 1
    line_start = soql.rfind("\n", 0, position) + 1
    line_end = soql.find("\n", position)
    line = soql[line_start : line_end if line_end >= 0 else len(soql)]
    column = position - line_start + 1
    pointer = " " * (column - 1) + "^"
    text = f"\n{line}\n{pointer}\nERROR at Row:{row}:Column:{column}\n{message}"
    return ApiError(400, SfError(code, text))
