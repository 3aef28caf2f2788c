"""Charts as inline SVG, drawn on the server: reports open from disk with no script or network."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR = "#d9534f"
LINE = "#337ab7"
MISSING = "#f0ad4e"


def bar_chart(items: Sequence[tuple[str, int]], *, width: int = 640, row: int = 26) -> str:
    """Horizontal bars, one per (label, value), longest first."""
    items = sorted(items, key=lambda item: -item[1])
    if not items:
        return '<svg class="chart" role="img" aria-label="no fields compared" width="10" height="10"></svg>'
    label_width, top = 190, 8
    height = top * 2 + row * len(items)
    scale = (width - label_width - 70) / max(max(v for _, v in items), 1)
    parts = [
        f'<svg class="chart bar-chart" role="img" aria-label="unequal rows per field" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
    ]
    for index, (label, value) in enumerate(items):
        y = top + index * row
        length = max(value * scale, 1 if value else 0)
        parts += [
            f'<text x="{label_width - 8}" y="{y + row * 0.65:.1f}" text-anchor="end">{escape(label)}</text>',
            f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" '
            f'fill="{BAR}"><title>{escape(label)}: {value}</title></rect>',
            f'<text x="{label_width + length + 6:.1f}" y="{y + row * 0.65:.1f}">{value:,}</text>',
        ]
    return "".join(parts) + "</svg>"


def trend_chart(points: Sequence[tuple[str, int, int]], *, width: int = 640, height: int = 180) -> str:
    """Unequal and missing records over past runs: (label, unequal, missing), oldest first."""
    if not points:
        return '<svg class="chart" role="img" aria-label="no earlier runs" width="10" height="10"></svg>'
    labels = [p[0] for p in points]
    series = {"unequal": ([p[1] for p in points], BAR), "missing": ([p[2] for p in points], MISSING)}
    left, right, top, bottom = 50, 16, 12, 28
    peak = max(max(values) for values, _ in series.values()) or 1
    step = (width - left - right) / max(len(points) - 1, 1)

    def x(index: int) -> float:
        return left + index * step

    def y(value: int) -> float:
        return top + (height - top - bottom) * (1 - value / peak)

    base = height - bottom
    parts = [
        f'<svg class="chart trend-chart" role="img" aria-label="discrepancies over the last '
        f'{len(points)} runs" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{top + 8}" text-anchor="end">{peak:,}</text>',
        f'<text x="{left - 6}" y="{base}" text-anchor="end">0</text>',
    ]
    for name, (values, colour) in series.items():
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline class="series {name}" fill="none" stroke="{colour}" stroke-width="2" '
            f'points="{coords}"/>'
        )
        parts += [
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"><title>'
            f"{escape(labels[i])}: {v} {name}</title></circle>"
            for i, v in enumerate(values)
        ]
    parts.append(f'<text x="{left}" y="{height - 8}">{escape(labels[0])}</text>')
    parts.append(f'<text x="{width - right}" y="{height - 8}" text-anchor="end">{escape(labels[-1])}</text>')
    return "".join(parts) + "</svg>"
