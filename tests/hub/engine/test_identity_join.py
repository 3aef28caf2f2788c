"""Syncs with `identity: true` (issue 17, item 2): a record met for the first time joins the hub
record its identity keys name, so a HubSpot company that is a CRM account's twin updates the row the
CRM's sync made instead of adding a second one."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from hub.cli import app
from tests.hub.kit_sql_project import account_mapping, sqlite_table

TABLES = {"crm.db": "crm_accounts", "hs.db": "hs_companies", "dw.db": "dw_accounts"}
CONNECTIONS = {"crm.db": "sql_default", "hs.db": "hubspot_db", "dw.db": "warehouse"}


def project(tmp_path: Path, identity: bool) -> tuple[Path, dict[str, str]]:
    assert CliRunner().invoke(app, ["init", str(tmp_path / "p"), "--syncs", ""]).exit_code == 0
    root = tmp_path / "p"
    (root / "mappings" / "sql").mkdir(parents=True)
    for table in TABLES.values():
        (root / "mappings" / "sql" / f"{table}.yaml").write_text(
            account_mapping(table, website="website", tax_id="vat")
        )
    for name, conn, table in (
        ("crm_to_dw", "sql_default", "crm_accounts"),
        ("hs_to_dw", "hubspot_db", "hs_companies"),
    ):
        (root / "syncs" / f"{name}.yaml").write_text(
            f"entity: account\nidentity: {str(identity).lower()}\n"
            f"source: {{system: sql, connection: {conn}, mapping: sql/{table}}}\n"
            "target: {system: sql, connection: warehouse, mapping: sql/dw_accounts}\n"
        )
    env = {"HUB_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}"}
    for file, table in TABLES.items():
        sqlite_table(env, tmp_path / file, table, CONNECTIONS[file], "name TEXT, website TEXT, vat TEXT")
    rows = {
        "crm.db": [("Acme BV", "https://acme.com", None), ("Globex", "https://globex.example", "NL853008716B01"), ("Initech", None, None)],
        "hs.db": [("ACME", "https://www.acme.com/", None), ("Globex Holding", None, "nl 8530.08.716.b01"), ("Umbrella", "https://umbrella.example", None)],
    }  # fmt: skip
    for file, values in rows.items():
        with sqlite3.connect(tmp_path / file) as db:
            db.executemany(
                f"INSERT INTO {TABLES[file]} (name, website, vat, updated_at) VALUES (?, ?, ?, '2024-05-01 10:00:00')",
                values,
            )
    return root, env


def sync(root: Path, env: dict[str, str], name: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["sync", name, "--json", "--project", str(root)], env=env)
    assert result.exit_code == 0, result.output
    said: dict[str, Any] = json.loads(result.stdout)
    return said


def warehouse(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "dw.db") as db:
        return sorted(db.execute("SELECT name, hub_id FROM dw_accounts").fetchall())


def test_a_twin_joins_the_hub_record_its_keys_name_and_updates_its_row(tmp_path: Path) -> None:
    root, env = project(tmp_path, identity=True)
    assert sync(root, env, "crm_to_dw")["created"] == 3
    said = sync(root, env, "hs_to_dw")
    assert (said["created"], said["updated"]) == (1, 2)  # Umbrella is new; the twins update
    rows = warehouse(tmp_path)
    assert [name for name, _ in rows] == ["ACME", "Globex Holding", "Initech", "Umbrella"]
    with sqlite3.connect(tmp_path / "state.db") as db:
        hubs = dict(
            db.execute(
                "SELECT system || ':' || external_id, hub_id FROM hub_xref WHERE system != 'sql@warehouse'"
            )
        )
    assert hubs["sql:1"] == hubs["sql@hubspot_db:1"] and hubs["sql:2"] == hubs["sql@hubspot_db:2"]
    again = sync(root, env, "hs_to_dw")  # nothing new: no record moves again
    assert again["created"] == 0 and len(warehouse(tmp_path)) == 4


def test_without_identity_the_twins_stay_apart(tmp_path: Path) -> None:
    root, env = project(tmp_path, identity=False)
    sync(root, env, "crm_to_dw")
    assert sync(root, env, "hs_to_dw")["created"] == 3
    assert len(warehouse(tmp_path)) == 6


def test_validate_refuses_identity_for_an_entity_without_rules(tmp_path: Path) -> None:
    root, env = project(tmp_path, identity=True)
    for table in ("crm_products", "dw_products"):
        (root / "mappings" / "sql" / f"{table}.yaml").write_text(
            f"system: sql\nobject: {table}\nentity: product\nprimary_key: id\nexternal_id_field: hub_id\n"
            "fields:\n  - {canonical: name, system: name}\n"
        )
    (root / "syncs" / "products.yaml").write_text(
        "entity: product\nidentity: true\n"
        "source: {system: sql, connection: sql_default, mapping: sql/crm_products}\n"
        "target: {system: sql, connection: warehouse, mapping: sql/dw_products}\n"
    )
    result = CliRunner().invoke(app, ["validate", "--project", str(root)], env=env)
    assert result.exit_code == 2
    assert "syncs/products.yaml:2:" in result.output and "'product' has no identity rules" in result.output


def test_a_twin_of_a_stronger_source_links_without_overwriting_its_row(tmp_path: Path) -> None:
    """The survivorship's `sources` rank the CRM above the second source: the twins link to the CRM's
    hub records (no second row), and the CRM's values stay in the warehouse."""
    root, env = project(tmp_path, identity=True)
    (root / "schemas").mkdir(exist_ok=True)
    (root / "schemas" / "account.yaml").write_text(
        "identity:\n"
        "  rules:\n"
        "    - {name: tax number, keys: [{tax_id: tax_id}]}\n"
        "    - {name: web domain, keys: [{domain: website}]}\n"
        "  survivorship:\n"
        "    sources: [sql, sql@hubspot_db]\n"
    )
    sync(root, env, "crm_to_dw")
    said = sync(root, env, "hs_to_dw")
    assert (said["created"], said["updated"], said["unchanged"]) == (1, 0, 2)
    assert [name for name, _ in warehouse(tmp_path)] == ["Acme BV", "Globex", "Initech", "Umbrella"]
    with sqlite3.connect(tmp_path / "state.db") as db:
        hubs = dict(db.execute("SELECT system || ':' || external_id, hub_id FROM hub_xref"))
    assert hubs["sql:1"] == hubs["sql@hubspot_db:1"]


def test_of_two_twins_in_one_system_the_first_joins_and_the_other_stays_apart(tmp_path: Path) -> None:
    root, env = project(tmp_path, identity=True)
    with sqlite3.connect(tmp_path / "hs.db") as db:  # a second HubSpot record of Acme's domain
        db.execute(
            "INSERT INTO hs_companies (name, website, vat, updated_at) "
            "VALUES ('Acme Europe', 'http://acme.com', NULL, '2024-05-01 10:00:00')"
        )
    sync(root, env, "crm_to_dw")
    said = sync(root, env, "hs_to_dw")
    assert (said["created"], said["updated"]) == (2, 2) and said["failed"] == 0
    with sqlite3.connect(tmp_path / "state.db") as db:
        hubs = dict(db.execute("SELECT system || ':' || external_id, hub_id FROM hub_xref"))
    assert hubs["sql@hubspot_db:1"] == hubs["sql:1"] != hubs["sql@hubspot_db:4"]
