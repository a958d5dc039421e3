"""Monte Carlo figures for g and t charts: false alarms in control and power for a doubling.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/rare_event_charts.py [--series 20000]``

Prints the Markdown tables of docs/methods/rare-event-charts.md. Every figure is a proportion of
``--series`` simulated series (seeded NumPy ``default_rng``, so the same on any machine); its
Monte Carlo standard error is sqrt(r (1 - r) / series), at most 0.0035 for 20,000 series.

Designs (all series computed in one ``spc`` call on a long frame):

- in control: n gaps (g: geometric on {0, 1, ...} with mean ``mean``; t: exponential, mean 1;
  reference: normal data on an XmR chart), limits from all n points, MDC rules (``rules="mdc"``);
  a series false-alarms if any point has a special cause. The per-point rate of points outside
  the process limits is given too.
- doubling of the event rate: the first n/2 points in control are the baseline
  (``fix_after=n/2``); in the last n/2 the event rate is doubled (g: p -> 2p; t: mean time
  halved). Power = share of series with a "concern" point (``improvement="increase"``: longer
  gaps are better) among the last n/2 points. The same design without a change gives the
  false-alarm rate of that design.
- a cluster: as the doubling, but the event rate is five times the baseline rate from point n/2
  on; the share of series with a concern point by the 3rd point after the change, as the chart
  looks then (the series end there: a shift completed later would flag earlier points too). The
  short-gap rule needs 3 points, a shift 7.

``--centre-study`` instead compares two centre lines for the g chart's shift rule (probability
limits otherwise): the baseline median (wardwatch's choice) and the median of the fitted
geometric distribution, ln(0.5) / ln(1 - p-hat) (docs/methods.md 7.1), on geometric gaps (mean 20)
and on over-dispersed gaps (the event rate of each gap drawn from a gamma distribution with
mean 1 and shape 4, i.e. 50 % coefficient of variation).
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
import pandas as pd

import wardwatch.stats.spc as spc_module
from wardwatch.stats.rare_events import geometric_log_survival
from wardwatch.stats.spc import spc
from wardwatch.stats.spc_segments import segment_mean

RULES = ("outside_limits", "trend", "two_in_three", "shift", "short_gaps")


def long_frame(values: np.ndarray) -> pd.DataFrame:
    n_series, n_points = values.shape
    return pd.DataFrame(
        {
            "s": np.repeat(np.arange(n_series), n_points),
            "x": np.tile(np.arange(n_points), n_series),
            "y": values.ravel().astype(float),
        }
    )


def in_control(chart: str, values: np.ndarray, **options) -> dict[str, float]:
    points = spc(long_frame(values), "x", "y", by=["s"], chart=chart, **options).points
    series = points["s"].to_numpy()
    cause = points["special_cause"].to_numpy()
    out = {"any": float(pd.Series(cause != "none").groupby(series).any().mean())}
    for rule in RULES:
        out[rule] = float(pd.Series(cause == rule).groupby(series).any().mean())
    out["outside_per_point"] = float(np.mean(cause == "outside_limits"))
    return out


def concern_after(chart: str, values: np.ndarray, half: int | None = None, **options) -> float:
    """Share of series with a concern point after the first ``half`` (default n/2) points, the
    baseline the limits are fixed on."""
    half = values.shape[1] // 2 if half is None else half
    points = spc(
        long_frame(values), "x", "y", by=["s"], chart=chart, fix_after=half, improvement="increase", **options
    ).points
    hit = (points["x"].to_numpy() >= half) & (points["point_type"] == "special_cause_concern").to_numpy()
    return float(pd.Series(hit).groupby(points["s"].to_numpy()).any().mean())


def draw(chart: str, rng: np.random.Generator, n_series: int, n_points: int, mean: float, rate: float):
    """Gaps at ``rate`` times the in-control event rate."""
    if chart == "g":
        return rng.geometric(rate / (mean + 1), size=(n_series, n_points)) - 1
    if chart == "t":
        return rng.exponential(mean / rate, size=(n_series, n_points))
    return rng.normal(size=(n_series, n_points))


def rise(
    chart: str, rng: np.random.Generator, n_series: int, n_points: int, mean: float, rate: float
) -> np.ndarray:
    values = draw(chart, rng, n_series, n_points, mean, 1.0).astype(float)
    half = n_points // 2
    values[:, half:] = draw(chart, rng, n_series, n_points - half, mean, rate)
    return values


def centre_study(n_series: int) -> None:
    baseline_median_limits = spc_module.g_limits

    def fitted_median_limits(layout, y, method="probability"):
        limits = baseline_median_limits(layout, y, method)
        mean = segment_mean(layout, y, layout.baseline)[layout.seg]
        with np.errstate(divide="ignore", invalid="ignore"):
            return replace(limits, centre=np.log(0.5) / geometric_log_survival(mean))

    print("| gaps | n | centre | any signal | shift |")
    print("|---|---|---|---|---|")
    for gaps in ("geometric", "over-dispersed"):
        for n_points in (24, 50):
            rng = np.random.default_rng([n_points, len(gaps)])
            rate = rng.gamma(4.0, 0.25, size=(n_series, n_points)) if gaps != "geometric" else 1.0
            values = rng.geometric(rate / (20.0 + rate)) - 1 if gaps != "geometric" else None
            if values is None:
                values = draw("g", rng, n_series, n_points, 20.0, 1.0)
            for centre, g_limits in (
                ("baseline median", baseline_median_limits),
                ("fitted median", fitted_median_limits),
            ):
                spc_module.g_limits = g_limits
                try:
                    fa = in_control("g", values)
                finally:
                    spc_module.g_limits = baseline_median_limits
                print(f"| {gaps} | {n_points} | {centre} | {fa['any']:.3f} | {fa['shift']:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20000)
    parser.add_argument("--centre-study", action="store_true")
    args = parser.parse_args()
    n_series = args.series
    if args.centre_study:
        centre_study(n_series)
        return
    cases = [("xmr", "normal", 0.0, {})]
    for mean in (10, 20, 100):
        cases += [("g", "sigma", mean, {"g_method": "sigma"}), ("g", "probability", mean, {})]
    cases.append(("t", "xmr of y^(1/3.6)", 1.0, {}))
    print(
        "| chart | limits | mean gap | n | any signal | outside | trend | 2-in-3 | shift | short gaps "
        "| outside per point | concern in last n/2, in control | power: concern in last n/2, rate x2 "
        "| rate x5: concern in 3 points |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for chart, method, mean, options in cases:
        for n_points in (24, 50):
            # one seed per case, so each row can be reproduced alone
            rng = np.random.default_rng([n_points, int(mean), len(method), ord(chart[0])])
            fa = in_control(chart, draw(chart, rng, n_series, n_points, mean, 1.0), **options)
            if chart == "xmr":
                design_fa, power, cluster = float("nan"), float("nan"), float("nan")
            else:
                design_fa = concern_after(chart, draw(chart, rng, n_series, n_points, mean, 1.0), **options)
                power = concern_after(chart, rise(chart, rng, n_series, n_points, mean, 2.0), **options)
                cluster_values = rise(chart, rng, n_series, n_points, mean, 5.0)[:, : n_points // 2 + 3]
                cluster = concern_after(chart, cluster_values, half=n_points // 2, **options)
            rules = " | ".join(f"{fa[r]:.3f}" for r in RULES)
            print(
                f"| {chart} | {method} | {mean:g} | {n_points} | {fa['any']:.3f} | {rules} "
                f"| {fa['outside_per_point']:.5f} | {design_fa:.3f} | {power:.3f} | {cluster:.3f} |"
            )


if __name__ == "__main__":
    main()
