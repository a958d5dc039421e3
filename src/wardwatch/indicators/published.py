"""Indicators loaded from published national statistics (``wardwatch.published``), not computed."""

from __future__ import annotations

from wardwatch.indicators.model import Indicator, PublishedSpec

AE_MONTHLY_SOURCE = "NHS England A&E monthly"

_AE_TARGET = (
    "NHS Constitution operational standard 95% within 4 hours (2010) [VERIFIED-PAGE, methods.md 5.2]; "
    "interim 76% by March 2024, 78% by March 2025."
)

PUBLISHED_INDICATORS = (
    Indicator(
        id="ae_4h_type1",
        title="A&E 4-hour performance, type 1 departments (published)",
        description="NHS England monthly A&E statistics: share of type 1 attendances within 4 hours.",
        key_questions=("responsive",),
        core_service="UEC",
        unit="proportion",
        grains=("month",),
        improvement="increase",
        target=0.95,
        target_source=_AE_TARGET,
        chart="pp",
        numerator_text="type 1 attendances − type 1 breaches (over 4 hours)",
        denominator_text="type 1 attendances",
        spec=PublishedSpec(loader="ae-monthly", source=AE_MONTHLY_SOURCE),
    ),
    Indicator(
        id="ae_4h_all_types",
        title="A&E 4-hour performance, all department types (published)",
        description="NHS England monthly A&E statistics: share of attendances of all types within 4 hours.",
        key_questions=("responsive",),
        core_service="UEC",
        unit="proportion",
        grains=("month",),
        improvement="increase",
        target=0.95,
        target_source=_AE_TARGET,
        chart="pp",
        numerator_text="attendances − breaches, all types summed",
        denominator_text="attendances, all types summed",
        notes="The headline measure (methods.md 5.2).",
        spec=PublishedSpec(loader="ae-monthly", source=AE_MONTHLY_SOURCE),
    ),
)
