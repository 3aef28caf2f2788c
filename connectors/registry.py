"""The one place that knows which connectors exist; the engine reaches connectors only through here.

Connector modules are imported lazily, so listing systems or validating a project never imports
client libraries or touches the network.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.connector import Connector

CONNECTORS: dict[str, str] = {
    "salesforce": "connectors.salesforce:SalesforceConnector",
    "odoo": "connectors.odoo:OdooConnector",
}

EMULATORS: dict[str, str] = {
    "salesforce": "connectors.emulators.salesforce:SalesforceEmulator",
    "odoo": "connectors.emulators.odoo:OdooEmulator",
}


def systems() -> list[str]:
    """Names of every system a mapping may name."""
    return sorted(CONNECTORS)


def _load(target: str) -> object:
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)


def connector_class(system: str) -> type[Connector]:
    """The connector class of a system (KeyError for unknown systems)."""
    cls = _load(CONNECTORS[system])
    assert isinstance(cls, type)
    return cls


def sandbox_class() -> Any:
    """The class that starts every emulator at once (`connectors.emulators.sandbox.Sandbox`)."""
    return _load("connectors.emulators.sandbox:Sandbox")


def emulator_class(system: str) -> type:
    """The emulator app class of a system (KeyError when it has none)."""
    cls = _load(EMULATORS[system])
    assert isinstance(cls, type)
    return cls
