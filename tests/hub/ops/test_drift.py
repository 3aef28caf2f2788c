"""Drift alerts: a run's volumes against its own sync's history, robust to one odd run, aware of the
weekday when there is enough history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hub.ops.alerts import check_run, listed
from hub.ops.drift import drifts, volumes
from hub.state import StateStore
from hub.state.rows import RunRow

MONDAY = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def run(day: int, read: int, *, kind: str = "sync", hour: int = 0, **counts: Any) -> RunRow:
    stamp = (MONDAY + timedelta(days=day, hours=hour)).isoformat().replace("+00:00", "Z")
    numbers = {"read": read, "created": counts.pop("created", read // 10), "updated": 0, "quarantined": 0}
    return RunRow(
        f"r{day}-{hour}", "crm_to_erp", kind, stamp, stamp, "success", numbers | counts, {"odoo": 3}, {}, None
    )  # type: ignore[arg-type]


def weeks(count: int, weekday: int = 5000, sunday: int = 40) -> list[RunRow]:
    """`count` weeks of one run a day: busy weekdays, quiet Sundays."""
    return [run(d, sunday if d % 7 == 6 else weekday + (d * 37) % 300) for d in range(7 * count)]


def test_reading_nothing_after_thousands_is_an_alert() -> None:
    history = weeks(3)
    (found,) = [d for d in drifts(run(21, 0), history) if d.metric == "read"]
    assert found.value == 0 and found.median > 1000 and "read nothing" in found.message


def test_a_quiet_sunday_is_not_an_alert_but_a_quiet_monday_is() -> None:
    history = weeks(5)  # four Sundays and more: Sundays are judged against Sundays
    assert drifts(run(35 + 6, 35), history) == []
    busy_only = [r for r in history if not r.id.startswith(("r6-", "r13-", "r20-", "r27-", "r34-"))]
    monday = [d.metric for d in drifts(run(35, 35), busy_only)]
    assert "read" in monday


def test_without_enough_weekday_history_every_recent_run_is_the_baseline() -> None:
    history = weeks(1)  # one Sunday only: the baseline is the last seven days, mostly busy
    found = {d.metric: d for d in drifts(run(13, 40), history)}
    assert found["read"].baseline == "all" and found["read"].runs == 7


def test_one_odd_run_in_the_history_moves_nothing_and_ordinary_noise_is_no_alert() -> None:
    history = [run(d, 1000 + (d * 13) % 40) for d in range(14)]
    history[5] = run(5, 90_000)  # an initial load, say
    assert drifts(run(14, 1020), history) == []
    assert [d.metric for d in drifts(run(14, 9000), history)] == ["read", "written"]


def test_no_baseline_before_five_runs_and_small_changes_stay_quiet() -> None:
    assert drifts(run(3, 0), [run(d, 5000) for d in range(3)]) == []
    steady = [run(d, 8) for d in range(10)]  # a history that never moved: any change is infinitely far
    assert drifts(run(10, 12), steady) == []  # but four records are no alert
    assert [d.metric for d in drifts(run(10, 40), steady)] == ["read"]


def test_a_failed_run_is_neither_judged_nor_part_of_a_baseline() -> None:
    from dataclasses import replace

    history = [run(d, 5000) for d in range(10)]
    failed = [replace(run(10 + d, 0), status="failed") for d in range(3)]
    assert drifts(replace(run(13, 0), status="failed"), history) == []  # its failure is the signal
    (found,) = [d for d in drifts(run(13, 0), history + failed) if d.metric == "read"]
    assert found.median == 5000 and found.runs == 10  # the three failures are not its history


def test_a_reconciliations_discrepancies_are_judged_too() -> None:
    def recon(day: int, unequal: int) -> RunRow:
        row = run(day, 0, kind="reconcile")
        row.counts = {"source_records": 2000, "target_records": 2000, "unequal": unequal, "only_in_source": 0}
        return row

    assert volumes(recon(0, 3))["discrepancies"] == 3
    history = [recon(d, 2 + d % 3) for d in range(10)]
    found = drifts(recon(10, 400), history)
    assert [d.metric for d in found] == ["discrepancies"] and "up from a median of 3" in found[0].message


def test_each_run_is_checked_as_it_finishes_and_its_alerts_kept(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    ids = []
    for read in (5000, 5100, 4900, 5050, 4950, 5020, 0):
        run_id = store.start_run("crm_to_erp")
        store.finish_run(run_id, "success", {"read": read, "created": 0, "updated": 0}, {"salesforce": 2})
        ids.append(run_id)
        check_run(store, run_id)
    (alert,) = listed(store)
    assert alert["run_id"] == ids[-1] and alert["metric"] == "read" and alert["status"] == "open"
    assert check_run(store, "no-such-run") == []


def test_hub_alerts_lists_them(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from hub.cli import app

    url = f"sqlite:///{tmp_path / 'state.db'}"
    store = StateStore(url)
    for read in (5000, 5100, 4900, 5050, 4950, 0):
        run_id = store.start_run("crm_to_erp")
        store.finish_run(run_id, "success", {"read": read}, {})
        check_run(store, run_id)
    result = CliRunner().invoke(app, ["alerts", "--json", "--state-url", url, "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (alert,) = json.loads(result.stdout)["alerts"]
    assert alert["sync"] == "crm_to_erp" and "read nothing" in alert["message"]
