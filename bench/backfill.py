"""A whole-run backfill, PostgreSQL to PostgreSQL, against dlt on the same machine (issue 16, item 2).

    .venv/bin/python bench/backfill.py [--rows 100000] [--pg postgresql://postgres@127.0.0.1:5432]

Throwaway databases on the local server: a source with N customer rows, Omnihub's target, Omnihub's
state store and dlt's target (all dropped at the end); each tool creates its own target table
(Omnihub's mapping sets `create_table`). Omnihub runs `hub sync customers_to_warehouse`
in a project in a temporary folder: two SQL mappings of `account`, a sync from the connection
`sql_default` (the source) to `warehouse` (the target), the state store on PostgreSQL. dlt runs its
`sql_database` source (incremental on `updated_at`, `write_disposition="merge"` on `id`) into
PostgreSQL. Each run is its own child process of this one: wall time, rows/s and the child's peak
RSS (`os.wait4`'s rusage) for the first load, a rerun with nothing changed, and a run after 1% of the
rows changed, then Omnihub's time and memory as ratios of dlt's (below 1: Omnihub is faster).
`--shards N` then loads the same rows again into a fresh target and state store with
`hub backfill customers_to_warehouse --shards N` (N processes at once, each reading only its part:
the SQL connector narrows a part's read on the integer key) and prints its speed-up over the single
first load. `--profile FILE` runs Omnihub's first load under cProfile and writes its statistics to FILE.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
SYNC = "customers_to_warehouse"
SOURCE_MAPPING = """\
system: sql
object: customers
entity: account
primary_key: id
cursor_field: updated_at
fields:
  - {canonical: name, system: name}
  - {canonical: account_number, system: number}
  - {canonical: email, system: email}
  - {canonical: industry, system: industry}
  - {canonical: employees, system: employees}
  - {canonical: updated_at, system: updated_at, direction: inbound, inbound: [datetime]}
"""
TARGET_MAPPING = """\
system: sql
object: customers
entity: account
primary_key: id
cursor_field: updated_at
external_id_field: hub_id
options:
  create_table: true   # as dlt makes its own table, typed from the canonical schema (employees: integer)
fields:
  - {canonical: name, system: name}
  - {canonical: account_number, system: number}
  - {canonical: email, system: email}
  - {canonical: industry, system: industry}
  - {canonical: employees, system: employees}
  - {canonical: updated_at, system: updated_at, direction: inbound, inbound: [datetime]}
"""
SOURCE_TABLE = """
CREATE TABLE customers (
    id bigserial PRIMARY KEY, name text NOT NULL, number text, email text, industry text,
    employees integer, updated_at timestamptz NOT NULL
)"""
FILL = """
INSERT INTO customers (name, number, email, industry, employees, updated_at)
SELECT 'Company ' || i, 'C-' || i, 'billing' || i || '@example.com',
       (ARRAY['Retail', 'Banking', 'Software', 'Logistics'])[1 + i %% 4], i %% 5000,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second'
FROM generate_series(1, %s) AS i"""
CHANGE = "UPDATE customers SET name = name || ' (renamed)', updated_at = now() WHERE id % 100 = 0"


@dataclass
class Run:
    """One child process: its wall time and peak resident memory."""

    seconds: float
    peak_mb: float


def child(command: list[str], env: dict[str, str], what: str) -> Run:
    """Run `command` as a child, waiting with wait4 for its own rusage (its peak RSS alone)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        spent = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            err.seek(0)
            out.seek(0)
            tail = (out.read()[-1500:] + err.read()[-3000:]).decode(errors="replace")
            raise SystemExit(f"{what} failed (exit {process.returncode}):\n{tail}")
    return Run(spent, usage.ru_maxrss / 1024)


def url_of(server: str, database: str, driver: str = "postgresql") -> str:
    return f"{server.replace('postgresql://', driver + '://', 1)}/{database}"


def admin(server: str, *statements: str) -> None:
    with psycopg.connect(url_of(server, "postgres"), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def execute(url: str, statement: str, *params: object) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement, params or None)


def count(url: str, sql: str) -> tuple[object, ...]:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return tuple(row)


def write_project(folder: Path) -> Path:
    project = folder / "project"
    done = subprocess.run(
        [sys.executable, "-m", "hub", "init", str(project), "--syncs", ""],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"hub init failed: {done.stderr}")
    (project / "mappings" / "sql").mkdir(parents=True, exist_ok=True)
    (project / "mappings" / "sql" / "crm_account.yaml").write_text(SOURCE_MAPPING)
    (project / "mappings" / "sql" / "warehouse_account.yaml").write_text(TARGET_MAPPING)
    (project / "syncs" / f"{SYNC}.yaml").write_text(
        "entity: account\n"
        "batch_size: 1000\n"
        "source: {system: sql, connection: sql_default, mapping: sql/crm_account}\n"
        "target: {system: sql, connection: warehouse, mapping: sql/warehouse_account}\n"
    )
    return project


def hub_env(
    server: str, names: dict[str, str], target: str = "omnihub", state: str = "state"
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "HUB_"))}
    for conn, database in (("SQL_DEFAULT", names["source"]), ("WAREHOUSE", names[target])):
        extra = {"url": url_of(server, database, "postgresql+psycopg")}
        env[f"AIRFLOW_CONN_{conn}"] = json.dumps({"conn_type": "omnihub_sql", "extra": extra})
    env["HUB_STATE_URL"] = url_of(server, names[state], "postgresql+psycopg")
    return env


def dlt_load(source_url: str, target_url: str, pipelines: str) -> None:
    """dlt's sql_database source merged into PostgreSQL (runs in a child process)."""
    import dlt
    from dlt.sources.sql_database import sql_database

    source = sql_database(source_url, table_names=["customers"])
    source.customers.apply_hints(primary_key="id", incremental=dlt.sources.incremental("updated_at"))
    pipeline = dlt.pipeline(
        pipeline_name="bench_backfill",
        pipelines_dir=pipelines,
        # dlt insists on a password; trust authentication ignores the one it is given
        destination=dlt.destinations.postgres(target_url.replace("://postgres@", "://postgres:trust@", 1)),
        dataset_name="bench",
    )
    info = pipeline.run(source, write_disposition="merge")
    info.raise_on_failed_jobs()


def phases(
    args: argparse.Namespace, server: str, names: dict[str, str], folder: Path
) -> dict[str, dict[str, Run]]:
    """The three runs of each tool, in turn."""
    project = write_project(folder)
    env = hub_env(server, names)
    hub = [sys.executable, "-m", "hub", "sync", SYNC, "--json", "--project", str(project)]
    source = url_of(server, names["source"])
    dlt = [sys.executable, __file__, "--dlt-child", source, url_of(server, names["dlt"]), str(folder / "dlt")]
    results: dict[str, dict[str, Run]] = {}
    for phase in ("first load", "no-change rerun", "1% incremental"):
        if phase == "1% incremental":
            execute(source, CHANGE)
        first = [sys.executable, "-m", "cProfile", "-o", args.profile, "-m", "hub", *hub[3:]]
        omnihub = first if args.profile and phase == "first load" else hub
        results[phase] = {
            "omnihub": child(omnihub, env, f"omnihub {phase}"),
            "dlt": child(dlt, {**os.environ, "RUNTIME__LOG_LEVEL": "WARNING"}, f"dlt {phase}"),
        }
    return results


def sharded(server: str, names: dict[str, str], folder: Path, shards: int) -> Run:
    """The first load again, into a fresh target and state store, as `shards` parts at once."""
    project = folder / "project"
    env = hub_env(server, names, target="sharded", state="sharded_state")
    command = [sys.executable, "-m", "hub", "backfill", SYNC, "--shards", str(shards), "--json"]
    return child([*command, "--project", str(project)], env, f"omnihub backfill in {shards} parts")


SQL_CHECK = (
    "SELECT count(*), count(DISTINCT {key}), count(*) FILTER (WHERE name LIKE '%(renamed)') FROM {table}"
)


def check(server: str, names: dict[str, str], rows: int) -> None:
    """Both targets hold every row once, with the renamed ones renamed."""
    ours = count(url_of(server, names["omnihub"]), SQL_CHECK.format(key="hub_id", table="customers"))
    theirs = count(url_of(server, names["dlt"]), SQL_CHECK.format(key="id", table="bench.customers"))
    expected = (rows, rows, rows // 100)
    if ours != expected or theirs != expected:
        raise SystemExit(f"targets differ from the source: omnihub {ours}, dlt {theirs}, expected {expected}")


def stages(server: str, names: dict[str, str]) -> str:
    """Where Omnihub's first load spent its time, stage by stage (the run's `stages` detail)."""
    with psycopg.connect(url_of(server, names["state"])) as conn:
        row = conn.execute(
            "SELECT details FROM hub_runs WHERE kind = 'sync' ORDER BY started_at LIMIT 1"
        ).fetchone()
    details = row[0] if row else {}
    spent = (json.loads(details) if isinstance(details, str) else details).get("stages", {})
    shown = ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in spent.items())
    return (
        f"Omnihub's first load by stage, seconds (summed over pages; a page's write and commit run beside "
        f"the next page's read and mapping): {shown}"
    )


def report(rows: int, results: dict[str, dict[str, Run]], settings: str) -> None:
    print(f"PostgreSQL -> PostgreSQL, {rows:,} customer rows (1% = {rows // 100:,} changed); {settings}")
    print(f"{'run':<17}{'tool':<9}{'wall s':>9}{'rows/s':>10}{'peak MB':>9}")
    for phase, runs in results.items():
        moved = rows if phase == "first load" else rows // 100 if phase.startswith("1%") else 0
        for tool, run in runs.items():
            rate = f"{moved / run.seconds:,.0f}" if moved else "-"
            print(f"{phase:<17}{tool:<9}{run.seconds:>9.2f}{rate:>10}{run.peak_mb:>9.0f}")
        ours, theirs = runs["omnihub"], runs["dlt"]
        print(
            f"{'':<17}{'ratio':<9}{ours.seconds / theirs.seconds:>8.2f}x{'':>10}"
            f"{ours.peak_mb / theirs.peak_mb:>8.2f}x  (omnihub / dlt; below 1: omnihub faster/smaller)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--profile", default="", help="cProfile output file for Omnihub's first load")
    parser.add_argument("--shards", type=int, default=0, help="also load in N parts at once (hub backfill)")
    parser.add_argument("--dlt-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dlt_child:
        dlt_load(*args.dlt_child)
        return
    server = args.pg.rstrip("/")
    roles = ("source", "omnihub", "state", "dlt", *(("sharded", "sharded_state") if args.shards else ()))
    names = {role: f"omnihub_bench_{role}_{os.getpid()}" for role in roles}
    admin(server, *(f'CREATE DATABASE "{name}"' for name in names.values()))
    try:
        execute(url_of(server, names["source"]), SOURCE_TABLE)
        execute(url_of(server, names["source"]), FILL, args.rows)
        execute(url_of(server, names["source"]), "ANALYZE customers")
        with tempfile.TemporaryDirectory() as folder:
            results = phases(args, server, names, Path(folder))
            parts = sharded(server, names, Path(folder), args.shards) if args.shards else None
        check(server, names, args.rows)
        with psycopg.connect(url_of(server, "postgres")) as conn:
            autovacuum = conn.execute("SHOW autovacuum").fetchone()
        report(args.rows, results, f"server autovacuum {autovacuum[0] if autovacuum else '?'}")
        print(stages(server, names))
        if parts is not None:
            single = results["first load"]["omnihub"].seconds
            left = count(url_of(server, names["sharded"]), SQL_CHECK.format(key="hub_id", table="customers"))
            print(
                f"first load in {args.shards} parts at once (hub backfill): {parts.seconds:.2f} s, "
                f"{args.rows / parts.seconds:,.0f} rows/s, peak {parts.peak_mb:.0f} MB; speed-up over one "
                f"process {single / parts.seconds:.2f}x; rows {left[0]:,}, distinct hub ids {left[1]:,}"
            )
            if left[:2] != (args.rows, args.rows):
                raise SystemExit(f"the backfill in parts left {left[0]} rows, {left[1]} distinct")
    finally:
        admin(server, *(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names.values()))


if __name__ == "__main__":
    main()
