"""The overview's "as at" icons (result_spc_as_of): the SPC of the periods that had ended by each
month end, recomputed, so a run completed later is not read back into an earlier month.

The series is built by hand: 20 months alternating 10.5 and 9.5 (mean 10, moving range 1, limits
10 ± 2.66), then 8 months at 10.6, inside the limits but above the centre. Eight points on one
side is a shift under Making Data Count's rule (seven or more, docs/methods.md 2.2), so today
every one of the eight is flagged; four months into the run, nobody could have seen it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wardwatch.report.meta import IndicatorMeta
from wardwatch.results import spc_series
from wardwatch.stats.spc import spc

META = IndicatorMeta(id="hand_score", title="Hand score", unit="score", improvement="increase", target=7.0,
                     chart="xmr")
BASELINE = [10.5, 9.5] * 10
RUN = [10.6] * 8
START = date(2024, 1, 1)


def _series(values: list[float], start: date = START, data_until: date | None = None) -> pd.DataFrame:
    periods = pd.date_range(start, periods=len(values), freq="MS").astype("datetime64[us]")
    return pd.DataFrame({
        "indicator_id": "hand_score", "org_code": "ZZ1", "site_code": "", "grain": "month",
        "period_start": periods, "numerator": np.nan, "denominator": np.nan, "value": values,
        "source": "hand", "from_sites": False,
        "data_until": pd.Timestamp(data_until) if data_until else pd.NaT,
    }).astype({"data_until": "datetime64[us]"})


def _as_of(values: list[float]) -> tuple[pd.DataFrame, spc_series.SeriesResults]:
    result = spc_series.compute(_series(values), {"hand_score": META})
    clinical = result.as_of[result.as_of["edition"] == "clinical"].set_index("as_of")
    return clinical, result


def test_a_run_seen_today_is_not_read_back_into_the_months_before_it_completed():
    clinical, result = _as_of(BASELINE + RUN)
    # 28 months from January 2024: the last is April 2026; 13 month ends, April 2025 to April 2026
    assert list(clinical.index) == list(pd.date_range("2025-04-30", "2026-04-30", freq="ME"))
    assert clinical.loc["2026-04-30", "variation"] == "special_cause_improvement"
    # four months into the run (September to December 2025): common cause then
    assert clinical.loc["2025-12-31", ["latest_period", "n_points", "variation"]].tolist() == [
        pd.Timestamp("2025-12-01"), 24, "common_cause"]
    # ... although today's chart flags December 2025 (hindsight): the stored point says so
    points = result.points[(result.points["edition"] == "clinical")].set_index("period_start")
    assert points.loc["2025-12-01", "point_type"] == "special_cause_improvement"
    # assurance: target 7 is below the lower limit at every date (16 baseline months: 10 - 2.66;
    # today 10.17 - 2.66 x 0.744, the mean moving range 20.1 / 27): consistently met
    assert set(clinical["assurance"]) == {"consistent_pass"}


def test_each_as_of_row_is_the_spc_of_the_truncated_series():
    clinical, _ = _as_of(BASELINE + RUN)
    values = pd.Series(BASELINE + RUN, index=pd.date_range(START, periods=28, freq="MS"))
    for as_of, row in clinical.iterrows():
        kept = values[values.index + pd.offsets.MonthEnd(0) <= as_of]
        direct = spc(pd.DataFrame({"x": kept.index, "y": kept.to_numpy()}), x="x", y="y", chart="xmr",
                     improvement="increase", target=7.0)
        assert row["n_points"] == len(kept)
        assert row["variation"] == direct.summary["variation"].iloc[-1], as_of
        assert row["assurance"] == direct.summary["assurance"].iloc[-1], as_of


def test_an_incomplete_last_period_is_left_out_of_every_date():
    # data until 15 April 2026: April is incomplete, so the newest date is March's end
    result = spc_series.compute(_series(BASELINE + RUN, data_until=date(2026, 4, 15)), {"hand_score": META})
    clinical = result.as_of[result.as_of["edition"] == "clinical"]
    assert clinical["as_of"].max() == pd.Timestamp("2026-03-31")
    assert clinical["latest_period"].max() == pd.Timestamp("2026-03-01")
    # today's chart leaves April out too: the newest date's icons are today's
    latest = clinical[clinical["as_of"] == clinical["as_of"].max()].iloc[0]
    series = result.series[result.series["edition"] == "clinical"].iloc[0]
    assert (latest["variation"], latest["assurance"]) == (series["variation"], series["assurance"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.floats(0, 100, allow_nan=False, width=32), min_size=3, max_size=40),
       start_month=st.integers(1, 12))
def test_the_newest_date_gives_todays_icons_and_dates_are_month_ends(values, start_month):
    result = spc_series.compute(_series(values, start=date(2023, start_month, 1)), {"hand_score": META})
    for edition, rows in result.as_of.groupby("edition"):
        newest = rows.loc[rows["as_of"].idxmax()]
        today = result.series[result.series["edition"] == edition].iloc[0]
        assert (newest["variation"], newest["assurance"]) == (today["variation"], today["assurance"])
        assert newest["n_points"] == today["n_charted"]
        assert (rows["as_of"] + pd.offsets.MonthEnd(0) == rows["as_of"]).all()
        assert len(rows) <= spc_series.AS_OF_MONTHS + 1
        # one point more (or none) from one month end to the next
        steps = rows.sort_values("as_of")["n_points"].diff().dropna()
        assert steps.isin([0, 1]).all()


def test_weeks_count_by_the_day_they_end():
    # weeks from Monday 29 December 2025: the first ends Sunday 4 January 2026, so it is not in
    # December's chart; ten weeks, the last ending Sunday 8 March 2026
    frame = _series([10.0, 11.0] * 5)
    frame["grain"] = "week"
    frame["period_start"] = pd.date_range("2025-12-29", periods=10, freq="7D").astype("datetime64[us]")
    result = spc_series.compute(frame, {"hand_score": META})
    clinical = result.as_of[result.as_of["edition"] == "clinical"].set_index("as_of")
    assert clinical.index.max() == pd.Timestamp("2026-03-31")
    assert clinical.loc["2026-02-28", "n_points"] == 8  # weeks ending 4 Jan ... 22 Feb (1 Mar is out)
    assert clinical.loc["2026-01-31", "n_points"] == 4  # 4, 11, 18 and 25 January
    assert pd.Timestamp("2025-12-31") not in clinical.index  # no week had ended: nothing charted


# --- rebased at an action's start (result tables with segments) ------------------------------------
def test_a_rebase_gives_the_segments_spc_gives_and_reaches_the_as_of_dates_after_it():
    values = BASELINE + RUN
    rebases = {("hand_score", "ZZ1", ""): (date(2025, 9, 15),)}  # mid-September: October starts it
    result = spc_series.compute(_series(values), {"hand_score": META}, rebases=rebases)
    points = result.points[result.points["edition"] == "clinical"].set_index("period_start")
    assert (points.loc[:"2025-09-01", "segment"] == 0).all() and (points.loc["2025-10-01":, "segment"] == 1).all()
    frame = pd.DataFrame({"x": pd.date_range(START, periods=28, freq="MS"), "y": values})
    direct = spc(frame, x="x", y="y", chart="xmr", improvement="increase", target=7.0,
                 rebase=[pd.Timestamp("2025-10-01")])
    assert np.allclose(points["centre"].to_numpy(), direct.points["centre"].to_numpy(), rtol=0, atol=1e-12)
    assert np.allclose(points["upl"].to_numpy(), direct.points["upl"].to_numpy(), rtol=0, atol=1e-12,
                       equal_nan=True)
    # the new segment's centre is the mean of its own seven points (October to April): 10.6
    assert points.loc["2026-04-01", "centre"] == pytest.approx(10.6, abs=1e-12)
    summary = result.summary[result.summary["edition"] == "clinical"]
    assert list(summary["segment"]) == [0, 1]
    clinical = result.as_of[result.as_of["edition"] == "clinical"].set_index("as_of")
    # before October the rebase has not happened: the same icons as without it
    plain, _ = _as_of(values)
    assert clinical.loc[:"2025-09-30", "variation"].tolist() == plain.loc[:"2025-09-30", "variation"].tolist()
    # a flat new segment: no variation to signal against its own centre
    assert clinical.loc["2026-04-30", "variation"] != plain.loc["2026-04-30", "variation"]


def test_a_rebase_changes_the_fingerprint_of_its_series_only():
    frame = pd.concat([_series(BASELINE), _series(BASELINE).assign(org_code="ZZ2")], ignore_index=True)
    metas = {"hand_score": META}
    before = spc_series.fingerprints(frame, metas).set_index("unit_key")["fingerprint"]
    after = spc_series.fingerprints(frame, metas, {("hand_score", "ZZ1", ""): (date(2024, 6, 1),)})
    after = after.set_index("unit_key")["fingerprint"]
    assert before["hand_score|ZZ1||month"] != after["hand_score|ZZ1||month"]
    assert before["hand_score|ZZ2||month"] == after["hand_score|ZZ2||month"]
