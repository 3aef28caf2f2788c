"""The state tables (SQLAlchemy Core): cursors, cross-references, runs, quarantine and locks."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hub.state.locks import lock_table

metadata = MetaData()
SYSTEM_LENGTH = 200
"""A system instance's key: `salesforce`, or `salesforce@salesforce_eu` (hub.project.loading.Endpoint)."""
KEYED_BY_INSTANCE = ("hub_cursors", "hub_xref", "hub_quarantine")
"""The tables whose `system` column holds a system instance."""
HUB_INDEX = "uq_hub_xref_hub_system"
OLD_HUB_INDEXES = ("uq_hub_xref_hub", "ix_hub_xref_hub")
"""What 0.2 and before kept instead of HUB_INDEX: a unique (entity, system, hub_id) and an index on
(entity, hub_id); one index less to keep up makes every cross-reference written cheaper."""

cursors = Table(
    "hub_cursors",
    metadata,
    Column("sync", String(200), primary_key=True),
    Column("system", String(SYSTEM_LENGTH), primary_key=True),
    Column("object", String(200), primary_key=True),
    Column("value", String(64), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

xref = Table(
    "hub_xref",
    metadata,
    Column("entity", String(50), primary_key=True),
    Column("system", String(SYSTEM_LENGTH), primary_key=True),
    Column("external_id", String(255), primary_key=True),
    Column("hub_id", String(36), nullable=False),
    Column("last_hash", String(32)),
    Column("last_modified", String(40)),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("updated_at", String(40), nullable=False),
    # one hub record has one record per system; the same index finds a hub record's in every system
    UniqueConstraint("entity", "hub_id", "system", name=HUB_INDEX),
)

runs = Table(
    "hub_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("sync", String(200), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("started_at", String(40), nullable=False, index=True),
    Column("finished_at", String(40)),
    Column("status", String(20), nullable=False),
    Column("counts", JSON, nullable=False, default=dict),
    Column("api_calls", JSON, nullable=False, default=dict),
    Column("details", JSON, nullable=False, default=dict),
    Column("error", Text),
)

quarantine = Table(
    "hub_quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sync", String(200), nullable=False),
    Column("system", String(SYSTEM_LENGTH), nullable=False),
    Column("object", String(200), nullable=False),
    Column("record_id", String(255), nullable=False),
    Column("run_id", String(36), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("record", JSON),
    Column("errors", JSON, nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("status", String(10), nullable=False, default="open"),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    UniqueConstraint("sync", "system", "record_id", name="uq_hub_quarantine_record"),
)
Index("ix_hub_quarantine_status", quarantine.c.sync, quarantine.c.status)
identity_keys = Table(
    "hub_identity_keys",
    metadata,
    Column("entity", String(50), primary_key=True),
    Column("key", String(400), primary_key=True),  # "rule: value / value" (hub.identity.resolve.Rule)
    Column("hub_id", String(36), nullable=False),
    Column("updated_at", String(40), nullable=False),
)
"""The identity keys of hub records (syncs with `identity: true`): the first hub record a key was met
on keeps it, and a record met later with that key joins that hub record."""

identity_records = Table(
    "hub_identity_records",
    metadata,
    Column("entity", String(50), primary_key=True),
    Column("system", String(SYSTEM_LENGTH), primary_key=True),
    Column("external_id", String(255), primary_key=True),
    Column("hub_id", String(36)),
    Column("golden_id", String(300), nullable=False),
    Column("updated", String(40)),  # when the record last changed in its system
    Column("record", JSON, nullable=False),  # its canonical values
    Column("resolved_at", String(40), nullable=False),
)
Index("ix_hub_identity_records_golden", identity_records.c.entity, identity_records.c.golden_id)
Index("ix_hub_identity_records_hub", identity_records.c.entity, identity_records.c.hub_id)
"""Every person and organisation record the last identity resolution read, in every system, with the
cluster (golden id) it belongs to (`hub.identity.run`)."""

identity_golden = Table(
    "hub_identity_golden",
    metadata,
    Column("entity", String(50), primary_key=True),
    Column("golden_id", String(300), primary_key=True),
    Column("record", JSON, nullable=False),  # the surviving canonical values
    Column("sources", JSON, nullable=False),  # field -> {system, id, updated, rule}
    Column("links", JSON, nullable=False),  # [rule, record key, record key]: what joined the cluster
    Column("members", Integer, nullable=False),
    Column("account", String(300)),  # a person's: the golden id of the organisation its record names
    Column("search", Text, nullable=False),  # folded names, mailboxes, phones and ids, for `hub customer`
    Column("resolved_at", String(40), nullable=False),
)
Index("ix_hub_identity_golden_account", identity_golden.c.entity, identity_golden.c.account)
"""Each cluster's golden record, and where every chosen value came from (survivorship)."""

identity_decisions = Table(
    "hub_identity_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(50), nullable=False, index=True),
    Column("action", String(10), nullable=False),  # merge | split
    Column("records", JSON, nullable=False),  # record keys (system:id)
    Column("decided_by", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_at", String(40), nullable=False),
)
"""Merges and splits made by hand (`hub identity merge|split`): every resolution applies them, in order."""

identity_activity = Table(
    "hub_identity_activity",
    metadata,
    Column("entity", String(50), primary_key=True),  # ticket, sales_order, invoice, marketing_member
    Column("key", String(300), primary_key=True),  # its hub id, or system:id when the hub never linked it
    Column("systems", JSON, nullable=False),  # [system:id, ...]
    Column("account", String(300), index=True),  # golden id of the organisation it belongs to
    Column("contact", String(300), index=True),  # golden id of the person
    Column("record", JSON, nullable=False),  # the canonical values the 360° view shows
    Column("resolved_at", String(40), nullable=False),
)
"""What customers have in every system (tickets, orders, invoices, marketing consent), by cluster."""

alerts = Table(
    "hub_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sync", String(200), nullable=False, index=True),
    Column("run_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),  # the run's: sync or reconcile
    Column("metric", String(40), nullable=False),
    Column("value", Float, nullable=False),
    Column("median", Float, nullable=False),
    Column("deviation", Float, nullable=False),
    Column("score", Float),  # None: the history never moved
    Column("baseline", String(10), nullable=False),
    Column("runs", Integer, nullable=False),
    Column("message", Text, nullable=False),
    Column("status", String(12), nullable=False, default="open"),
    Column("created_at", String(40), nullable=False),
)
"""Drift found in a run's volumes against its sync's history (`hub.ops.drift`)."""

locks = lock_table(metadata)

actions = Table(
    "hub_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(20), nullable=False),  # retry, override, ignore, heal
    Column("sync", String(200), nullable=False, index=True),
    Column(
        "target", Text, nullable=False
    ),  # what it was done to: a quarantine entry, a reason's group, a report
    Column("reason", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("detail", JSON, nullable=False),
)
"""Every action ops took from the console: who, when, what, why, and what came of it."""

overrides = Table(
    "hub_overrides",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sync", String(200), nullable=False),
    Column("system", String(SYSTEM_LENGTH), nullable=False),
    Column("record_id", String(255), nullable=False),
    Column("field", String(200), nullable=False),
    Column("value", JSON),  # the canonical value ops set
    Column(
        "replaced", JSON
    ),  # the value the source's record mapped to then: the override stands while it does
    Column("status", String(10), nullable=False, default="active"),  # active, lapsed
    Column("actor", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)
Index("ix_hub_overrides_record", overrides.c.sync, overrides.c.system, overrides.c.record_id)
