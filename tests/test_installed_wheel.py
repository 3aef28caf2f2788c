"""Omnihub as a product: the wheel built from this tree, installed alone into a fresh virtual
environment outside the repository, starts a project (`hub init`), validates it, runs a sync and a
reconciliation of it against the sandbox, and Airflow's DagBag loads the project's DAGs — nothing of
the source tree on the path."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def run(args: list[str | Path], cwd: Path, env: dict[str, str], codes: tuple[int, ...] = (0,)) -> str:
    """The command's output; it must exit with one of `codes` (1: a run that set records aside)."""
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode in codes, (
        f"{args}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A fresh virtual environment holding the wheel of this tree (with Airflow), and the environment
    its commands run in: nothing of the checkout on PYTHONPATH, the working folder outside it."""
    base = tmp_path_factory.mktemp("product")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "HUB_", "AIRFLOW"))
    }
    env |= {"AIRFLOW_HOME": str(base / "airflow"), "PYTHONNOUSERSITE": "1"}
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base / "dist", ROOT], base, env)
    (wheel,) = (base / "dist").glob("omnihub-*.whl")
    run([sys.executable, "-m", "venv", base / "venv"], base, env)
    run([base / "venv" / "bin" / "pip", "install", "-q", f"{wheel}[airflow]"], base, env)
    return base, env


def test_the_installed_wheel_runs_a_project_of_its_own(installed: tuple[Path, dict[str, str]]) -> None:
    base, env = installed
    bin_ = base / "venv" / "bin"
    where = run(
        [bin_ / "python", "-c", "import hub, hub.library; print(hub.__file__, hub.library.root())"], base, env
    )
    assert str(ROOT) not in where and "site-packages" in where and "_library" in where
    assert run([bin_ / "hub", "--version"], base, env).startswith("omnihub ")

    run([bin_ / "hub", "init", "acme"], base, env)
    project = base / "acme"
    assert run([bin_ / "hub", "validate"], project, env).startswith("ok: ")

    sandbox = subprocess.Popen(
        [bin_ / "hub", "sandbox", "serve", "--port", "0", "--scale", "0.02"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [sandbox.stdout.readline() for _ in range(9)]  # type: ignore[union-attr]
        assert all(line.startswith("export AIRFLOW_CONN_") for line in lines), lines
        connections = dict(line.removeprefix("export ").strip().split("=", 1) for line in lines)
        work = env | {name: value.strip("'") for name, value in connections.items()}
        synced = json.loads(
            run([bin_ / "hub", "sync", "crm_contacts_to_erp", "--json"], project, work, (0, 1))
        )
        assert synced["created"] > 0 and synced["status"] in ("success", "partial")
        reconciled = json.loads(
            run([bin_ / "hub", "reconcile", "crm_accounts_to_erp", "--json"], project, work, (0, 1))
        )
        assert reconciled["sync"] == "crm_accounts_to_erp" and "matched" in json.dumps(reconciled)
        assert (project / ".hub" / "state.db").is_file()
    finally:
        sandbox.send_signal(signal.SIGTERM)
        sandbox.wait(timeout=30)

    loaded = run(
        [
            bin_ / "python",
            "-c",
            "import json; from airflow.dag_processing.dagbag import DagBag; "
            "bag = DagBag(dag_folder='dags'); "
            "print(json.dumps({'dags': sorted(bag.dag_ids), 'errors': list(bag.import_errors)}))",
        ],
        project,
        env,
    )
    bag = json.loads(loaded.strip().splitlines()[-1])
    assert bag == {
        "dags": [
            "identity__resolve",  # after the syncs of accounts and contacts
            "reconcile__crm_accounts_to_erp",
            "reconcile__crm_contacts_to_erp",
            "sync__crm_accounts_to_erp",
            "sync__crm_contacts_to_erp",
        ],
        "errors": [],
    }
