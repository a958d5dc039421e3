"""Benchmark: fit the case-mix risk model and run the risk-adjusted CUSUMs on 1 million spells.

20 trusts x 10 diagnosis groups, 3 years (FY 2017/18 - 2019/20), generated here with NumPy
(fixed seed). Prints wall time per stage and the process's peak resident memory (ru_maxrss).

    .venv/bin/python benchmarks/mortality.py [--spells 1000000] [--n-sim 200] [--fit pooled|leave-one-trust-out|both]

``--fit both`` (default) times the in-sample fit and the leave-one-trust-out fit (the default of
``wardwatch mortality`` since issue 13: 20 fits on covariate-pattern counts); the CUSUM stages
use the leave-one-trust-out risks.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pandas as pd

from wardwatch.mortality import cusum_thresholds
from wardwatch.stats.cusum import run_cusums
from wardwatch.stats.riskmodel import fit_leave_one_out, fit_risk_model

GROUPS = ("sepsis", "pneumonia", "heart_failure", "stroke", "copd", "ami", "uti", "hip_fracture", "gi_bleed", "aki")


def make_spells(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    orgs = np.array([f"T{i:02d}" for i in range(20)])
    org = orgs[rng.integers(0, 20, n)]
    group_idx = rng.integers(0, len(GROUPS), n)
    age = np.clip(rng.normal(72, 15, n).round(), 0, 105).astype(int)
    charlson = rng.poisson(1.5, n)
    sex = np.where(rng.random(n) < 0.5, "M", "F")
    method = np.array(["emergency", "elective", "transfer"])[rng.choice(3, n, p=[0.85, 0.1, 0.05])]
    admitted = np.datetime64("2017-04-01T00:00") + rng.integers(0, 3 * 365 * 24 * 60, n).astype("timedelta64[m]")
    eta = (-3.2 + 0.15 * group_idx + 0.04 * (age - 72) + 0.25 * np.minimum(charlson, 5)
           - 0.7 * (method == "elective") + np.where(org == "T07", np.log(1.8), 0.0))
    died = rng.random(n) < 1 / (1 + np.exp(-eta))
    return pd.DataFrame({"org_code": org, "admitted_at": admitted, "age": age, "sex": sex,
                         "admission_method": method, "diagnosis_group": np.array(GROUPS)[group_idx],
                         "charlson_index": charlson, "died": died.astype(np.int8)})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spells", type=int, default=1_000_000)
    ap.add_argument("--n-sim", type=int, default=200)
    ap.add_argument("--arl-years", type=float, default=100.0)
    ap.add_argument("--fit", choices=("pooled", "leave-one-trust-out", "both"), default="both")
    args = ap.parse_args()

    # wall time and CPU time (process_time): on a shared machine the wall time includes waiting
    t0, c0 = time.perf_counter(), time.process_time()
    spells = make_spells(args.spells)
    t1, c1 = time.perf_counter(), time.process_time()
    pooled_s = loo_s = (float("nan"), float("nan"))
    if args.fit in ("pooled", "both"):
        model = fit_risk_model(spells, "died")
        spells["expected"] = model.predict(spells)
        pooled_s = (time.perf_counter() - t1, time.process_time() - c1)
    if args.fit in ("leave-one-trust-out", "both"):
        ta, ca = time.perf_counter(), time.process_time()
        loo = fit_leave_one_out(spells, "died")
        model = loo.model
        spells["expected"] = loo.expected
        loo_s = (time.perf_counter() - ta, time.process_time() - ca)
    t2, c2 = time.perf_counter(), time.process_time()
    h_up, h_lo, thresholds = cusum_thresholds(spells, arl_years=args.arl_years, n_sim=args.n_sim)
    t3, c3 = time.perf_counter(), time.process_time()
    res = run_cusums(spells, series=["org_code", "diagnosis_group"], date="admitted_at", risk="expected",
                     outcome="died", h_upper=h_up, h_lower=h_lo)
    t4, c4 = time.perf_counter(), time.process_time()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    alerts = res.alerts
    print(f"spells: {len(spells):,} ({spells['org_code'].nunique()} trusts x {spells['diagnosis_group'].nunique()} groups,"
          f" {len(res.thresholds)} series)")
    print(f"load average at end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("stage                           wall s    CPU s")
    print(f"generate data:                 {t1 - t0:7.2f}  {c1 - c0:7.2f}")
    print(f"in-sample fit + predict:       {pooled_s[0]:7.2f}  {pooled_s[1]:7.2f}")
    print(f"leave-one-trust-out fits:      {loo_s[0]:7.2f}  {loo_s[1]:7.2f}  (c-statistic {model.c_statistic:.3f})")
    print(f"choose thresholds (sim):       {t3 - t2:7.2f}  {c3 - c2:7.2f}  (n_sim {args.n_sim}, target ARL median "
          f"{thresholds['target_arl'].median():,.0f} patients, upper + lower for {len(thresholds)} org x group charts)")
    print(f"run CUSUMs + VLAD (all series): {t4 - t3:7.2f}  {c4 - c3:7.2f}")
    print(f"total (excluding generation):  {t4 - t1:7.2f}  {c4 - c1:7.2f}")
    print(f"peak RSS (ru_maxrss):          {peak_mib:7.0f} MiB")
    print(f"alerts: {len(alerts)} (T07, odds ratio 1.8: "
          f"{int(((alerts['org_code'] == 'T07') & (alerts['direction'] == 'higher')).sum())} higher; "
          f"other trusts: {int(((alerts['org_code'] != 'T07') & (alerts['direction'] == 'higher')).sum())} higher, "
          f"{int((alerts['direction'] == 'lower').sum())} lower)")


if __name__ == "__main__":
    main()
