"""Project files (YAML, and JSON as its subset) loaded with the line and column of every node.

Every problem the hub reports about a user's file names `path:line:column`; this module keeps the
positions that make that possible, and turns syntax errors into `ConfigError`s of the same form.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from hub.errors import ConfigError, Problem

PathItem = str | int


@dataclass
class Document:
    """A parsed file: its data (plain dicts and lists) and where each node stood in the text.

    JSON files are parsed by the json module and YAML files by libyaml; their positions come from a
    second, slower parse that happens only when a problem must be located (most loads find none: DAG
    parsing stays fast).
    """

    path: str
    data: Any
    text: str | None = None

    @cached_property
    def marked(self) -> Any:
        """The data with line/column marks (ruamel's round-trip nodes)."""
        return self.data if self.text is None else YAML(typ="rt", pure=True).load(self.text)

    def position(self, where: Sequence[PathItem], *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the node at `where`, or of its nearest existing ancestor.

        With `key=True` the position is that of the mapping key rather than of its value.
        """
        node: Any = self.marked
        line, column = _own_position(node)
        for step in where:
            found = _child_position(node, step, key=key)
            if found is None:
                break
            line, column = found
            node = node[step]
        return line, column

    def problem(self, where: Sequence[PathItem], message: str, *, key: bool = False) -> Problem:
        """A `Problem` located at the node `where`."""
        line, column = self.position(where, key=key)
        return Problem(self.path, line, column, message)


def plain(value: Any) -> Any:
    """ruamel's commented containers and scalars as plain Python values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def _own_position(node: Any) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return 1, 1
    return lc.line + 1, lc.col + 1


def _child_position(node: Any, step: PathItem, *, key: bool) -> tuple[int, int] | None:
    lc = getattr(node, "lc", None)
    try:
        if isinstance(node, dict) and step in node and lc is not None:
            line, col = lc.key(step) if key else lc.value(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node) and lc is not None:
            line, col = lc.item(step)
        else:
            return None
    except (KeyError, TypeError, IndexError):
        return None
    return line + 1, col + 1


def load_document(path: Path, display: str | None = None) -> Document:
    """Parse a YAML or JSON file, raising ConfigError with the position of a syntax error."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([Problem(shown, 1, 1, f"cannot read file: {exc.strerror}")]) from exc
    if path.suffix == ".json":
        return Document(shown, _parse_json(text, shown), text)
    try:
        # libyaml's speed (ruamel.yaml.clib) for the data, with YAML 1.2 rules as the round-trip parse
        # has; that slower parse, which keeps positions, runs only when a problem must be located.
        data = _load_yaml(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise ConfigError([Problem(shown, line, col, f"invalid YAML: {exc.problem or exc.context}")]) from exc
    return Document(shown, data, text)


def _load_yaml(text: str) -> Any:
    """The data of a YAML text; a syntax error is raised by the pure parser, whose words are clearer."""
    try:
        return YAML(typ="safe", pure=False).load(text)
    except MarkedYAMLError:
        return YAML(typ="rt", pure=True).load(text)


def _parse_json(text: str, shown: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError([Problem(shown, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}")]) from exc
