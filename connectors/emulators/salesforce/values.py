"""Field values in and out: JSON and CSV input checked against a field's type, and field-level rules.

Input is converted to Python values (str, int, float, bool, date, datetime) as Salesforce's own
deserializer would accept it; what it refuses raises `TypeMismatch` with Salesforce's wording.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connectors.emulators.salesforce.errors import ApiError, SfError, bad_request
from connectors.emulators.salesforce.ids import format_datetime, parse_date, parse_datetime
from connectors.emulators.salesforce.objects import FieldDef, SObjectDef

EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
INTEGER = re.compile(r"[+-]?\d+")
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
JSON_TYPE_NAMES = {"int": "int", "currency": "double", "double": "double", "boolean": "boolean"}
# In a Bulk API CSV an empty cell leaves the field alone and #N/A empties it.
BULK_NULL = "#N/A"


class TypeMismatch(Exception):
    """A value the field's type cannot hold."""

    def __init__(self, field: FieldDef, value: Any) -> None:
        super().__init__(f"{field.name}: {value!r}")
        self.field = field
        self.value = value

    def json_message(self) -> str:
        """Salesforce's JSON deserializer message for this value."""
        name = JSON_TYPE_NAMES.get(self.field.type, self.field.type if not self.field.is_text else "string")
        return (
            f"Cannot deserialize instance of {name} from {_json_token(self.value)} value {self.value} "
            "or request may be missing a required field"
        )

    def row_error(self) -> SfError:
        """The per-record error a Bulk API row gets for this value."""
        return SfError(
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
            f"{self.field.label}: value not of required type: {self.value}",
            (self.field.name,),
        )


def _json_token(value: Any) -> str:
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    if isinstance(value, dict):
        return "START_OBJECT"
    return "START_ARRAY" if isinstance(value, list) else "VALUE_STRING"


CENTS = Decimal("0.01")


def _text_from_json(field: FieldDef, value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, str):
        return value or None  # Salesforce stores an empty text as null
    raise TypeMismatch(field, value)


def _number(field: FieldDef, value: Any, integral: bool) -> Any:
    if isinstance(value, str) and (INTEGER if integral else NUMBER).fullmatch(value.strip()):
        value = int(value) if integral else Decimal(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise TypeMismatch(field, value)
    if integral and value != int(value):
        raise TypeMismatch(field, value)
    if integral:
        return int(value)
    if field.type == "currency":  # stored with the field's scale (2), rounded half up as Salesforce does
        return Decimal(repr(value) if isinstance(value, float) else value).quantize(CENTS, ROUND_HALF_UP)
    return float(value)


def _boolean(field: FieldDef, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise TypeMismatch(field, value)


def _temporal(field: FieldDef, value: Any) -> date | datetime:
    parsed = parse_datetime(value) if field.type == "datetime" else parse_date(value)
    if parsed is None:
        raise TypeMismatch(field, value)
    return parsed


def from_json(field: FieldDef, value: Any) -> Any:
    """The stored form of a JSON value for `field` (raises TypeMismatch)."""
    if value is None:
        return False if field.type == "boolean" else None
    if field.is_text:
        return _text_from_json(field, value)
    if field.type in ("int", "currency", "double"):
        return _number(field, value, field.type == "int")
    if field.type == "boolean":
        return _boolean(field, value)
    return _temporal(field, value)


def from_text(field: FieldDef, text: str) -> Any:
    """The stored form of a non-empty CSV cell for `field` (raises TypeMismatch)."""
    if text == BULK_NULL:
        return False if field.type == "boolean" else None
    if field.is_text:
        return text
    return from_json(field, text)


def to_json(value: Any) -> Any:
    """A stored value as Salesforce writes it in JSON."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_text(value: Any) -> str:
    """A stored value as Salesforce writes it in a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(to_json(value))


def check_fields(sobject: SObjectDef, values: dict[str, Any], *, creating: bool) -> list[SfError]:
    """Field-level problems of a create (`creating`) or of the changed `values` of an update."""
    readonly = [name for name in values if sobject.by_name[name.lower()].readonly]
    if readonly:
        return [
            SfError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(readonly)}. Please check the security "
                "settings of this field and verify that it is read/write for your profile or permission set.",
                tuple(readonly),
            )
        ]
    missing = [
        f.name
        for f in sobject.fields
        if f.required and (f.name in values or creating) and not values.get(f.name)
    ]
    errors = [SfError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]",
                      tuple(missing))] if missing else []  # fmt: skip
    for name, value in values.items():
        errors += _value_errors(sobject.by_name[name.lower()], value)
    return errors


def _value_errors(field: FieldDef, value: Any) -> list[SfError]:
    if not isinstance(value, str):
        return []
    if field.length and field.is_text and len(value) > field.length:
        message = f"{field.label}: data value too large: {value} (max length={field.length})"
        return [SfError("STRING_TOO_LONG", message, (field.name,))]
    if field.type == "email" and not EMAIL.fullmatch(value):
        return [
            SfError("INVALID_EMAIL_ADDRESS", f"{field.label}: invalid email address: {value}", (field.name,))
        ]
    return []


def record_from_json(
    sobject: SObjectDef, body: Any, skip: tuple[str, ...] = ("attributes",)
) -> dict[str, Any]:
    """A JSON record as canonical field names and stored values; 400 as Salesforce answers bad ones."""
    if not isinstance(body, dict):
        raise bad_request(
            "JSON_PARSER_ERROR", f"Cannot deserialize instance of {sobject.name} from {_json_token(body)}"
        )
    values: dict[str, Any] = {}
    for key, raw in body.items():
        if key in skip:
            continue
        field = sobject.field(key)
        if field is None:
            raise bad_request("INVALID_FIELD", f"No such column '{key}' on sobject of type {sobject.name}")
        try:
            values[field.name] = from_json(field, raw)
        except TypeMismatch as exc:
            raise ApiError(400, SfError("JSON_PARSER_ERROR", exc.json_message())) from None
    return values
