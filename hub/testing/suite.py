"""The seven checks as a pytest test class, parametrised over a connector's subjects."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from hub.testing import checks
from hub.testing.subject import Subject, SubjectFactory, open_subject


class ConnectorTests:
    """The seven tests over a `subject` fixture; `connector_test_class` gives it its subjects."""

    def test_a_full_read_returns_every_record_once(self, subject: Subject) -> None:
        checks.check_full_read(subject)

    def test_an_incremental_read_after_edits_returns_exactly_the_edited(self, subject: Subject) -> None:
        checks.check_incremental_read(subject)

    def test_records_sharing_one_timestamp_are_not_lost_at_page_boundaries(self, subject: Subject) -> None:
        checks.check_shared_timestamps(subject)

    def test_a_time_window_read_returns_exactly_its_records(self, subject: Subject) -> None:
        checks.check_time_window(subject)

    def test_a_mixed_batch_gives_one_result_per_record_in_order(self, subject: Subject) -> None:
        checks.check_mixed_batch(subject)

    def test_rate_limit_answers_are_retried_and_counted(self, subject: Subject) -> None:
        checks.check_rate_limit_retries(subject)

    def test_refused_credentials_are_a_clear_error_without_the_secret(self, subject: Subject) -> None:
        checks.check_refused_credentials(subject)


def connector_test_class(subjects: Mapping[str, SubjectFactory | str]) -> type[ConnectorTests]:
    """A pytest test class running the seven checks over each subject, the subject's name as test id.

    A subject is a factory (`Callable[[Path], ContextManager[Subject]]`, given a fresh folder per
    test) or a `"module:function"` naming one, imported only when a test opens it: a subject whose
    module does not import fails its own tests and no others. Bind the class to a `Test…` name:

        TestAcme = connector_test_class({"acme": acme_subject})
    """
    factories = dict(subjects)

    class ConnectorTestsOverSubjects(ConnectorTests):
        @pytest.fixture(params=sorted(factories))
        def subject(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
            with open_subject(factories[request.param], tmp_path) as made:
                yield made

    return ConnectorTestsOverSubjects
