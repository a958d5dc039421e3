"""Action plans edited from the web: POST/PATCH through the API and the forms, roles, the import's
validation rules (422), ETag/If-Match (412), the audit rows, escaping, and the measured effect
appearing after the next refresh (the web writes the plan document, never a result table)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from html import unescape

import duckdb
import pytest
from fastapi.testclient import TestClient
from report.conftest import REGISTRY

from wardwatch.results.refresh import refresh
from wardwatch.web.app import create_app

from .conftest import NASTY, bearer, sign_in

NEW = {"finding_id": "F1", "title": "Rapid assessment bay", "owner": "ED matron", "start": "2019-08-01",
       "due": "2019-12-31", "status": "in_progress", "indicators": ["ed_initial_assessment_15min:increase"]}


@pytest.fixture
def edit_db(web_db, tmp_path):
    """A copy of the shared test warehouse that these tests may change."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(web_db[0], path)
    return path


@pytest.fixture
def app_client(edit_db):
    return TestClient(create_app(edit_db, secure_cookies=False, registry=REGISTRY))


def audit_rows(path, action: str) -> list[tuple[str, dict]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("SELECT user_name, target FROM audit_log WHERE action = ? ORDER BY happened_at",
                           [action]).fetchall()
    return [(user, json.loads(target)) for user, target in rows]


def stored_plan(path) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        text = con.execute("SELECT document FROM input_documents WHERE kind = 'action_plan' AND org_code = 'ZT1'"
                           ).fetchone()[0]
    return json.loads(text)


def session_csrf(client: TestClient, org: str = "ZT1") -> str:
    page = client.get(f"/orgs/{org}/actions").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


# --- roles ------------------------------------------------------------------------------------
def test_viewers_and_strangers_cannot_change_the_plan(app_client, tokens, edit_db):
    before = stored_plan(edit_db)
    assert app_client.post("/api/v1/orgs/ZT1/actions", json=NEW).status_code == 401
    assert app_client.post("/api/v1/orgs/ZT1/actions", json=NEW, headers=bearer(tokens["viewer"])).status_code == 403
    etag = app_client.get("/api/v1/orgs/ZT1/actions/A1", headers=bearer(tokens["viewer"])).headers["etag"]
    patched = app_client.patch("/api/v1/orgs/ZT1/actions/A1", json={"status": "complete"},
                               headers={**bearer(tokens["viewer"]), "If-Match": etag})
    assert patched.status_code == 403
    assert stored_plan(edit_db) == before
    assert audit_rows(edit_db, "action.create") == [] and audit_rows(edit_db, "action.update") == []


@pytest.mark.parametrize("role", ["analyst", "clinician", "admin"])
def test_analysts_clinicians_and_admins_add_an_action_audited_with_its_values(app_client, tokens, edit_db, role):
    created = app_client.post("/api/v1/orgs/ZT1/actions", json=NEW, headers=bearer(tokens[role]))
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "A02"  # the next free A-number after A1
    assert created.headers["location"] == "/api/v1/orgs/ZT1/actions/A02"
    [(user, target)] = audit_rows(edit_db, "action.create")
    assert user == role
    assert target["org"] == "ZT1" and target["action"] == "A02"
    assert target["new"]["title"] == "Rapid assessment bay" and target["new"]["due"] == "2019-12-31"
    saved = next(a for a in stored_plan(edit_db)["actions"] if a["id"] == "A02")
    assert saved["owner"] == "ED matron"
    assert saved["indicators"] == [{"indicator_id": "ed_initial_assessment_15min", "expected": "increase"}]


# --- the import's rules: one-line 422s -----------------------------------------------------------
@pytest.mark.parametrize("change, field, words", [
    ({"due": "2019-07-01"}, "due", "before start"),
    ({"start": "2019-02-30"}, "start", "not a date"),
    ({"status": "finished"}, "status", "unknown status"),
    ({"finding_id": "F9"}, "finding_id", "no finding 'F9'"),
    ({"title": "   "}, "title", "must not be empty"),
    ({"title": "x" * 201}, "title", "at most 200"),
    ({"indicators": ["ed_initial_assessment_15min:sideways"]}, "indicators", "increase or decrease"),
    ({"colour": "red"}, "colour", "not a field"),
    ({"owner": 7}, "owner", "must be text"),
])
def test_bad_input_is_refused_with_a_one_line_422_and_nothing_changes(app_client, tokens, edit_db, change,
                                                                       field, words):
    before = stored_plan(edit_db)
    answer = app_client.post("/api/v1/orgs/ZT1/actions", json={**NEW, **change}, headers=bearer(tokens["analyst"]))
    assert answer.status_code == 422
    message = answer.json()["error"]
    assert message.startswith(f"{field}: ") and words in message and "\n" not in message
    assert stored_plan(edit_db) == before
    assert audit_rows(edit_db, "action.create") == []


def test_a_body_that_is_not_a_json_object_is_a_422(app_client, tokens):
    answer = app_client.post("/api/v1/orgs/ZT1/actions", content=b"[1, 2]",
                             headers={**bearer(tokens["analyst"]), "Content-Type": "application/json"})
    assert answer.status_code == 422 and answer.json()["error"].startswith("body: ")


def test_an_org_without_a_plan_is_a_404(app_client, tokens):
    answer = app_client.post("/api/v1/orgs/ZT2/actions", json=NEW, headers=bearer(tokens["analyst"]))
    assert answer.status_code == 404 and "no action plan imported" in answer.json()["error"]


# --- PATCH: If-Match, 412, audit of old and new values -------------------------------------------
def test_patch_needs_if_match_and_refuses_a_stale_edit(app_client, tokens, edit_db):
    headers = bearer(tokens["analyst"])
    first = app_client.get("/api/v1/orgs/ZT1/actions/A1", headers=headers)
    tag = first.headers["etag"]
    assert app_client.patch("/api/v1/orgs/ZT1/actions/A1", json={"owner": "X"}, headers=headers).status_code == 428
    ok = app_client.patch("/api/v1/orgs/ZT1/actions/A1", json={"status": "complete", "completed_on": "2019-10-02"},
                          headers={**headers, "If-Match": tag})
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "complete" and ok.json()["completed_on"] == "2019-10-02"
    assert ok.headers["etag"] != tag
    # a second editor still holding the first ETag
    stale = app_client.patch("/api/v1/orgs/ZT1/actions/A1", json={"owner": "Someone else"},
                             headers={**bearer(tokens["clinician"]), "If-Match": tag})
    assert stale.status_code == 412
    assert stale.json()["current"]["status"] == "complete"
    assert stale.headers["etag"] == ok.headers["etag"]
    [(user, target)] = audit_rows(edit_db, "action.update")
    assert user == "analyst"
    assert target["old"] == {"status": "in_progress", "completed_on": None}
    assert target["new"] == {"status": "complete", "completed_on": "2019-10-02"}
    assert [a["owner"] for a in stored_plan(edit_db)["actions"]] == ["Head of Nursing"]


def test_completing_without_a_date_records_today_and_reopening_clears_it(app_client, tokens):
    headers = bearer(tokens["admin"])
    tag = app_client.get("/api/v1/orgs/ZT1/actions/A1", headers=headers).headers["etag"]
    done = app_client.patch("/api/v1/orgs/ZT1/actions/A1", json={"status": "done"}, headers={**headers, "If-Match": tag})
    assert done.json()["status"] == "complete" and done.json()["completed_on"] == date.today().isoformat()
    again = app_client.patch("/api/v1/orgs/ZT1/actions/A1", json={"status": "in_progress"},
                             headers={**headers, "If-Match": done.headers["etag"]})
    assert again.json()["completed_on"] is None


def test_an_id_cannot_be_changed_by_patch(app_client, tokens):
    headers = bearer(tokens["analyst"])
    tag = app_client.get("/api/v1/orgs/ZT1/actions/A1", headers=headers).headers["etag"]
    answer = app_client.patch("/api/v1/orgs/ZT1/actions/A1", json={"id": "A9"}, headers={**headers, "If-Match": tag})
    assert answer.status_code == 422 and answer.json()["error"].startswith("id: not a field")


# --- computed once into results: the next refresh measures the edited plan -------------------------
def test_an_edit_marks_the_effects_stale_and_the_next_refresh_measures_only_that_plan(app_client, tokens, edit_db):
    headers = bearer(tokens["analyst"])
    assert app_client.get("/api/v1/orgs/ZT1/actions", headers=headers).json()["effects_pending"] is False
    assert app_client.post("/api/v1/orgs/ZT1/actions", json=NEW, headers=headers).status_code == 201
    listing = app_client.get("/api/v1/orgs/ZT1/actions", headers=headers).json()
    assert listing["effects_pending"] is True
    assert [a["effects"] for a in listing["items"] if a["id"] == "A02"] == [[]]  # not measured yet
    summary = refresh(edit_db, registry=REGISTRY)
    assert summary.stages["actions"]["recomputed"] == 1
    assert summary.stages["spc"]["recomputed"] == 0
    listing = app_client.get("/api/v1/orgs/ZT1/actions", headers=headers).json()
    assert listing["effects_pending"] is False
    [new] = [a for a in listing["items"] if a["id"] == "A02"]
    assert [e["indicator_id"] for e in new["effects"]] == ["ed_initial_assessment_15min"]
    with duckdb.connect(str(edit_db), read_only=True) as con:
        start = con.execute("SELECT start FROM result_action_effects WHERE action_id = 'A02'").fetchone()[0]
    assert start == date(2019, 8, 1)


# --- the page and its forms ----------------------------------------------------------------------
def test_the_page_escapes_titles_and_hides_the_forms_from_viewers(app_client):
    sign_in(app_client, "viewer")
    page = app_client.get("/orgs/ZT1/actions")
    assert page.status_code == 200
    assert NASTY not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "Add an action" not in page.text and "/actions/A1/edit" not in page.text
    assert "no change (low power)" in page.text  # the stored verdict of A1
    assert app_client.get("/orgs/ZT1/actions/A1/edit").status_code == 403


def test_a_form_without_the_csrf_token_is_refused(app_client, edit_db):
    sign_in(app_client, "analyst")
    form = {k: v for k, v in NEW.items() if k != "indicators"}
    assert app_client.post("/orgs/ZT1/actions", data=form, follow_redirects=False).status_code == 403
    assert app_client.post("/orgs/ZT1/actions", data={**form, "csrf": "forged"},
                           follow_redirects=False).status_code == 403
    # the API with the session cookie needs the token too
    assert app_client.post("/api/v1/orgs/ZT1/actions", json=NEW).status_code == 403
    assert audit_rows(edit_db, "action.create") == []


def test_the_create_form_adds_an_action_and_escapes_a_script_title(app_client, edit_db):
    sign_in(app_client, "clinician")
    title = "<script>alert(2)</script> & co"
    form = {**NEW, "title": title, "indicators": "ed_initial_assessment_15min:increase\n", "csrf": session_csrf(app_client)}
    answer = app_client.post("/orgs/ZT1/actions", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/orgs/ZT1/actions?saved=A02")
    page = app_client.get(answer.headers["location"]).text
    assert "<script>alert(2)" not in page and "&lt;script&gt;alert(2)&lt;/script&gt; &amp; co" in page
    assert "Action A02 saved." in page
    [(user, target)] = audit_rows(edit_db, "action.create")
    assert user == "clinician" and target["new"]["title"] == title


def test_the_create_form_shows_an_error_summary_and_keeps_what_was_typed(app_client, edit_db):
    sign_in(app_client, "analyst")
    form = {**NEW, "title": "Keep me", "due": "2019-31-12", "indicators": "", "csrf": session_csrf(app_client)}
    answer = app_client.post("/orgs/ZT1/actions", data=form, follow_redirects=False)
    assert answer.status_code == 422
    assert "There is a problem" in answer.text
    assert '<a href="#new-due">Due date: &#39;2019-31-12&#39; is not a date (use YYYY-MM-DD)</a>' in answer.text
    assert 'id="new-due" name="due" value="2019-31-12"' in answer.text and 'aria-invalid="true"' in answer.text
    assert 'value="Keep me"' in answer.text
    assert audit_rows(edit_db, "action.create") == []


def test_the_edit_form_saves_and_a_stale_form_is_a_412(app_client, edit_db):
    sign_in(app_client, "analyst")
    page = app_client.get("/orgs/ZT1/actions/A1/edit").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    version = unescape(re.search(r'name="version" value="([^"]+)"', page).group(1))
    form = {"csrf": csrf, "version": version, "finding_id": "F1", "title": "Triage nurse", "owner": "Head of Nursing",
            "start": "2019-04-01", "due": "2019-11-30", "status": "in_progress", "completed_on": "",
            "indicators": "ed_initial_assessment_15min:increase"}
    saved = app_client.post("/orgs/ZT1/actions/A1/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303
    [(_, target)] = audit_rows(edit_db, "action.update")
    assert target["old"] == {"title": NASTY, "due": "2019-09-30"}
    assert target["new"] == {"title": "Triage nurse", "due": "2019-11-30"}
    again = app_client.post("/orgs/ZT1/actions/A1/edit", data={**form, "owner": "Chief nurse"}, follow_redirects=False)
    assert again.status_code == 412 and "someone else changed this action" in again.text
    assert len(audit_rows(edit_db, "action.update")) == 1


# --- the indicator page: annotations, tooltip data, SVG download, script and CSP -------------------
def test_the_indicator_page_carries_the_stored_points_for_the_tooltips(app_client, edit_db):
    sign_in(app_client, "analyst")
    page = app_client.get("/orgs/ZT1/indicators/ed_initial_assessment_15min?grain=month")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/static/spc-chart.js" defer></script>' in page.text
    tips = json.loads(re.search(r'<script type="application/json" id="spc-tips">(.*?)</script>', page.text,
                                re.DOTALL).group(1))
    # each tip's numbers against the measures table the refresh read (not the result tables)
    with duckdb.connect(str(edit_db), read_only=True) as con:
        measures = {str(d): (n, m) for d, n, m in con.execute(
            "SELECT period_start, numerator, denominator FROM measures WHERE org_code = 'ZT1' AND site_code IS NULL "
            "AND indicator_id = 'ed_initial_assessment_15min' AND period_grain = 'month'").fetchall()}
    assert len(tips) == len(measures) > 12
    for tip in tips:
        numerator, denominator = measures[tip["x"]]
        assert (tip["numerator"], tip["denominator"]) == (numerator, denominator)
        assert tip["y"] == pytest.approx(numerator / denominator, rel=1e-12)
        assert tip["lpl"] <= tip["centre"] <= tip["upl"]
    # the markers' data-index points at these tips
    indexes = [int(i) for i in re.findall(r'class="ww-point"[^>]*data-index="(\d+)"', page.text)]
    assert sorted(indexes) == list(range(len(tips)))
    # the action's start, from the stored effects, is drawn and named in the caption
    assert 'data-label="A1 starts"' in page.text and "A1 starts 2019-04-01" in page.text
    assert 'href="/orgs/ZT1/indicators/ed_initial_assessment_15min/chart.svg?grain=month"' in page.text


def test_the_svg_download_and_the_script(app_client):
    sign_in(app_client, "viewer")
    svg = app_client.get("/orgs/ZT1/indicators/ed_initial_assessment_15min/chart.svg?grain=month")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.headers["content-disposition"] == 'attachment; filename="ZT1_ed_initial_assessment_15min_month.svg"'
    assert svg.text.startswith("<svg") and "A1 starts" in svg.text
    script = app_client.get("/static/spc-chart.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "addEventListener" in script.text


def page_tips(text: str) -> list[dict]:
    return json.loads(re.search(r'<script type="application/json" id="spc-tips">(.*?)</script>', text,
                                re.DOTALL).group(1))


def test_viewers_tooltips_carry_no_suppressed_number(app_client, edit_db):
    sign_in(app_client, "viewer")
    page = app_client.get("/orgs/ZT1/indicators/sepsis_screened_1h?grain=month").text
    tips = [t for t in page_tips(page) if t]
    with duckdb.connect(str(edit_db), read_only=True) as con:
        small = {str(d) for (d,) in con.execute(
            "SELECT period_start FROM measures WHERE org_code = 'ZT1' AND site_code IS NULL AND period_grain = 'month' "
            "AND indicator_id = 'sepsis_screened_1h' AND numerator BETWEEN 1 AND 7").fetchall()}
    assert small == {"2020-04-01"}  # a count of 5 that month
    assert len(tips) > 12
    for tip in tips:  # a suppressed month is not charted, or charted without its numbers
        assert tip["x"] not in small or (tip["numerator"] is None and tip["text"]["y"] == "suppressed")
        assert tip["numerator"] is None or not 1 <= tip["numerator"] <= 7
    assert re.search(r"<tr[^>]*><td[^>]*>2020-04-01</td>\s*<td[^>]*>suppressed</td>", page)


def test_grain_and_site_switches_are_plain_links_and_a_get_form(app_client, edit_db):
    sign_in(app_client, "analyst")
    page = app_client.get("/orgs/ZT1/indicators/ed_initial_assessment_15min?grain=month").text
    assert '<strong aria-current="page">monthly</strong>' in page and '<a href="?grain=week">weekly</a>' in page
    page = app_client.get("/orgs/ZT1/indicators/sepsis_screened_1h?grain=month").text
    assert '<form method="get" action="">' in page and '<option value="ZT101">ZT101</option>' in page
    site = app_client.get("/orgs/ZT1/indicators/sepsis_screened_1h?grain=month&site=ZT101")
    assert site.status_code == 200 and '<option value="ZT101" selected>' in site.text
    assert 'id="site" name="site"' in site.text and "site ZT101" in site.text
    with duckdb.connect(str(edit_db), read_only=True) as con:
        periods = [str(d) for (d,) in con.execute(
            "SELECT period_start FROM measures WHERE org_code = 'ZT1' AND site_code = 'ZT101' AND period_grain = 'month' "
            "AND indicator_id = 'sepsis_screened_1h'").fetchall()]
    rows = re.findall(r"<tr[^>]*><td[^>]*>(\d{4}-\d\d-\d\d)</td>", site.text)
    assert rows == periods  # the site's own series (one month at ZT101), not the trust's


def test_the_plan_downloads_as_yaml_that_reimports_unchanged(app_client, tokens, edit_db, tmp_path):
    import yaml

    headers = bearer(tokens["analyst"])
    assert app_client.post("/api/v1/orgs/ZT1/actions", json=NEW, headers=headers).status_code == 201
    refresh(edit_db, registry=REGISTRY)  # measure the edited plan
    answer = app_client.get("/api/v1/orgs/ZT1/action-plan", headers=bearer(tokens["viewer"]))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/yaml")
    document = yaml.safe_load(answer.text)
    assert [a["id"] for a in document["actions"]] == ["A1", "A02"]
    assert document["actions"][0]["title"] == NASTY and document["actions"][1]["due"] == "2019-12-31"
    path = tmp_path / "plan.yaml"
    path.write_text(answer.text, encoding="utf-8")
    again = refresh(edit_db, registry=REGISTRY, action_plans=[path])
    assert again.stages["actions"]["recomputed"] == 0  # the same document: nothing to measure again


def test_a_link_marked_rebase_in_the_web_rebases_the_chart_after_the_next_refresh(app_client, tokens, edit_db):
    headers = bearer(tokens["analyst"])
    sign_in(app_client, "analyst")
    page = app_client.get("/orgs/ZT1/indicators/ed_initial_assessment_15min?grain=month").text
    assert "this chart has none" in page and "Rebased from" not in page
    tag = app_client.get("/api/v1/orgs/ZT1/actions/A1", headers=headers).headers["etag"]
    edit = app_client.patch("/api/v1/orgs/ZT1/actions/A1", json={"indicators": [
        "ed_initial_assessment_15min:increase:rebase"]}, headers={**headers, "If-Match": tag})
    assert edit.status_code == 200, edit.text
    assert edit.json()["indicators"] == ["ed_initial_assessment_15min:increase:rebase"]
    summary = refresh(edit_db, registry=REGISTRY)
    assert summary.stages["spc"]["recomputed"] == 2  # the trust's monthly and weekly series of it
    page = app_client.get("/orgs/ZT1/indicators/ed_initial_assessment_15min?grain=month").text
    # A1 starts on 1 April 2019: the monthly chart's new segment opens with April
    assert "Rebased from 2019-04-01: new centre line and limits from that period" in page
    points = app_client.get("/api/v1/orgs/ZT1/indicators/ed_initial_assessment_15min/spc?grain=month",
                            headers=headers).json()["points"]
    centres = {p["x"][:10]: p["centre"] for p in points}
    assert centres["2019-03-01"] != centres["2019-04-01"]
