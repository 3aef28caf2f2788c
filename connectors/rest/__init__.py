"""The declarative REST connector: a system Omnihub does not ship, described in YAML alone.

    from connectors.rest import declarative_connector
    Freshdesk = declarative_connector("connectors/rest/examples/freshdesk.yaml")

One module per concept: `spec` (load and check a description against `meta.schema.json`, with
`validation`), `auth`, `paginators`, `reads` (the page-limit restart), `writes`, `answers` (error
bodies), `paths` (body paths and templates), `times` (timestamp formats) and `connector`.
"""

from __future__ import annotations

from pathlib import Path

from connectors.rest.connector import DeclarativeRESTConnector, connector_class, declarative_connector
from connectors.rest.spec import RestSpec, load_spec
from connectors.rest.validation import meta_schema
from hub.errors import ConfigError
from hub.yamldoc import load_document

EXAMPLES = Path(__file__).parent / "examples"


def discover(folder: str | Path = EXAMPLES) -> dict[str, Path]:
    """The systems described by the `*.yaml` files of a folder, by system name (files whose
    `system` cannot be read are left out: loading them reports their problems)."""
    found: dict[str, Path] = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            data = load_document(path).data
        except ConfigError:  # a broken file is reported when it is loaded, not when it is listed
            continue
        system = data.get("system") if isinstance(data, dict) else None
        if isinstance(system, str):
            found.setdefault(system, path)
    return found


__all__ = [
    "EXAMPLES",
    "DeclarativeRESTConnector",
    "RestSpec",
    "connector_class",
    "declarative_connector",
    "discover",
    "load_spec",
    "meta_schema",
]
