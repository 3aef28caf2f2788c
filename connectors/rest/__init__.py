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

EXAMPLES = Path(__file__).parent / "examples"


__all__ = [
    "EXAMPLES",
    "DeclarativeRESTConnector",
    "RestSpec",
    "connector_class",
    "declarative_connector",
    "load_spec",
    "meta_schema",
]
