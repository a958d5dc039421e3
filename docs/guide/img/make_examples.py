"""Regenerate the example charts in this folder: ``.venv/bin/python docs/guide/img/make_examples.py``.

The data are illustrative (seeded random numbers shaped like the synthetic trust's injected signals,
team brief "Synthetic world"); the statistics come from the wardwatch engines and the drawing from
``wardwatch.render``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from wardwatch.render.cusum_svg import cusum_svg, vlad_svg
from wardwatch.render.funnel_svg import funnel_svg
from wardwatch.render.icons import assurance_icon_svg, variation_icon_svg
from wardwatch.render.line_svg import line_svg
from wardwatch.render.summary_table import summary_table_html
from wardwatch.stats.cusum import cusum_path, llr_weights
from wardwatch.stats.funnel import funnel
from wardwatch.stats.spc import spc

HERE = Path(__file__).parent
rng = np.random.default_rng(20190712)


def sepsis_spc() -> tuple[str, pd.DataFrame]:
    months = pd.date_range("2017-04-01", "2020-03-01", freq="MS")
    patients = rng.integers(110, 170, len(months))
    rate = np.r_[np.full(12, 0.75), np.linspace(0.74, 0.55, 12), np.full(12, 0.85)]
    data = pd.DataFrame({"month": months, "on_time": rng.binomial(patients, rate), "patients": patients})
    result = spc(
        data,
        x="month",
        y="on_time",
        n="patients",
        chart="p",
        improvement="increase",
        target=0.9,
        rebase=[pd.Timestamp("2019-04-01")],
    )
    svg = result.plot(
        annotations=[
            (pd.Timestamp("2019-04-01"), "Quality matron appointed"),
            (pd.Timestamp("2019-07-12"), "CQC report"),
        ],
        title="Sepsis: antibiotics within 1 hour, NEWS2 ≥ 7 (illustrative)",
    )
    return svg, result.summary


def mortality_funnel() -> str:
    groups = ["ZFV"] + [f"ZP{i:02d}" for i in range(1, 15)]
    spells = rng.integers(4000, 30000, len(groups))
    risk = rng.uniform(0.025, 0.035, len(groups))
    expected = spells * risk
    odds = np.where(np.array(groups) == "ZP07", 1.8, 1.0)
    odds[0] = 0.92
    deaths = rng.poisson(expected * odds)
    deaths[0] = round(
        expected[0] * 0.95
    )  # the focal trust: below 1 but within chance (as in the synthetic world)
    data = pd.DataFrame({"org": groups, "deaths": deaths, "expected": expected})
    result = funnel(data, "org", "deaths", "expected", type="SR", method="shmi")
    return funnel_svg(
        result.units,
        result.limits,
        highlight="ZFV",
        improvement="decrease",
        title="30-day mortality: observed / expected by trust (illustrative)",
        x_label="Expected deaths",
        y_label="Observed / expected",
    )


def sepsis_cusum() -> tuple[str, str]:
    n = 900
    risk = rng.uniform(0.03, 0.35, n)
    odds = np.r_[np.ones(600), np.full(300, 2.0)]
    p_true = risk * odds / (1 - risk + risk * odds)
    died = (rng.random(n) < p_true).astype(float)
    upper, signal_upper = cusum_path(llr_weights(risk, died, 2.0), 4.5)
    lower, signal_lower = cusum_path(llr_weights(risk, died, 0.5), 4.0)
    dates = pd.Timestamp("2018-04-01") + pd.to_timedelta(np.sort(rng.integers(0, 720, n)), unit="D")
    frame = pd.DataFrame(
        {
            "index": np.arange(1, n + 1),
            "date": dates,
            "upper": upper,
            "lower": lower,
            "signal_upper": signal_upper,
            "signal_lower": signal_lower,
        }
    )
    vlad = pd.DataFrame({"index": frame["index"], "date": dates, "vlad": np.cumsum(risk - died)})
    return (
        cusum_svg(frame, h_upper=4.5, h_lower=4.0, title="Sepsis deaths: risk-adjusted CUSUM (illustrative)"),
        vlad_svg(vlad, title="Sepsis deaths: VLAD (illustrative)"),
    )


def weekly_line() -> str:
    weeks = pd.date_range("2019-11-04", periods=8, freq="W-MON")
    values = [0.71, 0.74, 0.69, 0.837, 0.72, 0.70, 0.75, 0.73]
    return line_svg(
        pd.DataFrame({"week": weeks, "value": values}),
        x="week",
        y="value",
        target=0.95,
        value_format="percent",
        title="ED: initial assessment within 15 minutes, weekly (illustrative)",
    )


def icon_sheet() -> str:
    cells = [
        variation_icon_svg("common_cause", "increase"),
        variation_icon_svg("special_cause_improvement", "increase"),
        variation_icon_svg("special_cause_improvement", "decrease"),
        variation_icon_svg("special_cause_concern", "increase"),
        variation_icon_svg("special_cause_concern", "decrease"),
        variation_icon_svg("special_cause_neutral_high", "neutral"),
        variation_icon_svg("special_cause_neutral_low", "neutral"),
        assurance_icon_svg("consistent_pass"),
        assurance_icon_svg("consistent_fail"),
        assurance_icon_svg("inconsistent"),
    ]
    body = "".join(f'<g transform="translate({8 + 50 * i} 8)">{cell}</g>' for i, cell in enumerate(cells))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" width="508" height="56" viewBox="0 0 508 56">'
        "<title>wardwatch variation and assurance icons</title>"
        '<rect width="100%" height="100%" fill="#FFFFFF"/>' + body + "</svg>"
    )


def main() -> None:
    spc_chart, summary = sepsis_spc()
    (HERE / "spc_sepsis.svg").write_text(spc_chart, encoding="utf-8")
    (HERE / "funnel_mortality.svg").write_text(mortality_funnel(), encoding="utf-8")
    cusum, vlad = sepsis_cusum()
    (HERE / "cusum_sepsis.svg").write_text(cusum, encoding="utf-8")
    (HERE / "vlad_sepsis.svg").write_text(vlad, encoding="utf-8")
    (HERE / "line_ed15.svg").write_text(weekly_line(), encoding="utf-8")
    (HERE / "icons.svg").write_text(icon_sheet(), encoding="utf-8")
    last = summary.iloc[-1]
    rows = pd.DataFrame(
        [
            {
                "indicator_id": "sepsis_antibiotics_1h_news2_7plus",
                "title": "Sepsis antibiotics within 1 hour (NEWS2 ≥ 7)",
                "key_question": "safe",
                "org_code": "ZFV",
                "latest_period": pd.Timestamp("2020-03-01"),
                "latest_value": 0.80,
                "target": 0.9,
                "unit": "proportion",
                "improvement": "increase",
                "variation": last["variation"],
                "assurance": last["assurance"],
                "href": "spc_sepsis.svg",
            },
            {
                "indicator_id": "ed_initial_assessment_15min",
                "title": "ED initial assessment within 15 minutes",
                "key_question": "responsive",
                "org_code": "ZFV",
                "latest_period": pd.Timestamp("2019-12-23"),
                "period_grain": "week",
                "latest_value": 0.73,
                "target": 0.95,
                "unit": "proportion",
                "improvement": "increase",
                "variation": None,
                "assurance": None,
                "href": "line_ed15.svg",
            },
        ]
    )
    (HERE / "summary_table.html").write_text(summary_table_html(rows), encoding="utf-8")


if __name__ == "__main__":
    main()
