"""Action-plan section: each action with owner, dates, status (overdue flagged) and, for each linked
indicator, whether it moved after the action started (improved / no change / worsened / too early),
with the indicator's SPC chart annotated at the start date.

The plan comes from :mod:`wardwatch.actions` (``demo_plan()``) and the effect classification from
its evaluation function; this module arranges them for the page.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pandas as pd

from wardwatch.actions.effect import PlanEffects
from wardwatch.render.results import plot_spc
from wardwatch.report.views import ActionsView, ActionView, Figure, LinkedIndicatorView

EFFECT_LABELS = {
    "improved": "improved",
    "no_change": "no change",
    "no change": "no change",
    "worsened": "worsened",
    "too_early": "too early",
    "too early": "too early",
}


def evaluate_demo_plan(con: Any, focal_org: str, as_of: date) -> tuple[Any, Any]:
    """(plan, evaluation) for the demo: the actions module's demo plan and its effect evaluation."""
    from wardwatch.actions import demo_plan

    plan = demo_plan()
    evaluation = None
    try:
        evaluation = evaluate(plan, con, focal_org)
    except ImportError:
        evaluation = None
    return plan, evaluation


def evaluate(plan: Any, con: Any, focal_org: str) -> Any:
    """``wardwatch.actions.evaluate_plan`` on the focal trust's measures.

    The measures are read here (one query for the focal trust) and handed over as a frame.
    """
    from wardwatch.actions import evaluate_plan
    from wardwatch.report.measures import read_org_measures

    return evaluate_plan(plan, read_org_measures(con, focal_org), org_code=focal_org)


def effect_frame(evaluation: PlanEffects | pd.DataFrame | None) -> pd.DataFrame:
    """``action_id, indicator_id, effect`` (the verdict) and ``detail`` (its reason, with the effect
    size and interval) from the actions module's evaluation (or its ``to_frame()``)."""
    if evaluation is None:
        return pd.DataFrame(columns=["action_id", "indicator_id", "effect", "detail"])
    frame = evaluation if isinstance(evaluation, pd.DataFrame) else evaluation.to_frame()
    return pd.DataFrame({"action_id": frame["action_id"], "indicator_id": frame["indicator_id"],
                         "effect": frame["verdict"], "detail": frame["reason"].fillna("")})


def actions_view(
    con: Any, focal_org: str, plan: Any | None, as_of: date | None, evaluation: Any | None
) -> tuple[ActionsView, dict[str, list[tuple[date, str]]], dict[str, tuple[str, ...]]]:
    """(view, annotations per indicator, effect notes per indicator)."""
    as_of = as_of or date.today()
    notes: list[str] = []
    if plan is None:
        plan, evaluation = evaluate_demo_plan(con, focal_org, as_of)
    if getattr(plan, "org_code", focal_org) != focal_org:
        raise ValueError(f"the action plan is for {plan.org_code}, not {focal_org}")
    effects = effect_frame(evaluation)
    if evaluation is None:
        notes.append(
            "Effect evaluation was not available in this run: linked indicators are shown "
            "with their charts, without a verdict."
        )
    annotations: dict[str, list[tuple[date, str]]] = {}
    effect_notes: dict[str, list[str]] = {}
    from wardwatch.report.panels import anchor_for

    action_views = []
    for action in plan.actions:
        linked = []
        for link in action.indicators:
            ind = link.indicator_id
            annotations.setdefault(ind, []).append((action.start, f"{action.id} starts"))
            row = (
                effects[
                    (effects.get("action_id", pd.Series(dtype=str)) == action.id)
                    & (effects.get("indicator_id", pd.Series(dtype=str)) == ind)
                ]
                if len(effects)
                else effects
            )
            chart = None
            if len(row):
                raw = str(row.iloc[0]["effect"])
                effect = EFFECT_LABELS.get(raw, raw.replace("_", " "))
                detail = str(row.iloc[0].get("detail", "") or "")
                chart = _effect_chart(evaluation, action, ind, effect)
            else:
                effect, detail = "not evaluated", ""
            effect_notes.setdefault(ind, []).append(
                f"Action {action.id} “{action.title}” started {action.start:%d %b %Y}: {effect}."
            )
            linked.append(
                LinkedIndicatorView(
                    id=ind,
                    title=_title(ind),
                    anchor=anchor_for(ind),
                    effect=effect,
                    # "no change (low power)" must still give a valid CSS class name
                    effect_css="effect-" + re.sub(r"[^a-z0-9]+", "-", effect.lower()).strip("-"),
                    detail=detail,
                    chart=chart,
                )
            )
        overdue = bool(action.is_overdue(as_of)) if hasattr(action, "is_overdue") else False
        status = str(getattr(action, "status", "")).replace("_", " ")
        if getattr(action, "completed_on", None):
            status += f" ({action.completed_on:%d %b %Y})"
        finding = ""
        try:
            finding = plan.finding(action.finding_id).text
        except Exception:
            pass
        action_views.append(
            ActionView(
                id=action.id,
                title=action.title,
                owner=action.owner,
                start=f"{action.start:%d %b %Y}",
                due=f"{action.due:%d %b %Y}",
                status=status,
                overdue=overdue,
                finding=finding,
                linked=tuple(linked),
            )
        )
    view = ActionsView(actions=tuple(action_views), as_of=f"{as_of:%d %B %Y}", notes=tuple(notes))
    return view, annotations, {k: tuple(v) for k, v in effect_notes.items()}


def _effect_chart(evaluation: Any, action: Any, indicator_id: str, effect: str) -> Figure | None:
    """The evaluation's own rebased SPC chart (limits recalculated from the start, start annotated)."""
    title = f"Before and after action {action.id} (started {action.start:%d %b %Y}): {effect}"
    try:
        item = evaluation.get(action.id, indicator_id)
        result = item.rebased
        if result is not None and _unit(indicator_id) == "proportion":
            # the evaluation charts values on an XmR chart; show proportions as percentages
            svg = plot_spc(result, annotations=[(item.start, action.title)], title=title, value_format="percent")
        else:
            svg = item.plot(rebased=True, title=title)
    except Exception:
        return None
    from wardwatch.report.charts import accessible_svg

    return Figure(
        accessible_svg(svg, title),
        f"Monthly SPC chart with limits recalculated from the action start "
        f"({action.start:%d %b %Y}, marked); the verdict is “{effect}”.",
    )


def _unit(indicator_id: str) -> str:
    try:
        from wardwatch.indicators import INDICATORS

        return str(INDICATORS[indicator_id].unit)
    except Exception:
        return ""


def _title(indicator_id: str) -> str:
    try:
        from wardwatch.indicators import INDICATORS

        return INDICATORS[indicator_id].title
    except Exception:
        return indicator_id
