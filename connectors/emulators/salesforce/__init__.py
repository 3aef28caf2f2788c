"""A contract-faithful Salesforce emulator: REST API, SOQL, sObject Collections, Bulk API 2.0, login."""

from __future__ import annotations

from connectors.emulators.salesforce.app import SalesforceEmulator
from connectors.emulators.salesforce.auth import Credentials
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.salesforce.seeding import SeedResult

__all__ = ["Credentials", "ManualClock", "SalesforceEmulator", "SeedResult"]
