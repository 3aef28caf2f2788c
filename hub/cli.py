"""`hub`: the command line. Exit codes: 0 success, 1 the work found problems, 2 bad input.

hub validate                     check every schema, mapping and sync
hub plan SYNC [--json]           what a sync would do now; writes nothing
hub sync SYNC [--json] [--full]  run a sync
hub runs [SYNC] [--json]         recent runs and their counts
hub quarantine list|retry        records set aside, and running them again
hub sandbox serve [--port N]     local emulators, seeded, with their AIRFLOW_CONN_* lines
hub demo                         the end-to-end demonstration
hub connectors / hub schemas     what the hub can connect to, and the canonical models
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from hub.checks import check_project
from hub.console import BarProgress, err, out, plain_table, status_text, summary_table
from hub.errors import ConfigError, HubError, LockError
from hub.project import Project
from hub.redact import install_log_redaction, redact
from hub.state import StateStore
from hub.sync import SyncEngine, SyncResult

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.split("\n\n")[0])
quarantine_app = typer.Typer(
    no_args_is_help=True, help="Records set aside with the reasons they could not sync."
)
sandbox_app = typer.Typer(no_args_is_help=True, help="Local emulators of the connected systems.")
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(sandbox_app, name="sandbox")

ProjectOption = Annotated[Path, typer.Option("--project", "-p", envvar="HUB_PROJECT", help="Project root.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
StateOption = Annotated[
    str | None,
    typer.Option(
        "--state-url", envvar="HUB_STATE_URL", help="State store URL (default sqlite .hub/state.db)."
    ),
]


@app.callback()
def main_options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    """Omnihub: bidirectional record sync between front-office and back-office systems."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_log_redaction()


def fail(message: str, code: int) -> NoReturn:
    err.print(f"[red]error:[/] {redact(message)}", markup=True, highlight=False)
    raise typer.Exit(code)


def guarded(action: Callable[[], int]) -> None:
    """Run a command body, turning the hub's own errors into messages and exit codes."""
    try:
        code = action()
    except ConfigError as exc:
        for line in str(exc).splitlines():
            err.print(redact(line), markup=False, highlight=False)
        raise typer.Exit(2) from None
    except LockError as exc:
        fail(str(exc), 1)
    except HubError as exc:
        fail(str(exc), 1)
    raise typer.Exit(code)


def load(project: Path) -> Project:
    if not (project / "mappings").is_dir() and not (project / "schemas").is_dir():
        raise ConfigError(
            f"{project.resolve()} is not an Omnihub project (no mappings/ or schemas/ folder); "
            "run from the project root or pass --project"
        )
    return Project.load(project)


def engine(project: Path, state_url: str | None, progress: BarProgress | None = None) -> SyncEngine:
    loaded = load(project)
    return SyncEngine(loaded, StateStore.open(loaded.root, state_url), progress=progress)


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, default=str) + "\n")


def report(result: SyncResult, as_json: bool, title: str) -> int:
    if as_json:
        print_json(result.summary())
        return result.exit_code
    out.print(summary_table(title, [result.summary()]))
    if result.error:
        err.print(f"[red]{result.error}[/]")
    if result.counts.quarantined or result.counts.failed:
        err.print(
            f"{result.counts.quarantined + result.counts.failed} records set aside: "
            f"hub quarantine list {result.sync}"
        )
    return result.exit_code


@app.command()
def validate(project: ProjectOption = Path("."), as_json: JsonOption = False) -> None:
    """Check every schema, mapping and sync; each problem as path:line:column: message (exit 2)."""

    def body() -> int:
        loaded = load(project)
        problems = check_project(loaded)
        if as_json:
            print_json({"ok": not problems, "problems": [p.__dict__ for p in problems]})
        else:
            for problem in problems:
                out.print(str(problem), markup=False, highlight=False)
            if not problems:
                counts = (len(loaded.entities()), len(loaded.mappings), len(loaded.syncs))
                out.print("ok: {} schemas, {} mappings, {} syncs".format(*counts), markup=False)
        return 2 if problems else 0

    guarded(body)


def _run(
    sync_name: str,
    project: Path,
    state_url: str | None,
    as_json: bool,
    title: str,
    run: Callable[[SyncEngine], SyncResult],
) -> None:
    def body() -> int:
        if as_json or not err.is_terminal:
            return report(run(engine(project, state_url)), as_json, title)
        with BarProgress() as progress:
            result = run(engine(project, state_url, progress))
        return report(result, as_json, title)

    guarded(body)


@app.command()
def plan(
    sync_name: Annotated[str, typer.Argument(metavar="SYNC")],
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
    full: Annotated[bool, typer.Option("--full", help="Plan a full read.")] = False,
) -> None:
    """What a sync would create, update, skip and quarantine now. Writes nothing."""
    _run(sync_name, project, state_url, as_json, f"plan {sync_name}", lambda e: e.plan(sync_name, full=full))


@app.command()
def sync(
    sync_name: Annotated[str, typer.Argument(metavar="SYNC")],
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
    full: Annotated[bool, typer.Option("--full", help="Read everything, not just changes.")] = False,
) -> None:
    """Run a sync (incremental from the stored cursor)."""
    _run(sync_name, project, state_url, as_json, f"sync {sync_name}", lambda e: e.sync(sync_name, full=full))


@app.command()
def reconcile(
    sync_name: Annotated[str, typer.Argument(metavar="SYNC")],
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
    out: Annotated[Path, typer.Option("--out", help="Folder for the reports and their index.")] = Path(
        ".hub/reports"
    ),
    heal: Annotated[
        bool, typer.Option("--heal", help="Re-sync what differs, from the side of truth.")
    ] = False,
    min_age: Annotated[
        str | None,
        typer.Option("--min-age", help="Judge only records older than this (90s, 5m); overrides YAML."),
    ] = None,
) -> None:
    """Compare both systems of a sync field by field and write JSON, CSV and HTML reports (exit 1 on fail)."""
    from hub.reconcile.engine import Reconciler
    from hub.transforms import parse_duration

    def body() -> int:
        sync_engine = engine(project, state_url)
        reconciler = Reconciler(sync_engine.project, sync_engine.store, engine=sync_engine)
        age = parse_duration(min_age) if min_age is not None else None
        result = reconciler.run(sync_name, heal_records=heal, min_age=age)
        files, doc = reconciler.report(result, out if out.is_absolute() else sync_engine.project.root / out)
        summary = {
            "sync": doc["sync"],
            "run_id": doc["run_id"],
            "status": doc["status"],
            **doc["counts"],
            "fields": {f["field"]: f["unequal"] for f in doc["fields"]},
            "breaches": doc["thresholds"]["breaches"],
            "healed": doc["healed"],
            "report": str(files.html),
            "index": str(files.index),
        }
        if as_json:
            print_json(summary)
        else:
            _print_reconciliation(summary)
        return result.exit_code

    guarded(body)


def _print_reconciliation(summary: dict[str, Any]) -> None:
    keys = (
        "source_records",
        "target_records",
        "matched",
        "equal",
        "unequal",
        "only_in_source",
        "only_in_target",
        "duplicates_in_source",
        "duplicates_in_target",
        "quarantined_in_source",
        "skipped_in_flight",
    )
    out.print(
        plain_table(
            f"reconcile {summary['sync']}: {status_text(summary['status'])}",
            ["", "records"],
            [(k.replace("_", " "), f"{summary[k]:,}") for k in keys],
        )
    )
    differing = [(name, n) for name, n in summary["fields"].items() if n]
    if differing:
        out.print(plain_table("unequal rows per field", ["field", "rows"], differing))
    for breach in summary["breaches"]:
        err.print(f"[red]threshold crossed:[/] {breach}")
    if summary["healed"]:
        healed = summary["healed"]
        out.print(f"healed: {healed['records']} records copied from {healed['from']} to {healed['to']}")
    out.print(f"report: {summary['report']}\nindex:  {summary['index']}", markup=False, highlight=False)


@app.command()
def runs(
    sync_name: Annotated[str | None, typer.Argument(metavar="[SYNC]")] = None,
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option(help="How many runs.")] = 20,
) -> None:
    """Recent runs, newest first, with their counts and API calls."""

    def body() -> int:
        store = StateStore.open(project.resolve(), state_url)
        rows = store.runs(sync_name, limit=limit)
        if as_json:
            print_json({"runs": [row.__dict__ for row in rows]})
            return 0
        table = plain_table(
            "runs",
            ["started", "sync", "kind", "status", "counts", "API calls"],
            [
                (
                    r.started_at[:19],
                    r.sync,
                    r.kind,
                    status_text(r.status),
                    _counts(r.counts),
                    sum(r.api_calls.values()),
                )
                for r in rows
            ],
        )
        out.print(table)
        return 0

    guarded(body)


RUN_COUNTS = (
    "read",
    "created",
    "updated",
    "unchanged",
    "quarantined",
    "failed",
    "matched",
    "unequal",
    "only_in_source",
    "only_in_target",
)


def _counts(counts: dict[str, Any]) -> str:
    """The non-zero counts of a run, sync or reconciliation alike."""
    return " · ".join(f"{k.replace('_', ' ')} {counts[k]:,}" for k in RUN_COUNTS if counts.get(k)) or "-"


@quarantine_app.command("list")
def quarantine_list(
    sync_name: Annotated[str | None, typer.Argument(metavar="[SYNC]")] = None,
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
    every: Annotated[bool, typer.Option("--all", help="Include resolved entries.")] = False,
    limit: Annotated[int, typer.Option(help="How many entries.")] = 50,
) -> None:
    """Quarantined records with their reasons (open ones by default)."""

    def body() -> int:
        store = StateStore.open(project.resolve(), state_url)
        rows = store.quarantined(sync_name, status=None if every else "open", limit=limit)
        if as_json:
            print_json({"quarantine": [row.__dict__ for row in rows]})
            return 0
        table = plain_table(
            "quarantine",
            ["id", "sync", "record", "stage", "attempts", "status", "reasons"],
            [
                (
                    r.id,
                    r.sync,
                    f"{r.system}:{r.record_id}",
                    r.stage,
                    r.attempts,
                    r.status,
                    "; ".join(f"{e.get('field')}: {e.get('message')}" for e in r.errors),
                )
                for r in rows
            ],
        )
        out.print(table)
        open_counts = store.quarantine_counts()
        out.print(
            f"open: {sum(open_counts.values())} " + " ".join(f"{k}={v}" for k, v in open_counts.items())
        )
        return 0

    guarded(body)


@quarantine_app.command("retry")
def quarantine_retry(
    sync_name: Annotated[str, typer.Argument(metavar="SYNC")],
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
    ids: Annotated[list[int] | None, typer.Option("--id", help="Only these entries.")] = None,
) -> None:
    """Run quarantined records of a sync again (after fixing the mapping or the data)."""
    _run(sync_name, project, state_url, as_json, f"retry {sync_name}", lambda e: e.retry(sync_name, ids))


@sandbox_app.command("serve")
def sandbox_serve(
    port: Annotated[int, typer.Option(help="First port; each emulator takes the next one.")] = 8440,
    accounts: Annotated[int, typer.Option(help="Accounts to seed in the CRM.")] = 200,
    contacts: Annotated[int, typer.Option(help="Contacts to seed in the CRM.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 7,
    fault_rate: Annotated[float, typer.Option(help="Share of requests answered with a fault (0-1).")] = 0.0,
    fault_kinds: Annotated[
        str, typer.Option(help="Comma-separated: rate_limit, unavailable, disconnect.")
    ] = ("rate_limit"),
    latency_ms: Annotated[float, typer.Option(help="Added latency per request.")] = 0.0,
    project: ProjectOption = Path("."),
) -> None:
    """Start the emulators, seed them and print the AIRFLOW_CONN_* lines that reach them (Ctrl-C stops)."""
    import signal
    import threading

    from connectors.registry import sandbox_class

    def body() -> int:
        kinds = tuple(k.strip() for k in fault_kinds.split(",") if k.strip())
        sandbox = sandbox_class().start(
            folder=project.resolve() / ".hub" / "sandbox",
            port=port,
            seed=seed,
            scale={"accounts": accounts, "contacts": contacts},
            fault_rate=fault_rate,
            fault_kinds=kinds,
            latency_ms=latency_ms,
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            for name, value in sandbox.environment().items():
                out.print(f"export {name}='{value}'", markup=False, highlight=False)
            for system, server in sandbox.servers.items():
                err.print(f"{system}: {server.url}")
            err.print("serving; Ctrl-C to stop")
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            sandbox.stop()
        return 0

    guarded(body)


@app.command()
def demo(
    accounts: Annotated[int, typer.Option(help="Accounts to seed in Salesforce.")] = 2000,
    contacts: Annotated[int, typer.Option(help="Contacts to seed in Salesforce.")] = 10000,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 7,
    project: ProjectOption = Path("."),
) -> None:
    """Sandbox, seed, every sync twice (the second run writes nothing), then stop everything."""
    from hub.demo import run_demo

    guarded(lambda: run_demo(load(project).root, accounts=accounts, contacts=contacts, seed=seed))


@app.command()
def connectors(as_json: JsonOption = False) -> None:
    """The systems the hub can connect to, their connection fields and API limits."""
    from connectors.registry import connector_class, systems

    rows: list[dict[str, Any]] = []
    for system in systems():
        cls = connector_class(system)
        rows.append(
            {
                "system": system,
                "name": cls.display_name,
                "conn_type": cls.conn_type,
                "default_conn_id": cls.default_conn_id,
                "max_batch": cls.max_batch,
                "max_page": cls.max_page,
                "deletes": cls.supports_deletes,
                "extras": sorted(cls.form_fields),
            }
        )
    if as_json:
        print_json({"connectors": rows})
        return
    out.print(
        plain_table(
            "connectors",
            ["system", "name", "conn id", "batch", "page", "deletes", "extras"],
            [
                (
                    r["system"],
                    r["name"],
                    r["default_conn_id"],
                    r["max_batch"],
                    r["max_page"],
                    r["deletes"],
                    ", ".join(r["extras"]),
                )
                for r in rows
            ],
        )
    )


@app.command()
def schemas(
    entity: Annotated[str | None, typer.Argument(help="Show one entity's fields.")] = None,
    project: ProjectOption = Path("."),
    as_json: JsonOption = False,
) -> None:
    """The canonical models (or one model's fields)."""
    from hub.schemapaths import canonical_paths

    def body() -> int:
        loaded = load(project)
        if entity is None:
            rows = [
                (
                    name,
                    s.get("version"),
                    len(s.get("properties", {})),
                    ", ".join(s.get("required", [])),
                    " | ".join("+".join(rule) for rule in s.get("x-match", [])),
                )
                for name, s in ((n, loaded.schemas[n]) for n in loaded.entities())
            ]
            if as_json:
                print_json(
                    {
                        "schemas": [
                            dict(zip(("entity", "version", "fields", "required", "match"), r, strict=True))
                            for r in rows
                        ]
                    }
                )
            else:
                out.print(
                    plain_table(
                        "canonical models", ["entity", "version", "fields", "required", "x-match"], rows
                    )
                )
            return 0
        schema = loaded.entity_schema(entity)
        if schema is None:
            raise ConfigError(f"no canonical entity {entity!r}; known: {', '.join(loaded.entities())}")
        paths = canonical_paths(schema, loaded.registry)
        if as_json:
            print_json({"entity": entity, "fields": paths})
        else:
            out.print(
                plain_table(
                    entity,
                    ["field", "type", "format / pattern", "description"],
                    [
                        (
                            p,
                            s.get("type", "object"),
                            s.get("format") or s.get("pattern"),
                            s.get("description", ""),
                        )
                        for p, s in paths.items()
                    ],
                )
            )
        return 0

    guarded(body)


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()
