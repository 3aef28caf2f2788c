"""Odoo's JSON-RPC conventions: its error payloads (OdooRPCError) and error pages, its datetime text,
and values turned from Odoo's form and into `load`'s text cells.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hub.errors import FatalAPIError
from hub.io.records import RecordError
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
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


class OdooRPCError(FatalAPIError):
    """Odoo answered a call with an error payload (HTTP 200 with `error`)."""

    def __init__(self, name: str, message: str, status: int | None = None) -> None:
        self.name = name
        super().__init__("odoo", f"{name}: {message}", status=status, code=name)

    @property
    def about_records(self) -> bool:
        """Whether the data in the call caused it (so isolating records makes sense)."""
        return self.name in RECORD_ERRORS

    def record_error(self) -> RecordError:
        """The error of the one record that caused it (`ValidationError: …`)."""
        return RecordError(self.name.rsplit(".", 1)[-1], redact(str(self)))


def rpc_error(error: Mapping[str, Any]) -> OdooRPCError:
    """The OdooRPCError of an answer's `error` payload (its exception name and message)."""
    data = error.get("data") or {}
    name = str(data.get("name") or error.get("message") or "odoo.error")
    return OdooRPCError(name, redact(str(data.get("message") or error.get("message") or ""))[:500])


def raised_by_the_method(body: Any) -> bool:
    """Whether an error answer is Odoo's error object naming what the called method raised: a Python
    built-in (`builtins.ValueError`: Odoo 19's JSON-2 answers it with a 500, as its test_webjson2 asserts
    for an unknown field in a domain) or an Odoo exception. The same call fails the same way again."""
    name = body.get("name") if isinstance(body, Mapping) else None
    return isinstance(name, str) and name.startswith(("builtins.", "odoo.exceptions."))


def error_page_text(body: str) -> str:
    """What an error page says: the paragraph of werkzeug's HTML page (what Odoo and Odoo.sh's proxy
    answer), else the body without its tags; redacted, on one line."""
    paragraph = _PARAGRAPH.search(body)
    text = paragraph.group(1) if paragraph else _TAG.sub(" ", body)
    return redact(" ".join(text.split()))[:500]


def odoo_datetime(moment: datetime) -> str:
    """A datetime as Odoo's naive UTC text (`2024-03-01 12:00:00`)."""
    return moment.astimezone(UTC).strftime(ODOO_DATETIME)


def parse_odoo_datetime(text: str) -> datetime:
    """Odoo's naive UTC datetime text as an aware datetime."""
    return datetime.strptime(text, ODOO_DATETIME).replace(tzinfo=UTC)


def json_default(value: Any) -> Any:
    """Dates as Odoo writes them (Decimals never get here: `exactjson` writes them as numbers)."""
    if isinstance(value, datetime):
        return odoo_datetime(value) if value.tzinfo else value.strftime(ODOO_DATETIME)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to Odoo")


def from_odoo(value: Any, kind: str | None) -> Any:
    """A value as Odoo reads it, for the hub: `false` as None (but for booleans), many2one as a dict."""
    if value is False and kind != "boolean":
        return None
    if kind == "many2one" and isinstance(value, list) and len(value) == 2:
        return {"id": value[0], "name": value[1]}
    return value


def load_text(value: Any, kind: str | None) -> str:
    """A value as a text cell of Odoo's import (`load`)."""
    if value is False or value is None:
        return "" if kind != "boolean" else "0"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
