"""Emulator of Zendesk Support's REST API (`/api/v2`): users, organizations and tickets.

See `app.ZendeskEmulator`; records and validation live in `store`, incremental exports in `export`,
background jobs (`job_statuses`) in `jobs`.
"""

from __future__ import annotations

from connectors.emulators.zendesk.app import ZendeskEmulator

__all__ = ["ZendeskEmulator"]
