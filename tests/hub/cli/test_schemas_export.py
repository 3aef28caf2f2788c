"""`hub schemas --export DIR`: the editor schemas written, one line per file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hub.cli import app

ROOT = Path(__file__).resolve().parents[3]


def test_export_writes_the_schemas_and_says_which(tmp_path: Path) -> None:
    folder = tmp_path / ".vscode" / "schemas"
    result = CliRunner().invoke(app, ["schemas", "--export", str(folder), "--project", str(ROOT)])
    assert result.exit_code == 0, result.output
    names = ["mapping.schema.json", "sync.schema.json", "rest-connector.schema.json"]
    assert result.output.splitlines() == [f"wrote {folder / name}" for name in names]
    mapping = json.loads((folder / "mapping.schema.json").read_text(encoding="utf-8"))
    assert mapping["$id"] == "https://omnihub.dev/schemas/mapping.schema.json" and mapping["allOf"]
    shipped = json.loads((ROOT / "schemas" / "mapping.schema.json").read_text(encoding="utf-8"))
    assert "allOf" not in shipped  # the loader's own meta-schema is not rewritten


def test_export_outside_a_project_or_into_a_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["schemas", "--export", str(tmp_path / "out"), "--project", str(tmp_path)]
    )
    assert result.exit_code == 2 and "is not an Omnihub project" in result.output
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = CliRunner().invoke(app, ["schemas", "--export", str(blocker), "--project", str(ROOT)])
    assert result.exit_code == 2 and f"cannot write the schemas into {blocker}" in result.output
