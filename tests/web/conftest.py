"""A results warehouse for the web tests: the report tests' hand-made measures (ZT1 and ZT2),
refreshed with an inspection history and an action plan whose names carry markup and a formula,
and one account plus bearer token per role."""

from __future__ import annotations

import duckdb
import pytest
from fastapi.testclient import TestClient
from report.conftest import FOCAL, REGISTRY, make_measures
from report.test_refresh import HISTORY, PLAN

from wardwatch.warehouse import web_writer
from wardwatch.web import ROLES, store
from wardwatch.web.app import create_app

NASTY = "<script>alert(1)</script>"
FORMULA_NAME = '=HYPERLINK("http://x")' + NASTY
PASSWORD = "correct horse battery"


def _write_measures(path, frame) -> None:
    # the same table tests/report/conftest.py writes (its ``warehouse`` fixture is function-scoped)
    con = duckdb.connect(str(path))
    con.register("m", frame)
    con.execute(
        "CREATE TABLE measures AS SELECT indicator_id::VARCHAR AS indicator_id, org_code::VARCHAR AS org_code, "
        "site_code::VARCHAR AS site_code, unit_code::VARCHAR AS unit_code, period_start::DATE AS period_start, "
        "period_grain::VARCHAR AS period_grain, numerator::DOUBLE AS numerator, "
        "denominator::DOUBLE AS denominator, value::DOUBLE AS value, source::VARCHAR AS source FROM m"
    )
    con.close()


@pytest.fixture(scope="session")
def web_db(tmp_path_factory):
    from wardwatch.results.refresh import refresh

    folder = tmp_path_factory.mktemp("web")
    path = folder / "warehouse.duckdb"
    _write_measures(path, make_measures())
    history = folder / "history.yaml"
    history.write_text(HISTORY.replace("name: Test Trust", f"name: '{FORMULA_NAME}'"))
    plan = folder / "plan.yaml"
    plan.write_text(PLAN.replace("title: Triage nurse at the front door", f"title: '{NASTY}'"))
    refresh(path, registry=REGISTRY, ratings_files=[history], action_plans=[plan])
    tokens = {}
    with web_writer(path) as raw:
        for role in ROLES:
            store.add_user(raw, role, role, PASSWORD)
            tokens[role] = store.create_token(raw, role)
    return path, tokens


@pytest.fixture
def db(web_db):
    return web_db[0]


@pytest.fixture
def tokens(web_db):
    return web_db[1]


@pytest.fixture
def client(db):
    return TestClient(create_app(db, secure_cookies=False, registry=REGISTRY))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client: TestClient, name: str, password: str = PASSWORD):
    form = client.get("/sign-in")
    csrf = form.cookies.get("ww_csrf") or client.cookies.get("ww_csrf")
    return client.post("/sign-in", data={"name": name, "password": password, "csrf": csrf},
                       follow_redirects=False)


__all__ = ["FOCAL", "bearer", "sign_in"]
