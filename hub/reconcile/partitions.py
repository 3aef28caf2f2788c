"""Reconciling more rows than fit in memory: hash the key into N partitions, compare each alone.

Both sides arrive as chunks (pages from a connector, or slices of a file); every chunk is split by
`hash(key) mod N` into Arrow files on disk, then partition p of the left is compared with partition p
of the right. Peak memory is about one chunk plus one pair of partitions, whatever the total.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hub.reconcile.frames import FrameComparison, compare_frames


def partition_of(keys: pd.Series, partitions: int) -> np.ndarray:
    """The partition number of every key (stable across processes and runs)."""
    hashed = pd.util.hash_pandas_object(keys.astype("str"), index=False).to_numpy()
    return (hashed % np.uint64(partitions)).astype(np.int64)


def spill(chunks: Iterable[pd.DataFrame], key: str, partitions: int, folder: Path) -> int:
    """Write each chunk's rows to folder/<partition>/<chunk>.arrow; returns the number of rows."""
    rows = 0
    for number, chunk in enumerate(chunks):
        rows += len(chunk)
        owner = partition_of(chunk[key], partitions)
        order = np.argsort(owner, kind="stable")
        bounds = np.searchsorted(owner[order], np.arange(partitions + 1))
        for part in range(partitions):
            piece = order[bounds[part] : bounds[part + 1]]
            if piece.size:
                target = folder / str(part)
                target.mkdir(parents=True, exist_ok=True)
                chunk.iloc[piece].reset_index(drop=True).to_feather(target / f"{number:06d}.arrow")
    return rows


def load_partition(folder: Path, columns: list[str]) -> pd.DataFrame:
    """Every row spilled to one partition folder (an empty frame with `columns` when none)."""
    files = sorted(folder.glob("*.arrow")) if folder.is_dir() else []
    if not files:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return pd.concat([pd.read_feather(f) for f in files], ignore_index=True)


def compare_partitioned(
    left_chunks: Iterable[pd.DataFrame],
    right_chunks: Iterable[pd.DataFrame],
    key: str,
    *,
    partitions: int,
    folder: Path,
    columns: Sequence[str],
    prepare: Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]] | None = None,
    on_partition: Callable[[FrameComparison, pd.DataFrame, pd.DataFrame], None] | None = None,
    **options: Any,
) -> FrameComparison:
    """Compare chunked sides partition by partition (options as for `compare_frames`).

    `prepare` may filter a partition's two frames before they are compared (it runs after every
    chunk of both sides was read); `on_partition` sees each partition's result and frames.
    """
    shutil.rmtree(folder, ignore_errors=True)
    spill(left_chunks, key, partitions, folder / "left")
    spill(right_chunks, key, partitions, folder / "right")
    total = FrameComparison.empty()
    names = [key, *columns]
    try:
        for part in range(partitions):
            left, right = (
                load_partition(folder / "left" / str(part), names),
                load_partition(folder / "right" / str(part), names),
            )
            if prepare:
                left, right = prepare(left, right)
            result = compare_frames(left, right, key, compare=list(columns), **options)
            if on_partition:
                on_partition(result, left, right)
            total = total.add(result)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return total
