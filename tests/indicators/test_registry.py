"""The registry: ids pinned in the team brief, valid fields, catalogue in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from wardwatch.indicators import INDICATORS, Indicator
from wardwatch.indicators.catalogue import render_catalogue

PINNED = {
    "ed_initial_assessment_15min",
    "ed_4h",
    "ed_12h_from_arrival",
    "sepsis_antibiotics_1h_news2_7plus",
    "sepsis_antibiotics_3h_news2_5_6",
    "sepsis_screened_1h",
    "imaging_inpatient_scanned_24h",
    "imaging_report_turnaround_7d",
    "dm01_waiting_6wk_plus",
    "irmer_training_in_date",
    "irmer_entitlement_recorded",
    "mandatory_training_compliance",
    "staffing_fill_rate",
    "mortality_crude_30d",
    "sepsis_mortality_crude_30d",
    "ae_4h_type1",
    "ae_4h_all_types",
    # published national statistics (wardwatch load-published shmi|rtt|kh03|staff-survey|ae-annual)
    "shmi",
    "shmi_band",
    "rtt_incomplete_18wk",
    "kh03_bed_occupancy",
    "kh03_beds_available",
    "staff_engagement",
    "staff_recommend_work",
    "staff_recommend_care",
    "staff_work_stress",
    "ae_4h_annual",
}
CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"


def test_ids_are_the_pinned_ones():
    assert set(INDICATORS) == PINNED
    assert all(INDICATORS[i].id == i for i in INDICATORS)


def test_targets_follow_methods():
    assert INDICATORS["ed_4h"].target == 0.95
    assert INDICATORS["ed_12h_from_arrival"].target == 0.10
    assert INDICATORS["ed_12h_from_arrival"].improvement == "decrease"
    assert INDICATORS["dm01_waiting_6wk_plus"].target == 0.01
    assert INDICATORS["dm01_waiting_6wk_plus"].improvement == "decrease"
    assert INDICATORS["mandatory_training_compliance"].target == 0.90
    assert "UNVERIFIED" in INDICATORS["mandatory_training_compliance"].target_source
    assert "78%" in INDICATORS["ed_4h"].target_source
    for ind in INDICATORS.values():
        assert ind.target_source, ind.id
        assert ind.target is None or 0 <= ind.target <= 1


def test_ed_indicators_are_weekly_and_monthly():
    for i in ("ed_initial_assessment_15min", "ed_4h", "ed_12h_from_arrival"):
        assert INDICATORS[i].grains == ("week", "month")


def test_invalid_definition_is_refused():
    ind = INDICATORS["ed_4h"]
    with pytest.raises(ValueError, match="key_questions"):
        Indicator(**{**ind.__dict__, "key_questions": ("fast",)})
    with pytest.raises(ValueError, match="improvement"):
        Indicator(**{**ind.__dict__, "improvement": "up"})


def test_catalogue_matches_registry():
    assert CATALOGUE.read_text(encoding="utf-8") == render_catalogue(), (
        "docs/indicators.md is out of date: run python -m wardwatch.indicators.catalogue"
    )
