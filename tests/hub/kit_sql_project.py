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
{fields}  - {{canonical: updated_at, system: updated_at, direction: inbound, inbound: [datetime]}}
"""


def account_mapping(table: str, **fields: str) -> str:
    """A SQL mapping of accounts in `table`: its name, the canonical `fields` (canonical name -> column;
    the account number in `number` when none are given) and its time."""
    lines = "".join(
        f"  - {{canonical: {c}, system: {s}}}\n" for c, s in (fields or {"account_number": "number"}).items()
    )
    return ACCOUNT.format(table=table, fields=lines)


def sqlite_table(env: dict[str, str], path: Path, table: str, conn_id: str, columns: str) -> None:
    """Make `table` (an integer id, the hub id, `columns`, updated_at) in the SQLite file at `path`, and
    name the file in `env` as the SQL connection `conn_id`."""
    with sqlite3.connect(path) as db:
        db.execute(
            f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, hub_id TEXT UNIQUE, {columns}, updated_at TEXT)"
        )
    extra = {"url": f"sqlite:///{path}"}
    env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps({"conn_type": "omnihub_sql", "extra": extra})


def two_databases(tmp_path: Path, rows: int = 25, sync: str = "") -> tuple[Path, dict[str, str]]:
    """The project (sync `crm_to_dw`, with `sync`'s extra lines) and the environment naming its two
    databases; the source holds `rows` accounts, one second apart from 2024-05-01 10:00:00."""
    assert CliRunner().invoke(app, ["init", str(tmp_path / "p"), "--syncs", ""]).exit_code == 0
    project = tmp_path / "p"
    (project / "mappings" / "sql").mkdir(parents=True)
    (project / "mappings" / "sql" / "crm_account.yaml").write_text(account_mapping("crm_accounts"))
    (project / "mappings" / "sql" / "dw_account.yaml").write_text(account_mapping("dw_accounts"))
    (project / "syncs" / "crm_to_dw.yaml").write_text(
        f"entity: account\n{sync}"
        "source: {system: sql, connection: sql_default, mapping: sql/crm_account}\n"
        "target: {system: sql, connection: warehouse, mapping: sql/dw_account}\n"
    )
    env = {"HUB_STATE_URL": ""}
    sqlite_table(env, tmp_path / "crm.db", "crm_accounts", "sql_default", "name TEXT, number TEXT")
    sqlite_table(env, tmp_path / "dw.db", "dw_accounts", "warehouse", "name TEXT, number TEXT")
    with sqlite3.connect(tmp_path / "crm.db") as db:
        db.executemany(
            "INSERT INTO crm_accounts (name, number, updated_at) VALUES (?, ?, ?)",
            [(f"Company {i}", f"C-{i}", f"2024-05-01 10:{i // 60:02d}:{i % 60:02d}") for i in range(rows)],
        )
    return project, env
