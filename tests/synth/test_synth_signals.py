"""The injected signals (and the deliberate absences) are visible in the raw synthetic data.

Every figure here is a hand computation on the generated rows with pandas, compared with the
values the brief pins (signals 1-6), not with the generator's own helper functions.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from wardwatch.synth.signals import FOCAL_ORG, HIGH_MORTALITY_PEER, SIGNALS


def _between(frame: pd.DataFrame, col: str, start: str, end: str) -> pd.DataFrame:
    return frame[(frame[col] >= pd.Timestamp(start)) & (frame[col] < pd.Timestamp(end))]


def test_signal_constants_match_the_brief():
    by_id = {s.id: s for s in SIGNALS}
    assert sorted(by_id) == [1, 2, 3, 4, 5, 6]
    assert by_id[1].indicator_id == "sepsis_antibiotics_1h_news2_7plus" and by_id[1].action_date == dt.date(
        2019, 4, 1
    )
    assert by_id[1].expected_value(dt.date(2017, 10, 1)) == 0.75
    assert abs(by_id[1].expected_value(dt.date(2019, 3, 31)) - 0.55) < 1e-12
    assert by_id[1].expected_value(dt.date(2019, 4, 1)) == 0.85
    assert (
        by_id[2].expected_value(dt.date(2019, 4, 30)) == 0.65
        and by_id[2].expected_value(dt.date(2019, 5, 1)) == 0.88
    )
    assert by_id[3].modality == "CT" and by_id[3].expected_value(dt.date(2017, 12, 31)) == 0.95
    assert (
        by_id[3].expected_value(dt.date(2019, 1, 31)) == 0.55
        and by_id[3].expected_value(dt.date(2019, 7, 1)) == 0.95
    )
    # linear decline of signal 1: 182 of 365 days from 75% towards 55%
    assert abs(by_id[1].expected_value(dt.date(2018, 9, 29)) - (0.75 - 0.20 * 182 / 365)) < 1e-12
    assert by_id[4].org_code == HIGH_MORTALITY_PEER == "ZP07" and by_id[4].odds_ratio == 1.8
    assert by_id[5].org_code == FOCAL_ORG == "ZFV" and by_id[5].odds_ratio == 0.92
    assert by_id[6].action == "staffing review" and by_id[6].action_date == dt.date(2019, 6, 1)
    assert set(by_id[6].related_indicator_ids) == {
        "ed_initial_assessment_15min",
        "mandatory_training_compliance",
    }


# --- signal 1: sepsis antibiotics within 1 hour, NEWS2 >= 7, focal trust ----------------------


def _abx_1h(frame: pd.DataFrame) -> pd.Series:
    return (frame.antibiotics_at - frame.trigger_at).dt.total_seconds() <= 3600  # blank = not given


def test_signal1_sepsis_antibiotics_decline_then_improve(frames):
    s = frames["sepsis_episodes"]
    focal = s[(s.org_code == FOCAL_ORG) & (s.news2 >= 7)]
    before = _abx_1h(_between(focal, "trigger_at", "2017-04-01", "2018-04-01")).mean()
    trough = _abx_1h(_between(focal, "trigger_at", "2018-10-01", "2019-04-01")).mean()
    after = _abx_1h(_between(focal, "trigger_at", "2019-04-01", "2020-04-01")).mean()
    assert 0.68 <= before <= 0.82
    assert 0.50 <= trough <= 0.66
    assert 0.79 <= after <= 0.91
    assert after - trough > 0.15 and before - trough > 0.08


def test_signal1_enough_high_risk_episodes_every_month(frames):
    s = frames["sepsis_episodes"]
    focal = s[(s.org_code == FOCAL_ORG) & (s.news2 >= 7)]
    per_month = focal.groupby(focal.trigger_at.dt.to_period("M")).size()
    assert len(per_month) == 36 and per_month.min() >= 25


def test_sepsis_news2_bands_and_timing_by_band(frames):
    s = frames["sepsis_episodes"]
    band = pd.cut(s.news2, [-1, 0, 4, 6, 20], labels=["0", "1-4", "5-6", "7+"])
    shares = band.value_counts(normalize=True)
    assert 0.35 < shares["7+"] < 0.5 and 0.25 < shares["5-6"] < 0.4 and 0.15 < shares["1-4"] < 0.3
    minutes = (s.antibiotics_at - s.trigger_at).dt.total_seconds() / 60
    peers = s.org_code != FOCAL_ORG
    assert 0.65 < (minutes[peers & (band == "7+")] <= 60).mean() < 0.85
    assert 0.65 < (minutes[peers & (band == "5-6")] <= 180).mean() < 0.9
    # screening within an hour is most common for the sickest
    screened = (s.screened_at - s.trigger_at).dt.total_seconds() <= 3600
    assert screened[band == "7+"].mean() > screened[band == "1-4"].mean() + 0.1


# --- signal 2: inpatient imaging within 24 hours ----------------------------------------------


def test_signal2_inpatient_imaging_step_up(frames):
    i = frames["imaging_requests"]
    inpatients = i[(i.org_code == FOCAL_ORG) & (i.patient_type == "inpatient")]
    within = (inpatients.performed_at - inpatients.requested_at).dt.total_seconds() <= 24 * 3600
    before = within[inpatients.requested_at < pd.Timestamp("2019-05-01")].mean()
    after = within[inpatients.requested_at >= pd.Timestamp("2019-05-01")].mean()
    assert 0.58 <= before <= 0.72
    assert 0.82 <= after <= 0.94


def test_imaging_waits_and_waiting_list(frames):
    i = frames["imaging_requests"]
    planned = i[i.patient_type.isin(["outpatient", "gp"])]
    hours = (i.performed_at - i.requested_at).dt.total_seconds() / 3600
    # emergency in hours, planned in days to weeks
    assert hours[i.patient_type == "emergency"].median() < 3
    assert hours[planned.index].median() > 24
    # month-end snapshot (DM01 style): some on the list waiting 6 weeks or more
    at = pd.Timestamp("2019-02-01")
    waiting = planned[
        (planned.requested_at < at) & ~(planned.performed_at < at) & ~(planned.cancelled_at < at)
    ]
    six_weeks = (at - waiting.requested_at) >= pd.Timedelta(days=42)
    assert len(waiting) > 100 and 0.005 < six_weeks.mean() < 0.25
    # still waiting at the end of the window (not scanned, not cancelled)
    assert (planned.performed_at.isna() & planned.cancelled_at.isna()).sum() > 50
    # reports: most within 7 days of the scan
    turnaround = (i.reported_at - i.performed_at).dt.total_seconds() / 86400
    assert 0.8 < (turnaround.dropna() <= 7).mean() < 0.99
    mix = i.modality.value_counts(normalize=True)
    assert mix.index[0] == "XR" and mix["CT"] > mix["MR"] > mix["NM"]


# --- signal 3: CT IR(ME)R training in date ------------------------------------------------------


def _in_date_share(training: pd.DataFrame, on: str) -> tuple[float, int]:
    day = pd.Timestamp(on).date()
    active = training[training.required_from <= day]
    ok = (active.completed_on <= day) & (active.valid_until >= day)
    per_requirement = ok.groupby([active.staff_id, active.course, active.modality.fillna("")]).any()
    return float(per_requirement.mean()), len(per_requirement)


def test_signal3_ct_irmer_training_lapses_and_recovers(frames):
    t = frames["staff_training"]
    ct = t[(t.org_code == FOCAL_ORG) & (t.modality == "CT") & t.course.str.startswith("irmer_")]
    early, n_early = _in_date_share(ct, "2017-12-31")
    trough, n_trough = _in_date_share(ct, "2019-01-31")
    late, _ = _in_date_share(ct, "2019-12-31")
    assert n_early >= 30 and n_trough >= 30
    assert early >= 0.85
    assert trough <= 0.68
    assert late >= 0.85
    # other modalities at the focal trust do not lapse
    xr = t[(t.org_code == FOCAL_ORG) & (t.modality == "XR")]
    assert _in_date_share(xr, "2019-01-31")[0] >= 0.8


def test_irmer_courses_only_for_ionising_modalities_and_imaging_staff(frames):
    t = frames["staff_training"]
    irmer = t[t.course.str.startswith("irmer_")]
    assert set(irmer.modality) <= {"XR", "CT", "NM", "FL", "DEXA", "MG"}
    assert set(irmer.staff_group) == {"radiography", "medical"}
    assert set(irmer[irmer.staff_group == "medical"].role) == {"Consultant radiologist"}
    assert t[~t.course.str.startswith("irmer_")].modality.isna().all()
    # everybody has the 11 mandatory modules
    mandatory = t[~t.course.str.startswith("irmer_") & (t.course != "sepsis")]
    assert (mandatory.groupby("staff_id").course.nunique() == 11).all()
    sepsis_groups = set(t[t.course == "sepsis"].staff_group)
    assert sepsis_groups == {"medical", "nursing", "midwifery"}


def test_irmer_entitlements_mostly_recorded_some_missing(frames):
    t, e = frames["staff_training"], frames["irmer_entitlements"]
    need = t[t.course.isin(["irmer_operator", "irmer_practitioner"])][["staff_id", "course", "modality"]]
    need = need.drop_duplicates().assign(entitled_as=lambda d: d.course.str.removeprefix("irmer_"))
    merged = need.merge(e, on=["staff_id", "modality", "entitled_as"], how="left", indicator=True)
    recorded = merged.groupby(merged.staff_id.str[:3] == "ZFV")._merge.apply(lambda m: (m == "both").mean())
    assert 0.8 < recorded[True] < 0.97  # focal: about 10% missing
    assert recorded[False] > recorded[True]
    assert (e.entitled_as == "referrer").any()


# --- signal 4: ZP07 high mortality ------------------------------------------------------------


def test_signal4_zp07_mortality_clearly_high(frames):
    a = frames["admissions"]
    dead = a.died_within_30d_of_discharge
    zp07 = a.org_code == HIGH_MORTALITY_PEER
    p1, n1 = dead[zp07].mean(), zp07.sum()
    p0, n0 = dead[~zp07].mean(), (~zp07).sum()
    pooled = dead.mean()
    z = (p1 - p0) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    assert p1 / p0 > 1.35 and z > 4
    # no other trust stands out like that
    for org, group in a[~zp07].groupby("org_code"):
        assert group.died_within_30d_of_discharge.mean() / p0 < 1.25, org


def test_deaths_in_hospital_are_a_subset_of_30_day_deaths(frames):
    a = frames["admissions"]
    assert not (a.died_in_hospital & ~a.died_within_30d_of_discharge).any()
    share = a.died_in_hospital.sum() / a.died_within_30d_of_discharge.sum()
    assert 0.65 < share < 0.85


# --- signal 5: focal sepsis mortality below 1 but within chance --------------------------------


def test_signal5_focal_sepsis_audit_mortality_as_expected(frames):
    from wardwatch.synth.sepsis import AGE_LOG_ODDS_PER_YEAR, BAND_MORTALITY

    s = frames["sepsis_episodes"]
    focal = s[s.org_code == FOCAL_ORG].dropna(subset=["age"])
    # expected deaths for an average trust (hand formula: band baseline, age slope, no trust effect)
    band = np.select([focal.news2 >= 7, focal.news2 >= 5, focal.news2 >= 1], [0, 1, 2], 3)
    logit = np.log(BAND_MORTALITY / (1 - BAND_MORTALITY))[band] + AGE_LOG_ODDS_PER_YEAR * (focal.age - 70)
    expected = (1 / (1 + np.exp(-logit))).sum()
    observed = focal.died_within_30d.sum()
    ratio = observed / expected
    se = 1 / np.sqrt(expected)
    assert 0.80 < ratio < 1.02
    assert abs(ratio - 1) < 2.5 * se  # within chance at this volume


# --- signal 6 and the ordinary patterns: controls --------------------------------------------


def test_signal6_staffing_fill_rate_has_no_step(frames):
    st = frames["staffing"]
    focal = st[st.org_code == FOCAL_ORG].groupby("month")[["in_post_wte", "establishment_wte"]].sum()
    fill = focal.in_post_wte / focal.establishment_wte
    before = fill[fill.index < dt.date(2019, 6, 1)]
    after = fill[fill.index >= dt.date(2019, 6, 1)]
    assert abs(after.mean() - before.mean()) < 2.5 * before.std() / np.sqrt(4) + 0.005
    assert 0.85 < fill.mean() < 0.95


def test_signal6_mandatory_training_and_initial_assessment_flat(frames):
    t = frames["staff_training"]
    mandatory = t[(t.org_code == FOCAL_ORG) & ~t.course.str.startswith("irmer_") & (t.course != "sepsis")]
    shares = [_in_date_share(mandatory, d)[0] for d in ("2018-05-31", "2019-05-31", "2019-12-31")]
    assert max(shares) - min(shares) < 0.03 and 0.8 < np.mean(shares) < 0.93
    ed = frames["ed_attendances"]
    focal = ed[(ed.org_code == FOCAL_ORG) & (ed.department_type == 1)]
    within = (focal.initial_assessment_at - focal.arrival_at).dt.total_seconds() <= 900
    before = within[focal.arrival_at < pd.Timestamp("2019-06-01")].mean()
    after = within[focal.arrival_at >= pd.Timestamp("2019-06-01")].mean()
    assert 0.70 <= before <= 0.80 and abs(after - before) < 0.03


def test_ed_performance_plausible_for_2017_2020(frames):
    ed = frames["ed_attendances"]
    t1 = ed[ed.department_type == 1]
    minutes = (t1.departed_at - t1.arrival_at).dt.total_seconds() / 60
    four_hours = (minutes <= 240).groupby(t1.org_code).mean()
    assert four_hours.between(0.78, 0.90).all(), four_hours
    assert 0.001 < (minutes > 720).mean() < 0.03
    type3 = ed[ed.department_type == 3]
    assert ((type3.departed_at - type3.arrival_at).dt.total_seconds() <= 4 * 3600).mean() > 0.95
    # the four-hour cliff: more leave in the 15 minutes before 4 h than in the 15 after
    assert ((minutes > 225) & (minutes <= 240)).sum() > 1.5 * ((minutes > 240) & (minutes <= 255)).sum()
    disposal = ed.disposal.value_counts(normalize=True)
    assert 0.15 < disposal["admitted"] < 0.35 and disposal["discharged"] > 0.5
    # admitted patients wait longer; decision to admit only for admitted patients
    assert ed.decision_to_admit_at.notna().sum() > 0
    assert set(ed[ed.decision_to_admit_at.notna()].disposal.dropna()) == {"admitted"}


def test_ed_still_in_department_at_the_end(frames):
    ed = frames["ed_attendances"]
    still = ed[ed.departed_at.isna()]
    assert 0 < len(still) < 100
    assert still.disposal.isna().all()
    assert (still.arrival_at >= pd.Timestamp("2020-03-30")).all()


def test_weekday_season_and_time_of_day_patterns(frames):
    ed = frames["ed_attendances"]
    per_day = ed.groupby(ed.arrival_at.dt.normalize()).size()
    by_weekday = per_day.groupby(per_day.index.day_of_week).mean()
    assert by_weekday.idxmax() == 0 and by_weekday[0] > 1.05 * by_weekday[1:].mean()
    month = per_day.index.month
    winter, summer = per_day[month.isin([12, 1, 2])].mean(), per_day[month.isin([6, 7, 8])].mean()
    assert winter > 1.05 * summer
    by_hour = ed.arrival_at.dt.hour.value_counts()
    assert by_hour[11] > 3 * by_hour[4]
    # waits lengthen in winter
    t1 = ed[ed.department_type == 1]
    los = (t1.departed_at - t1.arrival_at).dt.total_seconds()
    m = t1.arrival_at.dt.month
    assert los[m.isin([12, 1, 2])].median() > 1.08 * los[m.isin([6, 7, 8])].median()
    # acuity: higher acuity (lower number) is seen by a clinician sooner
    wait = (ed.clinician_seen_at - ed.arrival_at).dt.total_seconds()
    assert wait[ed.acuity == 2].median() < wait[ed.acuity == 4].median()
