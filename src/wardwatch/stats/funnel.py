"""Funnel plots with overdispersion (Spiegelhalter 2005; Spiegelhalter et al. 2012; NHS Digital SHMI).

Method reference: ``docs/methods.md`` sections 3.1-3.3. In brief, for unit i with numerator y_i
and denominator n_i (for a standardised ratio: observed O_i and expected E_i):

- transform (docs/methods.md 3.1): proportions ``Y = asin(sqrt(y/n))``, ``s = 1/(2 sqrt(n))``, target
  ``asin(sqrt(sum y / sum n))``; standardised ratios, SHMI method ``Y = ln(O/E)``, ``s = 1/sqrt(E)``,
  target 0; Spiegelhalter/CQC method ``Y = sqrt(O/E)``, ``s = 1/(2 sqrt(E))``, target 1; ratios of
  counts ``Y = ln((y+0.5)/(n+0.5))``, ``s = sqrt(y/(y+0.5)^2 + n/(n+0.5)^2)``, target ln(sum y/sum n).
  ``z = (Y - target)/s``.
- trim (docs/methods.md 3.2): Spiegelhalter/CQC winsorise z at the ``trim`` and ``1 - trim`` quantiles
  (R quantile type 7, i.e. linear interpolation); SHMI truncates: ``rank`` (ties averaged),
  ``sp = floor(rank k/(N+1))`` with ``k = 1/trim`` and keeps ``0 < sp < k-1``.
- ``phi = (1/n) sum z_w^2`` over the n winsorised/retained z; additive
  ``tau2 = max(0, (n phi - (n-1)) / (sum w - sum w^2/sum w))``, ``w = 1/s^2``, and 0 when
  ``n phi < n - 1``.
- limits at denominator n: additive ``back(target ± z sqrt(s(n)^2 + tau2))``, multiplicative
  ``back(target ± z sqrt(phi) s(n))``; z = 1.959964 (95%) and 3.090232 (99.8%).
- unadjusted limits: exact. ``style="spiegelhalter"`` (default): binomial (proportions) or
  Poisson (ratios) quantiles with Spiegelhalter's interpolation (2005, appendix). ``style=
  "funnelplotr"``: FunnelPlotR 0.3.9999 exactly, which uses the chi-square Poisson form
  ``target qchisq(a, 2n)/(2n)``, ``target qchisq(1-a, 2(n+1))/(2n)`` for proportions too.

``style="funnelplotr"`` reproduces that package to the last digit (golden tests), including three
behaviours this project considers wrong and corrects in the default style:
(1) Poisson rather than binomial unadjusted limits for proportions; (2) the CQC square-root
method's adjusted limits are not squared back to the ratio scale (``1 ± z sqrt(s^2+tau2)``);
(3) proportion limits are not clipped when ``asin(sqrt(p0)) ± ...`` leaves [0, pi/2], so an upper
limit can fold back below the target. SHMI method: expected counts are rounded to 2 dp first
(as FunnelPlotR and NHS Digital publish them) in both styles. SHMI truncation always truncates a
unit with no deaths (z = -inf), whatever its averaged rank; see :func:`truncate`.

SHMI banding (docs/methods.md 3.3): "higher than expected" above the 95% (adjusted) upper limit, "lower
than expected" below the 95% lower limit, otherwise "as expected".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from wardwatch.errors import InputError
from wardwatch.stats.exact import (
    Z95,
    Z998,
    interpolated_quantile_limits,
    poisson_ratio_limits_chisq,
)

FunnelType = Literal["PR", "SR", "RC"]
Method = Literal["spiegelhalter", "shmi"]
Overdispersion = Literal["additive", "multiplicative", "none"]
Style = Literal["spiegelhalter", "funnelplotr"]

BAND_HIGH = "higher than expected"
BAND_AS = "as expected"
BAND_LOW = "lower than expected"

_LEVELS = (("95", Z95, 0.025, 0.975), ("998", Z998, 0.001, 0.999))


@dataclass(frozen=True, eq=False)
class FunnelResult:
    """Result of :func:`funnel`.

    ``units``: one row per group (see :func:`funnel` for columns); ``limits``: smooth limit
    lines for drawing (``denominator, ll95, ul95, ll998, ul998`` final limits, plus ``s``,
    ``*_unadj`` and ``*_od`` variants).
    """

    units: pd.DataFrame
    limits: pd.DataFrame
    type: str
    method: str
    od: str
    trim: float
    style: str
    target: float
    phi: float
    tau2: float
    n_used: int
    od_adjusted: bool

    def to_frame(self) -> pd.DataFrame:
        return self.units.copy()


# ---------------------------------------------------------------------------------------------
# transforms


def _transform(num: np.ndarray, den: np.ndarray, ftype: str, method: str, target: float
               ) -> tuple[np.ndarray, np.ndarray, float]:
    """Return (Y, s, target on the transformed scale) per docs/methods.md 3.1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if ftype == "PR":
            return np.arcsin(np.sqrt(num / den)), 1.0 / (2.0 * np.sqrt(den)), float(np.arcsin(np.sqrt(target)))
        if ftype == "SR":
            if method == "shmi":
                return np.log(num / den), 1.0 / np.sqrt(den), float(np.log(target))
            return np.sqrt(num / den), 1.0 / (2.0 * np.sqrt(den)), float(np.sqrt(target))
        y = np.log((num + 0.5) / (den + 0.5))
        s = np.sqrt(num / (num + 0.5) ** 2 + den / (den + 0.5) ** 2)
        return y, s, float(np.log(target))


def _s_at(n: np.ndarray, ftype: str, method: str, style: str, target: float) -> np.ndarray:
    """Within-unit standard error on the transformed scale at denominator n (for limit lines)."""
    n = np.asarray(n, dtype=float)
    if ftype == "SR" and method == "shmi":
        return 1.0 / np.sqrt(n)
    if ftype == "RC" and style != "funnelplotr":
        # delta method for ln(y/n) with y ~ Poisson(target n), n ~ Poisson(n)
        return np.sqrt(1.0 / (target * n) + 1.0 / n)
    return 1.0 / (2.0 * np.sqrt(n))


def _back(x: np.ndarray, ftype: str, method: str, style: str) -> np.ndarray:
    """Back-transform a limit from the transformed scale to the value scale."""
    if ftype == "PR":
        if style == "funnelplotr":
            return np.sin(x) ** 2
        return np.sin(np.clip(x, 0.0, np.pi / 2.0)) ** 2
    if ftype == "SR" and method != "shmi":
        if style == "funnelplotr":
            return x  # FunnelPlotR compares O/E with 1 ± z sd on the root scale (not squared)
        return np.maximum(x, 0.0) ** 2
    return np.exp(x)


# ---------------------------------------------------------------------------------------------
# overdispersion


def winsorise(z: np.ndarray, trim: float) -> tuple[np.ndarray, np.ndarray]:
    """Winsorise z at its ``trim`` and ``1-trim`` quantiles (type 7). Returns (z_w, flagged).

    ``flagged`` is True where z is not strictly inside the two quantiles (FunnelPlotR's
    ``winsorised`` flag, which also marks the units sitting exactly on a quantile).
    """
    finite = np.isfinite(z)
    lz, uz = np.quantile(z[finite], [trim, 1.0 - trim])
    z_w = np.clip(z, lz, uz)
    flagged = ~((z > lz) & (z < uz))
    return z_w, flagged


def truncate(z: np.ndarray, trim: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SHMI truncation. Returns (z_w with NaN where dropped, dropped flag, rank, sp).

    Ranks and ``sp`` are computed over all units, as FunnelPlotR does (a unit with no deaths has
    ``z = ln(0) = -inf`` and ranks lowest, ties averaged). A unit whose z is not finite is then
    always counted as truncated, even when its averaged rank lands inside ``0 < sp < k-1``
    (several zero-death units): its z cannot enter phi, so it must not be reported as retained
    either, and ``n_used`` = the number of units not truncated. (FunnelPlotR keeps such a unit
    and its -inf makes phi infinite.)
    """
    k = 1.0 / trim
    rank = stats.rankdata(z, method="average")
    sp = np.floor(rank * k / (len(z) + 1))
    dropped = ~((sp > 0) & (sp < k - 1)) | ~np.isfinite(z)
    z_w = np.where(dropped, np.nan, z)
    return z_w, dropped, rank, sp


def dispersion(z_w: np.ndarray, s: np.ndarray) -> tuple[float, float, int]:
    """(phi, tau2, n) from the winsorised/retained z-scores and their s (NaN z = not used)."""
    use = np.isfinite(z_w)
    n = int(use.sum())
    if n == 0:
        return float("nan"), 0.0, 0
    phi = float(np.sum(z_w[use] ** 2) / n)
    if n * phi < n - 1:
        return phi, 0.0, n
    w = 1.0 / s[use] ** 2
    denom = w.sum() - (w ** 2).sum() / w.sum()
    if denom <= 0:
        return phi, 0.0, n
    return phi, max(0.0, (n * phi - (n - 1)) / denom), n


# ---------------------------------------------------------------------------------------------
# limits


def _unadjusted(n: np.ndarray, ftype: str, method: str, style: str, target: float,
                unadjusted: str) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for tag, z, lo_p, hi_p in _LEVELS:
        if unadjusted == "normal" or ftype == "RC":
            s = _s_at(n, ftype, method, style, target)
            _, _, tt = _transform(np.array([1.0]), np.array([1.0]), ftype, method, target)
            out[f"ll{tag}"] = _back(tt - z * s, ftype, method, style)
            out[f"ul{tag}"] = _back(tt + z * s, ftype, method, style)
        elif style == "funnelplotr":
            out[f"ll{tag}"] = target * poisson_ratio_limits_chisq(n, lo_p)
            out[f"ul{tag}"] = target * poisson_ratio_limits_chisq(n, hi_p)
        else:
            family = "binomial" if ftype == "PR" else "poisson"
            out[f"ll{tag}"] = count_quantile_limits(n, target, lo_p, family)
            out[f"ul{tag}"] = count_quantile_limits(n, target, hi_p, family)
    return out


# Beyond this variance of the count, exact quantiles are pointless and unsafe: the discreteness
# they capture is under sd * 1e-4 of a limit's place (the Cornish-Fisher remainder below is of
# order 1/sd counts), while scipy's binom.ppf/poisson.ppf loop without end or return NaN once
# counts near 2**53 (issue 12: denominators of 1e16 hung `wardwatch funnel`).
NORMAL_FROM_VARIANCE = 1e8


def count_quantile_limits(denominator: np.ndarray, target: float, prob: float, family: str) -> np.ndarray:
    """Spiegelhalter's interpolated exact limit, or its normal approximation for huge counts.

    Where the count's variance exceeds ``NORMAL_FROM_VARIANCE`` the limit is the continuity-
    corrected normal quantile with the first Cornish-Fisher (skewness) term, which is what the
    interpolated discrete quantile r_p - alpha tends to: (mu + sd (z + g (z^2 - 1) / 6) - 0.5) / n.
    """
    n = np.asarray(denominator, dtype=float)
    if family == "binomial":
        scale = np.maximum(np.rint(n), 1.0)
        mean, variance = scale * target, scale * target * (1.0 - target)
        skew_numerator = 1.0 - 2.0 * target
    else:
        scale = n
        mean = variance = target * n
        skew_numerator = 1.0
    large = variance > NORMAL_FROM_VARIANCE
    out = np.empty_like(n)
    if (~large).any():
        out[~large] = interpolated_quantile_limits(n[~large], target, prob, family)
    if large.any():
        sd = np.sqrt(variance[large])
        z = stats.norm.ppf(prob)
        count = mean[large] + sd * (z + skew_numerator / sd * (z * z - 1.0) / 6.0) - 0.5
        limit = np.maximum(count / scale[large], 0.0)
        out[large] = np.minimum(limit, 1.0) if family == "binomial" else limit
    return out


def _adjusted(n: np.ndarray, ftype: str, method: str, style: str, target: float, od: str,
              phi: float, tau2: float) -> dict[str, np.ndarray]:
    s = _s_at(n, ftype, method, style, target)
    _, _, tt = _transform(np.array([1.0]), np.array([1.0]), ftype, method, target)
    sd = np.sqrt(phi) * s if od == "multiplicative" else np.sqrt(s ** 2 + tau2)
    out: dict[str, np.ndarray] = {}
    for tag, z, _, _ in _LEVELS:
        out[f"ll{tag}"] = _back(tt - z * sd, ftype, method, style)
        out[f"ul{tag}"] = _back(tt + z * sd, ftype, method, style)
    return out


def _limit_grid(den: np.ndarray, ftype: str, style: str, points: int) -> np.ndarray:
    if style == "funnelplotr":
        start = 1.1 if ftype == "SR" else 3.0
        return np.linspace(start, float(np.ceil(den.max())), 1000)
    lo = max(1.0, 0.5 * float(den.min()))
    grid = np.geomspace(lo, 1.05 * float(den.max()), points)
    return np.unique(np.concatenate([grid, den]))


# ---------------------------------------------------------------------------------------------


def funnel(
    data: pd.DataFrame,
    group: str,
    numerator: str,
    denominator: str,
    type: FunnelType = "PR",
    method: Method = "spiegelhalter",
    od: Overdispersion = "additive",
    trim: float = 0.1,
    *,
    target: float | None = None,
    style: Style = "spiegelhalter",
    unadjusted: Literal["exact", "normal"] = "exact",
    limit_points: int = 400,
) -> FunnelResult:
    """Funnel plot of ``numerator/denominator`` by ``group`` with overdispersion (docs/methods.md 3).

    ``type``: "PR" proportion, "SR" standardised ratio O/E (denominator = expected),
    "RC" ratio of counts. ``method``: "spiegelhalter" (CQC: square-root transform for SR,
    winsorising) or "shmi" (NHS Digital: log transform for SR, truncation, E rounded to 2 dp).
    ``od``: "additive" (tau2, random effects), "multiplicative" (phi) or "none".
    ``style``: "spiegelhalter" (default, see module docstring) or "funnelplotr" (reproduces
    FunnelPlotR 0.3.9999 exactly).

    Returns units with columns ``group, numerator, denominator, value, target, ll95, ul95, ll998,
    ul998`` (overdispersion-adjusted when adjustment is on and overdispersion was found),
    ``ll95_unadj, ul95_unadj, ll998_unadj, ul998_unadj`` (exact), ``ll95_od ... ul998_od``,
    ``Y, s, z, z_trimmed, trimmed, rank, sp, outlier95, outlier998, outlier`` ("high", "low" or
    "none" at 99.8%), ``band`` (SHMI banding at 95%), ``phi, tau2, od_adjusted``.
    """
    ftype = str(type).upper()
    method = str(method).lower()  # type: ignore[assignment]
    if ftype not in ("PR", "SR", "RC"):
        raise InputError(f"funnel type must be PR, SR or RC, not {type!r}")
    if method not in ("spiegelhalter", "shmi", "cqc"):
        raise InputError(f"funnel method must be 'spiegelhalter' or 'shmi', not {method!r}")
    if method == "cqc":
        method = "spiegelhalter"  # type: ignore[assignment]
    if od not in ("additive", "multiplicative", "none"):
        raise InputError(f"overdispersion must be additive, multiplicative or none, not {od!r}")
    if not 0 < trim < 0.5:
        raise InputError(f"trim must be between 0 and 0.5 (e.g. 0.1), not {trim}")
    for col in (group, numerator, denominator):
        if col not in data.columns:
            raise InputError(
                f"column {col!r} not found; available columns: {', '.join(map(str, data.columns))}")

    agg = (
        pd.DataFrame({
            "group": data[group].astype(str),
            "numerator": pd.to_numeric(data[numerator], errors="coerce").astype(float),
            "denominator": pd.to_numeric(data[denominator], errors="coerce").astype(float),
        })
        .groupby("group", sort=True, as_index=False)
        .sum(min_count=1)
    )
    bad = agg["numerator"].isna() | agg["denominator"].isna()
    if bad.any():
        raise InputError(f"missing or non-numeric {numerator}/{denominator} for group(s) "
                         f"{', '.join(agg.loc[bad, 'group'].head(5))}; fill or remove those rows")
    huge = ~np.isfinite(agg["numerator"]) | ~np.isfinite(agg["denominator"])
    with np.errstate(over="ignore"):  # an overflowing total is the error reported here
        totals_finite = np.isfinite(agg["denominator"].sum()) and np.isfinite(agg["numerator"].sum())
    if huge.any() or not totals_finite:
        g = agg.loc[huge, "group"].head(5) if huge.any() else agg["group"].head(5)
        raise InputError(f"{numerator}/{denominator} must be finite numbers (no inf, none near 1e308); "
                         f"check group(s) {', '.join(g)}")
    # the value is O/E on the unrounded expected count; the SHMI method rounds E to 2 dp for the
    # transform, z-scores and limits (as FunnelPlotR does and NHS Digital publishes E)
    value = (agg["numerator"] / agg["denominator"]).to_numpy()
    if ftype == "SR" and method == "shmi":
        agg["denominator"] = agg["denominator"].round(2)
    if (agg["denominator"] <= 0).any() or (agg["numerator"] < 0).any():
        g = agg.loc[(agg["denominator"] <= 0) | (agg["numerator"] < 0), "group"].head(5)
        raise InputError(f"denominators must be > 0 and numerators >= 0; check group(s) {', '.join(g)}")
    if ftype == "PR" and (agg["numerator"] > agg["denominator"]).any():
        g = agg.loc[agg["numerator"] > agg["denominator"], "group"].head(5)
        raise InputError(f"a proportion's numerator exceeds its denominator for group(s) {', '.join(g)}")
    if len(agg) < 3:
        raise InputError(f"a funnel plot needs at least 3 groups; found {len(agg)}")

    num = agg["numerator"].to_numpy()
    den = agg["denominator"].to_numpy()
    if target is None:
        target = 1.0 if ftype == "SR" else float(num.sum() / den.sum())
    y_t, s, tt = _transform(num, den, ftype, method, target)
    z = (y_t - tt) / s

    rank = np.full(len(z), np.nan)
    sp = np.full(len(z), np.nan)
    if method == "shmi":
        z_w, trimmed, rank, sp = truncate(z, trim)
    else:
        z_w, trimmed = winsorise(z, trim)
    phi, tau2, n_used = dispersion(z_w, s)

    if od == "additive":
        od_adjusted = tau2 > 0
    elif od == "multiplicative":
        od_adjusted = bool(n_used * phi > n_used - 1)
    else:
        od_adjusted = False

    unadj = _unadjusted(den, ftype, method, style, target, unadjusted)
    adj = _adjusted(den, ftype, method, style, target, od if od != "none" else "additive", phi, tau2)
    final = adj if od_adjusted else unadj

    # columns gathered in one dict and framed once: assigning them one by one costs more than the
    # statistics for a small funnel (and a refresh draws hundreds)
    n_units = len(agg)
    no_od = np.full(n_units, np.nan)
    cols: dict[str, object] = {"value": value, "target": np.full(n_units, target)}
    for tag in ("95", "998"):
        cols[f"ll{tag}"], cols[f"ul{tag}"] = final[f"ll{tag}"], final[f"ul{tag}"]
    for tag in ("95", "998"):
        cols[f"ll{tag}_unadj"], cols[f"ul{tag}_unadj"] = unadj[f"ll{tag}"], unadj[f"ul{tag}"]
    for tag in ("95", "998"):
        cols[f"ll{tag}_od"] = adj[f"ll{tag}"] if od != "none" else no_od
        cols[f"ul{tag}_od"] = adj[f"ul{tag}"] if od != "none" else no_od
    cols.update({"target_transformed": np.full(n_units, tt), "Y": y_t, "s": s, "z": z, "z_trimmed": z_w,
                 "trimmed": trimmed, "rank": rank, "sp": sp})
    ll95, ul95 = np.asarray(cols["ll95"]), np.asarray(cols["ul95"])
    ll998, ul998 = np.asarray(cols["ll998"]), np.asarray(cols["ul998"])
    cols["outlier95"] = (value < ll95) | (value > ul95)
    cols["outlier998"] = (value < ll998) | (value > ul998)
    cols["outlier"] = np.where(value > ul998, "high", np.where(value < ll998, "low", "none"))
    cols["band"] = np.where(value > ul95, BAND_HIGH, np.where(value < ll95, BAND_LOW, BAND_AS))
    cols.update({"phi": np.full(n_units, phi), "tau2": np.full(n_units, tau2),
                 "od_adjusted": np.full(n_units, od_adjusted)})
    units = pd.concat([agg.reset_index(drop=True), pd.DataFrame(cols)], axis=1)

    grid = _limit_grid(den, ftype, style, limit_points)
    g_unadj = _unadjusted(grid, ftype, method, style, target, unadjusted)
    g_adj = _adjusted(grid, ftype, method, style, target, od if od != "none" else "additive", phi, tau2)
    g_final = g_adj if od_adjusted else g_unadj
    no_od = np.full(len(grid), np.nan)
    grid_cols: dict[str, object] = {"denominator": grid, "s": _s_at(grid, ftype, method, style, target)}
    for tag in ("95", "998"):
        grid_cols[f"ll{tag}"], grid_cols[f"ul{tag}"] = g_final[f"ll{tag}"], g_final[f"ul{tag}"]
    for tag in ("95", "998"):
        grid_cols[f"ll{tag}_unadj"], grid_cols[f"ul{tag}_unadj"] = g_unadj[f"ll{tag}"], g_unadj[f"ul{tag}"]
    for tag in ("95", "998"):
        grid_cols[f"ll{tag}_od"] = g_adj[f"ll{tag}"] if od != "none" else no_od
        grid_cols[f"ul{tag}_od"] = g_adj[f"ul{tag}"] if od != "none" else no_od
    grid_cols["target"] = np.full(len(grid), target)
    limits = pd.DataFrame(grid_cols)

    return FunnelResult(units=units, limits=limits, type=ftype, method=method, od=od, trim=trim,
                        style=style, target=target, phi=phi, tau2=tau2, n_used=n_used,
                        od_adjusted=bool(od_adjusted))
