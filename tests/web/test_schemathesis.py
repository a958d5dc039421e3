"""Schemathesis over the API's own OpenAPI: every /api/v1 operation, for a bearer token of every
role, called in-process on the ASGI app (no network). No answer may be a 5xx, and every answer
must match what the schema declares (status code, content type, body).

The operations are read from the schema, so routes added later are fuzzed without editing this
file. Path and query parameters named like the warehouse's keys (org, indicator, site, period,
...) are replaced half of the time by values the test warehouse really holds, so the 200 path is
exercised as well as the 404s. Generation is seeded and derandomised with a bounded number of
examples: the same cases on every run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from report.conftest import REGISTRY

from wardwatch.web import ROLES
from wardwatch.web.app import create_app

from .conftest import bearer

EXAMPLES = 12
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
def real_values(fuzz_app, fuzz_db) -> dict[str, list[str]]:
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
    return {"org": orgs, "org_code": orgs, "indicator": indicators, "indicator_id": indicators,
            "site": ["ZT101"], "site_code": ["ZT101"], "period": sorted(periods), "grain": ["month", "week"]}


def test_the_schema_fuzzed_is_the_one_served(client, tokens):
    served = client.get("/api/v1/openapi.json", headers=bearer(tokens["viewer"])).json()
    assert served == _SCHEMA_APP.openapi()
    assert any(p.startswith("/api/v1/") for p in served["paths"])


def _realistic(case, draw, real: dict[str, list[str]]) -> None:
    for container in (case.path_parameters, case.query):
        if not container:
            continue
        for name in list(container):
            if real.get(name) and draw(st.booleans()):
                container[name] = draw(st.sampled_from(real[name]))


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@schema.given(data=st.data())
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_answers_match_the_schema(case, data, role, fuzz_app, fuzz_db, real_values):
    _realistic(case, data.draw, real_values)
    # the default checks include not_a_server_error, status code, content type and body conformance,
    # and ignored_auth (the same request without the token must be refused)
    response = case.call_and_validate(headers=bearer(fuzz_db[1][role]))
    assert response.status_code < 500


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
