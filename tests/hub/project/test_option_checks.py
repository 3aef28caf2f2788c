"""`hub validate` checks a mapping's `options:` against its connector's `options_schema` (the corpus in
broken/60_*…67_* holds one mistake each; these are the cases a one-line corpus file cannot hold)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from hub.project.checks import check_project
from hub.project.checks.options import option_problems, unknown_option
from hub.project.loading import Project
from tests.hub.project.test_described_systems import project_with_acme

ROOT = Path(__file__).resolve().parents[3]


def copy_project(target: Path) -> Path:
    for folder in ("schemas", "mappings"):
        shutil.copytree(ROOT / folder, target / folder)
    return target


def test_the_shipped_mappings_options_are_all_understood() -> None:
    project = Project.load(ROOT)
    assert [p for m in project.mappings.values() for p in option_problems(m)] == []
    assert any(m.options for m in project.mappings.values())


def test_every_mistake_in_one_options_block_is_reported_in_file_order(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    path = project / "mappings/files/payment.yaml"
    path.write_text(
        path.read_text().replace(
            "  format: csv\n", "  format: xml\n  delimter: tab\n  encoding: 8\n  stamp_cursor: false\n"
        )
    )
    shown = [str(p) for p in check_project(Project.load(project))]
    options = "options: format, delimiter, encoding, batch_size"
    assert shown == [
        "mappings/files/payment.yaml:14:11: files option 'format' must be one of: csv, jsonl; not 'xml'",
        f"mappings/files/payment.yaml:15:3: files has no mapping option 'delimter' (did you mean 'delimiter'?); {options}",
        "mappings/files/payment.yaml:16:13: files option 'encoding' must be text, not 8",
        f"mappings/files/payment.yaml:17:3: files has no mapping option 'stamp_cursor' (an option of sql); {options}",
    ]


def test_an_option_nobody_has_gets_no_hint() -> None:
    schema = {"properties": {"batch_size": {}}}
    assert (
        unknown_option("zendesk", "colour", schema)
        == "zendesk has no mapping option 'colour'; options: batch_size"
    )
    assert unknown_option("zendesk", "colour", {}) == "zendesk has no mapping option 'colour'; options: none"


def test_a_described_systems_mapping_is_checked_against_its_description(tmp_path: Path) -> None:
    project = project_with_acme(tmp_path)
    mapping = project / "mappings/acme_desk/contact.yaml"
    mapping.write_text(
        mapping.read_text().replace("fields:\n", "options:\n  include_archived: true\nfields:\n")
    )
    shown = [str(p) for p in check_project(Project.load(project))]
    assert shown == [
        "mappings/acme_desk/contact.yaml:8:3: acme_desk has no mapping option 'include_archived' "
        "(an option of odoo); options: batch_size"
    ]


def test_an_unknown_system_is_reported_once_not_its_options(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    path = project / "mappings/odoo/employee.yaml"
    path.write_text(path.read_text().replace("system: odoo", "system: odooo"))
    shown = [str(p) for p in check_project(Project.load(project)) if p.path == "mappings/odoo/employee.yaml"]
    assert len(shown) == 1 and "unknown system 'odooo' (did you mean 'odoo'?)" in shown[0]


def test_checking_options_imports_no_connector_module() -> None:
    """`hub validate` runs at every DAG parse: the shipped connectors' options come from the table."""
    code = (
        "import sys; from hub.project.loading import Project; "
        f"Project.load({str(ROOT)!r}).checked; "
        "print(sorted(m for m in sys.modules if m.startswith('connectors')))"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "['connectors', 'connectors.registry']"
