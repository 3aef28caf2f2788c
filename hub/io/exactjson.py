"""JSON text with exact decimal numbers: `Decimal("1234567890123.45")` is written as the number
1234567890123.45, never through a binary float (which keeps only about 16 significant digits).

    >>> dumps({"amount": Decimal("0.10")})
    '{"amount": 0.10}'

The standard encoder cannot emit a number it did not format itself, so each Decimal is written first
as a placeholder string unique to the call, then replaced by its digits.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any


def dumps(value: Any, *, default: Callable[[Any], Any] | None = None, **options: Any) -> str:
    """`json.dumps` that writes every Decimal as the exact number it holds (ValueError for NaN/∞)."""
    token = uuid.uuid4().hex
    digits: list[str] = []

    def encode(item: Any) -> Any:
        if isinstance(item, Decimal):
            if not item.is_finite():
                raise ValueError(f"{item} cannot be written as a JSON number")
            digits.append(format(item, "f"))
            return f"{token}{len(digits) - 1}"
        if default is not None:
            return default(item)
        raise TypeError(f"Object of type {type(item).__name__} is not JSON serializable")

    text = json.dumps(value, default=encode, **options)
    if not digits:
        return text
    return re.sub(f'"{token}(\\d+)"', lambda found: digits[int(found.group(1))], text)


def loads(text: str | bytes) -> Any:
    """`json.loads` reading every number with a fraction or exponent as a Decimal."""
    return json.loads(text, parse_float=Decimal)
