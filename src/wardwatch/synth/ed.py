"""Emergency department attendances (contract ``ed_attendances``).

How a row is made (all vectorised, one calendar month at a time):

1. The total number of rows is shared out over (site, day) cells in proportion to trust size,
   the site's share of the trust's ED activity, the weekday (Monday peak), the season (winter
   peak, about +/-7%) and slow growth (2% a year): one multinomial draw, so ``--rows`` is exact.
2. Arrival hour follows ``ED_HOUR_WEIGHTS``; age is a mixture of children, adults and older
   people; acuity (ECDS 1-5) depends on age and department type; arrival by ambulance is more
   likely for older and sicker patients; disposal (admitted, discharged, ...) depends on acuity
   and age.
3. Waits are lognormal: arrival to initial assessment (median set per trust, shorter for acuity
   1-2, about 75% within 15 minutes at the focal trust, barely seasonal), assessment to clinician
   (longer in winter and for lower acuity), and time in department (admitted patients longest,
   longer in winter and each year; a share of patients about to breach 4 hours leave just before
   it, as in real data). Decision to admit precedes departure for admitted patients.
4. Anything after the end of the window has not happened yet: patients still in the
   department at the extract have a blank departure and disposal.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from wardwatch.contracts.schema import ED_ATTENDANCES
from wardwatch.synth import writer as w
from wardwatch.synth.common import (
    DAY_NUMBERS,
    ED_HOUR_WEIGHTS,
    ED_WEEKDAY_FACTOR,
    EXTRACT_SECOND,
    SECONDS_PER_DAY,
    growth_factor,
    month_index,
    rng,
    season_factor,
    weekday,
    winter_pressure,
)
from wardwatch.synth.orgs import ORGS

STREAM = "ed_attendances"
ARRIVAL_MODES = ("ambulance", "walk_in", "police", "other")
DISPOSALS = ("admitted", "discharged", "referred", "transferred", "left_before_treatment", "died")
_ADMITTED, _DISCHARGED, _REFERRED, _TRANSFERRED, _LEFT, _DIED = range(6)

# ED sites: (org index, site) for every site with an ED
_ED_SITES = [(i, s) for i, o in enumerate(ORGS) for s in o.sites if s.ed_type is not None and s.ed_share > 0]
_SITE_ORG = np.array([i for i, _ in _ED_SITES])
_SITE_TYPE = np.array([s.ed_type for _, s in _ED_SITES])
_SITE_CODES = tuple(s.code for _, s in _ED_SITES)
_ORG_CODES = tuple(o.code for o in ORGS)
_ORG_LOS = np.array([o.ed_los_factor for o in ORGS])
_ORG_TRIAGE = np.array([o.triage_median_min for o in ORGS])

# acuity 1..5 probabilities: type 1 ED by age group (<65, 65-74, 75+), and type 3 (UTC/MIU)
_ACUITY_TYPE1 = np.array(
    [[0.015, 0.15, 0.44, 0.31, 0.085], [0.03, 0.22, 0.48, 0.22, 0.05], [0.045, 0.28, 0.50, 0.15, 0.025]]
)
_ACUITY_TYPE3 = np.array([0.0, 0.01, 0.12, 0.55, 0.32])
# probability of admission by acuity (type 1), before the age multiplier
_ADMIT_BY_ACUITY = np.array([0.78, 0.52, 0.27, 0.07, 0.02, 0.20])  # last: acuity not recorded


def cell_counts(rows: int, seed: int) -> np.ndarray:
    """Attendances per (ED site, day): shape (n_sites, n_days), summing exactly to ``rows``."""
    site_weight = np.array(
        [ORGS[i].size * s.ed_share * (0.55 if s.ed_type == 3 else 1.0) for i, s in _ED_SITES]
    )
    day_weight = (
        ED_WEEKDAY_FACTOR[weekday(DAY_NUMBERS)] * season_factor(DAY_NUMBERS) * growth_factor(DAY_NUMBERS)
    )
    p = np.outer(site_weight, day_weight).ravel()
    counts = rng(seed, STREAM, 0).multinomial(int(rows), p / p.sum())
    return counts.reshape(len(site_weight), len(DAY_NUMBERS))


def _ages(gen: np.random.Generator, n: int, type3: np.ndarray) -> np.ndarray:
    component = gen.choice(3, size=n, p=[0.22, 0.52, 0.26])
    # type 3 units see fewer older people: move half of them to the adult component
    component = np.where(type3 & (component == 2) & (gen.random(n) < 0.5), 1, component)
    child = np.where(gen.random(n) < 0.4, gen.integers(0, 5, n), gen.integers(5, 18, n))
    adult = np.clip(np.round(18 + 47 * gen.beta(1.3, 1.6, n)), 18, 64)
    older = np.clip(np.round(65 + gen.gamma(2.0, 6.5, n)), 65, 104)
    return np.choose(component, [child, adult, older]).astype(np.int64)


def _month_chunk(counts: np.ndarray, month: int, seed: int, first_number: int) -> pa.Table:
    """All attendances arriving in window month ``month`` (0 = April 2017), sorted by arrival."""
    gen = rng(seed, STREAM, 1, month)
    day_mask = month_index(DAY_NUMBERS) == month
    sub = counts[:, day_mask]
    site_idx = np.repeat(np.repeat(np.arange(sub.shape[0]), sub.shape[1]), sub.ravel())
    day = np.repeat(np.tile(DAY_NUMBERS[day_mask], sub.shape[0]), sub.ravel())
    n = len(day)

    org_idx = _SITE_ORG[site_idx]
    type3 = _SITE_TYPE[site_idx] == 3
    hour = gen.choice(24, size=n, p=ED_HOUR_WEIGHTS)
    arrival = day * SECONDS_PER_DAY + hour * 3600 + gen.integers(0, 3600, n)
    order = np.argsort(arrival, kind="stable")
    site_idx, day, org_idx, type3, arrival = (
        site_idx[order],
        day[order],
        org_idx[order],
        type3[order],
        arrival[order],
    )
    winter = winter_pressure(day)
    year = (day - DAY_NUMBERS[0]) / 365.25

    age = _ages(gen, n, type3)
    age_group = np.searchsorted([65, 75], age, side="right")
    u = gen.random(n)
    acuity_t1 = (u[:, None] > np.cumsum(_ACUITY_TYPE1[age_group], axis=1)).sum(axis=1)
    acuity_t3 = (u[:, None] > np.cumsum(_ACUITY_TYPE3)[None, :]).sum(axis=1)
    acuity_index = np.minimum(np.where(type3, acuity_t3, acuity_t1), 4)  # 0..4 = acuity 1..5
    acuity_missing = gen.random(n) < 0.012
    acuity_key = np.where(acuity_missing, 5, acuity_index)

    # arrival mode
    p_ambulance = np.where(
        type3,
        0.01,
        np.clip(0.16 + 0.30 * (age >= 75) + 0.12 * (age >= 65) + 0.30 * (acuity_index <= 1), 0, 0.9),
    )
    v = gen.random(n)
    mode = np.where(v < p_ambulance, 0, np.where(v > 0.975, 3, np.where(v > 0.970, 2, 1)))

    # disposal
    age_mult = np.where(age >= 75, 1.6, np.where(age >= 65, 1.3, np.where(age < 18, 0.45, 1.0)))
    p_admit = np.where(type3, 0.01, np.minimum(_ADMIT_BY_ACUITY[acuity_key] * age_mult, 0.92))
    d = gen.random(n)
    disposal = np.full(n, _DISCHARGED)
    disposal[d < 0.10] = _REFERRED
    disposal[(d >= 0.10) & (d < 0.115)] = _TRANSFERRED
    walk_in_low = (mode == 1) & (acuity_index >= 3)
    disposal[(d >= 0.115) & (d < 0.175) & walk_in_low] = _LEFT
    disposal[gen.random(n) < p_admit] = _ADMITTED
    disposal[(acuity_index == 0) & (gen.random(n) < 0.03)] = _DIED
    disposal_missing = gen.random(n) < 0.003

    # arrival -> initial assessment (minutes)
    triage_factor = np.array([0.25, 0.6, 1.0, 1.1, 1.1, 1.0])[acuity_key]
    median_triage = np.where(type3, 10.0, _ORG_TRIAGE[org_idx]) * triage_factor * (1.0 + 0.04 * winter)
    to_assessment = np.exp(np.log(median_triage) + 0.8 * gen.standard_normal(n))
    assessment_missing = gen.random(n) < np.where(disposal == _LEFT, 0.3, 0.008)

    # assessment -> clinician (minutes): longer in winter, for lower acuity and at slower trusts
    clinician_factor = np.array([0.1, 0.5, 1.0, 1.1, 1.0, 1.0])[acuity_key]
    median_clinician = (
        np.where(type3, 25.0, 30.0 * _ORG_LOS[org_idx])
        * clinician_factor
        * (1.0 + 0.35 * winter)
        * (1.0 + 0.04 * year)
    )
    to_clinician = to_assessment + np.exp(np.log(median_clinician) + 0.9 * gen.standard_normal(n))
    clinician_missing = disposal == _LEFT

    # time in department (minutes)
    median_los = np.select(
        [disposal == _ADMITTED, disposal == _LEFT, disposal == _DIED],
        [190.0, 85.0, 110.0],
        default=100.0,
    )
    sigma_los = np.where(disposal == _ADMITTED, 0.58, 0.5)
    los_factor = np.where(type3, 0.48, _ORG_LOS[org_idx]) * (1.0 + 0.16 * winter) * (1.0 + 0.035 * year)
    los = np.exp(np.log(median_los * los_factor) + sigma_los * gen.standard_normal(n))
    # the four-hour effect: many patients about to breach leave just before 240 minutes
    near_breach = (los > 240) & (los < 275) & (gen.random(n) < 0.55)
    los = np.where(near_breach, 205 + 34 * gen.random(n), los)
    floor = np.where(clinician_missing, to_assessment, np.maximum(to_assessment, to_clinician)) + 3.0
    los = np.where(assessment_missing & clinician_missing, los, np.maximum(los, floor))

    # decision to admit: before departure, after the clinician saw the patient
    to_decision = np.maximum(
        los - np.exp(np.log(75.0 * (1 + 0.4 * winter)) + 0.8 * gen.standard_normal(n)), to_clinician
    )
    to_decision = np.minimum(to_decision, los)
    decision_missing = disposal != _ADMITTED

    def seconds(minutes: np.ndarray) -> np.ndarray:
        return arrival + np.round(minutes * 60).astype(np.int64)

    assessment_at, clinician_at = seconds(to_assessment), seconds(to_clinician)
    decision_at, departed_at = seconds(to_decision), seconds(los)
    # not yet happened at the extract: blank
    assessment_missing |= assessment_at >= EXTRACT_SECOND
    clinician_missing |= clinician_at >= EXTRACT_SECOND
    decision_missing |= decision_at >= EXTRACT_SECOND
    still_here = departed_at >= EXTRACT_SECOND
    disposal_missing |= still_here

    numbers = first_number + np.arange(n)
    org_codes = w.labels(_ORG_CODES, org_idx)
    return w.table(
        ED_ATTENDANCES,
        {
            "attendance_id": w.identifiers(org_codes, numbers, 10, "-"),
            "org_code": org_codes,
            "site_code": w.labels(_SITE_CODES, site_idx),
            "department_type": _SITE_TYPE[site_idx].astype(np.int64),
            "arrival_at": w.timestamps(arrival),
            "initial_assessment_at": w.timestamps(assessment_at, assessment_missing),
            "clinician_seen_at": w.timestamps(clinician_at, clinician_missing),
            "decision_to_admit_at": w.timestamps(decision_at, decision_missing),
            "departed_at": w.timestamps(departed_at, still_here),
            "arrival_mode": w.labels(ARRIVAL_MODES, mode),
            "acuity": pa.array(acuity_index + 1, type=pa.int64(), mask=acuity_missing),
            "age": age,
            "disposal": w.labels(DISPOSALS, disposal, disposal_missing),
        },
    )


def ed_chunks(rows: int, seed: int = 0, min_chunk_rows: int = 250_000) -> Iterator[pa.Table]:
    """ED attendances in arrival order, one table per group of whole months (>= min_chunk_rows)."""
    counts = cell_counts(rows, seed)
    months = month_index(DAY_NUMBERS)
    per_month = np.array([counts[:, months == m].sum() for m in range(months.max() + 1)])
    first = np.concatenate([[0], np.cumsum(per_month)[:-1]]) + 1
    pending: list[pa.Table] = []
    pending_rows = 0
    for m in range(len(per_month)):
        chunk = _month_chunk(counts, m, seed, int(first[m]))
        pending.append(chunk)
        pending_rows += len(chunk)
        if pending_rows >= min_chunk_rows:
            yield pa.concat_tables(pending)
            pending, pending_rows = [], 0
    if pending:
        yield pa.concat_tables(pending)


def write_ed_attendances(path: str | Path, rows: int, seed: int = 0, fmt: str = "parquet") -> Path:
    """Write ``rows`` synthetic ED attendances to ``path`` in bounded memory (one row group a chunk)."""
    with w.DatasetWriter(Path(path), ED_ATTENDANCES, fmt) as out:
        for chunk in ed_chunks(rows, seed):
            out.write(chunk)
    return out.path
