"""`hub identity resolve|merge|split|explain` and `hub customer SEARCH`: one customer across every system."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hub.cli.base import JsonOption, ProjectOption, StateOption, app, guarded, load, print_json, state_store
from hub.cli.console import err, out, plain_table
from hub.errors import ConfigError
from hub.identity import PARTIES

identity_app = typer.Typer(
    no_args_is_help=True, help="Identity clusters: the same person or organisation in every system."
)
app.add_typer(identity_app, name="identity")
EntityArgument = Annotated[str, typer.Argument(metavar="ENTITY", help="account or contact")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why: kept with the decision.")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who decides (default: HUB_USER or your login).")]


def _entity(entity: str) -> str:
    if entity not in PARTIES:
        raise ConfigError(f"ENTITY {entity!r}: identity resolves {' and '.join(PARTIES)}")
    return entity


def _engine(project: Path, state_url: str | None) -> Any:
    from hub.engine.sync import SyncEngine

    loaded = load(project)
    return SyncEngine(loaded, state_store(loaded.root, state_url))


@identity_app.command("resolve")
def resolve_command(
    entities: Annotated[
        list[str] | None, typer.Argument(metavar="[ENTITY]...", help="account, contact")
    ] = None,
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
    probable: Annotated[
        bool,
        typer.Option("--probable", help="Also link people by Splink's probable pairs (threshold in YAML)."),
    ] = False,
) -> None:
    """Read every person and organisation in every connected system, cluster them, keep golden records."""
    from hub.identity.run import IdentityRun

    def body() -> int:
        wanted = [_entity(e) for e in entities] if entities else list(PARTIES)
        engine = _engine(project, state_url)
        run = IdentityRun(engine, probable=probable, say=(lambda _: None) if as_json else _say)
        result = run.run(wanted)
        engine.store.close()
        if as_json:
            print_json(result.as_dict())
            return 1 if result.skipped else 0
        rows = [
            (
                e.entity,
                f"{sum(e.read.values()):,}",
                len(e.read),
                f"{e.clusters:,}",
                f"{e.in_several:,}",
                e.decisions,
            )
            for e in result.entities
        ]
        out.print(
            plain_table(
                "identity",
                ["entity", "records", "systems", "clusters", "in several systems", "decisions"],
                rows,
            )
        )
        for e in result.entities:
            made = ", ".join(f"{rule} {n:,}" for rule, n in sorted(e.links.items()))
            out.print(f"{e.entity} links: {made or 'none'}", markup=False, highlight=False)
        filed = ", ".join(f"{n:,} {entity}" for entity, n in sorted(result.activity.items()))
        out.print(f"filed under customers: {filed or 'nothing'}; {result.duration_s:.1f} s", markup=False)
        for what, why in result.skipped.items():
            err.print(f"not read: {what}: {why}", markup=False, highlight=False)
        return 1 if result.skipped else 0

    guarded(body)


def _say(text: str) -> None:
    err.print(text, markup=False, highlight=False)


def _record_keys(store: Any, entity: str, refs: list[str]) -> list[str]:
    """Each reference (a record key system:id, a hub id or a golden id) as a record key it stands for."""
    from hub.identity.store import IdentityStore

    keys = []
    identity = IdentityStore(store)
    for ref in refs:
        golden = identity.golden_of(entity, ref)
        if golden is None:
            raise ConfigError(
                f"{ref!r} is no {entity} record the last resolution read (give system:id, a hub id or a "
                "golden id; `hub customer SEARCH` finds them; run `hub identity resolve` first)"
            )
        members = identity.members(entity, [golden])
        exact = [m for m in members if f"{m['system']}:{m['external_id']}" == ref or m["hub_id"] == ref]
        chosen = (exact or members)[0]
        keys.append(f"{chosen['system']}:{chosen['external_id']}")
    return keys


@identity_app.command("merge")
def merge_command(
    entity: EntityArgument,
    records: Annotated[list[str], typer.Argument(metavar="RECORD...", help="system:id, hub id or golden id")],
    reason: ReasonOption,
    by: ByOption = None,
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
) -> None:
    """Make the clusters of these records one; every later resolution keeps them together."""
    if len(records) < 2:
        guarded(lambda: _refuse("merge takes two records or more"))
    _decide(project, state_url, entity, "merge", records, reason, by, "are one " + entity)


def _refuse(message: str) -> int:
    raise ConfigError(message)


def _decide(
    project: Path,
    state_url: str | None,
    entity: str,
    action: str,
    records: list[str],
    reason: str,
    by: str | None,
    said: str,
) -> None:
    """Record a merge or split of `records` (each as the record key it stands for) and say so."""
    from hub.identity.store import IdentityStore

    def body() -> int:
        store = state_store(load(project).root, state_url)
        keys = _record_keys(store, _entity(entity), records)
        decision = IdentityStore(store).decide(entity, action, keys, reason, by)
        out.print(
            f"decision #{decision.id}: {' + '.join(keys)} {said} (by {decision.decided_by}); "
            "`hub identity resolve` applies it",
            markup=False,
            highlight=False,
        )
        return 0

    guarded(body)


@identity_app.command("split")
def split_command(
    entity: EntityArgument,
    record: Annotated[str, typer.Argument(metavar="RECORD", help="system:id or hub id")],
    reason: ReasonOption,
    by: ByOption = None,
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
) -> None:
    """Take a record (with the records a sync linked to it) out of its cluster; no rule joins it again."""
    _decide(project, state_url, entity, "split", [record], reason, by, "stands apart")


@identity_app.command("explain")
def explain_command(
    entity: EntityArgument,
    record: Annotated[str, typer.Argument(metavar="RECORD", help="system:id, hub id or golden id")],
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Why a record is in its cluster: the links and the rules that made them, the decisions by hand,
    and where each value of the golden record came from."""
    from hub.identity.store import IdentityStore

    def body() -> int:
        store = state_store(load(project).root, state_url)
        identity = IdentityStore(store)
        golden_id = identity.golden_of(_entity(entity), record)
        if golden_id is None:
            raise ConfigError(f"{record!r} is in no {entity} cluster; run `hub identity resolve` first")
        golden = identity.golden(entity, golden_id) or {}
        members = identity.members(entity, [golden_id])
        keys = {f"{m['system']}:{m['external_id']}" for m in members}
        decisions = [d.as_dict() for d in identity.decisions(entity) if keys & set(d.records)]
        doc = {
            "entity": entity,
            "golden_id": golden_id,
            "records": sorted(keys),
            "links": golden.get("links", []),
            "decisions": decisions,
            "golden": golden.get("record", {}),
            "sources": golden.get("sources", {}),
        }
        if as_json:
            print_json(doc)
            return 0
        out.print(f"{entity} {golden_id}: {len(keys)} records", markup=False, highlight=False)
        out.print(plain_table("links", ["rule", "record", "record"], [tuple(link) for link in doc["links"]]))
        if decisions:
            rows = [
                (
                    d["id"],
                    d["action"],
                    " + ".join(d["records"]),
                    d["decided_by"],
                    d["decided_at"],
                    d["reason"],
                )
                for d in decisions
            ]
            out.print(plain_table("decisions by hand", ["#", "action", "records", "by", "when", "why"], rows))
        chosen = [
            (
                name,
                _short(value),
                f"{doc['sources'][name]['system']}:{doc['sources'][name]['id']}",
                doc["sources"][name]["rule"],
            )
            for name, value in doc["golden"].items()
        ]
        out.print(plain_table("golden record", ["field", "value", "from", "rule"], chosen))
        return 0

    guarded(body)


@app.command()
def customer(
    search: Annotated[
        str, typer.Argument(metavar="SEARCH", help="A name, e-mail, phone, or any system's id")
    ],
    project: ProjectOption = Path("."),
    state_url: StateOption = None,
    as_json: JsonOption = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the customer's HTML page in this folder.")
    ] = None,
) -> None:
    """The 360° view of a customer: the golden record, every linked record in every system, tickets,
    orders, invoices and amounts due, marketing consent, and recent sync history (exit 1: none found)."""
    from hub.identity.customer import find, view, write_page
    from hub.identity.store import IdentityStore

    def body() -> int:
        loaded = load(project)
        store = state_store(loaded.root, state_url)
        identity = IdentityStore(store)
        if not identity.resolved():
            raise ConfigError(
                "no identity resolution has run on this state store: run `hub identity resolve`"
            )
        found = find(identity, search)
        if len(found) != 1:
            return _choices(search, found, as_json)
        entity, golden_id = found[0]["entity"], found[0]["golden_id"]
        syncs = [name for name, spec in loaded.syncs.items() if spec.entity == entity]
        doc = view(store, entity, golden_id, syncs)
        if html is not None:
            doc["page"] = str(write_page(doc, html if html.is_absolute() else loaded.root / html))
        if as_json:
            print_json(doc)
        else:
            print_view(doc)
        return 0

    guarded(body)


def _choices(search: str, found: list[dict[str, Any]], as_json: bool) -> int:
    from hub.identity.customer import display_name

    rows = [(f["entity"], f["golden_id"], display_name(f["record"]), f["members"]) for f in found]
    if as_json:
        print_json(
            {
                "search": search,
                "matches": [
                    dict(zip(("entity", "golden_id", "name", "records"), r, strict=True)) for r in rows
                ],
            }
        )
    elif rows:
        out.print(
            plain_table(
                f"{len(rows)} customers match {search!r}: give one's golden id",
                ["entity", "golden id", "name", "records"],
                rows,
            )
        )
    else:
        err.print(f"no customer matches {search!r}", markup=False, highlight=False)
    return 1 if not rows else 0


def print_view(doc: dict[str, Any]) -> None:
    """The 360° view as text."""
    out.print(
        f"[bold]{doc['name']}[/] ({doc['entity']} {doc['golden_id']}): {len(doc['records'])} records in "
        f"{len(doc['systems'])} systems: {', '.join(doc['systems'])}",
        highlight=False,
    )
    rows = [
        (name, _short(value), f"{doc['sources'][name]['system']}", doc["sources"][name]["rule"])
        for name, value in doc["record"].items()
        if name != "updated_at"
    ]
    out.print(plain_table("golden record", ["field", "value", "from", "rule"], rows))
    out.print(
        plain_table(
            "in every system",
            ["system", "id", "hub id", "changed"],
            [(r["system"], r["id"], r["hub_id"] or "", r["updated"] or "") for r in doc["records"]],
        )
    )
    if doc["entity"] == "account":
        people = [(p["name"], p["email"] or "", p["phone"] or "", p["records"]) for p in doc["people"][:10]]
        more = f" (first 10 of {len(doc['people'])})" if len(doc["people"]) > 10 else ""
        out.print(plain_table(f"people{more}", ["name", "e-mail", "phone", "records"], people))
    due = ", ".join(f"{amount} {currency}" for currency, amount in doc["amount_due"].items()) or "nothing"
    consent = ", ".join(f"{m['email']}: {m['status']}" for m in doc["marketing"][:5]) or "on no list"
    out.print(
        f"tickets: {len(doc['tickets'])} ({doc['open_tickets']} open) · orders: {len(doc['orders'])} · "
        f"invoices: {len(doc['invoices'])}, due {due} · marketing: {consent}",
        markup=False,
        highlight=False,
    )
    runs = [
        (r["sync"], r["started_at"], r["status"], r["read"], r["written"])
        for r in doc["sync_history"]["runs"][:5]
    ]
    if runs:
        out.print(plain_table("recent syncs", ["sync", "started", "status", "read", "written"], runs))
    if doc.get("page"):
        out.print(f"page: {doc['page']}", markup=False, highlight=False)


def _short(value: Any, width: int = 60) -> str:
    from hub.report import cell

    text = cell(value)
    return text if len(text) <= width else text[: width - 1] + "…"
