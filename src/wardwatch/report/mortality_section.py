"""Mortality section: "is sepsis mortality below expected?" for the focal trust, with O, E, SMR,
95% CI and funnel band; the peer funnel of sepsis SMR; risk-adjusted CUSUM alerts and charts.

All numbers come from :func:`wardwatch.mortality.run_mortality` (``MortalityResult``) and
:func:`wardwatch.mortality.sepsis_answer`; this module arranges them and applies the
small-number rule to death counts.
"""

from __future__ import annotations

from dataclasses import is_dataclass, replace
from typing import Any

import pandas as pd

from wardwatch.disclosure import protect_series
from wardwatch.render.results import plot_cusum, plot_funnel, plot_vlad
from wardwatch.report.charts import accessible_svg
from wardwatch.report.format import SUPPRESSED, SmallNumberRule, format_count
from wardwatch.report.views import Figure, MortalityView, Table

MAX_ALERT_ROWS = 30
MAX_ALERT_CHARTS = 4


def _band_css(band: str) -> str:
    return {"higher than expected": "band-higher", "lower than expected": "band-lower"}.get(band, "")


def mortality_view(focal_org: str, result: Any, rule: SmallNumberRule | None = None) -> MortalityView:
    """The section from stored mortality results (``wardwatch.results.read.mortality_results``)."""
    from wardwatch.mortality import sepsis_answer

    rule = rule or SmallNumberRule()
    answer = sepsis_answer(result.smr, focal_org)
    verdict = "below expected" if answer.below_expected else answer.band
    smr = result.smr
    rows = smr[(smr["org_code"] == focal_org) & (smr["diagnosis_group"] == "sepsis")]
    deaths_hidden, spells_shown = _protect_periods(rows, rule)
    table_rows = []
    classes = []
    for k, r in enumerate(rows.itertuples()):
        hidden = bool(deaths_hidden[k])
        table_rows.append(
            (
                "Whole period" if r.period == "overall" else str(r.period),
                spells_shown[k],
                SUPPRESSED if hidden else f"{r.observed:,}",
                f"{r.expected:.1f}",
                SUPPRESSED if hidden else f"{r.smr:.2f}",
                SUPPRESSED if hidden else f"{r.ci_low:.2f} to {r.ci_high:.2f}",
                str(r.band),
            )
        )
        classes.append("highlight" if r.period == "overall" else "")
    stats = Table(
        caption=f"Sepsis mortality at {focal_org}: observed (O) and expected (E) deaths, SMR = O/E with exact "
        "Poisson 95% confidence interval, and band against all trusts (SHMI funnel method, 95% limits)",
        columns=("Period", "Spells", "Observed deaths", "Expected deaths", "SMR", "95% CI", "Band"),
        rows=tuple(table_rows),
        row_classes=tuple(classes),
    )
    statement = answer.statement
    overall_hidden = [bool(h) for h, p in zip(deaths_hidden, rows["period"]) if p == "overall"]
    if rule.hides(answer.observed) or any(overall_hidden):
        statement = (
            f"{focal_org} sepsis mortality ({answer.period}): band {answer.band} "
            f"(counts suppressed under the small-number rule)."
        )
    funnel_fig = None
    if getattr(result, "funnel_sepsis", None) is not None:
        title = f"Sepsis standardised mortality ratio by trust, whole period, {focal_org} highlighted"
        funnel, left_out = _publishable_funnel(result.funnel_sepsis, rule)
        svg = plot_funnel(funnel, highlight=focal_org, title=title)
        funnel_fig = Figure(
            accessible_svg(svg, title),
            "Each dot is a trust: SMR against expected deaths. Limits: 95% and 99.8%, "
            "log transform with 10% truncation and additive overdispersion (SHMI method, "
            "docs/methods.md 3.3). A trust is 'lower than expected' only below the lower 95% limit."
            + (
                f" {left_out} trust(s) with {rule.low} to {rule.high} deaths are not drawn: their "
                "SMR and expected deaths would give the count (O = SMR × E)."
                if left_out
                else ""
            ),
        )
    alerts_table, figures = _alerts(result, focal_org, rule)
    settings = getattr(result, "settings", {}) or {}
    notes = (
        "Death = died in hospital or within 30 days of discharge (SHMI definition). Expected deaths "
        "come from a case-mix logistic model (age, sex, admission method, diagnosis group, Charlson "
        f"index), fitted {str(settings.get('fit', 'leave-one-trust-out')).replace('-', ' ')}: no trust is "
        "judged against a model fitted on its own deaths.",
        *([settings["statement"]] if settings.get("statement") else []),
        "Full outputs (smr.csv, cusum_alerts.csv, calibration.csv, model.json, charts) come from "
        "`wardwatch mortality --db FILE --out DIR` (clinical governance use)."
        if rule.patient_level_charts
        else "This is the public edition: the patient-by-patient CUSUM and VLAD charts and the full "
        "mortality outputs (unsuppressed counts) are for the clinical governance edition only; "
        "they are not for publication.",
    )
    return MortalityView(
        answer=statement,
        verdict=verdict,
        stats=stats,
        funnel=funnel_fig,
        alerts=alerts_table,
        alert_figures=figures,
        notes=notes,
    )


def _alerts(
    result: Any, focal_org: str, rule: SmallNumberRule | None = None
) -> tuple[Table | None, tuple[Figure, ...]]:
    rule = rule or SmallNumberRule()
    alerts: pd.DataFrame = getattr(result, "alerts", pd.DataFrame())
    figures: list[Figure] = []
    series: list[tuple[str, str]] = [(focal_org, "sepsis")]
    table = None
    # the board pack is about one trust: its own alerts only (other trusts' are theirs to report)
    if len(alerts):
        alerts = alerts[alerts["org_code"] == focal_org]
    if len(alerts):
        ordered = alerts.sort_values(["diagnosis_group", "date_signalled"])
        rows = []
        for r in ordered.head(MAX_ALERT_ROWS).itertuples():
            rows.append(
                (
                    str(r.org_code),
                    str(r.diagnosis_group).replace("_", " "),
                    "higher mortality than expected"
                    if r.direction == "higher"
                    else "lower mortality than expected",
                    pd.Timestamp(r.date_signalled).strftime(
                        "%d %b %Y" if rule.patient_level_charts else "%b %Y"
                    ),
                    format_count(r.patients_since_reset, rule),
                    format_count(r.observed_since_reset, rule),
                    f"{r.expected_since_reset:.1f}",
                    f"{r.h:.2f}",
                )
            )
        shown = min(len(ordered), MAX_ALERT_ROWS)
        table = Table(
            caption=f"Risk-adjusted CUSUM alerts at {focal_org} ({shown} of {len(alerts)} shown). Upper chart detects a doubling of the odds of death, lower chart a halving "
            "(Steiner et al. 2000); thresholds h set by simulation",
            columns=(
                "Trust",
                "Diagnosis group",
                "Signal",
                "Date signalled" if rule.patient_level_charts else "Month signalled",
                "Patients since reset",
                "Observed deaths since reset",
                "Expected since reset",
                "Threshold h",
            ),
            rows=tuple(rows),
            row_classes=tuple("highlight" if r[0] == focal_org else "" for r in rows),
        )
        for r in ordered.drop_duplicates(["org_code", "diagnosis_group"]).itertuples():
            key = (str(r.org_code), str(r.diagnosis_group))
            if key not in series:
                series.append(key)
    cusum = getattr(result, "cusum", None)
    if cusum is None or not rule.patient_level_charts:
        # a CUSUM or VLAD steps once per patient on a date axis: each death is visible with its
        # date, so public outputs show the alerts table (month only) and no such chart
        return table, ()
    for org, group in series[:MAX_ALERT_CHARTS]:
        title = f"{org} {group.replace('_', ' ')}: risk-adjusted CUSUM"
        if not len(cusum.series(org_code=org, diagnosis_group=group)):
            continue
        svg = plot_cusum(cusum, title=title, org_code=org, diagnosis_group=group)
        figures.append(
            Figure(
                accessible_svg(svg, title),
                f"Upper (higher mortality) and lower (lower mortality) CUSUMs for {org}, "
                f"{group.replace('_', ' ')}, patient by patient; a crossing of h is an alert, "
                "after which the chart restarts.",
            )
        )
        if (org, group) == (focal_org, "sepsis"):
            vlad_title = f"{org} sepsis: VLAD (cumulative expected minus observed deaths)"
            vlad = plot_vlad(cusum, title=vlad_title, org_code=org, diagnosis_group=group)
            figures.append(
                Figure(
                    accessible_svg(vlad, vlad_title),
                    "Variable life-adjusted display: the running total of expected minus observed deaths. "
                    "A rising line means fewer deaths than the case-mix model expects.",
                )
            )
    return table, tuple(figures)


def _protect_periods(rows: pd.DataFrame, rule: SmallNumberRule) -> tuple[list[bool], list[str]]:
    """Which rows' death counts to hide, and the spells column as printed, for the focal trust's
    periods and whole-period row: the financial years sum to the whole period, so a single hidden
    year would come back by subtraction; :func:`wardwatch.disclosure.protect_series` hides a
    second year (or the total) as well."""
    periods = rows["period"].astype(str).tolist()
    years = [k for k, p in enumerate(periods) if p != "overall"]
    overall = [k for k, p in enumerate(periods) if p == "overall"]
    deaths_hidden = [False] * len(periods)
    spells = [format_count(v, rule) for v in rows["spells"]]
    disclosure = rule.disclosure()
    for column in ("observed", "spells"):
        values = rows[column].astype(float).to_numpy()
        total = float(values[overall[0]]) if overall else None
        table = protect_series(values[years], disclosure, total=bool(overall), total_value=total)
        hidden = dict(zip(years + overall[:1], table.hidden[0].tolist()))
        for k, is_hidden in hidden.items():
            if column == "observed":
                deaths_hidden[k] = bool(is_hidden)
            elif is_hidden:
                spells[k] = SUPPRESSED
    return deaths_hidden, spells


def _publishable_funnel(funnel: Any, rule: SmallNumberRule) -> tuple[Any, int]:
    """The funnel with the trusts whose death count is in the suppressed band left out (a dot's
    position, its tooltip and the chart description give SMR and E, hence O = SMR x E)."""
    units = getattr(funnel, "units", None)
    if units is None or "numerator" not in units.columns or not is_dataclass(funnel):
        return funnel, 0
    small = units["numerator"].map(rule.hides).astype(bool)
    if not small.any():
        return funnel, 0
    return replace(funnel, units=units[~small].reset_index(drop=True)), int(small.sum())
