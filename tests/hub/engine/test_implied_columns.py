"""`create_table` takes its column types from the canonical schema (issue 16): a target table the
hub makes holds integers, amounts, booleans and times as such, as dlt's own tables do."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from hub.cli import app

SOURCE = """\
system: sql
object: crm_accounts
entity: account
primary_key: id
cursor_field: updated_at
fields:
  - {canonical: name, system: name}
  - {canonical: employees, system: employees}
  - {canonical: annual_revenue, system: revenue}
  - {canonical: account_number, system: number}
  - {canonical: updated_at, system: updated_at, direction: inbound, inbound: [datetime]}
"""
TARGET = """\
system: sql
object: dw_accounts
entity: account
primary_key: id
cursor_field: updated_at
external_id_field: hub_id
options:
  create_table: {columns: {number: integer}}
fields:
  - {canonical: name, system: name, outbound: [upper]}
  - {canonical: employees, system: employees}
  - {canonical: annual_revenue, system: revenue}
  - {canonical: account_number, system: number}
  - {canonical: updated_at, system: changed_at}
"""


def test_a_created_table_types_its_columns_from_the_canonical_schema(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(tmp_path / "p"), "--syncs", ""]).exit_code == 0
    project = tmp_path / "p"
    (project / "mappings" / "sql").mkdir(parents=True)
    (project / "mappings" / "sql" / "crm.yaml").write_text(SOURCE)
    (project / "mappings" / "sql" / "dw.yaml").write_text(TARGET)
    (project / "syncs" / "crm_to_dw.yaml").write_text(
        "entity: account\n"
        "source: {system: sql, connection: sql_default, mapping: sql/crm}\n"
        "target: {system: sql, connection: warehouse, mapping: sql/dw}\n"
    )
    with sqlite3.connect(tmp_path / "crm.db") as db:
        db.execute(
            "CREATE TABLE crm_accounts (id INTEGER PRIMARY KEY, name TEXT, employees INTEGER, revenue TEXT, "
            "number TEXT, updated_at TEXT)"
        )
        db.execute("INSERT INTO crm_accounts VALUES (1, 'Acme', 40, '1250.50', '77', '2024-05-01 10:00:00')")
    (tmp_path / "dw.db").touch()
    env = {"HUB_STATE_URL": ""}
    for conn, name in (("SQL_DEFAULT", "crm.db"), ("WAREHOUSE", "dw.db")):
        extra = {"url": f"sqlite:///{tmp_path / name}"}
        env[f"AIRFLOW_CONN_{conn}"] = json.dumps({"conn_type": "omnihub_sql", "extra": extra})
    result = runner.invoke(app, ["sync", "crm_to_dw", "--json", "--project", str(project)], env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["created"] == 1
    with sqlite3.connect(tmp_path / "dw.db") as db:
        types = {row[1]: row[2] for row in db.execute("PRAGMA table_info(dw_accounts)")}
        row = db.execute(
            "SELECT name, employees, revenue, number, typeof(employees) FROM dw_accounts"
        ).fetchone()
    assert types["employees"] == "INTEGER"  # the schema's integer
    assert types["revenue"] == "NUMERIC"  # a decimal amount
    assert types["changed_at"] == "DATETIME"  # a date-time
    assert types["name"] == "TEXT"  # written through a transform: as the transform leaves it
    assert types["number"] == "INTEGER"  # the mapping's own `columns` wins over the schema's string
    assert row == ("ACME", 40, 1250.5, 77, "integer")
