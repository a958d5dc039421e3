"""The FastAPI app of ``wardwatch serve``: server-rendered pages and the JSON API (/api/v1).

Everything but ``GET /health`` needs a signed-in account: a bearer token (API) or the session
cookie (pages and API). Viewers get the public edition (small numbers suppressed), analysts and
above the clinical one; the audit log is for admins. Results are read through short-lived
read-only connections; sign-in, sessions and the audit log are written through
``warehouse.web_writer``. One lock serialises the connections of this process (DuckDB opens a
file either read-only or read-write within one process, not both at once).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import duckdb
import pandas as pd
from fastapi import Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader

from wardwatch.csvsafe import neutralise
from wardwatch.errors import InputError
from wardwatch.warehouse import web_writer
from wardwatch.web import actions as web_actions
from wardwatch.web import apidoc, assets, data, pagedata, pages, store, ui, watchlists
from wardwatch.web.cache import Results
from wardwatch.web.data import edition
from wardwatch.web.store import Account

SESSION_COOKIE = "ww_session"
CSRF_COOKIE = "ww_csrf"
MAX_LIMIT = 1000


class Unauthorised(Exception):
    """No valid bearer token or session (401 for the API, a redirect to /sign-in for pages)."""


class Forbidden(Exception):
    """Signed in, but the role is not enough (403)."""


#: the header's menu
NAV_ITEMS = (("/", "Organisations"), ("/search", "Search"), ("/data-quality", "Data quality"))
_FRONTEND_UNSET = Path()


def create_app(db: Path, *, secure_cookies: bool = True, registry: Mapping[str, Any] | None = None,
               frontend: Path | None = _FRONTEND_UNSET) -> FastAPI:
    """The dashboard and API over warehouse ``db`` (``secure_cookies=False`` only for plain-HTTP tests).

    ``frontend``: nhsuk-frontend's ``dist/nhsuk`` folder (found in node_modules by default; None
    serves the pages unstyled)."""
    db = Path(db)
    if frontend is _FRONTEND_UNSET:
        frontend = assets.frontend_dir()
    lock = threading.RLock()
    if registry is None:
        from wardwatch.indicator_meta import load_registry

        registry = load_registry()
    env = Environment(loader=PackageLoader("wardwatch.web", "templates"), autoescape=True)
    ui.install(env)
    env.globals.update(styled=frontend is not None, nav_items=NAV_ITEMS)
    app = FastAPI(title="wardwatch API", version="1", openapi_url=None, docs_url=None, redoc_url=None)
    if frontend is not None:
        stylesheet = functools.cache(functools.partial(assets.stylesheet_text, frontend))

        @app.get("/static/nhsuk-frontend.min.css", include_in_schema=False)
        def nhsuk_stylesheet() -> Response:
            return Response(stylesheet(), media_type="text/css")

        app.mount("/assets", StaticFiles(directory=frontend / "assets"), name="nhsuk-assets")
    app.mount("/static", StaticFiles(directory=assets.OWN_STATIC), name="static")

    results = Results(db)

    @contextlib.contextmanager
    def reading() -> Iterator[duckdb.DuckDBPyConnection]:
        # a Reader: the read-only connection, opened only when an answer is not cached (web.cache)
        with lock, results.reading() as raw:
            yield raw

    @contextlib.contextmanager
    def writing() -> Iterator[duckdb.DuckDBPyConnection]:
        with lock, web_writer(db) as raw:
            yield raw

    def cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, secure=secure_cookies,
                            samesite="lax", path="/")

    # --- who is asking -------------------------------------------------------------------
    def identify(request: Request) -> tuple[Account, str | None] | None:
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return None
            with reading() as raw:
                user = store.token_account(raw, token.strip())
            return None if user is None else (user, None)
        secret = request.cookies.get(SESSION_COOKIE)
        if not secret:
            return None
        with reading() as raw:
            return store.session_account(raw, secret)

    def needs(role: str):
        def dependency(request: Request) -> Account:
            found = identify(request)
            if found is None:
                raise Unauthorised()
            user, csrf = found
            request.state.csrf = csrf
            if not user.at_least(role):
                raise Forbidden()
            return user

        return dependency

    viewer = Depends(needs("viewer"))
    admin = Depends(needs("admin"))

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.exception_handler(Unauthorised)
    def _unauthorised(request: Request, exc: Unauthorised) -> Response:
        if is_api(request):
            return JSONResponse({"error": "sign in: send Authorization: Bearer TOKEN (wardwatch tokens create)"},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return RedirectResponse("/sign-in", status_code=303)

    @app.exception_handler(Forbidden)
    def _forbidden(request: Request, exc: Forbidden) -> Response:
        return error(request, 403, "your role does not allow this")

    @app.exception_handler(data.NotFound)
    def _not_found(request: Request, exc: data.NotFound) -> Response:
        return error(request, 404, str(exc))

    @app.exception_handler(InputError)
    def _input_error(request: Request, exc: InputError) -> Response:
        return error(request, 503, " ".join(str(exc).split()))

    def error(request: Request, status: int, message: str) -> Response:
        if is_api(request):
            return JSONResponse({"error": message}, status_code=status)
        page = env.get_template("error.html").render(status=status, message=message, user=None)
        return HTMLResponse(page, status_code=status)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'self'; "
            "frame-ancestors 'none'")
        response.headers.setdefault("Cache-Control", "private, no-cache")
        return response

    # --- responses: JSON or CSV, with an ETag ------------------------------------------------
    def respond(request: Request, payload: Any, frame: pd.DataFrame | None = None) -> Response:
        if request.query_params.get("format") == "csv":
            table = frame if frame is not None else pd.DataFrame(payload.get("items", []))
            body = neutralise(table).to_csv(index=False).encode()
            media = "text/csv; charset=utf-8"
        else:
            body = json.dumps(payload, sort_keys=True, default=str).encode()
            media = "application/json"
        tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        wanted = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
        if tag in wanted or "*" in wanted:
            return Response(status_code=304, headers={"ETag": tag})
        return Response(body, media_type=media, headers={"ETag": tag})

    def page(items: list, limit: int, offset: int) -> dict:
        return {"items": items[offset: offset + limit], "total": len(items), "limit": limit, "offset": offset}

    limit_q = Query(100, ge=1, le=MAX_LIMIT, description="Items per page.")
    offset_q = Query(0, ge=0, description="Items to skip.")
    format_q = Query("json", pattern="^(json|csv)$", description="json (default) or csv (spreadsheet-safe).",
                     json_schema_extra={"enum": ["json", "csv"]})

    # --- the API -------------------------------------------------------------------------
    @app.get("/health", include_in_schema=False)
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/api/v1/openapi.json", include_in_schema=False)
    def openapi(user: Account = viewer) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/api/v1/orgs", summary="Organisations with results", response_model=apidoc.OrgPage)
    def api_orgs(request: Request, user: Account = viewer, limit: int = limit_q, offset: int = offset_q,
                 format: str = format_q) -> Response:
        with reading() as raw:
            return respond(request, page(data.orgs(raw), limit, offset))

    @app.get("/api/v1/indicators", summary="Indicators with results", response_model=apidoc.IndicatorPage)
    def api_indicators(request: Request, user: Account = viewer, limit: int = limit_q, offset: int = offset_q,
                       format: str = format_q) -> Response:
        with reading() as raw:
            items = data.indicators(raw, registry)
        for item in items:
            item["key_questions"] = ";".join(item["key_questions"]) if request.query_params.get("format") == "csv" \
                else item["key_questions"]
        return respond(request, page(items, limit, offset))

    @app.get("/api/v1/orgs/{org}/indicators/{indicator}/spc", summary="One SPC series as stored",
             response_model=apidoc.Spc)
    def api_spc(request: Request, org: str, indicator: str, user: Account = viewer,
                grain: str = Query("month", pattern="^(month|week)$", json_schema_extra={"enum": ["month", "week"]}),
                site: str | None = None, format: str = format_q) -> Response:
        with reading() as raw:
            result = data.spc(raw, org, indicator, grain, site or None, edition(user))
        return respond(request, result, pd.DataFrame(result["points"]))

    @app.get("/api/v1/indicators/{indicator}/funnel", summary="A funnel plot's units and limits",
             response_model=apidoc.Funnel)
    def api_funnel(request: Request, indicator: str, user: Account = viewer, period: str | None = None,
                   grain: str = Query("month", pattern="^(month|year)$"), format: str = format_q) -> Response:
        with reading() as raw:
            result = data.funnel(raw, indicator, period or None, edition(user), grain)
        return respond(request, result, pd.DataFrame(result["units"]))

    @app.get("/api/v1/orgs/{org}/alerts", summary="Special-cause concerns and mortality alerts",
             response_model=apidoc.AlertPage)
    def api_alerts(request: Request, org: str, user: Account = viewer, limit: int = limit_q,
                   offset: int = offset_q, format: str = format_q) -> Response:
        with reading() as raw:
            return respond(request, page(data.alerts(raw, org, edition(user)), limit, offset))

    @app.get("/api/v1/orgs/{org}/ratings", summary="Stored CQC-style ratings, every inspection",
             response_model=apidoc.RatingPage)
    def api_ratings(request: Request, org: str, user: Account = viewer, limit: int = limit_q,
                    offset: int = offset_q, format: str = format_q) -> Response:
        with reading() as raw:
            return respond(request, page(data.ratings(raw, org), limit, offset))

    @app.get("/api/v1/audit", summary="The audit log, newest first (admins)", response_model=apidoc.AuditPage)
    def api_audit(request: Request, user: Account = admin, limit: int = limit_q, offset: int = offset_q,
                  format: str = format_q) -> Response:
        with reading() as raw:
            rows = store.audit_rows(raw, limit, offset)
        return respond(request, {"items": rows, "limit": limit, "offset": offset})

    # --- pages -----------------------------------------------------------------------------
    def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(template).render(**context), status_code=status)

    def sign_in_form(message: str | None = None, status: int = 200, name: str = "") -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        response = render("sign_in.html", status=status, csrf=token, message=message, name=name, user=None)
        cookie(response, CSRF_COOKIE, token)
        return response

    @app.get("/sign-in", response_class=HTMLResponse, include_in_schema=False)
    def sign_in_page() -> HTMLResponse:
        return sign_in_form()

    @app.post("/sign-in", include_in_schema=False)
    def sign_in(request: Request, name: str = Form(""), password: str = Form(""),
                csrf: str = Form("")) -> Response:
        expected = request.cookies.get(CSRF_COOKIE, "")
        if not expected or not secrets.compare_digest(csrf.encode(), expected.encode()):
            return error(request, 403, "the form has expired or did not come from this site; sign in again")
        name = name.strip()[:64]
        with writing() as raw:
            if store.recent_failures(raw, name) >= store.MAX_FAILURES:
                store.audit(raw, name, "sign_in.refused", "rate limit")
                blocked = True
            else:
                blocked = False
                user = store.verify_password(raw, name, password)
                if user is None:
                    store.audit(raw, name, "sign_in.failed")
                else:
                    secret, _ = store.start_session(raw, user)
                    store.audit(raw, user.name, "sign_in")
        if blocked:
            return sign_in_form("Too many failed attempts for this name; wait 15 minutes.", 429, name)
        if user is None:
            return sign_in_form("Name or password not recognised.", 401, name)
        response = RedirectResponse("/", status_code=303)
        cookie(response, SESSION_COOKIE, secret, max_age=store.SESSION_HOURS * 3600)
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    @app.post("/sign-out", include_in_schema=False)
    def sign_out(request: Request, csrf: str = Form(""), user: Account = viewer) -> Response:
        expected = getattr(request.state, "csrf", None)
        if not expected or not secrets.compare_digest(csrf.encode(), expected.encode()):
            return error(request, 403, "the form has expired or did not come from this site")
        with writing() as raw:
            store.end_session(raw, request.cookies.get(SESSION_COOKIE, ""))
            store.audit(raw, user.name, "sign_out")
        response = RedirectResponse("/sign-in", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    def chrome(request: Request, user: Account) -> dict:
        return {"user": user, "csrf": getattr(request.state, "csrf", None), "edition": edition(user)}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, user: Account = viewer) -> HTMLResponse:
        with reading() as raw:
            organisations = [{"org_code": c, "org_name": n} for c, n in pagedata.org_names(raw).items()]
        # named organisations (the warehouse's own trusts) first, then those known by code only
        organisations.sort(key=lambda o: (o["org_name"] == o["org_code"], o["org_name"].lower()))
        return render("home.html", orgs=organisations, **chrome(request, user))

    @app.get("/orgs/{org}", response_class=HTMLResponse, include_in_schema=False)
    def trust_page(request: Request, org: str, user: Account = viewer, site: str | None = None,
                   grain: str | None = Query(None, pattern="^(month|week)?$"),
                   service: str | None = Query(None, max_length=64),
                   as_of: str | None = Query(None, pattern=r"^(\d{4}-\d{2}-\d{2})?$")) -> Response:
        from wardwatch.render.icons import assurance_icon_svg, variation_icon_svg

        try:
            as_of_date = datetime.date.fromisoformat(as_of) if as_of else None
        except ValueError as err:
            return error(request, 422, f"as_of {as_of!r}: not a date ({err})")
        chosen = pagedata.OverviewFilter(site or None, grain or None, service or None, as_of_date)
        with reading() as raw:
            choices = pagedata.overview_choices(raw, org, edition(user), registry)
            groups = pagedata.overview(raw, org, edition(user), registry, chosen)
            name = data.org_name(raw, org)
            plan = data.actions(raw, org)
            funnels = pagedata.funnel_indicators(raw)
        for _, rows in groups:
            for row in rows:
                row["variation_svg"] = variation_icon_svg(row["variation"], row["improvement"], size=28) \
                    if row["variation"] else ""
                row["assurance_svg"] = assurance_icon_svg(row["assurance"], size=28) if row["assurance"] else ""
                row["funnel_link"] = pages.funnel_link(row["indicator_id"], org) \
                    if row["indicator_id"] in funnels else None
        return render("overview.html", org=org, org_name=name, groups=groups, actions=plan, choices=choices,
                      site=site or "", grain=grain or "", service=service or "", as_of=as_of_date,
                      service_name=pagedata.service_label(service) if service else "",
                      breadcrumbs=[("Organisations", "/")],
                      **chrome(request, user))

    @app.get("/orgs/{org}/indicators/{indicator}", response_class=HTMLResponse, include_in_schema=False)
    def indicator_page(request: Request, org: str, indicator: str, user: Account = viewer,
                       grain: str = Query("month", pattern="^(month|week)$"),
                       site: str | None = None) -> HTMLResponse:
        from wardwatch.indicator_meta import as_meta

        meta = as_meta(indicator, registry.get(indicator))
        with reading() as raw:
            result = data.spc(raw, org, indicator, grain, site or None, edition(user))
            drawn = pagedata.drawn_chart(raw, org, indicator, grain, site or None, edition(user), registry)
            name = data.org_name(raw, org)
            catalogue = pagedata.series_catalogue(raw, org, edition(user))
        mine = catalogue[catalogue["indicator_id"] == indicator]
        grains = sorted(set(mine["grain"]))
        sites = sorted({str(code) for code in mine[mine["grain"] == grain]["site_code"].dropna() if str(code)})
        chart, tips, notes, rebased_from = drawn.svg, list(drawn.tips), list(drawn.notes), drawn.rebased_from
        query = {"grain": grain, "format": "csv", **({"site": site} if site else {})}
        csv_link = f"/api/v1/orgs/{quote(org, safe='')}/indicators/{quote(indicator, safe='')}/spc?{urlencode(query)}"
        svg_query = urlencode({"grain": grain, **({"site": site} if site else {})})
        svg_link = f"/orgs/{quote(org, safe='')}/indicators/{quote(indicator, safe='')}/chart.svg?{svg_query}"
        return render("indicator.html", org=org, org_name=name, meta=meta, result=result, chart=chart,
                      csv_link=csv_link, svg_link=svg_link, tips=tips, notes=notes, grain=grain,
                      rebased_from=rebased_from,
                      site=site or "", sites=sites, grains=grains,
                      breadcrumbs=[("Organisations", "/"), (name, f"/orgs/{quote(org, safe='')}")],
                      **chrome(request, user))

    app.include_router(web_actions.router(reading=reading, writing=writing, needs=needs, render=render,
                                          chrome=chrome, error=error, registry=registry))

    pages.register(app, reading=reading, writing=writing, needs=needs, render=render, chrome=chrome,
                   registry=registry)
    watchlists.install(app, db=db, needs=needs, render=render, chrome=chrome, error=error, writing=writing)
    apidoc.document(app)
    return app
