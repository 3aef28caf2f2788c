"""Timestamps as a REST API writes them: ISO-8601, epoch seconds or milliseconds, or a strftime pattern.

>>> fmt = TimeFormat("%Y-%m-%dT%H:%M:%SZ")
>>> fmt.parse("2022-11-16T15:59:28Z")
datetime.datetime(2022, 11, 16, 15, 59, 28, tzinfo=datetime.timezone.utc)
>>> fmt.format(fmt.parse("2022-11-16T15:59:28Z"))
'2022-11-16T15:59:28Z'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SAMPLE = datetime(2024, 3, 1, 12, 34, 56, tzinfo=UTC)


@dataclass(frozen=True)
class TimeFormat:
    """One way of writing a moment: `iso`, `epoch`, `epoch_ms`, or a strftime pattern (UTC)."""

    pattern: str = "iso"

    def parse(self, value: Any) -> datetime:
        """A written moment as an aware UTC datetime (ValueError when it does not fit)."""
        if self.pattern in ("epoch", "epoch_ms"):
            seconds = float(value) / (1000 if self.pattern == "epoch_ms" else 1)
            return datetime.fromtimestamp(seconds, UTC)
        text = str(value).strip()
        if self.pattern == "iso":
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        else:
            moment = datetime.strptime(text, self.pattern)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def format(self, moment: datetime) -> str:
        """A moment written this way (in UTC)."""
        moment = moment.astimezone(UTC)
        if self.pattern == "epoch":
            return str(int(moment.timestamp()))
        if self.pattern == "epoch_ms":
            return str(int(moment.timestamp() * 1000))
        if self.pattern == "iso":
            return moment.isoformat().replace("+00:00", "Z")
        return moment.strftime(self.pattern)

    def problem(self) -> str | None:
        """Why this format cannot both write and read back a moment, or None when it can."""
        try:
            self.parse(self.format(SAMPLE))
        except (ValueError, TypeError) as exc:
            return f"{self.pattern!r} cannot read back what it writes ({exc})"
        return None
