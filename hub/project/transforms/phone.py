"""Phone numbers to E.164 (`+` country code, national number) with Google's libphonenumber metadata
(the `phonenumbers` package): every country's numbering plan, kept current by its releases.

People type numbers in national forms ("(415) 555-0132", "030 1234567", "06 12 34 56 78"), with
international prefixes ("+44 20 7946 0958", "0044 …", "011 44 …" from North America), a trunk zero in
brackets ("+44 (0)20 …") and extensions ("x12", "ext. 5"; dropped: E.164 has none). The region of a
national number comes from the record (its country) or a default. A number is accepted when the
plan of its country has it (libphonenumber's `is_valid_number`), so a German number read as a US one,
or an Irish one a digit too long, is refused with the reason.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "its country code does not exist",
    NumberParseException.NOT_A_NUMBER: "it is not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "it is too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "it is too short",
    NumberParseException.TOO_LONG: "it is too long",
}
_LENGTH_REASONS = {
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "of a length no number",
    ValidationResult.INVALID_COUNTRY_CODE: "under a country code that does not exist",
}


class PhoneError(ValueError):
    """The text cannot be read as a phone number."""


def to_e164(text: str, region: str | None = None) -> str:
    """Normalise `text` to E.164, reading a national number as one of `region` (ISO alpha-2)."""
    return _to_e164(text, (region or "").strip().upper() or None)


def clear_cache() -> None:
    """Forget the numbers already normalised (benchmarks measure a first meeting with each)."""
    _to_e164.cache_clear()


@lru_cache(maxsize=65_536)  # the same numbers come back run after run
def _to_e164(text: str, region: str | None) -> str:
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        region = None  # an unknown country: only an international number can be read
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        national = not text.lstrip().startswith(("+", "00"))
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE and region is None and national:
            raise PhoneError(f"{text!r} is a national number and its country is unknown") from None
        reason = _PARSE_REASONS.get(exc.error_type, "it cannot be read")
        raise PhoneError(f"{text!r} is not a valid phone number: {reason}") from None
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    code = number.country_code or 0
    where = phonenumbers.region_code_for_country_code(code)
    country = f"+{code}" + (f" ({where})" if where not in ("ZZ", "001") else "")
    length = phonenumbers.is_possible_number_with_reason(number)
    if length in _LENGTH_REASONS:
        raise PhoneError(f"{text!r} is {_LENGTH_REASONS[length]} in the numbering plan of {country}")
    raise PhoneError(f"{text!r} is no number in the numbering plan of {country}")
