"""bench/faults.py runs a case and says whether the target ended as a clean run's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_faults_benchmark_prints_runs_and_wall_time_against_clean() -> None:
    case = ["--syncs", "crm_accounts_to_erp", "--kinds", "reset_after", "--rates", "0.3"]
    done = subprocess.run(
        [sys.executable, "bench/faults.py", *case], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.splitlines()
    assert header.split()[:6] == ["sync", "faults", "rate", "seed", "runs", "wall"]
    assert row.split()[:3] == ["crm_accounts_to_erp", "reset_after", "0.30"] and row.endswith("yes")
