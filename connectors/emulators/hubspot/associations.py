"""HubSpot's associations (CRM v4) as the emulator keeps them: labelled links between two records.

    PUT    /crm/v4/objects/{type}/{id}/associations/default/{toType}/{toId}   the default (unlabelled) link
    PUT    /crm/v4/objects/{type}/{id}/associations/{toType}/{toId}           body: [{associationCategory,
                                                                              associationTypeId}]
    GET    /crm/v4/objects/{type}/{id}/associations/{toType}                  limit ≤ 500, `after` paging
    DELETE /crm/v4/objects/{type}/{id}/associations/{toType}/{toId}           every link between the two
    POST   /crm/v4/associations/{type}/{toType}/batch/{read|create|archive|associate/default}

A link is kept in both directions, as HubSpot shows it from either record; the default link of a pair
has HubSpot's type ids (contact to company 279, company to contact 280, …; a contact's primary
company 1). Ids travel as strings in the v4 bodies, as hubspot-api-client's models type them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.emulators.server import Request, Response

TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5"}
# HubSpot-defined association type ids of the default (unlabelled) link, by (from, to)
DEFAULT_TYPES = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("tickets", "contacts"): 16,
    ("contacts", "tickets"): 15,
    ("tickets", "companies"): 339,
    ("companies", "tickets"): 340,
    ("deals", "tickets"): 27,
    ("tickets", "deals"): 28,
}
PRIMARY = {("contacts", "companies"): 1, ("companies", "contacts"): 2, ("deals", "companies"): 5}
LIST_LIMIT = 500
Error = Callable[..., Response]


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Associations:
    """Every link: (type, id, toType, toId) -> the set of (category, typeId) on that direction."""

    links: dict[tuple[str, str, str, str], set[tuple[str, int]]] = field(default_factory=dict)

    def add(self, kind: str, record: str, to_kind: str, to_record: str, specs: set[tuple[str, int]]) -> None:
        self.links.setdefault((kind, record, to_kind, to_record), set()).update(specs)
        back = {(c, _inverse(kind, to_kind, t)) for c, t in specs}
        self.links.setdefault((to_kind, to_record, kind, record), set()).update(back)

    def remove(self, kind: str, record: str, to_kind: str, to_record: str) -> None:
        self.links.pop((kind, record, to_kind, to_record), None)
        self.links.pop((to_kind, to_record, kind, record), None)

    def of(self, kind: str, record: str, to_kind: str) -> list[dict[str, Any]]:
        """The records `record` links to, in id order, as MultiAssociatedObjectWithLabel."""
        found = [
            (int(k[3]) if k[3].isdigit() else 0, k[3], v)
            for k, v in self.links.items()
            if k[:3] == (kind, record, to_kind) and v
        ]
        return [
            {
                "toObjectId": to_record,
                "associationTypes": [
                    {
                        "category": category,
                        "typeId": type_id,
                        "label": "Primary" if type_id in PRIMARY.values() else None,
                    }
                    for category, type_id in sorted(specs)
                ],
            }
            for _, to_record, specs in sorted(found)
        ]


def linked_kind(kind: str, type_id: Any) -> str | None:
    """The kind of record a HubSpot-defined type id links `kind` to (279 from a contact: a company)."""
    for table in (DEFAULT_TYPES, PRIMARY):
        for (source, target), known in table.items():
            if source == kind and known == type_id:
                return target
    return None


def _inverse(kind: str, to_kind: str, type_id: int) -> int:
    """The type id the same link has seen from the other record."""
    if DEFAULT_TYPES.get((kind, to_kind)) == type_id:
        return DEFAULT_TYPES.get((to_kind, kind), type_id)
    if PRIMARY.get((kind, to_kind)) == type_id:
        return PRIMARY.get((to_kind, kind), type_id)
    return type_id


class AssociationRoutes:
    """The v4 association routes, over the emulator's records (`exists(type, id)`)."""

    def __init__(self, associations: Associations, exists: Callable[[str, str], bool], error: Error) -> None:
        self.associations, self.exists, self.error = associations, exists, error

    def routes(self, types: str) -> list[tuple[str, str, Callable[[Request], Response]]]:
        one = rf"/crm/v4/objects/(?P<type>{types})/(?P<id>[^/]+)/associations"
        batch = rf"/crm/v4/associations/(?P<type>{types})/(?P<to>{types})/batch"
        return [
            ("PUT", one + rf"/default/(?P<to>{types})/(?P<to_id>[^/]+)", self.create_default),
            ("PUT", one + rf"/(?P<to>{types})/(?P<to_id>[^/]+)", self.create),
            ("DELETE", one + rf"/(?P<to>{types})/(?P<to_id>[^/]+)", self.archive),
            ("GET", one + rf"/(?P<to>{types})", self.read),
            ("POST", batch + r"/read", self.batch_read),
            ("POST", batch + r"/create", self.batch_create),
            ("POST", batch + r"/associate/default", self.batch_default),
            ("POST", batch + r"/archive", self.batch_archive),
        ]

    # Single pair --------------------------------------------------------------------------------
    def create_default(self, request: Request) -> Response:
        kind, record, to_kind, to_record = _pair(request)
        missing = self._missing(kind, record, to_kind, to_record)
        if missing is not None:
            return missing
        results = self._default(kind, record, to_kind, to_record)
        return Response.json(
            {"status": "COMPLETE", "results": results, "startedAt": now(), "completedAt": now()}
        )

    def create(self, request: Request) -> Response:
        kind, record, to_kind, to_record = _pair(request)
        missing = self._missing(kind, record, to_kind, to_record)
        if missing is not None:
            return missing
        try:
            specs = _specs(request.json())
        except ValueError as exc:
            return self.error(400, "VALIDATION_ERROR", str(exc))
        self.associations.add(kind, record, to_kind, to_record, specs)
        return Response.json(self._labels(kind, record, to_kind, to_record), 201)

    def archive(self, request: Request) -> Response:
        kind, record, to_kind, to_record = _pair(request)
        self.associations.remove(kind, record, to_kind, to_record)
        return Response.empty(204)

    def read(self, request: Request) -> Response:
        kind, record, to_kind = request.params["type"], request.params["id"], request.params["to"]
        if not self.exists(kind, record):
            return self.error(404, "OBJECT_NOT_FOUND", f"No {kind[:-1]} with ID {record} exists")
        limit = int(request.arg("limit", str(LIST_LIMIT)) or LIST_LIMIT)
        if not 1 <= limit <= LIST_LIMIT:
            return self.error(400, "VALIDATION_ERROR", f"limit must be between 1 and {LIST_LIMIT}")
        start = int(request.arg("after", "0") or 0)
        linked = self.associations.of(kind, record, to_kind)
        body: dict[str, Any] = {"results": linked[start : start + limit]}
        if start + limit < len(linked):
            body["paging"] = {"next": {"after": str(start + limit), "link": ""}}
        return Response.json(body)

    # Batches ------------------------------------------------------------------------------------
    def batch_read(self, request: Request) -> Response:
        kind, to_kind = request.params["type"], request.params["to"]
        inputs = _inputs(request)
        results, missing = [], []
        for item in inputs:
            record = str(item.get("id", ""))
            if not self.exists(kind, record):
                missing.append(record)
                continue
            results.append({"from": {"id": record}, "to": self.associations.of(kind, record, to_kind)})
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": now(),
            "completedAt": now(),
        }
        if missing:
            answer |= {"numErrors": 1, "errors": [_not_found(kind, missing)]}
        return Response.json(answer, 207 if missing else 200)

    def batch_create(self, request: Request) -> Response:
        kind, to_kind = request.params["type"], request.params["to"]
        results = []
        for item in _inputs(request):
            record, to_record = str(item["from"]["id"]), str(item["to"]["id"])
            missing = self._missing(kind, record, to_kind, to_record)
            if missing is not None:
                return missing
            try:
                specs = _specs(item.get("types"))
            except ValueError as exc:
                return self.error(400, "VALIDATION_ERROR", str(exc))
            self.associations.add(kind, record, to_kind, to_record, specs)
            results.append(self._labels(kind, record, to_kind, to_record))
        return Response.json(
            {"status": "COMPLETE", "results": results, "startedAt": now(), "completedAt": now()}, 201
        )

    def batch_default(self, request: Request) -> Response:
        kind, to_kind = request.params["type"], request.params["to"]
        results: list[dict[str, Any]] = []
        for item in _inputs(request):
            record, to_record = str(item["from"]["id"]), str(item["to"]["id"])
            missing = self._missing(kind, record, to_kind, to_record)
            if missing is not None:
                return missing
            results += self._default(kind, record, to_kind, to_record)
        return Response.json(
            {"status": "COMPLETE", "results": results, "startedAt": now(), "completedAt": now()}
        )

    def batch_archive(self, request: Request) -> Response:
        kind, to_kind = request.params["type"], request.params["to"]
        for item in _inputs(request):
            for target in item.get("to") or []:
                self.associations.remove(kind, str(item["from"]["id"]), to_kind, str(target["id"]))
        return Response.empty(204)

    # Helpers ------------------------------------------------------------------------------------
    def _missing(self, kind: str, record: str, to_kind: str, to_record: str) -> Response | None:
        for which, key in ((kind, record), (to_kind, to_record)):
            if not self.exists(which, key):
                return self.error(404, "OBJECT_NOT_FOUND", f"No {which[:-1]} with ID {key} exists")
        return None

    def _default(self, kind: str, record: str, to_kind: str, to_record: str) -> list[dict[str, Any]]:
        type_id = DEFAULT_TYPES.get((kind, to_kind), 1)
        self.associations.add(kind, record, to_kind, to_record, {("HUBSPOT_DEFINED", type_id)})
        spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
        back = {
            "associationCategory": "HUBSPOT_DEFINED",
            "associationTypeId": _inverse(kind, to_kind, type_id),
        }
        return [
            {"from": {"id": record}, "to": {"id": to_record}, "associationSpec": spec},
            {"from": {"id": to_record}, "to": {"id": record}, "associationSpec": back},
        ]

    def _labels(self, kind: str, record: str, to_kind: str, to_record: str) -> dict[str, Any]:
        return {
            "fromObjectTypeId": TYPE_IDS[kind],
            "fromObjectId": record,
            "toObjectTypeId": TYPE_IDS[to_kind],
            "toObjectId": to_record,
            "labels": [],
        }


def _pair(request: Request) -> tuple[str, str, str, str]:
    params = request.params
    return params["type"], params["id"], params["to"], params["to_id"]


def _inputs(request: Request) -> list[dict[str, Any]]:
    body = request.json() or {}
    inputs = body.get("inputs") if isinstance(body, dict) else None
    return inputs if isinstance(inputs, list) else []


def _specs(given: Any) -> set[tuple[str, int]]:
    """`[{associationCategory, associationTypeId}]` as a set, checked as HubSpot checks it."""
    if not isinstance(given, list) or not given:
        raise ValueError("Invalid input JSON: at least one association type is required")
    specs = set()
    for spec in given:
        category = spec.get("associationCategory") if isinstance(spec, dict) else None
        type_id = spec.get("associationTypeId") if isinstance(spec, dict) else None
        if category not in ("HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED") or not isinstance(
            type_id, int
        ):
            raise ValueError(f"Invalid association type {spec!r}: associationCategory and associationTypeId")
        specs.add((str(category), type_id))
    return specs


def _not_found(kind: str, ids: list[str]) -> dict[str, Any]:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": f"No {kind[:-1]} with ID {', '.join(ids)} exists",
        "context": {"ids": ids},
    }


__all__ = ["DEFAULT_TYPES", "TYPE_IDS", "AssociationRoutes", "Associations", "linked_kind"]
