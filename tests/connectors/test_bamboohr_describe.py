"""The BambooHR connector describes employees (`Connector.describe`) from `GET /meta/fields` by the
aliases the shipped mappings and its custom report use, and departments as the Department list's options."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from connectors.bamboohr import BambooHRConnector
from connectors.emulators.bamboohr import BambooHREmulator
from connectors.emulators.server import EmulatorServer
from hub.io.connections import parse_connection
from hub.io.http import RetryPolicy
from tests.connectors.shipped import shipped_names

REPORT = "POST /api/gateway.php/(?P<company>[^/]+)/v1/reports/custom"


@pytest.fixture
def bamboo() -> Iterator[tuple[BambooHREmulator, EmulatorServer]]:
    app = BambooHREmulator()
    app.seed_sandbox({"employees": 9}, seed=5)
    with EmulatorServer(app) as server:
        yield app, server


def connector(app: BambooHREmulator, server: EmulatorServer) -> BambooHRConnector:
    spec = app.connection(server.url)
    policy = RetryPolicy(base_delay=0.01, max_delay=0.05)
    return BambooHRConnector(parse_connection("bamboohr_default", json.dumps(spec)), policy=policy)


@pytest.mark.parametrize("obj", sorted(shipped_names("bamboohr")))
def test_every_field_a_shipped_mapping_names_is_described(
    bamboo: tuple[BambooHREmulator, EmulatorServer], obj: str
) -> None:
    shape = connector(*bamboo).describe(obj, sample=3)
    described = {f.name for f in shape.fields}
    assert shipped_names("bamboohr")[obj] <= described
    assert len(shape.sample) == 3 and all(set(row) <= described for row in shape.sample)


def test_types_labels_options_and_the_custom_hub_id(bamboo: tuple[BambooHREmulator, EmulatorServer]) -> None:
    app, server = bamboo
    fields = {f.name: f for f in connector(app, server).describe("employees", sample=0).fields}
    assert (fields["workEmail"].type, fields["workEmail"].label) == ("email", "Work Email")
    assert fields["customHubId"].custom and not fields["firstName"].custom
    assert fields["hireDate"].type == "date" and fields["lastChanged"].readonly
    department = fields["department"]
    assert department.type == "list" and "Sales" in department.options


def test_the_sample_is_one_report_of_the_described_fields(
    bamboo: tuple[BambooHREmulator, EmulatorServer],
) -> None:
    app, server = bamboo
    shape = connector(app, server).describe("employees", sample=4)
    assert app.stats[REPORT] == 1
    assert [row["id"] for row in shape.sample] == sorted((r["id"] for r in shape.sample), key=int)[:4]
    first = shape.sample[0]
    assert set(first) == {f.name for f in shape.fields}
    assert first["terminationDate"] is None or first["terminationDate"][:4] != "0000"  # cleaned, as reads
