"""Rate-limit answers when several processes write to one rate-limited system, with and without a
shared API budget, and what a token costs.

    .venv/bin/python bench/budget.py [--workers 2] [--writes 30] [--limit 10] [--interval-ms 1000]
        [--redis redis://127.0.0.1:6379/0] [--postgres postgresql://…  (default: HUB_STATE_URL)]

A HubSpot emulator enforcing a rolling burst limit (`--limit` requests per `--interval-ms`, as HubSpot
enforces 100 or 190 per 10 s) serves `--workers` processes at once, each writing `--writes` batches of
5 contacts through the HubSpot connector (its own HubSession, its own retries). Each way the budget
can be kept runs in turn: `off` (no budget: only the session's retries), `local` (a bucket per
process: each knows the limit, none knows the others), then Redis and PostgreSQL (one bucket shared by
every process; PostgreSQL only with `--postgres` or a PostgreSQL HUB_STATE_URL, whose database gets the
`hub_api_budget` table). It prints the 429s the emulator answered, the wall time and whether every record was
written; then the time one token takes from each store, in this process.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.emulators.hubspot import HubSpotEmulator  # noqa: E402
from connectors.emulators.server import EmulatorServer  # noqa: E402
from connectors.hubspot import HubSpotConnector  # noqa: E402
from hub.io.budget import BUDGET_SETTING, RateLimit, open_budget  # noqa: E402
from hub.io.connections import parse_connection  # noqa: E402
from hub.io.connector import ObjectSpec  # noqa: E402
from hub.io.records import WriteOp  # noqa: E402

CONTACTS = ObjectSpec(
    "contacts", ("id", "lastmodifieddate", "hub_id", "lastname", "email"), "id", None, "hub_id"
)
BATCH = 5


def write(connection: dict[str, Any], conn_id: str, budget_url: str, worker: int, writes: int) -> int:
    """One worker's sync: `writes` batches of BATCH new contacts; how many were written."""
    os.environ[BUDGET_SETTING] = budget_url
    connector = HubSpotConnector(parse_connection(conn_id, json.dumps(connection)))
    written = 0
    for batch in range(writes):
        ops = [
            WriteOp(
                uuid.uuid4().hex, {"lastname": f"W{worker}", "email": f"{worker}.{batch}.{i}@{conn_id}.io"}
            )
            for i in range(BATCH)
        ]
        written += sum(1 for result in connector.write(CONTACTS, ops) if result.error is None)
    return written


def contend(args: argparse.Namespace, budget_url: str) -> tuple[int, float, bool]:
    """The 429s answered, the wall time, and whether every worker wrote all it had to."""
    app = HubSpotEmulator(burst_limit=args.limit, burst_interval_ms=args.interval_ms)
    with EmulatorServer(app) as server:
        connection = app.connection(server.url)
        connection["extra"] = {"retry_attempts": 100, "retry_base_delay": 0.05, "retry_max_delay": 0.5}
        conn_id = f"hubspot_{uuid.uuid4().hex[:8]}"
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            started = time.perf_counter()
            runs = [
                pool.apply_async(write, (connection, conn_id, budget_url, w, args.writes))
                for w in range(args.workers)
            ]
            written = [run.get(timeout=600) for run in runs]
            elapsed = time.perf_counter() - started
        return app.stats["throttled"], elapsed, written == [args.writes * BATCH] * args.workers


def token_cost(url: str, takes: int = 2000) -> float:
    """Microseconds one token takes from the store `url` names (a bucket that never runs dry)."""
    budget = open_budget(url)
    assert budget is not None
    key, limit = f"bench:{uuid.uuid4().hex}", RateLimit(10**9, 1)
    budget.take(key, limit)  # connect, create the table
    started = time.perf_counter()
    for _ in range(takes):
        budget.take(key, limit)
    elapsed = time.perf_counter() - started
    budget.close()
    return elapsed / takes * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--writes", type=int, default=30, help="batches of 5 contacts per worker")
    parser.add_argument("--limit", type=int, default=10, help="requests per interval the emulator allows")
    parser.add_argument("--interval-ms", type=int, default=1000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--postgres", default=os.environ.get("HUB_STATE_URL", ""))
    args = parser.parse_args()
    modes = {"off": "off", "local": "local", "redis": args.redis}
    if args.postgres.startswith("postgres"):
        modes["postgresql"] = args.postgres
    requests = args.workers * args.writes
    print(
        f"{args.workers} processes x {args.writes} batch writes ({requests} requests) against a HubSpot "
        f"emulator allowing {args.limit} per {args.interval_ms} ms"
    )
    counts = {}
    for mode, url in modes.items():
        throttled, elapsed, complete = contend(args, url)
        counts[mode] = throttled
        print(f"  budget {mode:<10} 429s: {throttled:>4}   wall: {elapsed:5.1f} s   all written: {complete}")
    for mode in ("redis", "postgresql"):
        if mode in counts:
            print(f"  429s without a budget / with {mode}: {counts['off']} / {counts[mode]}")
    print("time to take one token (this process, a bucket that never runs dry):")
    for mode in [m for m in modes if m != "off"]:
        print(f"  {mode:<10} {token_cost(modes[mode]):8.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
