"""Case-mix logistic risk model for death, one model per diagnosis group (SHMI-style, methods 4.1).

For each diagnosis group g, logit P(death) = b0 + age band + sex + admission method + Charlson
band + month of admission + b_year * year index, fitted by maximum likelihood (Newton-Raphson
on covariate patterns; checked against statsmodels GLM Binomial in the tests) on the spells given. Death = died in hospital or within 30 days of
discharge (the caller builds the outcome). Expected deaths of a trust = sum of its spells'
predicted probabilities; SMR = O/E.

Sparse data (documented choices, not silent):
- A dummy column is kept only if its level has at least ``min_level_events`` deaths and as many
  survivors in that group; otherwise the level is merged into the reference level (its
  coefficient is 0). This prevents the infinite coefficients of complete separation.
- A group with fewer than ``min_group_events`` deaths (or survivors) gets a reduced model (age,
  admission method, Charlson; no month/sex/year); with fewer than ``min_reduced_events`` it gets
  an intercept-only model (its crude rate). The ``spec`` column of ``coefficients`` says which.
- A diagnosis group unseen at fitting is predicted with the pooled crude death rate.

``RiskModel.save``/``load`` write JSON (coefficients, standard errors, covariate coding) so a
trust can apply a model fitted on a larger (e.g. national) dataset.
Validation: ``calibration`` (observed vs expected deaths by decile of predicted risk) and the
c-statistic (area under the ROC curve, from the Mann-Whitney rank formula).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

AGE_BREAKS = (0, 18, 45, 65, 75, 85, 200)
AGE_LABELS = ("0-17", "18-44", "45-64", "65-74", "75-84", "85+")
CHARLSON_BREAKS = (0, 1, 3, 5, 1000)
CHARLSON_LABELS = ("0", "1-2", "3-4", "5+")
SEXES = ("M", "F", "U")
METHODS = ("emergency", "elective", "maternity", "transfer")
MONTHS = tuple(str(m) for m in range(1, 13))

#: factor -> (levels, reference level); the first dummy set is all non-reference levels
FACTORS: dict[str, tuple[tuple[str, ...], str]] = {
    "age_band": (AGE_LABELS, "65-74"),
    "sex": (SEXES, "M"),
    "admission_method": (METHODS, "emergency"),
    "charlson_band": (CHARLSON_LABELS, "0"),
    "month": (MONTHS, "1"),
}
FULL_FACTORS = ("age_band", "sex", "admission_method", "charlson_band", "month")
REDUCED_FACTORS = ("age_band", "admission_method", "charlson_band")
MODEL_VERSION = 1


def _fin_year(ts: pd.Series) -> np.ndarray:
    """Financial year starting April: 2018-04-01..2019-03-31 -> 2018."""
    return (ts.dt.year - (ts.dt.month < 4).astype(int)).to_numpy()


def covariates(spells: pd.DataFrame) -> pd.DataFrame:
    """Derive the model's covariates from admissions columns (contract ``admissions``).

    Factors are integer codes into ``FACTORS[factor][0]`` (-1 = a value outside the coding,
    which then takes the reference level's coefficient); ``fin_year`` is the April-start year.
    """
    admitted = pd.to_datetime(spells["admitted_at"])
    age = pd.to_numeric(spells["age"], errors="coerce").fillna(0).to_numpy()
    charlson = pd.to_numeric(spells["charlson_index"], errors="coerce").fillna(0).to_numpy()
    month = admitted.dt.month.to_numpy()
    out = pd.DataFrame({
        "diagnosis_group": spells["diagnosis_group"].astype(str).to_numpy(),
        "age_band": np.clip(np.searchsorted(AGE_BREAKS, age, side="right") - 1, 0, len(AGE_LABELS) - 1),
        "sex": _codes(spells["sex"], SEXES),
        "admission_method": _codes(spells["admission_method"], METHODS),
        "charlson_band": np.clip(np.searchsorted(CHARLSON_BREAKS, charlson, side="right") - 1, 0,
                                 len(CHARLSON_LABELS) - 1),
        "month": month - 1,
        "fin_year": admitted.dt.year.to_numpy().astype(np.int64) - (month < 4),
    })
    return out


def _codes(values: pd.Series, levels: tuple[str, ...]) -> np.ndarray:
    return pd.Categorical(values.astype(str), categories=list(levels)).codes.astype(np.int64)


def _design(cov: pd.DataFrame, terms: list[str], origin_year: int) -> np.ndarray:
    """Design matrix for the given term names (``intercept``, ``factor=level``, ``year_index``)."""
    x = np.empty((len(cov), len(terms)), dtype=float)
    for j, term in enumerate(terms):
        if term == "intercept":
            x[:, j] = 1.0
        elif term == "year_index":
            x[:, j] = cov["fin_year"].to_numpy() - origin_year
        else:
            factor, level = term.split("=", 1)
            x[:, j] = cov[factor].to_numpy() == FACTORS[factor][0].index(level)
    return x


_PATTERN_COLUMNS = ("age_band", "sex", "admission_method", "charlson_band", "month", "fin_year")


def _patterns(cov: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Distinct covariate patterns: (index of one row per pattern, pattern of every row)."""
    key = np.zeros(len(cov), dtype=np.int64)
    for col in _PATTERN_COLUMNS:
        v = cov[col].to_numpy().astype(np.int64)
        v = v - v.min() if len(v) else v
        key = key * (int(v.max()) + 1 if len(v) else 1) + v
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """c-statistic: P(score of a death > score of a survivor), ties counted 1/2 (rank formula)."""
    y = np.asarray(y, dtype=bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = stats.rankdata(score, method="average")
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Observed vs expected deaths by decile (``bins`` quantile groups) of predicted risk."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    groups = np.empty(len(p), dtype=int)
    groups[order] = np.arange(len(p)) * bins // max(len(p), 1)
    frame = pd.DataFrame({"decile": groups + 1, "y": y, "p": p})
    out = frame.groupby("decile").agg(spells=("y", "size"), observed=("y", "sum"), expected=("p", "sum"),
                                      risk_min=("p", "min"), risk_max=("p", "max")).reset_index()
    out["observed_rate"] = out["observed"] / out["spells"]
    out["expected_rate"] = out["expected"] / out["spells"]
    return out


@dataclass
class GroupModel:
    spec: str  # "full", "reduced", "intercept"
    terms: list[str]
    coef: np.ndarray
    se: np.ndarray
    spells: int
    deaths: int
    dropped_levels: list[str] = field(default_factory=list)


@dataclass
class RiskModel:
    """A fitted case-mix model: one logistic regression per diagnosis group."""

    groups: dict[str, GroupModel]
    origin_year: int
    fallback_rate: float
    c_statistic: float = float("nan")
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)

    def predict(self, spells: pd.DataFrame) -> np.ndarray:
        """Predicted probability of death for each spell (admissions columns)."""
        cov = covariates(spells)
        out = np.full(len(cov), self.fallback_rate, dtype=float)
        codes = cov["diagnosis_group"].to_numpy()
        for name, gm in self.groups.items():
            mask = codes == name
            if not mask.any():
                continue
            sub = cov.loc[mask]
            first, inverse = _patterns(sub)
            eta = _design(sub.iloc[first], gm.terms, self.origin_year) @ gm.coef
            out[mask] = (1.0 / (1.0 + np.exp(-eta)))[inverse]
        return out

    @property
    def coefficients(self) -> pd.DataFrame:
        """diagnosis_group, spec, term, coef, se, ci_low, ci_high (95%, Wald), z, p_value, odds_ratio."""
        rows = []
        for name, gm in self.groups.items():
            for term, b, s in zip(gm.terms, gm.coef, gm.se):
                rows.append({"diagnosis_group": name, "spec": gm.spec, "term": term, "coef": b, "se": s})
        frame = pd.DataFrame(rows, columns=["diagnosis_group", "spec", "term", "coef", "se"])
        z = stats.norm.ppf(0.975)
        frame["ci_low"] = frame["coef"] - z * frame["se"]
        frame["ci_high"] = frame["coef"] + z * frame["se"]
        frame["z"] = frame["coef"] / frame["se"]
        frame["p_value"] = 2 * stats.norm.sf(np.abs(frame["z"]))
        frame["odds_ratio"] = np.exp(frame["coef"])
        return frame

    def to_dict(self) -> dict:
        return {
            "model": "wardwatch case-mix logistic risk model",
            "version": MODEL_VERSION,
            "outcome": "death in hospital or within 30 days of discharge",
            "origin_year": self.origin_year,
            "fallback_rate": self.fallback_rate,
            "c_statistic": self.c_statistic,
            "coding": {
                "age_breaks": list(AGE_BREAKS), "age_labels": list(AGE_LABELS),
                "charlson_breaks": list(CHARLSON_BREAKS), "charlson_labels": list(CHARLSON_LABELS),
                "factors": {k: {"levels": list(v[0]), "reference": v[1]} for k, v in FACTORS.items()},
                "year_index": "financial year (April start) minus origin_year",
            },
            "groups": {
                name: {"spec": gm.spec, "spells": gm.spells, "deaths": gm.deaths,
                       "dropped_levels": gm.dropped_levels, "terms": gm.terms,
                       "coef": [float(v) for v in gm.coef], "se": [float(v) for v in gm.se]}
                for name, gm in self.groups.items()
            },
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: str | Path) -> RiskModel:
        return load(path)


def load(path: str | Path) -> RiskModel:
    """Read a model written by :meth:`RiskModel.save`."""
    d = json.loads(Path(path).read_text())
    if d.get("version") != MODEL_VERSION:
        raise ValueError(f"{path}: risk model version {d.get('version')!r} is not {MODEL_VERSION}")
    groups = {
        name: GroupModel(spec=g["spec"], terms=list(g["terms"]), coef=np.asarray(g["coef"], dtype=float),
                         se=np.asarray(g["se"], dtype=float), spells=int(g["spells"]), deaths=int(g["deaths"]),
                         dropped_levels=list(g.get("dropped_levels", [])))
        for name, g in d["groups"].items()
    }
    return RiskModel(groups=groups, origin_year=int(d["origin_year"]), fallback_rate=float(d["fallback_rate"]),
                     c_statistic=float(d.get("c_statistic", float("nan"))))


def _terms_for(cov: pd.DataFrame, y: np.ndarray, factors: tuple[str, ...], with_year: bool,
               min_level_events: int) -> tuple[list[str], list[str]]:
    terms, dropped = ["intercept"], []
    for factor in factors:
        levels, ref = FACTORS[factor]
        values = cov[factor].to_numpy()
        for code, level in enumerate(levels):
            if level == ref:
                continue
            m = values == code
            if not m.any():
                continue
            deaths = y[m].sum()
            if deaths >= min_level_events and (m.sum() - deaths) >= min_level_events:
                terms.append(f"{factor}={level}")
            else:
                dropped.append(f"{factor}={level}")
    if with_year and cov["fin_year"].nunique() > 1:
        terms.append("year_index")
    return terms, dropped


def fit_logistic(x: np.ndarray, deaths: np.ndarray, trials: np.ndarray, max_iter: int = 100,
                 tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray, int]:
    """Binomial logistic regression by Newton-Raphson (= IRLS) on grouped data.

    Maximises sum d log p + (n - d) log(1 - p), p = expit(x b). Returns (b, standard errors from
    the inverse observed information, iterations). Rows are covariate patterns with ``trials``
    spells and ``deaths`` deaths, so 1 million spells with a few thousand distinct patterns cost
    a few thousand rows per iteration.
    """
    with _single_thread_blas():
        return _newton(x, deaths, trials, max_iter, tol)


def _single_thread_blas():
    """Small (k x k) algebra gains nothing from BLAS threads and, on a busy machine, threaded
    BLAS was measured 35x slower; limit it to one thread while fitting when threadpoolctl exists."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings threadpoolctl
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _newton(x: np.ndarray, deaths: np.ndarray, trials: np.ndarray, max_iter: int, tol: float
            ) -> tuple[np.ndarray, np.ndarray, int]:
    k = x.shape[1]
    beta = np.zeros(k)
    rate = np.clip(deaths.sum() / trials.sum(), 1e-6, 1 - 1e-6)
    beta[0] = np.log(rate / (1 - rate))  # column 0 is the intercept
    info = np.eye(k)
    for it in range(1, max_iter + 1):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        w = trials * p * (1.0 - p)
        grad = x.T @ (deaths - trials * p)
        info = (x * w[:, None]).T @ x
        step = np.linalg.solve(info, grad)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    p = 1.0 / (1.0 + np.exp(-(x @ beta)))
    info = (x * (trials * p * (1.0 - p))[:, None]).T @ x
    se = np.sqrt(np.diag(np.linalg.inv(info)))
    return beta, se, it


def _fit_group(cov: pd.DataFrame, y: np.ndarray, terms: list[str], origin: int) -> tuple[np.ndarray, np.ndarray]:
    first, inverse = _patterns(cov)
    deaths = np.bincount(inverse, weights=y, minlength=len(first))
    trials = np.bincount(inverse, minlength=len(first)).astype(float)
    x = _design(cov.iloc[first], terms, origin)
    beta, se, _ = fit_logistic(x, deaths, trials)
    return beta, se


def fit_risk_model(
    spells: pd.DataFrame,
    outcome: str | np.ndarray = "died",
    *,
    min_group_events: int = 100,
    min_reduced_events: int = 20,
    min_level_events: int = 5,
) -> RiskModel:
    """Fit one logistic model per diagnosis group on ``spells`` (admissions columns + outcome).

    ``outcome``: a 0/1 column name or array (death in hospital or within 30 days of discharge).
    """
    y_all = (np.asarray(spells[outcome]) if isinstance(outcome, str) else np.asarray(outcome)).astype(float)
    cov = covariates(spells)
    origin = int(cov["fin_year"].min()) if len(cov) else 0
    groups: dict[str, GroupModel] = {}
    codes = cov["diagnosis_group"].to_numpy()
    for name in sorted(pd.unique(codes)):
        mask = codes == name
        y = y_all[mask]
        c = cov.loc[mask]
        events = min(y.sum(), len(y) - y.sum())
        if events >= min_group_events:
            spec, factors, with_year = "full", FULL_FACTORS, True
        elif events >= min_reduced_events:
            spec, factors, with_year = "reduced", REDUCED_FACTORS, False
        else:
            spec, factors, with_year = "intercept", (), False
        terms, dropped = _terms_for(c, y, factors, with_year, min_level_events)
        if spec == "intercept" or len(terms) == 1:
            # crude rate with a half-event continuity correction so 0 deaths gives a finite logit
            rate = (y.sum() + 0.5) / (len(y) + 1.0)
            b = np.array([np.log(rate / (1 - rate))])
            se = np.array([np.sqrt(1.0 / (y.sum() + 0.5) + 1.0 / (len(y) - y.sum() + 0.5))])
            groups[str(name)] = GroupModel("intercept", ["intercept"], b, se, len(y), int(y.sum()), dropped)
            continue
        b, se = _fit_group(c, y, terms, origin)
        groups[str(name)] = GroupModel(spec, terms, b, se, len(y), int(y.sum()), dropped)
    model = RiskModel(groups=groups, origin_year=origin,
                      fallback_rate=float(y_all.mean()) if len(y_all) else 0.0)
    if len(y_all):
        p = model.predict(spells)
        model.c_statistic = auc(y_all, p)
        model.calibration = calibration_table(y_all, p)
    return model
