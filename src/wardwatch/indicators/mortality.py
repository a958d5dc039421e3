"""Crude mortality indicators (methods.md 4): the raw rates that risk models and funnels adjust."""

from __future__ import annotations

from wardwatch.indicators.model import EventSpec, Indicator


def _died_within_30d_of_spell(t):
    return t.died_in_hospital | t.died_within_30d_of_discharge


def _died_within_30d_of_trigger(t):
    return t.died_within_30d


MORTALITY_INDICATORS = (
    Indicator(
        id="mortality_crude_30d",
        title="Crude 30-day mortality of hospital spells",
        description="Share of spells ending in death in hospital or within 30 days of discharge, by discharge month.",
        key_questions=("effective", "safe"),
        core_service="TRUST_WIDE",
        unit="proportion",
        grains=("month",),
        improvement="decrease",
        target=None,
        target_source=(
            "No target: crude mortality is not case-mix adjusted. Compare with expected deaths (SHMI-style "
            "risk model, methods.md 4.1) and funnel plots, not with a fixed threshold."
        ),
        chart="pp",
        numerator_text="spells with died_in_hospital or died_within_30d_of_discharge",
        denominator_text="all spells, by discharge month",
        spec=EventSpec(
            table="admissions", period_column="discharged_at", numerator=_died_within_30d_of_spell
        ),
    ),
    Indicator(
        id="sepsis_mortality_crude_30d",
        title="Crude 30-day mortality after suspected sepsis",
        description="Share of suspected-sepsis episodes followed by death within 30 days, by trigger month.",
        key_questions=("effective", "safe"),
        core_service="MEDICAL",
        unit="proportion",
        grains=("month",),
        improvement="decrease",
        target=None,
        target_source=(
            "No target: crude rate. The trust's claim 'below expected' needs risk adjustment and a funnel "
            "plot (methods.md 3, 4)."
        ),
        chart="pp",
        numerator_text="episodes with died_within_30d",
        denominator_text="all suspected-sepsis episodes, by trigger month",
        spec=EventSpec(
            table="sepsis_episodes", period_column="trigger_at", numerator=_died_within_30d_of_trigger
        ),
    ),
)
