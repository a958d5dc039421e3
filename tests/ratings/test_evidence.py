"""Evidence view: indicator evidence mapped to key questions with its direction."""

from __future__ import annotations

from datetime import date

import pandas as pd

from wardwatch.ratings.evidence import evidence_by_key_question, evidence_summary

INDICATORS = {
    "sepsis_1h": {"key_questions": ("safe", "effective"), "core_service": "UEC", "improvement": "increase"},
    "mortality": {"key_questions": ("effective",), "core_service": "TRUST_WIDE", "improvement": "decrease"},
    "fill_rate": {"key_questions": ("safe", "well_led"), "core_service": "TRUST_WIDE", "improvement": "increase"},
}


def test_spc_variation_and_assurance_directions():
    summary = pd.DataFrame({
        "indicator_id": ["sepsis_1h", "fill_rate", "mortality", "sepsis_1h"],
        "org_code": ["ZFV"] * 4,
        "segment": [0, 0, 0, 1],
        "variation": ["special_cause_improvement", "common_cause", "special_cause_neutral_high",
                      "special_cause_concern"],
        "assurance": ["none", "consistent_pass", "none", "consistent_fail"],
    })
    ev = evidence_by_key_question(summary, indicators=INDICATORS)
    # only the latest segment of sepsis_1h speaks: concern + consistent fail, on safe and effective
    sepsis = ev[ev.indicator_id == "sepsis_1h"]
    assert set(sepsis.key_question) == {"safe", "effective"}
    assert set(sepsis.direction) == {"negative"} and len(sepsis) == 4
    fill = ev[ev.indicator_id == "fill_rate"]
    assert set(fill.kind) == {"spc_assurance"} and set(fill.direction) == {"positive"}
    assert set(fill.key_question) == {"safe", "well_led"}
    assert ev[ev.indicator_id == "mortality"].direction.tolist() == ["neutral"]
    assert "rating" not in ev.columns  # the view proposes no rating


def test_funnel_outliers_point_by_improvement_direction():
    units = pd.DataFrame({"indicator_id": ["mortality"] * 3 + ["sepsis_1h"], "group": ["A", "B", "C", "A"],
                          "outlier": [True, True, False, True], "z": [3.1, -2.5, 0.2, 2.2]})
    ev = evidence_by_key_question(funnel_units=units, indicators=INDICATORS)
    mortality = ev[ev.indicator_id == "mortality"].set_index("org_code")
    assert mortality.loc["A", "direction"] == "negative"  # high mortality is bad
    assert mortality.loc["B", "direction"] == "positive"
    assert "C" not in mortality.index
    assert ev[(ev.indicator_id == "sepsis_1h")].direction.unique().tolist() == ["positive"]


def test_alerts_overdue_actions_and_unmapped_indicators():
    alerts = pd.DataFrame({"indicator_id": ["mortality", "unknown_x"], "org_code": ["ZFV", "ZFV"],
                           "kind": ["CUSUM signal", "alert"]})
    actions = pd.DataFrame({"id": ["A1", "A2", "A3"], "title": ["a", "b", "c"],
                            "due": ["2019-12-31", "2020-06-30", "2019-01-31"],
                            "status": ["in_progress", "in_progress", "complete"],
                            "key_question": ["safe", "safe", "safe"]})
    ev = evidence_by_key_question(alerts=alerts, actions=actions, indicators=INDICATORS,
                                  today=date(2020, 3, 31))
    assert ev[ev.indicator_id == "unknown_x"].key_question.tolist() == ["unmapped"]
    overdue = ev[ev.kind == "overdue_action"]
    assert set(overdue.key_question) == {"safe", "well_led"}
    assert overdue.detail.str.contains("A1").all() and set(overdue.direction) == {"negative"}
    counts = evidence_summary(ev).set_index("key_question")
    assert counts.loc["safe", "negative"] == 1 and counts.loc["effective", "negative"] == 1


def test_reads_the_indicator_registry_when_present():
    summary = pd.DataFrame({"indicator_id": ["sepsis_antibiotics_1h_news2_7plus"], "org_code": ["ZFV"],
                            "variation": ["special_cause_improvement"], "assurance": ["none"]})
    ev = evidence_by_key_question(summary)
    from wardwatch.indicators import INDICATORS as registry

    expected = set(registry["sepsis_antibiotics_1h_news2_7plus"].key_questions)
    assert set(ev.key_question) == expected and (ev.direction == "positive").all()
