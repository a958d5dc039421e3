"""Published national statistics into measures: values checked by hand against lines of the files.

The line quoted above each test is copied from the shipped file (``wardwatch/data``); the expected
measures row is worked out from it by hand (period conventions in docs/guide/published.md).
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from wardwatch.errors import InputError
from wardwatch.indicators import INDICATORS
from wardwatch.indicators.published import PUBLISHED_SOURCES
from wardwatch.indicators.store import read_measures
from wardwatch.published import LOADERS, SAMPLES, load_published, preparer, sample_path
from wardwatch.warehouse import connect_duckdb

MEASURE_KINDS = ["shmi", "rtt", "kh03", "staff-survey", "ae-annual"]


@pytest.fixture(scope="module")
def loaded():
    con = connect_duckdb(None)
    results = {kind: load_published(kind, sample_path(kind), con) for kind in MEASURE_KINDS}
    frame = read_measures(con)
    yield con, results, frame
    con.disconnect()


def _row(frame, indicator, org, period):
    rows = frame[
        (frame.indicator_id == indicator)
        & (frame.org_code == org)
        & (frame.period_start == dt.date.fromisoformat(period))
    ]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def _lines(kind: str) -> int:
    with open(sample_path(kind), encoding="utf-8") as handle:
        text = handle.read()
    # rows = records, not physical lines: some names are quoted but none holds a newline
    return text.count("\n") - 1


# 2012,RNA,Dudley Group NHS Foundation Trust,1.1126        (line 83)
# 2018,RNA,Dudley Group NHS Foundation Trust,1.1332        (line 921)
def test_shmi_hand_values(loaded):
    _, results, frame = loaded
    r = _row(frame, "shmi", "RNA", "2012-01-01")
    assert r.value == 1.1126 and r.period_grain == "year" and r.source == "NHS Digital SHMI"
    assert np.isnan(r.numerator) and np.isnan(r.denominator)  # the file has no O and E
    assert _row(frame, "shmi", "RNA", "2018-01-01").value == 1.1332
    assert (frame.indicator_id == "shmi_band").sum() == 0
    assert "no shmi_band rows" in results["shmi"].notes[0]


# 2019-03-31,2018,RNA,Dudley Group NHS Foundation Trust,17952,16792,0.935383   (line 86)
# 2019-03-31,2018,R0A,,89819,77555,0.863459                                  (line 2)
# 2019-03-31,2018,RT2,Pennine Care NHS Foundation Trust,0,0,0.0              (line 36: refused)
def test_rtt_hand_values(loaded):
    _, results, frame = loaded
    r = _row(frame, "rtt_incomplete_18wk", "RNA", "2019-03-01")
    assert (r.numerator, r.denominator, r.period_grain) == (16792, 17952, "month")
    assert r.value == pytest.approx(16792 / 17952, abs=1e-15) and round(r.value, 6) == 0.935383
    assert _row(frame, "rtt_incomplete_18wk", "R0A", "2019-03-01").denominator == 89819
    assert not ((frame.org_code == "RT2") & (frame.period_start == dt.date(2019, 3, 1))).any()
    assert dict(results["rtt"].refused) == {"with no patients waiting": 1}


# 2010,RNA,Dudley Group NHS Foundation Trust,817,0.68   (line 125)
# 2011, RNA ,,850,0.67                                  (line 399: every 2011 code is space-padded)
# 2018,RNA,Dudley Group NHS Foundation Trust,700,0.91   (line 1976)
# 2012,NDA,,0,0.0                                       (line 690: beds 0, occupancy not written)
def test_kh03_hand_values(loaded):
    _, results, frame = loaded
    occ = _row(frame, "kh03_bed_occupancy", "RNA", "2010-01-01")
    assert (occ.value, occ.denominator) == (0.68, 817) and np.isnan(occ.numerator)
    assert _row(frame, "kh03_beds_available", "RNA", "2018-01-01").value == 700
    assert _row(frame, "kh03_bed_occupancy", "RNA", "2018-01-01").value == 0.91
    rna = frame[(frame.org_code == "RNA") & (frame.indicator_id == "kh03_beds_available")]
    assert len(rna) == 9  # 2010 to 2018
    padded = _row(frame, "kh03_bed_occupancy", "RNA", "2011-01-01")
    assert (padded.value, padded.denominator) == (0.67, 850)
    assert _row(frame, "kh03_beds_available", "NDA", "2012-01-01").value == 0
    assert not ((frame.indicator_id == "kh03_bed_occupancy") & (frame.org_code == "NDA")
                & (frame.period_start == dt.date(2012, 1, 1))).any()
    assert any("0 beds" in n for n in results["kh03"].notes)


# RNA,2012,...,1.0772,1.1157,300,0.65,3.7467,3.57,3.59,0.33      (line 618)
# R1F,2012,Isle of Wight NHS Trust,...,1.0769,,,,,,,              (line 2: refused)
def test_staff_survey_hand_values(loaded):
    _, results, frame = loaded
    expected = {"staff_engagement": 3.7467, "staff_recommend_work": 3.57, "staff_recommend_care": 3.59,
                "staff_work_stress": 0.33}
    for indicator, value in expected.items():
        r = _row(frame, indicator, "RNA", "2012-01-01")
        assert (r.value, r.denominator, r.source) == (value, 300, "NHS Staff Survey")
    assert not ((frame.org_code == "R1F") & (frame.source == "NHS Staff Survey")
                & (frame.period_start == dt.date(2012, 1, 1))).any()
    # the file's own SHMI columns are not loaded (SHMI comes from the NHS Digital file)
    assert set(frame[frame.source == "NHS Staff Survey"].indicator_id) == set(expected)
    assert dict(results["staff-survey"].refused) == {"with no staff survey figures": 11}


# 2012,RNA,Dudley Group NHS Foundation Trust,0.95   (line 181)
# 2012,RJ1-X,,0.94                                  (line 48: refused, "-X" is not an ODS code)
def test_ae_annual_hand_values(loaded):
    _, results, frame = loaded
    r = _row(frame, "ae_4h_annual", "RNA", "2012-04-01")  # financial year 2012/13 starts 1 April
    assert (r.value, r.period_grain) == (0.95, "year")
    assert not frame.org_code.str.endswith("-X").any()
    assert results["ae-annual"].refused_total == 123  # grep -c -- '-X' on the file


@pytest.mark.parametrize("kind", MEASURE_KINDS)
def test_read_equals_loaded_plus_refused(loaded, kind):
    _, results, _ = loaded
    result = results[kind]
    assert result.read == _lines(kind)
    assert result.read == result.loaded + result.refused_total


def test_rows_are_trust_level_with_ods_codes_and_registered_indicators(loaded):
    _, _, frame = loaded
    assert frame.org_code.str.fullmatch(r"[A-Z0-9]{3}|[A-Z0-9]{5,6}").all()
    assert frame.site_code.isna().all() and frame.unit_code.isna().all()
    for indicator_id, rows in frame.groupby("indicator_id"):
        ind = INDICATORS[indicator_id]
        assert not ind.computed and set(rows.period_grain) == set(ind.grains)
        assert set(rows.source) == {ind.spec.source}
        assert PUBLISHED_SOURCES[ind.spec.source].licence == "Open Government Licence v3.0"
        if ind.grains == ("year",):
            starts = pd.to_datetime(rows.period_start)
            assert (starts.dt.day == 1).all() and starts.dt.month.isin([1, 4]).all()
    assert not frame.duplicated(["indicator_id", "org_code", "period_start", "source"]).any()


@pytest.mark.parametrize("kind", MEASURE_KINDS)
def test_reload_changes_nothing(loaded, kind):
    con, _, before = loaded
    load_published(kind, sample_path(kind), con)
    pd.testing.assert_frame_equal(before, read_measures(con))


def test_every_kind_has_a_shipped_file_and_ogl_attribution():
    from importlib import resources

    sources = (resources.files("wardwatch") / "data" / "SOURCES.md").read_text(encoding="utf-8")
    assert set(SAMPLES) == set(LOADERS)
    for kind, filename in SAMPLES.items():
        assert sample_path(kind).is_file()
        assert f"## {filename}" in sources
    assert "Open Government Licence v3.0" in sources


# ------------------------------------------------------------------ SHMI banding and bad values


def _write(tmp_path, text, name="f.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shmi_banding_computed_from_observed_and_expected(tmp_path):
    # 20 trusts with E = 1000 each: 17 at O/E = 1, one far above (1.5), one far below (0.6), one
    # slightly above (1.02). The 10% truncation drops the extreme z-scores and the trusts left are
    # all at O/E = 1, so tau2 = 0 and the limits are the exact Poisson 95% limits at E = 1000,
    # about 0.94 and 1.06 (chi2.ppf(0.025, 2000)/2000 = 0.939, chi2.ppf(0.975, 2002)/2000 = 1.064;
    # docs/methods.md 3.1).
    # 1.5 is above, 0.6 below, 1.02 and 1.0 inside: bands 1, 3, 2, 2.
    rows = [f"2018,R{i:02d},{1000},1000.00,1.0000" for i in range(17)]
    rows += ["2018,RHI,1500,1000.00,1.5000", "2018,RLO,600,1000.00,0.6000", "2018,RAS,1020,1000.00,1.0200"]
    path = _write(tmp_path, "year,org_code,observed,expected,shmi\n" + "\n".join(rows) + "\n")
    result = preparer("shmi")(path)
    bands = result.rows[result.rows.indicator_id == "shmi_band"].set_index("org_code")["value"]
    assert (bands["RHI"], bands["RLO"], bands["RAS"], bands["R00"]) == (1, 3, 2, 2)
    shmi = result.rows[result.rows.indicator_id == "shmi"].set_index("org_code")
    assert (shmi.loc["RHI", "numerator"], shmi.loc["RHI", "denominator"]) == (1500, 1000)


def test_shmi_published_banding_is_kept(tmp_path):
    path = _write(tmp_path, "year,org_code,shmi,banding\n2018,RNA,1.13,Higher than expected\n"
                            "2018,RXC,0.99,2\n")
    rows = preparer("shmi")(path).rows
    bands = rows[rows.indicator_id == "shmi_band"].set_index("org_code")["value"]
    assert bands.to_dict() == {"RNA": 1, "RXC": 2}


@pytest.mark.parametrize(
    "kind, content, where",
    [
        ("shmi", "year,org_code,shmi\n2018,RNA,inf\n", "line 2, column shmi"),
        ("shmi", "year,org_code,shmi\n18,RNA,1.0\n", "line 2, column year"),
        ("shmi", "year,org_code,shmi\n2018,RNA,1.0\n2018,RNA,1.1\n", "line 3, columns year, org_code"),
        ("shmi", "year,org_code,observed,expected,shmi\n2018,RNA,120,100,1.5\n", "line 2, column shmi"),
        ("shmi", "year,org_code,observed,shmi\n2018,RNA,120,1.2\n", "has observed but not expected"),
        ("shmi", "year,org_code,shmi,banding\n2018,RNA,1.0,4\n", "line 2, column banding"),
        ("rtt", "snapshot_date,org_code,incomplete_pathways,within_18_weeks\n2019-03-30,RNA,10,9\n",
         "line 2, column snapshot_date"),
        ("rtt", "snapshot_date,org_code,incomplete_pathways,within_18_weeks\n2019-03-31,RNA,10,11\n",
         "line 2, column within_18_weeks"),
        ("rtt", ("snapshot_date,org_code,incomplete_pathways,within_18_weeks,rtt_18wk_share\n"
                "2019-03-31,RNA,10,9,0.8\n"), "line 2, column rtt_18wk_share"),
        ("kh03", "year,org_code,beds,occupancy_share\n2018,RNA,700,1.2\n", "line 2, column occupancy_share"),
        ("kh03", "year,org_code,beds,occupancy_share\n2018,RNA,-inf,0.9\n", "line 2, column beds"),
        ("kh03", "year,org_code,beds,occupancy_share\n2018,rna,700,0.9\n", "line 2, column org_code"),
        ("staff-survey", ("org_code,year,staff_survey_responses,engagement_score,recommend_as_place_to_work_score,"
                         "recommend_care_score,work_stress_share\nRNA,2019,300,6,3,3,0.3\n"),
         "line 2, column engagement_score"),
        ("staff-survey", ("org_code,year,staff_survey_responses,engagement_score,recommend_as_place_to_work_score,"
                         "recommend_care_score,work_stress_share\nRNA,2019,3.5,3,3,3,0.3\n"),
         "line 2, column staff_survey_responses"),
        ("ae-annual", "fin_year_start,org_code,ae_4hr_within_share\n2018,RNA,nan\n",
         "line 2, column ae_4hr_within_share"),
        ("ae-annual", "fin_year_start,org_code,ae_4hr_within_share\n2018,RNA-Y,0.9\n", "line 2, column org_code"),
    ],
)
def test_bad_values_give_one_line_errors(tmp_path, kind, content, where):
    path = _write(tmp_path, content)
    with pytest.raises(InputError) as info:
        preparer(kind)(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and where in message


def test_blank_values_are_refused_rows_not_errors(tmp_path):
    path = _write(tmp_path, "year,org_code,shmi\n2018,RNA,\n2018,RXC,0.98\n")
    result = preparer("shmi")(path)
    assert (result.read, result.loaded, dict(result.refused)) == (2, 1, {"with no SHMI value": 1})


def test_cli_every_kind_reports_counts(cli, tmp_path):
    db = tmp_path / "ww.duckdb"
    result = cli("load-published", "rtt", sample_path("rtt"), "--db", db)
    assert result.exit_code == 0, result.output
    assert "rtt: read 1331 rows, loaded 1330, refused 1 (1 with no patients waiting)" in result.output
    assert re.search(r"wrote 1330 measures rows \(rtt_incomplete_18wk\) for 213 organisations", result.output)


def test_band_codes_match_the_funnel_labels():
    from wardwatch.published.national import SHMI_BAND_CODES
    from wardwatch.stats.funnel import BAND_AS, BAND_HIGH, BAND_LOW

    assert SHMI_BAND_CODES == {BAND_HIGH: 1, BAND_AS: 2, BAND_LOW: 3}
