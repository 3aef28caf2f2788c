"""`connector_test_class` for a connector outside this repository: the example of `hub.testing`'s
docstring, run by pytest in a project folder of its own over Acme (tests/hub/testing/acme.py, copied
there as `acme_connector`), passes for the correct connector and fails for each broken one."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import hub.testing
from hub.testing import ConnectorTests

pytest_plugins = ["pytester"]

ACME = Path(__file__).with_name("acme.py").read_text(encoding="utf-8")
TESTS = sorted(name for name in vars(ConnectorTests) if name.startswith("test_"))
WINDOW = "test_a_time_window_read_returns_exactly_its_records"  # Acme reads no time windows: skipped


def acme_outcomes(**changed: str) -> dict[str, str]:
    """What each test of a subject over Acme gives: passed, the time-window check skipped, and `changed`."""
    return {test: changed.get(test, "skipped" if test == WINDOW else "passed") for test in TESTS}


def docstring_example() -> str:
    """The test file in hub.testing's docstring, as a user copies it: its first indented block."""
    lines = (hub.testing.__doc__ or "").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("    "))
    end = next(i for i in range(start, len(lines)) if lines[i] and not lines[i].startswith("    "))
    return textwrap.dedent("\n".join(lines[start:end]))


def run_suite(
    pytester: pytest.Pytester, connector: str | None = None, **tests: str
) -> dict[str, pytest.TestReport]:
    """Run the example and `tests` over Acme (with `connector` as AcmeConnector); each test's report."""
    rebound = f"\nAcmeConnector = {connector}\n" if connector else ""
    pytester.makepyfile(acme_connector=ACME + rebound, test_acme=docstring_example(), **tests)
    passed, skipped, failed = pytester.inline_run().listoutcomes()
    return {report.nodeid: report for report in [*passed, *skipped, *failed]}


def outcomes(reports: dict[str, pytest.TestReport], cls: str, subject: str) -> dict[str, str]:
    """Each of the seven tests of one subject of one class, and how it went."""
    prefix, suffix = f"::{cls}::", f"[{subject}]"
    return {
        nodeid.split("::")[-1].removesuffix(suffix): report.outcome
        for nodeid, report in reports.items()
        if prefix in nodeid and nodeid.endswith(suffix)
    }


def test_the_example_passes_over_a_correct_connector(pytester: pytest.Pytester) -> None:
    reports = run_suite(pytester)
    assert len(TESTS) == 7
    assert outcomes(reports, "TestAcme", "acme") == acme_outcomes()
    assert len(reports) == 7
    skip = reports[f"test_acme.py::TestAcme::{WINDOW}[acme]"]
    assert "acme reads no time windows" in str(skip.longrepr)


@pytest.mark.parametrize(
    ("connector", "failing"),
    [
        ("ResultDroppingConnector", {"test_a_mixed_batch_gives_one_result_per_record_in_order"}),
        (
            "TimestampPagingConnector",
            {
                "test_records_sharing_one_timestamp_are_not_lost_at_page_boundaries",
                # its 39 writes share the clock's one time too, so its full read after them loses some
                "test_rate_limit_answers_are_retried_and_counted",
            },
        ),
    ],
    ids=["drops_results", "pages_by_time"],
)
def test_the_suite_fails_a_broken_connector_where_it_is_broken(
    pytester: pytest.Pytester, connector: str, failing: set[str]
) -> None:
    reports = run_suite(pytester, connector)
    assert outcomes(reports, "TestAcme", "acme") == acme_outcomes(**dict.fromkeys(failing, "failed"))


def test_a_subject_named_by_module_is_imported_only_by_its_own_tests(pytester: pytest.Pytester) -> None:
    named = """
        from hub.testing import connector_test_class

        TestNamed = connector_test_class({"named": "test_acme:acme", "gone": "acme_gone:acme"})
    """
    reports = run_suite(pytester, test_named=named)
    assert outcomes(reports, "TestNamed", "named") == acme_outcomes()
    assert outcomes(reports, "TestNamed", "gone") == dict.fromkeys(TESTS, "failed")
    assert all("No module named 'acme_gone'" in r.longreprtext for r in reports.values() if r.failed)
    assert outcomes(reports, "TestAcme", "acme") == acme_outcomes()


def test_a_check_that_does_not_apply_skips_with_the_subject_s_reason(pytester: pytest.Pytester) -> None:
    offline = """
        from contextlib import contextmanager

        import test_acme
        from hub.testing import connector_test_class


        @contextmanager
        def offline(folder):
            with test_acme.acme(folder) as subject:
                subject.no_credentials = "Acme offline trusts every caller"
                yield subject


        TestOffline = connector_test_class({"offline": offline})
    """
    reports = run_suite(pytester, test_offline=offline)
    refused = "test_refused_credentials_are_a_clear_error_without_the_secret"
    assert outcomes(reports, "TestOffline", "offline") == acme_outcomes(**{refused: "skipped"})
    skip = reports[f"test_offline.py::TestOffline::{refused}[offline]"]
    assert "Acme offline trusts every caller" in str(skip.longrepr)
