"""Render-ready view models: plain strings and numbers the templates print without logic."""

from __future__ import annotations

from dataclasses import dataclass, field

from wardwatch.report.board import IndicatorNotes


@dataclass(frozen=True)
class PanelView:
    id: str
    anchor: str
    title: str
    description: str
    key_question: str
    other_key_questions: tuple[str, ...]
    grain: str
    chart_type: str
    latest_period: str
    latest_value: str
    latest_counts: str
    target: str
    target_source: str
    variation: str | None
    variation_label: str
    variation_icon: str
    assurance: str | None
    assurance_label: str
    assurance_icon: str
    chart_svg: str
    chart_kind: str
    chart_note: str
    sources: str
    n_points: int
    effect_notes: tuple[str, ...] = ()
    quality: QualityMark | None = None
    notes: IndicatorNotes | None = None


@dataclass(frozen=True)
class QualityMark:
    """The data-quality mark computed from the data (wardwatch.results.quality)."""

    mark: str  # good | check | poor
    label: str
    detail: str
    stale: bool


@dataclass(frozen=True)
class ExceptionView:
    """An exception report: an indicator with special-cause concern or failing assurance."""

    panel: PanelView
    reason: str
    shows: str
    linked_actions: tuple[str, ...] = ()
    chart_svg: str = ""


@dataclass(frozen=True)
class KeyQuestionGroup:
    id: str
    label: str
    panels: tuple[PanelView, ...]
    related: tuple[PanelView, ...] = ()  # charted under another key question, also evidence here


@dataclass(frozen=True)
class Figure:
    """A chart with its caption (the SVG carries its own <title> as alt text)."""

    svg: str
    caption: str


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    row_classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MortalityView:
    answer: str
    verdict: str
    stats: Table | None = None
    funnel: Figure | None = None
    alerts: Table | None = None
    alert_figures: tuple[Figure, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AEContextView:
    org_code: str
    org_name: str
    period: str
    answer: str
    funnel: Figure | None = None
    spc: Figure | None = None
    stats: Table | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RatingCell:
    rating: str
    css: str
    explanation: str = ""


@dataclass(frozen=True)
class RatingsView:
    title: str
    inspection: str
    key_questions: tuple[str, ...]
    rows: tuple[tuple[str, tuple[RatingCell, ...]], ...]  # (service, cells per key question + overall)
    history: Table | None = None
    explanations: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkedIndicatorView:
    id: str
    title: str
    anchor: str
    effect: str
    effect_css: str
    detail: str
    chart: Figure | None = None


@dataclass(frozen=True)
class ActionView:
    id: str
    title: str
    owner: str
    start: str
    due: str
    status: str
    overdue: bool
    finding: str
    linked: tuple[LinkedIndicatorView, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ActionsView:
    actions: tuple[ActionView, ...]
    as_of: str
    notes: tuple[str, ...] = ()
