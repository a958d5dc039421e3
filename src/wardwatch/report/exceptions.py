"""Exception reports (Making Data Count integrated performance reports) and data-quality marks.

An indicator gets an exception report when its latest variation is a special cause of concern
or its assurance is a consistent fail (the target lies beyond the process limits on the wrong
side): the two states in which NHS England's "Making Data Count" asks a board paper to explain
what is happening and what is being done.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from wardwatch.report.views import ActionsView, ExceptionView, PanelView, QualityMark
from wardwatch.vocabulary import CONSISTENT_FAIL, SPECIAL_CONCERN

CONCERN = SPECIAL_CONCERN
FAILING = CONSISTENT_FAIL

MARK_LABELS = {"good": "Data quality: good", "check": "Data quality: check", "poor": "Data quality: poor"}


def is_exception(view: PanelView) -> bool:
    return view.variation == CONCERN or view.assurance == FAILING


def why(view: PanelView) -> str:
    reasons = []
    if view.variation == CONCERN:
        reasons.append("special-cause variation of concern")
    if view.assurance == FAILING:
        reasons.append(f"the process will consistently fail the target ({view.target})")
    return " and ".join(reasons)


def what_the_data_shows(view: PanelView) -> str:
    """One plain sentence from the stored judgement (no new statistics)."""
    return (f"Latest {view.grain} ({view.latest_period}): {view.latest_value}"
            + (f" ({view.latest_counts})" if view.latest_counts not in ("", "–") else "")
            + f". Variation: {view.variation_label.lower()}; assurance: {view.assurance_label.lower()}.")


def exception_reports(views: list[PanelView], actions: ActionsView | None) -> tuple[ExceptionView, ...]:
    linked: dict[str, list[str]] = {}
    if actions is not None:
        for action in actions.actions:
            for link in action.linked:
                linked.setdefault(link.id, []).append(
                    f"{action.id} {action.title} ({action.status}; {link.effect})")
    return tuple(
        ExceptionView(panel=v, reason=why(v), shows=what_the_data_shows(v),
                      linked_actions=tuple(linked.get(v.id, ())))
        for v in views if is_exception(v)
    )


def quality_mark(row: Any) -> QualityMark:
    """The mark of one ``result_data_quality`` row, with the figures behind it."""
    parts = []
    if pd.notna(row.complete_share) and row.dataset is not None and not pd.isna(row.dataset):
        parts.append(f"{row.complete_share:.1%} of rows complete")
    if pd.notna(row.quarantined_share):
        parts.append(f"{row.quarantined_share:.1%} quarantined")
    if pd.notna(row.days_behind):
        stale = " (stale)" if bool(row.stale) else ""
        parts.append(f"{int(row.days_behind)} days behind, {int(row.allowed_lag_days)} allowed{stale}")
    mark = str(row.mark)
    return QualityMark(mark=mark, label=MARK_LABELS.get(mark, f"Data quality: {mark}"),
                       detail="; ".join(parts), stale=bool(row.stale))

