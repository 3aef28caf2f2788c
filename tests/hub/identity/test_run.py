"""`hub identity resolve|merge|split|explain` and `hub customer` over a project of three databases: the
clusters every system's records make, golden records, and decisions by hand that survive the next
resolution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from hub.cli import app
from tests.hub.engine.test_identity_join import project, sync


def hub(root: Path, env: dict[str, str], *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(
        app, [*args, "--project", str(root)], env={**env, "HUB_USER": "ops@example.com"}
    )
    assert result.exit_code == code, result.output
    return result.stdout


def resolved(root: Path, env: dict[str, str]) -> dict[str, Any]:
    said: dict[str, Any] = json.loads(hub(root, env, "identity", "resolve", "account", "--json"))
    return said


def cluster_of(root: Path, env: dict[str, str], record: str) -> list[str]:
    said = json.loads(hub(root, env, "identity", "explain", "account", record, "--json"))
    records: list[str] = said["records"]
    return records


def synced_apart(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Both sources synced without identity: each twin has its own hub record and warehouse row."""
    root, env = project(tmp_path, identity=False)
    sync(root, env, "crm_to_dw")
    sync(root, env, "hs_to_dw")
    return root, env


def test_every_systems_records_resolve_into_clusters_with_golden_records(tmp_path: Path) -> None:
    root, env = synced_apart(tmp_path)
    said = resolved(root, env)
    (accounts,) = said["entities"]
    assert accounts["read"] == {"sql": 3, "sql@hubspot_db": 3, "sql@warehouse": 6}
    assert accounts["clusters"] == 4  # Acme, Globex, Initech, Umbrella
    assert accounts["links"]["web domain"] == 1 and accounts["links"]["tax number"] == 1
    acme = cluster_of(root, env, "sql:1")
    assert len(acme) == 4 and "sql@hubspot_db:1" in acme  # both sources' records and both warehouse rows
    explained = json.loads(hub(root, env, "identity", "explain", "account", "sql:1", "--json"))
    assert explained["golden"]["name"] in ("Acme BV", "ACME") and explained["sources"]["name"]["rule"]
    assert any(link[0] == "web domain" for link in explained["links"])


def test_a_split_and_a_merge_by_hand_survive_the_next_resolution(tmp_path: Path) -> None:
    root, env = synced_apart(tmp_path)
    resolved(root, env)
    said = hub(root, env, "identity", "split", "account", "sql@hubspot_db:1", "--reason", "another Acme")
    assert "stands apart (by ops@example.com)" in said
    for _ in range(2):  # the decision is applied by every resolution, not once
        resolved(root, env)
        assert "sql:1" not in cluster_of(root, env, "sql@hubspot_db:1")
        assert len(cluster_of(root, env, "sql@hubspot_db:1")) == 2  # with the warehouse row its sync made
    hub(root, env, "identity", "merge", "account", "sql@hubspot_db:1", "sql:1", "--reason", "same after all")
    resolved(root, env)
    assert "sql:1" in cluster_of(root, env, "sql@hubspot_db:1")
    explained = json.loads(hub(root, env, "identity", "explain", "account", "sql:1", "--json"))
    assert [d["action"] for d in explained["decisions"]] == ["split", "merge"]
    assert explained["decisions"][1]["decided_by"] == "ops@example.com"
    assert any(link[0].startswith("merged by ops@example.com") for link in explained["links"])
    # the merge took back nothing but what the split did: Initech and Umbrella stay apart
    assert "sql:3" not in cluster_of(root, env, "sql:1")


def test_customer_finds_by_domain_name_or_id_and_writes_its_page(tmp_path: Path) -> None:
    root, env = synced_apart(tmp_path)
    unresolved = CliRunner().invoke(app, ["customer", "acme", "--project", str(root)], env=env)
    assert unresolved.exit_code == 2 and "run `hub identity resolve`" in unresolved.output
    resolved(root, env)
    doc = json.loads(hub(root, env, "customer", "acme.com", "--json", "--html", "pages"))
    assert doc["entity"] == "account" and doc["systems"] == ["sql", "sql@hubspot_db", "sql@warehouse"]
    assert len(doc["records"]) == 4 and doc["sync_history"]["runs"]
    page = Path(doc["page"])
    assert page.parent == root / "pages" and doc["name"] in page.read_text()
    by_id = json.loads(hub(root, env, "customer", "sql@hubspot_db:2", "--json"))
    assert by_id["golden_id"] == json.loads(hub(root, env, "customer", "globex", "--json"))["golden_id"]
    text = hub(root, env, "customer", "Initech")
    assert "Initech" in text and "golden record" in text
    assert (
        "no customer matches"
        in CliRunner().invoke(app, ["customer", "nobody", "--project", str(root)], env=env).output
    )


def test_identity_refuses_an_entity_it_does_not_resolve(tmp_path: Path) -> None:
    root, env = synced_apart(tmp_path)
    result = CliRunner().invoke(app, ["identity", "resolve", "ticket", "--project", str(root)], env=env)
    assert result.exit_code == 2 and "identity resolves account and contact" in result.output


def test_a_merge_of_one_record_or_of_an_unknown_one_is_refused(tmp_path: Path) -> None:
    root, env = synced_apart(tmp_path)
    resolved(root, env)
    one = CliRunner().invoke(
        app, ["identity", "merge", "account", "sql:1", "--reason", "x", "--project", str(root)], env=env
    )
    assert one.exit_code == 2 and "merge takes two records or more" in one.output
    unknown = CliRunner().invoke(
        app, ["identity", "split", "account", "sql:99", "--reason", "x", "--project", str(root)], env=env
    )
    assert (
        unknown.exit_code == 2 and "'sql:99' is no account record the last resolution read" in unknown.output
    )
