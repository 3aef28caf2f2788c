"""The mapping `options:` each connector understands (`Connector.options_schema`), found without
importing connector modules.

`hub validate` checks every mapping's options, and Airflow runs those checks each time it parses the
DAGs, where importing every connector (and its client libraries) would cost seconds and is not done
(see `connectors.registry`). So the shipped connectors' schemas are read from `mapping_options.json`,
written from the connectors' own declarations by `python -m hub.io.mapping_options`; a test fails when
the file is out of date. A system a project describes in YAML is built from its description, which
loading the project has already read.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

OPTIONS_FILE = Path(__file__).with_name("mapping_options.json")


def declared_options() -> dict[str, dict[str, Any]]:
    """Every shipped connector's `options_schema`, by system (imports every connector module)."""
    from connectors.registry import connector_class, shipped_systems

    return {system: connector_class(system).options_schema for system in shipped_systems()}


@cache
def shipped_options() -> dict[str, dict[str, Any]]:
    """The shipped connectors' `options_schema`s as `mapping_options.json` holds them, by system."""
    table: dict[str, dict[str, Any]] = json.loads(OPTIONS_FILE.read_text(encoding="utf-8"))
    return table


def options_schema(system: str) -> dict[str, Any] | None:
    """The `options_schema` of a system's connector: a shipped one's from the table, a described one's
    from its description; None for a system nobody knows."""
    shipped = shipped_options()
    if system in shipped:
        return shipped[system]
    from connectors.registry import DESCRIBED, connector_class

    return connector_class(system).options_schema if system in DESCRIBED else None


def write_table(path: Path = OPTIONS_FILE) -> Path:
    """Write the shipped connectors' declarations to `path` (the table `shipped_options` reads)."""
    path.write_text(json.dumps(declared_options(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":  # python -m hub.io.mapping_options: refresh the table
    print(f"wrote {write_table()}")
