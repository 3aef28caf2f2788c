"""x2many commands, as `create` and `write` take them for one2many and many2many fields (`Command`).

A value is a list of commands, each a list or tuple starting with its code: `(0, 0, vals)` create,
`(1, id, vals)` update, `(2, id)` delete, `(3, id)` unlink, `(4, id)` link, `(5,)` clear and
`(6, 0, ids)` set. A plain list of ids means "set" and False means "clear", as in Odoo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CREATE, UPDATE, DELETE, UNLINK, LINK, CLEAR, SET = range(7)


@dataclass(frozen=True)
class Command:
    """One parsed command."""

    code: int
    id: int = 0
    values: Mapping[str, Any] | None = None
    ids: tuple[int, ...] = ()


def parse_commands(qualified_name: str, value: Any) -> list[Command]:
    """The commands a value stands for; raises ValueError for anything Odoo would not accept."""
    if value is False or value is None:
        return [Command(CLEAR)]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"Wrong value for {qualified_name}: {value!r}")
    if all(_is_id(item) for item in value):
        return [Command(SET, ids=tuple(value))]
    return [_command(qualified_name, item) for item in value]


def _is_id(item: Any) -> bool:
    return isinstance(item, int) and not isinstance(item, bool)


def _command(qualified_name: str, item: Any) -> Command:
    if not isinstance(item, (list, tuple)) or not item or not _is_id(item[0]) or not 0 <= item[0] <= 6:
        raise ValueError(f"Wrong value for {qualified_name}: invalid command {item!r}")
    code = int(item[0])
    if code in (CREATE, UPDATE):
        values = item[2] if len(item) > 2 else None
        if not isinstance(values, Mapping):
            raise ValueError(f"Wrong value for {qualified_name}: command {item!r} needs a dict of values")
        return Command(code, _record_id(qualified_name, item) if code == UPDATE else 0, values)
    if code == SET:
        ids = item[2] if len(item) > 2 else []
        if not isinstance(ids, Sequence) or not all(_is_id(i) for i in ids):
            raise ValueError(f"Wrong value for {qualified_name}: command {item!r} needs a list of ids")
        return Command(SET, ids=tuple(ids))
    if code == CLEAR:
        return Command(CLEAR)
    return Command(code, _record_id(qualified_name, item))


def _record_id(qualified_name: str, item: Sequence[Any]) -> int:
    if len(item) < 2 or not _is_id(item[1]):
        raise ValueError(f"Wrong value for {qualified_name}: command {list(item)!r} needs a record id")
    return int(item[1])


def many2many_ids(qualified_name: str, current: Sequence[int], value: Any) -> list[int]:
    """The ids a many2many holds after applying `value` to its `current` ids."""
    ids = list(current)
    for command in parse_commands(qualified_name, value):
        if command.code in (CREATE, UPDATE, DELETE):
            raise ValueError(
                f"The Odoo emulator does not create, update or delete records through {qualified_name}: "
                "create them first, then link them with (4, id) or (6, 0, ids)"
            )
        if command.code == UNLINK:
            ids = [i for i in ids if i != command.id]
        elif command.code == LINK and command.id not in ids:
            ids.append(command.id)
        elif command.code == CLEAR:
            ids = []
        elif command.code == SET:
            ids = list(dict.fromkeys(command.ids))
    return ids
