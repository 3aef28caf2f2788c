"""The `hub` application object, shared options, and how commands report errors and exit."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from hub.cli.console import BarProgress, err, out, summary_table
from hub.engine.sync import SyncEngine, SyncResult
from hub.errors import ConfigError, HubError, LockError
from hub.io.redact import install_log_redaction, redact
from hub.project.loading import Project
from hub.state import StateStore

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Omnihub: bidirectional record sync between front-office and back-office systems.",
)
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
