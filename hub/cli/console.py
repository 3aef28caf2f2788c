"""What the command line shows: tables of runs and syncs, problems, and progress bars on stderr."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def _console(stderr: bool = False) -> Console:
    # Piped output (CI logs, `make demo | tee`) has no width to ask for; 80 columns squeeze the tables.
    probe = Console(stderr=stderr)
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=None if probe.is_terminal else 140)


out = _console()
err = _console(stderr=True)

COUNT_COLUMNS = ("read", "created", "updated", "unchanged", "conflicts", "quarantined", "failed")
SHORT = {"unchanged": "same", "conflicts": "confl.", "quarantined": "quar."}
STATUS_STYLE = {
    "success": "green",
    "partial": "yellow",
    "failed": "red",
    "running": "cyan",
    "interrupted": "magenta",
    "pass": "green",
    "warn": "yellow",
    "fail": "red",
}


def status_text(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def summary_table(title: str, rows: Iterable[dict[str, Any]]) -> Table:
    """One row per run summary (`hub sync`, `hub demo`)."""
    table = Table(title=title, title_justify="left")
    table.add_column("sync")
    table.add_column("status")
    for name in COUNT_COLUMNS:
        table.add_column(SHORT.get(name, name), justify="right")
    table.add_column("API calls")
    table.add_column("s", justify="right")
    for row in rows:
        calls = " ".join(f"{k}:{v}" for k, v in sorted(row["api_calls"].items())) or "-"
        table.add_row(
            row["sync"],
            status_text(row["status"]),
            *(str(row[c]) for c in COUNT_COLUMNS),
            calls,
            f"{row['duration_s']:.1f}",
        )
    return table


def plain_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*(str(v) if v is not None else "-" for v in row))
    return table


class BarProgress:
    """A rich progress bar on stderr for one sync at a time (the engine's Progress protocol)."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        )
        self._task: Any = None

    def __enter__(self) -> BarProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, sync: str, total: int | None) -> None:
        self._task = self._progress.add_task(sync, total=total)

    def advance(self, records: int, total: int | None = None) -> None:
        if self._task is not None:
            if total:
                self._progress.update(self._task, total=total)
            self._progress.update(self._task, advance=records)
