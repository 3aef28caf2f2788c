"""Emulator of BambooHR's REST API (`/api/gateway.php/{companyDomain}/v1/`): employees, departments.

See `app.BambooHREmulator`; employees and validation live in `store`, the sandbox staff in `staff`.
"""

from __future__ import annotations

from connectors.emulators.bamboohr.app import BambooHREmulator

__all__ = ["BambooHREmulator"]
