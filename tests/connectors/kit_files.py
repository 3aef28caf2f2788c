"""The Files subjects of the shared connector test kit (see tests/connectors/kit.py): a contacts export
in a local folder, as CSV and as JSON Lines.

There is no emulator: the subject's `app` is the folder itself (`ExportFolder`), which makes and edits
rows the way another program would, writing the file with the standard library (not the connector's
own code), stamping `updated_at` with the kit's clock and setting the file's modification time to it.
"""

from __future__ import annotations

import csv
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.emulators.salesforce.ids import ManualClock
from connectors.files import FilesConnector
from hub.io.connections import parse_connection
from hub.io.connector import Connector, ObjectSpec
from hub.io.records import WriteOp
from hub.testing import QUICK, Subject
from tests.connectors.kit import START

COLUMNS = ["id", "updated_at", "hub_id", "name", "email", "amount"]


def stamp(clock: ManualClock) -> str:
    """The clock's time as an export writes it: ISO 8601, UTC, `Z`."""
    return clock.now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ExportFolder:
    """One export file that another program writes: rows made and edited directly."""

    def __init__(self, folder: Path, name: str, clock: ManualClock) -> None:
        self.path = folder / name
        self.clock = clock
        self.jsonl = name.endswith(".jsonl")

    def rows(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        if self.jsonl:
            lines = self.path.read_text(encoding="utf-8").splitlines()
            return [json.loads(line, parse_float=Decimal) for line in lines if line.strip()]
        with self.path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def save(self, rows: list[dict[str, Any]]) -> None:
        """Write the whole file and set its modification time to the clock's."""
        if self.jsonl:
            text = "".join(json.dumps(row, default=str) + "\n" for row in rows)
            self.path.write_text(text, encoding="utf-8")
        else:
            with self.path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=_header(rows), lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
        self.touch()

    def touch(self) -> None:
        nanoseconds = int(self.clock.now.timestamp() * 1_000_000) * 1000
        os.utime(self.path, ns=(nanoseconds, nanoseconds))

    def create(self, i: int) -> str:
        row: dict[str, Any] = {
            "id": f"D{i}",
            "updated_at": stamp(self.clock),
            "hub_id": f"hub-D{i}",
            "name": f"Direct {i}",
            "email": f"direct{i}@example.com",
            "amount": Decimal(f"{i}.10") if self.jsonl else f"{i}.10",
        }
        self.save([*self.rows(), row])
        return f"D{i}"

    def edit(self, record_id: str) -> None:
        rows = self.rows()
        for row in rows:
            if str(row["id"]) == record_id:
                row |= {"name": "Edited", "updated_at": stamp(self.clock)}
        self.save(rows)

    def ids(self) -> set[str]:
        return {str(row["id"]) for row in self.rows()}


def _header(rows: list[dict[str, Any]]) -> list[str]:
    extra = [name for row in rows for name in row if name not in COLUMNS]
    return [*COLUMNS, *dict.fromkeys(extra)]


@contextmanager
def files_csv(folder: Path) -> Iterator[Subject]:
    with _export(folder, "contacts.csv") as made:
        yield made


@contextmanager
def files_jsonl(folder: Path) -> Iterator[Subject]:
    with _export(folder, "contacts.jsonl") as made:
        yield made


@contextmanager
def _export(folder: Path, name: str) -> Iterator[Subject]:
    clock = ManualClock(START)
    exports = folder / "exports"
    exports.mkdir()
    app = ExportFolder(exports, name, clock)
    obj = ObjectSpec(name, tuple(COLUMNS), "id", "updated_at", "hub_id")
    spec = {"conn_type": "omnihub_files", "host": exports.as_uri()}

    def build(password: str | None) -> Connector:
        connector = FilesConnector(parse_connection("files_default", json.dumps(spec)), policy=QUICK)
        connector.clock = clock
        return connector

    def op(i: int, valid: bool) -> WriteOp:
        values = {"name": f"Kit {i}", "email": f"kit{i}@example.com", "amount": Decimal("1234567890.99")}
        return WriteOp(str(uuid.uuid4()), values if valid else {**values, "id": None})

    yield Subject(
        "files",
        app,
        clock,
        obj,
        7,
        build,
        app.create,
        app.edit,
        op,
        app.ids,
        None,
        no_rate_limit="a folder of files has no rate limit",
        no_credentials="a local folder has no credentials to refuse",
    )
