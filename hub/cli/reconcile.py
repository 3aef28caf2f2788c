"""`hub reconcile`: compare both systems of a sync and write the reports."""

from __future__ import annotations

import os
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
)
from hub.cli.console import err, out, plain_table, status_text
from hub.errors import ConfigError


def _checked_age(value: str | None) -> str | None:
    """`--min-age` as `hub validate` checks `reconcile.min_age`: a duration from 0s to 3650d."""
    from hub.project.checks.durations import DURATIONS, duration_problem

    negative = DURATIONS[("reconcile", "min_age")]
    problem = duration_problem(value, "the age", negative) if value is not None else None
    if problem:
        raise typer.BadParameter(problem)
    return value


def _check_out(folder: Path) -> None:
    """ConfigError unless the reports can be written under `folder` (made when missing)."""
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(f"--out {folder}: {existing} is a file; give a folder (it is made when missing)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {folder}: you cannot write in {existing}; give a folder you can write to")


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
        typer.Option(
            "--min-age",
            callback=_checked_age,
            help="Judge only records older than this (90s, 5m); overrides YAML.",
        ),
    ] = None,
) -> None:
    """Compare both systems of a sync field by field and write JSON, CSV and HTML reports (exit 1 on fail)."""
    from hub.project.transforms import parse_duration
    from hub.reconcile.engine import Reconciler

    def body() -> int:
        _check_out(out if out.is_absolute() else project.resolve() / out)
        sync_engine = engine(project, state_url, sync_name)
        reconciler = Reconciler(sync_engine.project, sync_engine.store, engine=sync_engine)
        age = parse_duration(min_age) if min_age is not None else None
        result = reconciler.run(sync_name, heal_records=heal, min_age=age)
        folder = out if out.is_absolute() else sync_engine.project.root / out
        try:
            files, doc = reconciler.report(result, folder)
        except OSError as exc:  # what `_check_out` could not foresee (a read-only mount)
            raise ConfigError(f"--out {folder}: cannot write the reports there ({exc.strerror})") from None
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

    guarded(body, stopped="; `hub runs` shows the reconciliation interrupted (what --heal wrote is kept)")


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
    if summary["skipped_in_flight"]:
        out.print(
            f"{summary['skipped_in_flight']:,} records changed too recently to judge (min_age); "
            "--min-age 0s judges them now",
            markup=False,
        )
    for breach in summary["breaches"]:
        err.print(f"[red]threshold crossed:[/] {breach}")
    if summary["healed"]:
        healed = summary["healed"]
        out.print(f"healed: {healed['records']} records copied from {healed['from']} to {healed['to']}")
    out.print(f"report: {summary['report']}\nindex:  {summary['index']}", markup=False, highlight=False)
