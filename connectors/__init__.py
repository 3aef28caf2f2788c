"""Adapters between Omnihub and the systems it connects, plus their local emulators."""

from __future__ import annotations
