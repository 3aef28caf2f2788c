"""Validation of canonical records: `jsonschema` as the reference, a compiled validator as the hot path.

`schema_flaws` says what keeps a schema from being used at all (a `pattern` that is not a regular
expression, a `$ref` to nothing or back to itself): `Project.load` refuses such a schema, located,
so neither validator ever meets one.

`compile_validator` turns a schema (within the subset the canonical models use) into one Python
function that answers valid/invalid with no interpretation per record. When that function says
"invalid", `CanonicalValidator.errors` asks `jsonschema` for the reasons, so quarantine reasons always
come from the reference. A schema using a keyword outside the subset is not compiled at all: the
reference validator then serves alone, and verdicts stay identical by construction.
"""

from __future__ import annotations

import difflib
import numbers
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from jsonschema import Draft202012Validator
from jsonschema._utils import equal, uniq
from referencing import Registry
from referencing.exceptions import PointerToNowhere, Unresolvable
from referencing.jsonschema import DRAFT202012

from hub.project.codegen import GeneratedCode, load_generated
from hub.project.formats import FORMATS, format_checker
from hub.project.schemapaths import SAME_VALUE, SchemaPath, every_subschema, subschemas

Check = Callable[[Any], bool]

ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$defs",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
        "readOnly",
        "writeOnly",
        "deprecated",
        "version",
    }
)
SUPPORTED = (
    frozenset(
        {
            "type",
            "enum",
            "const",
            "format",
            "pattern",
            "minLength",
            "maxLength",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "properties",
            "required",
            "additionalProperties",
            "items",
            "minItems",
            "maxItems",
            "uniqueItems",
            "$ref",
        }
    )
    | ANNOTATIONS
)

OBJECT_KEYWORDS = ("properties", "required", "additionalProperties")
ARRAY_KEYWORDS = ("items", "minItems", "maxItems", "uniqueItems")
_TYPE_TESTS = {
    "string": "isinstance({v}, str)",
    "null": "{v} is None",
    "boolean": "isinstance({v}, bool)",
    "integer": "_is_integer({v})",
    "number": "_is_number({v})",
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
}


class UnsupportedSchema(Exception):
    """The schema uses a keyword the compiler does not implement."""


def _types(schema: dict[str, Any]) -> frozenset[str] | None:
    if "type" not in schema:
        return None
    declared = schema["type"]
    return frozenset(declared if isinstance(declared, list) else [declared])


def _guarded(tests: list[str], var: str, types: frozenset[str] | None, kind: str, otherwise: str) -> str:
    """Constraints that apply to one kind of value only, guarded as little as the declared type allows."""
    if not tests:
        return ""
    body = " and ".join(tests)
    if types is None:
        return f"{otherwise} or ({body})"
    kinds = {"integer", "number"} if kind == "number" else {kind}
    if not types & kinds:
        return ""
    others = types - kinds
    if not others:
        return body
    if others == {"null"}:
        return f"{var} is None or ({body})"
    return f"{otherwise} or ({body})"


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    # jsonschema counts 1.0 as an integer and True as not one; so must we.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _in_enum(value: Any, options: tuple[Any, ...]) -> bool:
    return any(equal(value, option) for option in options)


class _Compiler:
    """Generates the source of one validator function per object/array subschema."""

    def __init__(self, resolver: Any) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {
            "_is_number": _is_number,
            "_is_integer": _is_integer,
            "_in_enum": _in_enum,
            "_equal": equal,
            "_uniq": uniq,
            "_MISSING": object(),
        }
        self.functions: dict[int, str] = {}
        self.resolvers: list[Any] = [resolver]
        self.expanding: set[int] = set()
        self.recursive: dict[int, str] = {}
        self.counter = 0

    def constant(self, value: Any, prefix: str = "c") -> str:
        name = f"_{prefix}{len(self.constants)}"
        self.constants[name] = value
        return name

    def check_expression(self, schema: Any, var: str) -> str:
        """A boolean Python expression that is true when `var` satisfies `schema`."""
        if schema is True or schema == {}:
            return "True"
        if schema is False:
            return "False"
        if not isinstance(schema, dict):
            raise UnsupportedSchema(f"schema must be an object, got {schema!r}")
        unknown = {k for k in schema if k not in SUPPORTED and not k.startswith("x-")}
        if unknown:
            raise UnsupportedSchema(f"keywords {sorted(unknown)}")
        types = _types(schema)
        parts = [
            p
            for p in (
                self._ref(schema, var),
                self._type(types, var),
                self._enum(schema, var, types),
                self._strings(schema, var, types),
                self._numbers(schema, var, types),
            )
            if p
        ]
        if self._needs_function(schema):
            parts.append(f"{self._function_for(schema)}({var})")
        return " and ".join(f"({p})" for p in parts) or "True"

    def _ref(self, schema: dict[str, Any], var: str) -> str:
        """The referenced schema's check, inlined (a function only when the reference recurses)."""
        if "$ref" not in schema:
            return ""
        resolved = self.resolvers[-1].lookup(schema["$ref"])
        key = id(resolved.contents)
        if key in self.functions:
            return f"{self.functions[key]}({var})"
        if key in self.expanding:
            name = self.functions[key] = f"_ref{len(self.functions)}"
            self.recursive[key] = name
            return f"{name}({var})"
        self.expanding.add(key)
        self.resolvers.append(resolved.resolver)
        body = self.check_expression(resolved.contents, "v" if key in self.recursive else var)
        if key in self.recursive:
            self.lines += [f"def {self.recursive[key]}(v):", f"    return {body}", ""]
            body = f"{self.recursive[key]}({var})"
        self.resolvers.pop()
        self.expanding.discard(key)
        return body

    def _type(self, types: frozenset[str] | None, var: str) -> str:
        if types is None:
            return ""
        order = ["string", "null", "boolean", "integer", "number", "object", "array"]
        return " or ".join(_TYPE_TESTS[t].format(v=var) for t in sorted(types, key=order.index))

    def _enum(self, schema: dict[str, Any], var: str, types: frozenset[str] | None) -> str:
        parts = []
        if "enum" in schema:
            options = tuple(schema["enum"])
            if all(isinstance(o, str) or o is None for o in options):
                strings = self.constant(frozenset(o for o in options if isinstance(o, str)), "enum")
                safe = types is not None and types <= {"string", "null"}  # hashable: type checked first
                test = f"{var} in {strings}" if safe else f"(isinstance({var}, str) and {var} in {strings})"
                parts.append(f"{var} is None or {test}" if None in options else test)
            else:
                parts.append(f"_in_enum({var}, {self.constant(options, 'enum')})")
        if "const" in schema:
            parts.append(f"_equal({var}, {self.constant(schema['const'])})")
        return " and ".join(f"({p})" for p in parts)

    def _strings(self, schema: dict[str, Any], var: str, types: frozenset[str] | None) -> str:
        tests = []
        if "minLength" in schema:
            tests.append(f"len({var}) >= {int(schema['minLength'])}")
        if "maxLength" in schema:
            tests.append(f"len({var}) <= {int(schema['maxLength'])}")
        if "pattern" in schema:
            regex = self.constant(re.compile(schema["pattern"]).search, "re")
            tests.append(f"{regex}({var}) is not None")
        if schema.get("format") in FORMATS:
            tests.append(f"{self.constant(FORMATS[schema['format']], 'fmt')}({var})")
        return _guarded(tests, var, types, "string", f"not isinstance({var}, str)")

    def _numbers(self, schema: dict[str, Any], var: str, types: frozenset[str] | None) -> str:
        operators = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
        tests = [f"{var} {op} {self.constant(schema[k])}" for k, op in operators.items() if k in schema]
        return _guarded(tests, var, types, "number", f"not _is_number({var})")

    @staticmethod
    def _needs_function(schema: dict[str, Any]) -> bool:
        return any(k in schema for k in OBJECT_KEYWORDS + ARRAY_KEYWORDS)

    def _function_for(self, schema: dict[str, Any]) -> str:
        self.counter += 1
        name = f"_f{self.counter}"
        body: list[str] = []
        self._object_body(schema, body)
        self._array_body(schema, body)
        self.lines += [f"def {name}(v):", *body, "    return True", ""]
        return name

    def _object_body(self, schema: dict[str, Any], body: list[str]) -> None:
        if not any(k in schema for k in OBJECT_KEYWORDS):
            return
        body.append("    if isinstance(v, dict):")
        required = schema.get("required", [])
        if required:
            names = self.constant(frozenset(required), "req")
            body.append(f"        if not {names}.issubset(v): return False")
        properties: dict[str, Any] = schema.get("properties", {})
        for index, (prop, sub) in enumerate(properties.items()):
            item, check = f"p{index}", self.check_expression(sub, f"p{index}")
            if prop in required:  # present: checked just above
                body += [f"        {item} = v[{prop!r}]", f"        if not ({check}): return False"]
            elif self._accepts_none(sub):  # an absent property then reads as None and passes alike
                body += [f"        {item} = v.get({prop!r})", f"        if not ({check}): return False"]
            else:
                body += [
                    f"        {item} = v.get({prop!r}, _MISSING)",
                    f"        if {item} is not _MISSING and not ({check}): return False",
                ]
        self._additional(schema, frozenset(properties), body)

    def _accepts_none(self, sub: Any) -> bool:
        """Whether null satisfies a subschema, asked of the reference validator itself."""
        # `_resolver` is how jsonschema itself evaluates a subschema in its document's context.
        validator = Draft202012Validator(sub, _resolver=self.resolvers[-1])  # type: ignore[call-arg]
        return bool(validator.is_valid(None))

    def _additional(self, schema: dict[str, Any], known: frozenset[str], body: list[str]) -> None:
        extra = schema.get("additionalProperties", True)
        if extra is True:
            return
        names = self.constant(known, "props")
        if extra is False:
            body.append(f"        if not {names}.issuperset(v): return False")
            return
        test = self.check_expression(extra, "x")
        body.append("        for k, x in v.items():")
        body.append(f"            if k not in {names} and not ({test}): return False")

    def _array_body(self, schema: dict[str, Any], body: list[str]) -> None:
        if not any(k in schema for k in ARRAY_KEYWORDS):
            return
        body.append("    if isinstance(v, list):")
        if "minItems" in schema:
            body.append(f"        if len(v) < {int(schema['minItems'])}: return False")
        if "maxItems" in schema:
            body.append(f"        if len(v) > {int(schema['maxItems'])}: return False")
        if schema.get("uniqueItems"):
            body.append("        if not _uniq(v): return False")
        if "items" in schema:
            body.append("        for x in v:")
            body.append(f"            if not ({self.check_expression(schema['items'], 'x')}): return False")


def compile_validator(schema: dict[str, Any], registry: Registry[Any]) -> Check:
    """Compile `schema` into a fast yes/no check; raises UnsupportedSchema outside the subset."""
    return compile_validator_code(schema, registry)[0]


def compile_validator_code(schema: dict[str, Any], registry: Registry[Any]) -> tuple[Check, GeneratedCode]:
    """`compile_validator`, with the generated source (registered for tracebacks and readers)."""
    base = schema.get("$id", "")
    if base and base not in registry:
        registry = registry.with_resource(base, DRAFT202012.create_resource(schema))
    compiler = _Compiler(registry.resolver(base_uri=base))
    root = compiler.check_expression(schema, "v")
    source = "\n".join([*compiler.lines, "def validate(v):", f"    return {root}", ""])
    namespace = dict(compiler.constants)
    code = load_generated("validator", str(schema.get("$id", "?")), source, namespace)
    check: Check = namespace["validate"]
    return check, code


@dataclass(frozen=True)
class FieldError:
    """One reason a record is invalid: the field (dotted path), the rule it broke and a sentence."""

    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


class CanonicalValidator:
    """Validates records of one entity: compiled check first, `jsonschema` for the reasons."""

    def __init__(self, schema: dict[str, Any], registry: Registry[Any]) -> None:
        self.schema = schema
        self.reference = Draft202012Validator(schema, registry=registry, format_checker=format_checker())
        self.generated: GeneratedCode | None = None  # the fast check's source, when the schema has one
        try:
            self.fast: Check | None
            self.fast, self.generated = compile_validator_code(schema, registry)
        except UnsupportedSchema:
            self.fast = None

    def is_valid(self, record: Any) -> bool:
        """True when the record satisfies the schema."""
        if self.fast is not None:
            return self.fast(record)
        return bool(self.reference.is_valid(record))

    def errors(self, record: Any) -> list[FieldError]:
        """Every reason the reference validator gives, in a stable order."""
        found = sorted(self.reference.iter_errors(record), key=lambda e: list(map(str, e.absolute_path)))
        return [_field_error(e) for e in found]

    def check(self, record: Any) -> list[FieldError]:
        """No errors when valid (fast path); the reference's reasons otherwise."""
        if self.is_valid(record):
            return []
        return self.errors(record) or [FieldError("", "schema", "record does not match its schema")]


def _field_error(error: Any) -> FieldError:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path = f"{path}.{missing}".strip(".")
    return FieldError(path or "(record)", str(error.validator), _sentence(error))


def _sentence(error: Any) -> str:
    value = error.instance
    if error.validator == "format":
        return f"{value!r} is not a valid {error.validator_value}"
    if error.validator == "pattern":
        return f"{value!r} does not have the expected form ({error.validator_value})"
    if error.validator == "enum":
        options = [repr(o) for o in error.validator_value if o is not None]
        shown = ", ".join(options[:6]) + (f", … ({len(options)} in all)" if len(options) > 6 else "")
        return f"{value!r} is not one of the allowed values ({shown})"
    return str(error.message)


@dataclass(frozen=True)
class SchemaFlaw:
    """What keeps a schema from being used, and where in its document (`key`: at the key itself)."""

    where: SchemaPath
    message: str
    key: bool = False


def schema_flaws(
    schema: dict[str, Any], registry: Registry[Any], elsewhere: Mapping[str, str] | None = None
) -> list[SchemaFlaw]:
    """Every `pattern` (and `patternProperties` name) that is not a regular expression, every `$ref`
    that points to nothing, and every `$ref` that comes back to its own schema without going into a
    property or an item (checking any value would never end).

    `elsewhere` maps the `$id`s of schemas that exist but were refused to their files, so that a
    `$ref` into one says so rather than "points to nothing"."""
    base = str(schema.get("$id", ""))
    if base not in registry:
        registry = registry.with_resource(base, DRAFT202012.create_resource(schema))
    resolver = registry.resolver(base_uri=base)
    flaws: list[SchemaFlaw] = []
    circular: set[int] = set()  # schemas on a circle already reported
    for where, sub in every_subschema(schema):
        flaws += _pattern_flaws(where, sub)
        ref = sub.get("$ref")
        if not isinstance(ref, str):
            continue
        try:
            resolved = resolver.lookup(ref)
        except Unresolvable as exc:
            flaws.append(
                SchemaFlaw((*where, "$ref"), _ref_problem(ref, exc, registry, base, elsewhere or {}))
            )
            continue
        if id(sub) not in circular and (circle := _circle(sub, ref, resolved)):
            circular |= {id(node) for node, _ in circle}
            chain = " -> ".join(repr(step) for _, step in circle)
            message = f"$ref {ref!r} comes back here ({chain}) without going into a property or item"
            flaws.append(SchemaFlaw((*where, "$ref"), message))
    return flaws


def _pattern_flaws(where: SchemaPath, schema: dict[str, Any]) -> list[SchemaFlaw]:
    flaws = []
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and (reason := _regex_problem(pattern)):
        flaws.append(
            SchemaFlaw((*where, "pattern"), f"pattern {pattern!r} is not a regular expression: {reason}")
        )
    names = schema.get("patternProperties")
    for name in names if isinstance(names, dict) else ():
        if reason := _regex_problem(name):
            message = f"patternProperties name {name!r} is not a regular expression: {reason}"
            flaws.append(SchemaFlaw((*where, "patternProperties", name), message, key=True))
    return flaws


def _regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as exc:
        return str(exc)
    return None


def _ref_problem(
    ref: str, exc: Unresolvable, registry: Registry[Any], base: str, elsewhere: Mapping[str, str]
) -> str:
    target = urljoin(base, ref).partition("#")[0]
    document = "this schema" if target == base else target.rsplit("/", 1)[-1]
    if isinstance(exc, PointerToNowhere):
        return f"$ref {ref!r} points to nothing: no {exc.ref!r} in {document}{_pointer_hint(exc)}"
    if target in elsewhere:
        return f"$ref {ref!r} points into {elsewhere[target]}, which has problems of its own"
    if target in registry:  # an anchor that is not there
        return f"$ref {ref!r} points to nothing in {document}"
    close = difflib.get_close_matches(target, [str(uri) for uri in registry], n=1)
    hint = f" (did you mean {close[0].rsplit('/', 1)[-1]!r}?)" if close else ""
    return f"$ref {ref!r} points to nothing: no schema has the $id {target!r}{hint}"


def _pointer_hint(exc: PointerToNowhere) -> str:
    """` (did you mean '/$defs/address'?)` for the first step of the pointer that is missing."""
    node: Any = exc.resource.contents
    done: list[str] = []
    for raw in exc.ref.split("/")[1:]:
        step = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            close = difflib.get_close_matches(step, list(node) if isinstance(node, dict) else [], n=1)
            return f" (did you mean {'/'.join(['', *done, close[0]])!r}?)" if close else ""
        done.append(raw)
    return ""


def _circle(start: dict[str, Any], ref: str, resolved: Any) -> list[tuple[dict[str, Any], str]]:
    """The `$ref`s (each with the schema holding it) by which `start`, whose `$ref` is `resolved`,
    comes back to itself while applying to the same value; [] when it does not."""
    pending: list[tuple[Any, Any, list[tuple[dict[str, Any], str]]]] = [
        (resolved.contents, resolved.resolver, [(start, ref)])
    ]
    seen: set[int] = set()
    while pending:
        node, resolver, path = pending.pop()
        if node is start:
            return path
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        pending += [(sub, resolver, path) for _, sub in subschemas(node, keywords=SAME_VALUE)]
        if isinstance(inner := node.get("$ref"), str):
            try:
                found = resolver.lookup(inner)
            except Unresolvable:
                continue
            pending.append((found.contents, found.resolver, [*path, (node, inner)]))
    return []
