"""The Files connector on a local folder and on fsspec's memory filesystem: incremental reads by file
time and by cursor column, exact money, malformed lines reported as unreadable records (and whole files
that cannot be read), keyed writes that keep the file's header and untouched rows, and rewrites that a
failure or a kill never leaves half done."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import fsspec  # type: ignore[import-untyped, unused-ignore]
import pytest

from connectors.files import FilesConnector, MalformedRecord
from connectors.files.storage import TEMP_MARK
from hub.errors import AuthenticationError, ConfigError, FatalAPIError, RetryableAPIError
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.records import Page, ReadsAgain, WriteOp
from hub.io.redact import redact

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
PAYMENTS = ObjectSpec("payments/*.csv", ("payment_id", "amount", "currency"), "payment_id")
LEDGER = ObjectSpec("ledger.csv", ("id", "updated_at", "hub_id", "amount"), "id", "updated_at", "hub_id")
LEDGER_JSONL = ObjectSpec("ledger.jsonl", LEDGER.fields, "id", "updated_at", "hub_id")
MONEY = ["0.10", "1234567890.99", "-0.005"]


def connector(host: str, **extra: Any) -> FilesConnector:
    spec = {"conn_type": "omnihub_files", "host": host, "extra": extra}
    return FilesConnector(parse_connection("files_default", json.dumps(spec)))


def put(path: Path, text: str, when: datetime | None = None) -> Path:
    """Write a file and give it a modification time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    if when is not None:
        os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def records(pages: Iterator[Page] | list[Page]) -> list[dict[str, Any]]:
    return [r for page in pages for r in page.records]


def unread(pages: list[Page]) -> list[tuple[str, int, str]]:
    """(file, line, problem) of every unreadable record of the pages."""
    found = [u for page in pages for u in page.unreadable]
    return [(u.location["file"], u.location["line"], u.problem) for u in found]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "exports"
    made.mkdir()
    return made


# Reads --------------------------------------------------------------------------------------------
def test_csv_values_stay_text_with_empty_cells_none_and_say_where_they_came_from(folder: Path) -> None:
    put(folder / "payments" / "a.csv", 'payment_id,amount,memo\nP1,0.10,"two\nlines"\nP2,007,\n', T0)
    found = records(connector(str(folder)).read_changes(PAYMENTS, None, 100))
    where = {"_file": "payments/a.csv", "_modified": T0.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert found == [
        {"payment_id": "P1", "amount": "0.10", "memo": "two\nlines", **where, "_line": 2},
        {"payment_id": "P2", "amount": "007", "memo": None, **where, "_line": 4},
    ]


def test_without_a_cursor_column_files_changed_since_are_read_oldest_first(folder: Path) -> None:
    put(folder / "payments" / "2024-03.csv", "payment_id,amount\nP3,3\nP4,4\n", T0 + timedelta(hours=2))
    put(folder / "payments" / "2024-01.csv", "payment_id,amount\nP1,1\n", T0)
    put(folder / "payments" / "2024-02.csv", "payment_id,amount\nP2,2\n", T0 + timedelta(hours=1))
    put(folder / "payments" / "notes.txt", "not an export", T0 + timedelta(hours=3))
    files = connector(str(folder))
    everything = list(files.read_changes(PAYMENTS, None, 2))
    assert [r["payment_id"] for r in records(everything)] == ["P1", "P2", "P3", "P4"]
    assert [p.cursor for p in everything] == [T0 + timedelta(hours=1), T0 + timedelta(hours=2)]
    since = T0 + timedelta(minutes=30)
    changed = list(files.read_changes(PAYMENTS, since, 100))
    assert [r["payment_id"] for r in records(changed)] == ["P2", "P3", "P4"]  # every row of a changed file
    assert changed[-1].cursor == T0 + timedelta(hours=2)
    assert list(files.read_changes(PAYMENTS, T0 + timedelta(hours=5), 100)) == []


def test_with_a_cursor_column_only_rows_changed_since_count_in_cursor_order(folder: Path) -> None:
    text = (
        "id,updated_at,hub_id,amount\n"
        "10,2024-03-01T12:00:05Z,h10,1\n"
        "9,2024-03-01T12:00:05Z,h9,2\n"
        "3,2024-03-01T11:00:00Z,h3,3\n"
        "4,2024-03-01T12:30:00+01:00,h4,4\n"  # 11:30 UTC
        "5,2024-03-01 12:10:00,h5,5\n"  # naive: UTC
        "6,,h6,6\n"  # empty: the file's time
    )
    put(folder / "ledger.csv", text, T0 + timedelta(hours=1))
    files = connector(str(folder))
    pages = list(files.read_changes(LEDGER, T0, 2))
    assert [r["id"] for r in records(pages)] == ["9", "10", "5", "6"]  # by cursor, then key 9 < 10
    assert [p.cursor for p in pages] == [T0 + timedelta(seconds=5), T0 + timedelta(hours=1)]
    assert pages[0].total == 4
    everything = [r["id"] for r in records(files.read_changes(LEDGER, None, 100))]
    assert everything == ["3", "4", "9", "10", "5", "6"]


def test_files_older_than_since_are_not_opened(folder: Path) -> None:
    put(folder / "ledger.csv", "id,updated_at,hub_id,amount\n1,2030-01-01T00:00:00Z,h1,1\n", T0)
    files = connector(str(folder))
    assert records(files.read_changes(LEDGER, T0 + timedelta(seconds=1), 100)) == []
    assert len(records(files.read_changes(LEDGER, T0, 100))) == 1


def test_a_cursor_that_is_no_date_time_makes_its_line_unreadable_and_the_rest_is_read(folder: Path) -> None:
    text = "id,updated_at,hub_id,amount\n1,yesterday,h1,1\n2,2024-03-01T12:00:00Z,h2,2\n"
    put(folder / "ledger.csv", text, T0 + timedelta(hours=1))
    pages = list(connector(str(folder)).read_changes(LEDGER, None, 100))
    assert [r["id"] for r in records(pages)] == ["2"]
    [bad] = [u for page in pages for u in page.unreadable]
    assert (bad.record_id, bad.place, bad.field_name) == ("ledger.csv:2", "ledger.csv", "updated_at")
    assert bad.as_error() == {
        "field": "updated_at",
        "rule": "unreadable",
        "message": "ledger.csv line 2: updated_at 'yesterday' is not an ISO 8601 date-time",
        "file": "ledger.csv",
        "line": 2,
    }
    assert bad.text == "1,yesterday,h1,1\n"
    assert pages[-1].cursor == T0  # a line with no time to tell does not move the cursor


def test_json_lines_keep_json_types_and_read_fractions_as_exact_decimals(folder: Path) -> None:
    lines = [
        {"id": 1, "updated_at": "2024-03-01T12:00:00Z", "hub_id": "h1", "amount": "AMOUNT", "ok": True},
        {"id": 2, "updated_at": "2024-03-01T12:00:01Z", "hub_id": "h2", "amount": None, "tags": ["a"]},
    ]
    text = "\n".join(json.dumps(line) for line in lines).replace('"AMOUNT"', "1234567890.99") + "\n"
    put(folder / "ledger.jsonl", text)
    found = records(connector(str(folder)).read_changes(LEDGER_JSONL, None, 100))
    assert found[0]["amount"] == Decimal("1234567890.99") and isinstance(found[0]["amount"], Decimal)
    assert found[0]["id"] == 1 and found[0]["ok"] is True and found[1]["tags"] == ["a"]
    assert (found[1]["_file"], found[1]["_line"]) == ("ledger.jsonl", 2)


def test_compressed_exports_are_read_and_written(folder: Path) -> None:
    (folder / "payments").mkdir()
    (folder / "payments" / "old.csv.gz").write_bytes(gzip.compress(b"payment_id,amount\nP1,0.10\n"))
    files = connector(str(folder))
    exports = ObjectSpec("payments/*.csv.gz", PAYMENTS.fields, "payment_id")
    assert [r["amount"] for r in records(files.read_changes(exports, None, 100))] == ["0.10"]
    obj = ObjectSpec("payments/old.csv.gz", PAYMENTS.fields, "payment_id")
    [result] = files.write(obj, [WriteOp("h2", {"payment_id": "P2", "amount": Decimal("0.20")})])
    assert result.ok
    text = gzip.decompress((folder / "payments" / "old.csv.gz").read_bytes()).decode()
    assert text == "payment_id,amount\nP1,0.10\nP2,0.20\n"


# Malformed lines ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "text", "line", "problem", "good"),
    [
        (
            "ledger.csv",
            "id,updated_at,hub_id,amount\n1,,h1,1\n2,,h2\n3,,h3,3\n",
            3,
            "3 cells where the header has 4",
            ["1", "3"],
        ),
        ("ledger.csv", 'id,updated_at,hub_id,amount\n1,,h1,1\n2,,"h2,2\n3,,h3,3\n', 3, "quoted cell", ["1"]),
        (
            "ledger.csv",
            "id,updated_at,hub_id,amount\n,,h1,1\n2,,h2,2\n",
            2,
            "no value in the key column 'id'",
            ["2"],
        ),
        ("ledger.jsonl", '{"id": 1}\n{"id": 2,\n{"id": 3}\n', 2, "not valid JSON", [1, 3]),
        ("ledger.jsonl", '{"id": 1}\n\n[2]\n', 3, "a JSON array, where each line must be an object", [1]),
        ("ledger.jsonl", '{"id": 1, "amount": NaN}\n{"id": 2}\n', 1, "NaN is not a JSON number", [2]),
    ],
)
def test_a_malformed_line_is_reported_unreadable_and_the_rest_of_the_file_is_read(
    folder: Path, name: str, text: str, line: int, problem: str, good: list[Any]
) -> None:
    put(folder / name, text, T0)
    obj = LEDGER if name.endswith(".csv") else LEDGER_JSONL
    pages = list(connector(str(folder)).read_changes(obj, None, 100))
    assert [r["id"] for r in records(pages)] == good
    [(file, where, said)] = unread(pages)
    assert (file, where) == (name, line) and problem in said
    [bad] = pages[0].unreadable
    assert bad.record_id == f"{name}:{line}" and bad.as_error()["message"].startswith(f"{name} line {line}: ")
    assert pages[0].covered == [name] and pages[0].cursor == T0


def test_an_unclosed_quote_holds_back_the_rest_of_its_file_as_one_unreadable_record(folder: Path) -> None:
    put(folder / "ledger.csv", 'id,updated_at,hub_id,amount\n1,,h1,1\n2,,"h2,2\n3,,h3,3\n')
    [page] = connector(str(folder)).read_changes(LEDGER, None, 100)
    [bad] = page.unreadable
    assert bad.text == '2,,"h2,2\n3,,h3,3\n'  # line 4 cannot be told apart from the open quote


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("id,id,hub_id,amount\n1,1,h1,1\n", 1, "column 'id' appears twice in the header"),
        ('\nid,"updated_at,hub_id\n1,,h1\n', 2, "quoted cell is never closed"),
        ("id,updated_at,hub_id,am\xe9ount\n1,,h1,1\n", 1, "byte 0xe9 is not utf-8 text"),
    ],
)
def test_a_file_that_cannot_be_read_at_all_stops_the_read_after_the_files_before_it(
    folder: Path, text: str, line: int, problem: str
) -> None:
    put(folder / "payments" / "1.csv", "payment_id,amount\nP1,1\n", T0)
    (folder / "payments" / "2.csv").write_bytes(text.encode("latin-1"))
    os.utime(folder / "payments" / "2.csv", ((T0 + timedelta(hours=1)).timestamp(),) * 2)
    pages = connector(str(folder)).read_changes(PAYMENTS, None, 1)
    first = next(pages)
    assert [r["payment_id"] for r in first.records] == ["P1"] and first.cursor == T0
    with pytest.raises(MalformedRecord) as caught:
        next(pages)
    assert (caught.value.file, caught.value.line) == ("payments/2.csv", line)
    assert problem in str(caught.value) and "the whole file cannot be read" in str(caught.value)


def test_text_in_another_encoding_is_named_line_by_line_and_the_encoding_option_reads_it(
    folder: Path,
) -> None:
    data = "payment_id,memo\nP1,café\nP2,plain\n".encode("cp1252")
    put(folder / "payments" / "a.csv", "")
    (folder / "payments" / "a.csv").write_bytes(data)
    pages = list(connector(str(folder)).read_changes(PAYMENTS, None, 100))
    assert [r["payment_id"] for r in records(pages)] == ["P2"]
    [(file, line, problem)] = unread(pages)
    assert (file, line) == ("payments/a.csv", 2)
    assert problem == "byte 0xe9 is not utf-8 text; set the `encoding` option (e.g. cp1252)"
    latin = connector(str(folder), encoding="cp1252")
    [again] = latin.read_again(PAYMENTS, ["payments/a.csv"])  # what a quarantine retry reads
    assert [r["memo"] for r in again.records] == ["café", "plain"] and again.unreadable == []


def test_a_rewrite_keeps_an_undecodable_line_byte_for_byte(folder: Path) -> None:
    path = folder / "ledger.csv"
    path.write_bytes(b"id,updated_at,hub_id,amount\n1,,h1,caf\xe9\n2,,h2,2\n")
    files = connector(str(folder))
    [result] = files.write(LEDGER, [WriteOp("h2", {"amount": "3"}, target_id="2")])
    assert result.ok
    assert path.read_bytes().split(b"\n")[:2] == [b"id,updated_at,hub_id,amount", b"1,,h1,caf\xe9"]


def test_bad_lines_do_not_stop_the_read_and_every_changed_file_is_covered(folder: Path) -> None:
    put(folder / "payments" / "0.csv", "payment_id,amount\nP0,0\n", T0 - timedelta(days=1))
    put(folder / "payments" / "1.csv", "payment_id,amount\nP1,1\n", T0)
    put(folder / "payments" / "2.csv", "payment_id,amount\nP2,2\nP3\nP4,4\n", T0 + timedelta(hours=1))
    pages = list(connector(str(folder)).read_changes(PAYMENTS, T0, 2))
    assert [r["payment_id"] for r in records(pages)] == ["P1", "P2", "P4"]
    assert unread(pages) == [("payments/2.csv", 3, "1 cells where the header has 2")]
    assert [p.cursor for p in pages] == [T0 + timedelta(hours=1), T0 + timedelta(hours=1)]
    assert sorted(f for p in pages for f in p.covered) == ["payments/1.csv", "payments/2.csv"]  # not 0.csv


def test_read_again_gives_each_file_whole_whatever_its_cursors_say(folder: Path) -> None:
    text = "id,updated_at,hub_id,amount\n1,2020-01-01T00:00:00Z,h1,1\n2,2020-01-01,h2\n3,soon,h3,3\n"
    put(folder / "ledger.csv", text, T0)
    files = connector(str(folder))
    assert isinstance(files, ReadsAgain)
    assert records(files.read_changes(LEDGER, T0, 100)) == []  # row 1 is older than since
    [page] = files.read_again(LEDGER, ["ledger.csv", "gone.csv"])
    assert [r["id"] for r in page.records] == ["1"] and page.cursor is None
    assert [u.record_id for u in page.unreadable] == ["ledger.csv:3", "ledger.csv:4"]
    assert page.covered == ["ledger.csv"]
    assert list(files.read_again(LEDGER, ["gone.csv"])) == []


def test_fetch_and_find_skip_unreadable_lines_and_ignore_cursor_cells(folder: Path) -> None:
    put(folder / "ledger.csv", "id,updated_at,hub_id,amount\n1,yesterday,h1,1\n2,,h2\n3,,h3,3\n")
    files = connector(str(folder))
    assert [r["id"] for r in files.fetch(LEDGER, ["1", "2", "3"])] == ["1", "3"]
    assert [r["id"] for r in files.find(LEDGER, {"hub_id": ["h1", "h2"]})] == ["1"]


# Writes -----------------------------------------------------------------------------------------
def test_writes_merge_by_key_and_keep_the_header_and_untouched_rows_exactly(folder: Path) -> None:
    original = (
        "\ufeffamount;id;hub_id;Note;updated_at\r\n"
        '"0,10";1;h1;"keep ""this"" as is";2024-01-01T00:00:00Z\r\n'
        "5;2;h2;;2024-01-01T00:00:00Z\r\n"
        "broken;row\r\n"
    )
    put(folder / "ledger.csv", original)
    files = connector(str(folder), delimiter=";")
    files.clock = lambda: T0
    results = files.write(
        LEDGER,
        [
            WriteOp("h2", {"amount": "6", "approved_by": "Ann"}),  # by hub id; brings a new column
            WriteOp("h9", {"id": "9", "amount": Decimal("-0.005")}),  # new row, its own key
            WriteOp("hX", {"amount": "1"}, target_id="1"),  # by key
        ],
    )
    assert [(r.id, r.created, r.ok) for r in results] == [
        ("2", False, True),
        ("9", True, True),
        ("1", False, True),
    ]
    assert (folder / "ledger.csv").read_bytes().decode("utf-8") == (
        "\ufeffamount;id;hub_id;Note;updated_at;approved_by\r\n"
        '1;1;hX;"keep ""this"" as is";2024-03-01T12:00:00Z;\r\n'  # changed: written anew
        "6;2;h2;;2024-03-01T12:00:00Z;Ann\r\n"
        "broken;row\r\n"  # a malformed line stays for a person to fix
        "-0.005;9;h9;;2024-03-01T12:00:00Z;\r\n"
    )


def test_untouched_rows_keep_their_text_when_columns_are_added(folder: Path) -> None:
    put(folder / "ledger.csv", 'id,updated_at,hub_id,amount\n1,,h1,"0.10"\n')
    files = connector(str(folder))
    files.write(LEDGER, [WriteOp("h2", {"id": "2", "memo": "new column"})])
    lines = (folder / "ledger.csv").read_text().splitlines()
    assert lines[0] == "id,updated_at,hub_id,amount,memo"
    assert lines[1] == '1,,h1,"0.10",'  # its quotes kept, one empty cell added
    assert {r["id"]: r["memo"] for r in records(files.read_changes(LEDGER, None, 10))} == {
        "1": None,
        "2": "new column",
    }


def test_a_new_file_gets_a_header_from_the_mapping_and_new_rows_key_by_hub_id(folder: Path) -> None:
    files = connector(str(folder))
    files.clock = lambda: T0
    [result] = files.write(LEDGER, [WriteOp("hub-1", {"amount": "1", "extra": "x"})])
    assert (result.id, result.created) == ("hub-1", True)
    assert (folder / "ledger.csv").read_text() == (
        "id,hub_id,updated_at,amount,extra\nhub-1,hub-1,2024-03-01T12:00:00Z,1,x\n"
    )
    [again] = files.write(LEDGER, [WriteOp("hub-1", {"amount": "2"})])  # a replay upserts
    assert (again.id, again.created) == ("hub-1", False)
    assert [r["amount"] for r in files.fetch(LEDGER, ["hub-1"])] == ["2"]


def test_records_that_cannot_be_written_get_an_error_each_and_the_rest_are_written(folder: Path) -> None:
    put(folder / "ledger.csv", "id,updated_at,hub_id,amount\n1,,h1,1\n")
    files = connector(str(folder))
    ops = [
        WriteOp("a", {"id": "A", "amount": "1"}),
        WriteOp("b", {"id": "B", "amount": {"value": "1"}}),  # nested: no CSV cell holds it
        WriteOp("c", {"id": None, "amount": "1"}),
        WriteOp("d", {"amount": "1"}, target_id="404"),
        WriteOp("e", {"id": "1", "amount": "1"}),  # the key of another row
        WriteOp("f", {"id": "F", "amount": float("nan")}),
        WriteOp("g", {"id": "G", "amount": "7"}),
    ]
    results = files.write(LEDGER, ops)
    assert [r.error.code if r.error else r.id for r in results] == [
        "A",
        "unwritable",
        "missing_key",
        "not_found",
        "duplicate_key",
        "unwritable",
        "G",
    ]
    assert results[1].error is not None and results[1].error.fields == ("amount",)
    assert "no row of ledger.csv has id '404'" in str(results[3].error)
    assert {r["id"] for r in files.fetch(LEDGER, ["1", "A", "B", "F", "G"])} == {"1", "A", "G"}


def test_json_lines_refuse_what_json_cannot_hold_but_keep_nested_values(folder: Path) -> None:
    files = connector(str(folder))
    ops = [
        WriteOp("a", {"id": "A", "amount": {"value": Decimal("0.10"), "currency": "EUR"}}),
        WriteOp("b", {"id": "B", "amount": Decimal("NaN")}),
        WriteOp("c", {"id": "C", "amount": object()}),
    ]
    results = files.write(LEDGER_JSONL, ops)
    assert [r.error.code if r.error else r.id for r in results] == ["A", "unwritable", "unwritable"]
    [read] = files.fetch(LEDGER_JSONL, ["A"])
    assert read["amount"] == {"value": Decimal("0.10"), "currency": "EUR"}


@pytest.mark.parametrize("name", ["money.csv", "money.jsonl"])
def test_money_survives_a_write_and_a_read_exactly(folder: Path, name: str) -> None:
    obj = ObjectSpec(name, ("id", "amount"), "id", None, "hub_id")
    files = connector(str(folder))
    files.write(obj, [WriteOp(f"h{i}", {"id": str(i), "amount": Decimal(m)}) for i, m in enumerate(MONEY)])
    text = (folder / name).read_text()
    for money in MONEY:
        assert f",{money}\n" in text if name.endswith(".csv") else f'"amount":{money}}}' in text
    amounts = [r["amount"] for r in records(files.read_changes(obj, None, 10))]
    assert [str(a) for a in amounts] == MONEY  # "0.10" keeps its trailing zero
    files.write(obj, [WriteOp("h9", {"id": "9", "amount": Decimal("1")})])  # a rewrite of the others
    again = [str(r["amount"]) for r in records(files.read_changes(obj, None, 10))]
    assert again == [*MONEY, "1"]


def test_the_mapping_filter_selects_rows_and_is_written_compared_as_text(folder: Path) -> None:
    put(folder / "ledger.csv", "")  # an empty file: the mapping's fields make the header
    obj = ObjectSpec("ledger.csv", ("id", "hub_id", "amount"), "id", None, "hub_id", {"paid": True})
    files = connector(str(folder))
    files.write(obj, [WriteOp("h1", {"id": "1", "amount": "1"})])
    (folder / "ledger.csv").write_text((folder / "ledger.csv").read_text() + "2,h2,2,false\n")
    assert (folder / "ledger.csv").read_text() == "id,hub_id,amount,paid\n1,h1,1,true\n2,h2,2,false\n"
    assert [r["id"] for r in records(files.read_changes(obj, None, 10))] == ["1"]
    assert files.fetch(obj, ["2"]) == []


def test_delete_removes_rows_by_key(folder: Path) -> None:
    put(folder / "ledger.csv", "id,updated_at,hub_id,amount\n1,,h1,1\n2,,h2,2\n")
    files = connector(str(folder))
    assert [r.ok for r in files.delete(LEDGER, ["1", "gone"])] == [True, True]
    assert (folder / "ledger.csv").read_text() == "id,updated_at,hub_id,amount\n2,,h2,2\n"


def test_listings_and_file_reads_are_counted_as_api_calls(folder: Path) -> None:
    put(folder / "payments" / "1.csv", "payment_id\nP1\n")
    put(folder / "payments" / "2.csv", "payment_id\nP2\n")
    files = connector(str(folder))
    assert len(records(files.read_changes(PAYMENTS, None, 10))) == 2
    assert files.calls.snapshot() == {"files": 3}  # one listing, two files read


def test_one_rewrite_per_batch_however_many_records(folder: Path) -> None:
    put(folder / "ledger.csv", "id,updated_at,hub_id,amount\n")
    one, many = connector(str(folder)), connector(str(folder))
    one.write(LEDGER, [WriteOp("h0", {"amount": "0"})])
    many.write(LEDGER, [WriteOp(f"h{i}", {"amount": str(i)}) for i in range(1, 51)])
    assert one.calls.total("files") == many.calls.total("files") == 4  # stat, read, write, stat again


def test_writes_need_one_file_name_and_a_known_format(folder: Path) -> None:
    files = connector(str(folder))
    with pytest.raises(FatalAPIError, match="writes need one file name, not a glob"):
        files.write(PAYMENTS, [WriteOp("h", {"payment_id": "P1"})])
    with pytest.raises(FatalAPIError, match=r"cannot tell the format of ledger\.json"):
        files.write(ObjectSpec("ledger.json", (), "id"), [WriteOp("h", {})])
    with pytest.raises(FatalAPIError, match="under the connection's folder"):
        files.fetch(ObjectSpec("../secrets.csv", (), "id"), ["1"])
    with pytest.raises(FatalAPIError, match="format 'xlsx' is not csv or jsonl"):
        connector(str(folder), format="xlsx").write(LEDGER, [WriteOp("h", {})])
    formatted = connector(str(folder), format="jsonl")
    formatted.write(ObjectSpec("ledger.json", (), "id"), [WriteOp("h", {"id": "1"})])
    assert (folder / "ledger.json").read_text() == '{"id":"1"}\n'


# Atomic rewrites --------------------------------------------------------------------------------
def _temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if TEMP_MARK in p.name]


def test_a_failure_in_the_middle_of_a_write_leaves_the_old_file_intact(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = "id,updated_at,hub_id,amount\n" + "".join(f"{i},,h{i},{i}\n" for i in range(100))
    put(folder / "ledger.csv", original)
    files = connector(str(folder))
    fs = files.storage.fs
    real_open = fs.open

    class DiskFull:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> DiskFull:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])  # half of it reached the disk
            raise OSError(28, "No space left on device")

    def failing_open(path: str, mode: str = "rb", **kw: Any) -> Any:
        handle = real_open(path, mode, **kw)
        return DiskFull(handle) if "w" in mode else handle

    monkeypatch.setattr(fs, "open", failing_open)
    with pytest.raises(FatalAPIError, match="No space left on device"):
        files.write(LEDGER, [WriteOp("h1", {"amount": "changed"})])
    assert (folder / "ledger.csv").read_text() == original
    assert _temp_files(folder) == []


def test_a_failed_rename_leaves_the_old_file_intact(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    put(folder / "ledger.csv", "id,updated_at,hub_id,amount\n1,,h1,1\n")
    files = connector(str(folder))

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.storage.fs, "mv", refuse)
    with pytest.raises(AuthenticationError, match=r"access to .*ledger\.csv was refused"):
        files.write(LEDGER, [WriteOp("h1", {"amount": "2"})])
    assert (folder / "ledger.csv").read_text() == "id,updated_at,hub_id,amount\n1,,h1,1\n"
    assert _temp_files(folder) == []


def test_a_run_killed_before_the_rename_leaves_the_old_file_and_the_next_write_sweeps_up(
    folder: Path,
) -> None:
    original = "id,updated_at,hub_id,amount\n1,,h1,1\n"
    put(folder / "ledger.csv", original)
    script = (
        "import json, sys\n"
        "from connectors.files import FilesConnector\n"
        "from hub.io.connections import parse_connection\n"
        "from hub.io.connector import ObjectSpec\n"
        "from hub.io.records import WriteOp\n"
        "spec = {'conn_type': 'omnihub_files', 'host': sys.argv[1]}\n"
        "files = FilesConnector(parse_connection('files_default', json.dumps(spec)))\n"
        "obj = ObjectSpec('ledger.csv', (), 'id', None, 'hub_id')\n"
        "files.write(obj, [WriteOp('h1', {'amount': '2'})])\n"
    )
    env = {**os.environ, "HUB_FAILPOINTS": "files_before_rename:1"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder)], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == -9, done.stderr.decode()  # SIGKILL, as abrupt as a power cut
    assert (folder / "ledger.csv").read_text() == original
    assert len(_temp_files(folder)) == 1  # the new version, never renamed into place
    files = connector(str(folder))
    files.write(LEDGER, [WriteOp("h1", {"amount": "3"})])
    assert _temp_files(folder) == []
    assert [r["amount"] for r in files.fetch(LEDGER, ["1"])] == ["3"]


def test_a_file_changed_by_someone_else_during_a_write_is_not_overwritten(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = put(folder / "ledger.csv", "id,updated_at,hub_id,amount\n1,,h1,1\n", T0)
    files = connector(str(folder))
    write_temp = files.storage._write_temp

    def meanwhile(temp: str, data: bytes, compression: str | None) -> None:
        write_temp(temp, data, compression)
        put(path, "id,updated_at,hub_id,amount\n1,,h1,1\n2,,h2,2\n", T0 + timedelta(seconds=1))

    monkeypatch.setattr(files.storage, "_write_temp", meanwhile)
    with pytest.raises(RetryableAPIError, match="changed while it was being rewritten; nothing was written"):
        files.write(LEDGER, [WriteOp("h1", {"amount": "9"})])
    assert path.read_text() == "id,updated_at,hub_id,amount\n1,,h1,1\n2,,h2,2\n"
    assert _temp_files(folder) == []


# fsspec URLs, connections ---------------------------------------------------------------------------
@pytest.fixture
def memory() -> Iterator[str]:
    root = f"memory://omnihub-{uuid.uuid4().hex}/exports"
    yield root
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


def test_a_memory_url_reads_and_writes_like_a_folder(memory: str) -> None:
    fs = fsspec.filesystem("memory")
    files = connector(memory)
    fs.pipe_file(f"{memory}/payments/1.csv", b"payment_id,amount\nP1,0.10\n")
    fs.pipe_file(f"{memory}/payments/2.csv", b"payment_id,amount\nP2,0.20\n")
    fs.store[fs._strip_protocol(f"{memory}/payments/1.csv")].created = T0  # an old file
    fs.store[fs._strip_protocol(f"{memory}/payments/2.csv")].created = T0 + timedelta(hours=1)
    assert [r["payment_id"] for r in records(files.read_changes(PAYMENTS, None, 10))] == ["P1", "P2"]
    changed = list(files.read_changes(PAYMENTS, T0 + timedelta(minutes=1), 10))
    assert [r["payment_id"] for r in records(changed)] == ["P2"] and changed[-1].cursor == T0 + timedelta(
        hours=1
    )
    obj = ObjectSpec("payments/1.csv", (), "payment_id")
    assert [r.id for r in files.write(obj, [WriteOp("h", {"payment_id": "P1", "amount": "0.11"})])] == ["P1"]
    assert fs.cat_file(f"{memory}/payments/1.csv") == b"payment_id,amount\nP1,0.11\n"
    assert not [p for p in fs.find(memory) if TEMP_MARK in p]
    assert files.check().startswith(f"Files: {memory} is readable")


def test_a_uri_connection_names_the_folder_in_host_and_path(folder: Path) -> None:
    put(folder / "payments" / "a.csv", "payment_id\nP1\n")
    uri = parse_connection("files_default", f"omnihub-files://{folder.as_posix()}")
    assert uri.conn_type == "omnihub_files"
    assert [r["payment_id"] for r in records(FilesConnector(uri).read_changes(PAYMENTS, None, 10))] == ["P1"]


def test_storage_option_secrets_are_redacted_and_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    secret = f"Sup3r-{uuid.uuid4().hex}"
    files = connector(
        (tmp_path / "nowhere").as_uri(), storage_options=json.dumps({"auth": {"token": secret}})
    )
    with pytest.raises((FatalAPIError, ConfigError)) as caught:
        files.check()
    assert "nowhere" in str(caught.value) and secret not in str(caught.value)
    assert redact(f"token was {secret}") == "token was ***"


def test_a_connection_without_a_host_says_what_to_set() -> None:
    with pytest.raises(ConfigError, match="has no host: set it to a folder or an fsspec URL"):
        FilesConnector(parse_connection("files_default", '{"conn_type": "omnihub_files"}')).check()


def test_find_compares_values_as_the_file_holds_them(folder: Path) -> None:
    put(folder / "ledger.jsonl", '{"id": 1, "hub_id": "h1", "amount": 0.10}\n{"id": 2, "hub_id": "h2"}\n')
    files = connector(str(folder))
    assert [r["id"] for r in files.find(LEDGER_JSONL, {"id": ["1"], "amount": [Decimal("0.10")]})] == [1]
    assert [r["id"] for r in files.fetch(LEDGER_JSONL, ["2", "3"])] == [2]
