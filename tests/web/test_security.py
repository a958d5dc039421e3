"""Who may see what: the route x role matrix, sign-in, CSRF, the rate limit, cookies, escaping and
the audit log."""

from __future__ import annotations

import duckdb
import pytest
from fastapi.testclient import TestClient

from wardwatch.web.app import create_app

from .conftest import FOCAL, NASTY, PASSWORD, REGISTRY, bearer, sign_in

SPC = f"/api/v1/orgs/{FOCAL}/indicators/sepsis_screened_1h/spc"
API_ROUTES = ["/api/v1/orgs", "/api/v1/indicators", SPC, f"{SPC}?grain=week".replace("sepsis_screened_1h",
              "ed_initial_assessment_15min"), f"/api/v1/orgs/{FOCAL}/alerts", f"/api/v1/orgs/{FOCAL}/ratings",
              "/api/v1/openapi.json"]
PAGES = ["/", f"/orgs/{FOCAL}", f"/orgs/{FOCAL}/indicators/sepsis_screened_1h"]
ROLES = ["viewer", "analyst", "clinician", "admin"]


def test_health_is_the_only_open_route(client):
    assert client.get("/health").json() == {"status": "ok"}
    for route in [*API_ROUTES, "/api/v1/audit", "/api/v1/indicators/sepsis_screened_1h/funnel"]:
        response = client.get(route)
        assert response.status_code == 401, route
        assert response.headers["www-authenticate"] == "Bearer"
        assert "error" in response.json()
    for route in PAGES:
        response = client.get(route, follow_redirects=False)
        assert response.status_code == 303, route
        assert response.headers["location"] == "/sign-in"


@pytest.mark.parametrize("role", ROLES)
def test_route_role_matrix_with_bearer_tokens(client, tokens, role):
    for route in API_ROUTES:
        assert client.get(route, headers=bearer(tokens[role])).status_code == 200, (route, role)
    assert client.get("/api/v1/audit", headers=bearer(tokens[role])).status_code == (200 if role == "admin" else 403)
    assert client.get("/api/v1/orgs", headers=bearer(tokens[role] + "x")).status_code == 401
    assert client.get("/api/v1/orgs", headers={"Authorization": f"Basic {tokens[role]}"}).status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_route_role_matrix_with_a_session(client, role):
    assert sign_in(client, role).status_code == 303
    for route in [*PAGES, *API_ROUTES]:
        response = client.get(route, follow_redirects=False)
        assert response.status_code == 200, (route, role)
    expected = 200 if role == "admin" else 403
    assert client.get("/api/v1/audit").status_code == expected


def test_sign_in_failure_csrf_and_sign_out(client, db):
    assert sign_in(client, "viewer", "wrong password").status_code == 401
    # no CSRF token, a wrong one, or no CSRF cookie: refused before the password is looked at
    client.get("/sign-in")
    assert client.post("/sign-in", data={"name": "viewer", "password": PASSWORD}).status_code == 403
    assert client.post("/sign-in", data={"name": "viewer", "password": PASSWORD, "csrf": "forged"}).status_code == 403
    fresh = TestClient(create_app(db, secure_cookies=False, registry=REGISTRY))
    assert fresh.post("/sign-in", data={"name": "viewer", "password": PASSWORD, "csrf": "x"}).status_code == 403
    assert sign_in(client, "viewer").status_code == 303
    assert client.get("/").status_code == 200
    # sign-out needs the session's CSRF token too
    assert client.post("/sign-out", data={"csrf": "forged"}).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200
    page = client.get("/").text
    token = page.split('name="csrf" value="')[1].split('"')[0]
    assert client.post("/sign-out", data={"csrf": token}, follow_redirects=False).status_code == 303
    client.cookies.clear()
    assert client.get("/", follow_redirects=False).status_code == 303


def _audit(db, action, name):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT count(*) FROM audit_log WHERE action = ? AND user_name = ?",
                           [action, name]).fetchone()[0]


def test_sign_in_is_rate_limited_and_every_attempt_audited(client, db):
    from wardwatch.warehouse import web_writer
    from wardwatch.web import store

    with web_writer(db) as raw:
        store.add_user(raw, "limited", "viewer", PASSWORD)
    for _ in range(5):
        assert sign_in(client, "limited", "not the password").status_code == 401
    assert _audit(db, "sign_in.failed", "limited") == 5
    # the sixth attempt is refused even with the right password
    blocked = sign_in(client, "limited")
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.text
    assert _audit(db, "sign_in.refused", "limited") == 1
    assert _audit(db, "sign_in", "limited") == 0
    # another name is not affected
    before = _audit(db, "sign_in", "analyst")
    assert sign_in(client, "analyst").status_code == 303
    assert _audit(db, "sign_in", "analyst") == before + 1


def test_audit_never_holds_a_password(client, db):
    sign_in(client, "viewer", "a-typed-wrong-password")
    with duckdb.connect(str(db), read_only=True) as con:
        text = str(con.execute("SELECT * FROM audit_log").fetchall())
        hashes = con.execute("SELECT password_hash FROM web_users").fetchall()
    assert "a-typed-wrong-password" not in text and PASSWORD not in text
    assert all(h[0].startswith("$argon2id$") for h in hashes)


def test_session_cookie_is_secure_httponly_and_lax_by_default(db):
    client = TestClient(create_app(db, registry=REGISTRY), base_url="https://testserver")
    response = sign_in(client, "viewer")
    assert response.status_code == 303
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("ww_session="))
    parts = {p.strip().lower() for p in cookie.split(";")}
    assert {"secure", "httponly", "samesite=lax"} <= parts


def test_markup_in_names_and_titles_is_escaped(client):
    sign_in(client, "clinician")
    for route in ["/", f"/orgs/{FOCAL}"]:
        page = client.get(route).text
        assert NASTY not in page, route
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, route
    assert "<script" not in client.get(f"/orgs/{FOCAL}").text
    assert client.get(f"/orgs/{FOCAL}").headers["content-security-policy"].startswith("default-src 'none'")


def test_unknown_things_are_404_with_a_message(client, tokens):
    headers = bearer(tokens["viewer"])
    for route, word in [("/api/v1/orgs/NOPE/alerts", "NOPE"), ("/api/v1/orgs/NOPE/ratings", "NOPE"),
                        ("/api/v1/orgs/NOPE/indicators/sepsis_screened_1h/spc", "NOPE"),
                        (f"/api/v1/orgs/{FOCAL}/indicators/nope/spc", "nope"),
                        ("/api/v1/indicators/nope/funnel", "nope"),
                        (f"/api/v1/orgs/{FOCAL}/indicators/sepsis_screened_1h/spc?site=XX1", "XX1")]:
        response = client.get(route, headers=headers)
        assert response.status_code == 404, route
        assert word in response.json()["error"]
    sign_in(client, "viewer")
    page = client.get("/orgs/NOPE")
    assert page.status_code == 404 and "NOPE" in page.text


def test_pages_follow_the_edition(client):
    sign_in(client, "viewer")
    public = client.get(f"/orgs/{FOCAL}/indicators/sepsis_screened_1h").text
    assert "Public edition" in public and "suppressed" in public
    overview = client.get(f"/orgs/{FOCAL}").text
    assert "ed_initial_assessment_15min: " in overview  # the action's verdict, per linked indicator
    client.cookies.clear()
    sign_in(client, "analyst")
    clinical = client.get(f"/orgs/{FOCAL}/indicators/sepsis_screened_1h").text
    assert "Clinical edition" in clinical and ">suppressed<" not in clinical
