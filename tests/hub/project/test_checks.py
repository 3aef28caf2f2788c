"""`hub validate` over the shipped project and over broken files, one kind of mistake each.

Each file in tests/hub/broken/ names where it goes in a copy of the project (`# place:`), an
optional edit of another file (`# also: FILE: OLD -> NEW`), and the one line validate must print
(`# expect:`). JSON files cannot carry comments; their expectations are listed here. Files that
cannot be kept in the corpus at all (not UTF-8, megabytes, a control character) are made by
`GENERATED_CASES`, each from a function, with the line validate must print.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.project.checks import check_project
from hub.project.loading import Project

ROOT = Path(__file__).resolve().parents[3]
BROKEN = Path(__file__).parent / "broken"
JSON_CASES = {
    "15_broken_schema.json": (
        "schemas/broken.schema.json",
        "schemas/broken.schema.json:6:22: not a valid JSON Schema: 'text' is not valid under any of the given schemas",
    ),
    "40_schema_missing_ref.json": (
        "schemas/broken.schema.json",
        "schemas/broken.schema.json:7:33: $ref 'common.schema.json#/$defs/adress' points to nothing: "
        "no '/$defs/adress' in common.schema.json (did you mean '/$defs/address'?)",
    ),
    "41_schema_circular_ref.json": (
        "schemas/broken.schema.json",
        "schemas/broken.schema.json:9:23: $ref '#/$defs/text' comes back here "
        "('#/$defs/text' -> '#/$defs/label') without going into a property or item",
    ),
    "42_schema_bad_pattern.json": (
        "schemas/broken.schema.json",
        "schemas/broken.schema.json:6:42: pattern '^[A-Z]{3}-(\\\\d+$' is not a regular expression: "
        "missing ), unterminated subpattern at position 10",
    ),
    "43_schema_deep_nesting.json": (
        "schemas/broken.schema.json",
        "schemas/broken.schema.json:5:46: nested more than 32 levels deep; no project file needs that",
    ),
}

SYNC = (
    "entity: contact\n"
    "source: {system: salesforce, connection: salesforce_default, mapping: salesforce/contact}\n"
    "target: {system: odoo, connection: odoo_default, mapping: odoo/contact}\n"
)
SCHEMA = '{"$id": "https://omnihub.dev/schemas/broken.schema.json", "type": "object", "description": "'
TEN_MB = 10 * 2**20


def _padded(head: bytes, line: bytes, size: int) -> bytes:
    """`head`, then `line` again and again up to `size` bytes (a list of 10 MB, say)."""
    return (head + line * (size // len(line)))[:size]


GENERATED_CASES: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "44_not_utf8.yaml": (
        "mappings/syncs/broken.yaml",
        lambda: (SYNC + "description: Caf\xe9 accounts\n").encode("latin-1"),
        "mappings/syncs/broken.yaml:4:17: not UTF-8: byte 0xe9 cannot be decoded; save the file as UTF-8",
    ),
    "45_not_utf8.json": (
        "schemas/broken.schema.json",
        lambda: (SCHEMA + '\n Caf\xe9"}').encode("latin-1"),
        "schemas/broken.schema.json:2:5: not UTF-8: byte 0xe9 cannot be decoded; save the file as UTF-8",
    ),
    "46_ten_megabytes.yaml": (
        "mappings/syncs/broken.yaml",
        lambda: _padded(SYNC.encode() + b"airflow:\n  tags:\n", b"    - tag\n", TEN_MB),
        "mappings/syncs/broken.yaml:1:1: file too large: 10,485,760 bytes, and a project file may have at "
        "most 262,144 (256 KiB); it was not read (split it, or keep data out of the project)",
    ),
    "47_ten_megabytes.json": (
        "schemas/broken.schema.json",
        lambda: _padded(b'{"examples": [', b"1, ", TEN_MB - 5) + b"1]}\n",
        "schemas/broken.schema.json:1:1: file too large: 10,485,759 bytes, and a project file may have at "
        "most 262,144 (256 KiB); it was not read (split it, or keep data out of the project)",
    ),
    "48_control_character.yaml": (
        "mappings/syncs/broken.yaml",
        lambda: (SYNC + "description: one\x00two\n").encode(),
        "mappings/syncs/broken.yaml:4:17: invalid YAML: character #x0000 is not allowed in YAML text",
    ),
    "49_nested_100000_deep.yaml": (  # 200 KB; libyaml's composer crashed the process (SIGSEGV)
        "mappings/syncs/broken.yaml",
        lambda: (SYNC + "airflow: {tags: " + "[" * 100_000 + "]" * 100_000 + "}\n").encode(),
        "mappings/syncs/broken.yaml:4:47: nested more than 32 levels deep; no project file needs that",
    ),
}


def copy_project(target: Path) -> Path:
    for folder in ("schemas", "mappings"):
        shutil.copytree(ROOT / folder, target / folder)
    return target


def headers(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if line.startswith("# ") and ":" in line:
            key, _, value = line[2:].partition(":")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_shipped_project_is_valid() -> None:
    result = CliRunner().invoke(app, ["validate", "--project", str(ROOT)])
    assert result.exit_code == 0, result.output
    mappings = len(list((ROOT / "mappings").glob("*/*.yaml"))) - len(
        list((ROOT / "mappings/syncs").glob("*.yaml"))
    )
    syncs = len(list((ROOT / "mappings/syncs").glob("*.yaml")))
    assert syncs >= 4 and result.output.startswith(f"ok: 12 schemas, {mappings} mappings, {syncs} syncs")


CASES = sorted(p.name for p in BROKEN.iterdir())


def test_there_are_at_least_ten_kinds_of_mistake() -> None:
    assert len(CASES) >= 10


def apply_case(case: str, project: Path) -> str:
    """Put a corpus case (a file of broken/ or a generated one) into a copy of the project; the line
    `hub validate` must print."""
    if case in GENERATED_CASES:
        place, make, expected = GENERATED_CASES[case]
        (project / place).write_bytes(make())
        return expected
    source = BROKEN / case
    if case in JSON_CASES:
        place, expected = JSON_CASES[case]
        also: list[str] = []
    else:
        meta = headers(source)
        place, expected, also = meta["place"][0], meta["expect"][0], meta.get("also", [])
    (project / place).write_text(source.read_text())
    for edit in also:
        file, _, change = edit.partition(": ")
        old, _, new = change.partition(" -> ")
        (project / file).write_text((project / file).read_text().replace(old, new))
    return expected


@pytest.mark.parametrize("case", CASES)
def test_each_mistake_is_one_located_line_and_exit_2(case: str, tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    expected = apply_case(case, project)
    result = CliRunner().invoke(app, ["validate", "--project", str(project)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert expected in [line.split("; known: ")[0] for line in lines], result.output
    assert len(lines) == 1, result.output


@pytest.mark.parametrize("case", sorted(GENERATED_CASES))
def test_each_generated_mistake_is_one_located_line_and_exit_2(case: str, tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    expected = apply_case(case, project)
    result = CliRunner().invoke(app, ["validate", "--project", str(project)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [expected], result.output


def test_problems_in_one_sync_do_not_hide_the_others(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    (project / "mappings/syncs/broken.yaml").write_text("entity: contact\n")
    loaded = Project.load(project)
    shipped = sorted(p.stem for p in (ROOT / "mappings/syncs").glob("*.yaml"))
    assert sorted(loaded.syncs) == shipped and "broken" not in loaded.syncs
    assert loaded.problems_for_sync("crm_accounts_to_erp") == []
    assert [p.path for p in check_project(loaded)] == ["mappings/syncs/broken.yaml"] * 2


def test_json_output(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    (project / "mappings/syncs/broken.yaml").write_text((BROKEN / "04_bad_enum.yaml").read_text())
    result = CliRunner().invoke(app, ["validate", "--json", "--project", str(project)])
    assert result.exit_code == 2
    assert '"line": 6, "column": 7' in result.output


def test_a_folder_that_is_not_a_project(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", "--project", str(tmp_path)])
    assert result.exit_code == 2
    assert "is not an Omnihub project" in result.output
