"""The read-only pages beyond the trust overview: funnel, mortality alerts (CUSUM and VLAD),
ratings with their rules, data quality (with the analysts' quarantine download) and search.

Each page reads the stored results through ``pagedata`` and renders a template that extends
``base.html``; none needs JavaScript. Routes and roles:

=====================================================  ==========  ====================================
route                                                  role        what
=====================================================  ==========  ====================================
GET /indicators/{indicator}/funnel?grain&period&org    viewer      funnel SVG and table, org highlighted
GET /orgs/{org}/mortality                              viewer      SMRs, CUSUM alerts; paths: analysts
GET /orgs/{org}/ratings                                viewer      every inspection with rules
GET /data-quality                                      viewer      last refresh, datasets, quarantine
GET /data-quality/quarantine.csv?dataset=              analyst     the refused rows (csvsafe, audited)
GET /search?q=                                         viewer      organisations and indicators
=====================================================  ==========  ====================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from wardwatch.csvsafe import neutralise
from wardwatch.web import pagedata, store
from wardwatch.web.data import org_name, require_org
from wardwatch.web.store import Account


def register(app: FastAPI, *, reading: Callable, writing: Callable, needs: Callable, render: Callable,
             chrome: Callable, registry: Mapping[str, Any]) -> None:
    viewer = Depends(needs("viewer"))
    analyst = Depends(needs("analyst"))

    def org_crumbs(org: str, name: str) -> list[tuple[str, str]]:
        return [("Organisations", "/"), (name, f"/orgs/{quote(org, safe='')}")]

    @app.get("/indicators/{indicator}/funnel", response_class=HTMLResponse, include_in_schema=False)
    def funnel_page(request: Request, indicator: str, user: Account = viewer, grain: str | None = None,
                    period: str | None = None, org: str | None = None) -> HTMLResponse:
        from wardwatch.indicator_meta import as_meta
        from wardwatch.render.results import plot_funnel

        context = chrome(request, user)
        meta = as_meta(indicator, registry.get(indicator))
        with reading() as raw:
            if org:
                require_org(raw, org)
            found = pagedata.funnel(raw, indicator, grain or None, period or None, context["edition"])
            name = org_name(raw, org) if org else None
        chart = ""
        if found["result"] is not None:
            chart = plot_funnel(found["result"], highlight=org if org else None,
                                title=f"{meta.title}, {found['grain']} from {found['period']}")
        crumbs = org_crumbs(org, name) if org else [("Organisations", "/"), ("Search", "/search")]
        return render("funnel.html", meta=meta, funnel=found, chart=chart, org=org, org_name=name,
                      breadcrumbs=crumbs, **context)

    @app.get("/orgs/{org}/mortality", response_class=HTMLResponse, include_in_schema=False)
    def mortality_page(request: Request, org: str, user: Account = viewer) -> HTMLResponse:
        from wardwatch.render.results import plot_cusum, plot_vlad

        context = chrome(request, user)
        with reading() as raw:
            found = pagedata.mortality(raw, org, context["edition"])
            name = org_name(raw, org)
        charts = []
        paths = found["paths"]
        if paths is not None and not paths.empty:
            for group in found["groups"]:
                if not (paths["diagnosis_group"] == group).any():
                    continue
                charts.append({
                    "group": group, "alert": any(a["diagnosis_group"] == group for a in found["alerts"]),
                    "cusum": plot_cusum(found["cusum"], title=f"Risk-adjusted CUSUM, {group}",
                                        org_code=org, diagnosis_group=group),
                    "vlad": plot_vlad(found["cusum"], title=f"VLAD, {group}", org_code=org, diagnosis_group=group)})
        return render("mortality.html", org=org, org_name=name, found=found, charts=charts,
                      breadcrumbs=org_crumbs(org, name), **context)

    @app.get("/orgs/{org}/ratings", response_class=HTMLResponse, include_in_schema=False)
    def ratings_page(request: Request, org: str, user: Account = viewer) -> HTMLResponse:
        with reading() as raw:
            inspections = pagedata.ratings(raw, org)
            name = org_name(raw, org)
        return render("ratings.html", org=org, org_name=name, inspections=inspections,
                      breadcrumbs=org_crumbs(org, name), **chrome(request, user))

    @app.get("/data-quality", response_class=HTMLResponse, include_in_schema=False)
    def quality_page(request: Request, user: Account = viewer) -> HTMLResponse:
        with reading() as raw:
            found = pagedata.data_quality(raw)
        return render("quality.html", found=found, may_download=user.at_least("analyst"),
                      breadcrumbs=[("Organisations", "/")], **chrome(request, user))

    @app.get("/data-quality/quarantine.csv", include_in_schema=False)
    def quarantine_csv(request: Request, dataset: str = Query(..., min_length=1, max_length=100),
                       user: Account = analyst) -> Response:
        with reading() as raw:
            frame = pagedata.quarantined_rows(raw, dataset)
        with writing() as raw:
            store.audit(raw, user.name, "quarantine.download", dataset)
        body = neutralise(frame).to_csv(index=False).encode()
        safe_name = "".join(c if c.isalnum() or c in "-_" else "_" for c in dataset)[:60]
        return Response(body, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="quarantine-{safe_name}.csv"'})

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, user: Account = viewer,
                    q: str = Query("", max_length=100)) -> HTMLResponse:
        context = chrome(request, user)
        with reading() as raw:
            found = pagedata.search(raw, q, registry)
            for item in found["indicators"]:
                item["orgs"] = pagedata.org_indicator_grains(raw, item["indicator_id"], context["edition"])
        return render("search.html", q=q, found=found, breadcrumbs=[("Organisations", "/")], **context)


def funnel_link(indicator: str, org: str | None = None, **query: str) -> str:
    params = {k: v for k, v in {"org": org, **query}.items() if v}
    tail = f"?{urlencode(params)}" if params else ""
    return f"/indicators/{quote(indicator, safe='')}/funnel{tail}"
