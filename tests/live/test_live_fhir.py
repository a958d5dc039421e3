"""FHIR R4 bundles: the same state as the HL7 path, duplicates ignored, bad resources quarantined."""

from __future__ import annotations

import copy
from datetime import datetime

from wardwatch.live.fhir import process_bundle
from wardwatch.live.watchlist import watchlist

BUNDLE = {
    "resourceType": "Bundle",
    "type": "transaction",
    "entry": [
        {"resource": {
            "resourceType": "Encounter", "id": "enc1", "meta": {"versionId": "1"}, "status": "in-progress",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER"},
            "subject": {"reference": "Patient/9990001"}, "serviceProvider": {"reference": "Organization/ZFV"},
            "period": {"start": "2024-03-01T08:00:00Z"},
            "location": [{"location": {"display": "ED"}}],
        }},
        {"resource": {
            "resourceType": "Observation", "id": "obs1", "status": "final",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1104051000000101"}]},
            "subject": {"reference": "Patient/9990001"}, "encounter": {"reference": "Encounter/enc1"},
            "effectiveDateTime": "2024-03-01T08:30:00+00:00", "valueInteger": 9,
        }},
        {"resource": {
            "resourceType": "ServiceRequest", "id": "sr1", "status": "active", "intent": "order",
            "priority": "urgent", "code": {"coding": [{"system": "http://dicom.nema.org/resources/ontology/DCM",
                                                     "code": "CT"}]},
            "subject": {"reference": "Patient/9990002"}, "encounter": {"reference": "Encounter/enc2"},
            "authoredOn": "2024-03-01T07:00:00Z",
        }},
        {"resource": {
            "resourceType": "Encounter", "id": "enc2", "status": "in-progress", "class": {"code": "IMP"},
            "subject": {"reference": "Patient/9990002"}, "period": {"start": "2024-02-28T10:00:00Z"},
            "location": [{"location": {"display": "WARD7"}}],
        }},
    ],
}


def test_bundle_builds_state_and_watchlists(store):
    summary = process_bundle(store, BUNDLE)
    assert (summary.applied, summary.duplicate, summary.quarantined) == (4, 0, 0)
    at = datetime(2024, 3, 1, 9, 40)
    (ed,) = watchlist(store.con, store.rules, "ed_long_stay", at)
    assert (ed.item_id, ed.location, ed.started_at, ed.status) == ("enc1", "ED", "2024-03-01 08:00:00", "green")
    (abx,) = watchlist(store.con, store.rules, "sepsis_antibiotics_due", at)
    assert (abx.started_at, abx.status, round(abx.minutes)) == ("2024-03-01 08:30:00", "red", 70)
    # the request carries no patient class; its encounter (IMP) makes it an inpatient request
    (img,) = watchlist(store.con, store.rules, "imaging_inpatient_waiting", datetime(2024, 3, 1, 20, 0))
    assert (img.item_id, img.location, img.status) == ("sr1", "WARD7", "amber")


def test_resent_bundle_is_ignored_and_new_versions_apply(store):
    process_bundle(store, BUNDLE)
    again = process_bundle(store, BUNDLE)
    assert (again.applied, again.duplicate) == (0, 4)
    later = copy.deepcopy(BUNDLE["entry"][0]["resource"])
    later["meta"]["versionId"] = "2"
    later["status"] = "finished"
    later["period"]["end"] = "2024-03-01T09:00:00Z"
    later["hospitalization"] = {"dischargeDisposition": {"coding": [{"code": "home"}]}}
    given = {"resourceType": "MedicationAdministration", "id": "ma1", "status": "completed",
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J01DD04"}]},
             "subject": {"reference": "Patient/9990001"}, "context": {"reference": "Encounter/enc1"},
             "effectiveDateTime": "2024-03-01T08:50:00Z"}
    summary = process_bundle(store, {"resourceType": "Bundle", "entry": [{"resource": later}, {"resource": given}]})
    assert summary.applied == 2
    assert store.con.execute("SELECT ed_departed_at, disposal FROM encounters WHERE visit_id = 'enc1'").fetchone() == (
        "2024-03-01 09:00:00", "discharged")
    assert store.con.execute("SELECT antibiotics_at FROM sepsis").fetchone() == ("2024-03-01 08:50:00",)


def test_bad_resources_are_quarantined_with_the_reason(store):
    bad = {"resourceType": "Bundle", "entry": [
        {"resource": {"resourceType": "Observation", "id": "x", "status": "final",
                      "code": {"coding": [{"code": "NEWS2"}]}, "encounter": {"reference": "Encounter/e"},
                      "effectiveDateTime": "2024-03-01T08:00:00Z", "valueInteger": 40}},
        {"resource": {"resourceType": "Patient", "id": "p"}},
        BUNDLE["entry"][0],
    ]}
    summary = process_bundle(store, bad)
    assert (summary.applied, summary.quarantined) == (1, 2)
    reasons = [r[0] for r in store.con.execute("SELECT reason FROM quarantine ORDER BY id")]
    assert "0-20" in reasons[0] and "Patient" in reasons[1]


def test_entered_in_error_encounter_leaves_the_list(store):
    first = copy.deepcopy(BUNDLE["entry"][0]["resource"])
    del first["meta"]  # no versionId: versions are told apart by content
    moved = copy.deepcopy(first)
    moved["location"] = [{"location": {"display": "ED-MAJORS"}}]
    process_bundle(store, first)
    process_bundle(store, moved)
    at = datetime(2024, 3, 1, 9, 0)
    assert [i.location for i in watchlist(store.con, store.rules, "ed_long_stay", at)] == ["ED-MAJORS"]
    error = copy.deepcopy(moved)
    error["status"] = "entered-in-error"
    process_bundle(store, error)
    assert watchlist(store.con, store.rules, "ed_long_stay", at) == []
