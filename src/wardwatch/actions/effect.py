"""Did an action work? Effect of each action on each linked indicator, by SPC.

For every action and every linked indicator the focal trust's monthly series is read from the
``measures`` table (whole trust: ``site_code`` and ``unit_code`` NULL unless the link names a
site or unit) and charted twice with ``wardwatch.stats.spc.spc`` (XmR by default, Making Data
Count; docs/methods.md 2.1–2.4), with ``improvement`` = the action's expected direction:

1. *unrebased*: one set of limits over the whole series;
2. *rebased* at the action start (methods 2.4): the pre-start segment and the post-start segment
   get their own centre lines and limits.

Definitions (``EffectSettings``; post-start points are those with ``period_start >= start``):
- **too early**: fewer than ``min_points_after`` (default 7, the length of the MDC shift rule)
  post-start points;
- **no data**: the series is missing or has fewer than ``min_points_before`` (default 6) pre-start points;
- the series is cut to at most ``max_points_before`` (default 24) points before the start:
  MDC advice is to keep baselines to 2–3 years so they stay relevant (methods 2.4);
- **improved**: at least ``min_signal_points`` (default 1) post-start points are labelled
  ``special_cause_improvement`` in the unrebased chart (outside limits, trend, two-in-three or a
  shift on the improving side), more than are labelled ``special_cause_concern``, AND the rebased
  post-start centre moved in the expected direction, relative to the level just before the start
  (the mean of the last ``baseline_points`` (default 6) pre-start values), by more than ``z``
  (default 2) standard errors of the difference of two means, with the process sigma of the
  rebased pre-start segment: ``d = (centre_post - level_before) * sign``,
  ``se = sigma_pre * sqrt(1/k + 1/n_post)`` with k the baseline points,
  ``sigma_pre = (UPL_pre - centre_pre) / 3``. The first condition is the MDC signal; the second
  makes sure the signal is a move of the level at the start, not one point, nor a drift or trend
  that began before the action (the unrebased chart credits such a drift to whatever started
  later; comparing with the level just before the start does not).
- **worsened**: the mirror image (concern signals and d < -z * se);
- **no change**: otherwise.

The spc function is injected (``spc_func``) so the rule can be tested on hand-built results; by
default it is ``wardwatch.stats.spc.spc``.
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

from wardwatch.actions.model import Action, ActionPlan, IndicatorLink
from wardwatch.errors import InputError

VERDICTS = ("improved", "worsened", "no change", "too early", "no data")
EFFECT_COLUMNS = ["action_id", "title", "indicator_id", "expected", "start", "verdict", "n_before", "n_after",
                  "centre_before", "centre_after", "change", "se", "z", "improvement_points", "concern_points",
                  "reason"]


@dataclass(frozen=True)
class EffectSettings:
    # the MDC shift rule needs 7 consecutive points (methods 2.2): with fewer after the start a
    # sustained step may not show yet, so no verdict is given
    min_points_after: int = 7
    min_points_before: int = 6
    min_signal_points: int = 1
    z: float = 2.0
    baseline_points: int | None = 6  # None: compare with the whole pre-start segment's centre
    max_points_before: int | None = 24
    chart: str = "xmr"
    grain: str = "month"


@dataclass(frozen=True)
class Effect:
    """Effect of one action on one indicator, with both SPC results kept for drawing."""

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
    improvement_points: int = 0
    concern_points: int = 0
    unrebased: Any = field(default=None, repr=False)
    rebased: Any = field(default=None, repr=False)

    def row(self) -> dict:
        z = self.change / self.se if self.se and not math.isnan(self.se) and self.se > 0 else math.nan
        return {"action_id": self.action_id, "title": self.title, "indicator_id": self.indicator_id,
                "expected": self.expected, "start": self.start, "verdict": self.verdict, "n_before": self.n_before,
                "n_after": self.n_after, "centre_before": self.centre_before, "centre_after": self.centre_after,
                "change": self.change, "se": self.se, "z": z, "improvement_points": self.improvement_points,
                "concern_points": self.concern_points, "reason": self.reason}

    def plot(self, rebased: bool = True, title: str | None = None) -> str:
        """SVG of the (rebased) chart annotated at the action start date."""
        result = self.rebased if rebased else self.unrebased
        if result is None or not hasattr(result, "plot"):
            raise InputError(f"no chart for action {self.action_id} / {self.indicator_id}: {self.reason}")
        kwargs = {"annotations": [(self.start, self.title)],
                  "title": title or f"{self.indicator_id}: {self.title} ({self.verdict})"}
        if _is_proportion(self.indicator_id):
            try:
                return result.plot(**kwargs, value_format="percent")
            except TypeError:  # a result whose plot has no value_format
                pass
        return result.plot(**kwargs)


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


def _is_proportion(indicator_id: str) -> bool:
    try:
        from wardwatch.indicators import INDICATORS
    except ImportError:
        return False
    indicator = INDICATORS.get(indicator_id)
    return getattr(indicator, "unit", None) == "proportion"


def default_spc() -> Callable[..., Any]:
    try:
        from wardwatch.stats.spc import spc
    except ImportError as exc:  # pragma: no cover - only while the SPC module is missing
        raise InputError(f"the SPC module is not available ({exc}); pass spc_func") from None
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


def evaluate_effect(series: pd.DataFrame, action: Action, link: IndicatorLink,
                    settings: EffectSettings = EffectSettings(),
                    spc_func: Callable[..., Any] | None = None) -> Effect:
    """Effect of ``action`` on one series (columns ``period_start``, ``value``); rules in the module doc."""
    spc_func = spc_func or default_spc()
    start = pd.Timestamp(action.start)
    base = {"action_id": action.id, "title": action.title, "indicator_id": link.indicator_id,
            "expected": link.expected, "start": action.start}
    data = series[["period_start", "value"]].copy()
    data["period_start"] = pd.to_datetime(data["period_start"])
    data = data.sort_values("period_start").reset_index(drop=True)
    if settings.max_points_before is not None:
        first_kept = max(int((data["period_start"] < start).sum()) - settings.max_points_before, 0)
        data = data.iloc[first_kept:].reset_index(drop=True)
    after = data["period_start"] >= start
    n_after, n_before = int(after.sum()), int((~after).sum())
    if data.empty:
        return Effect(**base, verdict="no data", reason=f"no {settings.grain}ly series for {link.indicator_id}")
    if n_before < settings.min_points_before:
        return Effect(**base, verdict="no data", n_before=n_before, n_after=n_after,
                      reason=f"only {n_before} points before the start (need {settings.min_points_before})")
    if n_after < settings.min_points_after:
        return Effect(**base, verdict="too early", n_before=n_before, n_after=n_after,
                      reason=f"only {n_after} points since the start (need {settings.min_points_after})")
    sign = 1.0 if link.expected == "increase" else -1.0
    common = {"x": "period_start", "y": "value", "chart": settings.chart, "improvement": link.expected}
    unrebased = spc_func(data, **common)
    rebased = spc_func(data, **common, rebase=[start])

    points = unrebased.points
    post = pd.to_datetime(points["x"]) >= start
    k_imp = int((points.loc[post, "point_type"] == "special_cause_improvement").sum())
    k_con = int((points.loc[post, "point_type"] == "special_cause_concern").sum())

    rpoints = rebased.points
    rpost = (pd.to_datetime(rpoints["x"]) >= start).to_numpy()
    pre_seg = rpoints.loc[~rpost, "segment"]
    post_seg = rpoints.loc[rpost, "segment"]
    if pre_seg.nunique() != 1 or post_seg.nunique() != 1 or pre_seg.iloc[0] == post_seg.iloc[0]:
        raise InputError(f"spc did not rebase {link.indicator_id} at {action.start}: segments "
                         f"{sorted(set(rpoints['segment']))}")
    centre_pre = float(rpoints.loc[~rpost, "centre"].iloc[-1])
    upl_pre = float(rpoints.loc[~rpost, "upl"].iloc[-1])
    centre_post = float(rpoints.loc[rpost, "centre"].iloc[-1])
    sigma_pre = (upl_pre - centre_pre) / 3.0
    k = n_before if settings.baseline_points is None else min(settings.baseline_points, n_before)
    level_before = float(data.loc[~after, "value"].iloc[-k:].mean())
    change = (centre_post - level_before) * sign
    se = sigma_pre * math.sqrt(1.0 / k + 1.0 / n_after) if np.isfinite(sigma_pre) else math.nan
    moved = np.isfinite(se) and change > settings.z * se
    moved_wrong = np.isfinite(se) and change < -settings.z * se
    fmt = "{:.3g}".format
    detail = (f"{k_imp} improvement / {k_con} concern special-cause points after the start; level "
              f"{fmt(level_before)} (last {k} points before) → {fmt(centre_post)} (change {fmt(change)} in the expected direction, "
              f"{fmt(change / se) if se and np.isfinite(se) and se > 0 else 'n/a'} standard errors, need {settings.z:g})")
    if k_imp >= settings.min_signal_points and k_imp > k_con and moved:
        verdict = "improved"
    elif k_con >= settings.min_signal_points and k_con > k_imp and moved_wrong:
        verdict = "worsened"
    else:
        verdict = "no change"
    return Effect(**base, verdict=verdict, reason=detail, n_before=n_before, n_after=n_after,
                  centre_before=level_before, centre_after=centre_post, change=change, se=se,
                  improvement_points=k_imp, concern_points=k_con, unrebased=unrebased, rebased=rebased)


def evaluate_plan(plan: ActionPlan, measures: pd.DataFrame | str | Path | Any, *,
                  settings: EffectSettings | None = None, spc_func: Callable[..., Any] | None = None,
                  org_code: str | None = None, as_of: date | None = None) -> PlanEffects:
    """Effect of every action of ``plan`` on every linked indicator (module doc for the rules).

    ``measures``: DataFrame, DuckDB warehouse path or Ibis backend; ``as_of``: ignore periods
    starting after this date (evaluate the plan as it stood then)."""
    settings = settings or EffectSettings()
    org = org_code or plan.org_code
    ids = sorted({link.indicator_id for a in plan.actions for link in a.indicators})
    frame = read_series(measures, org, ids, settings.grain)
    if as_of is not None:
        frame = frame[frame["period_start"] <= pd.Timestamp(as_of)]
    effects = []
    for action in plan.actions:
        for link in action.indicators:
            effects.append(evaluate_effect(_select(frame, link), action, link, settings, spc_func))
    return PlanEffects(tuple(effects), settings)
