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
- The reference pool must pass the same test. When a group has no (or too few) spells at the
  default reference level (an all-female group, no January admissions), the group's most
  frequent adequate level becomes its reference (``GroupModel.references``; the default level
  then shares that level's coefficient). Columns still linearly dependent (e.g. year index vs
  month dummies over less than a year) are dropped by a rank test and listed in
  ``dropped_levels``.
- Newton-Raphson uses step-halving. If a fit does not converge (singular information, or the
  step still above tolerance after ``max_iter``, as under separation), the group falls back to
  the next simpler spec (full -> reduced -> intercept) and ``GroupModel.note`` says why.
- Missing admission dates, ages or outcomes are rejected with ``InputError`` (not imputed); a
  missing Charlson index counts as 0 (no comorbidity recorded) and an unknown sex or admission
  method takes the reference level's coefficient.
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

from wardwatch.errors import InputError

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
    age_raw = pd.to_numeric(spells["age"], errors="coerce")
    _reject_missing(spells, admitted.isna().to_numpy(), "admitted_at",
                    "the model needs the admission month and financial year")
    _reject_missing(spells, age_raw.isna().to_numpy(), "age", "the model needs the age band")
    age = age_raw.to_numpy(dtype=float)
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


def _reject_missing(spells: pd.DataFrame, missing: np.ndarray, column: str, why: str) -> None:
    """Raise InputError when ``column`` is missing (or not a valid value) for any spell.

    Why not impute: a missing admission date used to become month 0 and an int64-overflowed
    financial year (predicted risk exactly 0), and a missing age the 0-17 band, both silently.
    """
    if not missing.any():
        return
    where = ""
    if "spell_id" in spells.columns:
        ids = spells.loc[missing, "spell_id"].astype(str).head(3).tolist()
        where = f" (e.g. spell_id {', '.join(ids)})"
    raise InputError(f"{int(missing.sum())} of {len(missing)} spell(s) have a missing or invalid {column}"
                     f"{where}; {why}: fix or remove those spells before fitting or applying the risk model")


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
    #: factor -> reference level used in this group when it differs from ``FACTORS`` (the default
    #: reference was absent or too sparse in the group's spells)
    references: dict[str, str] = field(default_factory=dict)
    #: why the group has a simpler model than its events allow (e.g. the full fit did not converge)
    note: str = ""


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
                       "dropped_levels": gm.dropped_levels, "references": gm.references,
                       "note": gm.note, "terms": gm.terms,
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
                         dropped_levels=list(g.get("dropped_levels", [])),
                         references=dict(g.get("references", {})), note=str(g.get("note", "")))
        for name, g in d["groups"].items()
    }
    return RiskModel(groups=groups, origin_year=int(d["origin_year"]), fallback_rate=float(d["fallback_rate"]),
                     c_statistic=float(d.get("c_statistic", float("nan"))))


def _terms_for(cov: pd.DataFrame, y: np.ndarray, factors: tuple[str, ...], with_year: bool,
               min_level_events: int) -> tuple[list[str], list[str], dict[str, str]]:
    """Model terms for one group: (terms, dropped levels, references changed from the default).

    A level gets a dummy only when it has ``min_level_events`` deaths and survivors; the other
    levels (and codes outside the coding) are merged into the reference. The reference pool
    must itself pass that test: otherwise (e.g. an all-female group has no "M" spells, or a
    group has no January admissions) the intercept would be estimated from nothing, leaving the
    design singular or the fit separated. Then the most frequent level that passes becomes the
    group's reference (recorded in ``references``) and the default reference merges into it.
    """
    terms, dropped, references = ["intercept"], [], {}
    for factor in factors:
        levels, default_ref = FACTORS[factor]
        values = cov[factor].to_numpy()
        known = values >= 0
        spells = np.bincount(values[known], minlength=len(levels)).astype(float)
        deaths = np.bincount(values[known], weights=y[known], minlength=len(levels))
        unknown_spells, unknown_deaths = float((~known).sum()), float(y[~known].sum())
        enough = (deaths >= min_level_events) & (spells - deaths >= min_level_events)

        ref_code = levels.index(default_ref)
        pool = ~enough  # the reference pool: the reference plus every merged level and unknown code
        pool[ref_code] = True
        pool_deaths = deaths[pool].sum() + unknown_deaths
        pool_survivors = spells[pool].sum() + unknown_spells - pool_deaths
        if min(pool_deaths, pool_survivors) < min_level_events and enough.any():
            ref_code = int(np.argmax(np.where(enough, spells, -1.0)))  # most frequent adequate level
            references[factor] = levels[ref_code]
        for code, level in enumerate(levels):
            if code == ref_code or spells[code] == 0:
                continue
            if enough[code]:
                terms.append(f"{factor}={level}")
            else:
                dropped.append(f"{factor}={level}")
    if with_year and cov["fin_year"].nunique() > 1:
        terms.append("year_index")
    return terms, dropped, references


class ConvergenceError(ValueError):
    """The logistic fit did not converge (singular information, separation or ``max_iter`` reached)."""


def _independent_columns(x: np.ndarray) -> list[int]:
    """Indices of columns kept by a left-to-right greedy rank test (column 0, the intercept, first).

    Catches collinearity the level rules cannot see, e.g. ``year_index`` against month dummies
    when the data span less than 12 months across an April boundary.
    """
    keep: list[int] = []
    scale = np.maximum(np.abs(x).max(axis=0), 1e-300)
    xs = x / scale
    for j in range(x.shape[1]):
        trial = keep + [j]
        if np.linalg.matrix_rank(xs[:, trial]) == len(trial):
            keep = trial
    return keep


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


def _loglik(eta: np.ndarray, deaths: np.ndarray, trials: np.ndarray) -> float:
    """Binomial log-likelihood sum d eta - n log(1 + e^eta), without overflow."""
    return float(np.sum(deaths * eta - trials * np.logaddexp(0.0, eta)))


def _newton(x: np.ndarray, deaths: np.ndarray, trials: np.ndarray, max_iter: int, tol: float
            ) -> tuple[np.ndarray, np.ndarray, int]:
    """Newton-Raphson with step-halving (each accepted step must not lower the log-likelihood).

    Raises :class:`ConvergenceError` when the information matrix is singular or not finite, when
    no halved step improves the likelihood, or when the step is still above ``tol`` after
    ``max_iter`` iterations (what complete or quasi-complete separation looks like: coefficients
    drift towards infinity by about one unit per iteration).
    """
    k = x.shape[1]
    beta = np.zeros(k)
    rate = np.clip(deaths.sum() / trials.sum(), 1e-6, 1 - 1e-6)
    beta[0] = np.log(rate / (1 - rate))  # column 0 is the intercept
    eta = x @ beta
    ll = _loglik(eta, deaths, trials)
    converged = False
    for it in range(1, max_iter + 1):
        p = 1.0 / (1.0 + np.exp(-eta))
        w = trials * p * (1.0 - p)
        grad = x.T @ (deaths - trials * p)
        info = (x * w[:, None]).T @ x
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError as exc:
            raise ConvergenceError(f"singular information matrix at iteration {it}") from exc
        if not np.all(np.isfinite(step)):
            raise ConvergenceError(f"non-finite Newton step at iteration {it}")
        t = 1.0
        for _ in range(40):
            new_beta = beta + t * step
            new_eta = x @ new_beta
            new_ll = _loglik(new_eta, deaths, trials)
            if new_ll >= ll - 1e-12 * (abs(ll) + 1.0):
                break
            t *= 0.5
        else:
            raise ConvergenceError(f"step-halving found no improvement at iteration {it}")
        beta, eta = new_beta, new_eta
        small_step = np.max(np.abs(t * step)) < tol
        flat = abs(new_ll - ll) <= 1e-15 * (abs(ll) + 1.0) and np.max(np.abs(t * step)) < 1e-6
        ll = new_ll
        if small_step or flat:
            converged = True
            break
    if not converged:
        raise ConvergenceError(f"not converged after {max_iter} iterations (separation?): "
                               f"largest |coefficient| {np.max(np.abs(beta)):.1f}")
    p = 1.0 / (1.0 + np.exp(-eta))
    info = (x * (trials * p * (1.0 - p))[:, None]).T @ x
    try:
        se = np.sqrt(np.diag(np.linalg.inv(info)))
    except np.linalg.LinAlgError as exc:
        raise ConvergenceError("singular information matrix at the estimate") from exc
    if not np.all(np.isfinite(se)):
        raise ConvergenceError("non-finite standard errors at the estimate")
    return beta, se, it


def _fit_group(cov: pd.DataFrame, y: np.ndarray, terms: list[str], origin: int
               ) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    """Fit one group's model; returns (terms kept, coef, se, terms dropped as collinear)."""
    first, inverse = _patterns(cov)
    deaths = np.bincount(inverse, weights=y, minlength=len(first))
    trials = np.bincount(inverse, minlength=len(first)).astype(float)
    x = _design(cov.iloc[first], terms, origin)
    keep = _independent_columns(x)
    collinear = [t for j, t in enumerate(terms) if j not in keep]
    beta, se, _ = fit_logistic(x[:, keep], deaths, trials)
    return [terms[j] for j in keep], beta, se, collinear


_SPECS = {"full": (FULL_FACTORS, True), "reduced": (REDUCED_FACTORS, False), "intercept": ((), False)}


def _intercept_model(y: np.ndarray, dropped: list[str], note: str) -> GroupModel:
    # crude rate with a half-event continuity correction so 0 deaths gives a finite logit
    rate = (y.sum() + 0.5) / (len(y) + 1.0)
    b = np.array([np.log(rate / (1 - rate))])
    se = np.array([np.sqrt(1.0 / (y.sum() + 0.5) + 1.0 / (len(y) - y.sum() + 0.5))])
    return GroupModel("intercept", ["intercept"], b, se, len(y), int(y.sum()), dropped, note=note)


def _fit_with_fallback(c: pd.DataFrame, y: np.ndarray, specs: list[str], origin: int,
                       min_level_events: int) -> GroupModel:
    """Fit the richest spec in ``specs`` that converges; a failed fit falls back to the next
    (full -> reduced -> intercept) and the reason is kept in ``GroupModel.note``."""
    notes: list[str] = []
    dropped: list[str] = []
    for spec in specs:
        factors, with_year = _SPECS[spec]
        terms, dropped, references = _terms_for(c, y, factors, with_year, min_level_events)
        if spec == "intercept" or len(terms) == 1:
            break
        try:
            kept, b, se, collinear = _fit_group(c, y, terms, origin)
        except ConvergenceError as exc:
            notes.append(f"{spec} model not used: {exc}")
            continue
        return GroupModel(spec, kept, b, se, len(y), int(y.sum()), dropped + collinear, references,
                          note="; ".join(notes))
    return _intercept_model(y, dropped, "; ".join(notes))


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
    y_all = pd.to_numeric(pd.Series(np.asarray(spells[outcome]) if isinstance(outcome, str)
                                    else np.asarray(outcome)), errors="coerce").to_numpy(dtype=float)
    _reject_missing(spells, ~np.isin(y_all, (0.0, 1.0)), "outcome (must be 0 or 1)",
                    "every spell needs a known outcome")
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
            specs = ["full", "reduced", "intercept"]
        elif events >= min_reduced_events:
            specs = ["reduced", "intercept"]
        else:
            specs = ["intercept"]
        groups[str(name)] = _fit_with_fallback(c, y, specs, origin, min_level_events)
    model = RiskModel(groups=groups, origin_year=origin,
                      fallback_rate=float(y_all.mean()) if len(y_all) else 0.0)
    if len(y_all):
        p = model.predict(spells)
        model.c_statistic = auc(y_all, p)
        model.calibration = calibration_table(y_all, p)
    return model
