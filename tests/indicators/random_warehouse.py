"""A seeded random warehouse (all seven tables) for the Spark parity suite.

Times are whole minutes from midnight so exact boundaries (15:00, 1 h, 4 h, 12 h, 24 h, 7 days)
occur often, and some timestamps are missing: where engines could disagree, they are tested.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wardwatch.contracts.schema import COURSES, IONISING_MODALITIES, MODALITIES

ORGS = np.array(["ZFV", "ZP01", "ZP02"])
START = np.datetime64("2018-10-01T00:00")
DAYS = 240


def _times(gen, n):
    return START + gen.integers(0, DAYS * 1440, n).astype("timedelta64[m]")


def _after(gen, base, minutes_choices, p_missing):
    offsets = gen.choice(minutes_choices, len(base)).astype("timedelta64[m]")
    out = pd.Series(base + offsets)
    out[gen.random(len(base)) < p_missing] = pd.NaT
    return out


def _sites(gen, orgs):
    return np.char.add(orgs.astype(str), gen.choice(["01", "02"], len(orgs)))


def random_frames(seed: int = 7, ed_rows: int = 20_000) -> dict[str, pd.DataFrame]:
    gen = np.random.default_rng(seed)
    frames = {}

    n = ed_rows
    org = gen.choice(ORGS, n)
    arrival = _times(gen, n)
    frames["ed_attendances"] = pd.DataFrame(
        {
            "attendance_id": [f"a{i}" for i in range(n)],
            "org_code": org,
            "site_code": _sites(gen, org),
            "department_type": gen.choice([1, 2, 3], n),
            "arrival_at": arrival,
            "initial_assessment_at": _after(gen, arrival, [0, 5, 14, 15, 16, 30, 90], 0.05),
            "clinician_seen_at": _after(gen, arrival, [30, 60, 120], 0.1),
            "decision_to_admit_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]"),
            "departed_at": _after(gen, arrival, [60, 239, 240, 241, 600, 719, 720, 721, 1500], 0.03),
            "arrival_mode": gen.choice(["ambulance", "walk_in"], n),
            "acuity": gen.integers(1, 6, n),
            "age": gen.integers(0, 100, n),
            "disposal": gen.choice(["admitted", "discharged"], n),
        }
    )

    n = 3000
    org = gen.choice(ORGS, n)
    trigger = _times(gen, n)
    frames["sepsis_episodes"] = pd.DataFrame(
        {
            "episode_id": [f"e{i}" for i in range(n)],
            "org_code": org,
            "site_code": _sites(gen, org),
            "location": gen.choice(["emergency_department", "assessment_unit", "inpatient_ward"], n),
            "trigger_at": trigger,
            "news2": gen.integers(0, 15, n),
            "screened_at": _after(gen, trigger, [10, 59, 60, 61, 200], 0.1),
            "antibiotics_at": _after(gen, trigger, [30, 60, 61, 179, 180, 181, 400], 0.1),
            "age": gen.integers(16, 100, n),
            "died_within_30d": gen.random(n) < 0.15,
        }
    )

    n = 6000
    org = gen.choice(ORGS, n)
    requested = _times(gen, n)
    performed = _after(gen, requested, [60, 1439, 1440, 1441, 5000, 60000, 80000], 0.15)
    reported = performed + pd.to_timedelta(gen.choice([600, 10080, 10081, 20000], n), unit="m")
    reported[gen.random(n) < 0.1] = pd.NaT
    cancelled = pd.Series(requested + np.timedelta64(2, "D"))
    cancelled[(gen.random(n) < 0.9) | performed.notna()] = pd.NaT
    frames["imaging_requests"] = pd.DataFrame(
        {
            "request_id": [f"r{i}" for i in range(n)],
            "org_code": org,
            "site_code": _sites(gen, org),
            "modality": gen.choice(MODALITIES, n),
            "patient_type": gen.choice(["inpatient", "outpatient", "emergency", "gp"], n),
            "priority": gen.choice(["urgent", "soon", "routine"], n),
            "requested_at": requested,
            "performed_at": performed,
            "reported_at": reported,
            "cancelled_at": cancelled,
        }
    )

    n = 2500
    staff = gen.integers(0, 300, n)
    course = gen.choice(list(COURSES), n)
    irmer = np.char.startswith(course.astype(str), "irmer_")
    modality = np.where(irmer, gen.choice(MODALITIES, n), None)
    required = (np.datetime64("2018-01-01") + gen.integers(0, 500, n).astype("timedelta64[D]")).astype(
        "datetime64[D]"
    )
    completed = pd.Series(required + gen.integers(-30, 200, n).astype("timedelta64[D]"))
    completed[gen.random(n) < 0.2] = pd.NaT
    valid = completed + pd.to_timedelta(gen.choice([90, 365, 730], n), unit="D")
    valid[gen.random(n) < 0.1] = pd.NaT
    frames["staff_training"] = pd.DataFrame(
        {
            "record_id": [f"t{i}" for i in range(n)],
            "staff_id": [f"s{s}" for s in staff],
            "org_code": ORGS[staff % 3],
            "staff_group": "radiography",
            "role": "Diagnostic radiographer",
            "course": course,
            "modality": modality,
            "required_from": pd.to_datetime(required).date,
            "completed_on": completed.dt.date,
            "valid_until": valid.dt.date,
        }
    )

    rows = []
    for s in range(0, 300, 2):
        for m in IONISING_MODALITIES[:3]:
            role = "operator" if s % 4 else "practitioner"
            rec = np.datetime64("2018-01-01") + np.timedelta64(int(gen.integers(0, 500)), "D")
            wd = rec + np.timedelta64(int(gen.integers(1, 400)), "D") if gen.random() < 0.3 else None
            rows.append(
                (
                    f"s{s}",
                    ORGS[s % 3],
                    m,
                    role,
                    pd.Timestamp(rec).date(),
                    None if wd is None else pd.Timestamp(wd).date(),
                )
            )
    frames["irmer_entitlements"] = pd.DataFrame(
        rows, columns=["staff_id", "org_code", "modality", "entitled_as", "recorded_on", "withdrawn_on"]
    )

    months = pd.date_range("2018-04-01", periods=24, freq="MS").date
    rows = []
    for o in ORGS:
        for g in ("nursing", "radiography", "medical"):
            for m in months:
                est = float(gen.integers(50, 500)) + 0.5
                rows.append((o, g, m, est, round(est * gen.uniform(0.8, 1.05), 2), None))
    frames["staffing"] = pd.DataFrame(
        rows,
        columns=["org_code", "staff_group", "month", "establishment_wte", "in_post_wte", "bank_agency_wte"],
    )

    n = 5000
    org = gen.choice(ORGS, n)
    admitted = _times(gen, n)
    site = pd.Series(_sites(gen, org), dtype=object)
    site[gen.random(n) < 0.1] = None
    frames["admissions"] = pd.DataFrame(
        {
            "spell_id": [f"p{i}" for i in range(n)],
            "org_code": org,
            "site_code": site,
            "admitted_at": admitted,
            "discharged_at": admitted + gen.integers(60, 20000, n).astype("timedelta64[m]"),
            "age": gen.integers(18, 100, n),
            "sex": gen.choice(["M", "F"], n),
            "admission_method": gen.choice(["elective", "emergency"], n),
            "diagnosis_group": gen.choice(["sepsis", "other"], n),
            "charlson_index": gen.integers(0, 10, n),
            "died_in_hospital": gen.random(n) < 0.05,
            "died_within_30d_of_discharge": gen.random(n) < 0.03,
        }
    )
    return frames
