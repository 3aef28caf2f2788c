"""The declarative REST connector: descriptions checked with file:line:column errors, every auth kind,
writes one by one and in batches, error bodies, rate limits, secrets, and Freshdesk's contacts from
connectors/rest/examples/freshdesk.yaml against the Freshdesk emulator."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from connectors.emulators.freshdesk import FreshdeskEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer
from connectors.rest import EXAMPLES, DeclarativeRESTConnector, declarative_connector, load_spec
from connectors.rest.validation import meta_schema
from hub.errors import AuthenticationError, ConfigError, FatalAPIError, RetryableAPIError
from hub.io.connections import parse_connection
from hub.io.connector import Connector, ObjectSpec
from hub.io.records import WriteOp
from hub.io.redact import RedactingFilter
from tests.connectors.kit import QUICK, START
from tests.connectors.kit_rest import FRESHDESK_YAML, SECRET, STYLES, widgets, widgets_yaml

WIDGETS = ObjectSpec("widgets", ("id", "name", "updated_at"), "id", "updated_at")
CONTACTS = ObjectSpec("contacts", ("id", "name", "email"), "id", "updated_at", "unique_external_id")
PAGE = STYLES["link_header"]

VALID = """\
system: things
display_name: Things
base_url: "{host}/api"
auth: {kind: bearer}
objects:
  things:
    cursor: {field: updated_at, format: iso}
    list:
      path: things
      since: {param: updated_since}
      paging: {style: page}
    get: things/{id}
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "things.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_spec(path, "things.yaml")
    return [str(p) for p in caught.value.problems]


# Descriptions ---------------------------------------------------------------------------------
def test_the_shipped_freshdesk_description_builds_a_connector_class() -> None:
    cls = declarative_connector(FRESHDESK_YAML)
    assert (cls.system, cls.conn_type, cls.default_conn_id) == (
        "freshdesk_rest",
        "freshdesk_rest",
        "freshdesk_rest_default",
    )
    assert cls.display_name.startswith("Freshdesk") and cls.max_page == 100 and cls.max_batch == 100
    assert cls.standard_fields["hidden"] == ["login", "schema", "port"]  # only host and the API key are asked
    assert declarative_connector(FRESHDESK_YAML) is cls  # loaded once


def test_the_meta_schema_is_a_valid_json_schema_and_the_valid_example_passes(tmp_path: Path) -> None:
    Draft202012Validator.check_schema(meta_schema())
    (tmp_path / "ok.yaml").write_text(VALID, encoding="utf-8")
    spec = load_spec(tmp_path / "ok.yaml")
    assert spec.objects["things"].list.paging.size_param == "per_page"  # the page style's default


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "{style: page}",
            "{style: pages}",
            "things.yaml:11:23: objects.things.list.paging.style: 'pages' is not allowed; "
            "use one of: cursor, offset, page, link_header, next_url, none",
        ),
        (
            "{style: page}",
            "{style: cursor, param: after}",
            "things.yaml:11:15: objects.things.list.paging: missing required key 'token' "
            "(Where the next token is, e.g. paging.next.after.)",
        ),
        (
            "{style: page}",
            "{style: page, token: next}",
            "things.yaml:11:29: objects.things.list.paging.token: unknown key; expected one of: "
            "first_page, max_page, page_param, page_size, size_param, style",
        ),
        (
            "    get:",
            "    primary_kay: id\n    get:",
            "things.yaml:12:5: objects.things.primary_kay: unknown key; did you mean 'primary_key'?",
        ),
        (
            '"{host}/api"',
            '"{hots}/api"',
            "things.yaml:3:11: base_url: unknown placeholder {hots}; use {host}, {login}",
        ),
        (
            "things/{id}",
            "things/1",
            "things.yaml:12:10: objects.things.get: 'things/1' must name the record as {id}",
        ),
        (
            "format: iso",
            "format: '%Y-%m-%d %Q'",
            "objects.things.cursor.format: '%Y-%m-%d %Q' cannot read back what it writes",
        ),
        (
            "      since: {param: updated_since}\n",
            "",
            "objects.things.list.paging.max_page: restarting at the page limit needs list.since",
        ),
        (
            "{kind: bearer}",
            "{kind: bearer, name: X-Key}",
            "things.yaml:4:22: auth.name: unknown key; expected one of: kind, token",
        ),
        (
            "{kind: bearer}",
            "{kind: digest}",
            "auth.kind: 'digest' is not allowed; use one of: basic, bearer, api_key, oauth2, none",
        ),
        (
            "    get: things/{id}\n",
            "    get: things/{id}\n    write: {create: POST}\n",
            "objects.things.write.create: 'POST' is not valid ('METHOD path'",
        ),
        (
            "    get: things/{id}\n",
            "    get: things/{id}\n    write: {update: PUT things}\n",
            "objects.things.write.update: 'things' must name the record as {id}",
        ),
        ("objects:", "objects: [", "things.yaml:7:11: invalid YAML"),
        ("system: things\n", "", "things.yaml:1:1: the file: missing required key 'system'"),
    ],
)
def test_a_broken_description_names_file_line_column_field_and_fix(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in VALID
    text = VALID.replace(old, new.replace("paging: {style: page}", "paging: {style: page, max_page: 3}"))
    if not new:  # the since-less case: a page limit has no cursor to restart from
        text = text.replace("{style: page}", "{style: page, max_page: 3}")
    found = problems(tmp_path, text)
    assert any(expected in p for p in found), found


def test_every_problem_of_a_file_is_reported_at_once_in_file_order(tmp_path: Path) -> None:
    text = VALID.replace("{kind: bearer}", "{kind: digest}").replace("{style: page}", "{style: pages}")
    found = problems(tmp_path, text)
    assert [p.split(":")[1] for p in found] == ["4", "11"]


def test_the_base_class_alone_is_not_a_connector() -> None:
    with pytest.raises(TypeError, match="declarative_connector"):
        DeclarativeRESTConnector(parse_connection("x", '{"host": "h"}'))


# Auth -----------------------------------------------------------------------------------------
AUTHS = [
    ("basic", '{kind: basic, user: "{login}"}', {"login": "widget-user"}),
    ("bearer", "{kind: bearer}", {}),
    ("header", '{kind: api_key, name: X-Api-Key, value: "Key {password}"}', {}),
    ("query", "{kind: api_key, name: api_key, in: query}", {}),
    ("oauth2", "{kind: oauth2, token_url: /oauth/token}", {"login": "widget-client"}),
]


@pytest.mark.parametrize(("mode", "auth", "fields"), AUTHS, ids=[a[0] for a in AUTHS])
def test_every_auth_kind_is_accepted_and_a_wrong_secret_is_refused_without_showing_it(
    tmp_path: Path, mode: str, auth: str, fields: dict[str, str]
) -> None:
    with widgets(tmp_path, widgets_yaml(PAGE, auth), mode) as (app, build):
        made = [app.create(f"w{i}") for i in range(3)]
        connector = build(**fields)
        assert "accepted the credentials of connection 'widgets_default'" in connector.check()
        assert [r["id"] for p in connector.read_changes(WIDGETS, None, 2) for r in p.records] == made
        wrong = "Wrong-Secret-4242"
        with pytest.raises(AuthenticationError) as caught:
            build(**{**fields, "password": wrong}).fetch(WIDGETS, ["1"])
        assert "'widgets_default'" in str(caught.value)
        assert wrong not in str(caught.value) and SECRET not in str(caught.value)


def test_an_expired_oauth_token_is_fetched_again_once(tmp_path: Path) -> None:
    with widgets(tmp_path, widgets_yaml(PAGE, "{kind: oauth2, token_url: /oauth/token}"), "oauth2") as (
        app,
        build,
    ):
        app.create("w")
        connector = build(login="widget-client")
        assert connector.fetch(WIDGETS, ["1"])
        app.expire_tokens()
        assert connector.fetch(WIDGETS, ["1"])[0]["name"] == "w"
        assert app.token_requests == 2


def test_a_connection_without_the_field_a_template_names_is_a_config_error(tmp_path: Path) -> None:
    missing = r"'widgets_default' has no login, which auth.user uses"
    with (
        widgets(tmp_path, widgets_yaml(PAGE, '{kind: basic, user: "{login}"}'), "basic") as (_app, build),
        pytest.raises(ConfigError, match=missing),
    ):
        build().fetch(WIDGETS, ["1"])


@pytest.mark.parametrize("mode", ["header", "query"])
def test_secrets_are_registered_so_redacted_logs_never_show_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    secret = f"fresh-{uuid.uuid4().hex}"  # known to no test before: only the connector registers it
    auth = {m: a for m, a, _ in AUTHS}[mode]
    with widgets(tmp_path, widgets_yaml(PAGE, auth), mode, secret=secret) as (app, build):
        for i in range(6):
            app.create(f"w{i}")
        app.faults.configure(0.5, ("rate_limit",), seed=1)
        caplog.handler.addFilter(RedactingFilter())  # what the hub installs on every log handler
        with caplog.at_level(logging.DEBUG):
            records = [r for p in build(password=secret).read_changes(WIDGETS, None, 2) for r in p.records]
            logging.getLogger("test").info("the connection's secret is %s", secret)
        assert len(records) == 6 and "answered 420" in caplog.text
        assert secret not in caplog.text and "the connection's secret is ***" in caplog.text


# Writes, errors, rate limits ------------------------------------------------------------------
def test_writes_create_and_update_wrapped_records_with_one_result_each(tmp_path: Path) -> None:
    with widgets(tmp_path, widgets_yaml(PAGE)) as (app, build):
        connector = build()
        ops = [WriteOp("h1", {"name": "a"}), WriteOp("h2", {"name": ""}), WriteOp("h3", {"name": "b"}, "99")]
        results = connector.write(WIDGETS, ops)
        assert results[0].ok and results[0].created and app.rows[int(results[0].id or 0)]["name"] == "a"
        assert results[1].error is not None and results[1].error.as_dict() == {
            "code": "invalid",
            "message": "name: name is required",
            "fields": ["name"],
        }
        assert results[2].error is not None and results[2].error.code == "NotFound"
        again = connector.write(WIDGETS, [WriteOp("h1", {"name": "c"}, results[0].id)])
        assert again[0].ok and not again[0].created and app.rows[int(results[0].id or 0)]["name"] == "c"


@pytest.mark.parametrize("parallel", [1, 4])
def test_one_record_writes_keep_parallel_requests_in_flight_and_their_order(
    tmp_path: Path, parallel: int
) -> None:
    more = f"      parallel: {parallel}\n" if parallel > 1 else ""
    with widgets(tmp_path, widgets_yaml(PAGE, more=more)) as (app, build):
        connector = build()
        connector.check()  # the token first: only writes are counted below
        in_flight, most, lock, handle = 0, 0, threading.Lock(), app.handle

        def counting(request: Any) -> Any:  # how many requests the server holds at once
            nonlocal in_flight, most
            with lock:
                in_flight += 1
                most = max(most, in_flight)
            try:
                return handle(request)
            finally:
                with lock:
                    in_flight -= 1

        app.handle = counting  # type: ignore[method-assign]
        app.faults.latency_ms = 40  # each answer waits, outside the app's lock
        valid = [i % 5 != 0 for i in range(12)]
        results = connector.write(
            WIDGETS, [WriteOp(f"h{i}", {"name": f"w{i}" if ok else ""}) for i, ok in enumerate(valid)]
        )
        assert [r.ok for r in results] == valid and most == parallel
        assert all(app.rows[int(r.id or 0)]["name"] == f"w{i}" for i, r in enumerate(results) if r.ok)
        assert len(app.rows) == sum(valid)


def test_parallel_is_refused_beside_a_batch(tmp_path: Path) -> None:
    text = widgets_yaml(
        PAGE, more="      parallel: 4\n      batch: {size: 3, wrap: inputs, results: results}\n"
    )
    path = tmp_path / "widgets.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_spec(path, "widgets.yaml")
    assert any(
        "objects.widgets.write.parallel: parallel is for one record a call" in str(p)
        for p in caught.value.problems
    )


def test_batch_writes_send_size_records_a_call_and_read_results_in_order(tmp_path: Path) -> None:
    text = (
        widgets_yaml(PAGE, more="      batch: {size: 3, wrap: inputs, item: properties, results: results}\n")
        .replace("create: POST widgets\n", "create: POST widgets/batch/create\n")
        .replace("update: PUT widgets/{id}\n", "update: POST widgets/batch/update\n")
        .replace("      wrap: widget\n", "")
    )
    with widgets(tmp_path, text) as (app, build):
        connector = build()
        assert connector.batch_size(WIDGETS) == 3 and connector.max_batch == 100
        pattern = [True, False, True, True, True, False, True]
        ops = [WriteOp(str(i), {"name": f"w{i}" if ok else ""}) for i, ok in enumerate(pattern)]
        results = connector.write(WIDGETS, ops)
        assert [r.ok for r in results] == pattern and all(r.created for r in results if r.ok)
        assert all(r.error.message == "name: name is required" for r in results if r.error)
        assert app.stats["POST /api/widgets/batch/(?P<kind>create|update)"] == 3
        first_id = results[0].id
        updates = [WriteOp("0", {"name": "renamed"}, first_id), WriteOp("x", {"name": "y"}, "999")]
        updated = connector.write(WIDGETS, updates)
        assert updated[0].ok and not updated[0].created and app.rows[int(first_id or 0)]["name"] == "renamed"
        assert updated[1].error is not None and updated[1].error.code == "missing"


def test_described_rate_limit_statuses_are_retried_and_counted(tmp_path: Path) -> None:
    with widgets(tmp_path, widgets_yaml(PAGE)) as (app, build):
        connector = build()
        app.faults.configure(0.5, ("rate_limit",), seed=3)
        results = connector.write(WIDGETS, [WriteOp(str(i), {"name": f"w{i}"}) for i in range(20)])
        app.faults.configure(0.0, ())
        assert all(r.ok for r in results) and len(app.rows) == 20
        assert connector.calls.retries()["widgets"] > 0


def test_find_uses_list_filters_then_scans_and_fetch_scans_without_get(tmp_path: Path) -> None:
    with widgets(tmp_path, widgets_yaml(PAGE).replace("    get: widgets/{id}\n", "")) as (app, build):
        for name in ("a", "b", "a", "c"):
            app.create(name)
        connector = build()
        assert [r["id"] for r in connector.find(WIDGETS, {"name": ["a"]})] == [1, 3]
        assert [r["id"] for r in connector.find(WIDGETS, {"updated_at": [app.rows[4]["updated_at"]]})] == [
            1,
            2,
            3,
            4,
        ]
        assert [r["id"] for r in connector.fetch(WIDGETS, ["2", "4", "77"])] == [2, 4]
        assert [r["id"] for r in connector.find(WIDGETS, {"id": ["3"]})] == [3]  # ids compare as text


def test_an_undescribed_object_is_a_clear_error(tmp_path: Path) -> None:
    with (
        widgets(tmp_path, widgets_yaml(PAGE)) as (_app, build),
        pytest.raises(FatalAPIError, match="describes: widgets"),
    ):
        list(build().read_changes(ObjectSpec("gadgets", (), "id"), None, 10))


# Freshdesk from YAML alone ----------------------------------------------------------------------
@pytest.fixture
def freshdesk(tmp_path: Path) -> Iterator[tuple[FreshdeskEmulator, EmulatorServer]]:
    app = FreshdeskEmulator(clock=ManualClock(START))
    app.retry_after = "0"
    with EmulatorServer(app) as server:
        yield app, server


def freshdesk_connector(
    server: EmulatorServer, app: FreshdeskEmulator, path: Path = FRESHDESK_YAML
) -> Connector:
    cls = declarative_connector(path)
    given = {**app.connection(server.url), "conn_type": cls.conn_type}
    return cls(parse_connection(cls.default_conn_id, json.dumps(given)), policy=QUICK)


def test_a_taken_email_turns_a_create_into_an_update_of_that_contact(
    freshdesk: tuple[FreshdeskEmulator, EmulatorServer],
) -> None:
    app, server = freshdesk
    connector = freshdesk_connector(server, app)
    first = connector.write(
        CONTACTS, [WriteOp(str(uuid.uuid4()), {"name": "Ada", "email": "ada@example.com"})]
    )
    again = connector.write(
        CONTACTS, [WriteOp(str(uuid.uuid4()), {"name": "Ada L", "email": "ada@example.com"})]
    )
    assert first[0].created and again[0].id == first[0].id and not again[0].created
    assert [r["name"] for r in app.records("contacts")] == ["Ada L"]


def test_freshdesk_validation_errors_become_record_errors(
    freshdesk: tuple[FreshdeskEmulator, EmulatorServer],
) -> None:
    app, server = freshdesk
    results = freshdesk_connector(server, app).write(CONTACTS, [WriteOp("h", {"email": "not-an-email"})])
    error = results[0].error
    assert error is not None and error.code == "missing_field" and error.fields == ("name", "email")
    assert "name: It should be a/an String" in error.message


def test_the_freshdesk_page_limit_restart_works_from_yaml(tmp_path: Path) -> None:
    clock = ManualClock(START)
    app = FreshdeskEmulator(clock=clock, page_limit=3)
    made = []
    for i in range(25):
        made.append(app.create("contacts", {"name": f"C{i}", "email": f"c{i}@example.com"}))
        clock.advance(i % 2)
    limited = tmp_path / "freshdesk3.yaml"
    limited.write_text(FRESHDESK_YAML.read_text().replace("max_page: 300", "max_page: 3"), encoding="utf-8")
    with EmulatorServer(app) as server:
        pages = list(freshdesk_connector(server, app, limited).read_changes(CONTACTS, None, 2))
    assert [r["id"] for p in pages for r in p.records] == made


def test_an_unavailable_server_is_a_retryable_error_after_the_retries(
    freshdesk: tuple[FreshdeskEmulator, EmulatorServer],
) -> None:
    app, server = freshdesk
    app.faults.configure(1.0, ("unavailable",))
    shown = r"^freshdesk_rest: GET /api/v2/contacts: Service Unavailable \(HTTP 503\)$"  # no query string
    with pytest.raises(RetryableAPIError, match=shown):
        list(freshdesk_connector(server, app).read_changes(CONTACTS, None, 10))


def test_examples_folder_holds_only_valid_descriptions() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        assert load_spec(path).system
