"""The read-only pages: funnel, mortality, ratings, data quality (and the quarantine download),
search and the filtered trust overview. Content against hand counts, roles, escaping, 404s.

The warehouse: the report tests' measures plus a third trust (so funnels are drawn: three
organisations at least), a staffing extract whose four rows are all refused at load, an indicator
whose title and an organisation whose name carry markup, and mortality result rows written by
hand (the fixture has no admissions) with known values."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from datetime import datetime

import duckdb
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from report.conftest import REGISTRY, make_measures
from report.test_refresh import HISTORY, PLAN

from wardwatch.warehouse import web_writer
from wardwatch.web import ROLES, store
from wardwatch.web.app import create_app

from .conftest import FOCAL, FORMULA_NAME, NASTY, PASSWORD, _write_measures, sign_in

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
# every month of ZT3 but the last: 90 of 100 screened, 0.9 (ZT1 is 80-90, ZT2 13 of 100); its last
# month (the newest funnel): 4 of 50, a small number
ZT3_NUM, ZT3_DEN = 90, 100
BAD_STAFFING = """org_code,staff_group,month,establishment_wte,in_post_wte,bank_agency_wte
ZT1,medical,2020-13-01,887.8,790.54,43.36
ZT1,nursing,31/03/2020,887.8,790.54,43.36
ZT1,=HYPERLINK("http://x"),2020-03-01,887.8,790.54,43.36
,medical,2020-03-01,887.8,790.54,43.36
"""
PAGES = [f"/orgs/{FOCAL}/ratings", f"/orgs/{FOCAL}/mortality", "/data-quality", "/search?q=sep",
         f"/indicators/sepsis_screened_1h/funnel?org={FOCAL}", f"/orgs/{FOCAL}?site=ZT101",
         f"/orgs/{FOCAL}?grain=week"]


def registry_with_markup() -> dict:
    registry = dict(REGISTRY)
    registry["staffing_fill_rate"] = dataclasses.replace(REGISTRY["staffing_fill_rate"],
                                                         title=f"Fill rate {NASTY}")
    # a funnel's title goes into its SVG too
    registry["sepsis_screened_1h"] = dataclasses.replace(REGISTRY["sepsis_screened_1h"],
                                                         title=f"Sepsis screened {NASTY}")
    return registry


def _hand_mortality(path) -> None:
    """Result rows as the mortality stage would store them, with values we choose."""
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO result_mortality_smr (unit_key, org_code, diagnosis_group, period, spells, observed, "
                "expected, smr, ci_low, ci_high, band, run_id) VALUES "
                "('all', 'ZT1', 'Sepsis', '2019/20', 400, 5, 4.0, 1.25, 0.41, 2.92, 'as expected', 'r'), "
                "('all', 'ZT1', 'Pneumonia', '2019/20', 900, 61, 40.0, 1.525, 1.17, 1.96, 'higher than expected', 'r')")
    con.execute("INSERT INTO result_mortality_alerts VALUES ('all', 'ZT1', 'Pneumonia', 'higher', "
                "'2020-02-11 00:00:00', 310, 29, 17.5, 4.1, 'r')")
    con.execute("INSERT INTO result_mortality_thresholds (unit_key, org_code, diagnosis_group, spells, "
                "spells_per_year, h_upper, h_lower, method, run_id) VALUES "
                "('all', 'ZT1', 'Pneumonia', 900, 450, 4.1, 3.9, 'simulated', 'r')")
    rows = []
    for i in range(1, 41):
        upper = min(0.11 * i, 4.3)
        rows.append(("all", "ZT1", "Pneumonia", datetime(2019, 4, 1) + pd.Timedelta(days=7 * i), i, upper, 0.0,
                     upper >= 4.1, False, 4.1, 3.9, -0.05 * i, "r"))
    con.executemany("INSERT INTO result_mortality_cusum VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()


@pytest.fixture(scope="module")
def pages_db(tmp_path_factory):
    from wardwatch.ingest import load
    from wardwatch.results.refresh import refresh

    folder = tmp_path_factory.mktemp("pages")
    path = folder / "warehouse.duckdb"
    measures = make_measures()
    months = sorted(measures.loc[(measures["indicator_id"] == "sepsis_screened_1h") & (measures["org_code"] == "ZT2"),
                                 "period_start"].unique())
    third = measures[(measures["org_code"] == "ZT2")].copy()
    third["org_code"], third["numerator"], third["denominator"] = "ZT3", ZT3_NUM, ZT3_DEN
    third.loc[third["period_start"] == months[-1], ["numerator", "denominator"]] = [4, 50]
    third["value"] = third["numerator"] / third["denominator"]
    assert len(third) == len(months)
    _write_measures(path, pd.concat([measures, third], ignore_index=True))
    extracts = folder / "extracts"
    extracts.mkdir()
    (extracts / "staffing.csv").write_text(BAD_STAFFING)
    report = load(extracts, path)
    assert sum(d.quarantined for d in report.datasets) == 4
    history = folder / "history.yaml"
    history.write_text(HISTORY.replace("name: Test Trust", f"name: '{FORMULA_NAME}'"))
    plan = folder / "plan.yaml"
    plan.write_text(PLAN)
    registry = registry_with_markup()
    refresh(path, registry=registry, ratings_files=[history], action_plans=[plan])
    _hand_mortality(path)
    with web_writer(path) as raw:
        for role in ROLES:
            store.add_user(raw, role, role, PASSWORD)
    return path, registry


@pytest.fixture
def pages(pages_db):
    path, registry = pages_db
    return TestClient(create_app(path, secure_cookies=False, registry=registry))


def as_role(client: TestClient, role: str) -> TestClient:
    client.cookies.clear()
    assert sign_in(client, role).status_code == 303
    return client


# --- roles ---------------------------------------------------------------------------------------
def test_every_page_needs_sign_in(pages):
    for route in [*PAGES, "/data-quality/quarantine.csv?dataset=staffing"]:
        response = pages.get(route, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/sign-in", route


@pytest.mark.parametrize("role", ROLES)
def test_page_role_matrix(pages, role):
    as_role(pages, role)
    for route in PAGES:
        assert pages.get(route).status_code == 200, (route, role)
    download = pages.get("/data-quality/quarantine.csv?dataset=staffing")
    assert download.status_code == (403 if role == "viewer" else 200), role


def test_unknown_things_are_404(pages):
    as_role(pages, "analyst")
    for route, word in [("/orgs/NOPE/ratings", "NOPE"), ("/orgs/NOPE/mortality", "NOPE"),
                        ("/indicators/nope/funnel", "nope"), ("/indicators/sepsis_screened_1h/funnel?org=NOPE", "NOPE"),
                        ("/indicators/sepsis_screened_1h/funnel?period=1999-01-01", "1999-01-01"),
                        ("/indicators/sepsis_screened_1h/funnel?grain=fortnight", "fortnight"),
                        (f"/orgs/{FOCAL}?site=XX9", "XX9"),
                        ("/data-quality/quarantine.csv?dataset=nope", "nope")]:
        response = pages.get(route)
        assert response.status_code == 404, route
        assert word in response.text, route


def test_markup_is_escaped_on_every_page(pages):
    as_role(pages, "clinician")
    routes = [*PAGES, "/search?q=fill", f"/search?q={NASTY}", "/", f"/orgs/{FOCAL}",
              f"/orgs/{FOCAL}/indicators/staffing_fill_rate"]
    for route in routes:
        page = pages.get(route)
        assert page.status_code == 200, route
        # the only scripts are the app's own: the chart's JSON (Jinja's tojson escapes < > &) and
        # its script file; nothing a name or query brought in
        own = re.sub(r'<script (type="application/json" id="[a-z-]+"|src="/static/[a-z-]+\.js" defer)>',
                     "", page.text)
        assert "<script" not in own.lower(), route
    # the names with markup do reach the pages, as text
    assert ESCAPED in pages.get(f"/orgs/{FOCAL}/ratings").text
    assert ESCAPED in pages.get("/search?q=fill").text
    assert ESCAPED in pages.get(f"/search?q={NASTY}").text  # the query echoed back
    funnel = pages.get("/indicators/sepsis_screened_1h/funnel").text
    assert ESCAPED in funnel.split("<svg")[1]  # the chart's title, escaped inside the SVG


# --- funnel ----------------------------------------------------------------------------------------
def test_funnel_page_lists_every_trust_and_highlights_one(pages):
    as_role(pages, "analyst")
    page = pages.get("/indicators/sepsis_screened_1h/funnel?org=ZT3&grain=month&period=2018-06-01").text
    assert "<svg" in page
    rows = page.split('<tbody class="nhsuk-table__body">')[1].split("</tbody>")[0].split("</tr>")[:-1]
    codes = [r.split('<th scope="row" class="nhsuk-table__cell">')[1][:3] for r in rows]
    assert codes == ["ZT1", "ZT2", "ZT3"]
    zt3 = rows[2]
    assert "ww-highlight" in zt3 and "This organisation" in zt3
    assert ">90<" in zt3 and ">100<" in zt3 and ">90.0%<" in zt3  # 90 of 100, by hand
    assert ">13<" in rows[1] and ">13.0%<" in rows[1]
    assert "ww-highlight" not in rows[0] + rows[1]


def test_funnel_page_hides_small_numerators_from_viewers(pages):
    # the newest month: ZT3 screened 4 of 50 (a small number); ZT1 and ZT2 are not small
    as_role(pages, "viewer")
    public = pages.get("/indicators/sepsis_screened_1h/funnel?grain=month").text
    assert "1 organisation not charted" in public
    zt3 = public.split('<th scope="row" class="nhsuk-table__cell">ZT3')[1].split("</tr>")[0]
    assert zt3.count("suppressed") == 3 and ">4<" not in zt3 and ">50<" not in zt3
    as_role(pages, "analyst")
    clinical = pages.get("/indicators/sepsis_screened_1h/funnel?grain=month").text
    zt3 = clinical.split('<th scope="row" class="nhsuk-table__cell">ZT3')[1].split("</tr>")[0]
    assert ">4<" in zt3 and ">50<" in zt3 and ">8.0%<" in zt3 and "suppressed" not in zt3
    assert "not charted" not in clinical


def test_funnel_period_picker_offers_every_stored_period(pages, pages_db):
    as_role(pages, "analyst")
    with duckdb.connect(str(pages_db[0]), read_only=True) as con:
        stored = [r[0].isoformat() for r in con.execute(
            "SELECT DISTINCT period_start FROM result_funnel_units WHERE indicator_id = 'sepsis_screened_1h' "
            "AND grain = 'month' ORDER BY 1").fetchall()]
    page = pages.get("/indicators/sepsis_screened_1h/funnel?grain=month").text
    select = page.split('<select class="nhsuk-select" id="period" name="period">')[1].split("</select>")[0]
    assert [o.split('"')[1] for o in select.split("<option value=")[1:]] == stored[::-1]
    older = pages.get(f"/indicators/sepsis_screened_1h/funnel?grain=month&period={stored[0]}").text
    assert f"month from {stored[0]}" in older


# --- mortality -------------------------------------------------------------------------------------
def test_mortality_page_shows_alerts_smrs_and_paths_to_clinical_readers(pages):
    as_role(pages, "analyst")
    page = pages.get(f"/orgs/{FOCAL}/mortality").text
    alert = page.split("<h2>CUSUM alerts</h2>")[1].split("</table>")[0]
    assert "Pneumonia" in alert and "2020-02-11" in alert and ">310<" in alert and ">29<" in alert
    smr = page.split("<h2>Standardised mortality ratios</h2>")[1].split("</table>")[0]
    assert "1.25 (0.41 to 2.92)" in smr and "1.52 (1.17 to 1.96)" in smr
    assert page.count("<svg") >= 2  # the CUSUM and the VLAD of Pneumonia
    assert "Risk-adjusted CUSUM, Pneumonia" in page and "VLAD, Pneumonia" in page


def test_mortality_page_hides_small_counts_and_paths_from_viewers(pages):
    as_role(pages, "viewer")
    page = pages.get(f"/orgs/{FOCAL}/mortality").text
    smr = page.split("<h2>Standardised mortality ratios</h2>")[1].split("</table>")[0]
    sepsis = smr.split("Sepsis")[1].split("</tr>")[0]
    assert ">5<" not in sepsis and "1.25" not in sepsis and sepsis.count("suppressed") == 2
    assert "1.52 (1.17 to 1.96)" in smr  # 61 deaths: not a small number
    assert "VLAD, Pneumonia" not in page and "<svg" not in page.split("</header>")[1]


# --- ratings ---------------------------------------------------------------------------------------
def test_ratings_page_shows_every_cell_with_its_rule(pages, pages_db):
    as_role(pages, "viewer")
    page = pages.get(f"/orgs/{FOCAL}/ratings").text
    with duckdb.connect(str(pages_db[0]), read_only=True) as con:
        cells = con.execute("SELECT inspection_id, rule_id, explanation FROM result_ratings WHERE org_code = ?",
                            [FOCAL]).fetchall()
    assert len(cells) > 0
    body = page.split('<main class="nhsuk-main-wrapper" id="maincontent">')[1]
    assert body.count('<tr class="nhsuk-table__row">') - body.count("<thead") == len(cells)
    for inspection, rule, explanation in cells:
        assert f"Inspection {inspection}" in page
        assert f"<code>{rule}</code>" in page
        assert explanation.replace("'", "&#39;").replace('"', "&#34;") in page


# --- data quality ----------------------------------------------------------------------------------
def test_data_quality_counts_quarantine_by_reason(pages):
    as_role(pages, "viewer")
    page = pages.get("/data-quality").text
    quarantine = page.split("<h2>Quarantined rows by dataset and reason</h2>")[1].split("</table>")[0]
    counts = {}
    for row in quarantine.split("<tbody")[1].split("</tr>")[:-1]:
        reason = row.split("<code>")[1].split("</code>")[0]
        counts[reason] = int(row.split("nhsuk-table__cell--numeric\">")[1].split("<")[0])
    assert counts == {"bad_date": 2, "blank_key": 1, "unknown_code": 1}  # the four rows of BAD_STAFFING
    assert "quarantine.csv" not in page and "can be downloaded by analysts" in page
    assert "Last refresh" in page and "Units recomputed" in page


def test_analysts_download_the_quarantined_rows_through_csvsafe_and_it_is_audited(pages, pages_db):
    as_role(pages, "analyst")
    page = pages.get("/data-quality").text
    assert 'href="/data-quality/quarantine.csv?dataset=staffing"' in page
    response = pages.get("/data-quality/quarantine.csv?dataset=staffing")
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="quarantine-staffing.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 4
    assert sorted(r["reason"] for r in rows) == ["bad_date", "bad_date", "blank_key", "unknown_code"]
    assert sorted(int(r["row_number"]) for r in rows) == [1, 2, 3, 4]
    assert any("31/03/2020" in r["record"] for r in rows)
    assert all(not r[c].startswith(("=", "+", "-", "@")) for r in rows for c in r)
    with duckdb.connect(str(pages_db[0]), read_only=True) as con:
        audited = con.execute("SELECT count(*) FROM audit_log WHERE action = 'quarantine.download' "
                              "AND user_name = 'analyst' AND target = 'staffing'").fetchone()[0]
    assert audited >= 1


# --- search and the overview's filters -------------------------------------------------------------
def test_search_finds_organisations_and_indicators(pages):
    as_role(pages, "viewer")
    page = pages.get("/search?q=ZT").text
    orgs = page.split("<h2>Organisations</h2>")[1].split("<h2>")[0]
    assert [c for c in ("ZT1", "ZT2", "ZT3") if f"/orgs/{c}\"" in orgs] == ["ZT1", "ZT2", "ZT3"]
    page = pages.get("/search?q=SEPSIS").text  # case does not matter
    indicators = page.split("<h2>Indicators</h2>")[1]
    assert "sepsis_screened_1h" in indicators and "ed_12h_from_arrival" not in indicators
    assert 'href="/indicators/sepsis_screened_1h/funnel"' in indicators
    assert "No organisation matches" in page
    assert "<h2>" not in pages.get("/search").text.split("<h1>Search</h1>")[1]  # no query, no results


def test_overview_filters_by_site_and_grain(pages):
    as_role(pages, "analyst")
    whole = pages.get(f"/orgs/{FOCAL}").text
    site = pages.get(f"/orgs/{FOCAL}?site=ZT101").text
    weekly = pages.get(f"/orgs/{FOCAL}?grain=week").text
    assert '<option value="ZT101">ZT101</option>' in whole
    assert '<option value="ZT101" selected>' in site and "at site ZT101" in site
    # only sepsis screening has site rows (one month): the site view lists that one indicator
    assert site.count(f"/orgs/{FOCAL}/indicators/") == 1 and "sepsis_screened_1h?grain=month&amp;site=ZT101" in site
    # weekly series exist for two indicators only
    assert sorted(x.split("?")[0] for x in weekly.split(f"/orgs/{FOCAL}/indicators/")[1:]) == [
        "ed_12h_from_arrival", "ed_initial_assessment_15min"]
    assert "/indicators/sepsis_screened_1h/funnel?org=ZT1" in whole


# --- styling -----------------------------------------------------------------------------------------
def test_pages_use_the_nhsuk_frontend_served_from_node_modules(pages, pages_db):
    from wardwatch.web.assets import frontend_dir

    as_role(pages, "viewer")
    page = pages.get("/data-quality")
    assert '<link rel="stylesheet" href="/static/nhsuk-frontend.min.css">' in page.text
    assert 'class="nhsuk-header__service-name" href="/">wardwatch</a>' in page.text
    assert 'class="nhsuk-skip-link" href="#maincontent"' in page.text
    assert "style-src 'self'" in page.headers["content-security-policy"]
    if frontend_dir() is None:
        pytest.fail("nhsuk-frontend is not installed: run `bash scripts/browser-deps.sh` (make test does)")
    css = pages.get("/static/nhsuk-frontend.min.css")
    assert css.status_code == 200 and ".nhsuk-header" in css.text
    # the package's font faces point at assets.nhs.uk: served without them, nothing is fetched
    # from another site (and the policy has nothing to refuse)
    package = (frontend_dir() / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    assert "url(https://assets.nhs.uk/fonts/" in package
    assert "https://" not in "".join(re.findall(r"url\([^)]*\)", css.text))
    assert css.text.count("{") == package.count("{") - package.count("@font-face")
    assert pages.get("/assets/images/nhsuk-icon-search.svg").headers["content-type"] == "image/svg+xml"


def test_pages_work_unstyled_without_the_npm_package(pages_db):
    path, registry = pages_db
    client = TestClient(create_app(path, secure_cookies=False, registry=registry, frontend=None))
    assert sign_in(client, "viewer").status_code == 303
    page = client.get("/data-quality")
    assert page.status_code == 200 and "nhsuk-frontend.min.css" not in page.text
    assert client.get("/static/nhsuk-frontend.min.css").status_code == 404
    assert client.get("/static/wardwatch.css").status_code == 200


def test_serve_says_in_one_line_when_the_stylesheet_is_missing(pages_db, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from wardwatch.cli import get_app
    from wardwatch.web import assets

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(app))
    monkeypatch.setenv("WARDWATCH_NODE_MODULES", "/nonexistent")
    monkeypatch.setattr(assets, "frontend_dir", lambda: None)
    result = CliRunner().invoke(get_app(), ["serve", "--db", str(pages_db[0])], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "nhsuk-frontend" in line]
    assert len(notes) == 1 and "unstyled" in notes[0] and "npm ci" in notes[0]
    assert len(calls) == 1  # it still serves
    # with the package found, nothing is said
    monkeypatch.undo()
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(app))
    result = CliRunner().invoke(get_app(), ["serve", "--db", str(pages_db[0])], catch_exceptions=False)
    assert "nhsuk-frontend" not in result.output and len(calls) == 2


def test_the_api_funnel_keeps_a_month_and_its_financial_year_apart(pages, pages_db):
    from wardwatch.web import store as web_store

    with web_writer(pages_db[0]) as raw:
        token = web_store.create_token(raw, "analyst")
    url = "/api/v1/indicators/sepsis_screened_1h/funnel?period=2018-04-01"
    headers = {"Authorization": f"Bearer {token}"}
    month = pages.get(url, headers=headers).json()
    year = pages.get(url + "&grain=year", headers=headers).json()
    assert month["grain"] == "month" and year["grain"] == "year"
    assert sorted(u["org_code"] for u in month["units"]) == ["ZT1", "ZT2", "ZT3"]  # once each
    assert sorted(u["org_code"] for u in year["units"]) == ["ZT1", "ZT2", "ZT3"]
    zt3 = {u["org_code"]: u for u in year["units"]}["ZT3"]
    assert (zt3["numerator"], zt3["denominator"]) == (12 * ZT3_NUM, 12 * ZT3_DEN)  # April 2018 to March 2019
    assert pages.get(url + "&grain=week", headers=headers).status_code == 422
    # the funnel page's CSV link names its grain
    as_role(pages, "analyst")
    page = pages.get("/indicators/sepsis_screened_1h/funnel?grain=year").text
    assert "/api/v1/indicators/sepsis_screened_1h/funnel?grain=year&amp;period=" in page


def test_org_names_in_one_go_equal_the_one_by_one_lookup(pages_db):
    from wardwatch.warehouse import reader
    from wardwatch.web import data, pagedata

    with reader(pages_db[0]) as raw:
        together = pagedata.org_names(raw)
        one_by_one = {code: data.org_name(raw, code) for code in data.org_codes(raw)}
    assert together == one_by_one
    assert together["ZT1"] == FORMULA_NAME and together["ZT3"] == "ZT3"  # from the history; none


def _overview_rows(page: str) -> dict[str, list[str]]:
    """indicator id -> the text of its row's cells (tags reduced to their words)."""
    rows = {}
    for row in re.findall(r'<tr class="nhsuk-table__row">\s*<th scope="row".*?</tr>', page, flags=re.DOTALL):
        ind = re.search(rf"/orgs/{FOCAL}/indicators/([a-z0-9_]+)\?", row)
        if ind:
            cells = re.findall(r'<td class="nhsuk-table__cell">(.*?)</td>', row, flags=re.DOTALL)
            rows[ind.group(1)] = [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
    return rows


def test_overview_filters_by_cqc_service(pages):
    as_role(pages, "analyst")
    whole = pages.get(f"/orgs/{FOCAL}").text
    assert '<option value="UEC">Urgent and emergency services</option>' in whole
    assert '<option value="TRUST_WIDE">Trust-wide</option>' in whole
    assert sorted(_overview_rows(pages.get(f"/orgs/{FOCAL}?service=UEC").text)) == [
        "ed_12h_from_arrival", "ed_initial_assessment_15min"]
    medical = pages.get(f"/orgs/{FOCAL}?service=MEDICAL&site=ZT101").text
    assert list(_overview_rows(medical)) == ["sepsis_screened_1h"] and '<option value="MEDICAL" selected>' in medical
    assert "Medical care (including older people&#39;s care) only" in medical
    everything = set(_overview_rows(whole))
    assert set().union(*(_overview_rows(pages.get(f"/orgs/{FOCAL}?service={s}").text)
                         for s in ("UEC", "MEDICAL", "TRUST_WIDE"))) == everything
    missing = pages.get(f"/orgs/{FOCAL}?service=SURGERY")
    assert missing.status_code == 404 and "SURGERY" in missing.text and "MEDICAL" in missing.text


def test_overview_as_at_a_month_end_shows_the_icons_stored_for_it(pages, pages_db):
    as_role(pages, "analyst")
    whole = pages.get(f"/orgs/{FOCAL}").text
    offered = re.findall(r'<option value="(\d{4}-\d{2}-\d{2})"', whole)
    con = duckdb.connect(str(pages_db[0]), read_only=True)
    stored = con.execute("SELECT indicator_id, grain, as_of, variation, assurance, latest_period "
                         "FROM result_spc_as_of WHERE org_code = ? AND edition = 'clinical' AND site_code = ''",
                         [FOCAL]).df()
    con.close()
    assert offered == [d.isoformat() for d in sorted(set(stored["as_of"].dt.date), reverse=True)]
    assert len(offered) >= 2
    from wardwatch.web.ui import label

    latest_rows = _overview_rows(whole)
    for chosen in (offered[0], offered[-1]):
        page = pages.get(f"/orgs/{FOCAL}?as_of={chosen}").text
        assert f'<option value="{chosen}" selected>' in page and "as they stood on" in page
        rows = _overview_rows(page)
        assert set(rows) == set(latest_rows)
        for ind, cells in rows.items():  # every fixture indicator has a monthly series
            mine = stored[(stored["indicator_id"] == ind) & (stored["grain"] == "month")
                          & (stored["as_of"] <= pd.Timestamp(chosen))]
            if mine.empty:
                assert cells[0] == "–" and "No chart as at" in cells[3], (ind, chosen)
                continue
            row = mine.loc[mine["as_of"].idxmax()]
            for cell, value in ((cells[0], row["variation"]), (cells[1], row["assurance"])):
                # the icon's title, then its tag; a dash where none is stored
                assert cell == "–" if pd.isna(value) else cell.endswith(" " + str(label(value))), (ind, chosen)
            assert cells[2] == row["latest_period"].date().isoformat(), (ind, chosen)
    # the newest date and "Latest" show the same icons
    newest = _overview_rows(pages.get(f"/orgs/{FOCAL}?as_of={offered[0]}").text)
    assert {i: c[:2] for i, c in newest.items()} == {i: c[:2] for i, c in latest_rows.items()}
    before = _overview_rows(pages.get(f"/orgs/{FOCAL}?as_of=1999-12-31").text)
    assert all(c[0] == "–" and "No chart as at 31 Dec 1999" in c[3] for c in before.values())
    assert pages.get(f"/orgs/{FOCAL}?as_of=2020-02-30").status_code == 422
