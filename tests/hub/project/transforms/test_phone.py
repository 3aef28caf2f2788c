"""`e164` on libphonenumber's metadata: numbers as people type them, in every country's plan, and the
numbers that plan does not have, refused with the reason."""

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
        ("+44 (0)7400 900422", None, "+447400900422"),
        ("0341/4637433", "DE", "+493414637433"),
        # Countries the hand-written table of 40 did not know, and a tel: URI
        ("8 (495) 123-45-67", "RU", "+74951234567"),  # Russia's trunk 8
        ("02-123-4567", "TH", "+6621234567"),
        ("tel:+1-415-555-0132", None, "+14155550132"),
        ("044 668 18 00", "ch", "+41446681800"),  # a lower-case country code
    ],
)
def test_numbers_as_people_type_them(text: str, region: str | None, expected: str) -> None:
    assert to_e164(text, region) == expected


@pytest.mark.parametrize(
    ("text", "region", "reason"),
    [
        ("n/a", "US", "not a phone number"),
        ("12", "US", "too short in the numbering plan of \\+1 \\(US\\)"),
        ("555-1234", "US", "no number in the numbering plan of \\+1"),
        ("+1 234", None, "too short"),
        ("089 0300083", "US", "no number in the numbering plan of \\+1"),  # a German number, read as US
        ("+1 089 030 0083", None, "no number in the numbering plan"),
        ("030 1234567", None, "country is unknown"),
        ("030 1234567", "XX", "country is unknown"),
        ("+0 123 456 789", None, "country code does not exist"),
        ("+33 6 12 34 56 78 9", None, "too long in the numbering plan of \\+33 \\(FR\\)"),
        # Numbers the hand-written table let through: right length, but no such range in the plan
        ("+44 7700 900422", None, "no number in the numbering plan of \\+44 \\(GB\\)"),  # Ofcom's drama range
        ("091 212 8610", "IE", "no number in the numbering plan of \\+353"),  # Galway has six-digit numbers
        ("04 00 12 34 56", "FR", "no number in the numbering plan of \\+33"),
    ],
)
def test_what_is_not_a_phone_number(text: str, region: str | None, reason: str) -> None:
    with pytest.raises(PhoneError, match=reason):
        to_e164(text, region)
