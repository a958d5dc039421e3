"""Workforce indicators (docs/methods.md 5.5, 5.6): IR(ME)R training and entitlement, mandatory training,
staffing fill rate. Training and entitlements are month-end censuses; staffing is monthly.
"""

from __future__ import annotations

import ibis

from wardwatch.contracts.schema import IONISING_MODALITIES, IRMER_COURSES, MANDATORY_COURSES
from wardwatch.indicators.model import EventSpec, Indicator, SnapshotSpec

#: Per-trust default for mandatory training compliance; docs/methods.md 5.6 marks 85/90/95% UNVERIFIED.
MANDATORY_TRAINING_TARGET = 0.90


def _irmer_requirement(t):
    # IR(ME)R covers ionising modalities only; MRI and ultrasound training is general competence.
    return t.course.isin(IRMER_COURSES) & t.modality.isin(IONISING_MODALITIES)


def _mandatory_requirement(t):
    return t.course.isin(MANDATORY_COURSES)


def _requirement_applies(t, month_end):
    return t.required_from <= month_end


def _completion_valid(t, month_end):
    # Valid on the census day: completed by then and not yet expired (valid through valid_until).
    return (
        t.completed_on.notnull()
        & (t.completed_on <= month_end)
        & (t.valid_until.isnull() | (t.valid_until >= month_end))
    )


def _entitlement_current(t, month_end):
    return (
        t.recorded_on.notnull()
        & (t.recorded_on <= month_end)
        & (t.withdrawn_on.isnull() | (t.withdrawn_on > month_end))
    )


def _irmer_requirements_with_entitlements(tables: dict) -> ibis.Table:
    """IR(ME)R training requirements, each joined to the entitlement for the same staff, modality
    and role (practitioner course -> practitioner entitlement, operator course -> operator)."""
    training = tables["staff_training"]
    entitlements = tables["irmer_entitlements"]
    requirements = training.filter(_irmer_requirement(training)).mutate(
        entitled_as=ibis.cases(
            (training.course == "irmer_practitioner", "practitioner"),
            (training.course == "irmer_operator", "operator"),
        )
    )
    ent = entitlements.select(
        e_org_code="org_code",
        e_staff_id="staff_id",
        e_modality="modality",
        e_entitled_as="entitled_as",
        recorded_on="recorded_on",
        withdrawn_on="withdrawn_on",
    )
    joined = requirements.left_join(
        ent,
        [
            requirements.org_code == ent.e_org_code,
            requirements.staff_id == ent.e_staff_id,
            requirements.modality == ent.e_modality,
            requirements.entitled_as == ent.e_entitled_as,
        ],
    )
    return joined.select(
        "org_code",
        "staff_id",
        "course",
        "modality",
        "required_from",
        "completed_on",
        "recorded_on",
        "withdrawn_on",
    )


def _in_post(t):
    return t.in_post_wte


def _establishment(t):
    return t.establishment_wte


WORKFORCE_INDICATORS = (
    Indicator(
        id="irmer_training_in_date",
        title="IR(ME)R training in date (month end)",
        description=(
            "Share of IR(ME)R practitioner and operator training requirements (staff × course × ionising "
            "modality) with a completion valid at month end."
        ),
        key_questions=("safe", "well_led"),
        core_service="DIAGNOSTIC_IMAGING",
        unit="proportion",
        grains=("month",),
        improvement="increase",
        target=1.0,
        target_source=(
            "IR(ME)R 2017 reg 17 and Schedule 3: no practitioner or operator may act unless adequately "
            "trained (regulation numbers UNVERIFIED, docs/methods.md 5.5): every requirement should be in date."
        ),
        chart="pp",
        numerator_text="requirements with a completion on or before month end and valid_until on or after it",
        denominator_text=(
            "distinct (staff, IR(ME)R course, ionising modality) requirements with required_from on or "
            "before month end"
        ),
        notes=(
            "Ionising modalities only (XR, CT, NM, FL, DEXA, MG). unit_code rows give each modality (CT ...). "
            "A completion is valid through its valid_until date."
        ),
        spec=SnapshotSpec(
            table="staff_training",
            where=_irmer_requirement,
            applies=_requirement_applies,
            numerator=_completion_valid,
            calendar_columns=("required_from", "completed_on"),
            entity=("staff_id", "course", "modality"),
            unit_column="modality",
        ),
    ),
    Indicator(
        id="irmer_entitlement_recorded",
        title="IR(ME)R entitlement recorded for practitioners and operators (month end)",
        description=(
            "Share of staff IR(ME)R practitioner/operator requirements (per ionising modality) with a "
            "current entitlement recorded under the employer's procedures for that modality and role."
        ),
        key_questions=("safe", "well_led"),
        core_service="DIAGNOSTIC_IMAGING",
        unit="proportion",
        grains=("month",),
        improvement="increase",
        target=1.0,
        target_source=(
            "IR(ME)R 2017 reg 2 and reg 6/Schedule 2: practitioners and operators must be entitled in "
            "accordance with the employer's procedures (regulation numbers UNVERIFIED, docs/methods.md 5.5)."
        ),
        chart="pp",
        numerator_text="requirements with an entitlement (same modality and role) recorded by month end and not withdrawn by then",
        denominator_text="distinct (staff, IR(ME)R role, ionising modality) requirements applying by month end",
        notes="Role from the course: irmer_practitioner → practitioner, irmer_operator → operator.",
        spec=SnapshotSpec(
            table="staff_training",
            extra_tables=("irmer_entitlements",),
            prepare=_irmer_requirements_with_entitlements,
            applies=_requirement_applies,
            numerator=_entitlement_current,
            calendar_columns=("required_from", "completed_on"),
            entity=("staff_id", "course", "modality"),
            unit_column="modality",
        ),
    ),
    Indicator(
        id="mandatory_training_compliance",
        title="Statutory and mandatory training compliance (month end)",
        description=(
            "Share of mandatory training requirements (staff × Core Skills Training Framework course) with a "
            "completion valid at month end."
        ),
        key_questions=("safe", "well_led"),
        core_service="TRUST_WIDE",
        unit="proportion",
        grains=("month",),
        improvement="increase",
        target=MANDATORY_TRAINING_TARGET,
        target_source=(
            "No national target (docs/methods.md 5.6); trusts commonly set 85%, 90% or 95% [UNVERIFIED]. "
            "Per-trust parameter, default 90%."
        ),
        chart="pp",
        numerator_text="requirements with a completion valid at month end",
        denominator_text="distinct (staff, mandatory course) requirements with required_from on or before month end",
        spec=SnapshotSpec(
            table="staff_training",
            where=_mandatory_requirement,
            applies=_requirement_applies,
            numerator=_completion_valid,
            calendar_columns=("required_from", "completed_on"),
            entity=("staff_id", "course"),
        ),
    ),
    Indicator(
        id="staffing_fill_rate",
        title="Staffing fill rate (staff in post / establishment)",
        description="Whole-time equivalent staff in post divided by the funded establishment, by month.",
        key_questions=("safe", "well_led"),
        core_service="TRUST_WIDE",
        unit="ratio",
        grains=("month",),
        improvement="increase",
        target=None,
        target_source="No national target; 1.0 means every funded post filled.",
        chart="xmr",
        numerator_text="sum of in_post_wte",
        denominator_text="sum of establishment_wte",
        notes="unit_code rows give each staff group (radiography, nursing ...). Bank and agency staff are not counted in post.",
        spec=EventSpec(
            table="staffing",
            period_column="month",
            numerator=_in_post,
            denominator=_establishment,
            site_column=None,
            unit_column="staff_group",
        ),
    ),
)
