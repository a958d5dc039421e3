"""The true mortality model is what generated the deaths, and a risk model can recover it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from wardwatch.synth.signals import AGE_BANDS, TRUE_MORTALITY_MODEL, age_band


def _logistic_fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood logistic regression by Newton-Raphson (IRLS): coefficients, standard errors."""
    beta = np.zeros(X.shape[1])
    for _ in range(30):
        p = 1 / (1 + np.exp(-X @ beta))
        hessian = X.T @ (X * (p * (1 - p))[:, None])
        step = np.linalg.solve(hessian, X.T @ (y - p))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = 1 / (1 + np.exp(-X @ beta))
    cov = np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))
    return beta, np.sqrt(np.diag(cov))


def _probabilities(a: pd.DataFrame) -> np.ndarray:
    admitted = a.admitted_at
    fy = (admitted.dt.year - 2017) * 12 + admitted.dt.month - 4
    return TRUE_MORTALITY_MODEL.probability(
        diagnosis_group=a.diagnosis_group.to_numpy(),
        age=a.age.to_numpy(),
        sex=a.sex.to_numpy(),
        admission_method=a.admission_method.to_numpy(),
        charlson_index=a.charlson_index.to_numpy(),
        month=admitted.dt.month.to_numpy(),
        year_index=(fy // 12).to_numpy(),
        org_code=a.org_code.to_numpy(),
    )


def test_linear_predictor_by_hand():
    # sepsis, age 80 (band 75-84), male, emergency, Charlson 3, January, year 2, at ZP07
    eta = TRUE_MORTALITY_MODEL.linear_predictor(
        diagnosis_group=np.array(["sepsis"]),
        age=np.array([80]),
        sex=np.array(["M"]),
        admission_method=np.array(["emergency"]),
        charlson_index=np.array([3]),
        month=np.array([1]),
        year_index=np.array([2]),
        org_code=np.array(["ZP07"]),
    )[0]
    hand = -2.10 + 0.90 + 0.12 + 0.0 + 3 * 0.11 + 0.16 + 2 * -0.04 + math.log(1.8)
    assert abs(eta - hand) < 1e-12
    # the focal trust's sepsis odds ratio applies to sepsis only
    focal = {
        "age": np.array([50, 50]),
        "sex": np.array(["F", "F"]),
        "admission_method": np.array(["emergency"] * 2),
        "charlson_index": np.array([0, 0]),
        "month": np.array([4, 4]),
        "year_index": np.array([0, 0]),
    }
    e_focal = TRUE_MORTALITY_MODEL.linear_predictor(
        diagnosis_group=np.array(["sepsis", "copd"]), org_code=np.array(["ZFV", "ZFV"]), **focal
    )
    e_peer = TRUE_MORTALITY_MODEL.linear_predictor(
        diagnosis_group=np.array(["sepsis", "copd"]), org_code=np.array(["ZP01", "ZP01"]), **focal
    )
    assert abs((e_focal - e_peer)[0] - math.log(0.92)) < 1e-12 and (e_focal - e_peer)[1] == 0
    assert list(age_band(np.array([0, 17, 18, 44, 45, 64, 65, 74, 75, 84, 85, 120]))) == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
    ]
    assert len(AGE_BANDS) == 6


def test_observed_deaths_match_the_model(frames):
    a = frames["admissions"]
    p = _probabilities(a)
    observed = a.died_within_30d_of_discharge.sum()
    expected = p.sum()
    sd = math.sqrt((p * (1 - p)).sum())
    assert abs(observed - expected) < 3 * sd
    for group, rows in a.groupby("diagnosis_group"):
        e = p[rows.index.to_numpy()].sum()
        assert abs(rows.died_within_30d_of_discharge.sum() - e) < 3.5 * math.sqrt(e) + 2, group
    crude = a.died_within_30d_of_discharge.mean()
    assert 0.02 < crude < 0.06  # SHMI-like crude mortality


def test_logistic_regression_recovers_true_coefficients(frames):
    a = frames["admissions"]
    admitted = a.admitted_at
    fy = ((admitted.dt.year - 2017) * 12 + admitted.dt.month - 4) // 12
    design = pd.DataFrame(
        {
            "charlson": a.charlson_index.astype(float),
            "male": (a.sex == "M").astype(float),
            "elective": (a.admission_method == "elective").astype(float),
            "zp07": (a.org_code == "ZP07").astype(float),
            "year_index": fy.astype(float),
        }
    )
    bands = pd.get_dummies(
        pd.Categorical(np.array(AGE_BANDS)[age_band(a.age.to_numpy())], categories=AGE_BANDS),
        prefix="age",
        dtype=float,
    ).drop(columns="age_45-64")
    groups = pd.get_dummies(a.diagnosis_group, prefix="dg", dtype=float)  # one intercept per group
    other_methods = pd.get_dummies(a.admission_method, prefix="m", dtype=float)[["m_maternity", "m_transfer"]]
    months = pd.get_dummies(admitted.dt.month, prefix="mon", dtype=float).drop(columns="mon_4")
    X = pd.concat([design, bands, groups, other_methods, months], axis=1)
    with threadpool_limits(1):  # small matrices: BLAS threads only contend on a busy machine
        coef, stderr = _logistic_fit(X.to_numpy(), a.died_within_30d_of_discharge.to_numpy(dtype=float))
    b, se = pd.Series(coef, index=X.columns), pd.Series(stderr, index=X.columns)
    truth = {
        "charlson": 0.11,
        "male": 0.12,
        "elective": -1.40,
        "zp07": math.log(1.8),
        "age_85+": 1.35,
        "age_75-84": 0.90,
        "dg_sepsis": -2.10,
        "dg_other": -4.90,
    }
    for name, value in truth.items():
        assert abs(b[name] - value) < 3.5 * se[name], (name, b[name], value, se[name])
    assert b["zp07"] - 1.96 * se["zp07"] > 0  # ZP07 is genuinely high
