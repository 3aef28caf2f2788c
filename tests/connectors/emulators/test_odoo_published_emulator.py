"""The Odoo emulator's error answers against what Odoo's own tests assert of the real ones
(tests/fixtures/real/odoo/json2_errors_asserted.json; its SOURCES.md names the tests): JSON-2's status,
Content-Type, key order, exception name, message and arguments, and JSON-RPC's error payload keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.emulators.odoo import OdooEmulator
from connectors.emulators.odoo.rpc import OdooUser
from connectors.emulators.server import EmulatorServer

ASSERTED = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "real" / "odoo" / "json2_errors_asserted.json").read_text()
)
KEY = "0d1e2c3b4a5f60718293a4b5c6d7e8f901234567"
# The emulator has no ir.cron (the model Odoo's test is refused): its access error is not compared.
CASES = sorted(set(ASSERTED["cases"]) - {"test_webjson2_access_error"})


@pytest.fixture(scope="module")
def odoo19() -> Iterator[EmulatorServer]:
    with EmulatorServer(OdooEmulator(server_version="19.0", users=[OdooUser(api_keys=(KEY,))])) as server:
        yield server


def same_keys(payload: Any, structure: Any) -> bool:
    """Whether the payload has the structure's keys, level by level where the structure nests objects
    (what Odoo's assertIsErrorPayload compares; its `...` leaves are null in the fixture)."""
    if not isinstance(structure, dict):
        return True
    return (
        isinstance(payload, dict)
        and set(payload) == set(structure)
        and all(same_keys(payload[k], v) for k, v in structure.items())
    )


@pytest.mark.parametrize("case", CASES)
def test_the_json2_error_is_the_one_odoos_test_asserts(odoo19: EmulatorServer, case: str) -> None:
    expected = ASSERTED["cases"][case]
    headers = {"Content-Type": "application/json"}
    if expected["request"].get("bearer", True):
        headers["Authorization"] = f"Bearer {KEY}"
    answer = requests.post(
        odoo19.url + expected["request"]["path"], data=expected["request"]["data"], headers=headers
    )
    assert answer.status_code == expected["status"]
    assert answer.headers["Content-Type"] == ASSERTED["content_type"]
    if "www_authenticate" in expected:
        assert answer.headers["WWW-Authenticate"].lower().strip() == expected["www_authenticate"]
    body = answer.json()
    assert list(body) == ASSERTED["keys"]
    assert {k: body[k] for k in expected["error"]} == expected["error"]


def test_an_answer_is_sent_as_odoos_json_content_type(odoo19: EmulatorServer) -> None:
    answer = requests.post(
        odoo19.url + "/json/2/res.users/search",
        json={"domain": [["login", "=", "admin"]]},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert answer.status_code == 200 and answer.headers["Content-Type"] == ASSERTED["content_type"]
    assert answer.json() == [2]


@pytest.mark.parametrize("serie", ["17.0", "19.0"])
def test_the_jsonrpc_error_payload_has_the_keys_odoos_test_asserts(serie: str) -> None:
    app = OdooEmulator(server_version=serie, users=[OdooUser(api_keys=(KEY,))])
    call = {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1234,
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": [app.db.name, 2, KEY, "res.partner", "search", [[["bad field", "=", "foo"]]], {}],
        },
    }
    with EmulatorServer(app) as server:
        answer = requests.post(server.url + "/jsonrpc", json=call)
    asserted = ASSERTED["jsonrpc_value_error"]
    assert answer.status_code == asserted["status"]
    payload = answer.json()
    assert same_keys(payload, ASSERTED["jsonrpc_error_structure"])
    data = payload["error"]["data"]
    assert data["name"] == asserted["data"]["name"] and data["context"] == asserted["data"]["context"]
    assert data["arguments"] == [data["message"]] and payload["id"] == 1234
    assert list(payload) == ["jsonrpc", "id", "error"]  # JsonRPCDispatcher._response's order
    if serie == "19.0":  # odoo/http/dispatcher.py: "'code': 0,  # we don't care of this code"
        assert payload["error"]["code"] == 0 and list(data) == ASSERTED["keys"]
        assert data["message"].endswith("in condition ('bad field', '=', 'foo')")
    else:  # Odoo 17's http.py: 200, "totally arbitrary"
        assert payload["error"]["code"] == 200 and data["message"].endswith(
            "in leaf ('bad field', '=', 'foo')"
        )
    assert payload["error"]["message"] == "Odoo Server Error"
