"""Omnihub: bidirectional record sync between front-office and back-office systems."""

from __future__ import annotations

__version__ = "0.1.0"
