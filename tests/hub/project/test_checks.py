"""`hub validate` over the shipped project and over broken files, one kind of mistake each.

Each file in tests/hub/broken/ names where it goes in a copy of the project (`# place:`), an
optional edit of another file (`# also: FILE: OLD -> NEW`), and the one line validate must print
(`# expect:`). JSON files cannot carry comments; their expectations are listed here.
"""

from __future__ import annotations

import shutil
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


@pytest.mark.parametrize("case", CASES)
def test_each_mistake_is_one_located_line_and_exit_2(case: str, tmp_path: Path) -> None:
    project = copy_project(tmp_path)
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
    result = CliRunner().invoke(app, ["validate", "--project", str(project)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert expected in [line.split("; known: ")[0] for line in lines], result.output
    assert len(lines) == 1, result.output


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
