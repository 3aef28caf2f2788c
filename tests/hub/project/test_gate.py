"""One gate: a sync with a problem `hub validate` reports never starts, from the command line or from
Airflow. Every case of the broken-file corpus (tests/hub/project/broken/) that stops a sync is run as
`hub plan`, `hub sync` and `hub reconcile`: each exits 2 with the same located line, and nothing is
written anywhere (no state store is even created)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowFailException
from typer.testing import CliRunner

from hub.airflow import tasks
from hub.cli import app
from hub.io.connections import set_resolver
from hub.project.loading import Project
from tests.hub.project.test_checks import (
    BROKEN,
    CASES,
    GENERATED_CASES,
    JSON_CASES,
    apply_case,
    copy_project,
    headers,
)


def stopped_by(project: Path, expected: str) -> list[str]:
    """The syncs whose gate the case's problem closes."""
    loaded = Project.load(project)
    return [
        name
        for name in sorted(loaded.sync_files)
        if expected in [str(p).split("; known: ")[0] for p in loaded.problems_for_sync(name)]
    ]


def readable(case: str) -> bool:
    return case in JSON_CASES or bool(headers(BROKEN / case).get("expect"))


GATED = [case for case in CASES if readable(case)] + sorted(GENERATED_CASES)


def probe(project: Path, place: str) -> None:
    """A sync that uses a broken mapping no shipped sync uses (its target), so the gate meets it."""
    system = place.split("/")[1]
    other = "zendesk" if system == "salesforce" else "salesforce"
    (project / "mappings/syncs/gate_probe.yaml").write_text(
        "entity: contact\n"
        f"source: {{system: {other}, connection: {other}_default, mapping: {other}/contact}}\n"
        f"target: {{system: {system}, connection: {system}_default, mapping: {system}/{Path(place).stem}}}\n"
    )


@pytest.fixture(autouse=True)
def environment_connections() -> Iterator[None]:
    """`tasks.run_sync` makes Airflow the source of connections, as a worker wants; undo that after."""
    yield
    set_resolver(None)


@pytest.mark.parametrize("case", GATED)
def test_a_sync_with_a_problem_never_starts_and_writes_nothing(case: str, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    expected = apply_case(case, project)
    place = expected.split(":")[0]
    if not stopped_by(project, expected) and place.startswith("mappings/") and "/syncs/" not in place:
        probe(project, place)
    stopped = stopped_by(project, expected)
    if not stopped:
        pytest.skip("the mistake is in a file no sync uses: it stops nothing (validate still reports it)")
    name = stopped[0]
    state = tmp_path / "state" / "state.db"
    env = {"HUB_STATE_URL": f"sqlite:///{state}"}
    for command in (["plan", name], ["sync", name], ["reconcile", name], ["quarantine", "retry", name]):
        result = CliRunner().invoke(app, [*command, "--project", str(project)], env=env)
        assert result.exit_code == 2, (command, result.output)
        assert expected in [line.split("; known: ")[0] for line in result.stderr.splitlines()], result.output
    assert not state.parent.exists() and not (project / ".hub").exists()  # nothing written anywhere
    with pytest.raises(AirflowFailException, match="sync "):  # the Airflow task passes the same gate
        tasks.run_sync(name, str(project))
    assert not (project / ".hub").exists()


def test_the_gate_is_exercised_by_most_of_the_corpus() -> None:
    assert len(GATED) >= 20
