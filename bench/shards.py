"""A backfill split into shards, against one shard, on the sandbox (issue 16, item 3).

    .venv/bin/python bench/shards.py [--contacts 4000] [--shards 2] [--latency-ms 5]

For each of 1 and N shards, a fresh sandbox (Salesforce accounts and contacts, Odoo empty of them,
each answer delayed by the given latency, as a real API's round trip is) and a fresh SQLite state
store; `hub backfill crm_accounts_to_erp --shards K` runs the K parts as K processes at once, then the
finishing run (BENCH_SYNC names another sync). It prints each wall time, the speed-up, and checks
that both left every record in
Odoo exactly once (the same number of partners, none twice).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.emulators.sandbox import Sandbox  # noqa: E402

SYNC = os.environ.get("BENCH_SYNC", "crm_accounts_to_erp")


def backfill(shards: int, contacts: int, latency_ms: int) -> tuple[float, int]:
    """Wall time of a backfill in `shards` parts on a fresh sandbox, and the partners it left."""
    with tempfile.TemporaryDirectory() as folder:
        sandbox = Sandbox.start(
            folder=Path(folder) / "sandbox",
            scale={"accounts": contacts, "contacts": contacts},
            seed=5,
            latency_ms=latency_ms,
        )
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "HUB_"))}
            env |= sandbox.environment() | {"HUB_STATE_URL": f"sqlite:///{Path(folder) / 'state.db'}"}
            command = [sys.executable, "-m", "hub", "backfill", SYNC, "--shards", str(shards), "--json"]
            started = time.perf_counter()
            done = subprocess.run(
                [*command, "--project", str(ROOT)], env=env, capture_output=True, text=True, check=False
            )
            spent = time.perf_counter() - started
            if done.returncode not in (0, 1):
                raise SystemExit(f"backfill with {shards} shards failed: {done.stderr[-2000:]}")
            json.loads(done.stdout)
            rows = sandbox.apps["odoo"].records("res.partner")  # type: ignore[attr-defined]
            written = Counter(r["x_hub_id"] for r in rows if r["x_hub_id"])
            if written and max(written.values()) > 1:
                raise SystemExit(f"backfill with {shards} shards wrote a record twice")
            return spent, len(written)
        finally:
            sandbox.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=4000)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--latency-ms", type=int, default=5)
    options = parser.parse_args()
    one, one_written = backfill(1, options.contacts, options.latency_ms)
    many, many_written = backfill(options.shards, options.contacts, options.latency_ms)
    print(f"{SYNC}: {options.contacts:,} records, {options.latency_ms} ms per answer")
    print(f"1 shard:  {one:7.1f} s, {one_written:,} partners written once each")
    print(f"{options.shards} shards: {many:7.1f} s, {many_written:,} partners written once each")
    same = one_written == many_written
    print(f"speed-up: {one / many:.2f}x with {options.shards} shards against 1 (same records: {same})")
    return 0 if one_written == many_written else 1


if __name__ == "__main__":
    raise SystemExit(main())
