"""The HubSpot CRM v3 emulator (see app.py for what it serves)."""

from connectors.emulators.hubspot.app import HubSpotEmulator

__all__ = ["HubSpotEmulator"]
