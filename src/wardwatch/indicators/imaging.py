"""Diagnostic imaging indicators (docs/methods.md 5.4), from the RIS extract ``imaging_requests``.

``unit_code`` rows break each indicator down by modality (CT, MR, XR ...).
"""

from __future__ import annotations

import ibis

from wardwatch.indicators._expr import DAY, instant, not_by, on_or_before, within_seconds
from wardwatch.indicators.model import EventSpec, Indicator, SnapshotSpec

#: DM01 counts patients waiting six weeks or more at the month-end census.
DM01_WAIT_DAYS = 42
#: Planned tests on the DM01 waiting list (inpatients and emergency patients are outside it).
DM01_PATIENT_TYPES = ("outpatient", "gp")


def _inpatient_not_cancelled(t):
    # A request cancelled before any scan leaves the list: it was never owed a scan.
    return (t.patient_type == "inpatient") & (t.performed_at.notnull() | t.cancelled_at.isnull())


def _scanned_within_24h(t):
    return within_seconds(instant(t, "requested_at"), instant(t, "performed_at"), 1 * DAY)


def _performed(t):
    return t.performed_at.notnull()


def _reported_within_7d(t):
    return within_seconds(instant(t, "performed_at"), instant(t, "reported_at"), 7 * DAY)


def _dm01_planned(t):
    return t.patient_type.isin(DM01_PATIENT_TYPES)


def _on_dm01_list(t, month_end):
    # Requested by the census day and neither scanned nor cancelled by its end.
    return (
        on_or_before(t.requested_at, month_end)
        & not_by(t.performed_at, month_end)
        & not_by(t.cancelled_at, month_end)
    )


def _waiting_6_weeks_plus(t, month_end):
    # Whole days from request date to census date >= 42 (date arithmetic, identical on both engines).
    return (t.requested_at.date() + ibis.interval(days=DM01_WAIT_DAYS)) <= month_end


IMAGING_INDICATORS = (
    Indicator(
        id="imaging_inpatient_scanned_24h",
        title="Inpatients scanned within 24 hours of request",
        description="Share of inpatient imaging requests whose scan was performed within 24 hours of the request.",
        key_questions=("safe", "responsive"),
        core_service="DIAGNOSTIC_IMAGING",
        unit="proportion",
        grains=("week", "month"),
        improvement="increase",
        target=None,
        target_source=(
            "No national standard: inpatients are outside DM01 (docs/methods.md 5.4); track locally. "
            "The trust's 24/7 monitoring of inpatients waiting for imaging is judged on this measure."
        ),
        chart="pp",
        numerator_text="requests with performed_at − requested_at ≤ 86,400 seconds",
        denominator_text="inpatient requests, by request week/month, excluding requests cancelled without a scan",
        notes=(
            "Decision: the denominator is every inpatient request (not only performed scans), so a patient "
            "still waiting, or never scanned, counts against the standard: that is the harm the 24/7 "
            "monitoring addresses. Requests cancelled without a scan are left out. The last day of an "
            "extract understates the share (requests less than 24 h old have had no time yet)."
        ),
        spec=EventSpec(
            table="imaging_requests",
            period_column="requested_at",
            where=_inpatient_not_cancelled,
            numerator=_scanned_within_24h,
            unit_column="modality",
        ),
    ),
    Indicator(
        id="imaging_report_turnaround_7d",
        title="Imaging reports issued within 7 days of the scan",
        description="Share of performed scans whose report was issued within 7 days of the scan.",
        key_questions=("safe", "effective"),
        core_service="DIAGNOSTIC_IMAGING",
        unit="proportion",
        grains=("week", "month"),
        improvement="increase",
        target=None,
        target_source="No national standard found; local turnaround standard (set a per-trust target).",
        chart="pp",
        numerator_text="scans with reported_at − performed_at ≤ 604,800 seconds",
        denominator_text="performed scans (all patient types), by scan week/month",
        notes="An unreported scan counts as not reported within 7 days.",
        spec=EventSpec(
            table="imaging_requests",
            period_column="performed_at",
            where=_performed,
            numerator=_reported_within_7d,
            unit_column="modality",
        ),
    ),
    Indicator(
        id="dm01_waiting_6wk_plus",
        title="DM01: patients waiting 6 weeks or more for a diagnostic test (month end)",
        description=(
            "Share of the diagnostic imaging waiting list (outpatient and GP requests) at month end who had "
            "waited 6 weeks (42 days) or more since the request."
        ),
        key_questions=("responsive",),
        core_service="DIAGNOSTIC_IMAGING",
        unit="proportion",
        grains=("month",),
        improvement="decrease",
        target=0.01,
        target_source=(
            "NHS Constitution: fewer than 1% waiting 6 weeks or more (2012/13 Operating Framework) "
            "[VERIFIED-PAGE, docs/methods.md 5.4]."
        ),
        chart="pp",
        numerator_text="on the list at month end with census date − request date ≥ 42 days",
        denominator_text=(
            "outpatient and GP requests made on or before the month end and neither performed nor "
            "cancelled by the end of that day"
        ),
        notes=(
            "All imaging modalities in the extract are counted; DM01 itself covers 15 key tests (list "
            "UNVERIFIED, docs/methods.md 5.4): use the modality rows (unit_code) for MRI, CT, US and DEXA. "
            "The first census is the first month end at least 42 days after the extract's first request: "
            "before then no request in the extract can have waited 6 weeks, and the share would read 0%."
        ),
        spec=SnapshotSpec(
            table="imaging_requests",
            where=_dm01_planned,
            applies=_on_dm01_list,
            numerator=_waiting_6_weeks_plus,
            calendar_columns=("requested_at",),
            site_column="site_code",
            unit_column="modality",
            warm_up_days=DM01_WAIT_DAYS,
        ),
    ),
)
