"""Which contract columns each computed indicator reads: the one declaration of "used fields".

The specs say *how* to count (Ibis expressions), not *which columns* they touch, so the data-quality
mark (``wardwatch.results.quality``) reads its fields from here. A test checks every registry
indicator computed from patient-level data has an entry whose columns exist in its contract.

Two kinds of field, because a blank does not always mean a gap in the record:

``required``  must be present for the row to be counted correctly (the date that places it in a
              period, the organisation and site it is reported under, the code that puts it in
              the population, the outcome flag or the value summed). A blank here is a recording
              gap; completeness is measured on these. ``required_when`` narrows a field to the rows
              where it is needed (an SQL predicate on the contract's columns): a modality is needed
              only on IR(ME)R training rows, an assessment time only once the patient has left.
``events``    used, but blank until the event happens (a departure of an attendance still open,
              antibiotics not given yet, a scan still awaited, training not completed): a blank is a
              legitimate state the indicator already handles, so it is not held against the data.
"""

from __future__ import annotations

from dataclasses import dataclass

from wardwatch.contracts.schema import IRMER_COURSES


@dataclass(frozen=True)
class UsedFields:
    """The columns of ``dataset`` an indicator reads (see the module docstring)."""

    dataset: str
    required: tuple[str, ...]
    events: tuple[str, ...] = ()
    #: (column, SQL predicate): the column is required only on rows where the predicate is true
    required_when: tuple[tuple[str, str], ...] = ()

    def condition(self, column: str) -> str | None:
        return dict(self.required_when).get(column)


_IRMER_ROW = "course IN (" + ", ".join(f"'{c}'" for c in IRMER_COURSES) + ")"

_ED = ("org_code", "site_code", "arrival_at")
_SEPSIS = ("org_code", "site_code", "location", "trigger_at")
_IMAGING = ("org_code", "site_code", "modality", "patient_type", "requested_at")
_TRAINING = ("org_code", "staff_id", "course", "required_from")

INDICATOR_FIELDS: dict[str, UsedFields] = {
    # An attendance that has left should carry its initial assessment time; while it is still in
    # the department the time may simply not have come yet.
    "ed_initial_assessment_15min": UsedFields(
        "ed_attendances", (*_ED, "initial_assessment_at"), ("departed_at",),
        required_when=(("initial_assessment_at", "departed_at IS NOT NULL"),),
    ),
    "ed_4h": UsedFields("ed_attendances", _ED, ("departed_at",)),
    "ed_12h_from_arrival": UsedFields("ed_attendances", _ED, ("departed_at",)),
    "sepsis_antibiotics_1h_news2_7plus": UsedFields("sepsis_episodes", (*_SEPSIS, "news2"), ("antibiotics_at",)),
    "sepsis_antibiotics_3h_news2_5_6": UsedFields("sepsis_episodes", (*_SEPSIS, "news2"), ("antibiotics_at",)),
    "sepsis_screened_1h": UsedFields("sepsis_episodes", _SEPSIS, ("screened_at",)),
    "sepsis_mortality_crude_30d": UsedFields(
        "sepsis_episodes", ("org_code", "site_code", "trigger_at", "died_within_30d")
    ),
    "imaging_inpatient_scanned_24h": UsedFields("imaging_requests", _IMAGING, ("performed_at", "cancelled_at")),
    # Dated by the scan: a request not yet scanned is not in this indicator at all.
    "imaging_report_turnaround_7d": UsedFields(
        "imaging_requests", ("org_code", "site_code", "modality"), ("performed_at", "reported_at")
    ),
    "dm01_waiting_6wk_plus": UsedFields("imaging_requests", _IMAGING, ("performed_at", "cancelled_at")),
    # A training row of an IR(ME)R course without a modality would drop out of both IR(ME)R censuses:
    # the loader refuses it (contract staff_training.modality, required_when), so it is counted in the
    # quarantine share; the required_when here still marks such rows in a table written by other means.
    "irmer_training_in_date": UsedFields(
        "staff_training", (*_TRAINING, "modality"), ("completed_on", "valid_until"),
        required_when=(("modality", _IRMER_ROW),),
    ),
    "irmer_entitlement_recorded": UsedFields(
        "staff_training", (*_TRAINING, "modality"), ("completed_on",),
        required_when=(("modality", _IRMER_ROW),),
    ),
    "mandatory_training_compliance": UsedFields("staff_training", _TRAINING, ("completed_on", "valid_until")),
    "staffing_fill_rate": UsedFields(
        "staffing", ("org_code", "staff_group", "month", "in_post_wte", "establishment_wte")
    ),
    # site_code may be blank in the contract, but a spell without it is missing from the site rows.
    "mortality_crude_30d": UsedFields(
        "admissions",
        ("org_code", "site_code", "discharged_at", "died_in_hospital", "died_within_30d_of_discharge"),
    ),
}
