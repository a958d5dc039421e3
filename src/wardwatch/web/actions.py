"""Action plans edited from the web: the JSON API (``/api/v1/orgs/{org}/actions``), the action-plan
page (``/orgs/{org}/actions``) with its create and edit forms, and the SPC chart's SVG download.

Where an edit goes: an organisation's action plan is an input document (``input_documents``,
kind ``action_plan``), imported by ``wardwatch refresh --actions FILE``. A web edit checks the
changed action with the import's own rules (``wardwatch.actions.store.plan_from_dict``) and
writes the whole edited plan back as the organisation's current document, with an ``audit_log``
row holding the old and the new values, in one transaction. The web never writes a results table:
the document's new SHA-256 changes the organisation's ``actions`` fingerprint, so the next
``wardwatch refresh`` re-evaluates that organisation's action effects (and nothing else); until
then the page says the measured effects are from before the edit.

Concurrency: every action has an ETag (a hash of its stored fields); ``PATCH`` needs
``If-Match`` (428 without it, 412 when the action changed since it was read), and the edit form
carries the same value in a hidden ``version`` field.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import duckdb
import pandas as pd
import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from wardwatch.actions.model import (
    STATUSES,
    ActionPlan,
    format_link,
    parse_date,
    parse_link,
    parse_optional_date,
    parse_status,
)
from wardwatch.actions.store import plan_from_dict, plan_to_dict
from wardwatch.errors import InputError
from wardwatch.results.actions import effects_pending, read_plan, replace_plan
from wardwatch.web import data, pagedata, store
from wardwatch.web.data import edition
from wardwatch.web.store import Account

#: the fields of an action a web edit may set (``id`` is fixed once created)
FIELDS = ("finding_id", "title", "owner", "start", "due", "status", "completed_on", "indicators")
MAX_TEXT = 200
MAX_LINKS = 20
ACTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
LABELS = {"id": "Action id", "finding_id": "Finding", "title": "Title", "owner": "Owner", "start": "Start date",
          "due": "Due date", "status": "Status", "completed_on": "Completed on",
          "indicators": "Linked indicators"}


class NoPlan(data.NotFound):
    """The organisation has no imported action plan (404)."""


@dataclass
class Invalid(Exception):
    """Input that breaks the plan's rules: ``(field, one-line message)`` pairs (422)."""

    errors: list[tuple[str, str]]

    def __str__(self) -> str:
        return "; ".join(f"{field}: {message}" for field, message in self.errors)


# --- the JSON form of an action ---------------------------------------------------------------
def item(action: Any) -> dict:
    return {"id": action.id, "finding_id": action.finding_id, "title": action.title, "owner": action.owner,
            "start": action.start.isoformat(), "due": action.due.isoformat(), "status": action.status,
            "completed_on": action.completed_on.isoformat() if action.completed_on else None,
            "indicators": [format_link(x) for x in action.indicators]}


def etag(entry: Mapping[str, Any]) -> str:
    """A strong validator of one action's stored fields."""
    text = json.dumps({k: entry.get(k) for k in ("id", *FIELDS)}, sort_keys=True, ensure_ascii=False)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def load(raw: duckdb.DuckDBPyConnection, org: str) -> tuple[ActionPlan, pd.DataFrame]:
    stored = read_plan(raw, org)
    if stored is None:
        raise NoPlan(f"organisation {org!r}: no action plan imported; import one first "
                     "(wardwatch refresh --actions FILE)")
    return stored


def find(plan: ActionPlan, action_id: str) -> Any:
    for action in plan.actions:
        if action.id == action_id:
            return action
    raise data.NotFound(f"action {action_id!r}: not in the action plan of {plan.org_code}")


# --- checking an edit ------------------------------------------------------------------------------
def _text(value: Any, field: str, errors: list, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append((field, "must be text"))
        return ""
    value = " ".join(value.split())
    if required and not value:
        errors.append((field, "must not be empty"))
    elif len(value) > MAX_TEXT:
        errors.append((field, f"at most {MAX_TEXT} characters"))
    return value


def _links(value: Any, errors: list) -> list[str]:
    """Linked indicators: a list (JSON) or text with one ``id:direction[:rebase][@SITE[/UNIT]]`` a line or
    separated by ``;`` (the form and the CSV layout)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [x for x in re.split(r"[;\n]", value) if x.strip()]
    if not isinstance(value, list):
        errors.append(("indicators", "must be a list of indicator_id:direction"))
        return []
    if len(value) > MAX_LINKS:
        errors.append(("indicators", f"at most {MAX_LINKS} linked indicators"))
        return []
    out = []
    for entry in value:
        if not isinstance(entry, str | dict):
            errors.append(("indicators", "each link is text such as ed_initial_assessment_15min:increase"))
            continue
        try:
            link = parse_link(entry)
        except (InputError, KeyError, TypeError) as exc:
            errors.append(("indicators", " ".join(str(exc).split()) or "not a link"))
            continue
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", link.indicator_id):
            errors.append(("indicators", f"{link.indicator_id[:64]!r} is not an indicator id"))
            continue
        out.append(format_link(link))
    return out


def check(plan: ActionPlan, values: Mapping[str, Any], current: Mapping[str, Any] | None) -> tuple[dict, ActionPlan]:
    """The action ``values`` describe (``current`` the action before a PATCH, None to create),
    checked field by field, then with the whole plan by the import's own rules. Returns the new
    action's entry and the edited plan; raises ``Invalid``."""
    errors: list[tuple[str, str]] = []
    unknown = sorted(set(values) - set(FIELDS) - ({"id"} if current is None else set()))
    if unknown:
        raise Invalid([(unknown[0], f"not a field of an action (fields: {', '.join(FIELDS)})")])
    new: dict[str, Any] = dict(current) if current is not None else {}
    given = (lambda name: name in values) if current is not None else (lambda name: True)
    if current is None:
        raw_id = values.get("id") or plan._next_id()
        if not isinstance(raw_id, str) or not ACTION_ID.fullmatch(raw_id):
            errors.append(("id", "1-32 letters, digits, '.', '_' or '-'"))
        elif any(a.id == raw_id for a in plan.actions):
            errors.append(("id", f"action {raw_id!r} already exists"))
        new["id"] = raw_id
    if given("finding_id"):
        finding = _text(values.get("finding_id"), "finding_id", errors, True)
        if finding and finding not in {f.id for f in plan.findings}:
            errors.append(("finding_id", (f"no finding {finding!r} in the plan; known: "
                                         f"{', '.join(f.id for f in plan.findings)}")))
        new["finding_id"] = finding
    for name, required in (("title", True), ("owner", False)):
        if given(name):
            new[name] = _text(values.get(name), name, errors, required)
    for name in ("start", "due"):
        if given(name):
            text = _text(values.get(name), name, errors, True)
            if text:
                try:
                    new[name] = parse_date(text, name).isoformat()
                except InputError:
                    errors.append((name, f"{text[:40]!r} is not a date (use YYYY-MM-DD)"))
    if given("status"):
        text = _text(values.get("status") or "not_started", "status", errors, True)
        try:
            new["status"] = parse_status(text)
        except InputError:
            errors.append(("status", f"unknown status {text[:40]!r}; use one of {', '.join(STATUSES)}"))
    if given("completed_on"):
        text = _text(values.get("completed_on"), "completed_on", errors, False)
        try:
            done = parse_optional_date(text, "completed_on")
            new["completed_on"] = done.isoformat() if done else None
        except InputError:
            errors.append(("completed_on", f"{text[:40]!r} is not a date (use YYYY-MM-DD)"))
    if given("indicators"):
        new["indicators"] = _links(values.get("indicators"), errors)
    if errors:
        raise Invalid(errors)
    # completing records the day (today unless given), as `wardwatch actions update` does
    if new.get("status") == "complete" and not new.get("completed_on"):
        new["completed_on"] = date.today().isoformat()
    if new.get("status") != "complete":
        new["completed_on"] = None
    document = plan_to_dict(plan)
    entries = [a for a in document["actions"] if a["id"] != new["id"]]
    position = next((i for i, a in enumerate(document["actions"]) if a["id"] == new["id"]), len(entries))
    entries.insert(position, {k: v for k, v in new.items() if v is not None or k != "completed_on"})
    document["actions"] = entries
    try:
        edited = plan_from_dict(document, f"action {new['id']}")
    except InputError as exc:
        message = " ".join(str(exc).split())
        field = "due" if "due date" in message else "indicators" if "indicator" in message else "title"
        raise Invalid([(field, message.removeprefix(f"action {new['id']}: "))]) from None
    return item(find(edited, new["id"])), edited


def changes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict:
    """The audit row's target: the fields that changed, old and new (old None on create)."""
    if old is None:
        return {"new": dict(new)}
    keys = [k for k in FIELDS if old.get(k) != new.get(k)]
    return {"old": {k: old.get(k) for k in keys}, "new": {k: new.get(k) for k in keys}}


def save(raw: duckdb.DuckDBPyConnection, user: Account, org: str, expected: str | None,
         action_id: str | None, values: Mapping[str, Any]) -> dict:
    """Create (``action_id`` None) or update an action of ``org``'s plan inside the caller's
    transaction; ``expected`` the ETag the editor read (None to skip the check on create). Writes
    the plan document and one audit row; returns the saved action."""
    plan, _ = load(raw, org)
    old = item(find(plan, action_id)) if action_id is not None else None
    if old is not None and expected is not None and not secrets.compare_digest(etag(old), expected):
        raise Stale(old)
    new, edited = check(plan, values, old)
    diff = changes(old, new)
    if old is not None and not diff["new"]:
        return new
    replace_plan(raw, edited, f"web edit by {user.name}")
    store.audit(raw, user.name, "action.create" if old is None else "action.update",
                json.dumps({"org": org, "action": new["id"], **diff}, sort_keys=True, ensure_ascii=False))
    return new


class Stale(Exception):
    """The action changed since the editor read it (412)."""

    def __init__(self, current: dict) -> None:
        super().__init__("the action changed since you read it")
        self.current = current


# --- what the page and the list show -----------------------------------------------------------
def effect_text(row: Any) -> str:
    text = f"{row.indicator_id}: {row.verdict}"
    if pd.notna(row.effect):
        text += f", effect {row.effect:+.3g}"
        if pd.notna(row.ci_low) and pd.notna(row.ci_high):
            text += f" (95% CI {row.ci_low:+.3g} to {row.ci_high:+.3g})"
    return text


def listing(raw: duckdb.DuckDBPyConnection, org: str) -> dict:
    plan, effects = load(raw, org)
    measured: dict[str, list[dict]] = {}
    for row in effects.sort_values(["action_id", "indicator_id"]).itertuples():
        measured.setdefault(row.action_id, []).append({
            "indicator_id": row.indicator_id, "verdict": row.verdict, "text": effect_text(row),
            "effect": data.clean(row.effect), "ci_low": data.clean(row.ci_low), "ci_high": data.clean(row.ci_high)})
    today = date.today()
    items = []
    for action in plan.actions:
        entry = item(action)
        entry["etag"] = etag(entry)
        entry["overdue"] = action.is_overdue(today)
        entry["effects"] = measured.get(action.id, [])
        items.append(entry)
    findings = [{"id": f.id, "text": f.text, "service": f.service, "key_question": f.key_question}
                for f in plan.findings]
    return {"org_code": org, "title": plan.title, "effects_pending": effects_pending(raw, org),
            "items": items, "findings": findings}


# --- the routes ------------------------------------------------------------------------------------
def router(*, reading: Callable, writing: Callable, needs: Callable, render: Callable, chrome: Callable,
           error: Callable, registry: Mapping[str, Any]) -> APIRouter:
    """The routes of this module, using ``create_app``'s connections, sign-in check and rendering."""
    routes = APIRouter()
    viewer = Depends(needs("viewer"))
    editor = Depends(needs("analyst"))

    def org_path(org: str) -> str:
        return f"/orgs/{quote(org, safe='')}/actions"

    def same_site(request: Request, token: str | None) -> bool:
        """Bearer requests carry no CSRF token (no cookie is sent by a browser for them); session
        requests must echo the session's token."""
        expected = getattr(request.state, "csrf", None)
        if expected is None:
            return True
        return bool(token) and secrets.compare_digest(token.encode(), expected.encode())

    async def json_body(request: Request) -> dict:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            raise Invalid([("body", "not valid JSON")]) from None
        if not isinstance(body, dict):
            raise Invalid([("body", "send a JSON object of the action's fields")])
        return body

    def unprocessable(exc: Invalid) -> JSONResponse:
        field, message = exc.errors[0]
        return JSONResponse({"error": f"{field}: {message}",
                             "errors": [{"field": f, "message": m} for f, m in exc.errors]}, status_code=422)

    # -- API ---------------------------------------------------------------------------------
    @routes.get("/api/v1/orgs/{org}/actions", summary="The action plan with each action's measured effect")
    def api_actions(request: Request, org: str, user: Account = viewer) -> Response:
        try:
            with reading() as raw:
                return JSONResponse(listing(raw, org))
        except NoPlan as exc:
            return error(request, 404, str(exc))

    @routes.get("/api/v1/orgs/{org}/action-plan", summary="The current plan as a YAML file to import")
    def api_plan_yaml(request: Request, org: str, user: Account = viewer) -> Response:
        with reading() as raw:
            plan, _ = load(raw, org)
        text = yaml.safe_dump(plan_to_dict(plan), sort_keys=False, allow_unicode=True)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{org}_action_plan.yaml")
        return Response(text, media_type="application/yaml; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @routes.get("/api/v1/orgs/{org}/actions/{action_id}", summary="One action, with its ETag")
    def api_action(request: Request, org: str, action_id: str, user: Account = viewer) -> Response:
        try:
            with reading() as raw:
                entry = item(find(load(raw, org)[0], action_id))
        except NoPlan as exc:
            return error(request, 404, str(exc))
        return JSONResponse(entry, headers={"ETag": etag(entry)})

    @routes.post("/api/v1/orgs/{org}/actions", summary="Add an action (analyst, clinician, admin)")
    async def api_create(request: Request, org: str, user: Account = editor) -> Response:
        saved = await api_save(request, user, org, None, None)
        if isinstance(saved, Response):
            return saved
        location = f"/api/v1/orgs/{quote(org, safe='')}/actions/{quote(saved['id'], safe='')}"
        return JSONResponse(saved, status_code=201, headers={"ETag": etag(saved), "Location": location})

    @routes.patch("/api/v1/orgs/{org}/actions/{action_id}", summary="Change an action (If-Match its ETag)")
    async def api_update(request: Request, org: str, action_id: str, user: Account = editor) -> Response:
        expected = request.headers.get("if-match", "").strip()
        if not expected and same_site(request, request.headers.get("x-csrf-token")):
            return error(request, 428, "send If-Match with the action's ETag (GET the action first)")
        saved = await api_save(request, user, org, expected or None, action_id)
        if isinstance(saved, Response):
            return saved
        return JSONResponse(saved, headers={"ETag": etag(saved)})

    async def api_save(request: Request, user: Account, org: str, expected: str | None,
                       action_id: str | None) -> dict | Response:
        """The API's create and change: the CSRF check, then ``save``; an error answer or the
        saved action."""
        if not same_site(request, request.headers.get("x-csrf-token")):
            return error(request, 403, "send the session's CSRF token in X-CSRF-Token (or use a bearer token)")
        try:
            body = await json_body(request)
            with writing() as raw:
                return save(raw, user, org, expected, action_id, body)
        except NoPlan as exc:
            return error(request, 404, str(exc))
        except Stale as exc:
            return JSONResponse({"error": "the action changed since you read it; GET it again and re-apply",
                                 "current": exc.current}, status_code=412, headers={"ETag": etag(exc.current)})
        except Invalid as exc:
            return unprocessable(exc)

    # -- pages ------------------------------------------------------------------------------
    def plan_page(request: Request, org: str, user: Account, status: int = 200, *, form: dict | None = None,
                  errors: list | None = None, editing: dict | None = None, message: str | None = None) -> Response:
        try:
            with reading() as raw:
                plan = listing(raw, org)
                name = data.org_name(raw, org)
        except NoPlan as exc:
            return error(request, 404, str(exc))
        template = "actions_edit.html" if editing is not None else "actions.html"
        return render(template, status=status, org=org, org_name=name, plan=plan, statuses=STATUSES,
                      form=form or {}, errors=errors or [], editing=editing, message=message, labels=LABELS,
                      can_edit=user.at_least("analyst"), saved=request.query_params.get("saved", "")[:32],
                      **chrome(request, user))

    async def form_fields(request: Request) -> dict:
        form = await request.form()
        return {k: str(v) for k, v in form.items() if isinstance(v, str)}

    @routes.get("/orgs/{org}/actions", response_class=HTMLResponse, include_in_schema=False)
    def actions_page(request: Request, org: str, user: Account = viewer) -> Response:
        return plan_page(request, org, user)

    @routes.post("/orgs/{org}/actions", include_in_schema=False)
    async def create_from_form(request: Request, org: str, user: Account = editor) -> Response:
        fields = await form_fields(request)
        if not same_site(request, fields.get("csrf")):
            return error(request, 403, "the form has expired or did not come from this site; reload the page")
        values = {k: fields.get(k, "") for k in ("id", *FIELDS) if k != "completed_on"}
        values["id"] = values["id"].strip() or None
        try:
            with writing() as raw:
                saved = save(raw, user, org, None, None, values)
        except NoPlan as exc:
            return error(request, 404, str(exc))
        except Invalid as exc:
            return plan_page(request, org, user, 422, form=fields, errors=exc.errors)
        return RedirectResponse(f"{org_path(org)}?saved={quote(saved['id'], safe='')}#action-{saved['id']}",
                                status_code=303)

    @routes.get("/orgs/{org}/actions/{action_id}/edit", response_class=HTMLResponse, include_in_schema=False)
    def edit_page(request: Request, org: str, action_id: str, user: Account = editor) -> Response:
        try:
            with reading() as raw:
                entry = item(find(load(raw, org)[0], action_id))
        except NoPlan as exc:
            return error(request, 404, str(exc))
        form = {**entry, "indicators": "\n".join(entry["indicators"]), "completed_on": entry["completed_on"] or "",
                "version": etag(entry)}
        return plan_page(request, org, user, form=form, editing=entry)

    @routes.post("/orgs/{org}/actions/{action_id}/edit", include_in_schema=False)
    async def edit_from_form(request: Request, org: str, action_id: str, user: Account = editor) -> Response:
        fields = await form_fields(request)
        if not same_site(request, fields.get("csrf")):
            return error(request, 403, "the form has expired or did not come from this site; reload the page")
        values = {k: fields.get(k, "") for k in FIELDS}
        try:
            with writing() as raw:
                saved = save(raw, user, org, fields.get("version", ""), action_id, values)
        except NoPlan as exc:
            return error(request, 404, str(exc))
        except Stale as exc:
            current = exc.current
            form = {**fields, "version": etag(current)}
            return plan_page(request, org, user, 412, form=form, editing=current,
                             errors=[("title", ("someone else changed this action since you opened the form: "
                                               "check the current values below and save again"))])
        except Invalid as exc:
            with reading() as raw:
                current = item(find(load(raw, org)[0], action_id))
            return plan_page(request, org, user, 422, form=fields, errors=exc.errors, editing=current)
        return RedirectResponse(f"{org_path(org)}?saved={quote(saved['id'], safe='')}#action-{saved['id']}",
                                status_code=303)

    @routes.get("/orgs/{org}/indicators/{indicator}/chart.svg", include_in_schema=False)
    def chart_svg(request: Request, org: str, indicator: str, user: Account = viewer,
                  grain: str = "month", site: str | None = None) -> Response:
        if grain not in ("month", "week"):
            return error(request, 422, "grain: month or week")
        with reading() as raw:
            drawn = pagedata.drawn_chart(raw, org, indicator, grain, site or None, edition(user), registry)
        if not drawn.svg:
            return error(request, 404, "nothing charted for this series")
        svg = drawn.svg
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{org}_{indicator}_{grain}{'_' + site if site else ''}.svg")
        return Response(svg, media_type="image/svg+xml",
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})

    return routes
