"""The Mailchimp subject of the shared connector test kit (see tests/connectors/kit.py).

kit.py names it in SUBJECTS as `"tests.connectors.kit_mailchimp:mailchimp"`, imported only when a test
opens the subject.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connectors.emulators.mailchimp import MailchimpEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer
from connectors.mailchimp import MailchimpConnector
from hub.io.connections import parse_connection
from hub.io.connector import Connector, ObjectSpec
from hub.io.records import WriteOp
from hub.testing import QUICK, Subject
from tests.connectors.kit import START


@contextmanager
def mailchimp(folder: Path) -> Iterator[Subject]:
    clock = ManualClock(START)
    app = MailchimpEmulator(clock=clock)
    obj = ObjectSpec(
        MailchimpEmulator.LIST_ID,
        ("id", "last_changed", "merge_fields.HUBID", "email_address", "status", "merge_fields.FNAME"),
        "id",
        "last_changed",
        "merge_fields.HUBID",
    )
    with EmulatorServer(app) as server:
        spec = app.connection(server.url)

        def build(password: str | None) -> Connector:
            given = {**spec, "password": password} if password is not None else spec
            return MailchimpConnector(parse_connection("mailchimp_default", json.dumps(given)), policy=QUICK)

        def op(i: int, valid: bool) -> WriteOp:
            email = f"kit{i}@example.com" if valid else f"kit{i}@example"  # no top-level domain: refused
            values = {"email_address": email, "merge_fields.FNAME": f"Kit {i}", "status": "subscribed"}
            return WriteOp(str(uuid.uuid4()), values)

        def create(i: int) -> str:
            return app.create(
                f"direct{i}@example.com", merge_fields={"FNAME": f"Direct {i}", "HUBID": f"D{i}"}
            )

        yield Subject(
            "mailchimp",
            app,
            clock,
            obj,
            5,
            build,
            create,
            lambda member_id: app.edit(member_id, {"merge_fields": {"FNAME": "Edited"}}),
            op,
            lambda: {str(m["id"]) for m in app.records()},
            spec["password"],
        )
