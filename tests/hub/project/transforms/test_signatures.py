"""Every transform's declared signature: well formed, documented, and true to what its factory takes."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from hub.project.transforms import REGISTRY, CompileContext, TransformArgsError, parse_duration
from hub.project.transforms.signatures import args_problem, kind_words

CONTEXT = CompileContext(getter=lambda path: lambda record: record.get(path))
TAKING = sorted(name for name, spec in REGISTRY.items() if spec.args is not None)


def _walk(schema: Any) -> list[dict[str, Any]]:
    """`schema` and every schema inside it (properties, items, anyOf branches)."""
    if not isinstance(schema, dict):
        return []
    found = [schema]
    for key in ("properties", "$defs"):
        for inner in schema.get(key, {}).values():
            found += _walk(inner)
    for key in ("items", "additionalProperties"):
        found += _walk(schema.get(key))
    for key in ("anyOf", "oneOf"):
        for inner in schema.get(key, []):
            found += _walk(inner)
    return found


@pytest.mark.parametrize("name", TAKING)
def test_each_signature_is_a_documented_json_schema(name: str) -> None:
    schema = REGISTRY[name].args
    assert schema is not None
    Draft202012Validator.check_schema(schema)
    assert schema.get("description"), f"{name}: the arguments need a description"
    assert schema.get("examples"), f"{name}: the arguments need an example"
    for option, inner in schema.get("properties", {}).items():
        assert inner.get("description"), f"{name}: option {option!r} needs a description"


@pytest.mark.parametrize("name", TAKING)
def test_every_example_fits_the_signature_and_the_factory_takes_it(name: str) -> None:
    spec = REGISTRY[name]
    assert spec.args is not None
    for example in spec.args["examples"]:
        assert args_problem(spec, example) is None, (name, example)
        spec.factory(example, CONTEXT)  # raises if the declared signature promises what it refuses


@pytest.mark.parametrize("name", TAKING)
def test_every_default_fits_its_own_option(name: str) -> None:
    for schema in _walk(REGISTRY[name].args):
        if "default" in schema:
            errors = list(Draft202012Validator(schema).iter_errors(schema["default"]))
            assert not errors, (name, schema["default"], errors)


def test_transforms_without_arguments_refuse_them() -> None:
    problem = args_problem(REGISTRY["trim"], "both")
    assert problem is not None and problem.message == "trim takes no arguments, got 'both'"
    assert args_problem(REGISTRY["trim"], None) is None


@pytest.mark.parametrize(
    ("name", "args", "where", "message"),
    [
        ("truncate", -3, ("truncate",), "truncate needs a whole number of 1 or more, got -3"),
        ("truncate", "80", ("truncate",), "truncate needs a whole number, got '80'"),
        (
            "split",
            {"sep": ""},
            ("split", "sep"),
            "split: sep must not be empty (an empty separator splits nothing)",
        ),
        (
            "split",
            {"sepp": ","},
            ("split", "sepp"),
            "split has no option 'sepp' (did you mean 'sep'?); options are index, maxsplit, reverse, sep",
        ),
        ("split", {"index": "first"}, ("split", "index"), "split: index must be a whole number, got 'first'"),
        ("join", {"sep": 5}, ("join", "sep"), "join: sep must be text, got 5"),
    ],
)
def test_arguments_that_do_not_fit_are_told_where(
    name: str, args: Any, where: tuple[Any, ...], message: str
) -> None:
    problem = args_problem(REGISTRY[name], args)
    assert problem is not None
    assert (problem.where, problem.message) == (where, message)


def test_a_transform_needing_arguments_shows_an_example() -> None:
    problem = args_problem(REGISTRY["join_each"], None)
    assert problem is not None
    assert problem.message.startswith("join_each needs arguments, such as {join_each: {template: ")


def test_a_duration_no_calendar_holds_is_an_argument_error() -> None:
    with pytest.raises(TransformArgsError, match="longer than any duration can be"):
        parse_duration("9999999999d")


def test_kinds_in_words() -> None:
    assert kind_words(["string", "null"]) == "text"
    assert kind_words(["integer", "number"]) == "a number"
    assert kind_words(["boolean", "string", "number"]) == "true/false, a number or text"
