"""Suspected-sepsis episodes from the trusts' sepsis audits (contract ``sepsis_episodes``).

Per trust and month the number of episodes in each NEWS2 band is fixed (trust size x season x
growth), so the focal trust always has enough NEWS2 >= 7 episodes a month for the signals to
show. Within an episode:

- NEWS2 at time zero: bands >= 7 (42%), 5-6 (33%), 1-4 (22%), 0 (3%); within >= 7 the score falls
  off geometrically from 7 up to 20.
- Screening: completed within 1 hour for about 90% / 82% / 70% / 60% of the bands; 3% never.
- Antibiotics (AoMRC/NICE timing, docs/methods.md 5.3): NEWS2 >= 7 within 1 hour with probability
  ``ABX_1H`` (signal 1 at the focal trust, the trust's fixed share at peers); 5-6 within 3 hours
  (~80%); 1-4 within 6 hours (~62%, 30% never need them). Late doses are 1 h + lognormal.
- Death within 30 days: logistic in band and age, with odds ratio 0.92 at the focal trust
  (signal 5) and 1.8 at ZP07 (signal 4).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from wardwatch.contracts.schema import SEPSIS_EPISODES
from wardwatch.synth import writer as w
from wardwatch.synth.common import (
    DAY_NUMBERS,
    ED_HOUR_WEIGHTS,
    EXTRACT_SECOND,
    SECONDS_PER_DAY,
    growth_factor,
    month_index,
    rng,
    season_factor,
)
from wardwatch.synth.orgs import FOCAL, ORGS
from wardwatch.synth.signals import (
    FOCAL_ORG,
    FOCAL_SEPSIS_MORTALITY_SIGNAL,
    HIGH_MORTALITY_PEER,
    HIGH_MORTALITY_SIGNAL,
    SEPSIS_ABX_SIGNAL,
)

STREAM = "sepsis_episodes"
LOCATIONS = ("emergency_department", "assessment_unit", "inpatient_ward")
#: NEWS2 bands: >= 7, 5-6, 1-4, 0 and their share of audited episodes
BAND_SHARES = np.array([0.42, 0.33, 0.22, 0.03])
#: 30-day mortality by band for a 70-year-old at an average trust
BAND_MORTALITY = np.array([0.20, 0.11, 0.06, 0.035])
AGE_LOG_ODDS_PER_YEAR = 0.03
ORG_ODDS_RATIOS = {
    FOCAL_ORG: FOCAL_SEPSIS_MORTALITY_SIGNAL.odds_ratio,
    HIGH_MORTALITY_PEER: HIGH_MORTALITY_SIGNAL.odds_ratio,
}
_SCREEN_1H = np.array([0.90, 0.82, 0.70, 0.60])
_ABX_LIMIT_MIN = np.array([60.0, 180.0, 360.0, 360.0])
_ABX_NEVER = np.array([0.05, 0.10, 0.30, 0.35])


def _monthly_band_counts(per_month_focal: float) -> np.ndarray:
    """Episodes per (org, month, band): deterministic, so every month has its expected volume."""
    months = month_index(DAY_NUMBERS)
    n_months = int(months.max()) + 1
    mid_month_day = np.array([DAY_NUMBERS[months == m][14] for m in range(n_months)])
    month_factor = season_factor(mid_month_day, 0.12) * growth_factor(mid_month_day)
    org_factor = np.array([o.size / FOCAL.size for o in ORGS])
    expected = per_month_focal * org_factor[:, None, None] * month_factor[None, :, None] * BAND_SHARES
    return np.round(expected).astype(np.int64)


def abx_within_limit_probability(
    org_idx: np.ndarray, trigger_day: np.ndarray, band: np.ndarray
) -> np.ndarray:
    """Probability that antibiotics are given within the band's time limit."""
    peer = np.array([o.abx_1h for o in ORGS])[org_idx]
    focal = np.array([o.code == FOCAL_ORG for o in ORGS])[org_idx]
    high = np.where(focal, SEPSIS_ABX_SIGNAL.expected_value(trigger_day.astype("datetime64[D]")), peer)
    return np.select([band == 0, band == 1], [high, np.minimum(peer + 0.05, 0.95)], default=0.62)


def generate_sepsis(seed: int, per_month_focal: float) -> pa.Table:
    gen = rng(seed, STREAM)
    counts = _monthly_band_counts(per_month_focal)
    n_orgs, n_months, n_bands = counts.shape
    org_idx = np.repeat(np.repeat(np.arange(n_orgs), n_months * n_bands), counts.ravel())
    month = np.repeat(np.tile(np.repeat(np.arange(n_months), n_bands), n_orgs), counts.ravel())
    band = np.repeat(np.tile(np.arange(n_bands), n_orgs * n_months), counts.ravel())
    n = len(org_idx)

    month_first = np.array([DAY_NUMBERS[month_index(DAY_NUMBERS) == m][0] for m in range(n_months)])
    month_len = np.bincount(month_index(DAY_NUMBERS))
    day = month_first[month] + np.floor(gen.random(n) * month_len[month]).astype(np.int64)
    trigger = (
        day * SECONDS_PER_DAY + gen.choice(24, size=n, p=ED_HOUR_WEIGHTS) * 3600 + gen.integers(0, 3600, n)
    )
    order = np.lexsort((band, trigger))
    org_idx, day, band, trigger = org_idx[order], day[order], band[order], trigger[order]

    news2 = np.select(
        [band == 0, band == 1, band == 2],
        [
            np.minimum(6 + gen.geometric(0.33, n), 20),
            5 + (gen.random(n) < 0.4),
            1 + gen.choice(4, n, p=[0.1, 0.2, 0.3, 0.4]),
        ],
        default=0,
    ).astype(np.int64)
    age = np.clip(np.round(gen.normal(69, 16, n)), 16, 104).astype(np.int64)
    age_missing = gen.random(n) < 0.005

    loc = gen.choice(3, size=n, p=[0.60, 0.15, 0.25])
    # the ED is at the main site; a few ward episodes happen at a community site
    site_options = [[s.code for s in o.sites] for o in ORGS]
    community_ward = (loc == 2) & (
        gen.random(n) < np.array([1 - o.main_site.inpatient_share for o in ORGS])[org_idx]
    )
    site_code_idx = np.where(community_ward & (np.array([len(o.sites) for o in ORGS])[org_idx] > 1), 1, 0)
    flat_sites = tuple(code for opts in site_options for code in opts)
    site_offset = np.concatenate([[0], np.cumsum([len(x) for x in site_options])[:-1]])

    # screening
    screened_in_hour = gen.random(n) < _SCREEN_1H[band]
    screen_min = np.where(
        screened_in_hour,
        60.0 * gen.beta(1.6, 2.2, n),
        60.0 + np.exp(np.log(40.0) + 0.8 * gen.standard_normal(n)),
    )
    screen_missing = gen.random(n) < 0.03

    # antibiotics
    limit = _ABX_LIMIT_MIN[band]
    p_within = abx_within_limit_probability(org_idx, day, band)
    within = gen.random(n) < p_within
    # of those not treated in time, some never get antibiotics (counted as not within the limit)
    never = ~within & (gen.random(n) < np.minimum(_ABX_NEVER[band] / np.maximum(1 - p_within, 1e-9), 1.0))
    abx_seconds = np.where(
        within,
        np.maximum(np.round(limit * 60 * gen.beta(2.2, 1.4, n)), 60),
        np.round(limit * 60 + 60 + 60 * np.exp(np.log(0.6 * limit) + 0.7 * gen.standard_normal(n))),
    ).astype(np.int64)
    abx_missing = never.copy()

    # 30-day death
    base = np.log(BAND_MORTALITY / (1 - BAND_MORTALITY))[band]
    odds = np.array([ORG_ODDS_RATIOS.get(o.code, 1.0) for o in ORGS])[org_idx]
    eta = base + AGE_LOG_ODDS_PER_YEAR * (age - 70) + np.log(odds)
    died = gen.random(n) < 1 / (1 + np.exp(-eta))

    screened_at = trigger + np.round(screen_min * 60).astype(np.int64)
    antibiotics_at = trigger + abx_seconds
    screen_missing |= screened_at >= EXTRACT_SECOND
    abx_missing |= antibiotics_at >= EXTRACT_SECOND

    org_codes = w.labels([o.code for o in ORGS], org_idx)
    return w.table(
        SEPSIS_EPISODES,
        {
            "episode_id": w.identifiers(org_codes, np.arange(1, n + 1), 8, "-SE"),
            "org_code": org_codes,
            "site_code": w.labels(flat_sites, site_offset[org_idx] + site_code_idx),
            "location": w.labels(LOCATIONS, loc),
            "trigger_at": w.timestamps(trigger),
            "news2": news2,
            "screened_at": w.timestamps(screened_at, screen_missing),
            "antibiotics_at": w.timestamps(antibiotics_at, abx_missing),
            "age": pa.array(age, type=pa.int64(), mask=age_missing),
            "died_within_30d": died,
        },
    )


def mortality_log_odds(news2: np.ndarray, age: np.ndarray, org_code: np.ndarray) -> np.ndarray:
    """True log-odds of 30-day death used for the sepsis audit (for tests and risk models)."""
    band = np.select([news2 >= 7, news2 >= 5, news2 >= 1], [0, 1, 2], default=3)
    odds = np.array([ORG_ODDS_RATIOS.get(str(c), 1.0) for c in org_code])
    return (
        np.log(BAND_MORTALITY / (1 - BAND_MORTALITY))[band]
        + AGE_LOG_ODDS_PER_YEAR * (np.asarray(age) - 70)
        + np.log(odds)
    )
