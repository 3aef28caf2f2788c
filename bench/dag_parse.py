"""How long Airflow takes to parse the hub's DAG folder with 50 sync files, against hand-written DAGs.

    .venv/bin/python bench/dag_parse.py [--syncs N] [--repeat R]

A throwaway project gets N sync files (copies of the shipped syncs under new names, each with its
reconciliation), so the DAG folder yields 2N DAGs, and `identity__resolve` on their Assets. The
baseline is one hand-written Python file declaring the same 2N + 1 DAGs directly (same operators,
outlets, assets, default args), no YAML at all.

Each side is parsed by Airflow's own DagBag in a fresh interpreter that has imported Airflow first,
as the DAG processor has: "cold" is the first parse (it imports the hub and compiles every mapping),
"warm" a second parse in the same interpreter. Best of R runs. Target: cold parse of 50 syncs < 1 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MEASURE = """
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
from airflow.providers.standard.operators.python import PythonOperator  # noqa: F401 (preloaded)
folder = sys.argv[1]
times, bag = [], None
for _ in range(2):
    started = time.perf_counter()
    bag = DagBag(dag_folder=folder)
    times.append(time.perf_counter() - started)
found = {"dags": len(bag.dags), "errors": len(bag.import_errors)}
print(json.dumps({"cold": times[0], "warm": times[1], **found}))
"""

BASELINE_HEAD = """
from datetime import UTC, datetime, timedelta

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Asset, AssetAny, Param


def run(**kwargs):
    return {}


START = datetime(2024, 1, 1, tzinfo=UTC)
ARGS = {"owner": "integrations", "retries": 2, "retry_delay": timedelta(minutes=5)}
"""

BASELINE_DAG = """
with DAG(dag_id="sync__{name}", schedule="*/15 * * * *", start_date=START, catchup=False,
         max_active_runs=1, default_args=ARGS, tags=["omnihub", "crm", "erp"],
         params={{"full": Param(False, type="boolean")}}):
    PythonOperator(task_id="sync", python_callable=run, op_kwargs={{"sync_name": "{name}"}},
                   outlets=[Asset("omnihub://sync/{name}")])
with DAG(dag_id="reconcile__{name}", schedule=[Asset("omnihub://sync/{name}")], start_date=START,
         catchup=False, max_active_runs=1, default_args=ARGS, tags=["omnihub", "crm", "erp"],
         params={{"heal": Param(False, type="boolean"), "min_age": Param(None, type=["null", "string"])}}):
    PythonOperator(task_id="reconcile", python_callable=run, op_kwargs={{"sync_name": "{name}"}})
"""


BASELINE_IDENTITY = """
WATCHED = [Asset(f"omnihub://sync/sync_{{i:03d}}") for i in range({syncs})]
with DAG(dag_id="identity__resolve", schedule=AssetAny(*WATCHED),
         start_date=START, catchup=False, max_active_runs=1, default_args=ARGS, tags=["omnihub", "identity"],
         params={{"probable": Param(False, type="boolean")}}):
    PythonOperator(task_id="resolve", python_callable=run, op_kwargs={{"project_root": "."}})
"""


def make_project(folder: Path, syncs: int) -> Path:
    """A copy of the project whose mappings/syncs/ holds `syncs` files, each with a reconciliation (two
    DAGs per file): the shipped ones that reconcile, and copies of them (copied contact syncs still pull
    missing accounts through the shipped account sync)."""
    root = folder / "project"
    for name in ("schemas", "mappings", "dags"):
        shutil.copytree(ROOT / name, root / name)
    shipped = sorted((ROOT / "mappings" / "syncs").glob("*.yaml"))
    for path in [p for p in shipped if "\nreconcile:" not in p.read_text()]:
        (root / "mappings" / "syncs" / path.name).unlink()  # referenced by none: one DAG, not two
        shipped.remove(path)
    if syncs < len(shipped):
        raise SystemExit(f"--syncs must be at least {len(shipped)}, the shipped syncs that reconcile")
    for i in range(syncs - len(shipped)):
        source = shipped[i % len(shipped)]
        (root / "mappings" / "syncs" / f"{source.stem}_{i:03d}.yaml").write_text(source.read_text())
    return root / "dags"


def make_baseline(folder: Path, syncs: int) -> Path:
    dags = folder / "baseline"
    dags.mkdir()
    body = BASELINE_HEAD + "".join(BASELINE_DAG.format(name=f"sync_{i:03d}") for i in range(syncs))
    body += BASELINE_IDENTITY.format(syncs=syncs)
    (dags / "handwritten.py").write_text(body)
    return dags


def measure(folder: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(folder)], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def best(folder: Path, repeat: int) -> dict[str, float]:
    runs = [measure(folder) for _ in range(repeat)]
    return {
        "cold": min(r["cold"] for r in runs),
        "warm": min(r["warm"] for r in runs),
        "dags": runs[0]["dags"],
        "errors": runs[0]["errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--syncs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hub-dag-parse-") as tmp:
        folder = Path(tmp)
        hub = best(make_project(folder, args.syncs), args.repeat)
        baseline = best(make_baseline(folder, args.syncs), args.repeat)
    expected = 2 * args.syncs + 1  # and identity__resolve
    cold, warm = hub["cold"] / baseline["cold"], hub["warm"] / baseline["warm"]
    found = f"{hub['dags']:.0f} DAGs ({hub['errors']:.0f} import errors)"
    print(f"{args.syncs} sync files -> {found}, best of {args.repeat}")
    for label, side in (
        ("omnihub dags/ (YAML, validated, compiled)", hub),
        ("hand-written DAG file", baseline),
    ):
        print(f"  {label:<42} cold {side['cold']:.3f} s, warm {side['warm']:.3f} s")
    print(f"  ratio omnihub / hand-written: cold {cold:.2f}x, warm {warm:.2f}x")
    verdict = "met" if hub["cold"] < 1.0 else "NOT met"
    print(f"target: {args.syncs} sync files parse in under 1 s (cold): {verdict}")
    if hub["dags"] != expected or hub["errors"] or baseline["dags"] != expected:
        raise SystemExit(f"expected {expected} DAGs and no import errors on both sides")


if __name__ == "__main__":
    main()
