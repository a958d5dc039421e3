"""Schemathesis over the API's own OpenAPI: every /api/v1 operation, for a bearer token of every
role, called in-process on the ASGI app (no network). No answer may be a 5xx, and every answer
must match what the schema declares (status code, content type, body).

The operations are read from the schema, so routes added later are fuzzed without editing this
file. In most valid cases, path and query parameters named like the warehouse's keys (org,
indicator, site, period, grain) are replaced by values the test warehouse really holds, so the
200 path is exercised as well as the 404s (``test_the_fuzzing_reached_the_happy_path``). Generation is seeded and derandomised with a bounded number of
examples: the same cases on every run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import schemathesis
from schemathesis.checks import positive_data_acceptance
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from report.conftest import REGISTRY

from wardwatch.web import ROLES
from wardwatch.web.app import create_app

from .conftest import bearer

EXAMPLES = 20
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({
    "seed": 20261204,
    # unknown query parameters are ignored (as HTTP allows), so sending one is not "negative" data
    "generation": {"deterministic": True, "database": "none", "max-examples": EXAMPLES,
                   "allow-extra-parameters": False},
    "phases": {"stateful": {"enabled": False}},
})

# The schema is built without touching a warehouse (create_app does no I/O until a request).
_SCHEMA_APP = create_app(Path("schema-only.duckdb"), secure_cookies=False, registry=REGISTRY)


class _Deferred:
    """The ASGI app the cases go to, set by the ``fuzz_app`` fixture (the schema is read at import)."""

    target = None

    async def __call__(self, scope, receive, send) -> None:
        await self.target(scope, receive, send)


_APP = _Deferred()
STATUSES: dict[tuple[str, str], set[int]] = {}  # (operation path, role) -> status codes seen of GETs
schema = schemathesis.openapi.from_dict(_SCHEMA_APP.openapi(), config=CONFIG)
schema.app = _APP  # in-process: every request (and every probe of the checks) goes to the ASGI app
schema = schema.include(path_regex="^/api/v1/")


@pytest.fixture(scope="module")
def fuzz_db(web_db, tmp_path_factory):
    """A copy of the web test warehouse: write operations fuzzed here must not change the shared one."""
    path = tmp_path_factory.mktemp("fuzz") / "warehouse.duckdb"
    shutil.copyfile(web_db[0], path)
    return path, web_db[1]


@pytest.fixture(scope="module")
def fuzz_app(fuzz_db):
    _APP.target = create_app(fuzz_db[0], secure_cookies=False, registry=REGISTRY)
    yield _APP.target
    _APP.target = None


@pytest.fixture(scope="module")
def real_values(fuzz_app, fuzz_db) -> dict[str, list]:
    """Parameter values the warehouse holds, read through the API itself (admins see everything)."""
    client = TestClient(fuzz_app)
    head = bearer(fuzz_db[1]["admin"])
    orgs = [o["org_code"] for o in client.get("/api/v1/orgs", headers=head).json()["items"]]
    indicators = [i["indicator_id"] for i in client.get("/api/v1/indicators", headers=head).json()["items"]]
    periods: set[str] = set()
    for ind in indicators:
        answer = client.get(f"/api/v1/indicators/{ind}/funnel", headers=head)
        if answer.status_code == 200:
            periods |= set(answer.json()["periods"])
    assert orgs and indicators, "the test warehouse should have results"
    series = [(o, i) for o in orgs for i in indicators
              if client.get(f"/api/v1/orgs/{o}/indicators/{i}/spc", headers=head).status_code == 200]
    assert series
    return {"series": series, "org": orgs, "org_code": orgs, "indicator": indicators, "indicator_id": indicators,
            "site": [None, "ZT101"], "site_code": [None, "ZT101"], "period": sorted(periods),
            "grain": [None, "month", "week"], "format": [None, "json", "csv"], "limit": [None], "offset": [None],
            "action_id": ["A1"]}  # the test warehouse's action plan (ZT1) has A1


def test_the_schema_fuzzed_is_the_one_served(client, tokens):
    served = client.get("/api/v1/openapi.json", headers=bearer(tokens["viewer"])).json()
    assert served == _SCHEMA_APP.openapi()
    assert any(p.startswith("/api/v1/") for p in served["paths"])


def _realistic(case, draw, real: dict[str, list]) -> None:
    """Three in four of the valid cases get real values for every parameter the warehouse has values for (None:
    the parameter left out), so that an answer needing several right at once (org, indicator,
    grain) is reached too; the others stay as generated."""
    meta = case.meta
    if meta is not None and meta.generation.mode.is_negative:
        return  # an invalid request stays invalid (the checks expect it refused)
    if draw(st.integers(0, 3)) == 3:  # (Hypothesis favours small draws: 0-2 substitute)
        return
    done: set[str] = set()
    path = case.path_parameters or {}
    if "org" in path and "indicator" in path:  # an organisation and an indicator it has a series of
        path["org"], path["indicator"] = draw(st.sampled_from(real["series"]))
        done = {"org", "indicator"}
    for container in (case.path_parameters, case.query):
        if not container:
            continue
        for name in list(container):
            choices = real.get(name)
            if name == "grain" and "/funnel" in case.operation.path:
                choices = [None, "month", "year"]  # a funnel is monthly or per financial year
            if choices and not (container is path and name in done):
                value = draw(st.sampled_from(choices))
                if value is None:
                    del container[name]
                else:
                    container[name] = value


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@schema.given(data=st.data())
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_answers_match_the_schema(case, data, role, fuzz_app, fuzz_db, real_values):
    _realistic(case, data.draw, real_values)
    # the default checks include not_a_server_error, status code, content type and body conformance,
    # and ignored_auth (the same request without the token must be refused)
    # A write's body has rules beyond its schema (the finding must exist, dates in order, known
    # indicators), so a schema-valid body may rightly be refused with 422: for writes the check that
    # valid data is accepted is left out; no 5xx and conformance still hold.
    writes = case.operation.method.lower() in ("post", "patch")
    response = case.call_and_validate(headers=bearer(fuzz_db[1][role]),
                                      excluded_checks=[positive_data_acceptance] if writes else None)
    assert response.status_code < 500
    if not writes:  # writes reach their 2xx in tests/web/test_actions.py, with bodies that follow the rules
        STATUSES.setdefault((case.operation.path, role), set()).add(response.status_code)


def test_the_fuzzing_reached_the_happy_path():
    """The warehouse's real codes were used: every read on an organisation answered 200 at
    least once for an analyst (the test warehouse has SPC series, alerts and ratings for ZT1)."""
    if not STATUSES:
        pytest.skip("run with the fuzzing test above")
    on_org = [path for path, role in STATUSES if role == "analyst" and "{org}" in path]
    assert on_org
    for path in on_org:
        assert 200 in STATUSES[(path, "analyst")], path


def test_the_schema_names_its_choices_and_shared_answers():
    served = _SCHEMA_APP.openapi()
    spc = served["paths"]["/api/v1/orgs/{org}/indicators/{indicator}/spc"]["get"]
    params = {p["name"]: p["schema"] for p in spc["parameters"]}
    assert params["grain"]["enum"] == ["month", "week"]
    assert params["format"]["enum"] == ["json", "csv"]
    assert set(spc["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert spc["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Spc"}
    assert served["components"]["securitySchemes"]["bearerToken"] == {
        "type": "http", "scheme": "bearer", "description": "A token from `wardwatch tokens create NAME --db FILE`."}
    for path, operations in served["paths"].items():
        for operation in operations.values():
            assert operation["security"] == [{"bearerToken": []}], path
            assert {"401", "403", "503"} <= set(operation["responses"]), path
            assert ("404" in operation["responses"]) == ("{" in path), path
