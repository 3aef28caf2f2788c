"""The shared connector test kit, over every connector and its emulator (see tests/connectors/kit.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.errors import AuthenticationError
from tests.connectors.kit import SUBJECTS, Subject, just_before, open_subject, read_ids


@pytest.fixture(params=sorted(SUBJECTS))
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    with open_subject(request.param, tmp_path) as made:
        yield made


def test_a_full_read_returns_every_record_once(subject: Subject) -> None:
    made = set()
    for i in range(subject.page * 2 + 3):
        made.add(subject.create(i))
        subject.advance(1)
    ids = read_ids(subject.connector(), subject.obj, None, subject.page)
    assert len(ids) == len(set(ids))
    assert made <= set(ids)


def test_an_incremental_read_after_edits_returns_exactly_the_edited(subject: Subject) -> None:
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


def test_records_sharing_one_timestamp_are_not_lost_at_page_boundaries(subject: Subject) -> None:
    subject.advance(3600)
    same = {subject.create(i) for i in range(subject.page * 2 + subject.page // 2)}  # the clock stands still
    ids = read_ids(subject.connector(), subject.obj, just_before(subject.clock.now), subject.page)
    assert len(ids) == len(set(ids))
    assert set(ids) == same


def test_a_mixed_batch_gives_one_result_per_record_in_order(subject: Subject) -> None:
    pattern = [True, False, True, True, False, True, False, True]
    ops = [subject.op(i, valid) for i, valid in enumerate(pattern)]
    results = subject.connector().write(subject.obj, ops)
    assert [r.ok for r in results] == pattern
    assert all(r.error is not None and r.error.message for r in results if not r.ok)
    written = {str(r.id) for r in results if r.ok}
    assert len(written) == pattern.count(True) and written <= subject.stored()
    fetched = subject.connector().fetch(subject.obj, sorted(written))
    assert {subject.connector().record_id(subject.obj, r) for r in fetched} == written


def test_rate_limit_answers_are_retried_and_counted(subject: Subject) -> None:
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


def test_refused_credentials_are_a_clear_error_without_the_secret(subject: Subject) -> None:
    if subject.no_credentials:
        pytest.skip(subject.no_credentials)
    wrong = "Wrong-Secret-4242"
    with pytest.raises(AuthenticationError) as caught:
        subject.connector(password=wrong).fetch(subject.obj, ["1"])
    message = str(caught.value)
    assert f"'{subject.name}_default'" in message or subject.name in message.lower()
    assert wrong not in message and (subject.secret is None or subject.secret not in message)
    assert subject.connector().check()  # the right credentials pass the connection test
