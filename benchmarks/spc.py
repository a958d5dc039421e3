"""Benchmark: the vectorised SPC engine on 10,000 series x 36 points vs a per-series loop.

Run: ``.venv/bin/python benchmarks/spc.py [--series 10000] [--points 36] [--loop-series 500]``

Both paths call ``wardwatch.stats.spc.spc`` (XmR, MDC rules: outside limits, trend, two-in-three,
shift; target and assurance; summary with runs analysis). The vectorised path computes every
series in one call from a long DataFrame; the loop path calls ``spc`` once per series (pre-split
frames, only the calls are timed) on ``--loop-series`` series and the time is scaled to all
series. The two paths' outputs are compared for the looped series.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

from wardwatch.stats.spc import spc


def make_data(n_series: int, n_points: int, seed: int = 20191) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.date_range("2017-04-01", periods=n_points, freq="MS")
    level = rng.uniform(0.6, 0.95, n_series)[:, None]
    noise = rng.normal(0, 0.03, (n_series, n_points))
    step = np.where(rng.random(n_series)[:, None] < 0.3, np.linspace(-0.05, 0.05, n_points)[None, :], 0.0)
    y = np.clip(level + noise + step, 0, 1)
    return pd.DataFrame(
        {
            "org_code": np.repeat([f"T{i:05d}" for i in range(n_series)], n_points),
            "period_start": np.tile(months, n_series),
            "value": y.ravel(),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=36)
    parser.add_argument("--loop-series", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    data = make_data(args.series, args.points)
    options = {
        "x": "period_start",
        "y": "value",
        "chart": "xmr",
        "improvement": "increase",
        "target": 0.95,
        "rules": "mdc",
    }
    spc(data.head(args.points * 10), by=["org_code"], **options)  # warm up imports

    timings = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = spc(data, by=["org_code"], **options)
        timings.append(time.perf_counter() - start)
    vectorised = min(timings)

    groups = [g for _, g in data.groupby("org_code", sort=True)][: args.loop_series]
    start = time.perf_counter()
    alone = [spc(g, **options) for g in groups]
    loop = time.perf_counter() - start
    loop_all = loop / len(groups) * args.series

    # the two paths agree on the looped series
    first = result.points.iloc[: len(groups) * args.points].drop(columns="org_code").reset_index(drop=True)
    pd.testing.assert_frame_equal(first, pd.concat([a.points for a in alone], ignore_index=True))

    signals = int((result.points["special_cause"] != "none").sum())
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"data: {args.series:,} series x {args.points} points = {len(data):,} rows; {signals:,} special-cause points"
    )
    print(
        f"vectorised spc(): best of {args.repeats}: {vectorised:.3f} s (all runs: "
        + ", ".join(f"{t:.3f}" for t in timings)
        + ")"
    )
    print(
        f"per-series loop: {loop:.2f} s for {len(groups)} series = {loop / len(groups) * 1000:.1f} ms/series; "
        f"scaled to {args.series:,} series: {loop_all:.1f} s"
    )
    print(f"speed-up: {loop_all / vectorised:.0f}x; vectorised under 1 s: {vectorised < 1.0}")


if __name__ == "__main__":
    main()
