"""Hospital spells with deaths in hospital and within 30 days of discharge (contract ``admissions``).

- Spells per trust in proportion to size. Diagnosis groups: ``DIAGNOSIS_SHARES`` (sepsis 3.5%,
  pneumonia 5%, ..., other 72.5%). Admission method: the named acute groups are almost all
  emergencies; "other" mixes elective, emergency, maternity and transfers.
- Emergency admissions: every day (Monday peak, winter peak), at ED hours; electives on weekdays
  in the morning.
- Age by group (hip fracture oldest, maternity 16-45), sex by group, Charlson index Poisson
  rising with age and in chronic groups; length of stay lognormal by group.
- Death (in hospital or within 30 days of discharge, the SHMI outcome, docs/methods.md 4.1) is drawn
  from ``signals.TRUE_MORTALITY_MODEL``, which carries signals 4 (ZP07 odds ratio 1.8) and 5
  (focal sepsis odds ratio 0.92). Three quarters of deaths happen in hospital (discharge = death).

``died_within_30d_of_discharge`` is true for every death in hospital or within 30 days after
discharge (a death in hospital is a death on the day of discharge), so it *is* the SHMI outcome;
``died_in_hospital`` marks the subset that died before leaving.
Only spells discharged by the end of the window are in the extract.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from wardwatch.contracts.schema import ADMISSIONS, DIAGNOSIS_GROUPS
from wardwatch.synth import writer as w
from wardwatch.synth.common import (
    DAY_NUMBERS,
    ED_HOUR_WEIGHTS,
    EXTRACT_SECOND,
    SECONDS_PER_DAY,
    calendar_month,
    financial_year_index,
    rng,
    season_factor,
    weekday,
)
from wardwatch.synth.orgs import ORGS
from wardwatch.synth.signals import TRUE_MORTALITY_MODEL

STREAM = "admissions"
DIAGNOSIS_SHARES = {
    "sepsis": 0.035,
    "pneumonia": 0.05,
    "heart_failure": 0.03,
    "stroke": 0.025,
    "copd": 0.03,
    "ami": 0.02,
    "uti": 0.035,
    "hip_fracture": 0.015,
    "gi_bleed": 0.015,
    "aki": 0.02,
    "other": 0.725,
}
METHODS = ("elective", "emergency", "maternity", "transfer")
# (mean age, sd age, share male, Charlson extra, median length of stay in days)
_GROUP_PROFILE = {
    "sepsis": (72, 15, 0.50, 0.8, 7.0),
    "pneumonia": (74, 14, 0.50, 0.9, 6.0),
    "heart_failure": (79, 10, 0.52, 1.5, 7.0),
    "stroke": (75, 12, 0.50, 0.7, 9.0),
    "copd": (71, 10, 0.48, 1.4, 4.0),
    "ami": (68, 13, 0.64, 0.8, 4.0),
    "uti": (70, 20, 0.35, 0.5, 4.0),
    "hip_fracture": (83, 8, 0.30, 0.6, 14.0),
    "gi_bleed": (64, 18, 0.55, 0.6, 4.0),
    "aki": (74, 14, 0.52, 1.3, 6.0),
    "other": (52, 24, 0.46, 0.0, 1.5),
}
_OTHER_METHODS = np.array([0.40, 0.45, 0.12, 0.03])
_ACUTE_METHODS = np.array([0.03, 0.93, 0.0, 0.04])


def generate_admissions(seed: int, total: int) -> pa.Table:
    gen = rng(seed, STREAM)
    groups = np.array(list(DIAGNOSIS_SHARES.values()))
    n = int(total)
    org_w = np.array([o.size for o in ORGS])
    org_idx = gen.choice(len(ORGS), size=n, p=org_w / org_w.sum())
    group = gen.choice(len(DIAGNOSIS_GROUPS), size=n, p=groups / groups.sum())
    other = group == DIAGNOSIS_GROUPS.index("other")
    u = gen.random(n)
    method = np.where(
        other,
        (u[:, None] > np.cumsum(_OTHER_METHODS)[None, :]).sum(axis=1),
        (u[:, None] > np.cumsum(_ACUTE_METHODS)[None, :]).sum(axis=1),
    )
    method = np.minimum(method, 3)
    elective = method == 0

    # admission day: emergencies with weekday and winter peaks, electives on weekdays only
    wd = weekday(DAY_NUMBERS)
    emergency_w = np.array([1.12, 1.03, 1.0, 0.99, 1.0, 0.93, 0.93])[wd] * season_factor(DAY_NUMBERS, 0.08)
    elective_w = np.where(wd < 5, 1.0, 0.0) * season_factor(DAY_NUMBERS, -0.03)
    day = np.where(
        elective,
        gen.choice(DAY_NUMBERS, size=n, p=elective_w / elective_w.sum()),
        gen.choice(DAY_NUMBERS, size=n, p=emergency_w / emergency_w.sum()),
    )
    hour = np.where(elective, 7 + gen.integers(0, 5, n), gen.choice(24, size=n, p=ED_HOUR_WEIGHTS))
    admitted = day * SECONDS_PER_DAY + hour * 3600 + gen.integers(0, 3600, n)

    prof = np.array([_GROUP_PROFILE[g] for g in DIAGNOSIS_GROUPS])
    mean_age, sd_age, male, charlson_extra, median_los = (prof[group, k] for k in range(5))
    age = np.clip(np.round(gen.normal(mean_age, sd_age)), 0, 104)
    maternity = method == 2
    age = np.where(maternity, gen.integers(16, 46, n), age).astype(np.int64)
    sex = np.where(gen.random(n) < male, 0, 1)  # 0 M, 1 F
    sex = np.where(maternity, 1, sex)
    sex = np.where(gen.random(n) < 0.002, 2, sex)
    charlson = np.minimum(gen.poisson(0.2 + 0.035 * np.maximum(age - 40, 0) + charlson_extra), 50).astype(
        np.int64
    )

    los_days = np.exp(np.log(np.where(elective, 0.6 * median_los, median_los)) + 0.8 * gen.standard_normal(n))
    los_days = np.where(maternity, np.exp(np.log(1.5) + 0.5 * gen.standard_normal(n)), los_days)
    org_codes_list = np.array([o.code for o in ORGS])
    p_death = TRUE_MORTALITY_MODEL.probability(
        diagnosis_group=np.array(DIAGNOSIS_GROUPS)[group],
        age=age,
        sex=np.array(["M", "F", "U"])[sex],
        admission_method=np.array(METHODS)[method],
        charlson_index=charlson,
        month=calendar_month(day),
        year_index=financial_year_index(day),
        org_code=org_codes_list[org_idx],
    )
    died = gen.random(n) < p_death
    in_hospital = died & (gen.random(n) < 0.75)
    # those who die in hospital stay a little shorter on average
    los_days = np.where(in_hospital, los_days * gen.uniform(0.3, 1.2, n), los_days)
    discharged = admitted + np.maximum(np.round(los_days * SECONDS_PER_DAY), 1800).astype(np.int64)

    keep = discharged < EXTRACT_SECOND
    order = np.argsort(admitted[keep], kind="stable")
    idx = np.flatnonzero(keep)[order]

    site_codes = tuple(s.code for o in ORGS for s in o.sites)
    first_site = np.concatenate([[0], np.cumsum([len(o.sites) for o in ORGS])[:-1]])
    second_share = np.array([1 - o.main_site.inpatient_share for o in ORGS])
    site_idx = first_site[org_idx] + (gen.random(n) < second_share[org_idx]).astype(np.int64)
    site_missing = gen.random(n) < 0.01

    org_codes = w.labels(list(org_codes_list), org_idx[idx])
    return w.table(
        ADMISSIONS,
        {
            "spell_id": w.identifiers(org_codes, np.arange(1, len(idx) + 1), 9, "-SP"),
            "org_code": org_codes,
            "site_code": w.labels(site_codes, site_idx[idx], site_missing[idx]),
            "admitted_at": w.timestamps(admitted[idx]),
            "discharged_at": w.timestamps(discharged[idx]),
            "age": age[idx],
            "sex": w.labels(("M", "F", "U"), sex[idx]),
            "admission_method": w.labels(METHODS, method[idx]),
            "diagnosis_group": w.labels(DIAGNOSIS_GROUPS, group[idx]),
            "charlson_index": charlson[idx],
            "died_in_hospital": in_hospital[idx],
            "died_within_30d_of_discharge": died[idx],
        },
    )
