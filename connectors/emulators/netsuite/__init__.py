"""Emulator of NetSuite's SuiteTalk REST web services: OAuth 2.0, SuiteQL and the customer record.

See `app.NetSuiteEmulator`; records live in `store`, the SuiteQL subset in `suiteql` (parsing) and
`evaluate` (running a query and rendering its values).
"""

from __future__ import annotations

from connectors.emulators.netsuite.app import NetSuiteEmulator

__all__ = ["NetSuiteEmulator"]
