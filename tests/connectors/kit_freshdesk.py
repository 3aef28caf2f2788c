"""The Freshdesk subject of the shared connector test kit (see tests/connectors/kit.py): contacts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.emulators.freshdesk import FreshdeskEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer
from connectors.freshdesk import FreshdeskConnector
from hub.connections import parse_connection
from hub.connector import Connector, ObjectSpec
from hub.records import WriteOp

if TYPE_CHECKING:
    from tests.connectors.kit import Subject


@contextmanager
def freshdesk(folder: Path) -> Iterator[Subject]:
    # Imported here so kit.py may import this module at its top (kit.py imports us for SUBJECTS).
    from tests.connectors.kit import QUICK, START, Subject

    clock = ManualClock(START)
    app = FreshdeskEmulator(clock=clock)
    app.retry_after = "0"
    obj = ObjectSpec(
        "contacts",
        ("id", "updated_at", "unique_external_id", "name", "email"),
        "id",
        "updated_at",
        "unique_external_id",
    )
    with EmulatorServer(app) as server:
        spec = app.connection(server.url)

        def build(password: str | None) -> Connector:
            given = {**spec, "password": password} if password is not None else spec
            return FreshdeskConnector(parse_connection("freshdesk_default", json.dumps(given)), policy=QUICK)

        def op(i: int, valid: bool) -> WriteOp:
            values = {"name": f"Kit {i}" if valid else None, "email": f"kit{i}@example.com"}
            return WriteOp(str(uuid.uuid4()), values)

        def create(i: int) -> str:
            values = {"name": f"Direct {i}", "email": f"direct{i}@example.com", "unique_external_id": f"D{i}"}
            return str(app.create("contacts", values))

        yield Subject(
            "freshdesk",
            app,
            server,
            clock,
            obj,
            7,
            build,
            create,
            lambda record_id: app.edit("contacts", int(record_id), {"name": "Edited"}),
            op,
            lambda: {str(r["id"]) for r in app.records("contacts") if r["unique_external_id"]},
            str(spec["password"]),
        )
