"""Findings and action plans: editing, overdue, repeat findings, YAML/CSV round trips."""

from __future__ import annotations

from datetime import date

import pytest

from wardwatch.actions import ActionPlan, demo_plan, load_plan, save_plan
from wardwatch.errors import InputError


def small_plan() -> ActionPlan:
    plan = ActionPlan("T1", "plan")
    plan.add_finding(id="F1", inspection="I2017", date="2017-09-12", service="UEC", key_question="Safe",
                     theme="triage", text="slow triage")
    plan.add_finding(id="F2", inspection="I2019", date="2019-07-12", service="Urgent and emergency services",
                     key_question="safe", theme="Triage", text="still slow")
    plan.add_finding(id="F3", inspection="I2019", date="2019-07-12", service="UEC", key_question="effective",
                     theme="triage", text="different key question")
    plan.add_finding(id="F4", inspection="I2019", date="2019-07-12", service="MEDICAL", key_question="safe",
                     theme="triage", text="different service")
    return plan


def test_repeat_findings_same_service_key_question_theme_later_inspection():
    repeats = small_plan().repeat_findings()
    assert repeats.finding_id.tolist() == ["F2"]
    assert repeats.loc[0, "repeat_of"] == "F1" and repeats.loc[0, "times_found"] == 2


def test_add_update_and_overdue():
    plan = small_plan()
    a = plan.add_action(finding_id="F2", title="Triage nurse", owner="ED matron", start="2019-08-01",
                        due="2019-12-31", indicators=["ed_initial_assessment_15min:increase"])
    b = plan.add_action(finding_id="F2", title="Audit", owner="QI", start="2019-08-01", due="2020-06-30")
    assert (a.id, b.id) == ("A01", "A02")
    overdue = plan.overdue(date(2020, 3, 31))
    assert overdue.id.tolist() == ["A01"] and overdue.loc[0, "days_overdue"] == 91
    done = plan.update_status("A01", "complete", "2020-01-15")
    assert done.completed_on == date(2020, 1, 15)
    assert plan.overdue(date(2020, 3, 31)).empty
    assert plan.overdue(date(2020, 7, 1)).id.tolist() == ["A02"]
    plan.update_status("A02", "cancelled")
    assert plan.overdue(date(2020, 7, 1)).empty
    reopened = plan.update_status("A01", "in_progress")
    assert reopened.completed_on is None and plan.overdue(date(2020, 3, 31)).id.tolist() == ["A01"]


def test_edit_errors_are_input_errors():
    plan = small_plan()
    with pytest.raises(InputError, match="no finding"):
        plan.add_action(finding_id="NOPE", title="x", owner="y", start="2019-01-01", due="2019-02-01")
    with pytest.raises(InputError, match="before start"):
        plan.add_action(finding_id="F1", title="x", owner="y", start="2019-03-01", due="2019-02-01")
    with pytest.raises(InputError, match="status"):
        plan.add_action(finding_id="F1", title="x", owner="y", start="2019-01-01", due="2019-02-01",
                        status="sort of")
    with pytest.raises(InputError, match="increase or decrease"):
        plan.add_action(finding_id="F1", title="x", owner="y", start="2019-01-01", due="2019-02-01",
                        indicators=["ind:sideways"])
    with pytest.raises(InputError, match="date"):
        plan.add_action(finding_id="F1", title="x", owner="y", start="soon", due="2019-02-01")


@pytest.mark.parametrize("target", ["plan.yaml", "plan_csv"])
def test_round_trip(tmp_path, target):
    plan = demo_plan()
    plan.update_status("A04", "complete", "2020-02-01")
    path = tmp_path / target
    save_plan(plan, path)
    again = load_plan(path)
    assert again.org_code == plan.org_code
    assert again.findings == plan.findings
    assert again.actions == plan.actions


def test_demo_plan_matches_the_story():
    plan = demo_plan()
    titles = {a.title: a for a in plan.actions}
    matron = titles["Appoint a quality matron for sepsis"]
    assert matron.start == date(2019, 4, 1)
    assert matron.indicators[0].indicator_id == "sepsis_antibiotics_1h_news2_7plus"
    assert titles["24/7 monitoring of inpatients waiting for imaging"].start == date(2019, 5, 1)
    assert titles["Staffing review"].indicators[0].indicator_id == "staffing_fill_rate"
    radiographers = titles["Radiographer recruitment and IR(ME)R training"]
    assert radiographers.start == date(2019, 7, 1) and radiographers.indicators[0].unit_code == "CT"
    # A&E failings persisting from 2017 are a repeat finding
    repeats = plan.repeat_findings()
    assert repeats.finding_id.tolist() == ["F2019-04"] and repeats.repeat_of.tolist() == ["F2017-01"]
    assert set(plan.overdue(date(2020, 3, 31)).id) == {"A04", "A05"}


def test_a_rebasing_link_reads_and_writes_in_text_and_yaml(tmp_path):
    from wardwatch.actions.model import IndicatorLink, format_link, parse_link
    from wardwatch.actions.store import plan_from_dict, plan_to_dict

    link = parse_link("ed_4h:increase:rebase@ZFV01")
    assert link == IndicatorLink("ed_4h", "increase", "ZFV01", None, True)
    assert format_link(link) == "ed_4h:increase:rebase@ZFV01"
    assert parse_link("ed_4h:decrease").rebase is False
    assert parse_link({"indicator_id": "ed_4h", "expected": "increase", "rebase": True}).rebase is True
    for bad in ("ed_4h:increase:rebuild", {"indicator_id": "ed_4h", "rebase": "yes"}):
        with pytest.raises(InputError, match="rebase"):
            parse_link(bad)
    plan = ActionPlan(org_code="ZZ1")
    plan.add_finding(id="F1", inspection="I", date="2024-01-01", service="UEC", key_question="safe")
    plan.add_action(finding_id="F1", title="t", owner="o", start="2024-02-01", due="2024-03-01",
                    indicators=["ed_4h:increase:rebase", "ed_12h_from_arrival:decrease"])
    doc = plan_to_dict(plan)
    assert doc["actions"][0]["indicators"] == [
        {"indicator_id": "ed_4h", "expected": "increase", "rebase": True},
        {"indicator_id": "ed_12h_from_arrival", "expected": "decrease"}]
    assert plan_from_dict(doc, "here").actions[0].indicators == plan.actions[0].indicators
