"""Case-mix logistic risk model for death, one model per diagnosis group (SHMI-style, docs/methods.md 4.1).

For each diagnosis group g, logit P(death) = b0 + age band + sex + admission method + Charlson
band + month of admission + b_year * year index, fitted by maximum likelihood (Newton-Raphson
on covariate patterns; checked against statsmodels GLM Binomial in the tests) on the spells given. Death = died in hospital or within 30 days of
discharge (the caller builds the outcome). Expected deaths of a trust = sum of its spells'
predicted probabilities; SMR = O/E.

Sparse data (documented choices, not silent):
- A level needs at least ``min_level_events`` deaths and as many survivors in the group to get
  its own coefficient. A sparser level is merged into its ADJACENT category (docs/methods.md 7.3), never
  into the reference by default: age 0-17 -> 18-44 and 85+ -> 75-84 (ordered bands merge towards
  the reference band), Charlson 5+ -> 3-4, maternity -> elective, transfer -> emergency, a month
  into the neighbouring month with more spells, unknown sex into the commoner sex. Merging
  repeats (sparsest block first) until every block passes. ``GroupModel.merged`` records
  level -> block; levels absent from the fitting data are mapped the same way, so a trust with a
  children's unit applied to a model fitted without children gets the 18-44 risk, not the
  reference's (65-74). Until version 2 sparse levels took the reference level's coefficient: a
  children's unit with 4 deaths in 400 spells got 62.8 expected deaths.
- The reference is the block holding the default reference level; when that level is absent the
  largest block is the reference (``GroupModel.references``). Columns still linearly dependent
  (e.g. year index vs month dummies over less than a year) are dropped by a rank test and listed
  in ``dropped_levels`` (which also lists merged levels).
- Separation (complete or quasi-complete: some direction of the covariates splits deaths from
  survivors, so the MLE is infinite) is detected before Newton-Raphson by a linear program
  (Albert & Anderson 1984; Konis 2007): maximise sum over one-outcome covariate patterns of the
  signed linear predictor subject to the sign constraints, with coefficients in [-1, 1]; a
  positive optimum is a separating direction. The verdict is structural (integer design, HiGHS
  simplex), so it does not depend on the BLAS kernel's last digits, which the old test "did
  Newton converge in 100 iterations" did (issue 13 item 0). Newton-Raphson uses step-halving;
  if a fit is separated or does not converge the group falls back to the next simpler spec
  (full -> reduced -> intercept) and ``GroupModel.note`` says why.
- Missing admission dates, ages or outcomes are rejected with ``InputError`` (not imputed); a
  missing Charlson index counts as 0 (no comorbidity recorded) and an unknown sex or admission
  method takes the reference level's coefficient.
- A group with fewer than ``min_group_events`` deaths (or survivors) gets a reduced model (age,
  admission method, Charlson; no month/sex/year); with fewer than ``min_reduced_events`` it gets
  an intercept-only model (its crude rate). The ``spec`` column of ``coefficients`` says which.
- A diagnosis group unseen at fitting is predicted with the pooled crude death rate.

``RiskModel.save``/``load`` write JSON (coefficients, standard errors, covariate coding) so a
trust can apply a model fitted on a larger (e.g. national) dataset.
Validation: ``calibration`` (observed vs expected deaths by decile of predicted risk),
:func:`calibration_by_level` (O/E by covariate level and by trust, docs/methods.md 7.3) and the
c-statistic (area under the ROC curve, from the Mann-Whitney rank formula).
"""

from __future__ import annotations

import json
from collections.abc import Callable
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
MODEL_VERSION = 2
#: versions :func:`load` reads (version 1 had no ``merged`` map: sparse levels took the reference)
READABLE_VERSIONS = (1, 2)

#: ordered factors: a sparse band merges into the adjacent band on the side of the reference
ORDERED_FACTORS = ("age_band", "charlson_band")
#: nominal factors: the categories a sparse level merges into, most similar first
NEIGHBOURS: dict[str, dict[str, tuple[str, ...]]] = {
    "admission_method": {"maternity": ("elective", "emergency", "transfer"),
                         "transfer": ("emergency", "elective", "maternity"),
                         "elective": ("emergency", "maternity", "transfer"),
                         "emergency": ("elective", "transfer", "maternity")},
    "sex": {"M": ("F", "U"), "F": ("M", "U"), "U": ()},  # unknown sex: into the commoner sex
}


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


def _design(cov: pd.DataFrame, terms: list[str], origin_year: int,
            merged: dict[str, dict[str, str]] | None = None) -> np.ndarray:
    """Design matrix for the given term names (``intercept``, ``factor=level``, ``year_index``).

    ``merged`` maps factor -> {level: block label}: a spell at a merged level gets its block's dummy.
    """
    x = np.empty((len(cov), len(terms)), dtype=float)
    for j, term in enumerate(terms):
        if term == "intercept":
            x[:, j] = 1.0
        elif term == "year_index":
            x[:, j] = cov["fin_year"].to_numpy() - origin_year
        else:
            factor, level = term.split("=", 1)
            levels = FACTORS[factor][0]
            members = [levels.index(level)] + [levels.index(lv) for lv, block in
                                               (merged or {}).get(factor, {}).items() if block == level]
            x[:, j] = np.isin(cov[factor].to_numpy(), members)
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
    #: factor -> {level: block label} for levels sharing an adjacent level's coefficient
    merged: dict[str, dict[str, str]] = field(default_factory=dict)


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
        return self.predict_covariates(covariates(spells))

    def predict_covariates(self, cov: pd.DataFrame) -> np.ndarray:
        """Predicted probability of death for rows of :func:`covariates`."""
        out = np.full(len(cov), self.fallback_rate, dtype=float)
        codes = cov["diagnosis_group"].to_numpy()
        for name, gm in self.groups.items():
            mask = codes == name
            if not mask.any():
                continue
            sub = cov.loc[mask]
            first, inverse = _patterns(sub)
            eta = _design(sub.iloc[first], gm.terms, self.origin_year, gm.merged) @ gm.coef
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
                       "note": gm.note, "merged": gm.merged, "terms": gm.terms,
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
    if d.get("version") not in READABLE_VERSIONS:
        raise ValueError(f"{path}: risk model version {d.get('version')!r} is not one of {READABLE_VERSIONS}")
    groups = {
        name: GroupModel(spec=g["spec"], terms=list(g["terms"]), coef=np.asarray(g["coef"], dtype=float),
                         se=np.asarray(g["se"], dtype=float), spells=int(g["spells"]), deaths=int(g["deaths"]),
                         dropped_levels=list(g.get("dropped_levels", [])),
                         references=dict(g.get("references", {})), note=str(g.get("note", "")),
                         merged={f: dict(m) for f, m in g.get("merged", {}).items()})
        for name, g in d["groups"].items()
    }
    return RiskModel(groups=groups, origin_year=int(d["origin_year"]), fallback_rate=float(d["fallback_rate"]),
                     c_statistic=float(d.get("c_statistic", float("nan"))))


def _merge_blocks(factor: str, spells: np.ndarray, deaths: np.ndarray, min_level_events: int) -> np.ndarray:
    """Block of every level of ``factor`` (array level code -> block id = a level code).

    Sparse blocks (fewer than ``min_level_events`` deaths or survivors, absent levels included)
    merge, sparsest first, into an adjacent block (module docstring) until all pass or one is left.
    """
    levels, default_ref = FACTORS[factor]
    k = len(levels)
    ref = levels.index(default_ref)
    block = np.arange(k)

    def totals(b: int) -> tuple[float, float]:
        members = block == b
        return float(spells[members].sum()), float(deaths[members].sum())

    while True:
        ids = sorted(set(block.tolist()))
        if len(ids) == 1:
            return block
        sizes = {b: totals(b) for b in ids}
        sparse = [b for b in ids if min(sizes[b][1], sizes[b][0] - sizes[b][1]) < min_level_events]
        if not sparse:
            return block
        b = min(sparse, key=lambda i: (sizes[i][0], i))
        members = np.flatnonzero(block == b)
        if factor in ORDERED_FACTORS or factor == "month":
            lo, hi = int(members.min()), int(members.max())
            if factor == "month":  # cyclic: December is next to January (a block may wrap round)
                left = right = None
                options = sorted({int(block[(m + step) % k]) for m in members for step in (-1, 1)} - {b})
            else:
                left = block[lo - 1] if lo > 0 else None
                right = block[hi + 1] if hi < k - 1 else None
                options = [o for o in (left, right) if o is not None and o != b]
            if factor in ORDERED_FACTORS and len(options) == 2 and not (lo <= ref <= hi):
                target = right if hi < ref else left  # towards the reference band
            else:
                target = max(options, key=lambda i: (sizes[i][0], -i))
        else:
            prefs = [levels.index(lv) for lv in NEIGHBOURS[factor][levels[int(members[0])]]]
            candidates = [int(block[c]) for c in prefs if block[c] != b and sizes[int(block[c])][0] > 0]
            if not candidates:  # no populated preferred neighbour: the largest other block
                candidates = [max((i for i in ids if i != b), key=lambda i: (sizes[i][0], -i))]
            target = candidates[0]
        block[block == b] = target


def _terms_for(cov: pd.DataFrame, y: np.ndarray, factors: tuple[str, ...], with_year: bool,
               min_level_events: int, n: np.ndarray | None = None
               ) -> tuple[list[str], list[str], dict[str, str], dict[str, dict[str, str]]]:
    """Model terms for one group: (terms, dropped levels, references changed, merged levels).

    Each block of merged levels (see :func:`_merge_blocks`) is labelled by its most frequent level
    and gets one dummy, except the reference block: the block holding the default reference
    level, or the largest block when that level has no spells in the group. Codes outside the
    coding take the reference block's coefficient. ``y`` holds deaths and ``n`` spells per row
    (default 1: one row per spell; aggregated covariate patterns pass their counts).
    """
    terms, dropped, references, merged = ["intercept"], [], {}, {}
    n = np.ones(len(cov)) if n is None else n
    for factor in factors:
        levels, default_ref = FACTORS[factor]
        values = cov[factor].to_numpy()
        known = values >= 0
        spells = np.bincount(values[known], weights=n[known], minlength=len(levels)).astype(float)
        deaths = np.bincount(values[known], weights=y[known], minlength=len(levels))
        block = _merge_blocks(factor, spells, deaths, min_level_events)
        label = {}
        for b in sorted(set(block.tolist())):
            members = np.flatnonzero(block == b)
            label[b] = int(members[np.argmax(spells[members])])  # first of the most frequent
        ref_code = levels.index(default_ref)
        ref_block = int(block[ref_code])
        if spells[ref_code] == 0:
            sizes = {b: spells[block == b].sum() for b in label}
            ref_block = max(sizes, key=lambda b: (sizes[b], -b))
        if label[ref_block] != ref_code:
            references[factor] = levels[label[ref_block]]
        factor_merged = {levels[c]: levels[label[int(block[c])]] for c in range(len(levels))
                         if label[int(block[c])] != c}
        if factor_merged:
            merged[factor] = factor_merged
        dropped += [f"{factor}={levels[c]}" for c in range(len(levels))
                    if label[int(block[c])] != c and spells[c] > 0]
        for b in sorted(label, key=lambda b: label[b]):
            if b != ref_block:
                terms.append(f"{factor}={levels[label[b]]}")
    if with_year and cov["fin_year"].nunique() > 1:
        terms.append("year_index")
    return terms, dropped, references, merged


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
    # X = QR with Q orthonormal, so any column subset of X has the rank of the same columns of the
    # k x k factor R: one QR instead of an SVD of the n x k pattern matrix per column (8 s -> 0.1 s)
    with _single_thread_blas():
        r = np.linalg.qr(xs, mode="r") if xs.shape[0] > xs.shape[1] else xs
    tol = np.abs(r).max() * max(xs.shape) * np.finfo(float).eps if r.size else 0.0
    for j in range(x.shape[1]):
        trial = keep + [j]
        if np.linalg.matrix_rank(r[:, trial], tol=tol) == len(trial):
            keep = trial
    return keep


def fit_logistic(x: np.ndarray, deaths: np.ndarray, trials: np.ndarray, max_iter: int = 100,
                 tol: float = 1e-10, check_separation: bool = True) -> tuple[np.ndarray, np.ndarray, int]:
    """Binomial logistic regression by Newton-Raphson (= IRLS) on grouped data.

    Maximises sum d log p + (n - d) log(1 - p), p = expit(x b). Returns (b, standard errors from
    the inverse observed information, iterations). Rows are covariate patterns with ``trials``
    spells and ``deaths`` deaths, so 1 million spells with a few thousand distinct patterns cost
    a few thousand rows per iteration. Raises :class:`ConvergenceError` when the data are
    separated (:func:`separation_margin`, checked first unless ``check_separation`` is False) or
    Newton-Raphson fails.
    """
    if check_separation:
        margin = separation_margin(x, deaths, trials)
        if margin > SEPARATION_TOL:
            raise ConvergenceError(f"separation: a direction of the covariates splits deaths from survivors "
                                   f"(linear-programming margin {margin:.3g}), so the MLE is infinite")
    with _single_thread_blas():
        beta, se, it = _newton(x, deaths, trials, max_iter, tol)
    return beta, se, it


#: an LP optimum above this is a separating direction; with 0/1 dummies and integer year indices a
#: genuine one scores at least ~1/k, while HiGHS's feasibility tolerance is 1e-7 per row
SEPARATION_TOL = 1e-5


def separation_margin(x: np.ndarray, deaths: np.ndarray, trials: np.ndarray) -> float:
    """Largest total margin of a separating direction (0 when the MLE exists and is finite).

    Linear program (Albert & Anderson 1984; Konis 2007, "Linear programming algorithms for
    detecting separated data in binary logistic regression models"): over b in [-1, 1]^k maximise
    sum_{all-death patterns} x b - sum_{all-survivor patterns} x b subject to x b >= 0 on
    all-death patterns, x b <= 0 on all-survivor patterns and x b = 0 on mixed patterns. A
    positive optimum means complete or quasi-complete separation along b.
    """
    from scipy.optimize import linprog

    used = trials > 0
    x, deaths, trials = x[used], deaths[used], trials[used]
    dead = deaths >= trials
    alive = deaths <= 0
    mixed = ~dead & ~alive
    if not (dead.any() or alive.any()):
        return 0.0
    c = -(x[dead].sum(axis=0) - x[alive].sum(axis=0))
    a_ub = np.vstack([-x[dead], x[alive]])
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(len(a_ub)),
                  A_eq=x[mixed] if mixed.any() else None, b_eq=np.zeros(int(mixed.sum())) if mixed.any() else None,
                  bounds=(-1.0, 1.0), method="highs")
    if res.status != 0:  # b = 0 is always feasible, so only a solver failure lands here
        raise ConvergenceError(f"separation check failed: {res.message}")
    return float(-res.fun)


def _single_thread_blas():
    """Small (k x k) algebra gains nothing from BLAS threads and, on a busy machine, threaded
    BLAS was measured 35x slower; limit it to one thread while fitting."""
    from threadpoolctl import threadpool_limits

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


def _fit_group(cov: pd.DataFrame, y: np.ndarray, terms: list[str], origin: int,
               merged: dict[str, dict[str, str]] | None = None, n: np.ndarray | None = None
               ) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    """Fit one group's model; returns (terms kept, coef, se, terms dropped as collinear)."""
    first, inverse = _patterns(cov)
    deaths = np.bincount(inverse, weights=y, minlength=len(first))
    trials = np.bincount(inverse, weights=n, minlength=len(first)).astype(float)
    x = _design(cov.iloc[first], terms, origin, merged)
    keep = _independent_columns(x)
    collinear = [t for j, t in enumerate(terms) if j not in keep]
    beta, se, _ = fit_logistic(x[:, keep], deaths, trials)
    return [terms[j] for j in keep], beta, se, collinear


_SPECS = {"full": (FULL_FACTORS, True), "reduced": (REDUCED_FACTORS, False), "intercept": ((), False)}


def _intercept_model(y: np.ndarray, dropped: list[str], note: str, n: np.ndarray) -> GroupModel:
    # crude rate with a half-event continuity correction so 0 deaths gives a finite logit
    d, total = float(y.sum()), float(n.sum())
    rate = (d + 0.5) / (total + 1.0)
    b = np.array([np.log(rate / (1 - rate))])
    se = np.array([np.sqrt(1.0 / (d + 0.5) + 1.0 / (total - d + 0.5))])
    return GroupModel("intercept", ["intercept"], b, se, round(total), round(d), dropped, note=note)


def _fit_with_fallback(c: pd.DataFrame, y: np.ndarray, specs: list[str], origin: int,
                       min_level_events: int, n: np.ndarray) -> GroupModel:
    """Fit the richest spec in ``specs`` that converges; a failed fit falls back to the next
    (full -> reduced -> intercept) and the reason is kept in ``GroupModel.note``."""
    notes: list[str] = []
    dropped: list[str] = []
    for spec in specs:
        factors, with_year = _SPECS[spec]
        terms, dropped, references, merged = _terms_for(c, y, factors, with_year, min_level_events, n)
        if spec == "intercept" or len(terms) == 1:
            break
        try:
            kept, b, se, collinear = _fit_group(c, y, terms, origin, merged, n)
        except ConvergenceError as exc:
            notes.append(f"{spec} model not used: {exc}")
            continue
        return GroupModel(spec, kept, b, se, round(n.sum()), round(y.sum()), dropped + collinear,
                          references, note="; ".join(notes), merged=merged)
    return _intercept_model(y, dropped, "; ".join(notes), n)


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
    thresholds = (min_group_events, min_reduced_events, min_level_events)
    model = _fit_covariates(cov, y_all, np.ones(len(y_all)), origin, thresholds)
    if len(y_all):
        p = model.predict(spells)
        model.c_statistic = auc(y_all, p)
        model.calibration = calibration_table(y_all, p)
    return model


def _fit_covariates(cov: pd.DataFrame, d: np.ndarray, n: np.ndarray, origin: int,
                    thresholds: tuple[int, int, int]) -> RiskModel:
    """Fit every diagnosis group on rows of ``cov`` with ``d`` deaths out of ``n`` spells each."""
    min_group_events, min_reduced_events, min_level_events = thresholds
    groups: dict[str, GroupModel] = {}
    codes = cov["diagnosis_group"].to_numpy()
    for name in sorted(pd.unique(codes)):
        mask = codes == name
        y, w = d[mask], n[mask]
        events = min(y.sum(), w.sum() - y.sum())
        if events >= min_group_events:
            specs = ["full", "reduced", "intercept"]
        elif events >= min_reduced_events:
            specs = ["reduced", "intercept"]
        else:
            specs = ["intercept"]
        groups[str(name)] = _fit_with_fallback(cov.loc[mask], y, specs, origin, min_level_events, w)
    return RiskModel(groups=groups, origin_year=origin,
                     fallback_rate=float(d.sum() / n.sum()) if n.sum() else 0.0)


@dataclass
class LeaveOneOut:
    """Expected risks from models not fitted on the spells' own unit (trust), docs/methods.md 7.3."""

    #: predicted risk of every spell from the model fitted without its own unit
    expected: np.ndarray
    #: the model fitted on all units (to save, or to apply to other data)
    model: RiskModel
    #: unit -> the model fitted without it
    models: dict[str, RiskModel]


def fit_leave_one_out(spells: pd.DataFrame, outcome: str | np.ndarray = "died", by: str = "org_code", *,
                      min_group_events: int = 100, min_reduced_events: int = 20, min_level_events: int = 5,
                      progress: Callable[[str], None] | None = None) -> LeaveOneOut:
    """Fit the model once per unit of ``by`` leaving that unit out, and predict its spells.

    In-sample expected deaths pull every trust's SMR towards 1, most for large trusts (a trust
    with 12% of the spells and a true odds ratio of 1.5 got 1.29-1.34 in-sample); national SHMI
    models dilute this because each trust is about 2% of the data. Cost: the spells are reduced
    once to covariate patterns x unit with death and spell counts, and each fit runs on those
    counts minus one unit's, so 15 trusts cost about 15 fits on a few thousand rows per group,
    not 15 passes over every spell.
    """
    y_all = pd.to_numeric(pd.Series(np.asarray(spells[outcome]) if isinstance(outcome, str)
                                    else np.asarray(outcome)), errors="coerce").to_numpy(dtype=float)
    _reject_missing(spells, ~np.isin(y_all, (0.0, 1.0)), "outcome (must be 0 or 1)",
                    "every spell needs a known outcome")
    cov = covariates(spells)
    origin = int(cov["fin_year"].min()) if len(cov) else 0
    thresholds = (min_group_events, min_reduced_events, min_level_events)
    unit = spells[by].astype(str).to_numpy()
    keys = ["diagnosis_group", *_PATTERN_COLUMNS]
    agg = (cov.assign(_unit=unit, _d=y_all, _n=1.0).groupby(["_unit", *keys], sort=True, observed=True)
           .agg(_d=("_d", "sum"), _n=("_n", "sum")).reset_index())
    full = _fit_covariates(agg, agg["_d"].to_numpy(), agg["_n"].to_numpy(), origin, thresholds)
    expected = np.empty(len(cov))
    models: dict[str, RiskModel] = {}
    for u in sorted(pd.unique(unit)):
        if progress:
            progress(f"leave-one-trust-out fit: without {u}")
        train = (agg["_unit"] != u).to_numpy()
        if not train.any():
            raise InputError(f"leave-one-{by}-out needs at least two values of {by}; only {u!r} is present. "
                             "Fit in-sample (--fit pooled) or apply a model fitted elsewhere (--model)")
        sub = agg.loc[train]
        m = _fit_covariates(sub, sub["_d"].to_numpy(), sub["_n"].to_numpy(), origin, thresholds)
        own = unit == u
        expected[own] = m.predict_covariates(cov.loc[own])
        models[str(u)] = m
    full.c_statistic = auc(y_all, expected) if len(y_all) else float("nan")
    full.calibration = calibration_table(y_all, expected) if len(y_all) else pd.DataFrame()
    return LeaveOneOut(expected=expected, model=full, models=models)


#: covariates whose levels :func:`calibration_by_level` reports, in this order
CALIBRATION_FACTORS = ("age_band", "sex", "admission_method", "charlson_band")


def calibration_by_level(spells: pd.DataFrame, observed: np.ndarray, expected: np.ndarray,
                         by: tuple[str, ...] = ("org_code", "diagnosis_group")) -> pd.DataFrame:
    """Observed vs expected deaths by covariate level and by each column in ``by`` (docs/methods.md 7.3).

    Columns: variable, level, spells, observed, expected, o_e. A model that fits every level
    well has O/E near 1 within each level's Poisson noise; a level merged with too different a
    neighbour (or, before version 2, into the reference) shows up here, e.g. O/E 4/62.8 for a
    children's unit that took the 65-74 risk.
    """
    cov = covariates(spells)
    frame = pd.DataFrame({"observed": np.asarray(observed, dtype=float), "expected": np.asarray(expected, dtype=float)})
    parts = []
    for factor in CALIBRATION_FACTORS:
        levels = np.array(FACTORS[factor][0] + ("unknown",))
        codes = cov[factor].to_numpy()
        parts.append(frame.assign(variable=factor, level=levels[np.where(codes >= 0, codes, len(levels) - 1)]))
    for column in by:
        if column in spells.columns:
            parts.append(frame.assign(variable=column, level=spells[column].astype(str).to_numpy()))
    long = pd.concat(parts, ignore_index=True)
    out = (long.groupby(["variable", "level"], sort=False)
           .agg(spells=("observed", "size"), observed=("observed", "sum"), expected=("expected", "sum"))
           .reset_index())
    out["observed"] = out["observed"].astype(int)
    out["o_e"] = out["observed"] / out["expected"]
    coding = {f: {lv: i for i, lv in enumerate(FACTORS[f][0])} for f in CALIBRATION_FACTORS}
    out["_v"] = out["variable"].map({v: i for i, v in enumerate(CALIBRATION_FACTORS + tuple(by))})
    out["_l"] = [coding.get(v, {}).get(lv, 99) for v, lv in zip(out["variable"], out["level"])]
    return out.sort_values(["_v", "_l", "level"]).drop(columns=["_v", "_l"]).reset_index(drop=True)
