"""The state-store suite, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from hub.errors import LockError
from hub.state import PageCommit, QuarantineEntry, StateStore, XrefRow


def test_cursors_are_set_atomically_with_a_page(store: StateStore) -> None:
    assert store.cursor("s", "salesforce", "Contact") is None
    store.commit_page(PageCommit("s", "run", cursor=("salesforce", "Contact", "2024-01-01T00:00:00Z")))
    store.commit_page(PageCommit("s", "run", cursor=("salesforce", "Contact", "2024-02-01T00:00:00Z")))
    assert store.cursor("s", "salesforce", "Contact") == "2024-02-01T00:00:00Z"
    store.reset_cursor("s")
    assert store.cursor("s", "salesforce", "Contact") is None


def test_a_failed_page_commit_changes_nothing(store: StateStore) -> None:
    good = XrefRow("contact", "odoo", "1", "h-1", last_hash="a")
    clash = XrefRow("contact", "odoo", "2", "h-1", last_hash="b")  # same hub_id twice in one system
    with pytest.raises(Exception):  # noqa: B017 - the database's own integrity error
        store.commit_page(PageCommit("s", "run", xrefs=[good, clash], cursor=("sf", "Contact", "x")))
    assert store.xrefs_by_hub("contact", "odoo", ["h-1"]) == {}
    assert store.cursor("s", "sf", "Contact") is None


def test_identities_claimed_once_even_when_two_syncs_mint_at_once(store: StateStore) -> None:
    first = store.claim_identities([XrefRow("contact", "salesforce", "003A", "hub-a", last_modified="t1")])
    second = store.claim_identities(
        [XrefRow("contact", "salesforce", "003A", "hub-b"), XrefRow("contact", "salesforce", "003B", "hub-c")]
    )
    assert first == {"003A": "hub-a"}
    assert second == {"003A": "hub-a", "003B": "hub-c"}


def test_xref_lookups_both_ways_and_hash_updates(store: StateStore) -> None:
    ids = [f"{i:04d}" for i in range(1200)]  # more than one chunk of the IN list
    store.claim_identities([XrefRow("account", "odoo", i, f"hub-{i}") for i in ids])
    assert len(store.xrefs_by_external("account", "odoo", ids)) == 1200
    store.commit_page(
        PageCommit("s", "r", xrefs=[XrefRow("account", "odoo", "0001", "hub-0001", last_hash="h1")])
    )
    store.commit_page(PageCommit("s", "r", xrefs=[XrefRow("account", "odoo", "0001", "hub-0001")]))
    row = store.xrefs_by_hub("account", "odoo", ["hub-0001"])["hub-0001"]
    assert (row.external_id, row.last_hash) == ("0001", "h1")  # a None hash keeps the stored one
    store.mark_deleted("account", "odoo", ["0001"])
    assert store.xrefs_by_external("account", "odoo", ["0001"])["0001"].deleted


def test_held_by_any_names_the_hub_records_any_of_the_systems_holds(store: StateStore) -> None:
    store.claim_identities(
        [
            XrefRow("account", "salesforce", "001", "h-1"),
            XrefRow("account", "netsuite", "7", "h-2"),
            XrefRow("account", "hubspot", "9", "h-3"),
            XrefRow("contact", "salesforce", "003", "h-4"),
        ]
    )
    wanted = ["h-1", "h-2", "h-3", "h-4", "h-5"]
    assert store.held_by_any("account", ["salesforce", "netsuite"], wanted) == {"h-1", "h-2"}
    assert store.held_by_any("account", [], wanted) == set() == store.held_by_any("account", ["hubspot"], [])


def test_quarantine_counts_attempts_and_resolves(store: StateStore) -> None:
    entry = QuarantineEntry(
        "salesforce", "Contact", "003X", "validate", [{"field": "email", "message": "bad"}], {"Email": "x@"}
    )
    store.commit_page(PageCommit("contacts", "run-1", quarantined=[entry]))
    store.commit_page(PageCommit("contacts", "run-2", quarantined=[entry]))
    rows = store.quarantined("contacts")
    assert len(rows) == 1 and rows[0].attempts == 2 and rows[0].run_id == "run-2"
    assert rows[0].record == {"Email": "x@"}
    assert store.quarantine_counts() == {"contacts": 1}
    store.commit_page(PageCommit("contacts", "run-3", resolved=[("salesforce", "003X")]))
    assert store.quarantined("contacts") == []
    assert store.quarantined("contacts", status="resolved")[0].record_id == "003X"
    store.commit_page(PageCommit("contacts", "run-4", quarantined=[entry]))
    store.mark_gone("contacts", "salesforce", ["003X"])
    assert store.quarantined("contacts", status="gone")[0].attempts == 3


def test_runs_are_recorded_newest_first(store: StateStore) -> None:
    first = store.start_run("s")
    store.finish_run(first, "success", {"read": 3}, {"odoo": 2}, details={"conflicts": []})
    second = store.start_run("s", "retry")
    rows = store.runs("s")
    assert [r.id for r in rows] == [second, first]
    assert (rows[1].status, rows[1].counts, rows[1].api_calls) == ("success", {"read": 3}, {"odoo": 2})
    assert rows[0].status == "running" and store.runs("s", kind="retry")[0].id == second


def test_a_lock_is_exclusive_until_released(store: StateStore) -> None:
    lock = store.locks.acquire("sync:a")
    with pytest.raises(LockError, match=f"sync:a is already running: pid {os.getpid()}"):
        store.locks.acquire("sync:a")
    other = store.locks.acquire("sync:b")
    lock.release()
    store.locks.acquire("sync:a").release()
    other.release()


def test_a_lock_held_by_a_dead_process_is_taken_over(store: StateStore, store_url: str) -> None:
    code = (
        "import sys, os; from hub.state import StateStore; s = StateStore(sys.argv[1]); "
        "s.locks.acquire('sync:dead'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code, store_url], check=True, timeout=60)
    store.locks.acquire("sync:dead").release()


def test_an_expired_lock_is_taken_over_and_heartbeats_extend(store: StateStore) -> None:
    hung = store.locks.acquire("sync:old", ttl=timedelta(seconds=0.2))
    hung._stop.set()  # a run on another host that stopped beating without releasing
    threading.Event().wait(0.3)
    lock = store.locks.acquire("sync:old", ttl=timedelta(seconds=0.3))
    threading.Event().wait(0.5)  # three heartbeats later it is still held
    with pytest.raises(LockError):
        store.locks.acquire("sync:old")
    lock.release()


def test_store_opens_sqlite_under_the_project_by_default(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    monkeypatch.delenv("HUB_STATE_URL", raising=False)
    store = StateStore.open(Path(str(tmp_path)))
    assert store.url.endswith(".hub/state.db")
    store.close()


def test_a_run_whose_process_died_shows_and_stays_interrupted(store: StateStore, store_url: str) -> None:
    code = (
        "import sys, os; from hub.state import StateStore; s = StateStore(sys.argv[1]); "
        "print(s.start_run('dead', lock=s.locks.acquire('sync:dead'))); print(s.start_run('dead', 'reconcile')); "
        "os._exit(0)"  # as SIGKILL would: nothing recorded, nothing released
    )
    done = subprocess.run([sys.executable, "-c", code, store_url], check=True, capture_output=True, text=True)
    synced, reconciled = done.stdout.split()
    mine = store.start_run("dead", "reconcile")
    rows = {row.id: row for row in store.runs("dead")}
    assert [rows[i].status for i in (synced, reconciled, mine)] == ["interrupted", "interrupted", "running"]
    assert rows[synced].error is not None and rows[synced].error.startswith("interrupted: pid ")
    assert rows[synced].error.endswith(" is gone; what it committed is kept")
    again = StateStore(store_url)  # marked in the store, so every reader agrees
    assert again.run(synced).status == "interrupted"  # type: ignore[union-attr]
    again.close()
    store.locks.acquire("sync:dead").release()


def test_runs_on_another_host_are_judged_by_their_lock_or_else_their_age(store: StateStore) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import insert, update

    from hub.state.tables import locks, runs

    def elsewhere(run_id: str, *, lock: str | None = None, hours_ago: float = 0) -> None:
        started = (datetime.now(UTC) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        details: dict[str, object] = {"process": {"host": "another-host", "pid": 4242}}
        if lock:
            details["lock"] = {"name": lock, "owner": lock}
        with store.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(details=details, started_at=started))

    def held_elsewhere(name: str, expires_in: timedelta) -> None:
        stamp = (datetime.now(UTC) + expires_in).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        row = {"name": name, "owner": name, "host": "another-host", "pid": 4242}
        with store.engine.begin() as conn:
            conn.execute(insert(locks).values(**row, acquired_at=stamp, expires_at=stamp))

    beating, expired, young, old, unnamed = (store.start_run(s) for s in ("a", "b", "c", "d", "e"))
    held_elsewhere("sync:a", timedelta(minutes=4))  # its heartbeat keeps it
    held_elsewhere("sync:b", timedelta(minutes=-1))  # nobody pushed it forward
    elsewhere(beating, lock="sync:a")
    elsewhere(expired, lock="sync:b")
    elsewhere(young, hours_ago=23)  # a reconciliation: no lock to tell
    elsewhere(old, hours_ago=25)
    with store.engine.begin() as conn:  # recorded before runs named their process
        conn.execute(update(runs).where(runs.c.id == unnamed).values(details={}))
    status = {row.id: row.status for row in store.runs()}
    assert [status[i] for i in (beating, expired, young, old, unnamed)] == [
        "running",
        "interrupted",
        "running",
        "interrupted",
        "running",
    ]
    assert "let its lock sync:b expire" in str(store.run(expired).error)  # type: ignore[union-attr]


def test_a_wrong_url_is_a_config_error_and_a_database_out_of_reach_may_pass(tmp_path: Path) -> None:
    from hub.errors import ConfigError
    from hub.state import StateUnavailable

    with pytest.raises(
        ConfigError, match="HUB_STATE_URL mongodb://u:\\*\\*\\*@h/x: the state store is SQLite"
    ):
        StateStore("mongodb://u:pw@h/x")
    with pytest.raises(StateUnavailable, match="cannot open the state store"):  # Airflow retries this one
        StateStore("postgresql://postgres:pw@127.0.0.1:1/hub")
    with pytest.raises(ConfigError, match=r"the folder .* does not exist"):
        StateStore(f"sqlite:///{tmp_path / 'missing' / 'state.db'}")
    assert not (tmp_path / "missing").exists()


def test_a_page_of_any_size_costs_the_same_few_statements(store: StateStore, store_url: str) -> None:
    """Issue 16: a page's identities, cross-references, quarantine changes and cursor are set-based
    on PostgreSQL (arrays, unnested), so 5,000 records cost what 5 do; SQLite takes IN lists."""
    from sqlalchemy import event

    sent: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: sent.append(args[2]))

    def page(size: int, offset: int) -> int:
        ids = [f"{offset + i:06d}" for i in range(size)]
        sent.clear()
        claimed = store.claim_identities([XrefRow("account", "src", i, f"hub-{i}") for i in ids])
        assert claimed == {i: f"hub-{i}" for i in ids}
        store.xrefs_by_hub("account", "dst", [f"hub-{i}" for i in ids])
        store.quarantined("s", record_ids=ids)
        store.commit_page(
            PageCommit(
                "s",
                "run",
                xrefs=[XrefRow("account", "dst", f"t{i}", f"hub-{i}", last_hash="h") for i in ids],
                resolved=[("src", i) for i in ids],
                cursor=("src", "customers", "2024-01-01T00:00:00Z"),
            )
        )
        # ANALYZE (and the lock that keeps two processes from running it at once): as the table doubles
        upkeep = (
            "BEGIN",
            "COMMIT",
            "SAVEPOINT",
            "ANALYZE",
            "SELECT PG_TRY_ADVISORY",
            "SELECT PG_ADVISORY_UNLOCK",
        )
        return len([s for s in sent if not s.lstrip().upper().startswith(upkeep)])

    small, large = page(5, 0), page(5_000, 100)
    if store_url.startswith("postgresql"):
        assert small == large <= 7
        assert any(s.startswith("ANALYZE hub_xref") for s in sent)  # 5,000 rows of a system: analysed
    else:
        assert large > small  # 500 per IN list
    assert len(store.xrefs_by_external("account", "src", [f"{i:06d}" for i in range(100, 5_100)])) == 5_000
    assert store.xrefs_by_external("account", "dst", []) == {}


def test_claiming_identities_some_known_returns_the_standing_ones(store: StateStore) -> None:
    store.claim_identities([XrefRow("account", "src", str(i), f"old-{i}") for i in range(0, 600, 2)])
    rows = [XrefRow("account", "src", str(i), f"new-{i}") for i in range(600)]
    claimed = store.claim_identities([*rows, XrefRow("account", "src", "1", "new-1")])  # one twice
    assert claimed == {str(i): f"old-{i}" if i % 2 == 0 else f"new-{i}" for i in range(600)}


def test_a_page_claiming_while_the_page_before_commits_keeps_the_store_consistent(pg_url: str) -> None:
    """Pages in step: one thread claims identities while another commits cross-references, on one
    store; the growth the store keeps (to ANALYZE in step) is counted under a lock, so neither fails."""
    store = StateStore(pg_url)
    failures: list[BaseException] = []

    def work(system: str, commit: bool) -> None:
        try:
            for page in range(150):
                rows = [XrefRow("account", system, f"{page}-{i}", f"{system}-{page}-{i}") for i in range(8)]
                if commit:
                    store.commit_page(PageCommit("s", "r", xrefs=rows))
                else:
                    store.claim_identities(rows)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(s, c)) for s, c in (("src", False), ("dst", True))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert (
        len(store.xrefs_by_external("account", "src", [f"{p}-{i}" for p in range(150) for i in range(8)]))
        == 1200
    )
    store.close()


def test_the_statistics_learn_of_each_system_as_its_rows_arrive(pg_url: str) -> None:
    """A table analysed while it held only the source's identities plans the target's lookups as if
    the target had one row (each page then reads them all): a system's first 1,000 rows analyse it."""
    import psycopg

    store = StateStore(pg_url)
    store.claim_identities([XrefRow("account", "crm", str(i), f"h{i}") for i in range(2_000)])
    store.commit_page(
        PageCommit("s", "r", xrefs=[XrefRow("account", "dw", str(i), f"h{i}") for i in range(2_000)])
    )
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(
            "SELECT most_common_vals::text FROM pg_stats WHERE tablename = 'hub_xref' AND attname = 'system'"
        ).fetchone()
    assert row is not None and "crm" in row[0] and "dw" in row[0]
    store.close()


def test_a_driver_other_than_psycopg_claims_and_upserts_through_the_same_arrays(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With psycopg the arrays go as the driver's binary values; any other driver (psycopg2) gets the
    same statements through SQLAlchemy's parameters: both give the same cross-references."""
    stores = {}
    for driver in ("psycopg", "other"):
        store = StateStore(pg_url)
        if driver == "other":
            monkeypatch.setattr(store.engine.dialect, "driver", "psycopg2")
        system = f"crm-{driver}"
        rows = [
            XrefRow("account", system, str(i), f"h-{driver}-{i}", last_modified="2024-01-01")
            for i in range(3)
        ]
        assert store.claim_identities(rows) == {str(i): f"h-{driver}-{i}" for i in range(3)}
        store.commit_page(PageCommit("s", "r", xrefs=[replace(rows[0], last_hash="abc", deleted=True)]))
        stores[driver] = {
            k: (x.hub_id.split("-")[-1], x.last_hash, x.last_modified, x.deleted)
            for k, x in store.xrefs_by_external("account", system, ["0", "1", "2"]).items()
        }
        store.close()
    assert stores["psycopg"] == stores["other"]
    assert stores["other"]["0"] == ("0", "abc", "2024-01-01", True)
