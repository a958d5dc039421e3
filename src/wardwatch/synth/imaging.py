"""Diagnostic imaging requests (contract ``imaging_requests``), like a radiology information system.

- Patient types: emergency 28%, inpatient 17%, outpatient 30%, GP direct access 25%. Outpatient
  and GP requests are made on weekdays in working hours; emergency requests follow the ED
  arrival curve; inpatient requests are mostly daytime.
- Modality mix depends on the patient type (emergency mostly X-ray and CT; GP X-ray, ultrasound
  and DEXA; outpatients the full range including MR, NM and mammography).
- Request to scan: emergency lognormal (median 50 minutes); inpatients within 24 hours with the
  trust's probability (signal 2 at the focal trust: ~65% then ~88% from 2019-05-01), otherwise
  24 hours plus a lognormal delay; outpatients and GP by priority (urgent median 3 days, soon 8,
  routine 16; X-ray mostly same or next day; longer in winter and at busier trusts), scanned on
  weekdays 08:00-18:00, so some wait more than 6 weeks and some are still waiting at the end.
- 3% of outpatient/GP requests are cancelled before the scan.
- Report turnaround: emergency median 1.5 hours, inpatient 5 hours, outpatient/GP 2.5 days,
  lognormal; 1% never reported.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from wardwatch.contracts.schema import IMAGING_REQUESTS, MODALITIES
from wardwatch.synth import writer as w
from wardwatch.synth.common import (
    DAY_NUMBERS,
    ED_HOUR_WEIGHTS,
    EXTRACT_SECOND,
    SECONDS_PER_DAY,
    growth_factor,
    rng,
    season_factor,
    weekday,
    winter_pressure,
)
from wardwatch.synth.orgs import ORGS
from wardwatch.synth.signals import FOCAL_ORG, IMAGING_INPATIENT_SIGNAL

STREAM = "imaging_requests"
PATIENT_TYPES = ("emergency", "inpatient", "outpatient", "gp")
PATIENT_TYPE_SHARES = np.array([0.28, 0.17, 0.30, 0.25])
PRIORITIES = ("urgent", "soon", "routine")
# modality probabilities per patient type, columns in MODALITIES order: XR CT MR US NM FL DEXA MG
MODALITY_MIX = np.array(
    [
        [0.70, 0.22, 0.02, 0.06, 0.00, 0.00, 0.00, 0.00],
        [0.45, 0.25, 0.08, 0.17, 0.02, 0.03, 0.00, 0.00],
        [0.30, 0.12, 0.18, 0.25, 0.03, 0.03, 0.05, 0.04],
        [0.40, 0.04, 0.06, 0.40, 0.00, 0.00, 0.06, 0.04],
    ]
)
PRIORITY_MIX = np.array([[0.95, 0.05, 0.0], [0.70, 0.25, 0.05], [0.10, 0.25, 0.65], [0.08, 0.20, 0.72]])
_WAIT_MEDIAN_DAYS = np.array([3.0, 8.0, 16.0])  # outpatient/GP by priority
_MODALITY_WAIT = np.array([0.12, 1.2, 1.25, 1.0, 1.1, 1.0, 1.0, 1.0])  # XR is mostly walk-in
_DAYTIME_HOURS = np.array([0.2] * 7 + [1, 3, 4, 4, 4, 3.5, 3.5, 3.5, 3.5, 3, 2.5, 1.5, 1, 0.8, 0.6, 0.4, 0.3])


def _cells(total: int, gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(org index, patient type, day) for every request: a multinomial over all cells."""
    org_w = np.array([o.size for o in ORGS])
    day_w = season_factor(DAY_NUMBERS, 0.04) * growth_factor(DAY_NUMBERS, 0.04)
    is_weekday = weekday(DAY_NUMBERS) < 5
    type_day = (
        np.stack(
            [
                np.ones_like(day_w),
                np.where(is_weekday, 1.1, 0.75),
                np.where(is_weekday, 1.38, 0.02),
                np.where(is_weekday, 1.38, 0.02),
            ]
        )
        * PATIENT_TYPE_SHARES[:, None]
        * day_w[None, :]
    )
    p = (org_w[:, None, None] * type_day[None, :, :]).ravel()
    counts = gen.multinomial(int(total), p / p.sum())
    n_org, n_type, n_day = len(org_w), 4, len(DAY_NUMBERS)
    org_idx = np.repeat(np.repeat(np.arange(n_org), n_type * n_day), counts)
    ptype = np.repeat(np.tile(np.repeat(np.arange(n_type), n_day), n_org), counts)
    day = np.repeat(np.tile(DAY_NUMBERS, n_org * n_type), counts)
    return org_idx, ptype, day


def _categorical(gen: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One draw per row from row-wise probabilities (rows sum to 1)."""
    u = gen.random(len(probabilities))
    return np.minimum((u[:, None] > np.cumsum(probabilities, axis=1)).sum(axis=1), probabilities.shape[1] - 1)


def _next_working_time(gen: np.random.Generator, second: np.ndarray) -> np.ndarray:
    """Move to a weekday between 08:00 and 18:00 (same day if possible, else the next working day)."""
    day = second // SECONDS_PER_DAY
    day = day + np.where(weekday(day) == 5, 2, np.where(weekday(day) == 6, 1, 0))
    return day * SECONDS_PER_DAY + 8 * 3600 + gen.integers(0, 10 * 3600, len(day))


def inpatient_24h_probability(org_idx: np.ndarray, day: np.ndarray) -> np.ndarray:
    peer = np.array([o.inpatient_imaging_24h for o in ORGS])[org_idx]
    focal = np.array([o.code == FOCAL_ORG for o in ORGS])[org_idx]
    return np.where(focal, IMAGING_INPATIENT_SIGNAL.expected_value(day.astype("datetime64[D]")), peer)


def generate_imaging(seed: int, total: int) -> pa.Table:
    gen = rng(seed, STREAM)
    org_idx, ptype, day = _cells(total, gen)
    n = len(day)
    planned = ptype >= 2
    hour = np.where(
        ptype == 0,
        gen.choice(24, size=n, p=ED_HOUR_WEIGHTS),
        np.where(
            ptype == 1,
            gen.choice(24, size=n, p=_DAYTIME_HOURS / _DAYTIME_HOURS.sum()),
            8 + gen.integers(0, 10, n),
        ),
    )
    requested = day * SECONDS_PER_DAY + hour * 3600 + gen.integers(0, 3600, n)
    order = np.argsort(requested, kind="stable")
    org_idx, ptype, day, planned, requested = (
        org_idx[order],
        ptype[order],
        day[order],
        planned[order],
        requested[order],
    )

    modality = _categorical(gen, MODALITY_MIX[ptype])
    priority = _categorical(gen, PRIORITY_MIX[ptype])
    winter = winter_pressure(day)
    pressure = np.array([o.ed_los_factor for o in ORGS])[org_idx] ** 3

    # emergency: minutes
    wait_emergency = 60.0 * np.exp(np.log(50.0) + 0.8 * gen.standard_normal(n))
    # inpatient: within 24 hours with the trust's probability (signal 2 at the focal trust)
    within_day = gen.random(n) < inpatient_24h_probability(org_idx, day)
    wait_inpatient = np.where(
        within_day,
        np.maximum(24 * 3600 * gen.beta(1.2, 2.4, n), 300),
        24 * 3600 + 3600 * np.exp(np.log(18.0) + 0.8 * gen.standard_normal(n)),
    )
    # outpatient / GP: days, then moved into working hours
    median_days = _WAIT_MEDIAN_DAYS[priority] * _MODALITY_WAIT[modality] * (1 + 0.12 * winter) * pressure
    wait_days = np.exp(np.log(median_days) + 0.55 * gen.standard_normal(n))
    planned_scan = _next_working_time(gen, requested + np.round(wait_days * SECONDS_PER_DAY).astype(np.int64))
    planned_scan = np.maximum(planned_scan, requested + 600)

    performed = np.select(
        [ptype == 0, ptype == 1],
        [requested + np.round(wait_emergency), requested + np.round(wait_inpatient)],
        default=planned_scan,
    ).astype(np.int64)

    cancelled = planned & (gen.random(n) < 0.03)
    cancelled_at = requested + np.round((performed - requested) * gen.random(n)).astype(np.int64) + 60

    report_hours = np.select(
        [ptype == 0, ptype == 1],
        [
            np.exp(np.log(1.5) + 0.9 * gen.standard_normal(n)),
            np.exp(np.log(5.0) + 1.0 * gen.standard_normal(n)),
        ],
        default=24 * np.exp(np.log(2.5) + 0.9 * gen.standard_normal(n)),
    )
    reported = performed + np.maximum(np.round(report_hours * 3600), 120).astype(np.int64)
    never_reported = gen.random(n) < 0.01

    cancelled_missing = ~cancelled | (cancelled_at >= EXTRACT_SECOND)
    performed_missing = (cancelled & ~cancelled_missing) | (performed >= EXTRACT_SECOND)
    # a request cancelled after the extract is simply still waiting
    performed_missing |= cancelled & cancelled_missing
    reported_missing = performed_missing | never_reported | (reported >= EXTRACT_SECOND)

    # sites: emergency and inpatient work at the main site; planned work spread by imaging share
    site_codes = tuple(s.code for o in ORGS for s in o.sites)
    first_site = np.concatenate([[0], np.cumsum([len(o.sites) for o in ORGS])[:-1]])
    second_share = np.array([o.sites[1].imaging_share if len(o.sites) > 1 else 0.0 for o in ORGS])
    # the planned share of a second site is larger than its share of all work (no acute work there)
    at_second = planned & (gen.random(n) < np.minimum(second_share[org_idx] / 0.55, 0.9))
    site_idx = first_site[org_idx] + at_second.astype(np.int64)

    org_codes = w.labels([o.code for o in ORGS], org_idx)
    return w.table(
        IMAGING_REQUESTS,
        {
            "request_id": w.identifiers(org_codes, np.arange(1, n + 1), 9, "-IR"),
            "org_code": org_codes,
            "site_code": w.labels(site_codes, site_idx),
            "modality": w.labels(MODALITIES, modality),
            "patient_type": w.labels(PATIENT_TYPES, ptype),
            "priority": w.labels(PRIORITIES, priority),
            "requested_at": w.timestamps(requested),
            "performed_at": w.timestamps(performed, performed_missing),
            "reported_at": w.timestamps(reported, reported_missing),
            "cancelled_at": w.timestamps(cancelled_at, cancelled_missing),
        },
    )
