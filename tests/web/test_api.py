"""The JSON API: editions, CSV through csvsafe, ETags, pagination, and SPC points that match an
independent run of wardwatch.stats.spc on the same measures."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

import wardwatch as ww

from .conftest import FOCAL, FORMULA_NAME, bearer, make_measures

SPC = f"/api/v1/orgs/{FOCAL}/indicators/{{ind}}/spc"


def test_viewers_get_the_public_edition_and_analysts_the_clinical(client, tokens):
    url = SPC.format(ind="sepsis_screened_1h")
    public = client.get(url, headers=bearer(tokens["viewer"])).json()
    clinical = client.get(url, headers=bearer(tokens["analyst"])).json()
    assert public["series"]["edition"] == "public" and clinical["series"]["edition"] == "clinical"
    last_public = {p["x"]: p for p in public["points"]}["2020-04-01"]
    last_clinical = {p["x"]: p for p in clinical["points"]}["2020-04-01"]
    # 5 of 60 screened: a small number, hidden from viewers only
    assert last_clinical["numerator"] == 5 and last_clinical["denominator"] == 60
    assert last_public["status"] == "suppressed"
    assert last_public["numerator"] is None and last_public["y"] is None and last_public["n"] is None
    clinician = client.get(url, headers=bearer(tokens["clinician"])).json()
    assert clinician == clinical


def _independent(ind: str, chart: str, x: list[str], target) -> pd.DataFrame:
    m = make_measures()
    m = m[(m["indicator_id"] == ind) & (m["org_code"] == FOCAL) & m["site_code"].isna()
          & (m["period_grain"] == "month")]
    m = m[m["period_start"].astype(str).isin(x)].sort_values("period_start")
    assert len(m) == len(x)
    if chart in ("p", "pp", "u", "up", "c"):
        frame = pd.DataFrame({"month": pd.to_datetime(m["period_start"]), "num": m["numerator"], "den": m["denominator"]})
        result = ww.spc(frame, x="month", y="num", n="den", chart=chart, improvement="increase", target=target)
    else:
        frame = pd.DataFrame({"month": pd.to_datetime(m["period_start"]), "v": m["value"]})
        result = ww.spc(frame, x="month", y="v", chart=chart, improvement="increase", target=target)
    return result.points


@pytest.mark.parametrize("ind", ["sepsis_screened_1h", "staffing_fill_rate"])
def test_spc_points_equal_an_independent_spc_run(client, tokens, ind):
    body = client.get(SPC.format(ind=ind), headers=bearer(tokens["analyst"])).json()
    charted = [p for p in body["points"] if p["status"] == "charted"]
    assert len(charted) >= 20
    expected = _independent(ind, body["series"]["chart"], [p["x"] for p in charted], body["series"]["target"])
    for column in ("y", "centre", "lpl", "upl"):
        got = np.array([np.nan if p[column] is None else p[column] for p in charted], dtype=float)
        want = expected[column].to_numpy(dtype=float)
        assert np.allclose(got, want, rtol=0, atol=1e-9, equal_nan=True), column
    assert [p["point_type"] for p in charted] == list(expected["point_type"])
    assert body["summary"] and {"centre", "lpl", "upl", "variation", "assurance"} <= set(body["summary"][0])


def test_csv_is_spreadsheet_safe(client, tokens):
    response = client.get("/api/v1/orgs?format=csv", headers=bearer(tokens["viewer"]))
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    names = {r["org_code"]: r["org_name"] for r in rows}
    assert names[FOCAL] == "'" + FORMULA_NAME
    ratings = client.get(f"/api/v1/orgs/{FOCAL}/ratings?format=csv", headers=bearer(tokens["viewer"])).text
    cells = [c for row in csv.reader(io.StringIO(ratings)) for c in row]
    assert "'" + FORMULA_NAME in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]
    spc = client.get(SPC.format(ind="sepsis_screened_1h") + "?format=csv", headers=bearer(tokens["analyst"]))
    frame = pd.read_csv(io.StringIO(spc.text))
    assert {"x", "y", "n", "centre", "lpl", "upl", "special_cause", "point_type"} <= set(frame.columns)


def test_etag_gives_304_when_nothing_changed(client, tokens):
    headers = bearer(tokens["viewer"])
    url = SPC.format(ind="sepsis_screened_1h")
    first = client.get(url, headers=headers)
    tag = first.headers["etag"]
    again = client.get(url, headers={**headers, "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert client.get(url, headers={**headers, "If-None-Match": '"other"'}).status_code == 200
    # the clinical edition is another representation: another tag
    assert client.get(url, headers=bearer(tokens["analyst"])).headers["etag"] != tag
    csv_tag = client.get(url + "?format=csv", headers=headers).headers["etag"]
    assert csv_tag != tag


def test_lists_are_paginated(client, tokens):
    headers = bearer(tokens["viewer"])
    everything = client.get("/api/v1/indicators", headers=headers).json()
    assert everything["total"] == len(everything["items"]) >= 4
    page = client.get("/api/v1/indicators?limit=2&offset=1", headers=headers).json()
    assert page["items"] == everything["items"][1:3]
    assert (page["limit"], page["offset"], page["total"]) == (2, 1, everything["total"])
    for bad in ("limit=0", "limit=100000", "offset=-1", "format=xml"):
        assert client.get(f"/api/v1/indicators?{bad}", headers=headers).status_code == 422, bad


def test_openapi_lists_the_routes(client, tokens):
    spec = client.get("/api/v1/openapi.json", headers=bearer(tokens["viewer"])).json()
    assert {"/api/v1/orgs", "/api/v1/indicators", "/api/v1/orgs/{org}/indicators/{indicator}/spc",
            "/api/v1/indicators/{indicator}/funnel", "/api/v1/orgs/{org}/alerts",
            "/api/v1/orgs/{org}/ratings"} <= set(spec["paths"])
    assert "/sign-in" not in spec["paths"]


def test_indicator_page_has_the_chart_the_table_and_a_csv_link(client):
    from .conftest import sign_in

    sign_in(client, "analyst")
    page = client.get(f"/orgs/{FOCAL}/indicators/sepsis_screened_1h").text
    assert "<svg" in page and '<table class="nhsuk-table' in page
    assert f"/api/v1/orgs/{FOCAL}/indicators/sepsis_screened_1h/spc?grain=month&amp;format=csv" in page
    overview = client.get(f"/orgs/{FOCAL}").text
    for label in ("Safe", "Effective", "Well-led"):
        assert f"<h2>{label}</h2>" in overview
    assert f"/orgs/{FOCAL}/indicators/staffing_fill_rate?grain=month" in overview


def test_funnel_reads_the_stored_units_and_hides_small_numerators_from_viewers(db, tmp_path):
    import shutil

    import duckdb
    from fastapi.testclient import TestClient

    from wardwatch.web.app import create_app

    from .conftest import REGISTRY

    copy = tmp_path / "funnel.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:  # two stored funnel rows, as the funnel stage writes them
        for org, num, den in (("ZT1", 5.0, 60.0), ("ZT2", 80.0, 100.0)):
            con.execute(
                "INSERT INTO result_funnel_units (unit_key, indicator_id, grain, period_start, org_code, numerator, "
                "denominator, value, target, ll95, ul95, outlier) VALUES ('u', 'sepsis_screened_1h', 'month', "
                "DATE '2020-03-01', ?, ?, ?, ?, 0.8, 0.6, 0.95, 'none')", [org, num, den, num / den])
    client = TestClient(create_app(copy, secure_cookies=False, registry=REGISTRY))
    from wardwatch.warehouse import web_writer
    from wardwatch.web import store

    with web_writer(copy) as raw:
        tokens = {role: store.create_token(raw, role) for role in ("viewer", "analyst")}
    url = "/api/v1/indicators/sepsis_screened_1h/funnel"
    public = client.get(url, headers=bearer(tokens["viewer"])).json()
    clinical = client.get(url + "?period=2020-03-01", headers=bearer(tokens["analyst"])).json()
    assert public["period"] == clinical["period"] == "2020-03-01"
    by_org = {u["org_code"]: u for u in public["units"]}
    assert by_org["ZT1"]["numerator"] is None and by_org["ZT1"]["value"] is None
    assert by_org["ZT2"]["numerator"] == 80 and by_org["ZT2"]["ul95"] == 0.95
    assert {u["org_code"]: u["numerator"] for u in clinical["units"]} == {"ZT1": 5, "ZT2": 80}
    missing = client.get(url + "?period=2019-01-01", headers=bearer(tokens["analyst"]))
    assert missing.status_code == 404 and "2020-03-01" in missing.json()["error"]
