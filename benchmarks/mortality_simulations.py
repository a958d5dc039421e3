"""Seeded simulations behind the figures in docs/methods/risk-adjusted-mortality.md (issue 13).

    PYTHONPATH=src .venv/bin/python benchmarks/mortality_simulations.py [--reps 200]

1. In-sample vs leave-one-trust-out expected deaths: 8 trusts of 2,000 sepsis spells, one
   (HIGH, 12.5% of spells) with a true odds ratio of 1.5; SMR / true SMR (O / sum of the risks
   without the trust effect).
2. SHMI funnel banding with a true between-trust variance tau2 = 0.010 on the log SMR scale:
   estimated tau2 and the share of trusts banded outside "as expected", for 15, 30, 60 and 120
   trusts (expected deaths per trust uniform on 100-1,000, as for SHMI's acute trusts).
3. Incomplete follow-up: O/E in the last discharge month when post-discharge deaths after the
   cut-off are missing (counted as survivors), with and without the follow-up exclusion.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from wardwatch.stats.funnel import BAND_AS, funnel
from wardwatch.stats.riskmodel import fit_leave_one_out, fit_risk_model


def trusts_with_high(seed: int, n_per_trust: int = 2_000, trusts: int = 8, high_or: float = 1.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_per_trust * trusts
    org = np.repeat([f"T{i}" for i in range(trusts - 1)] + ["HIGH"], n_per_trust)
    age = rng.integers(20, 99, n)
    charlson = rng.poisson(1.5, n)
    method = rng.choice(["emergency", "elective"], n, p=[0.85, 0.15])
    admitted = pd.Timestamp("2017-04-01") + pd.to_timedelta(rng.integers(0, 3 * 365, n), unit="D")
    eta0 = -1.8 + 0.035 * (age - 70) + 0.25 * np.minimum(charlson, 5) - 0.8 * (method == "elective")
    p0 = 1 / (1 + np.exp(-eta0))
    p = 1 / (1 + np.exp(-(eta0 + np.where(org == "HIGH", np.log(high_or), 0.0))))
    return pd.DataFrame({"org_code": org, "admitted_at": admitted, "age": age, "sex": rng.choice(["M", "F"], n),
                         "admission_method": method, "diagnosis_group": "sepsis", "charlson_index": charlson,
                         "died": (rng.random(n) < p).astype(int), "p0": p0})


def in_sample_vs_loo(seed: int) -> tuple[float, float, float]:
    """(pooled SMR, leave-one-out SMR, true SMR) of trust HIGH."""
    data = trusts_with_high(seed)
    high = (data["org_code"] == "HIGH").to_numpy()
    o = data.loc[high, "died"].sum()
    pooled = fit_risk_model(data, "died").predict(data)[high].sum()
    loo = fit_leave_one_out(data, "died").expected[high].sum()
    return o / pooled, o / loo, o / data.loc[high, "p0"].sum()


def funnel_bands(seed: int, trusts: int, tau2: float = 0.010) -> tuple[float, float]:
    """(estimated tau2, share of trusts banded outside 'as expected')."""
    rng = np.random.default_rng(seed)
    expected = rng.uniform(100, 1_000, trusts)
    observed = rng.poisson(expected * np.exp(rng.normal(0.0, np.sqrt(tau2), trusts)))
    frame = pd.DataFrame({"org": [f"T{i}" for i in range(trusts)], "o": observed, "e": expected})
    res = funnel(frame, "org", "o", "e", type="SR", method="shmi", od="additive")
    return res.tau2, float((res.units["band"] != BAND_AS).mean())


def follow_up_dip(seed: int, n: int = 40_000) -> tuple[float, float]:
    """O/E of the last complete discharge month: (no exclusion, with the 30 + 14-day exclusion)."""
    from wardwatch.mortality import complete_follow_up

    rng = np.random.default_rng(seed)
    discharged = pd.Timestamp("2019-04-01") + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h")
    p = rng.uniform(0.02, 0.2, n)
    dies = rng.random(n) < p
    in_hospital = dies & (rng.random(n) < 0.6)
    death_day = np.where(in_hospital, 0, rng.integers(1, 31, n))  # days after discharge
    cutoff = discharged.max()
    lag = 14
    recorded = in_hospital | (dies & (discharged + pd.to_timedelta(death_day + lag, unit="D") <= cutoff))
    frame = pd.DataFrame({"discharged_at": discharged, "died_in_hospital": in_hospital,
                          "died_within_30d_of_discharge": recorded, "p": p})
    last = discharged.to_period("M") == cutoff.to_period("M")
    naive = frame.loc[last, "died_within_30d_of_discharge"].sum() / frame.loc[last, "p"].sum()
    kept, _ = complete_follow_up(frame, death_lag_days=lag)
    month = kept["discharged_at"].dt.to_period("M") == kept["discharged_at"].max().to_period("M")
    fixed = kept.loc[month, "died_within_30d_of_discharge"].sum() / kept.loc[month, "p"].sum()
    return naive, fixed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--fit-reps", type=int, default=20)
    args = ap.parse_args()
    r = np.array([in_sample_vs_loo(s) for s in range(args.fit_reps)])
    print(f"1. HIGH trust (OR 1.5, 12.5% of spells), {args.fit_reps} reps: SMR/true pooled "
          f"{np.mean(r[:, 0] / r[:, 2]):.3f} (range {np.min(r[:, 0] / r[:, 2]):.3f}-{np.max(r[:, 0] / r[:, 2]):.3f}), "
          f"leave-one-out {np.mean(r[:, 1] / r[:, 2]):.3f} ({np.min(r[:, 1] / r[:, 2]):.3f}-{np.max(r[:, 1] / r[:, 2]):.3f}); "
          f"mean SMR pooled {r[:, 0].mean():.3f}, leave-one-out {r[:, 1].mean():.3f}, true {r[:, 2].mean():.3f}")
    for trusts in (15, 30, 60, 120):
        b = np.array([funnel_bands(s, trusts) for s in range(args.reps)])
        print(f"2. {trusts:3d} trusts, true tau2 0.010, {args.reps} reps: estimated tau2 mean {b[:, 0].mean():.4f} "
              f"(10th-90th centile {np.quantile(b[:, 0], 0.1):.4f}-{np.quantile(b[:, 0], 0.9):.4f}, "
              f"zero in {np.mean(b[:, 0] == 0):.0%}); banded outside 'as expected' {b[:, 1].mean():.1%} "
              f"(10th-90th centile {np.quantile(b[:, 1], 0.1):.1%}-{np.quantile(b[:, 1], 0.9):.1%})")
    f = np.array([follow_up_dip(s) for s in range(20)])
    print(f"3. last discharge month O/E, 20 reps: no exclusion {f[:, 0].mean():.3f}, with the follow-up "
          f"exclusion {f[:, 1].mean():.3f} (range {f[:, 1].min():.3f}-{f[:, 1].max():.3f})")


if __name__ == "__main__":
    main()
