"""Canonical date-time text: UTC with Z, fractions only when present, four-digit years."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.sql.values import iso_utc
from hub.project.transforms.time import _datetime, format_utc, is_utc_text, utc_text


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
    assert is_utc_text(text)


def test_other_offsets_are_converted_and_a_naive_database_value_is_utc() -> None:
    berlin = datetime(2024, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=1)))
    assert format_utc(berlin) == iso_utc(berlin) == "2024-01-01T00:30:00Z"
    assert iso_utc(datetime(2024, 1, 1, 0, 30, 0, 500)) == "2024-01-01T00:30:00.000500Z"


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("2024-03-01T12:00:00Z", "2024-03-01T12:00:00Z"),  # canonical already: passed on as it is
        ("2024-03-01T12:00:00.123456Z", "2024-03-01T12:00:00.123456Z"),
        ("2024-03-01T12:00:00.000Z", "2024-03-01T12:00:00Z"),  # no fraction when there is none
        ("2024-03-01T12:00:00.000000Z", "2024-03-01T12:00:00Z"),
        ("2024-03-01T12:00:00.120000Z", "2024-03-01T12:00:00.120Z"),  # whole milliseconds
        ("2024-03-01 12:00:00Z", "2024-03-01T12:00:00Z"),
        ("2024-03-01T13:00:00+01:00", "2024-03-01T12:00:00Z"),
        ("2024-03-01T12:00:00.000+0000", "2024-03-01T12:00:00Z"),  # Salesforce's form
        ("2024-W09-5T12:00:00Z", "2024-03-01T12:00:00Z"),  # shaped alike, but an ISO week date
    ],
)
def test_the_datetime_transform_writes_canonical_text_whatever_it_reads(given: str, canonical: str) -> None:
    assert _datetime(None, None)(given) == canonical  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["2024-02-30T00:00:00Z", "2024-13-01T12:00:00Z", "2024-03-01T25:00:00Z"])
def test_text_shaped_like_a_canonical_time_that_is_none_is_refused(text: str) -> None:
    from hub.project.transforms import TransformError

    assert not is_utc_text(text)
    with pytest.raises(TransformError):
        _datetime(None, None)(text)  # type: ignore[arg-type]
