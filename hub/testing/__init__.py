"""The connector test kit: the checks every Omnihub connector passes, for connectors written anywhere.

A connector joins with a `Subject`, made by a context manager that takes a fresh folder: how to build
the connector (with good or wrong credentials), create and edit records in its system directly (an
emulator, a sandbox, a local database), and make valid and invalid write operations. One call turns
subjects into a pytest suite of seven tests, each run once per subject: a full read returns every record
once; an incremental read after edits returns exactly the edited; records sharing one timestamp are
not lost at page boundaries; a read of one time window returns exactly its records (for a connector
that reads windows, `Connector.reads_windows`); a mixed batch gives one result per record in order;
rate-limit answers are retried and counted; refused credentials are a clear error without the secret.

A connector for a system "Acme", with an emulator that stamps records with a clock the test moves
and can inject faults (`faults.configure(rate, kinds, seed=)`), in `tests/test_acme.py` of its own
project:

    import uuid
    from contextlib import contextmanager

    from acme_connector import AcmeConnector, AcmeEmulator, ManualClock

    from hub.io.connections import Connection
    from hub.io.connector import ObjectSpec
    from hub.io.records import WriteOp
    from hub.testing import QUICK, Subject, connector_test_class

    CONTACTS = ObjectSpec("contacts", ("id", "updated_at", "hub_id", "name"), "id", "updated_at", "hub_id")


    @contextmanager
    def acme(folder):
        clock = ManualClock()
        with AcmeEmulator(clock=clock) as app:

            def build(password):
                connection = Connection("acme_default", host=app.url, password=password or app.password)
                return AcmeConnector(connection, policy=QUICK)

            def op(i, valid):
                return WriteOp(str(uuid.uuid4()), {"name": f"Kit {i}" if valid else None})

            yield Subject(
                name="acme",
                app=app,
                clock=clock,
                obj=CONTACTS,
                page=5,
                build=build,
                create=lambda i: app.create({"name": f"Direct {i}", "hub_id": f"D{i}"}),
                edit=lambda record_id: app.edit(record_id, {"name": "Edited"}),
                op=op,
                stored=lambda: {str(r["id"]) for r in app.records()},
                secret=app.password,
            )


    TestAcme = connector_test_class({"acme": acme})

`pytest tests/test_acme.py` then runs `TestAcme::test_a_full_read_returns_every_record_once[acme]`
and the five others. A subject may also be named as `"module:function"`, imported only when its
tests run. A system with no rate limit or no login (a local file) says why in `no_rate_limit` or
`no_credentials`, and those tests skip with that reason. Each check is also a function of a subject
(`check_full_read(subject)`, …) for tests of one's own.
"""

from __future__ import annotations

from hub.testing.checks import (
    check_full_read,
    check_incremental_read,
    check_mixed_batch,
    check_rate_limit_retries,
    check_refused_credentials,
    check_shared_timestamps,
)
from hub.testing.subject import (
    QUICK,
    App,
    Clock,
    FaultInjector,
    Subject,
    SubjectFactory,
    just_before,
    open_subject,
    read_ids,
)
from hub.testing.suite import ConnectorTests, connector_test_class

__all__ = [
    "QUICK",
    "App",
    "Clock",
    "ConnectorTests",
    "FaultInjector",
    "Subject",
    "SubjectFactory",
    "check_full_read",
    "check_incremental_read",
    "check_mixed_batch",
    "check_rate_limit_retries",
    "check_refused_credentials",
    "check_shared_timestamps",
    "connector_test_class",
    "just_before",
    "open_subject",
    "read_ids",
]
