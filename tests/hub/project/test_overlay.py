"""A project of a team's own (`hub init`) over the library Omnihub ships: what it uses, replaces and
extends, where each definition comes from, and the project format's version."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub import library
from hub.cli import app
from hub.project.loading import Project
from hub.project.projectfile import FORMAT

LIBRARY = library.root()


def hub(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "acme"
    code, stdout, stderr = hub("init", str(folder))
    assert code == 0, stderr
    assert "wrote" in stdout
    return folder


def set_library(folder: Path, text: str) -> None:
    path = folder / "omnihub.yaml"
    head = path.read_text().split("library:")[0]
    path.write_text(head + text)


def test_init_writes_a_project_that_validates_at_once(project: Path) -> None:
    for rel in (
        "omnihub.yaml",
        "README.md",
        "dags/omnihub.py",
        ".env.example",
        ".github/workflows/omnihub.yml",
    ):
        assert (project / rel).is_file(), rel
    assert {p.name for p in project.iterdir() if p.is_dir()} >= {"mappings", "syncs", "schemas", "dags"}
    code, stdout, stderr = hub("validate", "--project", str(project))
    assert (code, stderr) == (0, "")
    assert stdout.startswith("ok: ") and " 2 syncs " in stdout and "library" in stdout
    loaded = Project.load(project)
    assert sorted(loaded.syncs) == ["crm_accounts_to_erp", "crm_contacts_to_erp"]
    assert loaded.settings is not None and loaded.settings.name == "acme"
    env = (project / ".env.example").read_text()
    assert "AIRFLOW_CONN_SALESFORCE_DEFAULT=" in env and "AIRFLOW_CONN_ODOO_DEFAULT=" in env
    for line in env.splitlines():
        if line.startswith("AIRFLOW_CONN_"):
            json.loads(line.split("=", 1)[1].strip("'"))  # each one a connection Airflow can read


def test_init_overwrites_nothing_and_refuses_unknown_syncs(project: Path, tmp_path: Path) -> None:
    before = (project / "omnihub.yaml").read_text()
    code, _, stderr = hub("init", str(project))
    assert code == 2 and "already holds omnihub.yaml" in stderr
    assert (project / "omnihub.yaml").read_text() == before
    code, _, stderr = hub("init", str(tmp_path / "other"), "--syncs", "crm_acounts_to_erp")
    assert code == 2 and "'crm_acounts_to_erp'" in stderr and "crm_accounts_to_erp" in stderr
    assert not (tmp_path / "other" / "omnihub.yaml").exists()


def test_version() -> None:
    code, stdout, _ = hub("--version")
    assert code == 0 and stdout.strip() == f"omnihub {library.version()}"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (str(FORMAT + 1), f"format {FORMAT + 1} is newer than this Omnihub"),
        ("0", "format 0 is older than any this Omnihub"),
        ('"one"', "format is a whole number"),
    ],
)
def test_another_format_is_a_located_message_saying_what_to_change(
    project: Path, value: str, words: str
) -> None:
    path = project / "omnihub.yaml"
    path.write_text(path.read_text().replace(f"format: {FORMAT} ", f"format: {value} "))
    code, stdout, _ = hub("validate", "--project", str(project))
    assert code == 2
    line = next(row for row in stdout.splitlines() if words in row)
    assert line.startswith("omnihub.yaml:2:9: ")
    assert ("upgrade" in line) if "newer" in words else True


def test_no_format_and_unknown_keys_are_located(project: Path) -> None:
    path = project / "omnihub.yaml"
    text = path.read_text().replace(f"format: {FORMAT} ", "formats: 1 ")
    path.write_text(text)
    code, stdout, _ = hub("validate", "--project", str(project))
    assert code == 2
    assert f"omnihub.yaml:2:1: no `format:`; add `format: {FORMAT}`" in stdout
    assert "omnihub.yaml:2:1: unknown key 'formats' (did you mean 'format'?)" in stdout


def test_a_misspelt_library_sync_is_named_with_its_line_and_the_right_name(project: Path) -> None:
    set_library(project, "library:\n  mappings: all\n  syncs: [crm_accounts_to_erp, crm_contact_to_erp]\n")
    code, stdout, _ = hub("validate", "--project", str(project))
    assert code == 2
    assert (
        "omnihub.yaml:" in stdout
        and "no sync 'crm_contact_to_erp' (did you mean 'crm_contacts_to_erp'?)" in stdout
    )


def test_only_what_the_project_uses_is_loaded(project: Path) -> None:
    set_library(project, "library:\n  mappings: none\n  syncs: [crm_contacts_to_erp]\n")
    loaded = Project.load(project)
    # the sync it references comes along, with the four mappings of both
    assert sorted(loaded.syncs) == ["crm_accounts_to_erp", "crm_contacts_to_erp"]
    assert sorted(loaded.mappings) == [
        "odoo/account",
        "odoo/contact",
        "salesforce/account",
        "salesforce/contact",
    ]
    assert loaded.checked == []
    set_library(project, "library:\n  syncs: none\n")
    assert (Project.load(project).syncs, Project.load(project).mappings) == ({}, {})


def test_a_project_mapping_replaces_the_librarys_and_validate_says_where_each_comes_from(
    project: Path,
) -> None:
    mine = project / "mappings" / "salesforce" / "account.yaml"
    mine.parent.mkdir(parents=True)
    mine.write_text((LIBRARY / "mappings" / "salesforce" / "account.yaml").read_text())
    code, stdout, _ = hub("validate", "--origins", "--project", str(project))
    assert code == 0
    rows = {tuple(line.split()[:3]): line for line in stdout.splitlines() if not line.startswith("ok")}
    replaced = rows[("mapping", "salesforce/account", "project")]
    assert "mappings/salesforce/account.yaml:1" in replaced
    assert f"replaces {LIBRARY / 'mappings' / 'salesforce' / 'account.yaml'}" in replaced
    kept = rows[("mapping", "odoo/account", "library")]
    assert str(LIBRARY / "mappings" / "odoo" / "account.yaml") + ":1" in kept
    assert ("sync", "crm_accounts_to_erp", "library") in rows
    assert Project.load(project).mappings["salesforce/account"].doc.path == "mappings/salesforce/account.yaml"
    # a problem in the project's copy is the project's, located in its file
    mine.write_text(mine.read_text().replace("primary_key: Id", "primary_key: 7"))
    code, stdout, _ = hub("validate", "--project", str(project))
    assert (
        code == 2
        and "mappings/salesforce/account.yaml:7:14: primary_key: 7 is not of type 'string'" in stdout
    )


EXTENSION = """\
properties:
  industry_segment:
    type: [string, "null"]
    maxLength: 80
    description: Salesforce's Industry_Segment__c
"""


def test_an_extension_adds_a_field_to_the_merged_model(project: Path) -> None:
    (project / "schemas" / "account.yaml").write_text(EXTENSION)
    code, stdout, _ = hub("schemas", "account", "--json", "--project", str(project))
    assert code == 0
    shown = json.loads(stdout)
    assert shown["fields"]["industry_segment"]["maxLength"] == 80
    assert shown["origins"]["industry_segment"] == "schemas/account.yaml:2"
    assert shown["origins"]["name"] == str(LIBRARY / "schemas" / "account.schema.json")
    loaded = Project.load(project)
    assert loaded.checked == []
    assert loaded.validator("account") is not None
    assert (
        "industry_segment"
        not in json.loads((LIBRARY / "schemas" / "account.schema.json").read_text())["properties"]
    )
    code, stdout, _ = hub("validate", "--origins", "--project", str(project))
    assert "extends  account" in stdout and "schemas/account.yaml:1" in stdout


@pytest.mark.parametrize(
    ("name", "text", "where", "words"),
    [
        (
            "account",
            "properties:\n  name: {type: string}\n",
            "schemas/account.yaml:2:3",
            "'name' is already a field",
        ),
        ("acount", EXTENSION, "schemas/acount.yaml:1:1", "not a canonical entity"),
        (
            "account",
            "properties:\n  segment: {type: strin}\n",
            "schemas/account.yaml:2:19",
            "not a valid JSON Schema",
        ),
        (
            "account",
            EXTENSION + "required: [segment]\n",
            "schemas/account.yaml:6:12",
            "'segment' is not a field",
        ),
    ],
)
def test_a_wrong_extension_is_located(project: Path, name: str, text: str, where: str, words: str) -> None:
    (project / "schemas" / f"{name}.yaml").write_text(text)
    code, stdout, _ = hub("validate", "--project", str(project))
    assert code == 2
    line = next(row for row in stdout.splitlines() if words in row)
    assert line.startswith(where), line


FILES_ACCOUNT = """\
system: files
object: accounts/*.csv
entity: account
primary_key: number
cursor_field: _modified
options: {format: csv}
fields:
  - {canonical: name, system: name, transforms: [trim]}
  - {canonical: account_number, system: number, transforms: [trim]}
  - {canonical: industry_segment, system: segment, transforms: [trim]}
  - {canonical: updated_at, system: _modified, direction: inbound}
"""

SQL_ACCOUNT = """\
system: sql
object: accounts
entity: account
primary_key: id
cursor_field: updated_at
external_id_field: hub_id
fields:
  - {canonical: name, system: name}
  - {canonical: account_number, system: number}
  - {canonical: industry_segment, system: industry_segment}
  - {canonical: updated_at, system: updated_at, direction: inbound}
"""

SYNC = """\
entity: account
source: {system: files, connection: files_default, mapping: files/account}
target: {system: sql, connection: warehouse, mapping: sql/account}
mode: upsert
"""


def test_a_field_of_the_projects_extension_travels_through_its_own_sync(
    project: Path, tmp_path: Path
) -> None:
    """A custom field the canonical model lacks reaches the target: the extension, two mappings and a
    sync of the project's, over the library's model, run from the command line."""
    (project / "schemas" / "account.yaml").write_text(EXTENSION)
    for rel, text in {"files/account.yaml": FILES_ACCOUNT, "sql/account.yaml": SQL_ACCOUNT}.items():
        (project / "mappings" / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / "mappings" / rel).write_text(text)
    (project / "syncs" / "accounts_to_warehouse.yaml").write_text(SYNC)
    drop = tmp_path / "drop" / "accounts"
    drop.mkdir(parents=True)
    (drop / "export.csv").write_text("number,name,segment\nA-1,Acme,Enterprise\nA-2,Globex,SMB\n")
    database = tmp_path / "warehouse.db"
    with sqlite3.connect(database) as db:
        db.execute(
            "CREATE TABLE accounts (id INTEGER PRIMARY KEY, hub_id TEXT UNIQUE, name TEXT, number TEXT, "
            "industry_segment TEXT, updated_at TEXT)"
        )
    env = {
        "AIRFLOW_CONN_FILES_DEFAULT": json.dumps({"conn_type": "omnihub_files", "host": str(drop.parent)}),
        "AIRFLOW_CONN_WAREHOUSE": json.dumps(
            {"conn_type": "omnihub_sql", "extra": {"url": f"sqlite:///{database}"}}
        ),
        "HUB_STATE_URL": "",
    }
    code, stdout, stderr = hub("validate", "--project", str(project), env=env)
    assert code == 0, stdout + stderr
    code, stdout, stderr = hub("sync", "accounts_to_warehouse", "--json", "--project", str(project), env=env)
    assert code == 0, stdout + stderr
    assert json.loads(stdout)["created"] == 2
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT number, name, industry_segment FROM accounts ORDER BY number").fetchall()
    assert rows == [("A-1", "Acme", "Enterprise"), ("A-2", "Globex", "SMB")]
    assert (project / ".hub" / "state.db").is_file()  # the project's own state store


def test_the_state_store_named_in_the_project_file_is_used(project: Path, tmp_path: Path) -> None:
    path = project / "omnihub.yaml"
    path.write_text(
        path.read_text().replace("# state: postgresql", "state: sqlite:///state/hub.db\n# was: postgresql")
    )
    (project / "state").mkdir()
    code, _, stderr = hub("runs", "--project", str(project), env={"HUB_STATE_URL": ""})
    assert code == 0 and str(project / "state" / "hub.db") in stderr  # nothing recorded there yet
