"""The Zendesk subject of the shared connector test kit (see tests/connectors/kit.py): users."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer
from connectors.emulators.zendesk import ZendeskEmulator
from connectors.zendesk import ZendeskConnector
from hub.connections import parse_connection
from hub.connector import Connector, ObjectSpec
from hub.records import WriteOp

if TYPE_CHECKING:
    from tests.connectors.kit import Subject


@contextmanager
def zendesk(folder: Path) -> Iterator[Subject]:
    # Imported here so kit.py may import this module at its top (kit.py imports us for SUBJECTS).
    from tests.connectors.kit import QUICK, START, Subject

    clock = ManualClock(START)
    app = ZendeskEmulator(clock=clock)
    app.retry_after = "0"
    obj = ObjectSpec(
        "users",
        ("id", "updated_at", "external_id", "name", "email"),
        "id",
        "updated_at",
        "external_id",
    )
    with EmulatorServer(app) as server:
        spec = {**app.connection(server.url), "extra": {"job_poll_interval": 0.01}}

        def build(password: str | None) -> Connector:
            given = {**spec, "password": password} if password is not None else spec
            return ZendeskConnector(parse_connection("zendesk_default", json.dumps(given)), policy=QUICK)

        def op(i: int, valid: bool) -> WriteOp:
            values = {"name": f"Kit {i}" if valid else None, "email": f"kit{i}@example.com"}
            return WriteOp(str(uuid.uuid4()), values)

        def create(i: int) -> str:
            values = {"name": f"Direct {i}", "email": f"direct{i}@example.com", "external_id": f"D{i}"}
            return str(app.create("users", values))

        yield Subject(
            "zendesk",
            app,
            server,
            clock,
            obj,
            7,
            build,
            create,
            lambda record_id: app.edit("users", int(record_id), {"name": "Edited"}),
            op,
            lambda: {str(r["id"]) for r in app.records("users") if r["external_id"]},
            str(spec["password"]),
        )
