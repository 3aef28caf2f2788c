"""Probabilistic record linkage of people with Splink (Fellegi–Sunter, on DuckDB).

What deterministic rules cannot link: a record with a private mailbox, a typo in a name, a nickname,
no e-mail at all. Splink compares pairs of records that share a blocking key (the same mailbox, the
same phone number, the same name, the same family name at one company), scores each pair by how
much each field's agreement or disagreement says (m and u probabilities, trained on the records
themselves by expectation maximisation: no labelled pairs are needed), and keeps the pairs whose
match probability reaches the threshold, unless the two name different companies or have different
companies' mailboxes (`VETO`): namesakes at two companies agree on all the model compares of them but
their employers. `hub.identity.resolve` joins those pairs to its clusters.

DuckDB runs it in this process; for more records than one machine holds, Splink runs the same model
on Spark (`splink.backends.spark.SparkAPI` instead of `DuckDBAPI`), or on any engine it supports.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from hub.identity import normalize
from hub.identity.resolve import Candidate
from hub.identity.settings import BLOCKING

VETO = ("email_domain", "account")
"""Columns on which two records that both have a value and differ are never one (`_contradict`)."""
COLUMNS = ("unique_id", "first_name", "last_name", "full_name", "email", "email_domain", "phone", "account")


def features(candidate: Candidate, region: str | None = None) -> dict[str, Any]:
    """A contact's match values as Splink's columns (None where the record says nothing)."""
    values = candidate.values
    given, family = normalize.name(values.get("first_name")), normalize.name(values.get("last_name"))
    phone = normalize.phone(values.get("mobile"), region) or normalize.phone(values.get("phone"), region)
    account = values.get("account")
    email = normalize.email(values.get("email"))
    return {
        "unique_id": candidate.key,
        "first_name": given,
        "last_name": family,
        "full_name": normalize.person(given, family),
        "email": email,
        "email_domain": normalize.domain(email),  # a company's, not a free mail provider's
        "phone": phone,
        "account": str(account) if account else None,
    }


def probable_links(
    candidates: Iterable[Candidate],
    *,
    threshold: float = 0.9999,
    region: str | None = None,
    blocking: Sequence[Sequence[str]] = BLOCKING,
) -> list[tuple[str, str, float]]:
    """Pairs of contacts (record keys) that Splink scores at or above `threshold`, with the score;
    `blocking` (the identity settings') says which pairs it compares."""
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = pd.DataFrame([features(c, region) for c in candidates], columns=list(COLUMNS))
    if len(frame) < 2:
        return []
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.ForenameSurnameComparison(
                "first_name", "last_name", forename_surname_concat_col_name="full_name"
            ),
            cl.EmailComparison("email"),
            cl.ExactMatch("email_domain"),  # two companies' mailboxes: two people, whatever the name
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),  # a switchboard says less
            cl.ExactMatch("account"),
        ],
        blocking_rules_to_generate_predictions=[block_on(*block) for block in blocking],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(frame, settings, db_api=DuckDBAPI())  # type: ignore[arg-type]  # it takes a frame too
    quiet = logging.getLogger("splink")
    level, quiet.level = quiet.level, logging.WARNING
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("email"), block_on("full_name", "account")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=2_000_000, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("full_name"))
        predicted = linker.inference.predict(threshold_match_probability=threshold)
        scored = predicted.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    finally:
        quiet.level = level
    held = {
        str(key): tuple(values)
        for key, *values in frame[["unique_id", *VETO]].itertuples(index=False, name=None)
    }
    return [
        (left, right, float(row.match_probability))
        for row in scored.itertuples(index=False)
        if not _contradict(held[left := str(row.unique_id_l)], held[right := str(row.unique_id_r)])
    ]


def _contradict(left: Sequence[Any], right: Sequence[Any]) -> bool:
    """Whether two records cannot be one person whatever their score (their `VETO` columns): both name
    a company, or both have a company's mailbox, and they differ. Namesakes at two companies score high
    on their names and their mailboxes' names ("anna.dejong@..."), which is all the model sees of them."""
    return any(isinstance(a, str) and isinstance(b, str) and a != b for a, b in zip(left, right, strict=True))
