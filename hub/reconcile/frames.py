"""Comparing two frames of records by key, field by field: the core of reconciliation.

    result = compare_frames(left, right, "hub_id", normalizers={"email": ["trim", "casefold"]},
                            tolerances={"amount": {"absolute": 0.01}})
    result.summary   # {"only_left": …, "only_right": …, "duplicates_left": …, "equal": …, "fields": {…}}

Keys are factorised once for both sides together; every later step is integer arithmetic on numpy
arrays and column-at-a-time vectorised comparison of the matched rows, so memory stays near the size
of the inputs (no merged copy of both frames, unlike an outer join). A key occurring more than once on
either side is reported as a duplicate and never compared: duplicates are not silently paired.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from hub.reconcile.normalize import normalize

Kind = str  # "different" | "only_left" | "only_right" | "duplicate_left" | "duplicate_right"
_KEYS = ("only_left", "only_right", "duplicates_left", "duplicates_right", "unequal_keys")


@dataclass(frozen=True)
class Tolerance:
    """Numbers are equal when |left − right| ≤ absolute + relative × |right|."""

    absolute: float = 0.0
    relative: float = 0.0

    @classmethod
    def of(cls, spec: Tolerance | Mapping[str, float] | float | None) -> Tolerance | None:
        if spec is None or isinstance(spec, Tolerance):
            return spec
        if isinstance(spec, (int, float)):
            return cls(absolute=float(spec))
        return cls(float(spec.get("absolute", 0.0)), float(spec.get("relative", 0.0)))

    def as_dict(self) -> dict[str, float]:
        return {"absolute": self.absolute, "relative": self.relative}


@dataclass
class FieldDifferences:
    """One field: how many matched rows differ, and those rows' keys and values."""

    unequal: int
    null_differences: int
    max_difference: float | None
    tolerance: Tolerance | None
    keys: np.ndarray
    left: np.ndarray
    right: np.ndarray


@dataclass
class FrameComparison:
    """The classification of every row of both frames, with what differs."""

    rows_left: int
    rows_right: int
    matched: int
    only_left: np.ndarray
    only_right: np.ndarray
    duplicates_left: np.ndarray
    duplicates_right: np.ndarray
    unequal_keys: np.ndarray
    fields: dict[str, FieldDifferences] = field(default_factory=dict)

    @property
    def equal(self) -> int:
        return self.matched - len(self.unequal_keys)

    @property
    def summary(self) -> dict[str, Any]:
        """Counts by class, and per compared field the number of unequal rows."""
        return {
            "rows_left": self.rows_left,
            "rows_right": self.rows_right,
            "matched": self.matched,
            "only_left": len(self.only_left),
            "only_right": len(self.only_right),
            "duplicates_left": len(self.duplicates_left),
            "duplicates_right": len(self.duplicates_right),
            "equal": self.equal,
            "unequal": len(self.unequal_keys),
            "fields": {name: stats.unequal for name, stats in self.fields.items()},
        }

    @classmethod
    def empty(cls) -> FrameComparison:
        nothing = np.array([], dtype=object)
        return cls(0, 0, 0, nothing, nothing, nothing, nothing, nothing)

    def add(self, other: FrameComparison) -> FrameComparison:
        """This comparison and another over disjoint keys (partitions, re-checks), as one."""
        joined = _built(
            self.rows_left + other.rows_left,
            self.rows_right + other.rows_right,
            self.matched + other.matched,
            lambda name: np.concatenate([getattr(self, name), getattr(other, name)]).astype(object),
        )
        for name in dict.fromkeys([*self.fields, *other.fields]):
            joined.fields[name] = _join_fields(self.fields.get(name), other.fields.get(name))
        return joined

    def without(self, keys: np.ndarray) -> FrameComparison:
        """This comparison with every discrepancy of these keys forgotten (they are re-checked apart).

        The keys' rows leave the counts too: matched rows among them are no longer counted as matched.
        """
        drop = pd.Index(keys)
        keep = {name: getattr(self, name)[~pd.Index(getattr(self, name)).isin(drop)] for name in _KEYS}
        gone_unequal = len(self.unequal_keys) - len(keep["unequal_keys"])
        gone_left = len(self.only_left) - len(keep["only_left"])
        gone_right = len(self.only_right) - len(keep["only_right"])
        trimmed = _built(
            self.rows_left - gone_unequal - gone_left,
            self.rows_right - gone_unequal - gone_right,
            self.matched - gone_unequal,
            keep.__getitem__,
        )
        for name, stats in self.fields.items():
            kept = ~pd.Index(stats.keys).isin(drop)
            trimmed.fields[name] = FieldDifferences(
                int(kept.sum()),
                stats.null_differences,
                stats.max_difference,
                stats.tolerance,
                stats.keys[kept],
                stats.left[kept],
                stats.right[kept],
            )
        return trimmed

    def flagged_keys(self) -> np.ndarray:
        """Keys of every discrepancy worth a second look: missing on one side, or different."""
        return np.unique(np.concatenate([self.only_left, self.only_right, self.unequal_keys]).astype(object))

    def discrepancies(self) -> Iterator[tuple[Any, str, Any, Any, Kind]]:
        """(key, field, left value, right value, kind) for every discrepancy."""
        for name, stats in self.fields.items():
            for key, left, right in zip(stats.keys, stats.left, stats.right, strict=True):
                yield key, name, left, right, "different"
        for kind, keys in (
            ("only_left", self.only_left),
            ("only_right", self.only_right),
            ("duplicate_left", self.duplicates_left),
            ("duplicate_right", self.duplicates_right),
        ):
            for key in keys:
                yield key, "", None, None, kind


def _built(
    rows_left: int, rows_right: int, matched: int, keys: Callable[[str], np.ndarray]
) -> FrameComparison:
    return FrameComparison(
        rows_left,
        rows_right,
        matched,
        only_left=keys("only_left"),
        only_right=keys("only_right"),
        duplicates_left=keys("duplicates_left"),
        duplicates_right=keys("duplicates_right"),
        unequal_keys=keys("unequal_keys"),
    )


def _join_fields(a: FieldDifferences | None, b: FieldDifferences | None) -> FieldDifferences:
    if a is None or b is None:
        found = a or b
        assert found is not None
        return found
    gaps = [g for g in (a.max_difference, b.max_difference) if g is not None]
    return FieldDifferences(
        a.unequal + b.unequal,
        a.null_differences + b.null_differences,
        max(gaps) if gaps else None,
        a.tolerance or b.tolerance,
        *(np.concatenate([getattr(a, n), getattr(b, n)]).astype(object) for n in ("keys", "left", "right")),
    )


def _keys(frame: pd.DataFrame, key: str | Sequence[str]) -> pd.Series:
    if isinstance(key, str):
        return frame[key].reset_index(drop=True)
    joined = frame[key[0]].astype("str").fillna("")
    for name in key[1:]:
        joined = joined + "\x1f" + frame[name].astype("str").fillna("")
    return joined.reset_index(drop=True)


def _exact_codes(left_keys: pd.Series, right_keys: pd.Series) -> np.ndarray:
    both = pd.concat([left_keys, right_keys], ignore_index=True)
    return np.asarray(pd.factorize(both, use_na_sentinel=True)[0], dtype=np.int64)


def _hashed_codes(left_keys: pd.Series, right_keys: pd.Series) -> np.ndarray:
    """Key codes from 64-bit hashes, computed by Polars on both cores (callers verify collisions)."""
    both = pl.concat([pl.from_pandas(left_keys), pl.from_pandas(right_keys)])
    codes = both.hash(seed=17).rank("dense").to_numpy().astype(np.int64) - 1
    codes[both.is_null().to_numpy()] = -1
    return codes


def _classified(codes: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    size = int(codes.max()) + 1 if len(codes) else 0
    left_codes, right_codes = codes[:n], codes[n:]
    left_count = np.bincount(left_codes[left_codes >= 0], minlength=size)
    right_count = np.bincount(right_codes[right_codes >= 0], minlength=size)
    duplicate = (left_count > 1) | (right_count > 1)
    left_dup = (left_codes >= 0) & duplicate[np.maximum(left_codes, 0)]
    right_dup = (right_codes >= 0) & duplicate[np.maximum(right_codes, 0)]
    left_row, right_row = np.full(size, -1), np.full(size, -1)
    left_row[left_codes[left_codes >= 0]] = np.flatnonzero(left_codes >= 0)
    right_row[right_codes[right_codes >= 0]] = np.flatnonzero(right_codes >= 0)
    both = (left_count == 1) & (right_count == 1)
    only_left = np.concatenate(
        [left_row[(left_count == 1) & (right_count == 0)], np.flatnonzero(left_codes < 0)]
    )
    only_right = np.concatenate(
        [right_row[(right_count == 1) & (left_count == 0)], np.flatnonzero(right_codes < 0)]
    )
    return (
        left_row[both],
        right_row[both],
        np.sort(only_left),
        np.sort(only_right),
        np.flatnonzero(left_dup),
        np.flatnonzero(right_dup),
    )


def _consistent(parts: tuple[np.ndarray, ...], left_keys: pd.Series, right_keys: pd.Series) -> bool:
    """Whether hashing told the truth: matched keys are equal, and the duplicates are duplicates."""
    lrows, rrows, _, _, dup_l, dup_r = parts
    if not np.all(_aligned_equal(left_keys, right_keys, lrows, rrows)):
        return False
    if not (len(dup_l) or len(dup_r)):
        return True
    exact = _classified(_exact_codes(left_keys.take(dup_l), right_keys.take(dup_r)), len(dup_l))
    return len(exact[4]) == len(dup_l) and len(exact[5]) == len(dup_r)


def _classify(left_keys: pd.Series, right_keys: pd.Series) -> tuple[np.ndarray, ...]:
    """Row positions: matched (left, right), only left, only right, duplicate left, duplicate right."""
    if left_keys.dtype == right_keys.dtype:
        parts = _classified(_hashed_codes(left_keys, right_keys), len(left_keys))
        if _consistent(parts, left_keys, right_keys):
            return parts
    return _classified(_exact_codes(left_keys, right_keys), len(left_keys))


def _numeric(left: pd.Series, right: pd.Series) -> bool:
    kinds = (
        pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
        for s in (left, right)
    )
    return all(kinds)


def _same(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Exactly equal pairs (a missing value on either side counts as not equal here)."""
    equal = left.array == right.array
    return np.asarray(pd.array(equal, dtype="boolean").fillna(False), dtype=bool)


@dataclass
class _Outcome:
    unequal: np.ndarray
    null_differences: int
    max_difference: float | None


def _aligned_equal(left: pd.Series, right: pd.Series, lrows: np.ndarray, rrows: np.ndarray) -> np.ndarray:
    """Whether left[lrows[i]] equals right[rrows[i]] exactly (missing counts as not equal here).

    Polars gathers and compares string views on both cores, several times faster than Arrow takes;
    columns Polars cannot hold (mixed Python objects) take the pandas path.
    """
    try:
        a, b = pl.from_pandas(left).gather(lrows), pl.from_pandas(right).gather(rrows)
        return np.asarray((a == b).fill_null(False).to_numpy(), dtype=bool)
    except (pl.exceptions.PolarsError, TypeError, ValueError, ArithmeticError):
        return _same(left.take(lrows).reset_index(drop=True), right.take(rrows).reset_index(drop=True))


def _compare_column(
    left: pd.Series,
    right: pd.Series,
    lrows: np.ndarray,
    rrows: np.ndarray,
    steps: tuple[str, ...],
    tolerance: Tolerance | None,
) -> _Outcome:
    """Which matched pairs differ. Only pairs that are not exactly equal are normalised and re-checked,
    since a normaliser maps equal values to equal values: that keeps the work near the discrepancies."""
    unequal = ~_aligned_equal(left, right, lrows, rrows)
    candidates = np.flatnonzero(unequal)
    numeric = tolerance is not None or _numeric(left, right)
    if not candidates.size:
        return _Outcome(unequal, 0, 0.0 if numeric else None)
    a = normalize(left.take(lrows[candidates]).reset_index(drop=True), steps)
    b = normalize(right.take(rrows[candidates]).reset_index(drop=True), steps)
    differs, nulls, gap = _differs(a, b, numeric, tolerance)
    unequal[candidates] = differs
    return _Outcome(unequal, nulls, gap)


def _differs(
    left: pd.Series, right: pd.Series, numeric: bool, tolerance: Tolerance | None
) -> tuple[np.ndarray, int, float | None]:
    if numeric:
        left, right = pd.to_numeric(left, errors="coerce"), pd.to_numeric(right, errors="coerce")
    left_na, right_na = left.isna().to_numpy(), right.isna().to_numpy()
    both_missing, nulls = left_na & right_na, int((left_na != right_na).sum())
    if not numeric:
        return ~(_same(left, right) | both_missing), nulls, None
    a, b = left.to_numpy(dtype=float, na_value=np.nan), right.to_numpy(dtype=float, na_value=np.nan)
    limit = tolerance or Tolerance()
    with np.errstate(invalid="ignore"):
        gap = np.abs(a - b)
        same = (gap <= limit.absolute + limit.relative * np.abs(b)) | both_missing
    finite = gap[~(left_na | right_na)]
    return ~same, nulls, float(finite.max()) if finite.size else 0.0


def compare_frames(
    left: pd.DataFrame,
    right: pd.DataFrame,
    key: str | Sequence[str],
    *,
    compare: Sequence[str] | None = None,
    tolerances: Mapping[str, Tolerance | Mapping[str, float] | float] | None = None,
    normalizers: Mapping[str, Sequence[str]] | None = None,
) -> FrameComparison:
    """Classify every row of `left` and `right` by `key` and compare the matched rows field by field.

    `compare` defaults to the columns both frames have besides the key; `normalizers` maps a column to
    normaliser names (trim, casefold, lower, upper, collapse_spaces, digits, e164, datetime, number);
    `tolerances` maps a numeric column to {"absolute": a, "relative": r}.
    """
    key_names = [key] if isinstance(key, str) else list(key)
    columns = (
        list(compare)
        if compare is not None
        else [c for c in left.columns if c in right.columns and c not in key_names]
    )
    left_keys, right_keys = _keys(left, key), _keys(right, key)
    lrows, rrows, only_l, only_r, dup_l, dup_r = _classify(left_keys, right_keys)
    unequal_any = np.zeros(len(lrows), dtype=bool)
    result = FrameComparison(
        len(left),
        len(right),
        len(lrows),
        _pick(left_keys, only_l),
        _pick(right_keys, only_r),
        _pick(left_keys, dup_l),
        _pick(right_keys, dup_r),
        np.array([], dtype=object),
    )
    for name in columns:
        a, b = left[name].reset_index(drop=True), right[name].reset_index(drop=True)
        tolerance = Tolerance.of((tolerances or {}).get(name))
        outcome = _compare_column(a, b, lrows, rrows, tuple((normalizers or {}).get(name, ())), tolerance)
        unequal_any |= outcome.unequal
        rows = np.flatnonzero(outcome.unequal)
        result.fields[name] = FieldDifferences(
            len(rows),
            outcome.null_differences,
            outcome.max_difference,
            tolerance,
            _pick(left_keys, lrows[rows]),
            a.take(lrows[rows]).to_numpy(dtype=object),
            b.take(rrows[rows]).to_numpy(dtype=object),
        )
    result.unequal_keys = _pick(left_keys, lrows[unequal_any])
    return result


def _pick(keys: pd.Series, rows: np.ndarray) -> np.ndarray:
    return keys.take(rows).to_numpy(dtype=object)
