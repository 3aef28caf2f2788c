"""The sandbox `hub sandbox serve` starts: every emulator seeded as the demo seeds it, at a scale."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.emulators.sandbox import DEMO_SCALE, Sandbox, demo_scale


def test_the_demo_scale_shrinks_every_kind_but_the_departments() -> None:
    assert demo_scale() == DEMO_SCALE
    tenth = demo_scale(0.1)
    assert tenth == {
        "accounts": 200,
        "contacts": 1000,
        "customers": 15,
        "orders": 30,
        "departments": 8,
        "employees": 15,
        "netsuite_customers": 4,
    }
    assert demo_scale(0.0001)["orders"] == 1 and demo_scale(0)["orders"] == 0
    assert demo_scale(0.1, accounts=7, contacts=None)["accounts"] == 7
    assert demo_scale(0.1, accounts=7, contacts=None)["contacts"] == 1000


def test_every_emulator_is_seeded_as_the_demo_seeds_it(tmp_path: Path) -> None:
    scale = demo_scale(0.02)
    with Sandbox.start(folder=tmp_path / "sandbox", scale=scale, seed=7) as sandbox:
        apps = sandbox.apps
        assert len(apps["salesforce"].records("Account")) == scale["accounts"] == 40
        assert len(apps["salesforce"].records("Contact")) == scale["contacts"] == 200
        assert len(apps["hubspot"].records("companies")) == scale["accounts"]
        assert 0.95 * scale["contacts"] <= len(apps["mailchimp"].records()) <= scale["contacts"]  # valid ones
        assert len(apps["zendesk"].records("users")) > 0 and len(apps["zendesk"].records("tickets")) > 0
        assert (
            len(apps["freshdesk"].records("contacts")) > 0 and len(apps["freshdesk"].records("tickets")) > 0
        )
        # The back office, which a sandbox seeded with accounts and contacts alone left empty
        odoo = apps["odoo"]
        assert len(odoo.records("sale.order")) == scale["orders"] == 6
        assert len(odoo.records("product.product")) > 0 and len(odoo.records("account.move")) > 0
        assert len(odoo.records("hr.department")) >= scale["departments"]
        assert len(apps["bamboohr"].records()) == scale["employees"] == 3
        assert len(apps["netsuite"].records("customer")) == scale["netsuite_customers"] == 1
        payments = list((tmp_path / "sandbox" / "files" / "payments").glob("*.csv"))
        assert payments and payments[0].read_text().count("\n") > 1


@pytest.mark.parametrize("factor", [-1.0])
def test_a_negative_scale_is_no_scale(factor: float) -> None:
    assert all(count in (0, 8) for count in demo_scale(factor).values())


def test_sandbox_connections_tell_the_hub_the_rate_each_emulator_really_holds_it_to() -> None:
    """The hub's API budget assumes a vendor's documented rate unless the connection says otherwise:
    an emulator that enforces none says `none`, one with a burst limit says it, and the sandbox's
    Freshdesk advertises a lifted limit in its headers, so a sandbox is never slowed to a live plan."""
    from connectors.emulators.freshdesk import FreshdeskEmulator
    from connectors.emulators.hubspot import HubSpotEmulator
    from hub.io.budget import RateLimit

    assert FreshdeskEmulator().connection("http://x")["extra"]["rate_limit"] == "none"
    limited = HubSpotEmulator(burst_limit=90, burst_interval_ms=10_000).connection("http://x")
    assert RateLimit.parse(limited["extra"]["rate_limit"]) == RateLimit(90, 10)
    sandbox = FreshdeskEmulator()
    sandbox.seed_sandbox({"accounts": 2, "contacts": 5}, 1)
    assert sandbox.account_limit > FreshdeskEmulator().account_limit
