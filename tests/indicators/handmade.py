"""Hand-made warehouse rows, small enough to count by hand (counts are in the test files).

Dates used: 2019-04-01 and 2019-04-08 are Mondays; 2019-03-31 and 2019-04-07 are Sundays.
"""

from __future__ import annotations

from warehouse_helpers import typed_frame


def _ed(aid, org, site, arrival, assessed, departed):
    return {
        "attendance_id": aid,
        "org_code": org,
        "site_code": site,
        "department_type": 1,
        "arrival_at": arrival,
        "initial_assessment_at": assessed,
        "clinician_seen_at": None,
        "departed_at": departed,
        "arrival_mode": "walk_in",
        "acuity": 3,
        "age": 50,
        "disposal": "discharged" if departed else None,
    }


ED_ROWS = [
    # a1 Sunday 23:50 (week of Mon 2019-03-25, March); assessed after exactly 15:00; left after exactly 4:00:00
    _ed("a1", "ZFV", "ZFV01", "2019-03-31 23:50:00", "2019-04-01 00:05:00", "2019-04-01 03:50:00"),
    # a2 Monday 00:00:00 (week 2019-04-01); assessed at 15:01; left after 4:00:01
    _ed("a2", "ZFV", "ZFV01", "2019-04-01 00:00:00", "2019-04-01 00:15:01", "2019-04-01 04:00:01"),
    # a3 no assessment time (not within 15 min) and still in the department (not completed)
    _ed("a3", "ZFV", "ZFV01", "2019-04-02 10:00:00", None, None),
    # a4 other site; assessed at 14:59; left after exactly 12:00:00 (not over 12 h)
    _ed("a4", "ZFV", "ZFV02", "2019-04-03 08:00:00", "2019-04-03 08:14:59", "2019-04-03 20:00:00"),
    # a5 Sunday 23:59:59 (still week 2019-04-01); assessed at 10:01; left after 12:00:01 (over 12 h)
    _ed("a5", "ZFV", "ZFV02", "2019-04-07 23:59:59", "2019-04-08 00:10:00", "2019-04-08 12:00:00"),
    # a6 Monday (week 2019-04-08); assessed on arrival; left after 30 min
    _ed("a6", "ZFV", "ZFV01", "2019-04-08 09:00:00", "2019-04-08 09:00:00", "2019-04-08 09:30:00"),
    # a7 peer trust, Tuesday 30 April (week 2019-04-29, April); assessed at 20:00; left after 2 h (in May)
    _ed("a7", "ZP01", "ZP011", "2019-04-30 23:00:00", "2019-04-30 23:20:00", "2019-05-01 01:00:00"),
]


def _ep(eid, location, trigger, news2, screened, antibiotics, died):
    return {
        "episode_id": eid,
        "org_code": "ZFV",
        "site_code": "ZFV01",
        "location": location,
        "trigger_at": trigger,
        "news2": news2,
        "screened_at": screened,
        "antibiotics_at": antibiotics,
        "age": 70,
        "died_within_30d": died,
    }


SEPSIS_ROWS = [
    # e1 NEWS2 7: antibiotics after exactly 60:00 (within), screened at 30 min
    _ep(
        "e1",
        "emergency_department",
        "2019-05-01 10:00:00",
        7,
        "2019-05-01 10:30:00",
        "2019-05-01 11:00:00",
        False,
    ),
    # e2 NEWS2 8: antibiotics after 60:01 (not within), screened after exactly 60:00 (within); died
    _ep("e2", "inpatient_ward", "2019-05-02 10:00:00", 8, "2019-05-02 11:00:00", "2019-05-02 11:00:01", True),
    # e3 NEWS2 9: no antibiotics and no screen recorded (neither within)
    _ep("e3", "emergency_department", "2019-05-03 10:00:00", 9, None, None, False),
    # e4 NEWS2 5 (Saturday): antibiotics after exactly 3:00:00 (within 3 h), screened at 59:59
    _ep(
        "e4", "inpatient_ward", "2019-05-04 08:00:00", 5, "2019-05-04 08:59:59", "2019-05-04 11:00:00", False
    ),
    # e5 NEWS2 6 (Friday 31 May, week 2019-05-27): antibiotics after 3:00:01 (next month), screened at 1:01; died
    _ep(
        "e5", "assessment_unit", "2019-05-31 22:00:00", 6, "2019-05-31 23:01:00", "2019-06-01 01:00:01", True
    ),
    # e6 NEWS2 4 (Monday 3 June): in neither antibiotic band; screened at 10 min
    _ep(
        "e6",
        "emergency_department",
        "2019-06-03 12:00:00",
        4,
        "2019-06-03 12:10:00",
        "2019-06-03 12:30:00",
        False,
    ),
]


def _req(rid, site, modality, patient_type, requested, performed=None, reported=None, cancelled=None):
    return {
        "request_id": rid,
        "org_code": "ZFV",
        "site_code": site,
        "modality": modality,
        "patient_type": patient_type,
        "priority": "routine",
        "requested_at": requested,
        "performed_at": performed,
        "reported_at": reported,
        "cancelled_at": cancelled,
    }


IMAGING_ROWS = [
    # inpatients
    _req(
        "r1", "ZFV01", "CT", "inpatient", "2019-05-10 08:00:00", "2019-05-11 08:00:00", "2019-05-11 10:00:00"
    ),
    _req(
        "r2", "ZFV01", "XR", "inpatient", "2019-05-10 09:00:00", "2019-05-11 09:00:01", "2019-05-18 09:00:01"
    ),
    _req("r3", "ZFV01", "CT", "inpatient", "2019-05-20 10:00:00"),  # still waiting
    _req("r4", "ZFV02", "MR", "inpatient", "2019-05-21 10:00:00", cancelled="2019-05-21 12:00:00"),
    _req(
        "r5", "ZFV02", "CT", "inpatient", "2019-05-31 23:00:00", "2019-06-01 10:00:00", "2019-06-08 10:00:01"
    ),
    # planned (DM01) requests
    _req(
        "o1", "ZFV02", "MR", "outpatient", "2019-04-19 09:00:00", "2019-06-05 09:00:00", "2019-06-06 09:00:00"
    ),
    _req("o2", "ZFV01", "US", "gp", "2019-04-20 09:00:00"),
    _req("o3", "ZFV01", "CT", "outpatient", "2019-04-30 23:59:00", "2019-05-01 00:00:00"),
    _req("o4", "ZFV01", "XR", "gp", "2019-05-15 09:00:00", cancelled="2019-05-31 10:00:00"),
    _req("o5", "ZFV01", "CT", "emergency", "2019-04-01 09:00:00"),
    _req(
        "o6",
        "ZFV01",
        "DEXA",
        "outpatient",
        "2019-03-01 10:00:00",
        "2019-05-31 15:00:00",
        "2019-06-07 15:00:00",
    ),
    _req("o7", "ZFV01", "XR", "gp", "2019-06-20 09:00:00"),
]


def _tr(rid, staff, course, modality, required, completed, valid_until, group="radiography"):
    return {
        "record_id": rid,
        "staff_id": staff,
        "org_code": "ZFV",
        "staff_group": group,
        "role": "Diagnostic radiographer",
        "course": course,
        "modality": modality,
        "required_from": required,
        "completed_on": completed,
        "valid_until": valid_until,
    }


TRAINING_ROWS = [
    # s1 CT operator: first completion valid through 2019-01-31, renewed 2019-03-10
    _tr("t1", "s1", "irmer_operator", "CT", "2018-06-01", "2018-12-05", "2019-01-31"),
    _tr("t2", "s1", "irmer_operator", "CT", "2018-06-01", "2019-03-10", "2022-03-10"),
    # MRI is not ionising: outside IR(ME)R
    _tr("t3", "s1", "irmer_operator", "MR", "2018-06-01", "2018-12-01", "2021-12-01"),
    # s2 CT practitioner from 2019-01-15, never completed
    _tr("t4", "s2", "irmer_practitioner", "CT", "2019-01-15", None, None),
    # s3 XR operator from 2019-02-15, completed 2019-02-28, valid through 2019-03-31
    _tr("t5", "s3", "irmer_operator", "XR", "2019-02-15", "2019-02-28", "2019-03-31"),
    # mandatory training
    _tr("t6", "s1", "fire_safety", None, "2018-06-01", "2018-12-20", "2019-02-27"),
    _tr("t7", "s2", "fire_safety", None, "2019-01-01", "2019-02-01", None, group="nursing"),
    _tr("t8", "s3", "information_governance", None, "2019-01-01", None, None),
    # neither IR(ME)R nor mandatory
    _tr("t9", "s3", "sepsis", None, "2019-01-01", "2019-01-20", "2020-01-20"),
]

ENTITLEMENT_ROWS = [
    {
        "staff_id": "s1",
        "org_code": "ZFV",
        "modality": "CT",
        "entitled_as": "operator",
        "recorded_on": "2018-06-01",
        "withdrawn_on": None,
    },
    {
        "staff_id": "s2",
        "org_code": "ZFV",
        "modality": "CT",
        "entitled_as": "practitioner",
        "recorded_on": "2019-02-01",
        "withdrawn_on": "2019-03-31",
    },
    # wrong role for s3's operator requirement
    {
        "staff_id": "s3",
        "org_code": "ZFV",
        "modality": "XR",
        "entitled_as": "practitioner",
        "recorded_on": "2019-01-01",
        "withdrawn_on": None,
    },
    {
        "staff_id": "s1",
        "org_code": "ZFV",
        "modality": "MR",
        "entitled_as": "operator",
        "recorded_on": "2018-06-01",
        "withdrawn_on": None,
    },
]

STAFFING_ROWS = [
    {
        "org_code": "ZFV",
        "staff_group": "radiography",
        "month": "2019-01-01",
        "establishment_wte": 10.0,
        "in_post_wte": 8.5,
        "bank_agency_wte": 1.0,
    },
    {
        "org_code": "ZFV",
        "staff_group": "nursing",
        "month": "2019-01-01",
        "establishment_wte": 100.0,
        "in_post_wte": 90.0,
        "bank_agency_wte": None,
    },
    {
        "org_code": "ZFV",
        "staff_group": "radiography",
        "month": "2019-02-01",
        "establishment_wte": 10.0,
        "in_post_wte": 9.25,
        "bank_agency_wte": None,
    },
    {
        "org_code": "ZFV",
        "staff_group": "nursing",
        "month": "2019-02-01",
        "establishment_wte": 100.0,
        "in_post_wte": 95.5,
        "bank_agency_wte": None,
    },
]


def _spell(sid, site, discharged, in_hospital, after):
    return {
        "spell_id": sid,
        "org_code": "ZFV",
        "site_code": site,
        "admitted_at": "2019-01-01 08:00:00",
        "discharged_at": discharged,
        "age": 80,
        "sex": "F",
        "admission_method": "emergency",
        "diagnosis_group": "pneumonia",
        "charlson_index": 2,
        "died_in_hospital": in_hospital,
        "died_within_30d_of_discharge": after,
    }


ADMISSION_ROWS = [
    _spell("m1", "ZFV01", "2019-01-31 23:59:59", True, False),
    _spell("m2", "ZFV01", "2019-02-01 00:00:00", False, True),
    _spell("m3", None, "2019-02-10 12:00:00", False, False),
    _spell("m4", "ZFV02", "2019-02-15 12:00:00", True, True),
]


def handmade_frames() -> dict:
    return {
        "ed_attendances": typed_frame("ed_attendances", ED_ROWS),
        "sepsis_episodes": typed_frame("sepsis_episodes", SEPSIS_ROWS),
        "imaging_requests": typed_frame("imaging_requests", IMAGING_ROWS),
        "staff_training": typed_frame("staff_training", TRAINING_ROWS),
        "irmer_entitlements": typed_frame("irmer_entitlements", ENTITLEMENT_ROWS),
        "staffing": typed_frame("staffing", STAFFING_ROWS),
        "admissions": typed_frame("admissions", ADMISSION_ROWS),
    }
