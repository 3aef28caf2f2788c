"""Emulator of Odoo's external API (17.0): JSON-RPC at /jsonrpc, XML-RPC at /xmlrpc/2/<service>.

See `app.OdooEmulator`; models are field tables (`models`, `sales`, `invoices`, `payments`, `hr`...)
listed in `catalog`, so more of them can be added as data.
"""

from __future__ import annotations

from connectors.emulators.odoo.app import OdooEmulator
from connectors.emulators.odoo.rpc import OdooUser

__all__ = ["OdooEmulator", "OdooUser"]
