"""The seven checks every connector passes, each a function of a `Subject` that fails with an
AssertionError (or skips, where the subject says a check does not apply to its system)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from hub.errors import AuthenticationError
from hub.testing.subject import Subject, just_before, read_ids


def check_full_read(subject: Subject) -> None:
    """A full read returns every record once, across several pages."""
    made = set()
    for i in range(subject.page * 2 + 3):
        made.add(subject.create(i))
        subject.advance(1)
    ids = read_ids(subject.connector(), subject.obj, None, subject.page)
    assert len(ids) == len(set(ids))
    assert made <= set(ids)


def check_incremental_read(subject: Subject) -> None:
    """An incremental read after edits returns exactly the edited records, and the cursor of the edits."""
    made = [subject.create(i) for i in range(12)]
    subject.advance(600)
    edited = [made[1], made[7], made[10]]
    for record_id in edited:
        subject.edit(record_id)
    connector = subject.connector()
    since = just_before(subject.clock.now)
    assert sorted(read_ids(connector, subject.obj, since, subject.page)) == sorted(edited)
    pages = list(connector.read_changes(subject.obj, since, subject.page))
    assert pages[-1].cursor == subject.clock.now  # the cursor the hub stores next


def check_shared_timestamps(subject: Subject) -> None:
    """Records sharing one timestamp are not lost (nor repeated) at page boundaries."""
    subject.advance(3600)
    same = {subject.create(i) for i in range(subject.page * 2 + subject.page // 2)}  # the clock stands still
    ids = read_ids(subject.connector(), subject.obj, just_before(subject.clock.now), subject.page)
    assert len(ids) == len(set(ids))
    assert set(ids) == same


def check_time_window(subject: Subject) -> None:
    """A read of one time window (`ObjectSpec.until`, for a connector whose `reads_windows` says it
    reads them: a backfill's part) returns exactly the records changed in it, across pages."""
    connector = subject.connector()
    if not connector.reads_windows or not subject.obj.cursor_field:
        pytest.skip(f"{subject.name} reads no time windows: a backfill splits its reads by key")
    batches: list[tuple[datetime, set[str]]] = []
    for batch in range(3):
        subject.advance(600)
        batches.append(
            (subject.clock.now, {subject.create(batch * 100 + i) for i in range(subject.page + 1)})
        )
    (_, early), (middle_at, middle), (late_at, late) = batches
    window = replace(subject.obj, until=late_at)
    ids = read_ids(connector, window, middle_at, subject.page)
    assert len(ids) == len(set(ids)) and set(ids) == middle
    first = set(read_ids(connector, replace(subject.obj, until=middle_at), None, subject.page))
    assert early <= first and not first & (middle | late)
    assert set(read_ids(connector, subject.obj, late_at, subject.page)) == late


def check_mixed_batch(subject: Subject) -> None:
    """A batch of valid and invalid records gives one result per record, in order, each explained."""
    pattern = [True, False, True, True, False, True, False, True]
    ops = [subject.op(i, valid) for i, valid in enumerate(pattern)]
    results = subject.connector().write(subject.obj, ops)
    assert [r.ok for r in results] == pattern
    assert all(r.error is not None and r.error.message for r in results if not r.ok)
    written = {str(r.id) for r in results if r.ok}
    assert len(written) == pattern.count(True) and written <= subject.stored()
    fetched = subject.connector().fetch(subject.obj, sorted(written))
    assert {subject.connector().record_id(subject.obj, r) for r in fetched} == written


def check_rate_limit_retries(subject: Subject) -> None:
    """Rate-limit answers are retried until the work is done, and counted as retries."""
    if subject.no_rate_limit:
        pytest.skip(subject.no_rate_limit)
    connector = subject.connector()
    connector.write(subject.obj, [subject.op(0, True)])  # logged in before the faults start
    subject.app.faults.configure(0.5, ("rate_limit",), seed=3)
    try:
        results = connector.write(subject.obj, [subject.op(i, True) for i in range(1, 40)])
        ids = read_ids(connector, subject.obj, None, subject.page)
    finally:
        subject.app.faults.configure(0.0, ())
    assert all(r.ok for r in results)
    assert {str(r.id) for r in results} <= set(ids)
    assert connector.calls.retries()[subject.name] > 0


def check_refused_credentials(subject: Subject) -> None:
    """Refused credentials are an AuthenticationError naming the connection, never the secret."""
    if subject.no_credentials:
        pytest.skip(subject.no_credentials)
    wrong = "Wrong-Secret-4242"
    with pytest.raises(AuthenticationError) as caught:
        subject.connector(password=wrong).fetch(subject.obj, ["1"])
    message = str(caught.value)
    assert f"'{subject.name}_default'" in message or subject.name in message.lower()
    assert wrong not in message and (subject.secret is None or subject.secret not in message)
    assert subject.connector().check()  # the right credentials pass the connection test
