"""The helpdesk subjects of the shared connector test kit (see tests/connectors/kit.py): Zendesk's users
and Freshdesk's contacts, people with a name and an e-mail in both, set up the same way."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connectors.emulators.freshdesk import FreshdeskEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer
from connectors.emulators.zendesk import ZendeskEmulator
from connectors.freshdesk import FreshdeskConnector
from connectors.zendesk import ZendeskConnector
from hub.io.connections import parse_connection
from hub.io.connector import Connector, ObjectSpec
from hub.io.records import WriteOp
from hub.testing import QUICK, Subject
from tests.connectors.kit import START


@contextmanager
def zendesk(folder: Path) -> Iterator[Subject]:
    with _people(
        ZendeskEmulator, ZendeskConnector, "users", "external_id", {"job_poll_interval": 0.01}
    ) as kit:
        yield kit


@contextmanager
def freshdesk(folder: Path) -> Iterator[Subject]:
    with _people(FreshdeskEmulator, FreshdeskConnector, "contacts", "unique_external_id", {}) as kit:
        yield kit


@contextmanager
def _people(
    emulator: Any, connector: Any, kind: str, external_id: str, extra: dict[str, Any]
) -> Iterator[Subject]:
    clock = ManualClock(START)
    app = emulator(clock=clock)
    app.retry_after = "0"
    system = app.system
    obj = ObjectSpec(
        kind, ("id", "updated_at", external_id, "name", "email"), "id", "updated_at", external_id
    )
    with EmulatorServer(app) as server:
        spec = {**app.connection(server.url), **({"extra": extra} if extra else {})}

        def build(password: str | None) -> Connector:
            given = {**spec, "password": password} if password is not None else spec
            built: Connector = connector(
                parse_connection(f"{system}_default", json.dumps(given)), policy=QUICK
            )
            return built

        def op(i: int, valid: bool) -> WriteOp:
            values = {"name": f"Kit {i}" if valid else None, "email": f"kit{i}@example.com"}
            return WriteOp(str(uuid.uuid4()), values)

        def create(i: int) -> str:
            values = {"name": f"Direct {i}", "email": f"direct{i}@example.com", external_id: f"D{i}"}
            return str(app.create(kind, values))

        yield Subject(
            system,
            app,
            clock,
            obj,
            7,
            build,
            create,
            lambda record_id: app.edit(kind, int(record_id), {"name": "Edited"}),
            op,
            lambda: {str(r["id"]) for r in app.records(kind) if r[external_id]},
            str(spec["password"]),
        )
