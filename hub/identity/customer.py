"""The 360° view of one customer: its golden record, every record of it in every system, its people (for
an organisation), open tickets, orders, invoices and amounts due, marketing consent, and the syncs that
last wrote it. Built from the last identity resolution (`hub.identity.run`) and the sync state; `hub
customer` prints it, as text, JSON, or an HTML page in the reports' style."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hub.identity import PARTIES, normalize
from hub.identity.store import IdentityStore
from hub.state import StateStore
from hub.state.tables import xref

OPEN_TICKETS = frozenset({"new", "open", "pending", "on_hold"})
RECENT_RUNS = 10


def find(store: IdentityStore, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Golden records a search names: a record key, hub id or golden id exactly, else every word of
    the query (a name's words, an e-mail, a phone number in any format) in its search text."""
    for entity in PARTIES:
        exact = store.golden_of(entity, query.strip())
        if exact is not None:
            found = store.golden(entity, exact)
            return [found] if found else []
    mailbox, phone = normalize.email(query), normalize.phone(query)
    terms = [mailbox] if mailbox else [phone] if phone else normalize.fold(query).split()
    return store.search(terms, limit) if terms else []


def view(state: StateStore, entity: str, golden_id: str, syncs: Collection[str] = ()) -> dict[str, Any]:
    """Everything the hub knows about one customer (`entity` account or contact); `syncs`: the syncs
    whose runs its history lists (those of its entity)."""
    store = IdentityStore(state)
    golden = store.golden(entity, golden_id)
    if golden is None:
        raise KeyError(golden_id)
    members = store.members(entity, [golden_id])
    people = store.people_of(golden_id) if entity == "account" else []
    activity = store.activity(
        accounts=[golden_id] if entity == "account" else [],
        contacts=[p["golden_id"] for p in people] if entity == "account" else [golden_id],
    )
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in activity:
        by_kind[row["entity"]].append({"key": row["key"], "systems": row["systems"], **row["record"]})
    invoices = by_kind["invoice"]
    return {
        "entity": entity,
        "golden_id": golden_id,
        "name": display_name(golden["record"]),
        "record": golden["record"],
        "sources": golden["sources"],
        "systems": sorted({m["system"] for m in members}),
        "records": [
            {
                "system": m["system"],
                "id": m["external_id"],
                "hub_id": m["hub_id"],
                "updated": m["updated"],
                "record": m["record"],
            }
            for m in members
        ],
        "links": golden["links"],
        "people": _people(people),
        "tickets": by_kind["ticket"],
        "open_tickets": sum(1 for t in by_kind["ticket"] if t.get("status") in OPEN_TICKETS),
        "orders": by_kind["sales_order"],
        "invoices": invoices,
        "amount_due": _due(invoices),
        "marketing": by_kind["marketing_member"],
        "sync_history": _history(state, entity, [m["hub_id"] for m in members if m["hub_id"]], syncs),
        "resolved_at": golden["resolved_at"],
    }


def display_name(record: dict[str, Any]) -> str:
    if record.get("name"):
        return str(record["name"])
    return " ".join(str(record[k]) for k in ("first_name", "last_name") if record.get(k)) or "(no name)"


def _people(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "golden_id": golden["golden_id"],
            "name": display_name(golden["record"]),
            "email": golden["record"].get("email"),
            "phone": golden["record"].get("phone") or golden["record"].get("mobile"),
            "title": golden["record"].get("title"),
            "records": golden["members"],
        }
        for golden in people
    ]


def _due(invoices: list[dict[str, Any]]) -> dict[str, str]:
    """What the customer owes, per currency: the amounts due of its posted invoices."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in invoices:
        if invoice.get("status") != "posted" or invoice.get("amount_due") in (None, ""):
            continue
        try:
            totals[str(invoice.get("currency") or "")] += Decimal(str(invoice["amount_due"]))
        except InvalidOperation:
            continue
    return {currency: f"{amount:.2f}" for currency, amount in sorted(totals.items()) if amount}


def _history(state: StateStore, entity: str, hub_ids: list[str], syncs: Collection[str]) -> dict[str, Any]:
    """When the hub last wrote or read each of the customer's records, and the latest runs of `syncs`."""
    written = []
    if hub_ids:
        query = (
            select(xref.c.system, xref.c.external_id, xref.c.updated_at, xref.c.deleted)
            .where(xref.c.entity == entity, xref.c.hub_id.in_(sorted(set(hub_ids))))
            .order_by(xref.c.updated_at.desc())
        )
        with state.engine.connect() as conn:
            written = [
                {"system": s, "id": i, "synced_at": at, "deleted": bool(d)}
                for s, i, at, d in conn.execute(query)
            ]
    runs = [
        {
            "sync": r.sync,
            "kind": r.kind,
            "started_at": r.started_at,
            "status": r.status,
            "read": r.counts.get("read"),
            "written": (r.counts.get("created") or 0) + (r.counts.get("updated") or 0),
        }
        for r in state.runs(limit=200)
        if r.kind == "sync"
    ]
    return {"records": written, "runs": [r for r in runs if r["sync"] in syncs][:RECENT_RUNS]}


def write_page(view_doc: dict[str, Any], folder: Path) -> Path:
    """The customer's HTML page, in the reports' style, under `folder`; returns its path."""
    from hub.report import render_customer

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{view_doc['entity']}-{_safe(view_doc['golden_id'])}.html"
    path.write_text(render_customer(view_doc), encoding="utf-8")
    return path


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)
