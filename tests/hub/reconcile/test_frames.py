"""`compare_frames`: classification, normalisers, tolerances, duplicates, and agreement with datacompy."""

from __future__ import annotations

from pathlib import Path

import datacompy
import numpy as np
import pandas as pd
import pytest

from hub.reconcile import compare_frames
from hub.reconcile.partitions import compare_partitioned


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    left = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e", "f"],
            "name": ["Ada", "Grace ", "Alan", "Edsger", "Barbara", None],
            "amount": [10.0, 20.0, 30.0, 40.0, None, 5.0],
        }
    )
    right = pd.DataFrame(
        {
            "id": ["b", "a", "c", "d", "g", "f"],
            "name": ["grace", "Ada", "Alan T.", "Edsger", "Ken", None],
            "amount": [20.004, 10.0, 30.0, 41.0, 1.0, None],
        }
    )
    return left, right


def test_every_row_is_classified() -> None:
    result = compare_frames(*frames(), "id")
    assert result.summary == {
        "rows_left": 6,
        "rows_right": 6,
        "matched": 5,
        "only_left": 1,
        "only_right": 1,
        "duplicates_left": 0,
        "duplicates_right": 0,
        "equal": 1,
        "unequal": 4,
        "fields": {"name": 2, "amount": 3},
    }
    assert list(result.only_left) == ["e"] and list(result.only_right) == ["g"]
    assert sorted(result.unequal_keys) == ["b", "c", "d", "f"]


def test_normalisers_and_tolerances_decide_equality() -> None:
    result = compare_frames(
        *frames(), "id", normalizers={"name": ["trim", "casefold"]}, tolerances={"amount": {"absolute": 0.01}}
    )
    assert result.summary["fields"] == {"name": 1, "amount": 2}
    amount = result.fields["amount"]
    assert (amount.null_differences, amount.max_difference) == (1, 1.0)
    assert sorted(amount.keys) == ["d", "f"]
    relative = compare_frames(*frames(), "id", tolerances={"amount": {"relative": 0.03}})
    assert sorted(relative.fields["amount"].keys) == ["f"]


def test_duplicates_are_reported_never_paired() -> None:
    left = pd.DataFrame({"id": ["a", "a", "b", "c"], "v": [1, 2, 3, 4]})
    right = pd.DataFrame({"id": ["a", "b", "c", "c", "d"], "v": [1, 3, 9, 4, 5]})
    summary = compare_frames(left, right, "id").summary
    # keys a (twice on the left) and c (twice on the right): all their rows, on both sides, are set apart
    assert (summary["duplicates_left"], summary["duplicates_right"]) == (3, 3)
    assert (summary["matched"], summary["equal"], summary["only_right"], summary["unequal"]) == (1, 1, 1, 0)


@pytest.mark.parametrize(
    ("normalizer", "left", "right"),
    [
        ("e164", "+1 (415) 555-0132", "+14155550132"),
        ("datetime", "2024-01-15T16:22:10+02:00", "2024-01-15T14:22:10Z"),
        ("casefold", "STRASSE", "straße"),
        ("collapse_spaces", "a   b", "a b"),
        ("digits", "+44 (0)20", "44020"),
    ],
)
def test_each_normaliser(normalizer: str, left: str, right: str) -> None:
    frame = lambda value: pd.DataFrame({"k": [1], "v": [value]})  # noqa: E731
    assert compare_frames(frame(left), frame(right), "k").summary["unequal"] == 1
    assert (
        compare_frames(frame(left), frame(right), "k", normalizers={"v": [normalizer]}).summary["unequal"]
        == 0
    )


def test_composite_keys_and_discrepancy_rows() -> None:
    left = pd.DataFrame(
        {"list": ["x", "x", "y"], "email": ["a@x", "b@x", "a@x"], "status": ["in", "out", "in"]}
    )
    right = pd.DataFrame(
        {"list": ["x", "y", "x"], "email": ["b@x", "a@x", "c@x"], "status": ["in", "in", "in"]}
    )
    result = compare_frames(left, right, ["list", "email"])
    assert result.summary["unequal"] == 1 and result.summary["only_left"] == 1
    rows = list(result.discrepancies())
    assert ("x\x1fb@x", "status", "out", "in", "different") in rows
    assert {kind for *_, kind in rows} == {"different", "only_left", "only_right"}


def random_frames(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    words = np.array(["alpha", "Beta", " gamma", "delta ", "EPSILON", None], dtype=object)
    left = pd.DataFrame(
        {
            "key": [f"K{i:06d}" for i in range(n)],
            "word": words[rng.integers(0, 6, n)],
            "amount": np.round(rng.normal(100, 30, n), 2),
            "count": rng.integers(0, 5, n),
        }
    )
    right = left.sample(frac=0.97, random_state=seed).reset_index(drop=True)
    changed = rng.random(len(right)) < 0.1
    right.loc[changed, "word"] = words[rng.integers(0, 6, int(changed.sum()))]
    right.loc[rng.random(len(right)) < 0.05, "amount"] += rng.choice([0.001, 0.5, 3.0])
    right.loc[rng.random(len(right)) < 0.03, "amount"] = np.nan
    right.loc[rng.random(len(right)) < 0.05, "count"] += 1
    extra = pd.DataFrame(
        {"key": [f"X{i}" for i in range(n // 50)], "word": "alpha", "amount": 1.0, "count": 1}
    )
    return left, pd.concat([right, extra], ignore_index=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_equal_datacompys_on_the_same_frames(seed: int) -> None:
    left, right = random_frames(3000, seed)
    ours = compare_frames(
        left,
        right,
        "key",
        normalizers={"word": ["trim", "casefold"]},
        tolerances={"amount": {"absolute": 0.01, "relative": 0.001}},
    )
    theirs = datacompy.PandasCompare(
        left.copy(),
        right.copy(),
        join_columns="key",
        ignore_spaces=True,
        ignore_case=True,
        abs_tol={"amount": 0.01},
        rel_tol={"amount": 0.001},
    )
    summary = ours.summary
    assert (summary["only_left"], summary["only_right"]) == (
        len(theirs.df1_unq_rows),
        len(theirs.df2_unq_rows),
    )
    assert summary["equal"] == theirs.count_matching_rows()
    stats = {s["column"]: s for s in theirs.column_stats if s["column"] != "key"}
    assert summary["fields"] == {c: int(s["unequal_cnt"]) for c, s in stats.items()}
    assert ours.fields["amount"].null_differences == int(stats["amount"]["null_diff"])


def test_partitioned_results_equal_the_whole(tmp_path: Path) -> None:
    left, right = random_frames(4000, 9)
    options = {"normalizers": {"word": ["trim"]}, "tolerances": {"amount": {"absolute": 0.01}}}
    whole = compare_frames(left, right, "key", **options)  # type: ignore[arg-type]
    chunks = lambda frame: (frame.iloc[i : i + 700] for i in range(0, len(frame), 700))  # noqa: E731
    parts = compare_partitioned(
        chunks(left),
        chunks(right),
        "key",
        partitions=7,
        folder=tmp_path / "p",
        columns=["word", "amount", "count"],
        **options,
    )
    assert parts.summary == whole.summary
    assert sorted(parts.unequal_keys) == sorted(whole.unequal_keys)
    assert not (tmp_path / "p").exists()


def test_rechecking_some_keys_replaces_their_outcome() -> None:
    left, right = frames()
    first = compare_frames(left, right, "id")
    flagged = first.flagged_keys()
    fixed = right.copy()
    fixed.loc[fixed["id"] == "c", "name"] = "Alan"
    recheck = compare_frames(left[left["id"].isin(flagged)], fixed[fixed["id"].isin(flagged)], "id")
    combined = first.without(flagged).add(recheck)
    assert combined.summary == compare_frames(left, fixed, "id").summary


def test_hash_collisions_fall_back_to_exact_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    import hub.reconcile.frames as frames_module

    left, right = random_frames(500, 4)
    honest = compare_frames(left, right, "key").summary
    colliding = lambda lk, rk: np.zeros(len(lk) + len(rk), dtype=np.int64)  # noqa: E731 - every key "equal"
    monkeypatch.setattr(frames_module, "_hashed_codes", colliding)
    assert compare_frames(left, right, "key").summary == honest
    two_keys = lambda lk, rk: np.arange(len(lk) + len(rk), dtype=np.int64) % 2  # noqa: E731
    monkeypatch.setattr(frames_module, "_hashed_codes", two_keys)
    assert compare_frames(left, right, "key").summary == honest
