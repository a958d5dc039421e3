"""Assemble the board report: compute every section first, then render one HTML page.

``build_report(db, out_dir, focal_org)`` reads the ``measures`` table (and, when given, the
mortality result, ratings history and action plan computed by their own modules) and writes
``out_dir/report.html``: one self-contained offline page (inline CSS and SVG, no scripts, no
external resources).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from wardwatch.report import charts
from wardwatch.report.format import (
    SmallNumberRule,
    format_count,
    format_measure_value,
    format_period,
    format_target,
)
from wardwatch.report.measures import open_warehouse, read_org_cut_offs, read_org_measures
from wardwatch.report.meta import KEY_QUESTION_LABELS, KEY_QUESTIONS, IndicatorMeta, metadata_for
from wardwatch.report.panels import IndicatorPanel, build_panel
from wardwatch.report.render import render_page
from wardwatch.report.views import (
    ActionsView,
    AEContextView,
    Figure,
    KeyQuestionGroup,
    MortalityView,
    PanelView,
    RatingsView,
)

#: Plain-English names for the ``source`` values of measures.
SOURCE_LABELS = {"wardwatch": "the trust's patient-level and workforce extracts (indicators computed by wardwatch)"}

#: Indicators shown in the national-context part (published data), not in the trust's own sections.
PUBLISHED_IDS = ("ae_4h_type1", "ae_4h_all_types")


@dataclass(frozen=True)
class ReportInputs:
    """Everything the page shows, already computed (section views may be None = not available)."""

    org_code: str
    org_name: str
    panels: tuple[IndicatorPanel, ...]
    period_from: date | None
    period_to: date | None
    sources: tuple[str, ...]
    mortality: MortalityView | None = None
    ae_context: AEContextView | None = None
    ratings: RatingsView | None = None
    actions: ActionsView | None = None
    missing: tuple[str, ...] = ()
    effect_notes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def compute_panels(
    frame: pd.DataFrame,
    registry: Mapping[str, Any] | None = None,
    annotations: Mapping[str, list[tuple[date, str]]] | None = None,
    use_spc: bool = True,
    rule: SmallNumberRule | None = None,
    cut_offs: Mapping[str, date] | None = None,
) -> tuple[IndicatorPanel, ...]:
    """One panel per indicator present for the focal org, in registry order then by id."""
    ids = [i for i in dict.fromkeys(frame["indicator_id"].dropna()) if i not in PUBLISHED_IDS]
    metas = metadata_for(ids, registry)
    order = list(registry.keys()) if registry else []
    ids.sort(key=lambda i: (order.index(i) if i in order else len(order), i))
    annotations = annotations or {}
    cut_offs = cut_offs or {}
    return tuple(
        build_panel(frame, metas[i], annotations.get(i), use_spc=use_spc, rule=rule, data_until=cut_offs.get(i))
        for i in ids
    )


def panel_view(panel: IndicatorPanel, rule: SmallNumberRule, effect_notes: tuple[str, ...] = ()) -> PanelView:
    meta: IndicatorMeta = panel.meta
    latest = panel.latest
    if latest is None:
        value = counts = period = "–"
    else:
        value = format_measure_value(
            latest["value"], latest["numerator"], latest["denominator"], meta.unit, rule
        )
        period = format_period(latest["period_start"], panel.grain)
        if pd.isna(latest["denominator"]) and pd.isna(latest["numerator"]):
            counts = "–"
        else:
            counts = (
                f"{format_count(latest['numerator'], rule)} / {format_count(latest['denominator'], rule)}"
            )
    svg, kind = charts.panel_chart(panel, title=meta.title)
    note = panel.spc_note
    if kind == "none":
        note = note or "No data to chart."
    elif kind == "spc":
        chart_name = {
            "pp": "p′ (Laney)",
            "up": "u′ (Laney)",
            "xmr": "XmR",
            "p": "p",
            "u": "u",
            "c": "c",
            "run": "run",
        }.get(panel.chart_type, panel.chart_type)
        note = f"Making Data Count SPC {chart_name} chart of {panel.grain}ly values. " + note
    primary = meta.primary_key_question
    return PanelView(
        id=meta.id,
        anchor=panel.anchor,
        title=meta.title,
        description=meta.description,
        key_question=primary,
        other_key_questions=tuple(KEY_QUESTION_LABELS.get(k, k) for k in meta.key_questions if k != primary),
        grain=panel.grain,
        chart_type=panel.chart_type,
        latest_period=period,
        latest_value=value,
        latest_counts=counts,
        target=format_target(meta.target, meta.unit),
        target_source=meta.target_source,
        variation=panel.variation,
        variation_label=charts.label(panel.variation),
        variation_icon=charts.icon("variation", panel.variation, meta.improvement),
        assurance=panel.assurance,
        assurance_label=charts.label(panel.assurance),
        assurance_icon=charts.icon("assurance", panel.assurance),
        chart_svg=svg,
        chart_kind=kind,
        chart_note=note.strip(),
        sources=", ".join(panel.sources),
        n_points=len(panel.charted),
        effect_notes=effect_notes,
    )


def attach_action_charts(actions: ActionsView, panels: tuple[IndicatorPanel, ...]) -> ActionsView:
    """Give each linked indicator a before/after SPC chart: limits recalculated from the action's
    start (a rebase), so a sustained change shows as a new centre line; the start is annotated."""
    from wardwatch.report.panels import run_spc

    by_id = {p.meta.id: p for p in panels}
    new_actions = []
    for action in actions.actions:
        linked = []
        for link in action.linked:
            panel = by_id.get(link.id)
            chart = link.chart
            if chart is None and panel is not None and len(panel.charted):
                start = datetime.strptime(action.start, "%d %b %Y").date()
                result, _ = run_spc(panel.charted, panel.meta, panel.chart_type, rebase=[start])
                title = f"{panel.meta.title}: before and after “{action.title}” ({action.start})"
                rebased = replace(panel, spc=result, annotations=((start, f"{action.id} starts"),))
                svg, kind = charts.panel_chart(rebased, title=title)
                what = (
                    "SPC chart with limits recalculated from the action start"
                    if kind == "spc"
                    else "Line chart (SPC unavailable)"
                )
                chart = Figure(svg, f"{what}; dashed marker at {action.start}.")
            linked.append(replace(link, chart=chart))
        new_actions.append(replace(action, linked=tuple(linked)))
    return replace(actions, actions=tuple(new_actions))


def group_by_key_question(views: list[PanelView]) -> list[KeyQuestionGroup]:
    """One group per CQC key question (always all five), plus 'Other' only if needed."""
    groups = [
        KeyQuestionGroup(
            kq,
            label,
            tuple(v for v in views if v.key_question == kq),
            tuple(v for v in views if label in v.other_key_questions),
        )
        for kq, label in KEY_QUESTIONS
    ]
    other = tuple(v for v in views if v.key_question not in KEY_QUESTION_LABELS)
    if other:
        groups.append(KeyQuestionGroup("other", "Other measures", other))
    return groups


def gather_inputs(
    con: Any,
    focal_org: str,
    registry: Mapping[str, Any] | None = None,
    annotations: Mapping[str, list[tuple[date, str]]] | None = None,
    use_spc: bool = True,
    rule: SmallNumberRule | None = None,
) -> tuple[pd.DataFrame, tuple[IndicatorPanel, ...]]:
    """The focal trust's measures and one computed panel per indicator."""
    frame = read_org_measures(con, focal_org)
    cut_offs = read_org_cut_offs(con, focal_org)
    panels = compute_panels(frame, registry, annotations, use_spc=use_spc, rule=rule, cut_offs=cut_offs)
    return frame, panels


def build_report(
    db: str | Path | Any,
    out_dir: str | Path,
    focal_org: str,
    *,
    org_name: str | None = None,
    registry: Mapping[str, Any] | None = None,
    mortality: MortalityView | None = None,
    ae_context: AEContextView | None = None,
    ratings: RatingsView | None = None,
    actions: ActionsView | None = None,
    annotations: Mapping[str, list[tuple[date, str]]] | None = None,
    effect_notes: Mapping[str, tuple[str, ...]] | None = None,
    small_numbers: SmallNumberRule | None = None,
    missing: list[str] | None = None,
    generated_at: datetime | None = None,
    use_spc: bool = True,
    footer_note: str | None = None,
) -> Path:
    """Write ``out_dir/report.html`` for ``focal_org`` and return its path.

    ``db`` is a DuckDB warehouse file (or an open Ibis backend) holding ``measures``. The optional
    section views come from :mod:`wardwatch.report.sections`; when absent the page says so.
    ``registry`` overrides the indicator registry (tests use a hand-made one).
    """
    con = open_warehouse(db)
    rule = small_numbers or SmallNumberRule()
    frame, panels = gather_inputs(con, focal_org, registry, annotations, use_spc=use_spc, rule=rule)
    effect_notes = effect_notes or {}
    views = [panel_view(p, rule, tuple(effect_notes.get(p.meta.id, ()))) for p in panels]
    groups = group_by_key_question(views)
    if actions is not None:
        actions = attach_action_charts(actions, panels)
    own = frame[~frame["indicator_id"].isin(PUBLISHED_IDS)]
    period_from = own["period_start"].min() if len(own) else None
    period_to = own["period_start"].max() if len(own) else None
    sources = sorted({SOURCE_LABELS.get(str(s), str(s)) for s in frame["source"].dropna().unique()})
    if ae_context is not None:
        sources.append("NHS England A&E attendances and emergency admissions (monthly, published)")
    if mortality is not None:
        sources.append("admitted patient spells with deaths within 30 days of discharge (mortality)")
    if ratings is not None:
        sources.append("CQC inspection ratings (service level, aggregated by wardwatch)")
    missing = list(missing or [])
    for name, view in (
        ("Mortality", mortality),
        ("National context (A&E 4-hour)", ae_context),
        ("CQC ratings", ratings),
        ("Action plan", actions),
    ):
        if view is None and not any(m.startswith(name) for m in missing):
            missing.append(f"{name}: not supplied to this report run.")
    html_text = render_page(
        org_code=focal_org,
        org_name=org_name or focal_org,
        period_from=format_period(period_from, "month") if period_from else "–",
        period_to=format_period(period_to, "month") if period_to else "–",
        generated_at=(generated_at or datetime.now()).strftime("%d %B %Y %H:%M"),
        sources=sorted(set(sources)),
        small_number_note=rule.describe(),
        groups=groups,
        mortality=mortality,
        ae_context=ae_context,
        ratings=ratings,
        actions=actions,
        missing=missing,
        footer_note=footer_note,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.html"
    path.write_text(html_text, encoding="utf-8")
    return path
