"""Emergency department indicators (docs/methods.md 5.1, 5.2), from ``ed_attendances``.

All three are dated by arrival (the clock starts at arrival) and reported weekly (ISO weeks,
starting Monday) and monthly, for the trust and for each site.
"""

from __future__ import annotations

import ibis

from wardwatch.indicators._expr import HOUR, MINUTE, instant, longer_than_seconds, within_seconds
from wardwatch.indicators.model import EventSpec, Indicator

#: timestamps whose latest value (per organisation) is the extract time
_EXTRACT_COLUMNS = (
    "arrival_at",
    "initial_assessment_at",
    "clinician_seen_at",
    "decision_to_admit_at",
    "departed_at",
)


def with_extract_time(t):
    """Add ``extract_at``: the latest timestamp anywhere in the organisation's ED extract.

    An attendance with no departure is still in the department *at the extract time*; the extract
    carries no separate cut-off, so the last event it records stands for it (a lower bound of the
    true cut-off: an open attendance is only ever called a breach too late, never too early).
    """
    present = [c for c in _EXTRACT_COLUMNS if c in t.columns]
    arrival = instant(t, "arrival_at")
    latest = ibis.greatest(*[instant(t, c).fill_null(arrival) for c in present]) if len(present) > 1 else arrival
    # a UTC instant (compared with the UTC arrival below)
    return t.mutate(extract_at=latest.max().over(group_by=t.org_code))


def _open_longer_than(t, seconds: int):
    """Still in the department at the extract time and already there more than ``seconds``."""
    return t.departed_at.isnull() & longer_than_seconds(instant(t, "arrival_at"), t.extract_at, seconds)


def _known_for_15min(t):
    """Assessed, gone, or still waiting more than 15 minutes at the extract time (a miss already);
    one that arrived under 15 minutes before the extract cannot be judged yet."""
    return (
        t.initial_assessment_at.notnull()
        | t.departed_at.notnull()
        | longer_than_seconds(instant(t, "arrival_at"), t.extract_at, 15 * MINUTE)
    )


def _assessed_within_15min(t):
    return within_seconds(instant(t, "arrival_at"), instant(t, "initial_assessment_at"), 15 * MINUTE)


def _completed(t):
    return t.departed_at.notnull()


def _departed_within_4h(t):
    return within_seconds(instant(t, "arrival_at"), instant(t, "departed_at"), 4 * HOUR)


def _departed_after_12h(t):
    return longer_than_seconds(instant(t, "arrival_at"), instant(t, "departed_at"), 12 * HOUR)


def _known_for_4h(t):
    """Outcome against 4 h known: departed, or still here after more than 4 h (a breach already)."""
    return _completed(t) | _open_longer_than(t, 4 * HOUR)


def _known_for_12h(t):
    return _completed(t) | _open_longer_than(t, 12 * HOUR)


def _over_12h(t):
    return _departed_after_12h(t) | _open_longer_than(t, 12 * HOUR)


ED_INDICATORS = (
    Indicator(
        id="ed_initial_assessment_15min",
        title="ED initial assessment within 15 minutes of arrival",
        description=(
            "Share of ED attendances whose initial assessment (streaming, triage or rapid assessment "
            "and treatment) started within 15 minutes of arrival."
        ),
        key_questions=("safe", "responsive"),
        core_service="UEC",
        unit="proportion",
        grains=("week", "month"),
        improvement="increase",
        target=None,
        target_source=(
            "No national target (docs/methods.md 5.1). The 2020 Clinically-led Review of Standards proposed "
            "assessment within 15 minutes of arrival; report the weekly share on a p'-chart."
        ),
        chart="pp",
        numerator_text="attendances with initial_assessment_at − arrival_at ≤ 900 seconds",
        denominator_text=(
            "all attendances, by arrival week/month, except those still waiting for assessment that "
            "arrived 900 seconds or less before the extract time"
        ),
        notes=(
            "Exactly 15:00 counts as within. A missing initial assessment time counts as not within "
            "15 minutes (it cannot be evidenced), unless the patient is still in the department and "
            "arrived 15 minutes or less before the extract time (not yet known: left out)."
        ),
        spec=EventSpec(
            table="ed_attendances",
            period_column="arrival_at",
            where=_known_for_15min,
            numerator=_assessed_within_15min,
            prepare=with_extract_time,
        ),
    ),
    Indicator(
        id="ed_4h",
        title="A&E four-hour standard: left the ED within 4 hours of arrival",
        description=(
            "Share of completed ED attendances admitted, transferred or discharged within 4 hours of arrival."
        ),
        key_questions=("responsive",),
        core_service="UEC",
        unit="proportion",
        grains=("week", "month"),
        improvement="increase",
        target=0.95,
        target_source=(
            "NHS Constitution operational standard 95% (2010) [VERIFIED-PAGE, docs/methods.md 5.2]; interim "
            "78% by March 2025 (2024/25 planning guidance, kept in the 2025/26 UEC plan)."
        ),
        chart="xmr",
        numerator_text="completed attendances with departed_at − arrival_at ≤ 14,400 seconds",
        denominator_text=(
            "completed attendances (departed_at recorded) plus attendances still in the department "
            "more than 14,400 seconds after arrival at the extract time, by arrival week/month"
        ),
        notes=(
            "Exactly 4:00:00 counts as within. An attendance still in the department (no departed_at) "
            "that has been there more than 4 hours at the extract time (the latest timestamp in the "
            "organisation's ED extract) is a breach; one there 4 hours or less is left out until it "
            "leaves. All department types together; use the site rows per department."
        ),
        spec=EventSpec(
            table="ed_attendances",
            period_column="arrival_at",
            where=_known_for_4h,
            numerator=_departed_within_4h,
            prepare=with_extract_time,
        ),
    ),
    Indicator(
        id="ed_12h_from_arrival",
        title="ED stays longer than 12 hours from arrival",
        description="Share of completed ED attendances that lasted more than 12 hours from arrival.",
        key_questions=("safe", "responsive"),
        core_service="UEC",
        unit="proportion",
        grains=("week", "month"),
        improvement="decrease",
        target=0.10,
        target_source=(
            "2025/26 UEC plan aim: 12-hour-from-arrival waits in fewer than 10% of attendances "
            "[VERIFIED-PAGE, docs/methods.md 5.2]."
        ),
        chart="pp",
        numerator_text=(
            "attendances with departed_at − arrival_at > 43,200 seconds, or still in the department "
            "more than 43,200 seconds after arrival at the extract time"
        ),
        denominator_text=(
            "completed attendances (departed_at recorded) plus attendances still in the department "
            "more than 43,200 seconds after arrival at the extract time, by arrival week/month"
        ),
        notes=(
            "Exactly 12:00:00 is not over 12 hours. An attendance still in the department more than "
            "12 hours after arrival at the extract time (latest timestamp in the organisation's ED "
            "extract) counts as over 12 hours; one there 12 hours or less is left out until it leaves. "
            "Not the historic 12-hour trolley wait (from decision to admit)."
        ),
        spec=EventSpec(
            table="ed_attendances",
            period_column="arrival_at",
            where=_known_for_12h,
            numerator=_over_12h,
            prepare=with_extract_time,
        ),
    ),
)
