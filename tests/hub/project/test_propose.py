"""Mappings proposed for you: names as words, value profiles, what the shipped mappings teach, and
`hub new mapping` / `hub new sync` against a live SQL table and CSV drop folder."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.io.connector import FieldInfo, ObjectShape
from hub.project.loading import Project
from hub.project.propose import Knowledge, canonical_kind, pairs, profile, propose, render, words
from hub.project.yamldoc import load_document

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def library() -> Project:
    return Project.load(ROOT)


def hub(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("BillingPostalCode", "billing postal code"),
        ("billing_address.postal_code", "billing address postal code"),
        ("Industry_Segment__c", "industry segment"),
        ("x_hub_id", "hub id"),
        ("hs_lastmodifieddate", "lastmodifieddate"),
        ("merge_fields.FNAME", "merge fields fname"),
        ("HTTPStatusCode", "http status code"),
    ],
)
def test_names_are_compared_as_words(name: str, said: str) -> None:
    assert words(name) == said


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["anna@example.com", "bo@example.org", None, ""], "email"),
        (["+31 20 123 4567", "(020) 555-0100", "+1 415 555 0100"], "phone"),
        (["2024-05-01", "2023-12-31"], "date"),
        (["2024-05-01T10:00:00Z", "2024-05-01 10:00:00"], "datetime"),
        (["12.50", "3", "1,234.56"], "number"),
        (["https://acme.example", "www.globex.example"], "url"),
        (["Gold", "Silver", "Gold", "Bronze", "Gold", "Silver", "Gold", "Gold", "Silver", "Bronze"], "enum"),
        (["Acme Corp", "Globex", "Initech"], "text"),
        ([None, ""], None),
    ],
)
def test_values_are_profiled(values: list[object], kind: str | None) -> None:
    assert profile(values) == kind


def test_canonical_kinds_come_from_the_schema(library: Project) -> None:
    from hub.project.schemapaths import canonical_paths

    paths = canonical_paths(library.schemas["contact"], library.registry)
    kinds = {p: canonical_kind(s) for p, s in paths.items()}
    assert (kinds["email"], kinds["phone"], kinds["birthdate"], kinds["updated_at"]) == (
        "email",
        "phone",
        "date",
        "datetime",
    )
    assert (kinds["account"], kinds["status"], kinds["email_opt_out"]) == ("reference", "enum", "boolean")


def shape_of(mapping_fields: list[tuple[str, str, str]], rows: list[dict[str, object]]) -> ObjectShape:
    return ObjectShape(
        "Thing", tuple(FieldInfo(n, label=label, type=t) for n, label, t in mapping_fields), tuple(rows)
    )


def test_a_new_system_is_proposed_from_names_values_and_the_library(library: Project) -> None:
    """A CRM nobody shipped: its fields are paired by their names (and labels), the library's words for
    canonical fields, and what their values look like; an e-mail-valued column is never a name."""
    shape = shape_of(
        [
            ("contact_id", "ID", "integer"),
            ("given_name", "First name", "string"),
            ("family_name", "Last name", "string"),
            ("mail", "E-mail", "string"),
            ("tel", "Telephone", "string"),
            ("mobile", "Mobile phone", "string"),
            ("PostCode", "", "string"),
            ("town", "City", "string"),
            ("last_changed", "", "datetime"),
            ("favourite_colour", "", "string"),
        ],
        [
            {
                "contact_id": i,
                "given_name": "Anna",
                "family_name": "de Jong",
                "mail": f"anna{i}@example.com",
                "tel": "+31 20 123 4567",
                "mobile": "+31 6 1234 5678",
                "PostCode": "1011 AB",
                "town": "Amsterdam",
                "last_changed": "2024-05-01T10:00:00Z",
                "favourite_colour": "blue",
            }
            for i in range(20)
        ],
    )
    proposal = propose(library, "sql", shape, "contact", Knowledge.learn(library.mappings.values()))
    got = {p.canonical: p.system for p in proposal.fields}
    assert got["first_name"] == "given_name" and got["last_name"] == "family_name"
    assert got["email"] == "mail" and got["phone"] == "tel" and got["mobile"] == "mobile"
    assert got["mailing_address.city"] == "town" and got["mailing_address.postal_code"] == "PostCode"
    assert got["updated_at"] == "last_changed" and proposal.cursor_field == "last_changed"
    assert proposal.primary_key == "contact_id"
    assert "favourite_colour" in {f.name for f in proposal.left_out}
    entries = {p.canonical: p.entry for p in proposal.fields}
    assert entries["email"].get("transforms") == ["trim", "lower"]  # what the shipped mappings do
    assert all(0.72 <= p.confidence <= 1.0 for p in proposal.fields)


def test_the_rendered_proposal_is_a_mapping_hub_validate_accepts(library: Project, tmp_path: Path) -> None:
    mapping = library.mappings["salesforce/contact"]
    shape = shape_of([(f.system, "", "") for f in mapping.fields if f.system] + [("Id", "", "id")], [])
    proposal = propose(
        library,
        "salesforce",
        shape,
        "contact",
        Knowledge.learn(library.mappings.values(), "salesforce/contact"),
    )
    text = render(proposal, "a test")
    path = tmp_path / "mapping.yaml"
    path.write_text(text)
    data = load_document(path).data
    assert data["system"] == "salesforce" and data["entity"] == "contact" and data["fields"]
    assert text.count("# 0.") + text.count("# 1.00") == len(data["fields"])
    # left out of the knowledge, the shipped mapping is still mostly reproduced from the others
    reproduced = pairs(mapping) & {(f["canonical"], f["system"]) for f in data["fields"]}
    assert len(reproduced) >= 0.8 * len(pairs(mapping))


CSV = """customer_no,company,vat,web,country,email,changed
C-1,Acme BV,NL001234567B01,https://acme.example,NL,info@acme.example,2024-05-01 10:00:00
C-2,Globex GmbH,DE123456789,https://globex.example,DE,hello@globex.example,2024-05-02 11:00:00
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "acme"
    assert hub("init", str(folder))[0] == 0
    return folder


def test_new_mapping_from_a_csv_drop_folder_and_a_sync_to_a_sql_table(project: Path, tmp_path: Path) -> None:
    drop = tmp_path / "drop" / "customers"
    drop.mkdir(parents=True)
    (drop / "2024-05-02.csv").write_text(CSV)
    database = tmp_path / "warehouse.db"
    with sqlite3.connect(database) as db:
        db.execute(
            "CREATE TABLE companies (id INTEGER PRIMARY KEY, hub_id TEXT UNIQUE, name TEXT NOT NULL, "
            "tax_number TEXT, website TEXT, country_code TEXT, email TEXT, updated_at TEXT)"
        )
    env = {
        "AIRFLOW_CONN_FILES_DEFAULT": json.dumps({"conn_type": "omnihub_files", "host": str(drop.parent)}),
        "AIRFLOW_CONN_SQL_DEFAULT": json.dumps(
            {"conn_type": "omnihub_sql", "extra": {"url": f"sqlite:///{database}"}}
        ),
        "HUB_STATE_URL": "",
    }
    code, stdout, stderr = hub(
        "new", "mapping", "files", "customers/*.csv", "account", "--project", str(project), env=env
    )
    assert code == 0, stdout + stderr
    assert "wrote mappings/files/account.yaml" in stdout and "reading 'customers/*.csv'" in stderr
    text = (project / "mappings" / "files" / "account.yaml").read_text()
    fields = {
        f["canonical"]: f["system"]
        for f in load_document(project / "mappings" / "files" / "account.yaml").data["fields"]
    }
    assert fields["name"] == "company" and fields["website"] == "web" and fields["tax_id"] == "vat"
    assert fields["email"] == "email" and fields["billing_address.country"] == "country"
    assert "primary_key: customer_no" in text and "Required canonical fields" not in text
    code, stdout, stderr = hub(
        "new", "mapping", "sql", "companies", "account", "--project", str(project), env=env
    )
    assert code == 0, stdout + stderr
    sql = load_document(project / "mappings" / "sql" / "account.yaml").data
    assert (sql["primary_key"], sql["cursor_field"], sql["external_id_field"]) == (
        "id",
        "updated_at",
        "hub_id",
    )
    assert {f["canonical"]: f["system"] for f in sql["fields"]}["billing_address.country"] == "country_code"
    # the same again is refused, never overwritten
    code, _, stderr = hub("new", "mapping", "sql", "companies", "account", "--project", str(project), env=env)
    assert code == 2 and "mappings/sql/account.yaml exists" in stderr
    code, stdout, stderr = hub(
        "new",
        "sync",
        "customers_to_warehouse",
        "--from",
        "files/account",
        "--to",
        "sql/account",
        "--project",
        str(project),
    )
    assert code == 0, stdout + stderr
    assert hub("validate", "--project", str(project), env=env)[0] == 0
    code, stdout, stderr = hub("sync", "customers_to_warehouse", "--json", "--project", str(project), env=env)
    assert code == 0, stdout + stderr
    assert json.loads(stdout)["created"] == 2
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT name, website, country_code FROM companies ORDER BY name").fetchall()
    assert rows == [
        ("Acme BV", "https://acme.example", "NL"),
        ("Globex GmbH", "https://globex.example", "DE"),
    ]


def test_new_sync_refuses_mappings_of_two_entities(project: Path) -> None:
    code, _, stderr = hub(
        "new", "sync", "x", "--from", "salesforce/contact", "--to", "odoo/account", "--project", str(project)
    )
    assert code == 2 and "a sync joins two mappings of one entity" in stderr
    code, _, stderr = hub(
        "new", "sync", "x", "--from", "salesforce/contakt", "--to", "odoo/account", "--project", str(project)
    )
    assert code == 2 and "no such mapping" in stderr


def test_an_enumeration_with_listed_options_gets_a_map_both_ways() -> None:
    from hub.project.propose import enum_map

    made = enum_map(["Active", "Inactive", "On hold"], ["active", "inactive", None])
    assert made == {
        "inbound": [{"map": {"values": {"Active": "active", "Inactive": "inactive"}, "default": None}}],
        "outbound": [{"map": {"values": {"active": "Active", "inactive": "Inactive"}, "default": None}}],
    }
    assert enum_map(["Gold", "Silver"], ["active", "inactive"]) is None


def test_what_another_system_does_to_text_or_names_of_its_own_fields_is_not_copied(library: Project) -> None:
    """A number column is not given another system's `trim`, and a phone is not read with another
    system's `region_field`: the canonical kind's own transforms are proposed instead."""
    shape = shape_of(
        [
            ("id", "", "integer"),
            ("revenue", "Annual revenue", "numeric(14,2)"),
            ("switchboard", "Phone", "varchar"),
        ],
        [{"id": i, "revenue": "1200.50", "switchboard": "+31 20 123 4567"} for i in range(10)],
    )
    proposal = propose(library, "sql", shape, "account", Knowledge.learn(library.mappings.values()))
    entries = {p.canonical: p.entry for p in proposal.fields}
    assert entries["annual_revenue"]["system"] == "revenue" and "trim" not in repr(entries["annual_revenue"])
    assert entries["phone"]["system"] == "switchboard" and "region_field" not in repr(entries["phone"])
