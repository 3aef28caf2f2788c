"""Reconciliation: where two systems disagree, field by field, and how badly.

`compare_frames` is the frame-level core (also a public Python API); the rest of the package reads
both systems of a sync, joins their records through the cross-reference table and the match keys,
and reports.
"""

from __future__ import annotations

from hub.reconcile.frames import FrameComparison, Tolerance, compare_frames

__all__ = ["FrameComparison", "Tolerance", "compare_frames"]
