"""Canonical date-time text: UTC with Z, fractions only when present, four-digit years."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.sql.values import iso_utc
from hub.project.transforms.time import format_utc, utc_text


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC), "2024-03-01T12:00:00Z"),
        (datetime(2024, 3, 1, 12, 0, 0, 123000, tzinfo=UTC), "2024-03-01T12:00:00.123Z"),
        (datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC), "2024-03-01T12:00:00.123456Z"),
        (datetime(2024, 3, 1, 12, 0, 0, 1000, tzinfo=UTC), "2024-03-01T12:00:00.001Z"),
        (datetime(987, 1, 2, 3, 4, 5, tzinfo=UTC), "0987-01-02T03:04:05Z"),  # RFC 3339 wants 4 digits
    ],
)
def test_canonical_text_of_a_utc_moment(moment: datetime, text: str) -> None:
    assert utc_text(moment) == format_utc(moment) == iso_utc(moment) == text


def test_other_offsets_are_converted_and_a_naive_database_value_is_utc() -> None:
    berlin = datetime(2024, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=1)))
    assert format_utc(berlin) == iso_utc(berlin) == "2024-01-01T00:30:00Z"
    assert iso_utc(datetime(2024, 1, 1, 0, 30, 0, 500)) == "2024-01-01T00:30:00.000500Z"
