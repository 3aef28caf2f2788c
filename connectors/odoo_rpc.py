"""Odoo's JSON-RPC conventions for the Odoo connector: its error payloads (OdooRPCError) and the halving
of refused batches, its datetime text, and values turned from Odoo's form and into `load`'s text cells.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hub.errors import FatalAPIError
from hub.io.records import RecordError, WriteResult
from hub.io.redact import redact

ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"
RECORD_ERRORS = frozenset(
    {
        "odoo.exceptions.ValidationError",
        "odoo.exceptions.UserError",
        "builtins.ValueError",
        "odoo.exceptions.MissingError",
        "psycopg2.IntegrityError",
        "psycopg2.errors.ForeignKeyViolation",
        "psycopg2.errors.NotNullViolation",
        "psycopg2.errors.UniqueViolation",
        "builtins.TypeError",
    }
)


class OdooRPCError(FatalAPIError):
    """Odoo answered a call with an error payload (HTTP 200 with `error`)."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__("odoo", f"{name}: {message}", code=name)

    @property
    def about_records(self) -> bool:
        """Whether the data in the call caused it (so isolating records makes sense)."""
        return self.name in RECORD_ERRORS


def odoo_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(ODOO_DATETIME)


def parse_odoo_datetime(text: str) -> datetime:
    return datetime.strptime(text, ODOO_DATETIME).replace(tzinfo=UTC)


def _json_default(value: Any) -> Any:
    """Dates as Odoo writes them (Decimals never get here: `exactjson` writes them as numbers)."""
    if isinstance(value, datetime):
        return odoo_datetime(value) if value.tzinfo else value.strftime(ODOO_DATETIME)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to Odoo")


def _isolating(items: list[Any], call: Callable[[list[Any]], list[WriteResult]]) -> list[WriteResult]:
    """Apply `call` to the batch; when the data is refused, halve until the bad records stand alone."""
    if not items:
        return []
    try:
        return call(items)
    except OdooRPCError as exc:
        if not exc.about_records:
            raise
        if len(items) == 1:
            return [WriteResult(None, error=RecordError(exc.name.rsplit(".", 1)[-1], redact(str(exc))))]
    middle = len(items) // 2
    return _isolating(items[:middle], call) + _isolating(items[middle:], call)


def _from_odoo(value: Any, kind: str | None) -> Any:
    if value is False and kind != "boolean":
        return None
    if kind == "many2one" and isinstance(value, list) and len(value) == 2:
        return {"id": value[0], "name": value[1]}
    return value


def _load_text(value: Any, kind: str | None) -> str:
    if value is False or value is None:
        return "" if kind != "boolean" else "0"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _rpc_error(error: Mapping[str, Any]) -> OdooRPCError:
    data = error.get("data") or {}
    name = str(data.get("name") or error.get("message") or "odoo.error")
    return OdooRPCError(name, redact(str(data.get("message") or error.get("message") or ""))[:500])
