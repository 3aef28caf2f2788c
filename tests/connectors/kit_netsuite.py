"""The NetSuite subjects of the shared connector test kit (see tests/connectors/kit.py): customers,
read with SuiteQL and written by external id, against the NetSuite emulator, logged in with OAuth 2.0
client credentials (`netsuite`) and with token-based authentication (`netsuite_tba`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

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


def unknown_key() -> str:
    """A private key whose certificate NetSuite was never given."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@contextmanager
def subject(login_flow: str) -> Iterator[Subject]:
    clock = ManualClock(START)
    app = NetSuiteEmulator(clock=clock)
    with EmulatorServer(app) as server:
        spec = app.connection(server.url, login_flow=login_flow)

        def build(password: str | None) -> Connector:
            # A wrong password: the consumer secret itself with TBA; with OAuth 2.0, whose password is
            # a private key, a key NetSuite does not know (the text given is no key at all).
            wrong = password if login_flow == "tba" else unknown_key()
            given = {**spec, "password": wrong} if password is not None else spec
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
            str(spec["password"]),
        )


@contextmanager
def netsuite(folder: Path) -> Iterator[Subject]:
    with subject("oauth2") as made:
        yield made


@contextmanager
def netsuite_tba(folder: Path) -> Iterator[Subject]:
    with subject("tba") as made:
        yield made
