"""Per-field normalisers applied to both sides before values are compared (vectorised where possible)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from hub.project.transforms.phone import PhoneError, to_e164

Normalizer = Callable[[pd.Series], pd.Series]


def _text(series: pd.Series) -> bool:
    return bool(pd.api.types.is_string_dtype(series.dtype) or series.dtype == object)


def _strings(operation: Callable[[pd.Series], pd.Series]) -> Normalizer:
    def apply(series: pd.Series) -> pd.Series:
        return operation(series.astype("str")) if _text(series) else series

    return apply


def _e164(series: pd.Series) -> pd.Series:
    def one(value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            return to_e164(value)
        except PhoneError:
            return value.strip()

    return series.map(one, na_action="ignore") if _text(series) else series


def _datetime(series: pd.Series) -> pd.Series:
    # Instants compare as instants: "2024-01-01T10:00:00+02:00" equals "2024-01-01T08:00:00Z".
    return pd.to_datetime(series, utc=True, format="ISO8601", errors="coerce")


def _casefold(series: pd.Series) -> pd.Series:
    # Arrow lower-cases in C; only non-ASCII text needs Python's full case folding (ß → ss, …).
    lowered = series.str.lower()
    unusual = ~series.str.isascii().fillna(True).astype(bool)
    if unusual.any():
        lowered = lowered.where(~unusual, series[unusual].str.casefold())
    return lowered


def _collapse(series: pd.Series) -> pd.Series:
    return series.str.split().str.join(" ")


NORMALIZERS: dict[str, Normalizer] = {
    "trim": _strings(lambda s: s.str.strip()),
    "casefold": _strings(_casefold),
    "lower": _strings(lambda s: s.str.lower()),
    "upper": _strings(lambda s: s.str.upper()),
    "collapse_spaces": _strings(_collapse),
    "digits": _strings(lambda s: s.str.replace(r"\D+", "", regex=True)),
    "e164": _e164,
    "datetime": _datetime,
    "number": lambda s: pd.to_numeric(s, errors="coerce"),
}
"""Normaliser names as sync files spell them (`reconcile.normalizers: {email: [trim, casefold]}`)."""


def normalize(series: pd.Series, names: list[str] | tuple[str, ...]) -> pd.Series:
    """Apply named normalisers in order (KeyError names an unknown one)."""
    for name in names:
        series = NORMALIZERS[name](series)
    return series
