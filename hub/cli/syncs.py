"""Commands that run syncs and show their history: plan, sync, backfill, runs, quarantine."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from hub.cli.base import (
    JsonOption,
    ProjectOption,
    StateOption,
    app,
    engine,
    guarded,
    print_json,
    quarantine_app,
    report,
    state_of,
)
from hub.cli.console import BarProgress, err, out, plain_table, status_text
from hub.engine.pipeline import Shard
from hub.engine.sync import SyncEngine, SyncResult
from hub.errors import HubError
from hub.state import StateStore
from hub.state.database import STATE_SETTING, shown

RECORDED = "; `hub runs` shows it interrupted, and what it committed is kept: the next run goes on from there"
"""What an interrupted sync or retry leaves, as the line that ends it says."""


def _run(
    sync_name: str,
    project: Path,
    state_url: str | None,
    as_json: bool,
    title: str,
    run: Callable[[SyncEngine], SyncResult],
    stopped: str = RECORDED,
) -> None:
    def body() -> int:
        if as_json or not err.is_terminal:
            return report(run(engine(project, state_url, sync_name)), as_json, title)
        with BarProgress() as progress:
            result = run(engine(project, state_url, sync_name, progress))
        return report(result, as_json, title)

    guarded(body, stopped=stopped)


@app.command()
def plan(
    sync_name: Annotated[str, typer.Argument(metavar="SYNC")],
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
    full: Annotated[bool, typer.Option("--full", help="Plan a full read.")] = False,
) -> None:
    """What a sync would create, update, skip and quarantine now. Writes nothing."""
    _run(
        sync_name,
        project,
        state_url,
        as_json,
        f"plan {sync_name}",
        lambda e: e.plan(sync_name, full=full),
        stopped="; a plan writes nothing",
    )


@app.command()
def sync(
    sync_name: Annotated[str, typer.Argument(metavar="SYNC")],
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
    full: Annotated[bool, typer.Option("--full", help="Read everything, not just changes.")] = False,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="K/N",
            callback=lambda v: v if v is None else str(parse_shard(v)),
            help="Run part K of an N-part backfill (a full read; `hub backfill` runs them all).",
        ),
    ] = None,
) -> None:
    """Run a sync (incremental from the stored cursor)."""
    part = parse_shard(shard) if shard else None
    title = f"sync {sync_name}" + (f" shard {part}" if part else "")
    _run(sync_name, project, state_url, as_json, title, lambda e: e.sync(sync_name, full=full, shard=part))


def parse_shard(text: str) -> Shard:
    """`K/N` as a Shard (a usage error naming the option otherwise)."""
    try:
        return Shard.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def backfill(
    sync_name: Annotated[str, typer.Argument(metavar="SYNC")],
    shards: Annotated[int, typer.Option("--shards", min=1, max=64, help="Parts run at once.")] = 2,
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """A full read of a sync split into SHARDS parts run at once, each its own process (on Airflow:
    the DAG backfill__SYNC, one mapped task per part), then one ordinary run from the earliest cursor
    any part reached. Each source record is written by exactly one part; a part that fails or is
    killed is simply run again (`hub sync SYNC --shard K/N`), then `hub backfill` finishes."""

    def body() -> int:
        engine(project, state_url, sync_name)  # the gate: the sync's problems stop it before any part runs
        root = project.resolve()
        command = [sys.executable, "-m", "hub", "sync", sync_name, "--json", "--project", str(root)]
        if state_url:
            command += ["--state-url", state_url]
        parts = [
            subprocess.Popen(
                [*command, "--shard", f"{k}/{shards}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for k in range(shards)
        ]
        outcomes: list[dict[str, Any]] = []
        failed: list[str] = []
        for k, part in enumerate(parts):
            stdout, stderr = part.communicate()
            said: dict[str, Any] | None = json.loads(stdout) if stdout.strip().startswith("{") else None
            if said is None or said["status"] == "failed":
                failed.append(f"{k}/{shards}")
            outcomes.append(
                {
                    "shard": f"{k}/{shards}",
                    "exit": part.returncode,
                    "summary": said,
                    "error": stderr.strip()[-500:],
                }
            )
            if not as_json:
                counts = (
                    f"{said['read']} read, {said['created']} created, {said['updated']} updated"
                    if said
                    else stderr.strip()[-300:]
                )
                err.print(f"shard {k}/{shards}: {counts}", markup=False, highlight=False)
        if failed:
            raise HubError(
                f"{sync_name}: backfill shards {', '.join(failed)} failed; run them again with --shard"
            )
        result = engine(project, state_url, sync_name).finish_backfill(sync_name, shards)
        if as_json:
            print_json({"shards": outcomes, "finish": result.summary()})
            return result.exit_code
        return report(result, as_json, f"backfill {sync_name}: {shards} shards, then")

    guarded(body, stopped=RECORDED)


@app.command()
def runs(
    sync_name: Annotated[str | None, typer.Argument(metavar="[SYNC]")] = None,
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option(min=1, help="How many runs.")] = 20,
) -> None:
    """Recent runs, newest first, with their counts and API calls (a run whose process is gone shows
    as interrupted)."""

    def body() -> int:
        store = _existing_store(project, state_url)
        rows = store.runs(sync_name, limit=limit) if store else []
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


@app.command()
def alerts(
    sync_name: Annotated[str | None, typer.Argument(metavar="[SYNC]")] = None,
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option(min=1, help="How many alerts.")] = 50,
) -> None:
    """Drift alerts, newest first: runs whose volumes left their sync's own history (median and MAD of
    recent runs, on the same weekday when there are enough)."""
    from hub.ops.alerts import listed

    def body() -> int:
        store = _existing_store(project, state_url)
        rows = listed(store, sync_name, limit=limit) if store else []
        if as_json:
            print_json({"alerts": rows})
            return 0
        out.print(
            plain_table(
                "alerts",
                ["when", "sync", "run", "metric", "what"],
                [(r["created_at"][:19], r["sync"], r["run_id"][:8], r["metric"], r["message"]) for r in rows],
            )
        )
        return 0

    guarded(body)


def _existing_store(project: Path, state_url: str | None) -> StateStore | None:
    """The store to read, or None (said on stderr) when none was created yet: reading creates none."""
    root = project.resolve()
    url, setting = state_of(root, state_url)
    if StateStore.exists(root, url, setting=setting):
        return StateStore.open(root, url, setting=setting)
    where = url or os.environ.get(STATE_SETTING) or root / ".hub" / "state.db"
    err.print(f"nothing recorded yet: no state store at {shown(str(where))}", markup=False, highlight=False)
    return None


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
    limit: Annotated[int, typer.Option(min=1, help="How many entries.")] = 50,
) -> None:
    """Quarantined records with their reasons (open ones by default)."""

    def body() -> int:
        store = _existing_store(project, state_url)
        rows = store.quarantined(sync_name, status=None if every else "open", limit=limit) if store else []
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
        open_counts = store.quarantine_counts() if store else {}
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
    ids: Annotated[list[int] | None, typer.Option("--id", min=1, help="Only these entries.")] = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Why, as the audit keeps it.")
    ] = "retried from the command line",
    by: Annotated[str | None, typer.Option("--by", help="Who (default: HUB_USER or your login).")] = None,
) -> None:
    """Run quarantined records of a sync again (after fixing the mapping or the data). The audit the ops
    console shows keeps who retried which entries, why, and how many cleared."""

    def retried(engine: SyncEngine) -> SyncResult:
        from hub.ops import actions

        wanted = [q.id for q in engine.store.quarantined(sync_name, status="open", ids=ids)]
        result = engine.retry(sync_name, ids)
        actions.record_retry(
            engine.store,
            sync=sync_name,
            wanted=wanted,
            status=result.status,
            run_id=result.run_id,
            actor=by or os.environ.get("HUB_USER") or getpass.getuser(),
            reason=reason,
            target=f"entries {', '.join(map(str, ids))}" if ids else "every open entry",
            origin="hub quarantine retry",
        )
        return result

    _run(sync_name, project, state_url, as_json, f"retry {sync_name}", retried)
