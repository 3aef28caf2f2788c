from __future__ import annotations

import pytest

from hub.project.transforms.phone import PhoneError, to_e164


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("(415) 555-0132", "US", "+14155550132"),
        ("1-415-555-0132", "US", "+14155550132"),
        ("415.555.0132 ext. 5", "US", "+14155550132"),
        ("+44 20 7946 0958", None, "+442079460958"),
        ("0044 20 7946 0958", "FR", "+442079460958"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("030 1234567", "DE", "+49301234567"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("06 1234567", "IT", "+39061234567"),
        ("612 34 56 78", "ES", "+34612345678"),
        ("(02) 9374 4000", "AU", "+61293744000"),
        ("+1 415 555 0132 x12", None, "+14155550132"),
        ("+44 (0)7700 900422", None, "+447700900422"),
        ("0341/4637433", "DE", "+493414637433"),
    ],
)
def test_numbers_as_people_type_them(text: str, region: str | None, expected: str) -> None:
    assert to_e164(text, region) == expected


@pytest.mark.parametrize(
    ("text", "region", "reason"),
    [
        ("n/a", "US", "not a phone number"),
        ("12", "US", "has 2 digits"),
        ("555-1234", "US", "has 7 digits"),
        ("+1 234", None, "wrong length"),
        ("089 0300083", "US", "its area code starts with 2-9"),  # a German number, read as US
        ("+1 089 030 0083", None, "its area code starts with 2-9"),
        ("030 1234567", None, "country is unknown"),
        ("+0 123 456 789", None, "not a valid international number"),
    ],
)
def test_what_is_not_a_phone_number(text: str, region: str | None, reason: str) -> None:
    with pytest.raises(PhoneError, match=reason):
        to_e164(text, region)
