"""What the OpenAPI document of /api/v1 says the API answers: response models (documentation only;
the routes build their JSON themselves) and the answers every operation shares.

``document(app)`` completes the generated schema for every /api/v1 operation, including ones added
later: the bearer-token security scheme, ``text/csv`` beside JSON where the operation takes
``format``, 304 (``If-None-Match``), and the ``{"error": ...}`` answers (401, 403, 404 where the
path names something, 503 while the warehouse is being written).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from wardwatch.actions.model import STATUSES as ACTION_STATUSES

Number = float | None
Text = str | None


class _Open(BaseModel):
    """Documented fields; an answer may carry more (a result table's new column)."""

    model_config = ConfigDict(extra="allow")


class Error(BaseModel):
    error: str


class _Page(_Open):
    total: int
    limit: int
    offset: int


class Org(_Open):
    org_code: str
    org_name: str


class OrgPage(_Page):
    items: list[Org]


class Indicator(_Open):
    indicator_id: str
    title: str
    key_questions: list[str]
    unit: Text
    improvement: Text
    target: Number


class IndicatorPage(_Page):
    items: list[Indicator]


class SpcPoint(_Open):
    x: str
    y: Number
    n: Number
    numerator: Number
    denominator: Number
    centre: Number
    lpl: Number
    upl: Number
    special_cause: Text
    point_type: Text
    status: str


class SpcSeries(_Open):
    indicator_id: str
    org_code: str
    site_code: Text
    grain: str
    edition: str
    chart: Text
    improvement: Text
    target: Number
    unit: Text
    data_until: Text
    variation: Text
    assurance: Text
    note: Text


class SpcSegment(_Open):
    segment: int | None
    n_points: int | None
    centre: Number
    lpl: Number
    upl: Number
    variation: Text
    assurance: Text


class Spc(_Open):
    series: SpcSeries
    points: list[SpcPoint]
    summary: list[SpcSegment]


class FunnelUnit(_Open):
    org_code: str
    numerator: Number
    denominator: Number
    value: Number
    target: Number
    ll95: Number
    ul95: Number
    ll998: Number
    ul998: Number
    z: Number
    outlier: Text
    band: Text


class Funnel(_Open):
    indicator_id: str
    period: Text
    periods: list[str]
    units: list[FunnelUnit]


class Alert(_Open):
    kind: str
    indicator_id: Text
    site_code: Text
    grain: Text
    detail: Text
    date: Text


class AlertPage(_Page):
    items: list[Alert]


class RatingCell(_Open):
    org_code: str
    inspection_id: Text
    publication_date: Text
    level: Text
    location: Text
    service: Text
    key_question: Text
    rating: Text
    rule_id: Text
    verified: bool | None
    explanation: Text


class RatingPage(_Page):
    items: list[RatingCell]


class AuditRow(BaseModel):
    at: str
    user: Text
    action: str
    target: Text


class AuditPage(BaseModel):
    """Newest first; no total (the log only grows)."""

    items: list[AuditRow]
    limit: int
    offset: int


SCHEME = "bearerToken"
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_ERRORS = {
    "401": "No valid bearer token or session (wardwatch tokens create).",
    "403": "The account's role does not allow this.",
    "404": "No such organisation, indicator, site or period in this warehouse.",
    "503": "The warehouse is being written by another process, or is not a wardwatch warehouse.",
}


_TEXT = {"type": "string"}
_DATE = {"type": "string", "format": "date"}
#: the fields of an action a client may send (wardwatch.web.actions.FIELDS); the import's own rules
#: (a finding that exists, dates in order, known indicators) decide what is accepted beyond types
_ACTION_FIELDS = {
    "finding_id": _TEXT, "title": _TEXT, "owner": _TEXT, "start": _DATE, "due": _DATE,
    "status": {"type": "string", "enum": list(ACTION_STATUSES)},
    "completed_on": _DATE, "indicators": {"type": "array", "items": _TEXT},
}
_JSON_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_FHIR_OUTCOME = {"application/fhir+json": {"schema": {"type": "object"}}}

#: what the generated schema cannot know: request bodies read from the raw request, answers that
#: are not JSON, and statuses particular to one operation
_OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/v1/orgs/{org}/actions", "post"): {
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"id": _TEXT, **_ACTION_FIELDS}, "additionalProperties": False}}}},
        "responses": {"201": {"description": "Created: the action, with its ETag and Location.",
                              "content": {"application/json": {"schema": {"type": "object"}}}},
                      "422": {"description": "A field breaks the plan's rules (one line per field).",
                              "content": _JSON_ERROR}}},
    ("/api/v1/orgs/{org}/actions/{action_id}", "patch"): {
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": _ACTION_FIELDS, "additionalProperties": False}}}},
        "responses": {"412": {"description": "The action changed since its ETag was read.",
                              "content": {"application/json": {"schema": {"type": "object"}}}},
                      "422": {"description": "A field breaks the plan's rules.", "content": _JSON_ERROR},
                      "428": {"description": "If-Match (the action's ETag) is required.", "content": _JSON_ERROR}}},
    ("/api/v1/orgs/{org}/action-plan", "get"): {
        "responses": {"200": {"description": "The plan as the YAML file `wardwatch refresh --actions` imports.",
                              "content": {"application/yaml": {"schema": {"type": "object"}}}}}},
    ("/api/v1/fhir", "post"): {
        "requestBody": {"required": True, "content": {
            "application/fhir+json": {"schema": {"type": "object", "required": ["resourceType"],
                                                 "properties": {"resourceType": _TEXT}}}}},
        "responses": {"200": {"description": "An OperationOutcome with the counts applied, duplicate and "
                                             "quarantined.", "content": _FHIR_OUTCOME},
                      **{status: {"description": text, "content": _FHIR_OUTCOME} for status, text in (
                          ("400", "Not JSON (kept in quarantine)."), ("413", "Body too large."),
                          ("415", "Not application/fhir+json."),
                          ("422", "Not a FHIR resource, or every resource refused (kept in quarantine)."))}}},
}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the shared answers of every /api/v1 operation filled in (in place)."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = Error.model_json_schema()
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http", "scheme": "bearer",
        "description": "A token from `wardwatch tokens create NAME --db FILE`."}
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            operation.setdefault("security", [{SCHEME: []}])
            responses = operation.setdefault("responses", {})
            extra = _OPERATIONS.get((path, method), {})
            if "requestBody" in extra:
                operation["requestBody"] = extra["requestBody"]
            responses.update(extra.get("responses", {}))
            params = operation.get("parameters", [])
            takes_format = any(p.get("name") == "format" and p.get("in") == "query" for p in params)
            ok = responses.get("200")
            if takes_format and ok is not None:
                ok.setdefault("content", {}).setdefault(
                    "text/csv", {"schema": {"type": "string"}})
            if method == "get" and ok is not None:
                responses.setdefault("304", {"description": "Not modified: the ETag sent in If-None-Match "
                                                            "still matches."})
            for status, text in _ERRORS.items():
                if status == "404" and "{" not in path:
                    continue
                responses.setdefault(status, {"description": text,
                                              "content": {"application/json": {"schema": _ERROR_REF}}})
    return schema


def document(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed schema (built once, on first use)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
