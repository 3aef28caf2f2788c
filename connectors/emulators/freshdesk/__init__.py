"""Emulator of Freshdesk's REST API v2 (`/api/v2`): contacts, companies and tickets.

See `app.FreshdeskEmulator`; records and validation live in `store`.
"""

from __future__ import annotations

from connectors.emulators.freshdesk.app import FreshdeskEmulator

__all__ = ["FreshdeskEmulator"]
