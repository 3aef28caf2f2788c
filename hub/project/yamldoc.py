"""Project files (YAML, and JSON as its subset) loaded with the line and column of every node.

Every problem the hub reports about a user's file names `path:line:column`; this module keeps the
positions that make that possible, and turns syntax errors into `ConfigError`s of the same form.

A project file is data written by people, and Airflow parses it on every cycle, so what no such file
needs is refused, located, before anything is built from it:

    MAX_FILE_BYTES   a larger file is not read at all (its size is known before reading)
    (encoding)       UTF-8 only (a leading byte-order mark is allowed); the first bad byte is located
    MAX_DEPTH        lists and mappings nested deeper (libyaml's composer recurses in C, json in Python)
    MAX_ALIAS_NODES  YAML aliases may repeat at most this many nodes in all (a "billion laughs" file
                     is a few hundred bytes), and an alias may not sit inside the node it names
    (tags)           only YAML 1.2's core tags; a language tag (!!python/object) is never constructed
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    ScalarEvent,
)
from ruamel.yaml.reader import ReaderError

from hub.errors import ConfigError, Problem

MAX_FILE_BYTES = 256 * 1024
"""17 times the largest shipped file; a file with a problem at this size is still answered in about a
second (locating the problem needs the pure-Python parse, about 4 s a megabyte)."""
MAX_DEPTH = 32
"""Lists and mappings nested deeper than this are refused (the shipped files nest at most 10 deep);
checks and validators that walk a file recursively stay far from Python's recursion limit."""
MAX_ALIAS_NODES = 10_000
"""How many nodes YAML aliases may repeat in one file, counted as if each alias were written out."""
CORE_TAGS = frozenset(
    {"!", *(f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map"))}
)
"""YAML 1.2's core schema (and `!`, the non-specific tag that keeps a scalar a string)."""

PathItem = str | int
YAML_SUFFIXES = (".yaml", ".yml")


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
        """The data with line/column marks (ruamel's round-trip nodes); None (every node at 1:1) for a
        JSON text the YAML parser does not take (a duplicate key, a tab where YAML refuses one)."""
        if self.text is None:
            return self.data
        try:
            return YAML(typ="rt", pure=True).load(self.text)
        except YAMLError:
            return None

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


def yaml_files(folder: Path, pattern: str = "*") -> list[Path]:
    """The YAML files (`.yaml` or `.yml`) that `pattern` matches under `folder`, sorted. Hidden ones (an
    editor's `.#x.yaml`, macOS's `._x.yaml`) are not the project's and are left out."""
    if not folder.is_dir():
        return []
    found = [path for suffix in YAML_SUFFIXES for path in folder.glob(pattern + suffix)]
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(folder).parts))


def load_document(path: Path, display: str | None = None) -> Document:
    """Parse a YAML or JSON file, raising ConfigError with the position of what is wrong in it.

    The bounds of the module's docstring are checked first, so that nothing is built from a file
    past them: such a file costs a fraction of a second and its size in memory, never more."""
    shown = display or str(path)
    text = _read_text(path, shown)
    if path.suffix == ".json":
        return Document(shown, _parse_json(text, shown), text)
    return Document(shown, _parse_yaml(text, shown), text)


def _read_text(path: Path, shown: str) -> str:
    """The file's text, refused (1:1) when it is not a regular file or is larger than MAX_FILE_BYTES."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the reader, a device never end
            raise ConfigError([Problem(shown, 1, 1, "not a regular file; a project file must be one")])
        size = info.st_size
        if size <= MAX_FILE_BYTES:
            with path.open("rb") as stream:
                data = stream.read(MAX_FILE_BYTES + 1)  # the file may have grown since
            size = max(size, len(data))
    except OSError as exc:
        raise ConfigError([Problem(shown, 1, 1, f"cannot read file: {exc.strerror}")]) from exc
    if size > MAX_FILE_BYTES:
        message = (
            f"file too large: {size:,} bytes, and a project file may have at most {MAX_FILE_BYTES:,} "
            f"({MAX_FILE_BYTES // 1024} KiB); it was not read (split it, or keep data out of the project)"
        )
        raise ConfigError([Problem(shown, 1, 1, message)])
    return _decode(data, shown)


def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        message = f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded; save the file as UTF-8"
        raise ConfigError([Problem(shown, line, column, message)]) from None


def _parse_yaml(text: str, shown: str) -> Any:
    """The data of a YAML text, once it is known to be within the bounds.

    libyaml (ruamel.yaml.clib) builds the data, with YAML 1.2 rules as the round-trip parse has.
    When libyaml refuses a text the pure parser has the last word: its words for a syntax error are
    clearer, and libyaml reads a few characters by YAML 1.1 rules."""
    try:
        if _may_exceed_bounds(text):
            _check_events(YAML(typ="safe", pure=False).parse(text), shown)
        data = YAML(typ="safe", pure=False).load(text)
    except (MarkedYAMLError, ReaderError):
        return _parse_yaml_purely(text, shown)
    if _deeper_than(data, MAX_DEPTH):
        _check_events(YAML(typ="safe", pure=False).parse(text), shown)  # says where
        raise ConfigError([Problem(shown, 1, 1, _too_deep())])
    return data


def _parse_yaml_purely(text: str, shown: str) -> Any:
    try:
        _check_events(YAML(typ="rt", pure=True).parse(text), shown)
        return YAML(typ="rt", pure=True).load(text)
    except ReaderError as exc:  # a character YAML does not allow (NUL, most control characters)
        line, column = _line_column(text, exc.position)
        message = f"invalid YAML: character #x{exc.character:04x} is not allowed in YAML text"
        raise ConfigError([Problem(shown, line, column, message)]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise ConfigError(
            [Problem(shown, line, column, f"invalid YAML: {exc.problem or exc.context}")]
        ) from exc


_BREAKS_AND_INDICATORS = "\n\r\x85\u2028\u2029-?:[{"


def _may_exceed_bounds(text: str) -> bool:
    """Whether the events must be checked before libyaml builds the data (most files: no).

    Without `!` there is no tag and without `&` no anchor, so no alias. libyaml's composer recurses
    in C (100,000 levels crash the process); a collection starts after a line break, an indicator
    (`- `, `? `, `: `) or a bracket, so a text with few of them cannot nest deep enough to hurt it,
    and the depth of its data is checked once built."""
    if "!" in text or "&" in text:
        return True
    return sum(map(text.count, _BREAKS_AND_INDICATORS)) > _COMPOSER_SAFE_DEPTH


_COMPOSER_SAFE_DEPTH = 2_000
"""Nesting libyaml's composer takes without harm, with a wide margin (it crashes near 100,000)."""


def _check_events(events: Iterable[Event], shown: str) -> None:
    """Refuse, at the first event past them, a tag outside the core schema, nesting deeper than
    MAX_DEPTH, and aliases repeating more than MAX_ALIAS_NODES nodes or inside what they name."""
    bounds = _EventBounds()
    for event in events:
        message = bounds.problem(event)
        if message:
            mark = event.start_mark
            raise ConfigError([Problem(shown, mark.line + 1, mark.column + 1, message)])


class _Node:
    """A node as the events tell it: its size and height with aliases written out, and whether it is
    still open (a collection whose end has not come)."""

    __slots__ = ("height", "open", "size")

    def __init__(self, height: int, *, open: bool) -> None:
        self.size, self.height, self.open = 1, height, open


class _EventBounds:
    """Follows a stream of events (libyaml's or the pure parser's, never building data) against the
    bounds: each open collection adds up its nodes, so an anchor's size is known when it closes."""

    def __init__(self) -> None:
        self.open: list[_Node] = []
        self.anchors: dict[str, _Node] = {}
        self.repeated = 0

    def problem(self, event: Event) -> str | None:
        """What is wrong at this event, if anything; the node it ends or writes is added to its parent."""
        if isinstance(event, CollectionEndEvent):
            node = self.open.pop()
            node.open = False
        elif isinstance(event, AliasEvent):
            node = self.anchors.get(event.anchor) or _Node(0, open=False)  # unknown: the composer says so
            if message := self._alias_problem(event.anchor, node):
                return message
        elif isinstance(event, ScalarEvent | CollectionStartEvent):
            if event.tag is not None and event.tag not in CORE_TAGS:
                return _tag_message(event.tag)
            collection = isinstance(event, CollectionStartEvent)
            node = _Node(1 if collection else 0, open=collection)
            if event.anchor is not None:
                self.anchors[event.anchor] = node
            if collection:
                self.open.append(node)
                return None if len(self.open) <= MAX_DEPTH else _too_deep()
        else:
            return None
        if self.open:
            parent = self.open[-1]
            parent.size += node.size
            parent.height = max(parent.height, node.height + 1)
        return None

    def _alias_problem(self, anchor: str, node: _Node) -> str | None:
        self.repeated += node.size
        if node.open:
            return f"alias *{anchor} is inside the node it names: its data would never end"
        if self.repeated > MAX_ALIAS_NODES:
            return f"aliases repeat more than {MAX_ALIAS_NODES:,} nodes by here (an alias bomb?)"
        if len(self.open) + node.height > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep once this alias is written out"
        return None


def _too_deep() -> str:
    return f"nested more than {MAX_DEPTH} levels deep; no project file needs that"


def _tag_message(tag: str) -> str:
    shown = tag.replace("tag:yaml.org,2002:", "!!", 1)
    return (
        f"tag {shown} is not allowed: project files hold plain data, with YAML 1.2's core tags only "
        "(!!str, !!int, !!float, !!bool, !!null, !!seq, !!map); remove it"
    )


def _line_column(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index."""
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _parse_json(text: str, shown: str) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError([Problem(shown, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}")]) from exc
    except RecursionError:  # json's own limit, far past ours
        data, deep = None, True
    else:
        deep = _deeper_than(data, MAX_DEPTH)
    if deep:
        line, column = _json_too_deep(text)
        raise ConfigError([Problem(shown, line, column, _too_deep())]) from None
    return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` deep (walked level by level, not recursively)."""
    level = [data] if isinstance(data, dict | list) else []
    for _ in range(limit):
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def _json_too_deep(text: str) -> tuple[int, int]:
    """Where the first list or object deeper than MAX_DEPTH opens."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _line_column(text, token.start())
        elif mark in "]}":
            depth -= 1
    return 1, 1
