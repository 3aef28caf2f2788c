"""The `hub` application object, shared options, and how commands report errors and exit."""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, NoReturn

import typer
from sqlalchemy.exc import DBAPIError
from typer._click.exceptions import UsageError  # typer vendors click: the base of every usage mistake
from typer.core import TyperGroup

from hub.cli.console import BarProgress, err, out, summary_table
from hub.engine.sync import SyncEngine, SyncResult
from hub.errors import ConfigError, HubError, LockError
from hub.io.connections import get_connection
from hub.io.redact import install_log_redaction, redact
from hub.project.loading import Project
from hub.project.projectfile import PROJECT_FILE, project_state
from hub.state import StateStore, StateUnavailable, interrupted_by
from hub.state.database import STATE_SETTING, state_failure


class HubCommands(TyperGroup):
    """The `hub` command group: a mistake in the command line itself (an unknown option, a value out
    of its range) is one line on stderr and exit 2, as every other mistake of a user's is."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _usage_in_one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with _usage_in_one_line():
            return super().invoke(ctx)


@contextmanager
def _usage_in_one_line() -> Iterator[None]:
    try:
        yield
    except UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `hub` alone: the help is the answer
            raise
        where = f" (see {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
        message = " ".join(exc.format_message().split()).rstrip(".")
        err.print(message + where, markup=False, highlight=False)
        raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=HubCommands,
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


def _print_version(value: bool) -> None:
    if value:
        from hub.library import version

        out.print(f"omnihub {version()}", markup=False, highlight=False)
        raise typer.Exit(0)


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
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print Omnihub's version."),
    ] = False,
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


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP raised as an exception, as Python raises SIGINT as KeyboardInterrupt: a run
    stops the same way whatever stopped it (recorded `interrupted`, its lock released)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """While a command runs, SIGTERM and SIGHUP raise `Interrupted` (unless they are ignored, as under
    nohup; signals reach the main thread only)."""
    installed: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) is signal.SIG_DFL:
                installed[signum] = signal.signal(signum, _interrupt)
    try:
        yield
    finally:
        for number, previous in installed.items():
            signal.signal(number, previous)


def guarded(action: Callable[[], int], *, stopped: str = "") -> None:
    """Run a command body, turning the hub's own errors into messages and exit codes. A signal ends
    it with one line (`interrupted by SIGTERM` and `stopped`, what became of the work) and exit
    128 + the signal's number: 130 for Ctrl-C, 143 for SIGTERM."""
    try:
        with signals_interrupt():
            code = action()
    except (ConfigError, StateUnavailable) as exc:
        for line in str(exc).splitlines():
            err.print(redact(line), markup=False, highlight=False)
        raise typer.Exit(2) from None
    except LockError as exc:
        fail(str(exc), 1)
    except HubError as exc:
        fail(str(exc), 1)
    except DBAPIError as exc:  # the state store failed mid-run (a SQLite file another process holds)
        fail(str(state_failure(exc)), 1)
    except KeyboardInterrupt as exc:
        err.print(interrupted_by(exc) + stopped, markup=False, highlight=False)
        raise typer.Exit(128 + getattr(exc, "signum", signal.SIGINT)) from None
    raise typer.Exit(code)


def load(project: Path) -> Project:
    own = (project / PROJECT_FILE).exists()
    if not own and not (project / "mappings").is_dir() and not (project / "schemas").is_dir():
        raise ConfigError(
            f"{project.resolve()} is not an Omnihub project (no {PROJECT_FILE}); run from the project's "
            f"root, pass --project or set HUB_PROJECT, or start one here: hub init {project}"
        )
    return Project.load(project)


def engine(
    project: Path, state_url: str | None, sync: str, progress: BarProgress | None = None
) -> SyncEngine:
    """The engine for one sync, once it passed the gate: its problems (`hub validate`'s checks of what
    it depends on) and a connection it cannot resolve raise ConfigError before the state store is
    even opened, so nothing is written."""
    loaded = load(project)
    spec = loaded.sync(sync)
    problems = loaded.problems_for_sync(sync)
    if problems:
        raise ConfigError(problems)
    for endpoint in (spec.source, spec.target):
        get_connection(endpoint.connection)
    return SyncEngine(loaded, state_store(loaded.root, state_url), progress=progress)


def state_store(root: Path, state_url: str | None) -> StateStore:
    """The state store `--state-url` (or HUB_STATE_URL) names, else omnihub.yaml's `state:`, else the
    project's SQLite file; a wrong URL or a database out of reach is one line naming the setting, and
    nothing is created. API budgets are shared in it when it is PostgreSQL (`hub.io.budget.budget_url`)."""
    from hub.io.budget import share_with

    url, setting = state_of(root, state_url)
    store = StateStore.open(root, url, setting=setting)
    share_with(store.url)  # API budgets are shared in a PostgreSQL store unless HUB_BUDGET_URL says otherwise
    return store


def state_of(root: Path, state_url: str | None) -> tuple[str | None, str]:
    """The state URL to open (None: HUB_STATE_URL or the project's SQLite file) and the setting that
    gave it, as messages name it: --state-url, HUB_STATE_URL, then omnihub.yaml's `state:`."""
    if state_url is None and not os.environ.get(STATE_SETTING):
        configured = project_state(root)
        if configured is not None:
            return configured, f"{PROJECT_FILE} state"
    return state_url, state_setting(state_url)


def state_setting(state_url: str | None) -> str:
    """Which setting gave the state URL, as messages name it."""
    given = state_url is not None and state_url != os.environ.get(STATE_SETTING)
    return "--state-url" if given else STATE_SETTING


def check_ports(option: str, first: int, count: int = 1) -> None:
    """ConfigError naming `option` unless ports `first` to `first + count - 1` exist and are free on
    this host (0: the system picks free ones)."""
    if first == 0:
        return
    last = first + count - 1
    if last > 65535:
        raise ConfigError(
            f"{option} {first}: {count} ports from there end at {last}, past 65535; "
            f"give {65536 - count} or less"
        )
    for port in range(first, last + 1):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                taken = "it is" if count == 1 else f"port {port} of {first}-{last} is"
                raise ConfigError(f"{option} {first}: {taken} in use by another program; choose a free one")


@contextmanager
def listening(option: str, port: int) -> Iterator[None]:
    """Servers started inside report a port they cannot listen on as a ConfigError naming `option`."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        raise ConfigError(
            f"{option} {port}: cannot listen there ({exc.strerror}); choose a free port from 1024 to 65535"
        ) from None


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
