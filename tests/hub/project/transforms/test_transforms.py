from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.project.mapping import path_getter
from hub.project.transforms import (
    REGISTRY,
    CompileContext,
    TransformArgsError,
    TransformError,
    parse_duration,
)

CTX = CompileContext(getter=path_getter)


def make(name: str, args: Any = None) -> Any:
    return REGISTRY[name].factory(args, CTX)


def test_trim_strips_and_turns_blank_into_null() -> None:
    trim = make("trim")
    assert trim("  Ada  ") == "Ada"
    assert trim("   ") is None
    assert trim(42) == 42


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        ("lower", "ADA@Example.COM", "ada@example.com"),
        ("upper", "de", "DE"),
        ("title", "ada lovelace", "Ada Lovelace"),
        ("string", 12.5, "12.5"),
        ("string", True, "true"),
    ],
)
def test_text_transforms(name: str, given: Any, expected: Any) -> None:
    assert make(name)(given) == expected


def test_truncate_cuts_and_rejects_bad_limits() -> None:
    assert make("truncate", 3)("abcdef") == "abc"
    with pytest.raises(TransformArgsError, match="positive whole number"):
        make("truncate", -1)


def test_e164_reads_the_region_from_the_record() -> None:
    e164 = make("e164", {"region_field": "Country", "default_region": "US"})
    assert e164("030 1234567", {"Country": "DE"}) == "+49301234567"
    assert e164("(415) 555-0132", {"Country": None}) == "+14155550132"
    with pytest.raises(TransformError, match="not a phone number"):
        e164("n/a", {})


def test_e164_rejects_unknown_options() -> None:
    with pytest.raises(TransformArgsError, match="no option 'region'"):
        make("e164", {"region": "US"})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-01-15T14:22:10.456+0000", "2024-01-15T14:22:10.456Z"),
        ("2024-01-15T14:22:10.000+0000", "2024-01-15T14:22:10Z"),
        ("2024-01-15 14:22:10", "2024-01-15T14:22:10Z"),
        ("2024-01-15T16:22:10+02:00", "2024-01-15T14:22:10Z"),
        (1705328530000, "2024-01-15T14:22:10Z"),
    ],
)
def test_datetime_to_canonical_utc(given: Any, expected: str) -> None:
    assert make("datetime")(given) == expected


def test_datetime_naive_values_use_the_given_zone_and_presets_format_output() -> None:
    assert make("datetime", {"timezone": "Europe/Berlin"})("2024-01-15 15:22:10") == "2024-01-15T14:22:10Z"
    assert make("datetime", {"output": "odoo"})("2024-01-15T14:22:10Z") == "2024-01-15 14:22:10"
    assert (
        make("datetime", {"output": "salesforce"})("2024-01-15T14:22:10.5Z") == "2024-01-15T14:22:10.500+0000"
    )
    with pytest.raises(TransformError, match="not a date-time"):
        make("datetime")("yesterday")


def test_date_parses_and_formats() -> None:
    assert make("date")("2024-02-29") == "2024-02-29"
    assert make("date", {"input_format": "%d/%m/%Y"})("29/02/2024") == "2024-02-29"
    assert make("date", {"output": "%d.%m.%Y"})("2024-02-29") == "29.02.2024"
    with pytest.raises(TransformError):
        make("date")("2023-02-29")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1250000.00", "1250000.00"),
        (0.1, "0.1"),
        (12, "12"),
        ("-0", "0"),
        ("1e3", "1000"),
    ],
)
def test_decimal_is_exact_text(given: Any, expected: str) -> None:
    assert make("decimal")(given) == expected


def test_decimal_rounds_half_even_to_places() -> None:
    assert make("decimal", {"places": 2})("2.345") == "2.34"
    assert make("decimal", {"places": 2})("2.355") == "2.36"
    with pytest.raises(TransformError, match="not a number"):
        make("decimal")("12,50")


def test_decimal_as_number_is_an_exact_decimal_for_json_apis() -> None:
    exact = make("decimal", {"places": 2, "as": "number"})
    assert exact("12345678901234567.891") == Decimal("12345678901234567.89")
    assert str(exact("-0.001")) == "0.00" and str(make("decimal", {"as": "number"})(0.1)) == "0.1"
    with pytest.raises(TransformArgsError, match="text or number"):
        make("decimal", {"as": "float"})


def test_number_integer_boolean_coercion() -> None:
    assert make("number")("12") == 12
    assert make("number")("12.5") == 12.5
    assert make("integer")("42") == 42
    assert make("integer")(42.0) == 42
    with pytest.raises(TransformError, match="whole number"):
        make("integer")("4.2")
    boolean = make("boolean")
    assert [boolean(v) for v in ("yes", "0", 1, False, "TRUE")] == [True, False, True, False, True]
    with pytest.raises(TransformError):
        boolean("perhaps")


def test_map_with_and_without_default() -> None:
    table = make("map", {"values": {"Prospect": "prospect", "1": "one"}, "default": "other"})
    assert table("Prospect") == "prospect"
    assert table(1) == "one"
    assert table("Unknown") == "other"
    strict = make("map", {"values": {"a": "b"}})
    with pytest.raises(TransformError, match="not in the value map"):
        strict("z")
    with pytest.raises(TransformArgsError, match="needs the option 'values'"):
        make("map", {"default": 1})


def test_template_joins_fields_and_collapses_blanks() -> None:
    template = make("template", "{first_name} {last_name}")
    assert template({"first_name": "Ada", "last_name": "Lovelace"}) == "Ada Lovelace"
    assert template({"first_name": None, "last_name": "Lovelace"}) == "Lovelace"
    assert template({}) is None
    nested = make("template", "{address.city}, {address.country}")
    assert nested({"address": {"city": "Paris", "country": "FR"}}) == "Paris, FR"


def test_split_from_the_left_and_from_the_right() -> None:
    first = make("split", {"sep": " ", "maxsplit": 1, "reverse": True, "index": 0})
    last = make("split", {"sep": " ", "maxsplit": 1, "reverse": True, "index": 1})
    assert (first("Mary Ann Smith"), last("Mary Ann Smith")) == ("Mary Ann", "Smith")
    assert (first("Madonna"), last("Madonna")) == (None, "Madonna")
    assert make("split", {"sep": ","})("a,b") == ["a", "b"]


def test_coalesce_default_join_url() -> None:
    coalesce = make("coalesce", ["MobilePhone", "Phone"])
    assert coalesce({"MobilePhone": "", "Phone": "+1"}) == "+1"
    assert make("default", "n/a")(None) == "n/a"
    assert make("join", {"sep": ", "})(["a", None, "b"]) == "a, b"
    url = make("url")
    assert url("WWW.Acme.com/About") == "https://www.acme.com/About"
    assert url("http://x.org") == "http://x.org"
    with pytest.raises(TransformError):
        url("not a site")


def test_durations() -> None:
    assert parse_duration("5m") == timedelta(minutes=5)
    assert parse_duration(90) == timedelta(seconds=90)
    assert parse_duration("-1h") == timedelta(hours=-1)
    with pytest.raises(TransformArgsError):
        parse_duration("5 minutes")


def test_each_maps_every_line_with_its_own_transforms() -> None:
    lines = make(
        "each",
        {
            "sku": "product_id.default_code",
            "description": {"field": "name", "transforms": ["trim"]},
            "quantity": {"field": "product_uom_qty", "transforms": ["decimal"]},
        },
    )
    odoo_lines = [
        {"product_id": {"id": 4, "default_code": "W-1"}, "name": " Widget ", "product_uom_qty": 3.0},
        {"product_id": None, "name": "Shipping", "product_uom_qty": 1},
    ]
    assert lines(odoo_lines) == [
        {"sku": "W-1", "description": "Widget", "quantity": "3.0"},
        {"sku": None, "description": "Shipping", "quantity": "1"},
    ]
    with pytest.raises(TransformError, match="item 2: 'x' is not a number"):
        lines([odoo_lines[0], {"product_uom_qty": "x"}])
    with pytest.raises(TransformArgsError, match="cannot use the transform 'template'"):
        make("each", {"a": {"field": "b", "transforms": [{"template": "{c}"}]}})


def test_join_each_writes_lines_as_text() -> None:
    text = make("join_each", {"template": "{quantity} x {description} [{sku}] @ {unit_price}"})
    given = [{"quantity": "2", "description": "Widget", "sku": None, "unit_price": "19.99"}]
    fee = {"quantity": "1", "description": "Fee", "sku": "F-1"}
    assert text([*given, fee]) == "2 x Widget @ 19.99\n1 x Fee [F-1] @"  # [None] is left out
    assert text([]) is None
    with pytest.raises(TransformArgsError, match="does not build"):
        make("join_each", {"template": "{unclosed"})


def test_map_can_keep_the_values_it_does_not_list() -> None:
    blank_slash = make("map", {"values": {"/": None}, "others": "keep"})
    assert (blank_slash("/"), blank_slash("INV/2024/00001")) == (None, "INV/2024/00001")
    with pytest.raises(TransformArgsError, match="either a default or others"):
        make("map", {"values": {}, "default": 1, "others": "keep"})
