"""`OdooEmulator`: Odoo 17's external API (JSON-RPC and XML-RPC) over an in-memory database.

    >>> from connectors.emulators.odoo import OdooEmulator
    >>> from connectors.emulators.server import EmulatorServer
    >>> odoo = OdooEmulator()                          # database "omnihub", admin/admin, uid 2
    >>> with EmulatorServer(odoo) as server:           # POST {server.url}/jsonrpc, /xmlrpc/2/object
    ...     partner_ids = odoo.seed_partners(3)

A fresh database holds what a real one does: the countries, the company partner (id 1), OdooBot
(partner 2 and user 1, archived) and one partner per user (the admin's is 3); with sale and
accounting installed, a few currencies (EUR 1, USD 2: the company's), taxes, pricelists and journals.

Models: res.partner, res.country, res.users (`models`); res.currency, res.currency.rate, account.tax
(`money`); product.product, product.pricelist (`products`); sale.order, sale.order.line and the
invoicing wizard (`sales`); account.journal, account.move, account.move.line (`invoices`);
account.payment and the payment wizard (`payments`, which says how invoices get paid over RPC);
hr.department, hr.job, hr.employee (`hr`). `seed_sandbox` fills them (`demo_data`).
"""

from __future__ import annotations

import json
import secrets
import traceback
import xmlrpc.client
from collections.abc import Callable, Sequence
from http.cookies import SimpleCookie
from typing import Any

from connectors.emulators.odoo.catalog import MODELS, seed_reference_data
from connectors.emulators.odoo.countries import COUNTRIES
from connectors.emulators.odoo.database import Clock, Database, default_clock
from connectors.emulators.odoo.demo_data import seed_business
from connectors.emulators.odoo.errors import (
    JSON_UTF8,
    AccessDenied,
    BadRequest,
    SessionExpired,
    Unauthorized,
    json2_error,
    json2_status,
    jsonrpc_error,
    xmlrpc_fault,
)
from connectors.emulators.odoo.orm import MODEL_METHODS, json2_check
from connectors.emulators.odoo.rpc import OdooUser, RpcServices, ServerVersion
from connectors.emulators.server import EmulatorApp, Request, Response

JSON_MIMETYPES = ("application/json", "application/json-rpc")
ROOT_UID = 1
SEED_COUNTRIES = ("US", "GB", "DE", "FR", "BE")


def werkzeug_page(status: int, title: str, description: str, **headers: str) -> Response:
    """An error page in werkzeug's HTML format, as Odoo (and Odoo.sh's proxy) answer."""
    body = (
        f"<!doctype html>\n<html lang=en>\n<title>{status} {title}</title>\n"
        f"<h1>{title}</h1>\n<p>{description}</p>\n"
    )
    return Response.text(body, status, content_type="text/html", **headers)


class RPC:
    """The /jsonrpc controller: its signature decides which params are required."""

    def __init__(self, services: RpcServices) -> None:
        self._services = services

    def jsonrpc(self, service: str, method: str, args: list[Any]) -> Any:
        return self._services.dispatch(service, method, args)


SANDBOX_API_KEY = "4f6d6e69687562206f646f6f2073616e64626f78"  # the sandbox user's API key (160 bits)


class OdooEmulator(EmulatorApp):
    """Odoo's external API over an in-memory database (contacts, sales, invoicing, payments, HR)."""

    system = "odoo"
    retry_after = "1"

    def __init__(
        self,
        *,
        database: str = "omnihub",
        users: Sequence[OdooUser] | None = None,
        server_version: str = "17.0",
        clock: Clock | None = None,
        fault_rate: float = 0.0,
        fault_kinds: tuple[str, ...] = ("rate_limit",),
        latency_ms: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__(fault_rate=fault_rate, fault_kinds=fault_kinds, latency_ms=latency_ms, seed=seed)
        self.users = {user.uid: user for user in (users or (OdooUser(api_keys=(SANDBOX_API_KEY,)),))}
        if ROOT_UID in self.users:
            raise ValueError(
                f"uid {ROOT_UID} is OdooBot (__system__) in every database: give API users other uids"
            )
        self.version = ServerVersion(server_version)
        self._database_name, self._clock = database, clock or default_clock
        self.db, self.services = self._fresh_database()
        self.route("POST", r"/jsonrpc", self._jsonrpc)
        self.route("POST", r"/xmlrpc/2/(?P<service>[^/]+)", self._xmlrpc)
        self.route("GET", r"/web/version", self._web_version)
        self.route("POST", r"/json/2/(?P<model>[^/]+)/(?P<method>[^/]+)", self._json2)
        # The web client's JSON routes, which odoorpc and scripts written after the web client use
        self.route("POST", r"/web/webclient/version_info", self._web_route(self._version_info))
        self.route("POST", r"/web/session/authenticate", self._web_route(self._authenticate))
        self.route("POST", r"/web/session/get_session_info", self._web_route(self._session_info))
        self.route("POST", r"/web/session/destroy", self._web_route(self._destroy))
        self.route("POST", r"/web/dataset/call_kw(?:/[^/]+)*", self._web_route(self._call_kw))
        self.sessions: dict[str, int] = {}  # session_id cookie -> uid

    def _fresh_database(self) -> tuple[Database, RpcServices]:
        db = Database(self._database_name, MODELS, self._clock, self.version.info[0])
        seed_base_data(db, list(self.users.values()))
        return db, RpcServices(db, self.users, self.version)

    # ---- in-process helpers (tests, demo) ----

    def connection(self, base_url: str, ca_bundle: str | None = None) -> dict[str, Any]:
        """The sandbox connection: the first API user on this database, with its API key (which
        JSON-2 needs and JSON-RPC takes in place of the password) when it has one."""
        user = next(iter(self.users.values()))
        return {
            **super().connection(base_url, ca_bundle),
            "login": user.login,
            "password": user.api_keys[0] if user.api_keys else user.password,
            "schema": self._database_name,
        }

    def reset(self) -> None:
        """Start over from a fresh database (base data only), as if Odoo had just been installed."""
        with self.lock:
            self.db, self.services = self._fresh_database()

    def records(self, model: str) -> list[dict[str, Any]]:
        """Every record of `model` (archived ones too), read with all fields, by id."""
        with self.lock:
            ids = sorted(self.db.tables[model])
            result: list[dict[str, Any]] = self._call(
                model, "read", [ids], {"context": {"active_test": False}}
            )
            return result

    def create(self, model: str, vals: dict[str, Any], *, uid: int | None = None) -> int:
        """Create a record as `uid` (default: the first user) would through the API; returns its id."""
        with self.lock:
            return int(self._call(model, "create", [vals], {}, uid=uid))

    def edit(self, model: str, record_id: int, vals: dict[str, Any], *, uid: int | None = None) -> None:
        """Change a record as a user editing it in the UI would: write_date and write_uid move."""
        with self.lock:
            self._call(model, "write", [[record_id], vals], {}, uid=uid)

    def seed_partners(
        self, count: int, *, companies: int = 0, hub_ids: bool = False, prefix: str = "Partner"
    ) -> list[int]:
        """Create `companies` companies then `count` people spread over them; returns all ids."""
        with self.lock:
            company_rows = [_company_values(n, prefix) for n in range(1, companies + 1)]
            company_ids: list[int] = (
                self._call("res.partner", "create", [company_rows], {}) if companies else []
            )
            people = [_person_values(n, prefix, company_ids, hub_ids) for n in range(1, count + 1)]
            person_ids: list[int] = self._call("res.partner", "create", [people], {}) if count else []
            return company_ids + person_ids

    def seed_sandbox(self, scale: dict[str, int], seed: int) -> None:
        """Business data when `scale` asks for it (`products`, `orders`, `customers`, `departments`,
        `odoo_employees`); none by default, so a sandbox Odoo starts empty of customers as before."""
        with self.lock:
            seed_business(self._call, scale, seed)

    def call(self, model: str, method: str, *args: Any, uid: int | None = None, **kwargs: Any) -> Any:
        """Call a model method as a user would through `execute_kw` (tests, demo)."""
        with self.lock:
            return self._call(model, method, list(args), kwargs, uid=uid)

    def _call(
        self, model: str, method: str, args: list[Any], kwargs: dict[str, Any], *, uid: int | None = None
    ) -> Any:
        acting = uid if uid is not None else next(iter(self.users))
        return self.services.execute(self.db.name, acting, model, method, *args, **kwargs)

    # ---- HTTP ----

    def _jsonrpc(self, request: Request) -> Response:
        mimetype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if mimetype not in JSON_MIMETYPES:
            message = "Request inferred type is compatible with [&#x27;http&#x27;] but /jsonrpc is type=json."
            return werkzeug_page(400, "Bad Request", message)
        try:
            payload = json.loads(request.body)
        except ValueError:
            return Response.text("Invalid JSON data", 400, content_type="text/html")
        if not isinstance(payload, dict):
            return Response.text("Invalid JSON-RPC data", 400, content_type="text/html")
        return Response.json(self._answer_jsonrpc(payload))

    def _answer_jsonrpc(self, payload: dict[str, Any]) -> dict[str, Any]:
        request_id = payload.get("id")
        try:
            params = dict(payload.get("params") or {})
            wanted = {key: params[key] for key in ("service", "method", "args") if key in params}
            result = RPC(self.services).jsonrpc(**wanted)
        except Exception as exc:
            error = jsonrpc_error(exc, traceback.format_exc(), self.version.info[0])
            return {"jsonrpc": "2.0", "id": request_id, "error": error}
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    def _xmlrpc(self, request: Request) -> Response:
        try:
            params, method = xmlrpc.client.loads(request.body, use_datetime=True)
            result = self.services.dispatch(request.params["service"], str(method), list(params))
            body = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=True)
        except Exception as exc:
            body = xmlrpc.client.dumps(xmlrpc_fault(exc, traceback.format_exc()), allow_none=True)
        return Response(200, body.encode(), {"Content-Type": "text/xml; charset=utf-8"})

    def _json2(self, request: Request) -> Response:
        """Odoo 19's JSON-2 API: a bearer API key, the method's parameters by name (`ids` for the
        records, `context`), the return value as the body; errors as 4xx/5xx with a JSON object."""
        if self.version.info[0] < 19:
            return self.not_found(request)  # the route only exists from Odoo 19
        authorization = request.headers.get("Authorization")
        if not authorization:
            message = 'User not authenticated, use the "Authorization" header'
            return json2_error(Unauthorized(message), 401, headers={"WWW-Authenticate": "bearer"})
        scheme, _, key = authorization.partition(" ")
        user = next(
            (u for u in self.users.values() if u.active and scheme.lower() == "bearer" and key in u.api_keys),
            None,
        )
        if user is None:
            return json2_error(Unauthorized("Invalid apikey"), 401)
        database = request.headers.get("X-Odoo-Database")
        if database is not None and database != self.db.name:
            return self.not_found(request)
        try:
            body = json.loads(request.body) if request.body else {}
        except ValueError as exc:
            return json2_error(BadRequest(f"could not parse the body as json: {exc.args[0]}"), 400)
        if not isinstance(body, dict):
            return json2_error(BadRequest("could not parse the body, expecting a json object"), 400)
        ids, context = body.pop("ids", None), body.pop("context", None)
        model, method = request.params["model"], request.params["method"]
        args = [ids] if ids is not None else ([] if method in MODEL_METHODS else [[]])  # Model.browse(())
        kwargs = {**body, **({"context": context} if context else {})}
        try:
            with self.lock:
                json2_check(self.db, model, method, ids or [], kwargs)
                result = self.services.execute(self.db.name, user.uid, model, method, *args, **kwargs)
        except Exception as exc:
            return json2_error(exc, json2_status(exc), traceback.format_exc())
        return Response.json(result, headers={"Content-Type": JSON_UTF8})

    # ---- the web client's JSON routes (type="json": a JSON-RPC envelope, errors in HTTP 200) ----

    def _web_route(
        self, handler: Callable[[Request, dict[str, Any]], tuple[Any, dict[str, str]]]
    ) -> Callable[[Request], Response]:
        def route(request: Request) -> Response:
            try:
                payload = json.loads(request.body or b"{}")
            except ValueError:
                return Response.text("Invalid JSON data", 400, content_type="text/html")
            request_id = payload.get("id") if isinstance(payload, dict) else None
            params = (payload.get("params") if isinstance(payload, dict) else None) or {}
            try:
                with self.lock:
                    result, headers = handler(request, dict(params))
            except Exception as exc:
                error = jsonrpc_error(exc, traceback.format_exc(), self.version.info[0])
                if isinstance(exc, SessionExpired):
                    error |= {"code": 100, "message": "Odoo Session Expired"}
                return Response.json({"jsonrpc": "2.0", "id": request_id, "error": error})
            return Response.json({"jsonrpc": "2.0", "id": request_id, "result": result}, headers=headers)

        return route

    def _version_info(self, request: Request, params: dict[str, Any]) -> tuple[Any, dict[str, str]]:
        return self.services.exp_version(), {}

    def _authenticate(self, request: Request, params: dict[str, Any]) -> tuple[Any, dict[str, str]]:
        """`/web/session/authenticate`: a session for a login and password (or API key), in a cookie."""
        uid = self.services.exp_authenticate(
            str(params.get("db")), str(params.get("login")), str(params.get("password")), {}
        )
        if not uid:
            raise AccessDenied()
        session = secrets.token_hex(20)
        self.sessions[session] = int(uid)
        cookie = (
            f"session_id={session}; Expires=Thu, 01 Jan 2099 00:00:00 GMT; Max-Age=604800; HttpOnly; Path=/"
        )
        return self._session(int(uid)), {"Set-Cookie": cookie}

    def _session(self, uid: int) -> dict[str, Any]:
        user = self.users[uid]
        context = {"lang": "en_US", "tz": "Europe/Brussels", "uid": uid}
        return {
            "uid": uid,
            "is_system": uid == next(iter(self.users)),
            "is_admin": True,
            "user_context": context,
            "db": self.db.name,
            "server_version": self.version.serie,
            "server_version_info": self.version.info,
            "name": user.name,
            "username": user.login,
            "partner_display_name": user.name,
            "partner_id": self.db.tables["res.users"][uid]["partner_id"],
        }

    def _session_uid(self, request: Request) -> int:
        cookies = SimpleCookie(request.headers.get("Cookie") or "")
        session = cookies["session_id"].value if "session_id" in cookies else ""
        uid = self.sessions.get(session)
        if uid is None:
            raise SessionExpired("Session expired")
        return uid

    def _session_info(self, request: Request, params: dict[str, Any]) -> tuple[Any, dict[str, str]]:
        return self._session(self._session_uid(request)), {}

    def _destroy(self, request: Request, params: dict[str, Any]) -> tuple[Any, dict[str, str]]:
        cookies = SimpleCookie(request.headers.get("Cookie") or "")
        if "session_id" in cookies:
            self.sessions.pop(cookies["session_id"].value, None)
        return None, {}

    def _call_kw(self, request: Request, params: dict[str, Any]) -> tuple[Any, dict[str, str]]:
        """`/web/dataset/call_kw`: `{model, method, args, kwargs}` as the session's user."""
        uid = self._session_uid(request)
        model, method = str(params.get("model")), str(params.get("method"))
        args, kwargs = list(params.get("args") or []), dict(params.get("kwargs") or {})
        return self.services.execute(self.db.name, uid, model, method, *args, **kwargs), {}

    def _web_version(self, request: Request) -> Response:
        return Response.json({"version_info": self.version.info, "version": self.version.serie})

    # ---- what Odoo.sh / Odoo Online answer when throttling or down ----

    def rate_limit_response(self) -> Response:
        return werkzeug_page(
            429,
            "Too Many Requests",
            "This user has exceeded an allotted request count. Try again later.",
            **{"Retry-After": self.retry_after},
        )

    def unavailable_response(self) -> Response:
        return werkzeug_page(
            503,
            "Service Unavailable",
            "The server is temporarily unable to service your request due to maintenance downtime or "
            "capacity problems. Please try again later.",
            **{"Retry-After": self.retry_after},
        )

    def not_found(self, request: Request) -> Response:
        return werkzeug_page(
            404,
            "Not Found",
            "The requested URL was not found on the server. If you entered the URL manually please check "
            "your spelling and try again.",
        )

    def method_not_allowed(self, request: Request) -> Response:
        return werkzeug_page(405, "Method Not Allowed", "The method is not allowed for the requested URL.")


def seed_base_data(db: Database, users: list[OdooUser]) -> None:
    """What a new database contains: countries, the company, OdooBot and the users' partners."""
    stamp = {"create_uid": ROOT_UID, "write_uid": ROOT_UID, "create_date": db.now(), "write_date": db.now()}
    for code, name in COUNTRIES:
        db.insert("res.country", {"name": name, "code": code, **stamp})
    partner = {"type": "contact", "lang": "en_US", "active": True, **stamp}
    db.insert("res.partner", {**partner, "name": "My Company", "is_company": True}, record_id=1)
    db.insert("res.partner", {**partner, "name": "OdooBot", "email": "odoobot@example.com", "active": False})
    db.insert(
        "res.users", {"login": "__system__", "name": "OdooBot", "partner_id": 2, "active": False, **stamp}
    )
    for user in users:
        partner_id = db.insert("res.partner", {**partner, "name": user.name, "email": _email(user.login)})
        user_values = {
            "login": user.login,
            "name": user.name,
            "partner_id": partner_id,
            "active": user.active,
        }
        db.insert("res.users", {**user_values, **stamp}, record_id=user.uid)
    seed_reference_data(db, stamp)


def _email(login: str) -> str | None:
    return login if "@" in login else None


def _company_values(n: int, prefix: str) -> dict[str, Any]:
    return {"name": f"{prefix} Company {n:05d}", "is_company": True, "email": f"info@company{n}.example.com"}


def _person_values(n: int, prefix: str, company_ids: list[int], hub_ids: bool) -> dict[str, Any]:
    country = SEED_COUNTRIES[n % len(SEED_COUNTRIES)]
    values: dict[str, Any] = {
        "name": f"{prefix} {n:05d}",
        "email": f"partner{n}@example.com",
        "phone": f"+1 555 {n:07d}",
        "city": "Springfield",
        "country_id": _country_id(country),
    }
    if company_ids:
        values["parent_id"] = company_ids[n % len(company_ids)]
    if hub_ids:
        values["x_hub_id"] = f"HUB-{n:06d}"
    return values


def _country_id(code: str) -> int:
    return 1 + next(index for index, (country, _name) in enumerate(COUNTRIES) if country == code)
