"""Body paths and templates: the two small languages a REST description speaks.

A body path names places in a JSON body: keys joined by dots, `[]` for every item of a list,
`[N]` for one item, and the empty path for the body itself.

    >>> find({"errors": [{"message": "a"}, {"message": "b"}]}, "errors[].message")
    ['a', 'b']
    >>> first({"paging": {"next": {"after": "42"}}}, "paging.next.after")
    '42'

A template is text with `{name}` placeholders, e.g. `contacts/{id}` or `{host}/api/v2`.

    >>> render("contacts/{id}", {"id": 7})
    'contacts/7'
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from typing import Any

from hub.errors import ConfigError
from hub.io.connections import Connection

_STEP = re.compile(r"^(?P<key>[^\[\]]+)?(?:\[(?P<index>\d*)\])?$")


def _steps(path: str) -> list[tuple[str | None, str | None]]:
    """A path as (key, index) steps; index '' means every item, None means no index."""
    steps = []
    for part in path.split(".") if path else []:
        match = _STEP.match(part)
        if match is None:
            raise ValueError(f"bad body path {path!r} at {part!r}")
        steps.append((match["key"], match["index"]))
    return steps


def find(body: Any, path: str) -> list[Any]:
    """Every value at `path` in `body` (absent and null values are left out)."""
    found = [body]
    for key, index in _steps(path):
        if key is not None:
            found = [node[key] for node in found if isinstance(node, dict) and key in node]
        if index == "":
            found = [item for node in found if isinstance(node, list) for item in node]
        elif index is not None:
            position = int(index)
            found = [node[position] for node in found if isinstance(node, list) and position < len(node)]
    return [value for value in found if value is not None]


def first(body: Any, paths: str | Iterable[str]) -> Any:
    """The first value found at one of `paths`, tried in order (None when none holds one)."""
    for path in [paths] if isinstance(paths, str) else paths:
        values = find(body, path)
        if values:
            return values[0]
    return None


def collect(body: Any, paths: str | Iterable[str]) -> list[Any]:
    """The values of the first of `paths` that finds any (an empty list when none does)."""
    for path in [paths] if isinstance(paths, str) else paths:
        values = find(body, path)
        if values:
            return values
    return []


def put(record: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `record` with `value` at a dotted `path`, creating nested objects on the way."""
    key, _, rest = path.partition(".")
    if not rest:
        return {**record, key: value}
    inner = record.get(key)
    return {**record, key: put(inner if isinstance(inner, dict) else {}, rest, value)}


def placeholders(template: str) -> list[str]:
    """The names a template's `{…}` placeholders use (ValueError for unbalanced braces)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def render(template: str, values: Mapping[str, Any]) -> str:
    """A template with its placeholders filled from `values` (KeyError names a missing one)."""
    parts = []
    for text, name, _spec, _conversion in string.Formatter().parse(template):
        parts.append(text)
        if name is not None:
            parts.append(str(values[name]))
    return "".join(parts)


def connection_values(connection: Connection) -> dict[str, Any]:
    """What templates may name: host, login, password, schema, port and `extra.NAME`."""
    values: dict[str, Any] = {
        "host": (connection.host or "").rstrip("/") or None,
        "login": connection.login,
        "password": connection.password,
        "schema": connection.schema or None,
        "port": connection.port,
    }
    values |= {f"extra.{k}": v for k, v in connection.extra.items()}
    return {k: v for k, v in values.items() if v not in (None, "")}


def fill(template: str, connection: Connection, what: str, more: Mapping[str, Any] | None = None) -> str:
    """A template filled from a connection; ConfigError names the connection field it lacks."""
    values = {**connection_values(connection), **(more or {})}
    try:
        return render(template, values)
    except KeyError as missing:
        name = str(missing.args[0])
        raise ConfigError(
            f"connection {connection.conn_id!r} has no {name}, which {what} uses ({{{name}}})"
        ) from None
