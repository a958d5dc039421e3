"""Did an action work? Interrupted time series with an SPC baseline check.

For every action and every linked indicator the focal trust's monthly series is read from the
``measures`` table (whole trust: ``site_code`` and ``unit_code`` NULL unless the link names a
site or unit), cut to at most ``max_points_before`` (default 24) points before the start, and
judged by segmented regression (docs/methods/action-effects.md; Wagner et al. 2002; Bernal,
Cummins & Gasparrini 2017):

    y_t = b0 + b1 (t - t0) + b2 X_t + b3 (t - t0) X_t [+ sin/cos(2 pi k m_t / 12), k = 1..K] + e_t

with t the month number, t0 the start month, X_t = 1 from the start and m_t the calendar month.
Seasonal terms are used only with at least ``seasonal_min_before`` (24) months before the start,
so that every calendar month is seen twice before it is used to predict the months after.
b2 is the level change, b3 the slope change and the effect at ``h`` months after the start is
b2 + b3 h (default h: the mean of the post-start horizons, the average effect over follow-up).
Its standard error is Newey-West HAC (Bartlett kernel, small-sample correction n / (n - p),
t with n - p degrees of freedom), so month-to-month autocorrelation does not shrink the interval.
Regressing on the pre-start trend (and season) is what stops a drift or a seasonal peak that was
under way before the action from being credited to it.

With a ``comparator`` series (a peer trust or the national figure, same indicator) the model is
fitted to focal minus comparator on the months both have: a controlled ITS, so that a change
that hit everyone at the same time (a national campaign, a coding change) cancels.

Verdicts (``EffectSettings``; post-start points have ``period_start >= start``):
- **no data**: no series, or fewer than ``min_points_before`` (6) points before the start;
- **too early**: fewer than ``min_points_after`` (7) points after the start;
- **not assessable**: the baseline already shows a special cause in the expected direction on
  its own XmR chart (limits frozen on the pre-start points; docs/methods.md 2.2 rules): something was
  already improving, so a later "improvement" cannot be told apart (Provost & Murray 2011);
- **improved** / **worsened**: the (1 - ``alpha``) confidence interval of the effect lies wholly
  on the improving / worsening side of zero;
- **no change**: otherwise, when the test had power >= ``low_power`` (0.8) to find an effect of
  ``power_effect_sd`` (1) residual standard deviations; **no change (low power)** when it had less:
  the data cannot tell "no effect" from "an effect we could not see". ``mde`` is the smallest
  effect found with 80% power.

The SPC charts (``spc_func``, default ``wardwatch.stats.spc.spc``) are kept for drawing and for
the reason text: ``unrebased`` has limits frozen on the pre-start baseline (``fix_after``), and
``rebased`` gets new limits from the start (docs/methods.md 2.4). ``improvement_points`` /
``concern_points`` count post-start special-cause points on the frozen chart whose run of
flagged points begins on or after the start (a run begun before the start is not the action's).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from wardwatch.actions.model import Action, ActionPlan, IndicatorLink
from wardwatch.errors import InputError
from wardwatch.render.results import plot_spc
from wardwatch.stats.spc import SPCResult

VERDICTS = ("improved", "worsened", "no change", "no change (low power)", "not assessable", "too early",
            "no data")
EFFECT_COLUMNS = ["action_id", "title", "indicator_id", "expected", "start", "verdict", "n_before", "n_after",
                  "centre_before", "centre_after", "change", "se", "z", "horizon", "effect", "ci_low", "ci_high",
                  "level_change", "slope_change", "power", "mde", "seasonal", "comparator",
                  "improvement_points", "concern_points", "reason"]


@dataclass(frozen=True)
class EffectSettings:
    # the MDC shift rule needs 7 consecutive points (docs/methods.md 2.2): with fewer after the start a
    # sustained step may not show yet, so no verdict is given
    min_points_after: int = 7
    min_points_before: int = 6
    # MDC advice: baselines of 2-3 years stay relevant (docs/methods.md 2.4)
    max_points_before: int | None = 24
    alpha: float = 0.10  # 90% CI: a one-sided 5% test in each direction
    horizon: float | None = None
    seasonal_min_before: int = 24
    harmonics: int = 1
    hac_lags: int | None = None  # None: Newey-West rule floor(4 (n / 100) ** (2 / 9))
    power_effect_sd: float = 1.0
    low_power: float = 0.8
    baseline_check: bool = True
    require_signal: bool = True
    run_lead: int = 2
    chart: str = "xmr"
    grain: str = "month"


@dataclass(frozen=True)
class Effect:
    """Effect of one action on one indicator, with the SPC results kept for drawing.

    ``change`` / ``se`` are the effect at ``horizon`` in the expected direction (positive =
    improvement) and its HAC standard error; ``effect``, ``ci_low``, ``ci_high`` are on the
    indicator's own scale."""

    action_id: str
    title: str
    indicator_id: str
    expected: str
    start: date
    verdict: str
    reason: str
    n_before: int = 0
    n_after: int = 0
    centre_before: float = math.nan
    centre_after: float = math.nan
    change: float = math.nan
    se: float = math.nan
    horizon: float = math.nan
    effect: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    level_change: float = math.nan
    slope_change: float = math.nan
    power: float = math.nan
    mde: float = math.nan
    seasonal: bool = False
    comparator: str | None = None
    improvement_points: int = 0
    concern_points: int = 0
    unrebased: Any = field(default=None, repr=False)
    rebased: Any = field(default=None, repr=False)

    def row(self) -> dict:
        z = self.change / self.se if self.se and not math.isnan(self.se) and self.se > 0 else math.nan
        return {"action_id": self.action_id, "title": self.title, "indicator_id": self.indicator_id,
                "expected": self.expected, "start": self.start, "verdict": self.verdict, "n_before": self.n_before,
                "n_after": self.n_after, "centre_before": self.centre_before, "centre_after": self.centre_after,
                "change": self.change, "se": self.se, "z": z, "horizon": self.horizon, "effect": self.effect,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "level_change": self.level_change,
                "slope_change": self.slope_change, "power": self.power, "mde": self.mde,
                "seasonal": self.seasonal, "comparator": self.comparator,
                "improvement_points": self.improvement_points, "concern_points": self.concern_points,
                "reason": self.reason}

    def plot(self, rebased: bool = True, title: str | None = None) -> str:
        """SVG of the (rebased) chart annotated at the action start date."""
        result = self.rebased if rebased else self.unrebased
        if not isinstance(result, SPCResult):  # no evaluation, or an injected spc_func's own result
            raise InputError(f"no chart for action {self.action_id} / {self.indicator_id}: {self.reason}")
        return plot_spc(
            result,
            annotations=[(self.start, self.title)],
            title=title or f"{self.indicator_id}: {self.title} ({self.verdict})",
            value_format="percent" if _is_proportion(self.indicator_id) else None,
        )


@dataclass(frozen=True)
class PlanEffects:
    effects: tuple[Effect, ...]
    settings: EffectSettings

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([e.row() for e in self.effects], columns=EFFECT_COLUMNS)

    def get(self, action_id: str, indicator_id: str | None = None) -> Effect:
        for e in self.effects:
            if e.action_id == action_id and (indicator_id is None or e.indicator_id == indicator_id):
                return e
        raise KeyError(f"no effect for action {action_id} {indicator_id or ''}")

    def verdict(self, action_id: str, indicator_id: str | None = None) -> str:
        return self.get(action_id, indicator_id).verdict


@dataclass(frozen=True)
class ITSFit:
    """Segmented-regression fits of r series on one design (arrays have r in the last axis)."""

    beta: np.ndarray  # (p, r)
    cov: np.ndarray  # (p, p, r), HAC
    sigma: np.ndarray  # (r,) residual standard deviation
    df: int
    seasonal: bool
    lags: int
    cov_ols: np.ndarray  # (p, p, r), classical

    def effect(self, horizon: float) -> tuple[np.ndarray, np.ndarray]:
        """(b2 + b3 h, its standard error) for every series.

        The standard error is the larger of the HAC and the classical one: with 3 years of months
        Newey-West under-estimates the variance of uncorrelated noise (a null false "improved"
        rate of about 6% instead of 2.5%, docs/methods/action-effects.md), and the classical
        error is exact there, while HAC still widens the interval under positive autocorrelation."""
        c = np.zeros(self.beta.shape[0])
        c[2], c[3] = 1.0, horizon
        est = c @ self.beta
        var = np.maximum(np.einsum("i,ijr,j->r", c, self.cov, c), np.einsum("i,ijr,j->r", c, self.cov_ols, c))
        return est, np.sqrt(np.maximum(var, 0.0))


def its_design(month: np.ndarray, start_month: int, calendar_month: np.ndarray,
               harmonics: int) -> np.ndarray:
    """Columns: intercept, t - t0, X, (t - t0) X, then sin/cos pairs of the calendar month."""
    t = (month - start_month).astype(float)
    after = (t >= 0).astype(float)
    columns = [np.ones_like(t), t, after, t * after]
    for k in range(1, harmonics + 1):
        angle = 2.0 * np.pi * k * calendar_month / 12.0
        columns += [np.sin(angle), np.cos(angle)]
    return np.column_stack(columns)


def newey_west_lags(n: int) -> int:
    return math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0))


def fit_its(design: np.ndarray, y: np.ndarray, lags: int, seasonal: bool = False) -> ITSFit:
    """OLS of every column of ``y`` (n, r) on ``design`` (n, p), Newey-West HAC covariance.

    Vectorised over series sharing one design (the simulation tests fit thousands at once).
    Matches statsmodels ``OLS.fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction":
    True})`` (tests/actions/test_its.py)."""
    y2 = y.reshape(len(y), -1)
    n, p = design.shape
    if n <= p:
        raise InputError(f"segmented regression needs more than {p} points, got {n}")
    xtx_inv = np.linalg.pinv(design.T @ design)
    beta = xtx_inv @ design.T @ y2
    resid = y2 - design @ beta
    scores = design[:, :, None] * resid[:, None, :]  # (n, p, r)
    meat = np.einsum("tir,tjr->ijr", scores, scores)
    for lag in range(1, lags + 1):
        weight = 1.0 - lag / (lags + 1.0)
        cross = np.einsum("tir,tjr->ijr", scores[lag:], scores[:-lag])
        meat += weight * (cross + cross.transpose(1, 0, 2))
    cov = np.einsum("ik,klr,lj->ijr", xtx_inv, meat, xtx_inv) * (n / (n - p))
    sigma = np.sqrt((resid ** 2).sum(axis=0) / (n - p))
    cov_ols = xtx_inv[:, :, None] * sigma ** 2
    return ITSFit(beta=beta, cov=cov, sigma=sigma, df=n - p, seasonal=seasonal, lags=lags, cov_ols=cov_ols)


def _month_numbers(periods: pd.Series) -> np.ndarray:
    periods = pd.to_datetime(periods)
    return (periods.dt.year * 12 + periods.dt.month - 1).to_numpy()


@dataclass(frozen=True)
class _Assessment:
    verdict: np.ndarray
    change: np.ndarray  # effect in the expected direction
    effect: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    level_change: np.ndarray
    slope_change: np.ndarray
    power: np.ndarray
    mde: np.ndarray
    baseline_signal: np.ndarray
    horizon: float
    fit: ITSFit


def assess(periods: pd.Series, values: np.ndarray, start: date, expected: str,
           settings: EffectSettings = EffectSettings(), spc_func: Callable[..., Any] | None = None) -> _Assessment:
    """Verdicts for r series (``values`` of shape (n,) or (n, r)) sharing the months ``periods``.

    Enough points on both sides are the caller's business (``evaluate_effect`` checks them)."""
    values = np.asarray(values, float).reshape(len(periods), -1)
    periods = pd.Series(pd.to_datetime(np.asarray(periods)))
    sign = 1.0 if expected == "increase" else -1.0
    stamp = pd.Timestamp(start)
    after = (periods >= stamp).to_numpy()
    n_before, r = int((~after).sum()), values.shape[1]
    if settings.grain == "month":
        month = _month_numbers(periods)
        start_month = stamp.year * 12 + stamp.month - 1
    else:  # other grains: positions, no seasonal terms
        month = np.arange(len(periods))
        start_month = int(np.argmax(after)) if after.any() else len(periods)
    seasonal = settings.grain == "month" and n_before >= settings.seasonal_min_before and settings.harmonics > 0
    design = its_design(month, start_month, month % 12, settings.harmonics if seasonal else 0)
    lags = settings.hac_lags if settings.hac_lags is not None else newey_west_lags(len(periods))
    fit = fit_its(design, values, lags, seasonal)
    horizons = (month - start_month)[after]
    horizon = float(settings.horizon if settings.horizon is not None else horizons.mean())
    effect, se = fit.effect(horizon)
    t_crit = float(sps.t.ppf(1.0 - settings.alpha / 2.0, fit.df))
    ci_low, ci_high = effect - t_crit * se, effect + t_crit * se
    change = effect * sign
    # power of the one-sided half of the two-sided test against an effect of power_effect_sd
    # residual SDs (normal-shift approximation on the t scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        power = sps.t.sf(t_crit - settings.power_effect_sd * fit.sigma / se, fit.df)
    power = np.where(se > 0, power, 1.0)  # a noise-free fit would see any effect
    mde = (t_crit + float(sps.t.ppf(0.8, fit.df))) * se
    baseline_signal = (_baseline_signals(periods[~after], values[~after], expected, settings, spc_func)
                       if settings.baseline_check else np.zeros(r, bool))
    if settings.require_signal:
        improving, worsening = _post_signals(periods, values, n_before, stamp, expected, settings, spc_func)
    else:
        improving = worsening = np.ones(r, bool)
    verdict = np.where((change - t_crit * se > 0) & improving, "improved",
                       np.where((change + t_crit * se < 0) & worsening, "worsened",
                                np.where(power >= settings.low_power, "no change", "no change (low power)")))
    verdict = np.where(baseline_signal, "not assessable", verdict).astype(object)
    return _Assessment(verdict=verdict, change=change, effect=effect, se=se, ci_low=ci_low, ci_high=ci_high,
                       level_change=fit.beta[2], slope_change=fit.beta[3], power=power, mde=mde,
                       baseline_signal=baseline_signal, horizon=horizon, fit=fit)


def _long(periods: pd.Series, values: np.ndarray) -> pd.DataFrame:
    n, r = values.shape
    return pd.DataFrame({"period_start": np.tile(periods.to_numpy(), r), "value": values.T.reshape(-1),
                         "series": np.repeat(np.arange(r), n)})


def _post_signals(periods: pd.Series, values: np.ndarray, n_before: int, start: pd.Timestamp, expected: str,
                  settings: EffectSettings, spc_func: Callable[..., Any] | None) -> tuple[np.ndarray, np.ndarray]:
    """Per series: any improvement / concern special cause on limits frozen on the baseline whose
    run of flagged points begins on or after the start (Provost & Murray 2011)."""
    spc_func = spc_func or default_spc()
    r = values.shape[1]
    points = spc_func(_long(periods, values), x="period_start", y="value", by=["series"], chart=settings.chart,
                      improvement=expected, fix_after=n_before).points
    points = points.sort_values(["series", "x"], kind="stable")
    found = []
    for kind in ("special_cause_improvement", "special_cause_concern"):
        hits = _qualifying(points, start, kind, settings.run_lead)
        found.append(np.isin(np.arange(r), hits))
    return found[0], found[1]


def _qualifying(points: pd.DataFrame, start: pd.Timestamp, kind: str, lead: int) -> np.ndarray:
    """Series ids with a post-start point of ``kind`` in a run of such points that begins at most
    ``lead`` points before the start."""
    flagged = (points["point_type"] == kind).to_numpy()
    series = points["series"].to_numpy() if "series" in points else np.zeros(len(points), int)
    post = (pd.to_datetime(points["x"]) >= start).to_numpy()
    new_run = np.r_[True, (flagged[1:] != flagged[:-1]) | (series[1:] != series[:-1])]
    run_id = np.cumsum(new_run)
    pre_in_run = pd.Series(~post).groupby(run_id).transform("sum").to_numpy()
    return np.unique(series[flagged & post & (pre_in_run <= lead)])


def _baseline_signals(periods: pd.Series, values: np.ndarray, expected: str, settings: EffectSettings,
                      spc_func: Callable[..., Any] | None) -> np.ndarray:
    """Per series: does the pre-start baseline, on its own chart, show a special cause the expected way?"""
    spc_func = spc_func or default_spc()
    r = values.shape[1]
    result = spc_func(_long(periods, values), x="period_start", y="value", by=["series"], chart=settings.chart,
                      improvement=expected)
    points = result.points.sort_values(["series", "x"], kind="stable")
    from_end = points.groupby("series").cumcount(ascending=False)
    special = points["point_type"].isin(["special_cause_improvement", "special_cause_concern"])
    # the most recent special cause decides: a baseline that rose and then fell (an early
    # "improvement" shift above a centre pulled down by a later fall) is not already improving.
    # It must come from a sustained rule (shift, trend), or be within the last run_lead + 1
    # points: a lone point outside the limits a year earlier says nothing about a change under
    # way at the start (and would make about 1 ordinary baseline in 10 unassessable)
    latest = points[special].groupby("series").tail(1)
    ok = ((latest["point_type"] == "special_cause_improvement")
          & (latest["special_cause"].astype(str).isin(["shift", "trend"])
             | (from_end[latest.index] <= settings.run_lead)))
    return np.isin(np.arange(r), latest.loc[ok, "series"].unique())


def _is_proportion(indicator_id: str) -> bool:
    from wardwatch.indicators import INDICATORS

    indicator = INDICATORS.get(indicator_id)
    return getattr(indicator, "unit", None) == "proportion"


def default_spc() -> Callable[..., Any]:
    from wardwatch.stats.spc import spc

    return spc


def read_series(measures: pd.DataFrame | str | Path | Any, org_code: str, indicator_ids: list[str],
                grain: str = "month") -> pd.DataFrame:
    """Monthly measures of one trust for some indicators (all sites/units; filtered later).

    ``measures``: a DataFrame with the measures columns, a DuckDB warehouse path, or an Ibis backend."""
    columns = ["indicator_id", "org_code", "site_code", "unit_code", "period_start", "period_grain", "value"]
    if isinstance(measures, pd.DataFrame):
        frame = measures
        frame = frame[(frame["org_code"] == org_code) & frame["indicator_id"].isin(indicator_ids)
                      & (frame["period_grain"] == grain)]
        frame = frame.reindex(columns=columns)
    else:
        frame = _query_measures(measures, org_code, indicator_ids, grain, columns)
    frame = frame.copy()
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    return frame


def _query_measures(measures: Any, org_code: str, indicator_ids: list[str], grain: str,
                    columns: list[str]) -> pd.DataFrame:
    """Read from a DuckDB file, a duckdb connection, or an Ibis backend (DuckDB or Spark)."""
    import duckdb

    from wardwatch.warehouse import connect_raw

    sql = (f"SELECT {', '.join(columns)} FROM measures WHERE org_code = ? AND period_grain = ? "
           f"AND indicator_id IN ({', '.join('?' for _ in indicator_ids) or 'NULL'})")
    params = [org_code, grain, *indicator_ids]
    if isinstance(measures, (str, Path)):
        if not Path(measures).exists():
            raise InputError(f"{measures}: warehouse not found; run `wardwatch load` and compute measures first")
        with connect_raw(measures, read_only=True) as con:
            return _run(con, sql, params)
    raw = measures if isinstance(measures, duckdb.DuckDBPyConnection) else getattr(measures, "con", None)
    if isinstance(raw, duckdb.DuckDBPyConnection):
        return _run(raw, sql, params)
    table = measures.table("measures")  # another Ibis backend (e.g. PySpark): portable expression
    expr = table.filter([table.org_code == org_code, table.indicator_id.isin(indicator_ids),
                         table.period_grain == grain]).select(columns)
    return expr.to_pandas()


def _run(con: Any, sql: str, params: list) -> pd.DataFrame:
    import duckdb

    try:
        return con.execute(sql, params).df()
    except duckdb.CatalogException:
        raise InputError("the warehouse has no measures table; compute measures first") from None


def _select(frame: pd.DataFrame, link: IndicatorLink) -> pd.DataFrame:
    rows = frame[frame["indicator_id"] == link.indicator_id]
    site = rows["site_code"].isna() if link.site_code is None else rows["site_code"] == link.site_code
    unit = rows["unit_code"].isna() if link.unit_code is None else rows["unit_code"] == link.unit_code
    chosen = rows[site & unit]
    if chosen.empty and link.site_code is None and link.unit_code is None:
        # no whole-trust series: use the only site-level series if there is exactly one
        site_level = rows[rows["unit_code"].isna() & rows["site_code"].notna()]
        if site_level["site_code"].nunique() == 1:
            chosen = site_level
    chosen = chosen.dropna(subset=["value"]).sort_values("period_start")
    return chosen.drop_duplicates("period_start", keep="last")[["period_start", "value"]].reset_index(drop=True)


def _post_signal_points(points: pd.DataFrame, start: pd.Timestamp, point_type: str, lead: int) -> int:
    """Post-start points of ``point_type`` in a run of such points that begins at most ``lead`` points
    before the start."""
    flagged = (points["point_type"] == point_type).to_numpy()
    post = (pd.to_datetime(points["x"]) >= start).to_numpy()
    run_id = np.cumsum(np.r_[True, flagged[1:] != flagged[:-1]])
    pre_in_run = pd.Series(~post).groupby(run_id).transform("sum").to_numpy()
    return int((flagged & post & (pre_in_run <= lead)).sum())


def evaluate_effect(series: pd.DataFrame, action: Action, link: IndicatorLink,
                    settings: EffectSettings = EffectSettings(),
                    spc_func: Callable[..., Any] | None = None,
                    comparator: pd.DataFrame | None = None, comparator_name: str | None = None) -> Effect:
    """Effect of ``action`` on one series (columns ``period_start``, ``value``); rules in the module doc.

    ``comparator``: the same indicator for a peer or the nation (same columns); the model is then
    fitted to the difference focal - comparator on the periods both have (controlled ITS)."""
    spc_func = spc_func or default_spc()
    start = pd.Timestamp(action.start)
    base = {"action_id": action.id, "title": action.title, "indicator_id": link.indicator_id,
            "expected": link.expected, "start": action.start}
    data = _clean(series)
    if comparator is not None:
        base["comparator"] = comparator_name or "comparator"
        other = _clean(comparator).rename(columns={"value": "comparator"})
        data = data.merge(other, on="period_start", how="inner")
        data["value"] = data["value"] - data["comparator"]
        data = data[["period_start", "value"]]
    if settings.max_points_before is not None:
        first_kept = max(int((data["period_start"] < start).sum()) - settings.max_points_before, 0)
        data = data.iloc[first_kept:].reset_index(drop=True)
    after = data["period_start"] >= start
    n_after, n_before = int(after.sum()), int((~after).sum())
    if data.empty:
        return Effect(**base, verdict="no data", reason=f"no {settings.grain}ly series for {link.indicator_id}"
                      + (" (with the comparator)" if comparator is not None else ""))
    if n_before < settings.min_points_before:
        return Effect(**base, verdict="no data", n_before=n_before, n_after=n_after,
                      reason=f"only {n_before} points before the start (need {settings.min_points_before})")
    if n_after < settings.min_points_after:
        return Effect(**base, verdict="too early", n_before=n_before, n_after=n_after,
                      reason=f"only {n_after} points since the start (need {settings.min_points_after})")
    common = {"x": "period_start", "y": "value", "chart": settings.chart, "improvement": link.expected}
    frozen = spc_func(data, **common, fix_after=n_before)
    rebased = spc_func(data, **common, rebase=[start])
    k_imp = _post_signal_points(frozen.points, start, "special_cause_improvement", settings.run_lead)
    k_con = _post_signal_points(frozen.points, start, "special_cause_concern", settings.run_lead)

    a = assess(data["period_start"], data["value"].to_numpy(float), action.start, link.expected, settings, spc_func)
    verdict = str(a.verdict[0])
    level_before = float(data.loc[~after, "value"].mean())
    centre_after = float(data.loc[after, "value"].mean())
    fmt = "{:.3g}".format
    pct = f"{100 * (1 - settings.alpha):g}%"
    model = ("trend" + (" + season" if a.fit.seasonal else "")
             + (f", difference from {base['comparator']}" if comparator is not None else ""))
    detail = (f"effect {a.horizon:.3g} months after the start {fmt(a.effect[0])} ({pct} CI {fmt(a.ci_low[0])} "
              f"to {fmt(a.ci_high[0])}; level change {fmt(a.level_change[0])}, slope change "
              f"{fmt(a.slope_change[0])}/month; segmented regression on {model}, HAC SE); "
              f"power {a.power[0]:.0%} for a {settings.power_effect_sd:g}-SD step "
              f"(SD {fmt(a.fit.sigma[0])}; 80% power needs {fmt(a.mde[0])}); "
              f"{k_imp} improvement / {k_con} concern special-cause points from the start on "
              f"limits frozen on the baseline")
    if verdict == "not assessable":
        detail = "the baseline already shows special-cause improvement before the start; " + detail
    elif verdict == "no change (low power)":
        detail = "low power: a real effect may have been missed; " + detail
    return Effect(**base, verdict=verdict, reason=detail, n_before=n_before, n_after=n_after,
                  centre_before=level_before, centre_after=centre_after, change=float(a.change[0]),
                  se=float(a.se[0]), horizon=a.horizon, effect=float(a.effect[0]), ci_low=float(a.ci_low[0]),
                  ci_high=float(a.ci_high[0]), level_change=float(a.level_change[0]),
                  slope_change=float(a.slope_change[0]), power=float(a.power[0]), mde=float(a.mde[0]),
                  seasonal=a.fit.seasonal, improvement_points=k_imp, concern_points=k_con,
                  unrebased=frozen, rebased=rebased)


def _clean(series: pd.DataFrame) -> pd.DataFrame:
    data = series[["period_start", "value"]].copy()
    data["period_start"] = pd.to_datetime(data["period_start"])
    return data.dropna(subset=["value"]).sort_values("period_start").reset_index(drop=True)


def evaluate_plan(plan: ActionPlan, measures: pd.DataFrame | str | Path | Any, *,
                  settings: EffectSettings | None = None, spc_func: Callable[..., Any] | None = None,
                  org_code: str | None = None, as_of: date | None = None,
                  comparator: str | None = None) -> PlanEffects:
    """Effect of every action of ``plan`` on every linked indicator (module doc for the rules).

    ``measures``: DataFrame, DuckDB warehouse path or Ibis backend; ``as_of``: ignore periods
    starting after this date (evaluate the plan as it stood then); ``comparator``: org code of a
    peer trust or the national series in ``measures`` (controlled ITS on the difference)."""
    settings = settings or EffectSettings()
    org = org_code or plan.org_code
    ids = sorted({link.indicator_id for a in plan.actions for link in a.indicators})
    frame = read_series(measures, org, ids, settings.grain)
    other = read_series(measures, comparator, ids, settings.grain) if comparator else None
    if as_of is not None:
        frame = frame[frame["period_start"] <= pd.Timestamp(as_of)]
        other = other[other["period_start"] <= pd.Timestamp(as_of)] if other is not None else None
    effects = []
    for action in plan.actions:
        for link in action.indicators:
            ref = _comparator_series(other, link) if other is not None else None
            if other is not None and ref.empty:
                raise InputError(f"comparator {comparator} has no {settings.grain}ly {link.indicator_id} series "
                                 f"in the measures; choose an organisation that reports it")
            effects.append(evaluate_effect(_select(frame, link), action, link, settings, spc_func,
                                           comparator=ref, comparator_name=comparator))
    return PlanEffects(tuple(effects), settings)


def _comparator_series(frame: pd.DataFrame, link: IndicatorLink) -> pd.DataFrame:
    # a peer has its own sites and units: compare like with like only when the link names none,
    # else fall back to the peer's whole-trust series
    chosen = _select(frame, link)
    if chosen.empty and (link.site_code or link.unit_code):
        chosen = _select(frame, IndicatorLink(link.indicator_id, link.expected))
    return chosen
