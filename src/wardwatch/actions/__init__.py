"""Inspection findings, action plans and the measured effect of each action.

``demo_plan()`` is the synthetic focal trust ZFV's plan after its 2019 inspection;
``evaluate_plan(plan, measures)`` fits an interrupted time series to each linked indicator,
checks it with SPC and says whether it improved after the action started (rules in
``wardwatch.actions.effect``, docs/methods/action-effects.md).
"""

from __future__ import annotations

from wardwatch.actions.effect import Effect, EffectSettings, PlanEffects, evaluate_effect, evaluate_plan
from wardwatch.actions.model import STATUSES, Action, ActionPlan, Finding, IndicatorLink
from wardwatch.actions.store import demo_plan, load_plan, load_plan_csv, save_plan

__all__ = [
    "STATUSES", "Action", "ActionPlan", "Effect", "EffectSettings", "Finding", "IndicatorLink", "PlanEffects",
    "demo_plan", "evaluate_effect", "evaluate_plan", "load_plan", "load_plan_csv", "save_plan",
]
