"""Local, contract-faithful emulators of the systems Omnihub connects (see API_CONTRACTS.md)."""

from __future__ import annotations
