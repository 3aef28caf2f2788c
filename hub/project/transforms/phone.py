"""Phone numbers to E.164 (`+` country code, national number), without a heavyweight dependency.

People type numbers in national forms ("(415) 555-0132", "030 1234567", "06 12 34 56 78"), with
international prefixes ("+44 20 7946 0958", "0044 …", "011 44 …" from North America) and with
extensions. The region of a national number comes from the record (its country) or a default.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Region:
    """Dialling facts of one country: calling code, national-number lengths, trunk prefix."""

    code: str
    min_len: int
    max_len: int
    trunk: str = "0"
    keeps_trunk: bool = False
    leading: str = ""  # the digits a national number may start with, when the plan restricts them


_NANP = Region("1", 10, 10, "1", leading="23456789")  # area codes start 2-9 ("089 …" is no US number)
REGIONS: dict[str, Region] = {
    "US": _NANP,
    "CA": _NANP,
    "PR": _NANP,
    "GB": Region("44", 9, 10),
    "IE": Region("353", 7, 9),
    "DE": Region("49", 6, 13),
    "AT": Region("43", 4, 13),
    "CH": Region("41", 9, 9),
    "FR": Region("33", 9, 9),
    "BE": Region("32", 8, 9),
    "NL": Region("31", 9, 9),
    "LU": Region("352", 4, 11),
    "ES": Region("34", 9, 9, ""),
    "PT": Region("351", 9, 9, ""),
    "IT": Region("39", 6, 11, "0", True),
    "DK": Region("45", 8, 8, ""),
    "SE": Region("46", 7, 9),
    "NO": Region("47", 8, 8, ""),
    "FI": Region("358", 5, 12),
    "PL": Region("48", 9, 9, ""),
    "CZ": Region("420", 9, 9, ""),
    "GR": Region("30", 10, 10, ""),
    "HU": Region("36", 8, 9, "06"),
    "RO": Region("40", 9, 9),
    "AU": Region("61", 9, 9),
    "NZ": Region("64", 8, 10),
    "JP": Region("81", 9, 10),
    "CN": Region("86", 10, 11),
    "IN": Region("91", 10, 10),
    "SG": Region("65", 8, 8, ""),
    "HK": Region("852", 8, 8, ""),
    "KR": Region("82", 8, 10),
    "BR": Region("55", 10, 11),
    "MX": Region("52", 10, 10, ""),
    "AR": Region("54", 10, 10),
    "ZA": Region("27", 9, 9),
    "IL": Region("972", 8, 9),
    "AE": Region("971", 8, 9),
    "TR": Region("90", 10, 10),
}
_BY_CODE: dict[str, Region] = {}
for _region in REGIONS.values():
    _BY_CODE.setdefault(_region.code, _region)

_SEPARATORS = str.maketrans("", "", " -.()/\u00a0\t\r\n")
_EXTENSION_MARKS = ("ext.", "ext", "x", "#")


class PhoneError(ValueError):
    """The text cannot be read as a phone number."""


def to_e164(text: str, region: str | None = None) -> str:
    """Normalise `text` to E.164, reading a national number as one of `region` (ISO alpha-2)."""
    if text[:1] == "+" and text[1:].isdigit() and 8 <= len(text) <= 16:
        return _checked_international(text[1:], text)
    digits = text.translate(_SEPARATORS)
    if "(0)" in text or not digits.lstrip("+").isdigit() or digits.count("+") > 1:
        digits = _digits(text)
    if digits.startswith("+"):
        return _checked_international(digits[1:], text)
    if digits.startswith("00"):
        return _checked_international(digits[2:], text)
    home = REGIONS.get((region or "").upper())
    if home is None:
        raise PhoneError(f"{text!r} is a national number and its country is unknown")
    if home is _NANP and digits.startswith("011"):
        return _checked_international(digits[3:], text)
    return "+" + home.code + _national(digits, home, text)


def _digits(text: str) -> str:
    lowered = text.strip().lower()
    if not lowered.translate(_SEPARATORS).lstrip("+").isdigit():
        lowered = _without_extension(lowered)
    if lowered.startswith(("+", "00")):
        lowered = lowered.replace("(0)", "")  # "+44 (0)20 …": the trunk 0 is not dialled from abroad
    compact = lowered.translate(_SEPARATORS)
    body = compact[1:] if compact.startswith("+") else compact
    if not body.isdigit():
        raise PhoneError(f"{text!r} is not a phone number")
    return compact


def _without_extension(text: str) -> str:
    for mark in _EXTENSION_MARKS:
        at = text.find(mark, 1)
        if at > 0 and text[at + len(mark) :].strip().isdigit():
            return text[:at]
    return text


def _national(digits: str, home: Region, text: str) -> str:
    number = digits
    trunk = home.trunk
    strip = trunk and number.startswith(trunk) and not home.keeps_trunk
    if strip and len(number) - len(trunk) >= home.min_len:
        number = number[len(trunk) :]
    if not home.min_len <= len(number) <= home.max_len:
        raise PhoneError(
            f"{text!r} has {len(number)} digits; a national number here has {home.min_len}-{home.max_len}"
        )
    _check_leading(number, home, text)
    return number


def _check_leading(number: str, region: Region, text: str) -> None:
    if region.leading and number[:1] not in region.leading:
        allowed = f"{region.leading[0]}-{region.leading[-1]}"
        raise PhoneError(f"{text!r} cannot be a +{region.code} number: its area code starts with {allowed}")


def _checked_international(digits: str, text: str) -> str:
    if not digits.isdigit() or digits.startswith("0"):
        raise PhoneError(f"{text!r} is not a valid international number")
    for size in (1, 2, 3):
        region = _BY_CODE.get(digits[:size])
        if region is not None:
            rest = len(digits) - size
            if not region.min_len <= rest <= region.max_len:
                raise PhoneError(f"{text!r} has the wrong length for country code +{region.code}")
            _check_leading(digits[size:], region, text)
            return "+" + digits
    if not 8 <= len(digits) <= 15:
        raise PhoneError(f"{text!r} has {len(digits)} digits; E.164 allows 8-15")
    return "+" + digits
