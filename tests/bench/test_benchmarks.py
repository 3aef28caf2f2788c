"""The benchmarks still run and still agree with their baselines (at a tiny size; no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_pipeline_benchmark_runs() -> None:
    out = run("bench/pipeline.py", "--records", "400", "--repeat", "1")
    assert "ratio:" in out and "(4 invalid, set aside)" in out


def test_reconcile_benchmark_runs_and_agrees_with_datacompy() -> None:
    out = run("bench/reconcile.py", "--rows", "3000", "--partitioned", "5000", "--partitions", "3")
    assert "counts identical to datacompy: True" in out
    assert "5,000 x" in out and "peak resident memory" in out


def test_dag_parse_benchmark_runs_and_loads_every_dag() -> None:
    out = run("bench/dag_parse.py", "--syncs", "16", "--repeat", "1")
    assert "16 sync files -> 33 DAGs (0 import errors)" in out  # and identity__resolve
    assert "hand-written" in out and "target:" in out


def test_api_calls_benchmark_runs_for_every_connector() -> None:
    out = run("bench/api_calls.py", "--records", "250")
    assert "every target met: True" in out
    systems = (
        "salesforce",
        "odoo",
        "hubspot",
        "zendesk",
        "mailchimp",
        "netsuite",
        "bamboohr",
        "sql",
        "files",
    )
    assert all(f"\n{system} " in out for system in systems)
