"""The ops console's pages and actions (FastAPI, server-rendered): runs, quarantine, reports, alerts, audit.

    GET  /                       syncs with their last run, open quarantine and trend; open alerts
    GET  /runs?sync=S            runs (sync and reconciliation) with counts, API calls, duration, Airflow run
    GET  /quarantine?q=TEXT      open entries grouped by sync and reason, searchable
    GET  /quarantine/group?key=K one group's entries; POST retry / ignore of the whole group
    GET  /quarantine/{id}        one entry: source values, canonical record, reasons, overrides, history
    POST /quarantine/{id}/retry | /ignore | /override
    GET  /reports, /reports/{sync}, /reports/files/{sync}/{run}/{file}; POST /reports/{sync}/heal
    GET  /alerts, /actions

Every POST needs an editor (403 otherwise), the CSRF token of the page it came from and a reason;
every input is checked here, whatever the browser did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from hub.console import ActionRefused
from hub.console.auth import CSRF_COOKIE, CSRF_FIELD, Authority, Csrf, Principal
from hub.errors import HubError
from hub.io.redact import redact

if TYPE_CHECKING:
    from hub.console.service import ConsoleService

MAX_FORM = 64 * 1024
MAX_REASON = 2000
TREND_RUNS = 30  # runs a sync's trend chart shows
PAGES = (
    ("", "Runs"),
    ("quarantine", "Quarantine"),
    ("reports", "Reports"),
    ("alerts", "Alerts"),
    ("actions", "Audit"),
)


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("hub.console", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    env.filters["qs"] = lambda value: quote(str(value), safe="")
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}  # "Zoë", not "Zo\\u00eb"
    return env


def create_app(
    service_for: Callable[[], ConsoleService], authority: Authority, csrf: Csrf | None = None
) -> FastAPI:
    """The console as a FastAPI app. `service_for` gives the service (made on first use, so Airflow's
    API server starts whatever the project's state)."""
    app = FastAPI(title="Omnihub console", docs_url=None, redoc_url=None, openapi_url=None)
    templates = _environment()
    guard = csrf or Csrf()
    made: list[ConsoleService] = []

    def service() -> ConsoleService:
        if not made:
            made.append(service_for())
        return made[0]

    async def who(request: Request) -> Principal | Response:
        principal = await authority.principal(request)
        if principal is None:
            login = authority.login_url(request)
            if login and request.method == "GET":
                return RedirectResponse(login, status_code=303)
            return HTMLResponse("Log in first.", status_code=401)
        if not principal.can_view:
            return HTMLResponse(f"{principal.name} may not see DAGs, so not the console.", status_code=403)
        return principal

    def page(
        request: Request, principal: Principal, template: str, status: int = 200, **values: Any
    ) -> Response:
        cookie, new = guard.cookie(request)
        base = request.scope.get("root_path", "").rstrip("/")
        html = templates.get_template(template).render(
            base=base,
            user=principal,
            pages=PAGES,
            csrf_field=CSRF_FIELD,
            csrf=guard.token(cookie, principal.name),
            done=request.query_params.get("done", "")[:500],
            **values,
        )
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        if new:
            response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="strict", path=base or "/")
        return response

    async def view(request: Request, render: Callable[[Principal], Awaitable[Response]]) -> Response:
        principal = await who(request)
        if isinstance(principal, Response):
            return principal
        try:
            return await render(principal)
        except ActionRefused as exc:
            return page(
                request, principal, "message.html.j2", status=404, title="Not found", message=str(exc)
            )

    async def act(
        request: Request,
        run: Callable[[Principal, dict[str, str]], Any],
        back: Callable[[dict[str, str]], str],
    ) -> Response:
        """An action: an editor, a good CSRF token, a reason, then `run` (in a thread: it may call APIs)."""
        principal = await who(request)
        if isinstance(principal, Response):
            return principal
        body = await request.body()
        if len(body) > MAX_FORM:
            return _refused(request, principal, page, "the form is too large", 413)
        fields = {
            k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()
        }
        problem = guard.check(request, principal.name, fields.get(CSRF_FIELD, ""))
        if problem:
            return _refused(request, principal, page, problem, 403)
        if not principal.can_edit:
            return _refused(
                request,
                principal,
                page,
                f"{principal.name} may look but not act: editing DAGs is needed",
                403,
            )
        reason = " ".join(fields.get("reason", "").split())
        if not reason:
            return _refused(request, principal, page, "say why (the reason is kept with the action)", 400)
        if len(reason) > MAX_REASON:
            return _refused(
                request, principal, page, f"the reason is longer than {MAX_REASON:,} characters", 400
            )
        fields["reason"] = reason
        try:
            outcome = await asyncio.to_thread(run, principal, fields)
        except ActionRefused as exc:
            return _refused(request, principal, page, str(exc), 400)
        except HubError as exc:
            return _refused(request, principal, page, redact(str(exc)), 502)
        base = request.scope.get("root_path", "").rstrip("/")
        target = back(fields)
        sep = "&" if "?" in target else "?"
        return RedirectResponse(f"{base}{target}{sep}{urlencode({'done': outcome.message})}", status_code=303)

    # Pages ------------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        async def render(principal: Principal) -> Response:
            svc = service()
            runs = await asyncio.to_thread(svc.runs, None, 400)
            open_counts = svc.store.quarantine_counts()
            latest: dict[str, dict[str, Any]] = {}
            for run in runs:
                latest.setdefault(run["sync"], run)
            syncs = [
                {"name": name, "last": latest.get(name), "open": open_counts.get(name, 0)}
                for name in svc.sync_names()
            ]
            alerts = [a for a in svc.alerts() if a["status"] == "open"][:10]
            return page(
                request, principal, "home.html.j2", title="Runs", syncs=syncs, runs=runs[:50], alerts=alerts
            )

        return await view(request, render)

    @app.get("/runs", response_class=HTMLResponse)
    async def runs_page(request: Request, sync: str = "") -> Response:
        async def render(principal: Principal) -> Response:
            svc = service()
            if sync and sync not in svc.project.syncs:
                raise ActionRefused(f"no sync {sync!r}")
            runs = await asyncio.to_thread(svc.runs, sync or None, 200)
            trend = list(reversed(runs[:TREND_RUNS])) if sync else []  # oldest first
            return page(
                request,
                principal,
                "runs.html.j2",
                title=f"Runs of {sync}" if sync else "Runs",
                sync=sync,
                runs=runs,
                chart=_trend_svg(trend) if trend else "",
            )

        return await view(request, render)

    @app.get("/quarantine", response_class=HTMLResponse)
    async def quarantine_page(request: Request, q: str = "") -> Response:
        async def render(principal: Principal) -> Response:
            groups = await asyncio.to_thread(service().groups, q)
            return page(
                request, principal, "quarantine.html.j2", title="Quarantine", groups=groups, q=q[:200]
            )

        return await view(request, render)

    @app.get("/quarantine/group", response_class=HTMLResponse)
    async def group_page(request: Request, key: str = "") -> Response:
        async def render(principal: Principal) -> Response:
            svc = service()
            found = await asyncio.to_thread(svc.group, key)
            entries = svc.store.quarantined(found.sync, status="open", ids=found.ids[:200])
            return page(
                request,
                principal,
                "group.html.j2",
                title=f"{found.sync}: {found.reason}",
                group=found,
                entries=entries,
            )

        return await view(request, render)

    @app.get("/quarantine/{entry_id}", response_class=HTMLResponse)
    async def entry_page(request: Request, entry_id: int) -> Response:
        async def render(principal: Principal) -> Response:
            entry = await asyncio.to_thread(service().entry, entry_id)
            return page(request, principal, "entry.html.j2", title=f"Entry {entry_id}", entry=entry)

        return await view(request, render)

    @app.get("/reports", response_class=HTMLResponse)
    async def reports_page(request: Request) -> Response:
        async def render(principal: Principal) -> Response:
            return page(
                request, principal, "reports.html.j2", title="Reports", reports=service().reports_index()
            )

        return await view(request, render)

    @app.get("/reports/files/{sync}/{run_id}/{name}")
    async def report_file(request: Request, sync: str, run_id: str, name: str) -> Response:
        async def render(principal: Principal) -> Response:
            path = service().report_file(sync, run_id, name)
            response = FileResponse(path)
            response.headers["Content-Security-Policy"] = (
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
            )
            return response

        return await view(request, render)

    @app.get("/reports/{sync}", response_class=HTMLResponse)
    async def report_page(request: Request, sync: str) -> Response:
        async def render(principal: Principal) -> Response:
            found = service().latest_report(sync)
            history = service().history(sync=sync)
            heals = [h for h in history if h["action"] == "heal"]
            return page(
                request,
                principal,
                "report.html.j2",
                title=f"Report: {sync}",
                report=found,
                heals=heals,
                earlier=service().reports_of(sync),
            )

        return await view(request, render)

    @app.get("/alerts", response_class=HTMLResponse)
    async def alerts_page(request: Request) -> Response:
        async def render(principal: Principal) -> Response:
            return page(request, principal, "alerts.html.j2", title="Alerts", alerts=service().alerts())

        return await view(request, render)

    @app.get("/actions", response_class=HTMLResponse)
    async def actions_page(request: Request) -> Response:
        async def render(principal: Principal) -> Response:
            return page(request, principal, "actions.html.j2", title="Audit", actions=service().history())

        return await view(request, render)

    # Actions ----------------------------------------------------------------------------------
    def _group(fields: dict[str, str]) -> list[int]:
        return service().group(fields.get("key", "")).ids

    @app.post("/quarantine/group/retry")
    async def retry_group(request: Request) -> Response:
        return await act(
            request,
            lambda who, f: service().retry(
                _group(f), actor=who.name, reason=f["reason"], target=f"group {f['key']}"
            ),
            lambda f: "/quarantine",
        )

    @app.post("/quarantine/group/ignore")
    async def ignore_group(request: Request) -> Response:
        return await act(
            request,
            lambda who, f: service().ignore(
                _group(f), actor=who.name, reason=f["reason"], target=f"group {f['key']}"
            ),
            lambda f: "/quarantine",
        )

    @app.post("/quarantine/{entry_id}/retry")
    async def retry_one(request: Request, entry_id: int) -> Response:
        return await act(
            request,
            lambda who, f: service().retry(
                [entry_id], actor=who.name, reason=f["reason"], target=f"entry {entry_id}"
            ),
            lambda f: f"/quarantine/{entry_id}",
        )

    @app.post("/quarantine/{entry_id}/ignore")
    async def ignore_one(request: Request, entry_id: int) -> Response:
        return await act(
            request,
            lambda who, f: service().ignore(
                [entry_id], actor=who.name, reason=f["reason"], target=f"entry {entry_id}"
            ),
            lambda f: f"/quarantine/{entry_id}",
        )

    @app.post("/quarantine/{entry_id}/override")
    async def override_one(request: Request, entry_id: int) -> Response:
        return await act(
            request,
            lambda who, f: service().override(
                entry_id, f.get("field", ""), f.get("value", ""), actor=who.name, reason=f["reason"]
            ),
            lambda f: f"/quarantine/{entry_id}",
        )

    @app.post("/reports/{sync}/heal")
    async def heal(request: Request, sync: str) -> Response:
        return await act(
            request,
            lambda who, f: service().heal(sync, actor=who.name, reason=f["reason"]),
            lambda f: f"/reports/{quote(sync, safe='')}",
        )

    return app


def _refused(
    request: Request, principal: Principal, page: Callable[..., Response], message: str, status: int
) -> Response:
    return page(request, principal, "message.html.j2", status=status, title="Refused", message=message)


def _trend_svg(points: list[dict[str, Any]], width: int = 720, height: int = 160) -> str:
    """Records read, quarantined and discrepancies over the sync's last runs, as three lines."""
    series = (("read", "#2b6cb0"), ("quarantined", "#c05621"), ("discrepancies", "#9b2c2c"))
    top = max([1] + [int(p[name]) for p in points for name, _ in series])
    left, right, pad = 48, 12, 14
    step = (width - left - right) / max(1, len(points) - 1)

    def y(value: int) -> float:
        return pad + (height - 2 * pad) * (1 - value / top)

    lines = []
    for name, colour in series:
        xy = " ".join(f"{left + i * step:.1f},{y(p[name]):.1f}" for i, p in enumerate(points))
        lines.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{xy}">'
            f"<title>{name}</title></polyline>"
        )
    legend = "".join(
        f'<text x="{left + 130 * i}" y="{height - 1}" fill="{colour}" font-size="11">{name}</text>'
        for i, (name, colour) in enumerate(series)
    )
    axis = (
        f'<text x="4" y="{pad + 4}" font-size="11">{top:,}</text>'
        f'<text x="4" y="{height - pad}" font-size="11">0</text>'
    )
    return (
        f'<svg class="chart" role="img" aria-label="trend of the last {len(points)} runs" width="{width}" '
        f'height="{height + 12}" xmlns="http://www.w3.org/2000/svg">{axis}{"".join(lines)}{legend}</svg>'
    )
