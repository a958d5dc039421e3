"""The words every layer shares, each defined once.

CQC key questions (docs/methods.md 1.1), Making Data Count SPC point types and assurance states
(docs/methods.md 2.3), and SPC chart names. Statistics, indicators, ratings, renderers and reports
import them from here, so a label or an order cannot drift between the board pack, the public
page and the charts. Pure data: this module imports nothing from wardwatch.
"""

from __future__ import annotations

#: CQC key questions in the order CQC publishes them: identifier -> label.
KEY_QUESTION_LABELS: dict[str, str] = {
    "safe": "Safe",
    "effective": "Effective",
    "caring": "Caring",
    "responsive": "Responsive",
    "well_led": "Well-led",
}
KEY_QUESTIONS: tuple[str, ...] = tuple(KEY_QUESTION_LABELS)

#: The rating that aggregates the five key questions.
OVERALL = "overall"
OVERALL_LABEL = "Overall"
#: A ratings grid's columns: the five key questions, then overall.
RATED_QUESTION_LABELS: dict[str, str] = {**KEY_QUESTION_LABELS, OVERALL: OVERALL_LABEL}

#: Making Data Count variation icons: point type -> label.
POINT_TYPE_LABELS: dict[str, str] = {
    "common_cause": "Common cause variation",
    "special_cause_improvement": "Special cause – improvement",
    "special_cause_concern": "Special cause – concern",
    "special_cause_neutral_high": "Special cause – neutral (high)",
    "special_cause_neutral_low": "Special cause – neutral (low)",
}
POINT_TYPES: tuple[str, ...] = tuple(POINT_TYPE_LABELS)
COMMON_CAUSE, SPECIAL_IMPROVEMENT, SPECIAL_CONCERN, SPECIAL_NEUTRAL_HIGH, SPECIAL_NEUTRAL_LOW = POINT_TYPES

#: Making Data Count assurance icons: state -> label.
ASSURANCE_LABELS: dict[str, str] = {
    "consistent_pass": "Will consistently meet the target",
    "consistent_fail": "Will consistently fail the target",
    "inconsistent": "Hit and miss: will sometimes meet the target",
    "none": "No target assurance",
}
ASSURANCES: tuple[str, ...] = tuple(ASSURANCE_LABELS)
CONSISTENT_PASS, CONSISTENT_FAIL, INCONSISTENT, NO_ASSURANCE = ASSURANCES

#: SPC chart types wardwatch draws: code -> name printed in captions.
CHART_LABELS: dict[str, str] = {
    "xmr": "XmR",
    "p": "p",
    "pp": "p′ (Laney)",
    "u": "u",
    "up": "u′ (Laney)",
    "c": "c",
    "run": "run",
    "g": "g",
    "t": "t",
}
CHARTS: tuple[str, ...] = tuple(CHART_LABELS)
