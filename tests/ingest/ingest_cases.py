"""Hand-made input files, one per dataset, with the reason expected for every refused row.

Each case is CSV text (header + data rows) and ``expected``: data row number (1-based, header not
counted) -> reason code, written by hand from the rules in docs/data-contracts.md. Rows not in
``expected`` must load. Comments say which rule each bad row breaks (and, where a row breaks
several, why the first in rule order wins). Also ``query_rows``, the read-back the load tests share.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class Case:
    dataset: str
    csv: str
    expected: dict[int, str]

    @property
    def lines(self) -> list[str]:
        return self.csv.strip("\n").split("\n")

    @property
    def n_rows(self) -> int:
        return len(self.lines) - 1

    @property
    def n_good(self) -> int:
        return self.n_rows - len(self.expected)


ED = Case(
    "ed_attendances",
    """\
attendance_id,org_code,site_code,department_type,arrival_at,initial_assessment_at,clinician_seen_at,decision_to_admit_at,departed_at,arrival_mode,acuity,age,disposal
A1,ZFV,ZFV01,1,2019-04-01 10:00,2019-04-01 10:05,2019-04-01 10:40,2019-04-01 12:00,2019-04-01 13:30,ambulance,2,67,admitted
A2,ZFV,ZFV01,3,2019-04-01T11:00:00,,,,,walk_in,,5,
 ,ZFV,ZFV01,1,2019-04-01 10:00,,,,,walk_in,,30,
A4,ZFV,ZFV01,1,2019-02-30 10:00,,,,,walk_in,,30,
A5,ZFV,ZFV01,1,2019-04-01 10:00,,,,2019-04-02,walk_in,,30,
A6,ZFV,ZFV01,1,2019-04-01 10:00,,,,,walk_in,,-1,
A7,ZFV,ZFV01,1,2019-04-01 10:00,,,,,walk_in,,abc,
A8,ZFV,ZFV01,4,2019-04-01 10:00,,,,,walk_in,,30,
A9,ZFV,ZFV01,1,2019-04-01 10:00,,,,,bus,,30,
A10,zf v,ZFV01,1,2019-04-01 10:00,,,,,walk_in,,30,
A11,ZFV,ZFV01,1,2019-04-01 10:00,,,,2019-04-01 09:59,walk_in,,30,
A12,ZFV,ZFV01,1,2019-04-01 10:00,2019-04-01 09:00,,,,walk_in,,30,
A1,ZFV,ZFV01,1,2019-04-01 10:00,2019-04-01 10:05,2019-04-01 10:40,2019-04-01 12:00,2019-04-01 13:30,ambulance,2,67,admitted
A14,ZFV,ZFV01,1,2019-04-01 10:00,,,,,,,30,
A15,ZFV,ZFV01,1,2019-04-01 10:00,,,,,walk_in,9,30,
,ZFV,ZFV01,1,not a time,,,,,walk_in,,30,
A17,ZFV,ZFV01,1,2019-04-01 25:00,,,,,walk_in,,-5,
A18,ZFV,ZFV01,1,2019-04-01 10:00,,,,,walk_in,,40.0,
A19,ZFV,ZFV01,x,2019-04-01 10:00,,,,,walk_in,,30,
A20,ZFV,ZFV01,1,2019/04/01 10:00,,,,,walk_in,,30,
A20,ZFV,ZFV01,1,2019-04-01 10:00,,,,,walk_in,,30,
A22,ZFV,ZFV01,2,2019-04-01 10:00,,,,,police,,3.5,
A23,ZFV,ZFV01,1,2019-04-01 10:00,2019-04-01 10:30,2019-04-01 10:20,,2019-04-01 10:25,other,5,30,died
""",
    {
        3: "blank_key",  # attendance_id is a single space
        4: "bad_timestamp",  # 30 February
        5: "bad_timestamp",  # departed_at is a date without a time
        6: "out_of_range",  # negative age
        7: "bad_number",  # age 'abc'
        8: "unknown_code",  # department_type 4
        9: "unknown_code",  # arrival_mode 'bus'
        10: "bad_code_format",  # org_code 'zf v'
        11: "events_out_of_order",  # departed before arrival
        12: "events_out_of_order",  # initial assessment before arrival
        13: "duplicate_key",  # same as row 1: the first one is kept
        14: "blank_required_value",  # arrival_mode blank
        15: "out_of_range",  # acuity 9
        16: "blank_key",  # blank key wins over the bad timestamp
        17: "bad_timestamp",  # 25:00 wins over the negative age
        # 18 loads: '40.0' is a whole number
        19: "bad_number",  # department_type 'x' is not a number (before the code check)
        20: "bad_timestamp",  # slashes; so row 21 (same key) is the first VALID row and loads
        22: "bad_number",  # age 3.5 is not whole
        23: "events_out_of_order",  # departed 10:25 before clinician seen 10:30 (clinician_seen<=departed)
    },
)

SEPSIS = Case(
    "sepsis_episodes",
    """\
episode_id,org_code,site_code,location,trigger_at,news2,screened_at,antibiotics_at,age,died_within_30d
S1,ZFV,ZFV01,emergency_department,2019-05-01 08:00,7,2019-05-01 08:20,2019-05-01 08:50,71,no
S2,ZFV,ZFV01,inpatient_ward,2019-05-01 09:00,5,,,,Y
S3,ZFV,ZFV01,inpatient_ward,2019-05-01 09:00,5,,,60,maybe
S4,ZFV,ZFV01,inpatient_ward,2019-05-01 09:00,21,,,60,no
S5,ZFV,ZFV01,assessment_unit,2019-05-01 09:00,6,,2019-05-01 08:59,60,no
S6,ZFV,ZFV01,ward,2019-05-01 09:00,6,,,60,no
,ZFV,ZFV01,ward,2019-05-01 09:00,6,,,60,no
S1,ZFV,ZFV01,inpatient_ward,2019-05-02 09:00,9,,,60,yes
S9,ZFV,ZFV01,inpatient_ward,,9,,,60,yes
S10,ZFV,ZFV01,inpatient_ward,2019-05-01 09:00,9,,,-2,yes
S11,ZFV,ZFV01,inpatient_ward,2019-05-01 09:00,,,,60,yes
S12,ZFV,ZFV01,inpatient_ward,2019-05-01 09:00,3,2019-05-01 09:00,2019-05-01 09:00,60,TRUE
S13,ZFV,ZFV01,inpatient_ward,2019-05-01 09:00,3,,,60,0
S14,ZFV,ZFV01,inpatient_ward,2019-05-01 09:00,3,2019-05-01 8:00,,60,f
S15,ZFV,ZFV01,inpatient_ward,2019-05-01 09:00,3,,,60,
""",
    {
        3: "bad_boolean",  # 'maybe'
        4: "out_of_range",  # NEWS2 21 > 20
        6: "unknown_code",  # location 'ward'
        7: "blank_key",  # blank episode_id (wins over the unknown location)
        8: "duplicate_key",  # S1 again, different values
        9: "blank_required_value",  # trigger_at blank
        10: "out_of_range",  # negative age in the optional age column
        11: "blank_required_value",  # news2 blank
        14: "bad_timestamp",  # hour without leading zero is not ISO 8601
        # 15: died_within_30d blank is loaded: the 30-day outcome is not known yet
    },
)

IMAGING = Case(
    "imaging_requests",
    """\
request_id,org_code,site_code,modality,patient_type,priority,requested_at,performed_at,reported_at
R1,ZFV,ZFV02,CT,inpatient,urgent,2019-06-01 09:00,2019-06-01 15:00,2019-06-02 10:00
R2,ZFV,ZFV02,MR,outpatient,routine,2019-06-01 09:00,,
R3,ZFV,ZFV02,PET,inpatient,urgent,2019-06-01 09:00,,
R4,ZFV,ZFV02,CT,inpatient,urgent,2019-06-01 09:00,2019-06-01 15:00,2019-06-01 14:00
R5,ZFV,ZFV02,CT,inpatient,urgent,2019-06-01 09:00,2019-06-01 08:00,2019-06-01 10:00
R6,ZFV,ZFV 01,CT,inpatient,urgent,2019-06-01 09:00,,
R7,ZFV,ZFV02,CT,inpatient,urgent,01/06/2019 09:00,,
"",ZFV,ZFV02,CT,inpatient,urgent,2019-06-01 09:00,,
R1,ZFV,ZFV02,CT,inpatient,urgent,2019-06-01 09:00,2019-06-01 15:00,2019-06-02 10:00
R10,ZFV,ZFV02,CT,inpatient,,2019-06-01 09:00,,
R11,ZFV,ZFV02,US,gp,soon,2019-06-01 09:00,,2019-05-31 10:00
R12,ZFV,ZFV02,ct,gp,soon,2019-06-01 09:00,,
"R13",ZFV,ZFV02,"XR",emergency,"urgent",2019-06-01 09:00,2019-06-01 09:30,
""",
    {
        3: "unknown_code",  # modality PET is not in the list
        4: "events_out_of_order",  # reported before performed
        5: "events_out_of_order",  # performed before requested
        6: "bad_code_format",  # site code with a space
        7: "bad_timestamp",  # dd/mm/yyyy
        8: "blank_key",  # quoted empty request_id
        9: "duplicate_key",  # R1 again
        10: "blank_required_value",  # priority blank
        11: "events_out_of_order",  # reported before requested (performed blank)
        12: "unknown_code",  # codes are case-sensitive: 'ct'
    },
)

TRAINING = Case(
    "staff_training",
    """\
record_id,staff_id,org_code,staff_group,role,course,modality,required_from,completed_on,valid_until
T1,ST1,ZFV,radiography,Diagnostic radiographer,irmer_operator,CT,2017-04-01,2018-01-10,2019-01-10
T2,ST2,ZFV,nursing,Staff nurse,fire_safety,,2017-04-01,,
T3,ST2,ZFV,nursing,Staff nurse,health_safety,,2017-04-01,2018-13-01,2019-01-10
T4,ST2,ZFV,nursing,Staff nurse,health_safety,,2017-04-01,2018-02-01,2018-01-31
T5,ST2,ZFV,nursing,Staff nurse,juggling,,2017-04-01,,
T6,ST1,ZFV,radiography,Diagnostic radiographer,irmer_operator,XRAY,2017-04-01,,
T7,ST2,ZFV,nursing,Staff nurse,fire_safety,,2018-01-10 00:00,,
T8,ST2,ZFV,nursing,,fire_safety,,2017-04-01,,
,ST2,ZFV,nursing,Staff nurse,fire_safety,,2017-04-01,,
T1,ST9,ZFV,medical,Consultant,sepsis,,2017-04-01,,
T11,ST2,ZFV,Nursing,Staff nurse,fire_safety,,2017-04-01,,
T12,ST2,ZFV,nursing,"Nurse, band 5",sepsis,,2017-04-01,2019-03-01,2020-03-01
""",
    {
        3: "bad_date",  # month 13
        4: "events_out_of_order",  # expires before completion
        5: "unknown_code",  # course 'juggling'
        6: "unknown_code",  # modality 'XRAY'
        7: "bad_date",  # a timestamp where a date is expected
        8: "blank_required_value",  # role blank
        9: "blank_key",  # record_id blank
        10: "duplicate_key",  # T1 again
        11: "unknown_code",  # staff group codes are lower case
    },
)

IRMER = Case(
    "irmer_entitlements",
    """\
staff_id,org_code,modality,entitled_as,recorded_on,withdrawn_on
ST1,ZFV,CT,operator,2017-05-01,
ST1,ZFV,CT,practitioner,2017-05-01,2019-01-01
ST1,ZFV,CT,operator,2018-01-01,
ST2,ZFV,,operator,2017-05-01,
ST3,ZFV,CT,referrer,2019-01-01,2018-01-01
ST4,ZFV,CT,admin,2019-01-01,
ST5,ZFV,CT,operator,,
ST6,ZFV,CT,operator,2019-02-29,
ST7,Z,CT,operator,2019-01-01,
ST8,ZFV,CT,operator, 2019-01-01 ,
ST9,ZFV,MR,referrer,2019-01-01,2019-01-01
""",
    {
        3: "duplicate_key",  # same (staff_id, modality, entitled_as) as row 1
        4: "blank_key",  # modality is part of the key
        5: "events_out_of_order",  # withdrawn before recorded
        6: "unknown_code",  # entitled_as 'admin'
        7: "blank_required_value",  # recorded_on blank
        8: "bad_date",  # 2019 is not a leap year
        9: "bad_code_format",  # org code too short
        # 10 loads: surrounding spaces are removed; 11 loads: same-day withdrawal is not out of order
    },
)

STAFFING = Case(
    "staffing",
    """\
org_code,staff_group,month,establishment_wte,in_post_wte,bank_agency_wte
ZFV,nursing,2019-04-01,820.5,760.25,40
ZFV,medical,2019-04-01,300,280,
ZFV,nursing,2019-04-01,800,700,10
ZFV,ahp,2019-04-01,-5,10,
ZFV,ahp,2019-05-01,abc,10,
ZFV,ahp,2019-06-01,100,1e6,
ZFV,ahp,2019-07-01,100,nan,
,ahp,2019-08-01,100,90,
ZFV,porters,2019-04-01,1,1,
ZFV,ahp,April 2019,1,1,
ZFV,admin,2019-04-01,1,,
ZFV,support,2019-04-01,"1,5",1,
ZFV,ahp,2019-09-01,100,90,-0.5
ZFV,ahp,2019-10-01,1e2,90.0,0
ZFV,ahp,2019-10-15,100,50,
""",
    {
        3: "duplicate_key",  # same (org, group, month) as row 1
        4: "out_of_range",  # negative establishment
        5: "bad_number",  # 'abc'
        6: "out_of_range",  # 1e6 > 100000
        7: "bad_number",  # NaN written as text is not a number
        8: "blank_key",  # org_code is part of the key
        9: "unknown_code",  # staff group 'porters'
        10: "bad_date",  # 'April 2019'
        11: "blank_required_value",  # in_post_wte blank
        12: "bad_number",  # decimal comma
        13: "out_of_range",  # negative bank/agency WTE
        15: "out_of_range",  # a monthly return dated the 15th: would be summed with the 1 Oct row
    },
)

ADMISSIONS = Case(
    "admissions",
    """\
spell_id,org_code,site_code,admitted_at,discharged_at,age,sex,admission_method,diagnosis_group,charlson_index,died_in_hospital,died_within_30d_of_discharge
P1,ZFV,ZFV01,2019-01-01 10:00,2019-01-05 12:00,80,F,emergency,sepsis,3,false,false
P2,ZFV,,2019-01-01 10:00,2019-01-02 12:00,60,M,elective,other,0,0,1
P3,ZFV,ZFV01,2019-01-05 10:00,2019-01-01 12:00,60,M,elective,other,0,0,0
P4,ZFV,ZFV01,2019-01-01 10:00,2019-01-02 12:00,130,M,elective,other,0,0,0
P5,ZFV,ZFV01,2019-01-01 10:00,2019-01-02 12:00,60,X,elective,other,0,0,0
P6,ZFV,ZFV01,2019-01-01 10:00,2019-01-02 12:00,60,M,elective,other,0,dead,0
P7,ZFV,ZFV01,2019-01-01 10:00,2019-01-02 12:00,60,M,elective,other,-1,0,0
P1,ZFV,ZFV01,2019-01-01 10:00,2019-01-05 12:00,80,F,emergency,sepsis,3,false,false
P9,ZFV,ZFV01,2019-01-01 10:00,2019-01-02 12:00,60,M,elective,flu,0,0,0
P10,ZFV,ZFV01,2019-01-01 25:00,2019-01-02 12:00,60,M,elective,other,0,0,0
P11,ZFV,ZFV01,2019-01-01 10:00,,60,M,elective,other,0,0,0
,ZFV,ZFV01,2019-01-01 10:00,2019-01-02 12:00,60,M,elective,other,0,0,0
P13,ZFV,ZFV01,2019-01-01 10:00,2019-01-02 12:00,,M,elective,other,0,0,0
P14,ZFV,ZFV01,2019-01-01 10:00,2019-01-01 10:00,0,U,maternity,other,0,No,YES
P15,ZFV,ZFV01,2019-01-01 10:00,2019-01-02 12:00,60,M,elective,other,0,2,0
""",
    {
        3: "events_out_of_order",  # discharged before admitted
        4: "out_of_range",  # age 130
        5: "unknown_code",  # sex 'X'
        6: "bad_boolean",  # 'dead'
        7: "out_of_range",  # Charlson -1
        8: "duplicate_key",  # P1 again
        9: "unknown_code",  # diagnosis 'flu'
        10: "bad_timestamp",  # hour 25
        11: "blank_required_value",  # discharged_at blank
        12: "blank_key",  # spell_id blank
        13: "blank_required_value",  # age blank
        15: "bad_boolean",  # 2 is not a yes/no value
    },
)

CASES: dict[str, Case] = {c.dataset: c for c in (ED, SEPSIS, IMAGING, TRAINING, IRMER, STAFFING, ADMISSIONS)}


def query_rows(db: Path, sql: str) -> list[tuple]:
    """Rows of ``sql`` on the warehouse file ``db``, read-only (the connection closed after)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
