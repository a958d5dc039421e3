"""Sepsis indicators (docs/methods.md 5.3), from the sepsis audit ``sepsis_episodes``.

Time zero is ``trigger_at`` (first NEWS2 triggering the pathway); episodes are dated by it.
Antibiotics recorded before time zero meet the standard (``antibiotics_at <= trigger_at + 1 h``
holds); the contract accepts them rather than quarantining the episode.
``unit_code`` rows break each indicator down by location (ED, assessment unit, inpatient ward).
"""

from __future__ import annotations

from wardwatch.indicators._expr import HOUR, instant, within_seconds
from wardwatch.indicators.model import EventSpec, Indicator

_AOMRC = (
    "AoMRC 2022 statement on antimicrobial timing, adopted by NICE NG51 (2024) and current in NICE "
    "NG253 (2025) [VERIFIED-PAGE via secondary, docs/methods.md 5.3]"
)


def _news2_7_plus(t):
    return t.news2 >= 7


def _news2_5_to_6(t):
    return t.news2.between(5, 6)


def _antibiotics_within_1h(t):
    return within_seconds(instant(t, "trigger_at"), instant(t, "antibiotics_at"), 1 * HOUR)


def _antibiotics_within_3h(t):
    return within_seconds(instant(t, "trigger_at"), instant(t, "antibiotics_at"), 3 * HOUR)


def _screened_within_1h(t):
    return within_seconds(instant(t, "trigger_at"), instant(t, "screened_at"), 1 * HOUR)


SEPSIS_INDICATORS = (
    Indicator(
        id="sepsis_antibiotics_1h_news2_7plus",
        title="Sepsis: antibiotics within 1 hour for NEWS2 7 or more",
        description="Share of suspected-sepsis episodes with NEWS2 ≥ 7 given antibiotics within 60 minutes of time zero.",
        key_questions=("safe", "effective"),
        core_service="MEDICAL",
        unit="proportion",
        grains=("week", "month"),
        improvement="increase",
        target=None,
        target_source=(
            f"Standard: antimicrobials within 1 hour for NEWS2 ≥ 7 (high risk): {_AOMRC}. No national % "
            "target: set a local one."
        ),
        chart="pp",
        numerator_text="episodes with antibiotics_at − trigger_at ≤ 3,600 seconds",
        denominator_text="episodes with NEWS2 ≥ 7, by trigger week/month",
        notes=(
            "Missing antibiotics time counts as not within 1 hour. Antibiotics given before time zero "
            "(already on treatment when NEWS2 triggered) count as within."
        ),
        spec=EventSpec(
            table="sepsis_episodes",
            period_column="trigger_at",
            where=_news2_7_plus,
            numerator=_antibiotics_within_1h,
            unit_column="location",
        ),
    ),
    Indicator(
        id="sepsis_antibiotics_3h_news2_5_6",
        title="Sepsis: antibiotics within 3 hours for NEWS2 5 to 6",
        description="Share of suspected-sepsis episodes with NEWS2 5–6 given antibiotics within 3 hours of time zero.",
        key_questions=("safe", "effective"),
        core_service="MEDICAL",
        unit="proportion",
        grains=("week", "month"),
        improvement="increase",
        target=None,
        target_source=(
            f"Standard (no national % target): antimicrobials within 3 hours for NEWS2 5–6 (moderate risk): {_AOMRC}. NICE's exact wording "
            "for this band is UNVERIFIED."
        ),
        chart="pp",
        numerator_text="episodes with antibiotics_at − trigger_at ≤ 10,800 seconds",
        denominator_text="episodes with NEWS2 5 or 6, by trigger week/month",
        notes=(
            "Missing antibiotics time counts as not within 3 hours. Antibiotics given before time zero "
            "count as within."
        ),
        spec=EventSpec(
            table="sepsis_episodes",
            period_column="trigger_at",
            where=_news2_5_to_6,
            numerator=_antibiotics_within_3h,
            unit_column="location",
        ),
    ),
    Indicator(
        id="sepsis_screened_1h",
        title="Sepsis: screened within 1 hour of trigger",
        description="Share of suspected-sepsis episodes with a sepsis screen completed within 1 hour of time zero.",
        key_questions=("safe", "effective"),
        core_service="MEDICAL",
        unit="proportion",
        grains=("week", "month"),
        improvement="increase",
        target=None,
        target_source="Standard (no national % target): Sepsis Six within 1 hour (UK Sepsis Trust) [UNVERIFIED against primary, docs/methods.md 5.3].",
        chart="pp",
        numerator_text="episodes with screened_at − trigger_at ≤ 3,600 seconds",
        denominator_text="all episodes, by trigger week/month",
        notes="Missing screen time counts as not screened within 1 hour.",
        spec=EventSpec(
            table="sepsis_episodes",
            period_column="trigger_at",
            numerator=_screened_within_1h,
            unit_column="location",
        ),
    ),
)
