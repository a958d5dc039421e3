"""Crude mortality indicators (docs/methods.md 4): the raw rates that risk models and funnels adjust."""

from __future__ import annotations

from wardwatch.indicators.model import EventSpec, Indicator


def _died_within_30d_of_spell(t):
    return t.died_in_hospital | t.died_within_30d_of_discharge


def _died_within_30d_of_trigger(t):
    return t.died_within_30d


# An unknown outcome is not a survival (docs/methods.md 7.4): a spell or episode whose death flags are NULL
# (and none true) is left out of numerator AND denominator, never counted as a survivor. SQL's
# three-valued OR makes NULL | TRUE true (a known death) and NULL | FALSE NULL (unknown), the same
# on DuckDB and Spark.
#: 30-day follow-up plus the time a death takes to reach the death data (the default lag of
#: ``wardwatch mortality --death-lag-days``): later periods are flagged incomplete, not drawn
FOLLOW_UP_DAYS = 30 + 14


def _spell_outcome_known(t):
    return _died_within_30d_of_spell(t).notnull()


def _trigger_outcome_known(t):
    return t.died_within_30d.notnull()


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
            "risk model, docs/methods.md 4.1) and funnel plots, not with a fixed threshold."
        ),
        chart="pp",
        numerator_text="spells with died_in_hospital or died_within_30d_of_discharge",
        denominator_text=(
            "spells with a known outcome, by discharge month (NULL death flags with none true: left out, not "
            "counted as survivors). Periods ending less than 30 days plus the 14-day death-data lag before "
            "the extract's cut-off are flagged incomplete and not drawn: their deaths after discharge are "
            "not all recorded yet"
        ),
        spec=EventSpec(
            table="admissions",
            period_column="discharged_at",
            numerator=_died_within_30d_of_spell,
            where=_spell_outcome_known,
            follow_up_days=FOLLOW_UP_DAYS,
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
            "plot (docs/methods.md 3, 4)."
        ),
        chart="pp",
        numerator_text="episodes with died_within_30d",
        denominator_text=(
            "suspected-sepsis episodes with a known 30-day outcome, by trigger month; periods ending less "
            "than 44 days (30-day follow-up and the death-data lag) before the extract's cut-off are "
            "flagged incomplete"
        ),
        spec=EventSpec(
            table="sepsis_episodes",
            period_column="trigger_at",
            numerator=_died_within_30d_of_trigger,
            where=_trigger_outcome_known,
            follow_up_days=FOLLOW_UP_DAYS,
        ),
    ),
)
