"""Live watchlists in ``wardwatch serve``: the JSON/CSV API, FHIR intake, the clinician's page,
its server-sent events and the per-item actions (docs/guide/watchlists.md).

Patient-level, so every route here needs the clinician role (admins too); viewers and analysts
get 403. Items carry a pseudonymised patient reference and an item reference (a keyed hash of
the visit or order number), never an identifier. Staff actions are kept in the live SQLite store
(table ``actions``, written by the one live writer); each also writes an ``audit_log`` row.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from wardwatch.live.store import ACTIONS
from wardwatch.web.data import NotFound
from wardwatch.web.live import PAGE_ITEMS, LiveHub
from wardwatch.web.store import Account, audit

#: the page's policy: the default one plus this app's own script and event stream
PAGE_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self'; form-action 'self'; frame-ancestors 'none'")
ASSIGNEE = re.compile(r"[^\W\d_][\w .'’-]{0,63}")
FILTER = re.compile(r"[A-Za-z0-9._-]{1,32}")
MAX_FHIR_BYTES = 10 << 20
FHIR_TYPES = ("application/fhir+json", "application/json")


_STARTING = threading.Lock()


def configure(app: FastAPI, hub: LiveHub) -> None:
    """Use ``hub`` (``wardwatch serve``'s, or a test's with its own clock); started on first use
    unless the caller started it."""
    app.state.live = hub


def _hub(app: FastAPI, db: Path) -> LiveHub:
    hub = getattr(app.state, "live", None)
    if hub is not None and hub.started:
        return hub
    with _STARTING:  # the first watchlist request starts the live side (none: a plain hub)
        hub = getattr(app.state, "live", None)
        if hub is None:
            hub = app.state.live = LiveHub(db)
        if not hub.started:
            hub.start()
    return hub


def _filter(value: str | None, name: str) -> str | None:
    if not value:
        return None
    if not FILTER.fullmatch(value):
        raise NotFound(f"{name} {value[:32]!r}: not a code")
    return value


def _waited(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def install(app: FastAPI, *, db: Path, needs: Callable[[str], Callable], render: Callable[..., Response],
            chrome: Callable[[Request, Account], dict], error: Callable[[Request, int, str], Response],
            writing: Callable) -> None:
    """Add the watchlist routes to ``app`` (one call from ``wardwatch.web.app.create_app``)."""
    clinician = Depends(needs("clinician"))

    def hub() -> LiveHub:
        return _hub(app, db)

    def rule_of(name: str):
        live = hub()
        if name not in live.rules.rules:
            raise NotFound(f"no watchlist {name[:64]!r}; the watchlists are {', '.join(live.rules.rules)}")
        return live, live.rules.rules[name]

    def snapshot(name: str, status: str | None, org: str | None, site: str | None, offset: int = 0,
                 limit: int | None = None) -> dict[str, Any]:
        """The list as the API gives it; rows (with item references and actions) only for the page asked."""
        live, rule = rule_of(name)
        at, items = live.items(name, status=status, org=_filter(org, "org"), site=_filter(site, "site"))
        counts = {s: sum(1 for i in items if i.status == s) for s in ("red", "amber", "green")}
        window = items[offset:] if limit is None else items[offset: offset + limit]
        return {"watchlist": name, "title": rule.title, "rules_version": live.rules.version,
                "amber_minutes": rule.amber_minutes, "red_minutes": rule.red_minutes,
                "at": at.isoformat(timespec="seconds"), "counts": counts, "total": len(items),
                "items": live.rows(name, window), "sites": sorted({i.site_code for i in items if i.site_code})}

    status_q = Query(None, pattern="^(red|amber|green)?$", description="Only items with this status.")

    # --- API -----------------------------------------------------------------------------
    @app.get("/api/v1/watchlists", summary="The live watchlists and their open items (clinicians)")
    def api_watchlists(request: Request, user: Account = clinician) -> Response:
        live = hub()
        out = []
        for name, rule in live.rules.rules.items():
            _, items = live.items(name)
            out.append({"watchlist": name, "title": rule.title, "rules_version": live.rules.version,
                        "open": len(items), **{s: sum(1 for i in items if i.status == s)
                                              for s in ("red", "amber", "green")}})
        return Response(json.dumps({"items": out}), media_type="application/json")

    @app.get("/api/v1/watchlists/{name}", summary="Open items of a live watchlist, longest wait first (clinicians)")
    def api_watchlist(request: Request, name: str, user: Account = clinician, org: str | None = None,
                      site: str | None = None, status: str | None = status_q,
                      limit: int = Query(100, ge=1, le=10_000), offset: int = Query(0, ge=0),
                      format: str = Query("json", pattern="^(json|csv)$")) -> Response:
        from wardwatch.csvsafe import neutralise

        result = snapshot(name, status or None, org, site, offset, limit)
        del result["sites"]
        result.update(limit=limit, offset=offset)
        if format == "csv":
            import pandas as pd

            frame = pd.DataFrame(result["items"], columns=list(_empty_row()))
            return Response(neutralise(frame).to_csv(index=False).encode(), media_type="text/csv; charset=utf-8")
        return Response(json.dumps(result, sort_keys=True), media_type="application/json")

    @app.post("/api/v1/fhir", summary="FHIR R4 Bundle or resource into the live watchlists (clinicians)")
    async def api_fhir(request: Request, user: Account = clinician) -> Response:
        live = hub()
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in FHIR_TYPES:
            return _outcome(415, [("error", "not-supported", "send Content-Type: application/fhir+json")])
        body = await request.body()
        if len(body) > MAX_FHIR_BYTES:
            return _outcome(413, [("error", "too-costly", f"body over {MAX_FHIR_BYTES >> 20} MiB")])
        text = body.decode("utf-8", errors="replace")
        try:
            document = json.loads(text)
        except json.JSONDecodeError as err:
            reason = f"not JSON (line {err.lineno}, column {err.colno}: {err.msg})"
            await live.quarantine(text, reason)
            await run_in_threadpool(_audit, user, "fhir.refused", reason)
            return _outcome(400, [("error", "structure", reason)])
        problem = _shape_problem(document)
        if problem:
            await live.quarantine(text, problem)
            await run_in_threadpool(_audit, user, "fhir.refused", problem)
            return _outcome(422, [("error", "structure", problem)])
        summary = await live.ingest_fhir(document)
        counts = f"applied {summary.applied}, duplicates {summary.duplicate}, quarantined {summary.quarantined}"
        await run_in_threadpool(_audit, user, "fhir.ingest", counts)
        issues = [("information", "informational", counts)]
        issues += [("error", "invalid", reason) for reason in summary.reasons]
        status = 422 if summary.quarantined and not (summary.applied or summary.duplicate) else 200
        return _outcome(status, issues, applied=summary.applied, duplicates=summary.duplicate,
                        quarantined=summary.quarantined)

    def _audit(user: Account, action: str, target: str) -> None:
        with writing() as raw:
            audit(raw, user.name, action, target[:500])

    # --- pages -----------------------------------------------------------------------------
    def page_response(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = PAGE_CSP
        return response

    @app.get("/watchlists", include_in_schema=False)
    def watchlists_page(request: Request, user: Account = clinician) -> Response:
        live = hub()
        lists = []
        for name, rule in live.rules.rules.items():
            _, items = live.items(name)
            lists.append({"name": name, "title": rule.title, "open": len(items),
                          **{s: sum(1 for i in items if i.status == s) for s in ("red", "amber", "green")}})
        return page_response(render("watchlists.html", lists=lists, rules_version=live.rules.version,
                                    **chrome(request, user)))

    @app.get("/watchlists/{name}", include_in_schema=False)
    def watchlist_page(request: Request, name: str, user: Account = clinician, site: str | None = None,
                       status: str | None = status_q) -> Response:
        _live, rule = rule_of(name)
        result = snapshot(name, status or None, None, site, 0, PAGE_ITEMS)
        sites = snapshot(name, None, None, None, 0, 0)["sites"] if (site or status) else result["sites"]
        for row in result["items"]:
            row["waited"] = _waited(row["minutes"])
        query = {k: v for k, v in (("site", site), ("status", status)) if v}
        events = f"/watchlists/{quote(name, safe='')}/events" + (f"?{urlencode(query)}" if query else "")
        csv_link = f"/api/v1/watchlists/{quote(name, safe='')}?{urlencode({**query, 'format': 'csv'})}"
        return page_response(render(
            "watchlist.html", name=name, rule=rule, result=result, shown=result["items"],
            sites=sites, site=site or "", status_filter=status or "", events=events, csv_link=csv_link,
            **chrome(request, user)))

    @app.get("/watchlists/{name}/events", include_in_schema=False)
    async def watchlist_events(request: Request, name: str, user: Account = clinician, site: str | None = None,
                               status: str | None = status_q) -> Response:
        live, _ = rule_of(name)
        _filter(site, "site")
        limit = getattr(app.state, "sse_max_events", None)  # tests end the stream after N events

        async def stream():
            yield "retry: 3000\n\n"
            seen_version, last_body, last_sent, sent = None, None, 0.0, 0
            while limit is None or sent < limit:
                if await request.is_disconnected():
                    return
                now = time.monotonic()
                if live.version != seen_version or now - last_sent >= live.tick:
                    seen_version = live.version
                    result = await run_in_threadpool(snapshot, name, status or None, None, site, 0, PAGE_ITEMS)
                    body = json.dumps({k: v for k, v in result.items() if k != "at"}, sort_keys=True)
                    if body != last_body or now - last_sent >= live.tick:
                        last_body, last_sent = body, now
                        sent += 1
                        yield f"event: items\ndata: {json.dumps(result, sort_keys=True)}\n\n"
                    # at most one list query per stream_interval, however fast messages arrive
                    await asyncio.sleep(max(0.0, live.stream_interval - live.poll))
                await asyncio.sleep(live.poll)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.post("/watchlists/{name}/items/{item_ref}/{action}", include_in_schema=False)
    def item_action(request: Request, name: str, item_ref: str, action: str, user: Account = clinician,
                    csrf: str = Form(""), assignee: str = Form(""), site: str = Form(""),
                    status: str = Form("")) -> Response:
        expected = getattr(request.state, "csrf", None)
        if not expected or not secrets.compare_digest(csrf.encode(), expected.encode()):
            return error(request, 403, "the form has expired or did not come from this site")
        live, _ = rule_of(name)
        if action not in ACTIONS:
            raise NotFound(f"no action {action[:32]!r}; use {', '.join(ACTIONS)}")
        who = None
        if action == "assign":
            who = " ".join(assignee.split())
            if not ASSIGNEE.fullmatch(who):
                return error(request, 422, "assign to: give a person's name (letters, spaces, . ' -; up to 64)")
        item = live.find(name, item_ref)
        if item is None:
            raise NotFound(f"{item_ref[:40]} is no longer on {name}")
        live.act(name, item, action, user.name, who)
        target = f"{name} {item_ref}" + (f" to {who}" if who else "")
        _audit(user, f"watchlist.{action}", target)
        query = {k: v for k, v in (("site", site), ("status", status)) if v and FILTER.fullmatch(v)}
        back = f"/watchlists/{quote(name, safe='')}" + (f"?{urlencode(query)}" if query else "")
        return RedirectResponse(f"{back}#{item_ref}", status_code=303)


def _empty_row() -> dict[str, None]:
    return dict.fromkeys(["item_ref", "patient_ref", "location", "org_code", "site_code", "started_at", "minutes",
                          "status", "rules_version", "acknowledged_by", "acknowledged_at", "assigned_to",
                          "assigned_by", "assigned_at", "escalated_by", "escalated_at"])


def _shape_problem(document: Any) -> str | None:
    """Why a parsed body is not a FHIR resource or Bundle we can read (None when it is)."""
    if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
        return "not a FHIR resource (no resourceType)"
    if document["resourceType"] == "Bundle":
        entries = document.get("entry") or []
        if not isinstance(entries, list) or not all(
                isinstance(e, dict) and isinstance(e.get("resource") or {}, dict) for e in entries):
            return "Bundle.entry must be a list of entries with a resource object"
    return None


def _outcome(status: int, issues: list[tuple[str, str, str]], **counts: int) -> Response:
    body = {"resourceType": "OperationOutcome",
            "issue": [{"severity": s, "code": c, "diagnostics": d} for s, c, d in issues], **counts}
    return Response(json.dumps(body), status_code=status, media_type="application/fhir+json")
