"""`MailchimpEmulator`: Mailchimp Marketing API v3 list members over in-memory audiences.

    >>> from connectors.emulators.mailchimp import MailchimpEmulator
    >>> from connectors.emulators.server import EmulatorServer
    >>> mailchimp = MailchimpEmulator()                 # one audience, MailchimpEmulator.LIST_ID
    >>> with EmulatorServer(mailchimp) as server:       # GET {server.url}/3.0/lists/{id}/members
    ...     member_id = mailchimp.create("ada@example.com")

Routes: `GET /3.0/ping`, `GET /3.0/lists` and `/3.0/lists/{list_id}` (how code finds its audience),
`GET /3.0/lists/{list_id}/merge-fields` and `…/merge-fields/{merge_id}` (the audience's merge fields),
`GET|POST /3.0/lists/{list_id}/members`, `GET|PUT|PATCH|DELETE /3.0/lists/{list_id}/members/
{subscriber_hash}` (POST refuses a member already there, 400 "Member Exists"; DELETE archives),
`…/actions/delete-permanent`, the synchronous batch `POST /3.0/lists/{list_id}` (up to 500 members)
and batch operations `/3.0/batches` (see `batches`). Auth as
Mailchimp: HTTP Basic with any username and the API key as password, `Authorization: apikey KEY`, or
an OAuth token as `Bearer`/`OAuth`. Throttling answers 429 `TooManyRequests` (no Retry-After), both
under fault injection and when more than 10 requests are in flight at once.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import Message
from typing import Any

from connectors.emulators.mailchimp.batches import BatchOperations
from connectors.emulators.mailchimp.errors import (
    SHAPELESS_EMAIL,
    MailchimpProblem,
    invalid_resource,
    member_exists,
    problem,
)
from connectors.emulators.mailchimp.errors import not_found as resource_not_found
from connectors.emulators.mailchimp.members import (
    Audience,
    Member,
    mailchimp_time,
    subscriber_hash,
    valid_email,
)
from connectors.emulators.seed import generate_companies, generate_people
from connectors.emulators.server import EmulatorApp, Request, Response, basic_credentials

Clock = Callable[[], datetime]
BATCH_LIMIT = 500
PAGE_LIMIT = 1000
CONNECTION_LIMIT = 10
LIST = r"/3.0/lists/(?P<list_id>[A-Za-z0-9]+)"


def utc_now() -> datetime:
    return datetime.now(UTC)


class MailchimpEmulator(EmulatorApp):
    """Mailchimp's list-member endpoints, with its auth, errors, limits and consent rules."""

    system = "mailchimp"
    LIST_ID = "a1b2c3d4e5"
    API_KEY = "0123456789abcdef0123456789abcdef-us6"

    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        oauth_tokens: tuple[str, ...] = (),
        list_ids: tuple[str, ...] = (LIST_ID,),
        clock: Clock | None = None,
        fault_rate: float = 0.0,
        fault_kinds: tuple[str, ...] = ("rate_limit",),
        latency_ms: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__(fault_rate=fault_rate, fault_kinds=fault_kinds, latency_ms=latency_ms, seed=seed)
        self.api_key, self.oauth_tokens = api_key, set(oauth_tokens)
        self.clock: Clock = clock or utc_now
        self.audiences = {list_id: Audience(list_id, self._now) for list_id in list_ids}
        self.max_connections = CONNECTION_LIMIT
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()
        self.route("GET", r"/3.0/ping", self._ping)
        self.route("GET", LIST + r"/members", self._list_members)
        self.route("GET", LIST + r"/merge-fields", self._list_merge_fields)
        self.route("GET", LIST + r"/merge-fields/(?P<merge_id>[0-9]+)", self._get_merge_field)
        self.route("GET", LIST + r"/members/(?P<member>[^/]+)", self._get_member)
        self.route("PUT", LIST + r"/members/(?P<member>[^/]+)", self._put_member)
        self.route("POST", LIST, self._batch)
        self.route("GET", r"/3.0/lists", self._lists)
        self.route("GET", LIST, self._list)
        self.route("POST", LIST + r"/members", self._add_member)
        self.route("PATCH", LIST + r"/members/(?P<member>[^/]+)", self._patch_member)
        self.route("DELETE", LIST + r"/members/(?P<member>[^/]+)", self._archive_member)
        self.route("POST", LIST + r"/members/(?P<member>[^/]+)/actions/delete-permanent", self._delete_member)
        self.batches = BatchOperations(self._run_operation)
        self.route("POST", r"/3.0/batches", self.batches.submit)
        self.route("GET", r"/3.0/batches", self.batches.listing)
        self.route("GET", r"/3.0/batches/(?P<batch_id>[a-z0-9]+)", self.batches.status)
        self.route("DELETE", r"/3.0/batches/(?P<batch_id>[a-z0-9]+)", self.batches.delete)
        self.route("GET", r"/batch-results/(?P<batch_id>[a-z0-9]+)\.tar\.gz", self.batches.results)

    def _now(self) -> datetime:
        return self.clock()

    # ---- in-process helpers (tests, demo) ----

    def connection(self, base_url: str, ca_bundle: str | None = None) -> dict[str, Any]:
        """The sandbox connection: any login, the API key as password."""
        return {**super().connection(base_url, ca_bundle), "login": "anystring", "password": self.api_key}

    def records(self, list_id: str | None = None) -> list[Member]:
        """Every member of a list (default: the first), by subscriber hash."""
        with self.lock:
            members = self._audience(list_id).members
            return [dict(members[key]) for key in sorted(members)]

    def create(
        self,
        email: str,
        *,
        status: str = "subscribed",
        merge_fields: dict[str, Any] | None = None,
        list_id: str | None = None,
    ) -> str:
        """Add a member as a sign-up form would; returns its subscriber hash."""
        body = {"email_address": email, "status": status, "merge_fields": merge_fields or {}}
        with self.lock:
            member, _ = self._audience(list_id).upsert(body)
            return str(member["id"])

    def add_merge_field(
        self, tag: str, name: str, kind: str = "text", *, list_id: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """Add a merge field to an audience as its owner would in Mailchimp (`kind` is its type:
        text, number, dropdown with `options={"choices": [...]}`, ...); returns it as the API shows it."""
        with self.lock:
            return self._audience(list_id).add_merge_field({"tag": tag, "name": name, "type": kind, **extra})

    def edit(self, member_id: str, values: dict[str, Any], *, list_id: str | None = None) -> None:
        """Change a member as someone in Mailchimp's UI would (`status` here is always applied)."""
        with self.lock:
            audience = self._audience(list_id)
            member = audience.get(member_id)
            audience.upsert({"email_address": member["email_address"], **values}, member_id)

    def seed_sandbox(self, scale: dict[str, int], seed: int) -> None:
        """`scale["members"]` (default 100) generated people; about 8% unsubscribed, 2% cleaned."""
        count = int(scale.get("members", scale.get("contacts", 100)))
        rng = random.Random(seed * 7919 + 11)
        people = generate_people(count, generate_companies(max(1, count // 10), seed), seed)
        with self.lock:
            audience = self._audience(None)
            for person in people:
                if not valid_email(person.email):
                    continue  # Mailchimp's forms refuse these
                status = "unsubscribed" if person.email_opt_out else "subscribed"
                if rng.random() < 0.02:
                    status = "cleaned"
                merge = {"FNAME": person.first_name, "LNAME": person.last_name, "PHONE": person.phone or ""}
                audience.upsert({"email_address": person.email, "status": status, "merge_fields": merge})

    def _audience(self, list_id: str | None) -> Audience:
        if list_id is None:
            return next(iter(self.audiences.values()))
        audience = self.audiences.get(list_id)
        if audience is None:
            raise resource_not_found()
        return audience

    # ---- HTTP ----

    def handle(self, request: Request) -> Response:
        """Refuse the 11th simultaneous request, as Mailchimp limits connections per key."""
        if request.path.startswith("/__emulator__/"):
            return super().handle(request)
        with self._in_flight_lock:
            crowded = self._in_flight >= self.max_connections
            self._in_flight += 0 if crowded else 1
        if crowded:
            self.stats["throttled"] += 1
            return self.rate_limit_response()
        try:
            return super().handle(request)
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1

    def _dispatch(self, request: Request, *, count: bool) -> Response:
        if count and not request.path.startswith("/batch-results/"):  # a pre-signed download link
            refused = self._refused(request)
            if refused is not None:
                return refused
        try:
            return super()._dispatch(request, count=count)
        except MailchimpProblem as exc:
            return exc.response()

    def _refused(self, request: Request) -> Response | None:
        """401 unless the request carries the API key (Basic or apikey) or a known OAuth token."""
        header = request.headers.get("Authorization") or ""
        scheme, _, credentials = header.partition(" ")
        scheme, credentials = scheme.lower(), credentials.strip()
        if scheme == "basic":
            credentials = (basic_credentials(header) or ("", ""))[1]
        if not header:
            return problem(401, "API Key Missing", "Your request did not include an API key.")
        if scheme in ("basic", "apikey") and credentials == self.api_key:
            return None
        if scheme in ("bearer", "oauth") and credentials in self.oauth_tokens:
            return None
        return problem(
            401,
            "API Key Invalid",
            "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
        )

    def _ping(self, request: Request) -> Response:
        return Response.json({"health_status": "Everything's Chimpy!"})

    def _list_members(self, request: Request) -> Response:
        audience = self._audience(request.params["list_id"])
        count, offset = _integer(request, "count", 10), _integer(request, "offset", 0)
        if count > PAGE_LIMIT:
            raise invalid_resource("count", f"Must be less than or equal to {PAGE_LIMIT}")
        names = ("status", "since_last_changed", "before_last_changed", "sort_field", "sort_dir")
        members = audience.listing({name: request.arg(name) for name in names})
        body = {
            "members": members[offset : offset + count],
            "list_id": audience.list_id,
            "total_items": len(members),
            "_links": [],
        }
        return Response.json(body)

    def _list_merge_fields(self, request: Request) -> Response:
        """`GET …/merge-fields`: the audience's merge fields by offset/count (default 10, at most 1000),
        filtered by `type` and `required` when asked."""
        audience = self._audience(request.params["list_id"])
        count, offset = _integer(request, "count", 10), _integer(request, "offset", 0)
        if count > PAGE_LIMIT:
            raise invalid_resource("count", f"Must be less than or equal to {PAGE_LIMIT}")
        fields = audience.merge_fields
        if request.arg("type"):
            fields = [f for f in fields if f["type"] == request.arg("type")]
        if request.arg("required") not in (None, ""):
            required = str(request.arg("required")).lower() == "true"
            fields = [f for f in fields if f["required"] is required]
        body = {
            "merge_fields": fields[offset : offset + count],
            "list_id": audience.list_id,
            "total_items": len(fields),
            "_links": [],
        }
        return Response.json(body)

    def _get_merge_field(self, request: Request) -> Response:
        audience = self._audience(request.params["list_id"])
        wanted = int(request.params["merge_id"])
        for field in audience.merge_fields:
            if field["merge_id"] == wanted:
                return Response.json(field)
        raise resource_not_found()

    def _get_member(self, request: Request) -> Response:
        audience = self._audience(request.params["list_id"])
        return Response.json(audience.get(_member_key(request.params["member"])))

    def _put_member(self, request: Request) -> Response:
        audience = self._audience(request.params["list_id"])
        member, _ = audience.upsert(_body(request), _member_key(request.params["member"]))
        return Response.json(member)

    def _lists(self, request: Request) -> Response:
        count, offset = _integer(request, "count", 10), _integer(request, "offset", 0)
        if count > PAGE_LIMIT:
            raise invalid_resource("count", f"Must be less than or equal to {PAGE_LIMIT}")
        lists = [self._list_view(a) for a in self.audiences.values()]
        body = {
            "lists": lists[offset : offset + count],
            "total_items": len(lists),
            "constraints": {"may_create": True, "max_instances": 5, "current_total_instances": len(lists)},
            "_links": [],
        }
        return Response.json(body)

    def _list(self, request: Request) -> Response:
        return Response.json(self._list_view(self._audience(request.params["list_id"])))

    def _list_view(self, audience: Audience) -> dict[str, Any]:
        """An audience as `GET /3.0/lists/{id}` shows it."""
        members = list(audience.members.values())
        counts = {
            s: sum(1 for m in members if m["status"] == s) for s in ("subscribed", "unsubscribed", "cleaned")
        }
        changed = [str(m["last_changed"]) for m in members]
        return {
            "id": audience.list_id,
            "web_id": 1000 + list(self.audiences).index(audience.list_id),
            "name": "Omnihub Sandbox Audience" if audience.list_id == self.LIST_ID else audience.list_id,
            "contact": {"company": "Omnihub", "address1": "1 Sandbox Way", "city": "Atlanta", "state": "GA",
                        "zip": "30308", "country": "US", "phone": ""},
            "permission_reminder": "You signed up for updates on our website.",
            "use_archive_bar": True,
            "campaign_defaults": {"from_name": "Omnihub", "from_email": "news@omnihub.example",
                                  "subject": "", "language": "en"},
            "notify_on_subscribe": "",
            "notify_on_unsubscribe": "",
            "date_created": "2024-01-01T00:00:00+00:00",
            "list_rating": 3,
            "email_type_option": False,
            "subscribe_url_short": "",
            "subscribe_url_long": "",
            "beamer_address": "",
            "visibility": "prv",
            "double_optin": False,
            "has_welcome": False,
            "marketing_permissions": False,
            "modules": [],
            "stats": {
                "member_count": counts["subscribed"],
                "unsubscribe_count": counts["unsubscribed"],
                "cleaned_count": counts["cleaned"],
                "member_count_since_send": counts["subscribed"],
                "unsubscribe_count_since_send": counts["unsubscribed"],
                "cleaned_count_since_send": counts["cleaned"],
                "campaign_count": 0,
                "campaign_last_sent": "",
                "merge_field_count": len(audience.merge_fields),
                "avg_sub_rate": 0,
                "avg_unsub_rate": 0,
                "target_sub_rate": 0,
                "open_rate": 0,
                "click_rate": 0,
                "last_sub_date": max(changed, default=""),
                "last_unsub_date": "",
            },
            "_links": [],
        }  # fmt: skip

    def _add_member(self, request: Request) -> Response:
        """`POST …/members`: a new member only; one already there is 400 "Member Exists"."""
        audience = self._audience(request.params["list_id"])
        body = _body(request)
        email = body.get("email_address") if isinstance(body, dict) else None
        if isinstance(email, str) and email and "@" not in email:
            raise MailchimpProblem(400, "Invalid Resource", SHAPELESS_EMAIL)  # as the real API answered
        if valid_email(email) and subscriber_hash(str(email)) in audience.members:
            raise member_exists(str(email))
        member, _ = audience.upsert(body)
        return Response.json(member)

    def _patch_member(self, request: Request) -> Response:
        """`PATCH …/members/{hash}`: changes to a member that exists (404 otherwise)."""
        audience = self._audience(request.params["list_id"])
        key = _member_key(request.params["member"])
        current = audience.get(key)
        body = _body(request)
        if not isinstance(body, dict):
            raise invalid_resource("", "Schema describes object, NULL found instead")
        member, _ = audience.upsert({"email_address": current["email_address"], **body}, key)
        return Response.json(member)

    def _archive_member(self, request: Request) -> Response:
        """`DELETE …/members/{hash}`: the member is archived (kept, out of the audience's lists); one
        archived, pending or cleaned already is refused 405 with `Allow: GET, PUT`."""
        audience = self._audience(request.params["list_id"])
        member = audience.get(_member_key(request.params["member"]))
        if member["status"] in ("archived", "pending", "cleaned"):  # a bounced contact is "cleaned"
            return problem(
                405,
                "Method Not Allowed",
                "This list member cannot be removed. Can not archive a contact that is bounced, pending "
                "or archived",
                Allow="GET, PUT",
            )  # as the real API answered (tests/fixtures/real/mailchimp/archive_refused_405.json)
        member["status"] = "archived"
        member["last_changed"] = mailchimp_time(audience.now())
        return Response.empty(204)

    def _delete_member(self, request: Request) -> Response:
        """`POST …/members/{hash}/actions/delete-permanent`: gone for good."""
        audience = self._audience(request.params["list_id"])
        key = _member_key(request.params["member"])
        audience.get(key)
        del audience.members[key]
        return Response.empty(204)

    def _run_operation(self, method: str, path: str, params: dict[str, Any], body: bytes) -> Response:
        """One operation of a batch, answered as the same request alone would be."""
        query = {k: [str(v)] for k, v in (params or {}).items()}
        request = Request(
            method.upper(), "/3.0" + path if not path.startswith("/3.0") else path, query, Message(), body
        )
        request.headers["Authorization"] = f"apikey {self.api_key}"
        try:
            return self._dispatch(request, count=False)
        except MailchimpProblem as exc:
            return exc.response()

    def _batch(self, request: Request) -> Response:
        audience = self._audience(request.params["list_id"])
        body = _body(request)
        members = body.get("members") if isinstance(body, dict) else None
        if not isinstance(members, list):
            raise invalid_resource("members", "Schema describes array, NULL found instead")
        if len(members) > BATCH_LIMIT:
            raise invalid_resource("members", f"Schema describes array, maximum {BATCH_LIMIT} items allowed")
        answer: dict[str, Any] = {"new_members": [], "updated_members": [], "errors": []}
        for item in members:
            self._batch_member(audience, item, bool(body.get("update_existing")), answer)
        answer |= {
            "total_created": len(answer["new_members"]),
            "total_updated": len(answer["updated_members"]),
            "error_count": len(answer["errors"]),
            "_links": [],
        }
        return Response.json(answer)

    def _batch_member(self, audience: Audience, item: Any, update: bool, answer: dict[str, Any]) -> None:
        email = item.get("email_address") if isinstance(item, dict) else None
        if valid_email(email) and not update and subscriber_hash(str(email)) in audience.members:
            message = (
                f"{email} is already a list member, do you want to update? "
                "please provide update_existing:true in the request body"
            )
            answer["errors"].append(
                {"email_address": email, "error": message, "error_code": "ERROR_CONTACT_EXISTS"}
            )
            return
        try:
            member, created = audience.upsert(item)
        except MailchimpProblem as exc:
            message = exc.detail if not exc.errors else "; ".join(e["message"] for e in exc.errors)
            code = "ERROR_GENERIC"
            answer["errors"].append({"email_address": email or "", "error": message, "error_code": code})
            return
        answer["new_members" if created else "updated_members"].append(dict(member))

    # ---- what Mailchimp answers when throttling, down, or asked for something else ----

    def rate_limit_response(self) -> Response:
        return problem(
            429,
            "TooManyRequests",
            f"You have exceeded the limit of {CONNECTION_LIMIT} simultaneous connections.",
        )

    def unavailable_response(self) -> Response:
        page = "<html><head><title>Request Blocked</title></head><body><h1>Request Blocked</h1></body></html>"
        return Response.text(page, 503, content_type="text/html")

    def not_found(self, request: Request) -> Response:
        return resource_not_found().response()

    def method_not_allowed(self, request: Request) -> Response:
        return problem(
            405,
            "Method Not Allowed",
            "The requested method and resource are not compatible. See the Allow header for this "
            "resource's available methods.",
        )


def _member_key(value: str) -> str:
    """Members are addressed by subscriber hash; Mailchimp also accepts the email itself."""
    return subscriber_hash(value) if "@" in value else value.lower()


def _integer(request: Request, name: str, default: int) -> int:
    text = request.arg(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise invalid_resource(name, f"Schema describes integer, string found instead: {text}") from None
    if value < 0:
        raise invalid_resource(name, "Must be greater than or equal to 0")
    return value


def _body(request: Request) -> Any:
    try:
        return request.json()
    except ValueError:
        raise MailchimpProblem(
            400, "JSON Parse Exception", "We encountered an unspecified JSON parsing error."
        ) from None


__all__ = ["MailchimpEmulator"]
