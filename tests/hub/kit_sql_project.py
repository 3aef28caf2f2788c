"""A project syncing accounts between two SQLite databases of one system (sql_default → warehouse),
made with `hub init`: what the instance, pages-in-step and similar engine tests run."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from hub.cli import app

ACCOUNT = """\
system: sql
object: {table}
entity: account
primary_key: id
cursor_field: updated_at
external_id_field: hub_id
fields:
  - {{canonical: name, system: name}}
  - {{canonical: account_number, system: number}}
  - {{canonical: updated_at, system: updated_at, direction: inbound, inbound: [datetime]}}
"""


def two_databases(tmp_path: Path, rows: int = 25, sync: str = "") -> tuple[Path, dict[str, str]]:
    """The project (sync `crm_to_dw`, with `sync`'s extra lines) and the environment naming its two
    databases; the source holds `rows` accounts, one second apart from 2024-05-01 10:00:00."""
    assert CliRunner().invoke(app, ["init", str(tmp_path / "p"), "--syncs", ""]).exit_code == 0
    project = tmp_path / "p"
    (project / "mappings" / "sql").mkdir(parents=True)
    (project / "mappings" / "sql" / "crm_account.yaml").write_text(ACCOUNT.format(table="crm_accounts"))
    (project / "mappings" / "sql" / "dw_account.yaml").write_text(ACCOUNT.format(table="dw_accounts"))
    (project / "syncs" / "crm_to_dw.yaml").write_text(
        f"entity: account\n{sync}"
        "source: {system: sql, connection: sql_default, mapping: sql/crm_account}\n"
        "target: {system: sql, connection: warehouse, mapping: sql/dw_account}\n"
    )
    env = {"HUB_STATE_URL": ""}
    for name, table, conn in (
        ("crm.db", "crm_accounts", "SQL_DEFAULT"),
        ("dw.db", "dw_accounts", "WAREHOUSE"),
    ):
        with sqlite3.connect(tmp_path / name) as db:
            db.execute(
                f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, hub_id TEXT UNIQUE, name TEXT, number TEXT, "
                "updated_at TEXT)"
            )
        extra = {"url": f"sqlite:///{tmp_path / name}"}
        env[f"AIRFLOW_CONN_{conn}"] = json.dumps({"conn_type": "omnihub_sql", "extra": extra})
    with sqlite3.connect(tmp_path / "crm.db") as db:
        db.executemany(
            "INSERT INTO crm_accounts (name, number, updated_at) VALUES (?, ?, ?)",
            [(f"Company {i}", f"C-{i}", f"2024-05-01 10:{i // 60:02d}:{i % 60:02d}") for i in range(rows)],
        )
    return project, env
