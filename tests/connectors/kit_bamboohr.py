"""The BambooHR subject of the shared connector test kit (see tests/connectors/kit.py): employees,
with the hub id in the custom field `customHubId` and `lastChanged` as the cursor."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connectors.bamboohr import BambooHRConnector
from connectors.emulators.bamboohr import BambooHREmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer
from hub.io.connections import parse_connection
from hub.io.connector import Connector, ObjectSpec
from hub.io.records import WriteOp
from hub.testing import QUICK, Subject
from tests.connectors.kit import START

EMPLOYEES = ObjectSpec(
    "employees",
    ("id", "lastChanged", "customHubId", "firstName", "lastName", "workEmail", "department"),
    "id",
    "lastChanged",
    "customHubId",
)


@contextmanager
def bamboohr(folder: Path) -> Iterator[Subject]:
    clock = ManualClock(START)
    app = BambooHREmulator(clock=clock)
    app.retry_after = "0"
    with EmulatorServer(app) as server:
        spec = app.connection(server.url)

        def build(password: str | None) -> Connector:
            given = {**spec, "password": password} if password is not None else spec
            return BambooHRConnector(parse_connection("bamboohr_default", json.dumps(given)), policy=QUICK)

        def op(i: int, valid: bool) -> WriteOp:
            values = {
                "firstName": "Kit",
                "lastName": f"Employee {i}" if valid else None,  # a last name is required
                "workEmail": f"kit{i}@omnihub-demo.com",
                "department": "Support",
            }
            return WriteOp(str(uuid.uuid4()), values)

        def create(i: int) -> str:
            values = {"firstName": "Direct", "lastName": f"Employee {i}", "customHubId": f"D{i}"}
            return app.create(values | {"workEmail": f"direct{i}@omnihub-demo.com"})

        yield Subject(
            "bamboohr",
            app,
            clock,
            EMPLOYEES,
            7,
            build,
            create,
            lambda employee_id: app.edit(employee_id, {"firstName": "Edited"}),
            op,
            lambda: {r["id"] for r in app.records() if r["customHubId"]},
            app.api_key,
        )
