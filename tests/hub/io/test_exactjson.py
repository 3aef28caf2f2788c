"""hub/exactjson.py: decimals written and read as exact JSON numbers."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from hub.io.exactjson import dumps, loads

AWKWARD = ["0.10", "0.30", "-0.01", "1234567.89", "12345678901234567.89", "59.97", "0.005"]


def test_awkward_amounts_survive_a_round_trip_digit_for_digit() -> None:
    text = dumps({"amounts": [Decimal(a) for a in AWKWARD], "note": "0.10"})
    assert text == json.dumps({"amounts": [0], "note": "0.10"}).replace("[0]", "[" + ", ".join(AWKWARD) + "]")
    back = loads(text)
    assert [str(a) for a in back["amounts"]] == AWKWARD and back["note"] == "0.10"
    assert float(Decimal("12345678901234567.89")) != Decimal("12345678901234567.89")  # why floats won't do


def test_a_string_that_looks_like_the_placeholder_stays_a_string() -> None:
    assert loads(dumps({"a": Decimal("1.5"), "b": "0"})) == {"a": Decimal("1.5"), "b": "0"}


def test_non_finite_decimals_and_unknown_types_are_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        dumps([Decimal("NaN")])
    with pytest.raises(TypeError, match="set"):
        dumps({1, 2})
    assert dumps({"when": object}, default=lambda _: "x") == '{"when": "x"}'
