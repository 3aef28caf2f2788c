"""Hostile and broken files are refused, located, in bounded time and memory, and never take down
`hub validate`, `hub sync` or Airflow's DAG processor (`hub.project.yamldoc`, `Project.load`).

The corpus (tests/hub/project/broken/, `GENERATED_CASES`) holds one file per kind of mistake; these
tests put several at once into a project under an address-space limit, check what stays accepted,
and follow refused files to the gate every run passes."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.project.loading import Project
from hub.project.yamldoc import MAX_ALIAS_NODES, MAX_DEPTH, MAX_FILE_BYTES, load_document
from tests.hub.project.test_checks import BROKEN, GENERATED_CASES, copy_project
from tests.hub.project.test_described_systems import project_with_acme

MEMORY = 512 * 2**20
"""`hub validate` on the shipped project needs under 100 MB of address space; before the bounds, the
10 MB list alone needed 600 MB of memory (45 s), and the alias bomb never finished."""


def hostile_project(root: Path) -> dict[str, str]:
    """A copy of the project with one hostile file of each kind; the line each must give."""
    project = copy_project(root)
    (project / "mappings/syncs/bomb.yaml").write_text((BROKEN / "30_alias_bomb.yaml").read_text())
    (project / "mappings/odoo/loop.yaml").write_text((BROKEN / "31_recursive_alias.yaml").read_text())
    expected = {}
    for name, case in (("big", "46_ten_megabytes.yaml"), ("deep", "49_nested_100000_deep.yaml")):
        _, make, line = GENERATED_CASES[case]
        (project / f"mappings/syncs/{name}.yaml").write_bytes(make())
        expected[name] = line.replace("broken.yaml", f"{name}.yaml")
    return {
        "bomb": "mappings/syncs/bomb.yaml:13:11: aliases repeat more than 10,000 nodes by here (an alias bomb?)",
        "loop": "mappings/odoo/loop.yaml:9:10: alias *options is inside the node it names: its data would never end",
        **expected,
    }


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def test_hub_validate_refuses_them_all_in_bounded_memory(tmp_path: Path) -> None:
    expected = hostile_project(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "hub", "validate", "--project", str(tmp_path)],
        capture_output=True,
        text=True,
        preexec_fn=_limit_memory,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert sorted(done.stdout.strip().splitlines()) == sorted(expected.values()), done.stdout + done.stderr


def test_a_refused_sync_is_known_by_its_name_and_stopped_by_its_problem(tmp_path: Path) -> None:
    expected = hostile_project(tmp_path)
    project = Project.load(tmp_path)  # never raises
    assert {"bomb", "big", "deep"} <= set(project.sync_files) and not {"bomb", "big", "deep"} & set(
        project.syncs
    )
    for name in ("bomb", "big", "deep"):
        assert [str(p) for p in project.problems_for_sync(name)] == [expected[name]]
        with pytest.raises(ConfigError, match="mappings/syncs/"):
            project.sync(name)
    assert project.problems_for_sync("crm_accounts_to_erp") == []


def test_airflow_loads_every_other_dag(tmp_path: Path) -> None:
    from hub.airflow import build_dags

    expected = hostile_project(tmp_path)
    dags = build_dags(tmp_path)
    shipped = {p.stem for p in (tmp_path / "mappings/syncs").glob("*.yaml")} - {"bomb", "big", "deep"}
    assert {f"sync__{name}" for name in shipped} <= set(dags)
    problems = dags["omnihub__project_problems"].problems  # type: ignore[attr-defined]
    assert set(expected.values()) <= set(problems)


def write(tmp_path: Path, text: str, name: str = "file.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        load_document(path, path.name)
    [problem] = raised.value.problems
    return str(problem)


def nested(depth: int) -> str:
    return "a: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"  # the mapping is one level


def test_what_people_write_stays_accepted(tmp_path: Path) -> None:
    text = (
        "defaults: &defaults {retries: 2, owner: integrations}\n"
        "a: {<<: *defaults, owner: crm}\n"
        "b: [*defaults, *defaults]\n"
        "c: !!str 2024\nd: ! 12\ne: !!int '7'\nf: !!float 1\ng: !!null ''\nh: !!bool true\n"
        "i: !!seq [x]\nj: !!map {k: v}\nnote: 'Salesforce & HubSpot!'\n"
    )
    data = load_document(write(tmp_path, "\ufeff" + text)).data
    assert data["a"] == {"retries": 2, "owner": "crm"} and data["b"][1]["owner"] == "integrations"
    assert (data["c"], data["e"], data["f"], data["g"], data["h"]) == ("2024", 7, 1.0, None, True)
    assert load_document(write(tmp_path, nested(MAX_DEPTH))).data["a"] is not None


def test_each_bound_is_where_it_says(tmp_path: Path) -> None:
    assert refusal(write(tmp_path, nested(MAX_DEPTH + 1))).startswith(
        f"file.yaml:1:{MAX_DEPTH + 3}: nested more"
    )
    node = "[" + ", ".join(["x"] * 99) + "]"  # 100 nodes
    many = "a: &a " + node + "\nb: [" + ", ".join(["*a"] * (MAX_ALIAS_NODES // 100)) + "]\n"
    assert load_document(write(tmp_path, many)).data["b"][-1][-1] == "x"
    too_many = many.replace("b: [", "b: [*a, ")
    assert "aliases repeat more than 10,000 nodes" in refusal(write(tmp_path, too_many))
    big = write(tmp_path, "a: " + "x" * MAX_FILE_BYTES, "big.json")
    assert refusal(big) == (
        f"big.json:1:1: file too large: {MAX_FILE_BYTES + 3:,} bytes, and a project file may have at most "
        "262,144 (256 KiB); it was not read (split it, or keep data out of the project)"
    )


def test_an_alias_cannot_nest_past_the_bound_either(tmp_path: Path) -> None:
    text = "a: &deep " + "[" * 20 + "]" * 20 + "\nb: " + "[" * 12 + "*deep" + "]" * 12 + "\n"
    assert refusal(write(tmp_path, text)) == (
        "file.yaml:2:16: nested more than 32 levels deep once this alias is written out"
    )


def test_json_is_bounded_alike(tmp_path: Path) -> None:
    path = write(tmp_path, '{"a": ' * 5000 + "1" + "}" * 5000, "deep.json")  # past json's own recursion
    assert refusal(path) == "deep.json:1:193: nested more than 32 levels deep; no project file needs that"
    bom = write(tmp_path, '\ufeff{"a": "[[[["}', "bom.json")
    assert load_document(bom).data == {"a": "[[[["}


def test_a_file_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert refusal(fifo) == "pipe.yaml:1:1: not a regular file; a project file must be one"


def test_yml_files_are_project_files_like_yaml_ones(tmp_path: Path) -> None:
    root = project_with_acme(tmp_path)
    for path in (
        "systems/acme_desk.yaml",
        "mappings/acme_desk/contact.yaml",
        "mappings/syncs/acme_contacts_to_crm.yaml",
    ):
        (root / path).rename((root / path).with_suffix(".yml"))
    project = Project.load(root)
    assert project.checked == [] and "acme_contacts_to_crm" in project.syncs
    assert project.mapping_files["acme_desk/contact"] == "mappings/acme_desk/contact.yml"


def test_a_mapping_and_its_yml_twin_stop_the_syncs_that_use_it(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    (root / "mappings/odoo/account.yml").write_text((root / "mappings/odoo/account.yaml").read_text())
    project = Project.load(root)
    twin = (
        "mappings/odoo/account.yml:1:1: mapping 'odoo/account' is also written in mappings/odoo/account.yaml "
        "(.yaml and .yml name it alike); keep one of the two"
    )
    assert twin in map(str, project.problems_for_sync("crm_accounts_to_erp"))
    uses = [str(p) for p in project.checked if p.path == "mappings/syncs/crm_accounts_to_erp.yaml"]
    assert uses == [
        "mappings/syncs/crm_accounts_to_erp.yaml:8:59: mapping 'odoo/account' has problems of its own"
    ]


def test_hidden_files_are_not_the_projects(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    (root / "mappings/syncs/._crm_accounts_to_erp.yaml").write_bytes(b"\x00\x05\x16\x07\xff")  # macOS
    (root / "mappings/odoo/.#account.yaml").symlink_to("root@host.1234")  # an editor's lock
    assert Project.load(root).checked == []


def test_an_unreadable_mapping_stops_its_syncs_and_says_so(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    _, make, line = GENERATED_CASES["44_not_utf8.yaml"]
    (root / "mappings/odoo/account.yaml").write_bytes(make())
    project = Project.load(root)
    expected = line.replace("mappings/syncs/broken.yaml", "mappings/odoo/account.yaml")
    assert expected in map(str, project.problems_for_sync("crm_accounts_to_erp"))
