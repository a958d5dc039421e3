"""Assemble the board report: compute every section first, then render one HTML page.

``build_report(db, out_dir, focal_org)`` reads the ``measures`` table (and, when given, the
mortality result, ratings history and action plan computed by their own modules) and writes
``out_dir/report.html``: one self-contained offline page (inline CSS and SVG, no scripts, no
external resources).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from wardwatch.report import charts
from wardwatch.report.board import BoardConfig, IndicatorNotes
from wardwatch.report.exceptions import exception_reports, quality_mark
from wardwatch.report.format import (
    SmallNumberRule,
    format_count,
    format_measure_value,
    format_period,
    format_target,
)
from wardwatch.report.meta import IndicatorMeta, load_registry, metadata_for
from wardwatch.report.panels import IndicatorPanel, choose_entry, panel_from_results
from wardwatch.report.render import render_page
from wardwatch.report.views import (
    ActionsView,
    AEContextView,
    KeyQuestionGroup,
    MortalityView,
    PanelView,
    QualityMark,
    RatingsView,
)
from wardwatch.vocabulary import CHART_LABELS, KEY_QUESTION_LABELS

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


def read_panels(
    raw: Any,
    focal_org: str,
    edition: str,
    registry: Mapping[str, Any] | None = None,
    annotations: Mapping[str, list[tuple[date, str]]] | None = None,
    only: Sequence[str] | None = None,
) -> tuple[IndicatorPanel, ...]:
    """One panel per indicator the organisation has results for (``only``: these, in this order),
    in registry order then by id; published A&E indicators are left to the national context."""
    from wardwatch.results.read import series_catalogue

    catalogue = series_catalogue(raw, focal_org, edition)
    present = [i for i in dict.fromkeys(catalogue["indicator_id"]) if i not in PUBLISHED_IDS]
    if only is not None:
        ids = [i for i in only if i in present]
    else:
        order = list(registry.keys()) if registry else list(load_registry())
        ids = sorted(present, key=lambda i: (order.index(i) if i in order else len(order), i))
    metas = metadata_for(ids, registry)
    annotations = annotations or {}
    panels = []
    for indicator_id in ids:
        entry, note = choose_entry(catalogue[catalogue["indicator_id"] == indicator_id], metas[indicator_id])
        panels.append(panel_from_results(raw, entry, metas[indicator_id], note, annotations.get(indicator_id)))
    return tuple(panels)


def panel_view(
    panel: IndicatorPanel,
    rule: SmallNumberRule,
    effect_notes: tuple[str, ...] = (),
    quality: QualityMark | None = None,
    notes: IndicatorNotes | None = None,
) -> PanelView:
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
        chart_name = CHART_LABELS.get(panel.chart_type, panel.chart_type)
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
        quality=quality,
        notes=notes,
    )


def group_by_key_question(views: list[PanelView]) -> list[KeyQuestionGroup]:
    """One group per CQC key question (always all five), plus 'Other' only if needed."""
    groups = [
        KeyQuestionGroup(
            kq,
            label,
            tuple(v for v in views if v.key_question == kq),
            tuple(v for v in views if label in v.other_key_questions),
        )
        for kq, label in KEY_QUESTION_LABELS.items()
    ]
    other = tuple(v for v in views if v.key_question not in KEY_QUESTION_LABELS)
    if other:
        groups.append(KeyQuestionGroup("other", "Other measures", other))
    return groups


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
    footer_note: str | None = None,
    board: BoardConfig | None = None,
) -> Path:
    """Write ``out_dir/report.html`` for ``focal_org`` from the result tables and return its path.

    ``db`` is a refreshed warehouse file (``wardwatch refresh``) or an open DuckDB connection to
    one. The optional section views come from :mod:`wardwatch.report.sections`; when absent the
    page says so. ``registry`` overrides the indicator registry (tests use a hand-made one);
    ``board`` is the board's configuration (names, indicators, owners, narratives).
    """
    from wardwatch.results.read import data_quality, latest_run, require_org

    board = board or BoardConfig(org_code=focal_org)
    rule = small_numbers or SmallNumberRule()
    with reading(db) as raw:
        run = latest_run(raw, db)
        require_org(raw, focal_org)
        panels = read_panels(raw, focal_org, rule.audience, registry, annotations, board.indicators)
        quality = data_quality(raw, focal_org)
    effect_notes = effect_notes or {}
    marks = {str(r.indicator_id): quality_mark(r) for r in quality.itertuples()}
    views = [panel_view(p, rule, tuple(effect_notes.get(p.meta.id, ())), marks.get(p.meta.id),
                        board.indicator(p.meta.id)) for p in panels]
    groups = group_by_key_question(views)
    starts = [p.series["period_start"] for p in panels if len(p.series)]
    period_from = min(s.min() for s in starts) if starts else None
    period_to = max(s.max() for s in starts) if starts else None
    sources = sorted({SOURCE_LABELS.get(s, s) for p in panels for s in p.sources})
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
        org_name=board.name or org_name or focal_org,
        period_from=format_period(period_from, "month") if period_from else "–",
        period_to=format_period(period_to, "month") if period_to else "–",
        generated_at=(generated_at or datetime.now()).strftime("%d %B %Y %H:%M"),
        run_id=str(run["run_id"]),
        results_at=pd.Timestamp(run["finished_at"]).strftime("%d %B %Y %H:%M"),
        sources=sorted(set(sources)),
        small_number_note=rule.describe(),
        groups=groups,
        exceptions=_exceptions(views, panels, actions),
        mortality=mortality,
        ae_context=ae_context,
        ratings=ratings,
        actions=actions,
        missing=missing,
        footer_note=footer_note,
        board=board,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.html"
    path.write_text(html_text, encoding="utf-8")
    return path


def _exceptions(views: list[PanelView], panels: tuple[IndicatorPanel, ...], actions: ActionsView | None) -> tuple:
    """Exception reports, each with its chart drawn again under its own title (the chart's SVG ids
    derive from its title, so the two copies on the page do not clash)."""
    by_id = {p.meta.id: p for p in panels}
    return tuple(
        replace(e, chart_svg=charts.panel_chart(by_id[e.panel.id], title=f"Exception report: {e.panel.title}")[0])
        for e in exception_reports(views, actions)
    )


@contextlib.contextmanager
def reading(db: str | Path | Any) -> Iterator[Any]:
    """A read-only connection to ``db`` (closed after), or ``db`` itself when already open."""
    if not isinstance(db, (str, Path)):
        yield getattr(db, "con", db)  # an Ibis backend wraps its DuckDB connection
        return
    from wardwatch.warehouse import connect_raw

    raw = connect_raw(db, read_only=True)
    try:
        yield raw
    finally:
        raw.close()
