"""Reconciliation at scale, against datacompy, in one process.

    .venv/bin/python bench/reconcile.py [--rows 1000000] [--partitioned 10000000] [--partitions 32]

1. `hub.reconcile.compare_frames` and datacompy 1.1 `PandasCompare` on the same two frames of
   `--rows` records (string keys, names, emails, cities, amounts, quantities; about 2.5% of rows
   changed, 0.5% missing on each side), with the same rules: whitespace and case ignored in text,
   amounts equal within 0.01. It checks the counts are identical and prints each side's time, peak
   additional memory (resident set sampled every 2 ms, from a trimmed baseline) and the ratios.
2. Partitioned reconciliation of `--partitioned` × `--partitioned` records generated a million at a
   time, hashed into `--partitions` partitions on disk and compared one partition at a time, in a
   child process; it prints the time and the child's peak resident memory (target: under 6 GiB).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.reconcile import compare_frames  # noqa: E402
from hub.reconcile.partitions import compare_partitioned  # noqa: E402

TEXT = ("name", "email", "city")
OPTIONS: dict[str, Any] = {
    "normalizers": {c: ["trim", "casefold"] for c in TEXT},
    "tolerances": {"amount": {"absolute": 0.01}},
}
FIRST = np.array(["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Ken", "Margaret", "Linus", "Guido"])
LAST = np.array(
    [
        "Lovelace",
        "Hopper",
        "Turing",
        "Dijkstra",
        "Liskov",
        "Knuth",
        "Thompson",
        "Hamilton",
        "Torvalds",
        "Rossum",
    ]
)
CITIES = np.array(
    ["London", "Paris", "Berlin", "Madrid", "Rome", "Dublin", "Amsterdam", "Sydney", "Toronto", "Boston"]
)


def make_frames(n: int, seed: int = 1, offset: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two versions of `n` customer records, the right one edited, trimmed and extended."""
    rng = np.random.default_rng(seed + offset)
    key = pd.Series(np.arange(offset, offset + n)).map("C{:010d}".format).astype("str")
    name = pd.Series(FIRST[rng.integers(0, 10, n)]).str.cat(pd.Series(LAST[rng.integers(0, 10, n)]), sep=" ")
    left = pd.DataFrame(
        {
            "key": key,
            "name": name.astype("str"),
            "email": (key.str.lower() + "@example.com"),
            "city": pd.Series(CITIES[rng.integers(0, 10, n)]).astype("str"),
            "amount": np.round(rng.uniform(0, 10000, n), 2),
            "quantity": rng.integers(0, 500, n),
        }
    )
    right = left.copy()
    edits = [
        ("name", lambda s: s + " Jr", 0.01),
        ("email", lambda s: "  " + s.str.upper(), 0.005),
        ("email", lambda s: "x" + s, 0.005),
        ("amount", lambda s: s + 0.004, 0.005),
        ("amount", lambda s: s + 5, 0.005),
        ("city", lambda s: None, 0.003),
        ("quantity", lambda s: s + 1, 0.003),
    ]
    for column, change, share in edits:
        rows = rng.random(n) < share
        right.loc[rows, column] = change(right.loc[rows, column])
    right = right[rng.random(n) >= 0.005]
    extra = left.sample(n=max(1, n // 200), random_state=seed + offset).copy()
    extra["key"] = extra["key"].str.replace("C", "N")
    right = (
        pd.concat([right, extra], ignore_index=True)
        .sample(frac=1.0, random_state=seed)
        .reset_index(drop=True)
    )
    return left, right


def resident() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def trim() -> None:
    """Give freed memory back, so each measurement starts from what is really held."""
    gc.collect()
    pyarrow.default_memory_pool().release_unused()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


class PeakMemory:
    """Peak resident memory above the starting point, sampled every 2 ms on a thread."""

    def __enter__(self) -> PeakMemory:
        trim()
        self.baseline, self.peak, self._stop = resident(), 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, resident() - self.baseline)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, resident() - self.baseline)


def run_ours(left: pd.DataFrame, right: pd.DataFrame) -> dict[str, Any]:
    return compare_frames(left, right, "key", **OPTIONS).summary


def run_datacompy(left: pd.DataFrame, right: pd.DataFrame) -> dict[str, Any]:
    import datacompy

    compare = datacompy.PandasCompare(
        left, right, join_columns="key", abs_tol={"amount": 0.01}, ignore_spaces=True, ignore_case=True
    )
    fields = {s["column"]: int(s["unequal_cnt"]) for s in compare.column_stats if s["column"] != "key"}
    return {
        "only_left": len(compare.df1_unq_rows),
        "only_right": len(compare.df2_unq_rows),
        "equal": compare.count_matching_rows(),
        "fields": fields,
    }


def measure(
    run: Any, left: pd.DataFrame, right: pd.DataFrame, copy: bool
) -> tuple[float, int, dict[str, Any]]:
    inputs = (left.copy(), right.copy()) if copy else (left, right)  # datacompy rewrites its inputs
    with PeakMemory() as memory:
        started = time.perf_counter()
        summary = run(*inputs)
        elapsed = time.perf_counter() - started
    return elapsed, memory.peak, summary


def head_to_head(rows: int) -> None:
    left, right = make_frames(rows)
    results: dict[str, tuple[float, int, dict[str, Any]]] = {}
    for _ in range(2):  # the second round is measured: imports and caches are warm for both
        results["ours"] = measure(run_ours, left, right, copy=False)
        results["datacompy"] = measure(run_datacompy, left, right, copy=True)
    ours, theirs = results["ours"], results["datacompy"]
    same = {k: ours[2][k] for k in ("only_left", "only_right", "equal", "fields")} == theirs[2]
    print(f"{rows:,} x {len(right):,} records, 5 compared columns")
    print(f"  counts identical to datacompy: {same}  {theirs[2]}")
    print(f"  datacompy 1.1 PandasCompare: {theirs[0]:7.2f} s, peak +{theirs[1] / 2**20:7.0f} MiB")
    print(f"  hub compare_frames:          {ours[0]:7.2f} s, peak +{ours[1] / 2**20:7.0f} MiB")
    print(
        f"  speed: {theirs[0] / ours[0]:.1f}x (target >= 3x); memory: {theirs[1] / max(ours[1], 1):.1f}x less"
    )
    if not same:
        raise SystemExit("counts differ from datacompy")


def chunks(total: int, side: int, size: int = 1_000_000) -> Iterator[pd.DataFrame]:
    for offset in range(0, total, size):
        yield make_frames(min(size, total - offset), seed=7, offset=offset)[side]


def partitioned(total: int, partitions: int) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hub-recon-") as folder:
        result = compare_partitioned(
            chunks(total, 0),
            chunks(total, 1),
            "key",
            partitions=partitions,
            folder=Path(folder),
            columns=["name", "email", "city", "amount", "quantity"],
            **OPTIONS,
        )
    summary = result.summary
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        f"{summary['rows_left']:,} x {summary['rows_right']:,} records in {partitions} partitions: "
        f"{time.perf_counter() - started:.0f} s, peak resident memory {peak / 2**30:.2f} GiB (target < 6 GiB)"
    )
    print(
        f"  matched {summary['matched']:,}, equal {summary['equal']:,}, unequal {summary['unequal']:,}, "
        f"only left {summary['only_left']:,}, only right {summary['only_right']:,}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partitioned", type=int, default=10_000_000)
    parser.add_argument("--partitions", type=int, default=32)
    parser.add_argument("--only", choices=["head-to-head", "partitioned"])
    options = parser.parse_args()
    if options.only != "partitioned":
        head_to_head(options.rows)
    if options.only == "partitioned":
        partitioned(options.partitioned, options.partitions)
    elif options.only is None and options.partitioned:
        command = [
            sys.executable,
            __file__,
            "--only",
            "partitioned",
            "--partitioned",
            str(options.partitioned),
            "--partitions",
            str(options.partitions),
        ]
        subprocess.run(command, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
