"""FHIR R4 resources to events: Encounter, ServiceRequest, ImagingStudy, Observation (NEWS2,
sepsis screen) and MedicationAdministration.

:func:`process_bundle` takes a parsed Bundle (or a single resource) and commits it; it is what
``wardwatch ingest-fhir`` calls, and what ``POST /api/v1/fhir`` of ``wardwatch serve`` calls. Each
resource version is one "message" for the duplicate check: ``Type/id/_history/versionId``, or a
hash of the resource when it has no versionId, so a re-sent identical resource is ignored and
a changed one is applied. A resource that cannot be used is quarantined with the reason.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from wardwatch.errors import InputError
from wardwatch.live.events import ENCOUNTER, ORDER, Event, MessageError, parse_iso_ts
from wardwatch.live.rules import Vocabulary
from wardwatch.live.store import LiveStore, Summary

_CLASS = {"EMER": "E", "IMP": "I", "ACUTE": "I", "NONAC": "I", "OBSENC": "I", "SS": "I", "AMB": "O",
          "VR": "O", "HH": "O", "PRENC": "O"}
_PRIORITY = {"routine": "routine", "urgent": "urgent", "asap": "soon", "stat": "urgent"}
_MODALITY = {"CR": "XR", "DX": "XR", "XR": "XR", "CT": "CT", "MR": "MR", "US": "US", "NM": "NM", "RF": "FL",
             "XA": "FL", "FL": "FL", "DXA": "DEXA", "BMD": "DEXA", "DEXA": "DEXA", "MG": "MG"}
_DISPOSAL = {"home": "discharged", "oth-hosp": "transferred", "other-hcf": "transferred", "exp": "died",
             "aadvice": "left_before_treatment", "hosp": "admitted", "rehab": "transferred",
             "snf": "transferred", "long": "transferred", "psy": "transferred"}


def read_bundle(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})") from None
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None


def _ref_id(reference: dict | None) -> str | None:
    """``{"reference": "Encounter/123"}`` -> ``123``."""
    if not reference or not reference.get("reference"):
        return None
    return reference["reference"].rstrip("/").split("/")[-1]


def _codes(concept: dict | None) -> list[str]:
    if not concept:
        return []
    return [c.get("code", "") for c in concept.get("coding", []) if c.get("code")]


class FhirTranslator:
    def __init__(self, pseudonymise, vocabulary: Vocabulary):
        self.pseudonymise = pseudonymise
        self.vocabulary = vocabulary

    def key(self, resource: dict[str, Any]) -> str:
        version = (resource.get("meta") or {}).get("versionId")
        if version is None:
            canonical = json.dumps(resource, sort_keys=True, separators=(",", ":")).encode()
            version = "sha256:" + hashlib.sha256(canonical).hexdigest()[:24]
        return f"fhir|{resource.get('resourceType')}/{resource.get('id')}/_history/{version}"

    def _patient(self, resource: dict[str, Any]) -> str | None:
        subject = _ref_id(resource.get("subject"))
        return self.pseudonymise(subject, "fhir") if subject else None

    def _require_id(self, resource: dict[str, Any]) -> str:
        if not resource.get("id"):
            raise MessageError(f"{resource.get('resourceType')}.id is required", location=f"{resource.get('resourceType')}.id")
        return resource["id"]

    def translate(self, resource: dict[str, Any]) -> list[Event]:
        kind = resource.get("resourceType")
        handler = {"Encounter": self._encounter, "ServiceRequest": self._service_request,
                   "ImagingStudy": self._imaging_study, "Observation": self._observation,
                   "MedicationAdministration": self._medication}.get(kind)
        if handler is None:
            raise MessageError(f"resourceType {kind!r} is not used by the watchlists", ack_code="AR",
                               location="resourceType")
        return handler(resource)

    def _encounter(self, r: dict[str, Any]) -> list[Event]:
        visit = self._require_id(r)
        code = (r.get("class") or {}).get("code", "")
        if code not in _CLASS:
            raise MessageError(f"Encounter.class {code!r} not recognised (EMER, IMP, AMB, ...)",
                               location="Encounter.class")
        data: dict[str, Any] = {"patient_class": _CLASS[code], "patient_ref": self._patient(r)}
        locations = r.get("location") or []
        if locations:
            place = locations[-1].get("location") or {}
            data["location"] = place.get("display") or _ref_id(place)
        provider = _ref_id(r.get("serviceProvider"))
        if provider:
            data["org_code"] = provider
        data = {k: v for k, v in data.items() if v is not None}
        period = r.get("period") or {}
        start = parse_iso_ts(period.get("start"), "Encounter.period.start")
        if start is None:
            raise MessageError("Encounter.period.start is required", location="Encounter.period.start")
        status = r.get("status")
        events: list[Event] = []
        if status in ("cancelled", "entered-in-error"):
            return [Event(ENCOUNTER, visit, "cancel_admit", start, {})]
        history = sorted(r.get("classHistory") or [], key=lambda h: (h.get("period") or {}).get("start", ""))
        first_class = _CLASS.get((history[0].get("class") or {}).get("code", ""), data["patient_class"]) \
            if history else data["patient_class"]
        events.append(Event(ENCOUNTER, visit, "register" if first_class == "E" else "admit", start,
                            {**data, "patient_class": first_class}))
        for h in history[1:]:
            at = parse_iso_ts((h.get("period") or {}).get("start"), "Encounter.classHistory.period.start")
            cls = _CLASS.get((h.get("class") or {}).get("code", ""))
            if at and cls:
                events.append(Event(ENCOUNTER, visit, "update", at, {"patient_class": cls}))
        end = parse_iso_ts(period.get("end"), "Encounter.period.end")
        if status == "finished" and end is not None:
            disposition = _codes((r.get("hospitalization") or {}).get("dischargeDisposition"))
            extra = {"disposal": _DISPOSAL[disposition[0]]} if disposition and disposition[0] in _DISPOSAL else {}
            events.append(Event(ENCOUNTER, visit, "discharge", end, extra))
        return events

    def _service_request(self, r: dict[str, Any]) -> list[Event]:
        order = self._require_id(r)
        requested = parse_iso_ts(r.get("authoredOn"), "ServiceRequest.authoredOn")
        if requested is None:
            raise MessageError("ServiceRequest.authoredOn is required", location="ServiceRequest.authoredOn")
        data: dict[str, Any] = {"patient_ref": self._patient(r), "visit_id": _ref_id(r.get("encounter")),
                                "priority": _PRIORITY.get(r.get("priority", "routine"), "routine")}
        for code in _codes(r.get("code")) + [c for cat in r.get("category", []) for c in _codes(cat)]:
            if code.upper() in _MODALITY:
                data["modality"] = _MODALITY[code.upper()]
                break
        data = {k: v for k, v in data.items() if v is not None}
        events = [Event(ORDER, order, "order", requested, data)]
        if r.get("status") in ("revoked", "entered-in-error"):
            updated = parse_iso_ts((r.get("meta") or {}).get("lastUpdated"), "ServiceRequest.meta.lastUpdated")
            events.append(Event(ORDER, order, "cancel", updated or requested, {}))
        return events

    def _imaging_study(self, r: dict[str, Any]) -> list[Event]:
        orders = [_ref_id(b) for b in r.get("basedOn") or []]
        orders = [o for o in orders if o]
        if not orders:
            raise MessageError("ImagingStudy.basedOn must reference the ServiceRequest",
                               location="ImagingStudy.basedOn")
        started = parse_iso_ts(r.get("started"), "ImagingStudy.started")
        if started is None:
            raise MessageError("ImagingStudy.started is required", location="ImagingStudy.started")
        if r.get("status") in ("cancelled", "entered-in-error", "registered"):
            return []
        return [Event(ORDER, order, "performed", started, {}) for order in orders]

    def _observation(self, r: dict[str, Any]) -> list[Event]:
        codes = set(_codes(r.get("code")))
        vocab = self.vocabulary
        if not codes & (vocab.news2_codes | vocab.screen_codes):
            raise MessageError("Observation.code is neither NEWS2 nor a sepsis screen (rules.yaml codes)",
                               ack_code="AR", location="Observation.code")
        if r.get("status") not in ("final", "amended", "corrected", "preliminary"):
            return []
        visit = _ref_id(r.get("encounter"))
        if visit is None:
            raise MessageError("Observation.encounter is required", location="Observation.encounter")
        at = parse_iso_ts(r.get("effectiveDateTime") or (r.get("effectivePeriod") or {}).get("start"),
                          "Observation.effectiveDateTime")
        if at is None:
            raise MessageError("Observation.effectiveDateTime is required", location="Observation.effectiveDateTime")
        data = {"patient_ref": self._patient(r)}
        if codes & vocab.news2_codes:
            value = r.get("valueInteger")
            if value is None:
                value = (r.get("valueQuantity") or {}).get("value")
            if not isinstance(value, (int, float)) or value != int(value) or not 0 <= value <= 20:
                raise MessageError("NEWS2 Observation needs valueInteger 0-20", location="Observation.value[x]")
            return [Event(ENCOUNTER, visit, "news2", at, {**data, "score": int(value)})]
        return [Event(ENCOUNTER, visit, "sepsis_screen", at, data)]

    def _medication(self, r: dict[str, Any]) -> list[Event]:
        if r.get("status") != "completed":
            return []
        codes = _codes(r.get("medicationCodeableConcept"))
        if not any(self.vocabulary.is_antibiotic(c) for c in codes):
            return []
        visit = _ref_id(r.get("context"))
        if visit is None:
            raise MessageError("MedicationAdministration.context (the Encounter) is required",
                               location="MedicationAdministration.context")
        at = parse_iso_ts(r.get("effectiveDateTime") or (r.get("effectivePeriod") or {}).get("start"),
                          "MedicationAdministration.effective[x]")
        if at is None:
            raise MessageError("MedicationAdministration.effective[x] is required",
                               location="MedicationAdministration.effective[x]")
        return [Event(ENCOUNTER, visit, "antibiotic", at, {"patient_ref": self._patient(r)})]


def _resources(document: dict[str, Any]) -> list[dict[str, Any]]:
    if document.get("resourceType") == "Bundle":
        return [entry.get("resource") or {} for entry in document.get("entry") or []]
    return [document]


def process_bundle(store: LiveStore, document: dict[str, Any], source: str = "fhir") -> Summary:
    """Apply a FHIR Bundle (or one resource) in one transaction: valid resources are applied,
    invalid ones quarantined with the reason; the returned counts say which was which."""
    translator = FhirTranslator(store.pseudonymise, store.rules.vocabulary)
    if not isinstance(document, dict) or "resourceType" not in document:
        raise InputError(f"{source}: not a FHIR resource (no resourceType)")
    good: list[tuple[str, str, str, list[Event]]] = []
    bad: list[tuple[dict[str, Any], MessageError]] = []
    for resource in _resources(document):
        try:
            events = translator.translate(resource)
        except MessageError as err:
            bad.append((resource, err))
            continue
        good.append((translator.key(resource), str(resource.get("id")), str(resource.get("resourceType")), events))
    summary = store.ingest_events(good, source=source)
    for resource, err in bad:
        store.quarantine(json.dumps(resource), err, source)
        summary.quarantined += 1
        summary.reasons.append(f"{resource.get('resourceType')}/{resource.get('id')}: {err.reason}")
    return summary
