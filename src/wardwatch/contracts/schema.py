"""Declarative data contracts for the patient-level datasets a trust holds.

Each contract lists its columns (name, type, whether the column must be present, whether a
value may be blank, allowed codes, numeric range, text pattern), its key and its ordering rules
between events. Validation (``wardwatch.contracts.validate``), the synthetic generator and the
indicator definitions all read these objects, so a column is named in one place only.

Types: ``string``, ``int``, ``float``, ``bool``, ``timestamp`` (ISO 8601, no zone: local time),
``date`` (ISO 8601).
"""

from __future__ import annotations

from dataclasses import dataclass

ORG_CODE_PATTERN = r"^[A-Z0-9]{3,5}$"
SITE_CODE_PATTERN = r"^[A-Z0-9]{3,9}$"

MODALITIES = ("XR", "CT", "MR", "US", "NM", "FL", "DEXA", "MG")
#: Modalities that use ionising radiation, so IR(ME)R 2017 applies (docs/methods.md 5.5).
IONISING_MODALITIES = ("XR", "CT", "NM", "FL", "DEXA", "MG")

STAFF_GROUPS = (
    "medical",
    "nursing",
    "midwifery",
    "ahp",
    "radiography",
    "healthcare_science",
    "support",
    "admin",
)
MANDATORY_COURSES = (
    "equality_diversity",
    "health_safety",
    "conflict_resolution",
    "fire_safety",
    "infection_prevention",
    "moving_handling",
    "safeguarding_adults",
    "safeguarding_children",
    "resuscitation",
    "information_governance",
    "preventing_radicalisation",
)
IRMER_COURSES = ("irmer_practitioner", "irmer_operator")
COURSES = MANDATORY_COURSES + IRMER_COURSES + ("sepsis",)

DIAGNOSIS_GROUPS = (
    "sepsis",
    "pneumonia",
    "heart_failure",
    "stroke",
    "copd",
    "ami",
    "uti",
    "hip_fracture",
    "gi_bleed",
    "aki",
    "other",
)


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    required: bool = True
    nullable: bool = False
    codes: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    #: a date that must fall on the 1st of a month (monthly returns); other days are out of range
    month_start: bool = False
    description: str = ""
    #: (SQL predicate on the contract's columns, the same in words): a blank allowed elsewhere is
    #: ``blank_required_value`` on the rows where the predicate holds
    required_when: tuple[str, str] | None = None


@dataclass(frozen=True)
class OrderRule:
    """``later`` must not precede ``earlier`` when both are present."""

    earlier: str
    later: str


#: Default plausible range of every date and timestamp of a dataset (inclusive): hospital
#: event records outside it are typing slips (year 0, 1900, 9999), not history or plans.
EVENT_DATES = ("1990-01-01", "2099-12-31")
#: Staff records reach further back (a long career's start date).
STAFF_DATES = ("1950-01-01", "2099-12-31")


@dataclass(frozen=True)
class Contract:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    order_rules: tuple[OrderRule, ...] = ()
    #: (earliest, latest) date, inclusive, of every date and timestamp column
    plausible_dates: tuple[str, str] = EVENT_DATES

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def utc_column(name: str) -> str:
    """The warehouse column holding the UTC instant of timestamp column ``name`` (written by the
    loader; wardwatch.contracts.timezones)."""
    return f"{name}_utc"


def _org() -> Column:
    return Column("org_code", "string", pattern=ORG_CODE_PATTERN, description="ODS code of the trust")


def _site(nullable: bool = False) -> Column:
    return Column(
        "site_code",
        "string",
        nullable=nullable,
        pattern=SITE_CODE_PATTERN,
        description="ODS site code",
    )


ED_ATTENDANCES = Contract(
    name="ed_attendances",
    description="One row per attendance at an emergency department (ECDS-like extract).",
    key=("attendance_id",),
    columns=(
        Column("attendance_id", "string", description="Unique attendance identifier"),
        _org(),
        _site(),
        Column(
            "department_type",
            "int",
            codes=("1", "2", "3"),
            description="1 major ED, 2 single specialty, 3 other (UTC, MIU)",
        ),
        Column("arrival_at", "timestamp", description="Arrival time (clock starts)"),
        Column(
            "initial_assessment_at",
            "timestamp",
            nullable=True,
            description="Initial assessment (streaming, triage or rapid assessment)",
        ),
        Column("clinician_seen_at", "timestamp", nullable=True, description="Seen by a clinician"),
        Column(
            "decision_to_admit_at",
            "timestamp",
            required=False,
            nullable=True,
            description="Decision to admit (admitted patients only)",
        ),
        Column(
            "departed_at",
            "timestamp",
            nullable=True,
            description="Left the department (blank while still in the department)",
        ),
        Column("arrival_mode", "string", codes=("ambulance", "walk_in", "police", "other")),
        Column(
            "acuity",
            "int",
            nullable=True,
            min=1,
            max=5,
            description="ECDS acuity: 1 immediate resuscitation ... 5 standard",
        ),
        Column("age", "int", min=0, max=120, description="Age in whole years at arrival"),
        Column(
            "disposal",
            "string",
            nullable=True,
            codes=("admitted", "discharged", "referred", "transferred", "left_before_treatment", "died"),
        ),
    ),
    order_rules=(
        OrderRule("arrival_at", "initial_assessment_at"),
        OrderRule("arrival_at", "clinician_seen_at"),
        OrderRule("arrival_at", "decision_to_admit_at"),
        OrderRule("arrival_at", "departed_at"),
        OrderRule("initial_assessment_at", "departed_at"),
        OrderRule("clinician_seen_at", "departed_at"),
    ),
)

SEPSIS_EPISODES = Contract(
    name="sepsis_episodes",
    description="One row per suspected-sepsis episode from the trust's sepsis audit.",
    key=("episode_id",),
    columns=(
        Column("episode_id", "string"),
        _org(),
        _site(),
        Column("location", "string", codes=("emergency_department", "assessment_unit", "inpatient_ward")),
        Column("trigger_at", "timestamp", description="Time zero: first NEWS2 triggering the pathway"),
        Column("news2", "int", min=0, max=20, description="Aggregate NEWS2 at time zero"),
        Column("screened_at", "timestamp", nullable=True, description="Sepsis screen completed"),
        Column("antibiotics_at", "timestamp", nullable=True, description="First antimicrobial given"),
        Column("age", "int", required=False, nullable=True, min=0, max=120),
        Column(
            "died_within_30d",
            "bool",
            nullable=True,
            description=(
                "Died within 30 days of time zero; blank while the outcome is not known yet (no death "
                "linkage yet, e.g. episodes written by the live feed): left out of the mortality indicator"
            ),
        ),
    ),
    order_rules=(
        OrderRule("trigger_at", "screened_at"),
        # no rule for antibiotics_at: antibiotics given before time zero (already on treatment)
        # meet the standard; quarantining them would drop met episodes from the denominator
    ),
)

IMAGING_REQUESTS = Contract(
    name="imaging_requests",
    description="One row per diagnostic imaging request (RIS extract).",
    key=("request_id",),
    columns=(
        Column("request_id", "string"),
        _org(),
        _site(),
        Column("modality", "string", codes=MODALITIES),
        Column("patient_type", "string", codes=("inpatient", "outpatient", "emergency", "gp")),
        Column("priority", "string", codes=("urgent", "soon", "routine")),
        Column("requested_at", "timestamp"),
        Column("performed_at", "timestamp", nullable=True, description="Scan done (blank while waiting)"),
        Column("reported_at", "timestamp", nullable=True, description="Report issued"),
        Column(
            "cancelled_at",
            "timestamp",
            required=False,
            nullable=True,
            description="Request cancelled (leaves the waiting list)",
        ),
    ),
    order_rules=(
        OrderRule("requested_at", "performed_at"),
        OrderRule("performed_at", "reported_at"),
        OrderRule("requested_at", "reported_at"),
        OrderRule("requested_at", "cancelled_at"),
    ),
)

STAFF_TRAINING = Contract(
    name="staff_training",
    description=(
        "One row per training requirement record of a member of staff (ESR-like extract): a "
        "completion, or a requirement not yet completed (blank completed_on)."
    ),
    key=("record_id",),
    columns=(
        Column("record_id", "string"),
        Column("staff_id", "string"),
        _org(),
        Column("staff_group", "string", codes=STAFF_GROUPS),
        Column("role", "string", description="Job role, e.g. 'Diagnostic radiographer'"),
        Column("course", "string", codes=COURSES),
        Column(
            "modality",
            "string",
            required=False,
            nullable=True,
            codes=MODALITIES,
            description=(
                "Imaging modality the course covers (IR(ME)R courses): an IR(ME)R row without one would "
                "belong to no modality's census, so it is refused"
            ),
            required_when=(
                "course IN (" + ", ".join(f"'{c}'" for c in IRMER_COURSES) + ")",
                "course is " + " or ".join(f"`{c}`" for c in IRMER_COURSES),
            ),
        ),
        Column("required_from", "date", description="Date the requirement started to apply"),
        Column("completed_on", "date", nullable=True),
        Column("valid_until", "date", nullable=True, description="Date the completion expires"),
    ),
    order_rules=(OrderRule("completed_on", "valid_until"),),
    plausible_dates=STAFF_DATES,
)

IRMER_ENTITLEMENTS = Contract(
    name="irmer_entitlements",
    description="One row per IR(ME)R entitlement recorded under the employer's procedures.",
    key=("staff_id", "modality", "entitled_as"),
    columns=(
        Column("staff_id", "string"),
        _org(),
        Column("modality", "string", codes=MODALITIES),
        Column("entitled_as", "string", codes=("referrer", "practitioner", "operator")),
        Column("recorded_on", "date"),
        Column("withdrawn_on", "date", required=False, nullable=True),
    ),
    order_rules=(OrderRule("recorded_on", "withdrawn_on"),),
    plausible_dates=STAFF_DATES,
)

STAFFING = Contract(
    name="staffing",
    description="Monthly establishment and staff in post, whole-time equivalents.",
    key=("org_code", "staff_group", "month"),
    columns=(
        _org(),
        Column("staff_group", "string", codes=STAFF_GROUPS),
        Column("month", "date", month_start=True, description="First day of the month"),
        Column("establishment_wte", "float", min=0, max=100000),
        Column("in_post_wte", "float", min=0, max=100000),
        Column("bank_agency_wte", "float", required=False, nullable=True, min=0, max=100000),
    ),
)

ADMISSIONS = Contract(
    name="admissions",
    description="One row per hospital spell (HES/SUS-like), linked to deaths after discharge.",
    key=("spell_id",),
    columns=(
        Column("spell_id", "string"),
        _org(),
        _site(nullable=True),
        Column("admitted_at", "timestamp"),
        Column("discharged_at", "timestamp"),
        Column("age", "int", min=0, max=120),
        Column("sex", "string", codes=("M", "F", "U")),
        Column("admission_method", "string", codes=("elective", "emergency", "maternity", "transfer")),
        Column("diagnosis_group", "string", codes=DIAGNOSIS_GROUPS),
        Column("charlson_index", "int", min=0, max=50),
        Column("died_in_hospital", "bool"),
        Column("died_within_30d_of_discharge", "bool"),
    ),
    order_rules=(OrderRule("admitted_at", "discharged_at"),),
)

CONTRACTS: dict[str, Contract] = {
    c.name: c
    for c in (
        ED_ATTENDANCES,
        SEPSIS_EPISODES,
        IMAGING_REQUESTS,
        STAFF_TRAINING,
        IRMER_ENTITLEMENTS,
        STAFFING,
        ADMISSIONS,
    )
}
