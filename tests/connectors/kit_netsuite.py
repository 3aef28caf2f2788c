"""The NetSuite subject of the shared connector test kit (see tests/connectors/kit.py): customers,
read with SuiteQL and written by external id, against the NetSuite emulator."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connectors.emulators.netsuite import NetSuiteEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer
from connectors.netsuite import NetSuiteConnector
from hub.io.connections import parse_connection
from hub.io.connector import Connector, ObjectSpec
from hub.io.records import WriteOp
from hub.testing import QUICK, Subject
from tests.connectors.kit import START

CUSTOMERS = ObjectSpec(
    "customer",
    ("id", "lastmodifieddate", "externalid", "companyname", "email"),
    "id",
    "lastmodifieddate",
    "externalId",
)


@contextmanager
def netsuite(folder: Path) -> Iterator[Subject]:
    clock = ManualClock(START)
    app = NetSuiteEmulator(clock=clock)
    with EmulatorServer(app) as server:
        spec = app.connection(server.url)

        def build(password: str | None) -> Connector:
            given = {**spec, "password": password} if password is not None else spec
            return NetSuiteConnector(parse_connection("netsuite_default", json.dumps(given)), policy=QUICK)

        def op(i: int, valid: bool) -> WriteOp:
            values = {"companyname": f"Kit {i}" if valid else None, "email": f"kit{i}@example.com"}
            return WriteOp(str(uuid.uuid4()), values)

        def create(i: int) -> str:
            values = {"companyname": f"Direct {i}", "email": f"direct{i}@example.com", "externalid": f"D{i}"}
            return str(app.create("customer", values))

        yield Subject(
            "netsuite",
            app,
            clock,
            CUSTOMERS,
            7,
            build,
            create,
            lambda record_id: app.edit("customer", int(record_id), {"companyname": "Edited"}),
            op,
            lambda: {str(r["id"]) for r in app.records("customer") if r["externalid"]},
            app.client_secret,
        )
