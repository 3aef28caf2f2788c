"""The Odoo connector against the Odoo emulator: reads, writes, quirks and failure handling."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from connectors.emulators.odoo import OdooEmulator
from connectors.emulators.server import EmulatorServer
from connectors.odoo import OdooConnector
from hub.connections import parse_connection
from hub.connector import ObjectSpec
from hub.errors import AuthenticationError
from hub.http import RetryPolicy
from hub.records import WriteOp

COMPANIES = ObjectSpec(
    "res.partner",
    ("id", "write_date", "x_hub_id", "is_company", "name", "email", "country_id.code", "comment"),
    "id",
    "write_date",
    "x_hub_id",
    {"is_company": True},
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def odoo(clock: Clock) -> Iterator[tuple[OdooEmulator, EmulatorServer]]:
    app = OdooEmulator(clock=clock)
    with EmulatorServer(app) as server:
        yield app, server


def connector(server: EmulatorServer, password: str = "admin") -> OdooConnector:
    conn = parse_connection("odoo_default", f"odoo://admin:{password}@{server.host}:{server.port}/omnihub")
    return OdooConnector(conn, policy=RetryPolicy(base_delay=0.01, max_delay=0.05))


def company(i: int, **extra: object) -> WriteOp:
    values = {
        "name": f"Company {i}",
        "email": f"info{i}@example.com",
        "country_id.code": "DE",
        "is_company": True,
    }
    return WriteOp(str(uuid.uuid4()), {**values, **extra})


def calls_to(app: OdooEmulator) -> int:
    return int(app.stats["requests"])


def test_creates_go_in_one_call_per_batch(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    c = connector(server)
    c.write(COMPANIES, [company(0)])  # login, field metadata and country lookup happen once
    before = calls_to(app)
    results = c.write(COMPANIES, [company(i) for i in range(1, 2501)])
    assert all(r.ok and r.created for r in results)
    # x_hub_id lookup + ceil(2500 / 1000) creates
    assert calls_to(app) - before == 1 + 3
    stored = [r for r in app.records("res.partner") if r["x_hub_id"]]
    assert len(stored) == 2501


def test_updates_with_different_values_go_in_one_load(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    c = connector(server)
    ops = [company(i) for i in range(50)]
    ids = [r.id for r in c.write(COMPANIES, ops)]
    before = calls_to(app)
    renamed = [WriteOp(op.hub_id, {**op.values, "name": f"Renamed {i}"}, ids[i]) for i, op in enumerate(ops)]
    archived = [WriteOp(op.hub_id, {"comment": "same for all"}, ids[i]) for i, op in enumerate(ops[:3])]
    assert all(r.ok for r in c.write(COMPANIES, renamed))
    assert all(r.ok for r in c.write(COMPANIES, archived))
    assert calls_to(app) - before == 2  # one load, one write
    names = {r["id"]: r["name"] for r in app.records("res.partner")}
    assert names[int(ids[7])] == "Renamed 7"


def test_refused_records_are_isolated_and_the_rest_written(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    c = connector(server)
    ops = [company(i) for i in range(16)]
    ops[5] = company(5, name=None)
    ops[11] = company(11, **{"country_id.code": "XX"})
    results = c.write(COMPANIES, ops)
    assert [i for i, r in enumerate(results) if not r.ok] == [5, 11]
    assert results[5].error is not None and "Contacts require a name" in results[5].error.message
    assert (
        results[11].error is not None and "no res.country record has code = 'XX'" in results[11].error.message
    )
    assert len([r for r in app.records("res.partner") if r["x_hub_id"]]) == 14


def test_replaying_creates_updates_instead_of_duplicating(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    c = connector(server)
    ops = [company(i) for i in range(10)]
    first = c.write(COMPANIES, ops)
    again = c.write(COMPANIES, ops)  # as after a crash between the write and the commit
    assert [r.id for r in again] == [r.id for r in first]
    assert not any(r.created for r in again)
    assert len([r for r in app.records("res.partner") if r["x_hub_id"]]) == 10


def test_a_lost_answer_to_create_neither_loses_nor_duplicates(
    odoo: tuple[OdooEmulator, EmulatorServer],
) -> None:
    app, server = odoo
    c = connector(server)
    c.write(COMPANIES, [company(0)])
    original = OdooConnector.call
    lost = {"done": False}

    def lose_first_create_answer(
        self: OdooConnector, service: str, method: str, *args: object, **kw: bool
    ) -> object:
        answer = original(self, service, method, *args, **kw)
        if method == "execute_kw" and args[4] == "create" and not lost["done"]:
            lost["done"] = True
            from hub.errors import OutcomeUnknown

            raise OutcomeUnknown("odoo", "connection lost after sending")
        return answer

    pytest.MonkeyPatch().setattr(OdooConnector, "call", lose_first_create_answer)
    try:
        results = c.write(COMPANIES, [company(i) for i in range(1, 6)])
    finally:
        pytest.MonkeyPatch().setattr(OdooConnector, "call", original)
    assert all(r.ok for r in results)
    assert len([r for r in app.records("res.partner") if r["x_hub_id"]]) == 6


def test_incremental_reads_never_skip_records_sharing_a_second(
    odoo: tuple[OdooEmulator, EmulatorServer], clock: Clock
) -> None:
    app, server = odoo
    c = connector(server)
    c.write(COMPANIES, [company(i) for i in range(25)])  # all share one write_date
    pages = list(c.read_changes(COMPANIES, None, 7))
    seen = [r["id"] for p in pages for r in p.records]
    assert len(seen) == len(set(seen)) == 26  # with "My Company"
    assert [len(p.records) for p in pages] == [7, 7, 7, 5]
    assert pages[0].total == 26
    clock.now += timedelta(minutes=5)
    app.edit("res.partner", int(seen[3]), {"name": "Edited"})
    changed = list(c.read_changes(COMPANIES, clock.now - timedelta(seconds=1), 100))
    assert [r["name"] for p in changed for r in p.records] == ["Edited"]
    assert changed[0].cursor == clock.now


def test_odoo_quirks_are_smoothed(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    _, server = odoo
    c = connector(server)
    [result] = c.write(COMPANIES, [company(1, comment="Hello", email=None)])
    [record] = c.fetch(COMPANIES, [str(result.id)])
    assert record["email"] is None  # false → None
    assert record["is_company"] is True
    assert record["country_id"] == {"id": record["country_id"]["id"], "name": "Germany", "code": "DE"}
    assert record["comment"] == "<p>Hello</p>"
    assert c.fetch(COMPANIES, ["99999"]) == []


def test_find_by_field_values(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    _, server = odoo
    c = connector(server)
    c.write(COMPANIES, [company(i) for i in range(5)])
    found = c.find(COMPANIES, {"email": ["info1@example.com", "info3@example.com", "nobody@example.com"]})
    assert sorted(r["name"] for r in found) == ["Company 1", "Company 3"]


def test_delete_archives_and_is_reported_as_deleted(
    odoo: tuple[OdooEmulator, EmulatorServer], clock: Clock
) -> None:
    app, server = odoo
    c = connector(server)
    ids = [r.id for r in c.write(COMPANIES, [company(i) for i in range(3)])]
    assert all(r.ok for r in c.delete(COMPANIES, [str(ids[0])]))
    assert [r["active"] for r in app.records("res.partner") if str(r["id"]) == ids[0]] == [False]
    deleted, covered = c.read_deletes(COMPANIES, clock.now - timedelta(minutes=1))
    assert deleted == [ids[0]] and covered == clock.now


def test_throttling_is_retried(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    app, server = odoo
    c = connector(server)
    app.retry_after = "0"
    app.faults.configure(0.5, ("rate_limit", "unavailable"), seed=4)
    results = c.write(COMPANIES, [company(i) for i in range(20)])
    assert all(r.ok for r in results)
    assert sum(c.calls.retries().values()) > 0
    app.faults.configure(0.0, ())
    assert len([r for r in app.records("res.partner") if r["x_hub_id"]]) == 20


def test_refused_credentials_are_a_clear_error(odoo: tuple[OdooEmulator, EmulatorServer]) -> None:
    _, server = odoo
    with pytest.raises(AuthenticationError, match="Odoo refused login 'admin' on database 'omnihub'"):
        connector(server, password="wrong").fetch(COMPANIES, ["1"])


def test_records_with_different_fields_never_clear_each_others(
    odoo: tuple[OdooEmulator, EmulatorServer],
) -> None:
    app, server = odoo
    c = connector(server)
    first, second = company(1), company(2)
    ids = [r.id for r in c.write(COMPANIES, [first, second])]
    app.edit("res.partner", int(ids[1]), {"active": False})  # type: ignore[arg-type]
    again = [
        WriteOp(first.hub_id, {**first.values, "name": "One"}, ids[0]),
        WriteOp(second.hub_id, second.values),
    ]
    assert all(r.ok for r in c.write(COMPANIES, again))
    rows = {r["id"]: r for r in app.records("res.partner")}
    assert rows[int(ids[0])]["active"] is True and rows[int(ids[0])]["name"] == "One"  # type: ignore[arg-type]
    assert rows[int(ids[1])]["active"] is True  # type: ignore[arg-type]  # the upsert brought it back
