"""Staff, their training records (``staff_training``) and IR(ME)R entitlements (``irmer_entitlements``).

Staff: each trust has staff in the eight staff groups in proportion to its size, plus a
radiography department (diagnostic radiographers, advanced practitioners, assistant
practitioners, sonographers) and consultant radiologists in the medical group. The extract is of
staff in post at its date: 80% were hired before the window, 20% during it.

Requirements: every member of staff must hold the 11 Core Skills Training Framework modules
(docs/methods.md 5.6); medical, nursing and midwifery staff also sepsis training; radiography staff
and radiologists an IR(ME)R operator and/or practitioner course for each ionising modality they
work in (docs/methods.md 5.5: not ultrasound or MRI). ``VALIDITY_YEARS`` gives each course's validity
(1-3 years).

Completions: from the hire date, each requirement is completed (new starters within weeks) and
renewed at expiry: half the renewals are on time (up to 15% of the validity early), half late by
an exponential gap averaging ``lateness x validity`` (per trust), which leaves roughly 86-91% of
requirements in date at any time, with no trend (signal 6: mandatory training is a control).
A requirement not completed by the extract is one row with a blank completion.
Records start on 2015-04-01 (``RECORDS_FROM``): requirements of staff hired earlier apply from
then, and every completion still valid on that day is kept (some were completed before it, or
before the member of staff joined: training brought from a previous employer), so compliance
computed for any day from 2015-04-01 on is complete.

Signal 3: at the focal trust, a growing share of CT IR(ME)R requirements lapse from 2018-01-01
(their last completion expires and is not renewed) so that about 55% are in date by 2019-01-31;
the lapsed ones are renewed between 2019-03 and 2019-07-01 (radiographer recruitment).

Entitlements: one row per (member of staff, ionising modality, role) for radiography staff and
radiologists, plus referrer entitlements for consultants; a share per trust (``irmer_missing``,
10% at the focal trust) were never recorded, and 2% were withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from wardwatch.contracts.schema import (
    COURSES,
    IRMER_ENTITLEMENTS,
    MANDATORY_COURSES,
    MODALITIES,
    STAFF_GROUPS,
    STAFF_TRAINING,
)
from wardwatch.synth import writer as w
from wardwatch.synth.common import rng
from wardwatch.synth.orgs import ORGS
from wardwatch.synth.signals import FOCAL_ORG, IRMER_CT_SIGNAL, WINDOW_END, WINDOW_START

STREAM = "staff_training"
VALIDITY_YEARS = {
    "equality_diversity": 3,
    "health_safety": 3,
    "conflict_resolution": 3,
    "fire_safety": 1,
    "infection_prevention": 1,
    "moving_handling": 2,
    "safeguarding_adults": 3,
    "safeguarding_children": 3,
    "resuscitation": 1,
    "information_governance": 1,
    "preventing_radicalisation": 3,
    "sepsis": 1,
    "irmer_practitioner": 2,
    "irmer_operator": 2,
}
#: staff group shares of a trust's general workforce (radiography is sized separately)
GROUP_SHARES = {
    "medical": 0.13,
    "nursing": 0.31,
    "midwifery": 0.04,
    "ahp": 0.07,
    "healthcare_science": 0.05,
    "support": 0.22,
    "admin": 0.18,
}
ROLES = {
    "medical": ("Consultant", "Specialty doctor", "Specialty registrar", "Foundation doctor"),
    "nursing": ("Staff nurse", "Ward sister", "Nurse practitioner", "Matron"),
    "midwifery": ("Midwife", "Senior midwife"),
    "ahp": ("Physiotherapist", "Occupational therapist", "Dietitian", "Speech and language therapist"),
    "healthcare_science": ("Biomedical scientist", "Clinical physiologist", "Medical physicist"),
    "support": ("Healthcare assistant", "Porter", "Domestic", "Housekeeper"),
    "admin": ("Ward clerk", "Medical secretary", "Receptionist", "Manager"),
}
RADIOGRAPHY_ROLES = (
    "Diagnostic radiographer",
    "Advanced practitioner radiographer",
    "Assistant practitioner (radiography)",
    "Sonographer",
)
RADIOLOGIST_ROLE = "Consultant radiologist"
_RADIOGRAPHY_ROLE_SHARES = np.array([0.6, 0.1, 0.1, 0.2])
CLINICAL_GROUPS = ("medical", "nursing", "midwifery")
IRMER_LATENESS_FACTOR = 0.35
#: Training records start here ("moved to ESR"): requirements of staff hired earlier apply from this
#: date, and every completion still valid on it is kept, so the records are complete from this day on.
RECORDS_FROM = np.datetime64("2015-04-01", "D")
HISTORY_FROM_DAY = int(RECORDS_FROM.astype(np.int64))
EXTRACT_DAY = int(np.datetime64(WINDOW_END, "D").astype(np.int64))
WINDOW_START_DAY = int(np.datetime64(WINDOW_START, "D").astype(np.int64))
_MOD = {m: i for i, m in enumerate(MODALITIES)}
_COURSE = {c: i for i, c in enumerate(COURSES)}


@dataclass
class Staff:
    org_idx: np.ndarray
    group: np.ndarray  # index into STAFF_GROUPS
    role: np.ndarray  # role text (object array)
    hire_day: np.ndarray
    number: np.ndarray  # per-trust staff number


@dataclass
class Requirements:
    staff: np.ndarray  # index into Staff arrays
    course: np.ndarray  # index into COURSES
    modality: np.ndarray  # index into MODALITIES, -1 for none


def _staff(gen: np.random.Generator, headcount_per_size: int, radiography_per_size: int) -> Staff:
    org_idx, group, role, hire = [], [], [], []
    for i, o in enumerate(ORGS):
        for g, share in GROUP_SHARES.items():
            k = round(headcount_per_size * o.size * share)
            org_idx.append(np.full(k, i))
            group.append(np.full(k, STAFF_GROUPS.index(g)))
            role.append(np.asarray(ROLES[g], dtype=object)[gen.choice(len(ROLES[g]), k)])
        k = round(radiography_per_size * o.size)
        org_idx.append(np.full(k, i))
        group.append(np.full(k, STAFF_GROUPS.index("radiography")))
        role.append(np.asarray(RADIOGRAPHY_ROLES, dtype=object)[gen.choice(4, k, p=_RADIOGRAPHY_ROLE_SHARES)])
        k = max(round(radiography_per_size * o.size / 5), 2)
        org_idx.append(np.full(k, i))
        group.append(np.full(k, STAFF_GROUPS.index("medical")))
        role.append(np.full(k, RADIOLOGIST_ROLE, dtype=object))
    org_idx_a, group_a, role_a = np.concatenate(org_idx), np.concatenate(group), np.concatenate(role)
    n = len(org_idx_a)
    new_starter = gen.random(n) < 0.2
    hire = np.where(
        new_starter,
        WINDOW_START_DAY + gen.integers(0, EXTRACT_DAY - WINDOW_START_DAY + 1, n),
        WINDOW_START_DAY
        - 1
        - np.minimum(np.round(gen.exponential(8 * 365.25, n)), 30 * 365).astype(np.int64),
    )
    number = np.zeros(n, dtype=np.int64)
    for i in range(len(ORGS)):
        mask = org_idx_a == i
        number[mask] = np.arange(1, mask.sum() + 1)
    return Staff(org_idx_a, group_a, role_a, hire.astype(np.int64), number)


def _requirements(gen: np.random.Generator, staff: Staff) -> Requirements:
    n = len(staff.org_idx)
    s_idx, course, modality = [], [], []
    for c in MANDATORY_COURSES:
        s_idx.append(np.arange(n))
        course.append(np.full(n, _COURSE[c]))
        modality.append(np.full(n, -1))
    clinical = np.isin(staff.group, [STAFF_GROUPS.index(g) for g in CLINICAL_GROUPS])
    idx = np.flatnonzero(clinical)
    s_idx.append(idx)
    course.append(np.full(len(idx), _COURSE["sepsis"]))
    modality.append(np.full(len(idx), -1))

    def add(mask: np.ndarray, course_name: str, modality_name: str, p: float) -> None:
        chosen = np.flatnonzero(mask & (gen.random(n) < p))
        s_idx.append(chosen)
        course.append(np.full(len(chosen), _COURSE[course_name]))
        modality.append(np.full(len(chosen), _MOD[modality_name]))

    radiographer = staff.role == RADIOGRAPHY_ROLES[0]
    advanced = staff.role == RADIOGRAPHY_ROLES[1]
    assistant = staff.role == RADIOGRAPHY_ROLES[2]
    radiologist = staff.role == RADIOLOGIST_ROLE
    for m, p_rad, p_adv in (
        ("XR", 1.0, 1.0),
        ("CT", 0.5, 0.7),
        ("FL", 0.3, 0.4),
        ("MG", 0.12, 0.1),
        ("NM", 0.06, 0.05),
        ("DEXA", 0.1, 0.05),
    ):
        add(radiographer, "irmer_operator", m, p_rad)
        add(advanced, "irmer_operator", m, p_adv)
    add(advanced, "irmer_practitioner", "XR", 1.0)
    add(assistant, "irmer_operator", "XR", 1.0)
    for m, p in (("XR", 1.0), ("CT", 1.0), ("FL", 0.8), ("NM", 0.3), ("MG", 0.2), ("DEXA", 0.3)):
        add(radiologist, "irmer_practitioner", m, p)
    add(radiologist, "irmer_operator", "FL", 0.8)
    return Requirements(np.concatenate(s_idx), np.concatenate(course), np.concatenate(modality))


def _validity_days(course: np.ndarray) -> np.ndarray:
    years = np.array([VALIDITY_YEARS[c] for c in COURSES])
    return np.round(years[course] * 365.25).astype(np.int64)


def _forward_chain(
    gen: np.random.Generator, first: np.ndarray, validity: np.ndarray, lateness: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Completions from ``first`` onward, renewed at expiry (early or late), up to the extract.

    Returns (requirement index, completed day) for every completion on or before the extract.
    """
    req_out, day_out = [], []
    active = np.arange(len(first))
    current = first.copy()
    while len(active):
        keep = current <= EXTRACT_DAY
        active, current = active[keep], current[keep]
        req_out.append(active)
        day_out.append(current)
        v = validity[active]
        late = gen.random(len(active)) < 0.5
        delay = np.where(
            late,
            np.round(gen.exponential(1.0, len(active)) * lateness[active] * v),
            -np.round(gen.random(len(active)) * 0.15 * v),
        ).astype(np.int64)
        current = current + v + delay
    return np.concatenate(req_out), np.concatenate(day_out)


def _lapse_share(day: np.ndarray) -> np.ndarray:
    """Share of focal CT requirements forced out of date on ``day`` (signal 3)."""
    pre = IRMER_CT_SIGNAL.knots[0][1]
    return np.clip(1.0 - IRMER_CT_SIGNAL.expected_value(day.astype("datetime64[D]")) / pre, 0.0, 1.0)


def _lapse_interval(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last day a requirement with draw ``u`` is lapsed: {day: lapse_share(day) > u}."""
    days = np.arange(WINDOW_START_DAY, EXTRACT_DAY + 1)
    share = _lapse_share(days)
    peak = int(np.argmax(share))
    # rising part: first day share > u; falling part: last day share > u
    start = days[np.minimum(np.searchsorted(share[: peak + 1], u, side="right"), peak)]
    falling = share[peak:][::-1]  # increasing
    end = days[len(days) - 1 - np.minimum(np.searchsorted(falling, u, side="right"), len(falling) - 1)]
    return start, end


def generate_training(
    seed: int, headcount_per_size: int, radiography_per_size: int
) -> tuple[pa.Table, pa.Table]:
    """(staff_training, irmer_entitlements) tables."""
    gen = rng(seed, STREAM)
    staff = _staff(gen, headcount_per_size, radiography_per_size)
    req = _requirements(gen, staff)
    n_req = len(req.staff)
    validity = _validity_days(req.course)
    org_of_req = staff.org_idx[req.staff]
    hire = staff.hire_day[req.staff]
    irmer = np.isin(req.course, [_COURSE[c] for c in ("irmer_practitioner", "irmer_operator")])
    lateness = np.array([o.training_lateness for o in ORGS])[org_of_req] * np.where(
        irmer, IRMER_LATENESS_FACTOR, 1.0
    )

    # first completion after starting: like a renewal, half within weeks and half late
    quick = np.round(np.exp(np.log(20.0) + 0.8 * gen.standard_normal(n_req)))
    slow = np.round(gen.exponential(1.0, n_req) * lateness * validity)
    first = hire + np.where(gen.random(n_req) < 0.5, quick, np.maximum(quick, slow)).astype(np.int64)
    never = (hire >= WINDOW_START_DAY) & (gen.random(n_req) < 0.02)

    # signal 3: a growing share of focal CT IR(ME)R requirements lapse, then are renewed
    focal_ct = irmer & (req.modality == _MOD["CT"]) & (org_of_req == [o.code for o in ORGS].index(FOCAL_ORG))
    u = gen.random(n_req)
    max_share = float(_lapse_share(np.arange(WINDOW_START_DAY, EXTRACT_DAY + 1)).max())
    lapse_start, lapse_end = _lapse_interval(np.minimum(u, max_share - 1e-9))
    lapses = focal_ct & (u < max_share) & (hire <= lapse_end)

    normal = ~never & ~lapses
    req_a, day_a = _forward_chain(gen, first[normal], validity[normal], lateness[normal])
    req_a = np.flatnonzero(normal)[req_a]

    # staff in post before the lapse: their last completion expires the day the lapse starts
    # (for recent starters it may predate their start: training brought from a previous employer);
    # earlier completions were renewals on time. Staff starting during the lapse are not trained
    # until it ends.
    lapsed_idx = np.flatnonzero(lapses & (hire < lapse_start))
    back_req, back_day = [], []
    current = lapse_start[lapsed_idx] - validity[lapsed_idx]
    alive = np.arange(len(lapsed_idx))
    while len(alive):
        back_req.append(lapsed_idx[alive])
        back_day.append(current)
        v = validity[lapsed_idx[alive]]
        current = current - v + np.round(gen.random(len(alive)) * 0.15 * v).astype(np.int64)
        keep = (current >= hire[lapsed_idx[alive]]) & (current + v >= HISTORY_FROM_DAY)
        alive, current = alive[keep], current[keep]
    # after the lapse: renewed the day after it ends, then renewed normally
    after_idx = np.flatnonzero(lapses)
    req_b, day_b = _forward_chain(gen, lapse_end[after_idx] + 1, validity[after_idx], lateness[after_idx])
    req_b = after_idx[req_b]

    comp_req = np.concatenate([req_a, *back_req, req_b])
    comp_day = np.concatenate([day_a, *back_day, day_b])
    # keep the records from RECORDS_FROM on: completions still valid that day, and all later ones
    recent = comp_day + validity[comp_req] >= HISTORY_FROM_DAY
    comp_req, comp_day = comp_req[recent], comp_day[recent]
    done = np.zeros(n_req, dtype=bool)
    done[comp_req] = True
    open_req = np.flatnonzero(~done)  # requirement without any completion: one blank row

    rec_req = np.concatenate([comp_req, open_req])
    rec_day = np.concatenate([comp_day, np.zeros(len(open_req), dtype=np.int64)])
    rec_blank = np.concatenate([np.zeros(len(comp_req), bool), np.ones(len(open_req), bool)])
    order = np.lexsort((rec_day, req.modality[rec_req], req.course[rec_req], req.staff[rec_req]))
    rec_req, rec_day, rec_blank = rec_req[order], rec_day[order], rec_blank[order]

    s = req.staff[rec_req]
    org_codes_list = [o.code for o in ORGS]
    org_codes = w.labels(org_codes_list, staff.org_idx[s])
    staff_ids = w.identifiers(org_codes, staff.number[s], 6, "-S")
    modality = req.modality[rec_req]
    training = w.table(
        STAFF_TRAINING,
        {
            "record_id": w.identifiers(org_codes, np.arange(1, len(rec_req) + 1), 9, "-TR"),
            "staff_id": staff_ids,
            "org_code": org_codes,
            "staff_group": w.labels(STAFF_GROUPS, staff.group[s]),
            "role": pa.array(staff.role[s], type=pa.string()),
            "course": w.labels(COURSES, req.course[rec_req]),
            "modality": w.labels(MODALITIES, np.maximum(modality, 0), modality < 0),
            "required_from": w.dates(np.maximum(staff.hire_day[s], HISTORY_FROM_DAY)),
            "completed_on": w.dates(rec_day, rec_blank),
            "valid_until": w.dates(rec_day + validity[rec_req], rec_blank),
        },
    )
    return training, _entitlements(gen, staff, req)


def _entitlements(gen: np.random.Generator, staff: Staff, req: Requirements) -> pa.Table:
    irmer = np.isin(req.course, [_COURSE["irmer_practitioner"], _COURSE["irmer_operator"]])
    ent_staff = req.staff[irmer]
    ent_mod = req.modality[irmer]
    ent_as = np.where(req.course[irmer] == _COURSE["irmer_practitioner"], 1, 2)  # practitioner, operator
    # consultants (not radiologists) are entitled referrers for X-ray and CT
    consultants = np.flatnonzero(staff.role == "Consultant")
    ref_staff = np.repeat(consultants, 2)
    ref_mod = np.tile([_MOD["XR"], _MOD["CT"]], len(consultants))
    s = np.concatenate([ent_staff, ref_staff])
    mod = np.concatenate([ent_mod, ref_mod])
    role = np.concatenate([ent_as, np.zeros(len(ref_staff), dtype=np.int64)])
    missing_rate = np.array([o.irmer_missing for o in ORGS])[staff.org_idx[s]]
    keep = gen.random(len(s)) >= missing_rate
    recorded = staff.hire_day[s] + np.round(np.exp(np.log(25.0) + 0.7 * gen.standard_normal(len(s)))).astype(
        np.int64
    )
    keep &= recorded <= EXTRACT_DAY
    s, mod, role, recorded = s[keep], mod[keep], role[keep], recorded[keep]
    withdrawn = (
        recorded
        + 30
        + np.round(gen.random(len(s)) * np.maximum(EXTRACT_DAY - recorded - 30, 0)).astype(np.int64)
    )
    withdrawn_missing = (gen.random(len(s)) >= 0.02) | (withdrawn > EXTRACT_DAY)
    order = np.lexsort((role, mod, s))
    s, mod, role, recorded, withdrawn, withdrawn_missing = (
        a[order] for a in (s, mod, role, recorded, withdrawn, withdrawn_missing)
    )
    org_codes = w.labels([o.code for o in ORGS], staff.org_idx[s])
    return w.table(
        IRMER_ENTITLEMENTS,
        {
            "staff_id": w.identifiers(org_codes, staff.number[s], 6, "-S"),
            "org_code": org_codes,
            "modality": w.labels(MODALITIES, mod),
            "entitled_as": w.labels(("referrer", "practitioner", "operator"), role),
            "recorded_on": w.dates(recorded),
            "withdrawn_on": w.dates(withdrawn, withdrawn_missing),
        },
    )
