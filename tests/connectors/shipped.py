"""What the shipped mappings of one system name in it, for the `describe` tests: a connector must
describe every one of those names, or `hub new mapping` could not propose them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAPPINGS = Path(__file__).parents[2] / "mappings"
KEYS = ("primary_key", "cursor_field", "external_id_field")


def shipped_names(system: str, *, keys: tuple[str, ...] = KEYS, filters: bool = True) -> dict[str, set[str]]:
    """By object: every `system:` field of the system's shipped mappings, their `keys`, and (with
    `filters`) the fields their filters name; names an Odoo `follow` option makes are left out (the
    mapping makes them, the model has no such field)."""
    names: dict[str, set[str]] = {}
    for path in sorted((MAPPINGS / system).glob("*.yaml")):
        mapping: dict[str, Any] = yaml.safe_load(path.read_text())
        made = set((mapping.get("options") or {}).get("follow") or {})
        used = {f["system"] for f in mapping["fields"] if "system" in f}
        used |= {mapping[k] for k in keys if mapping.get(k)}
        used |= set(mapping.get("filter") or {}) if filters else set()
        names.setdefault(mapping["object"], set()).update(n for n in used if n.split(".")[0] not in made)
    return names


def all_shipped_names(system: str, **options: Any) -> set[str]:
    """Every name the system's shipped mappings use, whatever the object."""
    return set().union(*shipped_names(system, **options).values())
