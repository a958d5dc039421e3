"""Derive the state of one encounter or one order from all its events, in event-time order.

Re-deriving from the kept events (rather than updating state message by message) is what makes
intake order-independent: an A03 that arrives before its A04, or a result before its order,
gives the same state as the same events in the right order, and applying the same event set
twice gives the same state (the store keeps each message once, by MSH-10).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wardwatch.live.rules import Vocabulary


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    kind: str
    at: str
    data: dict[str, Any]


_CANCELS = {"cancel_admit": ("admit", "register"), "cancel_discharge": ("discharge",)}
_STATIC = ("patient_ref", "org_code", "site_code", "age", "arrival_mode", "acuity")


def _without_cancelled(events: list[StoredEvent]) -> list[StoredEvent]:
    """Drop each cancel event and the event it cancels: the latest matching event at or before
    it, or, if that has not arrived in event time yet, the earliest one after it."""
    removed: set[int] = set()
    for cancel in (e for e in events if e.kind in _CANCELS):
        removed.add(cancel.seq)
        candidates = [e for e in events if e.kind in _CANCELS[cancel.kind] and e.seq not in removed]
        before = [e for e in candidates if e.at <= cancel.at]
        target = before[-1] if before else (candidates[0] if candidates else None)
        if target is not None:
            # a resent copy of the cancelled event (same kind, same time) goes with it
            removed.update(e.seq for e in candidates if e.kind == target.kind and e.at == target.at)
    return [e for e in events if e.seq not in removed]


def sepsis_location(patient_class: str | None, location: str | None, vocab: Vocabulary) -> str:
    if patient_class == "E":
        return "emergency_department"
    if location and location.upper().startswith(vocab.assessment_units):
        return "assessment_unit"
    return "inpatient_ward"


def fold_encounter(visit_id: str, events: list[StoredEvent], vocab: Vocabulary
                   ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(encounter row, sepsis episode rows) for one visit; ``events`` sorted by (at, seq)."""
    enc: dict[str, Any] = {
        "visit_id": visit_id, "patient_ref": None, "org_code": None, "site_code": None, "age": None,
        "arrival_mode": None, "acuity": None, "patient_class": None, "location": None,
        "ed_arrival_at": None, "ed_departed_at": None, "admitted_at": None, "discharged_at": None,
        "disposal": None,
    }
    episodes: list[dict[str, Any]] = []
    open_episode: dict[str, Any] | None = None
    treated_episode: dict[str, Any] | None = None  # the last episode closed by antibiotics, until the next opens
    for e in _without_cancelled(events):
        d = e.data
        for key in _STATIC:
            if enc[key] is None and d.get(key) is not None:
                enc[key] = d[key]
        previous = enc["patient_class"]
        current = d.get("patient_class", previous)
        if d.get("location"):
            enc["location"] = d["location"]
        if e.kind in ("admit", "register"):
            if current == "E" and enc["ed_arrival_at"] is None:
                enc["ed_arrival_at"] = e.at
            if current == "I" and enc["admitted_at"] is None:
                enc["admitted_at"] = e.at
        in_ed = enc["ed_arrival_at"] is not None and enc["ed_departed_at"] is None
        if e.kind == "discharge":
            enc["discharged_at"] = e.at
            if in_ed:
                enc["ed_departed_at"] = e.at
                enc["disposal"] = d.get("disposal", "discharged")
            if open_episode is not None:
                open_episode["closed_at"] = e.at
                open_episode = None
        elif in_ed and previous == "E" and current != "E":
            enc["ed_departed_at"] = e.at
            enc["disposal"] = "admitted" if current == "I" else "transferred"
        enc["patient_class"] = current
        if enc["discharged_at"] is not None and e.kind != "discharge":
            continue  # observations after discharge belong to no open episode
        if e.kind == "news2":
            score = d["score"]
            if open_episode is None and score >= vocab.screen_threshold:
                open_episode = {
                    "episode_id": f"{visit_id}-S{len(episodes) + 1}", "visit_id": visit_id,
                    "patient_ref": enc["patient_ref"] or d.get("patient_ref"),
                    "org_code": enc["org_code"] or d.get("org_code"),
                    "site_code": enc["site_code"] or d.get("site_code"),
                    "location": sepsis_location(current, enc["location"], vocab),
                    "ward": enc["location"], "trigger_at": e.at, "news2": score, "high_risk_at": None,
                    "screened_at": None, "antibiotics_at": None, "closed_at": None, "age": enc["age"],
                }
                episodes.append(open_episode)
                treated_episode = None
            if open_episode is not None and score >= vocab.antibiotic_threshold \
                    and open_episode["high_risk_at"] is None:
                open_episode["high_risk_at"] = e.at
        elif e.kind == "sepsis_screen":
            # A screen written up after the antibiotics (common: treat first, document after) still
            # belongs to the episode the antibiotics closed, as in the sepsis audit; the episode has
            # already left both watchlists, so only its audit row gains the time.
            target = open_episode if open_episode is not None else treated_episode
            if target is not None and target["screened_at"] is None:
                target["screened_at"] = e.at
        elif e.kind == "antibiotic" and open_episode is not None:
            open_episode["antibiotics_at"] = e.at
            open_episode["closed_at"] = e.at
            treated_episode, open_episode = open_episode, None
    return enc, episodes


_PATIENT_TYPE = {"I": "inpatient", "E": "emergency", "O": "outpatient"}


def fold_order(request_id: str, events: list[StoredEvent]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "request_id": request_id, "visit_id": None, "patient_ref": None, "org_code": None,
        "site_code": None, "modality": None, "patient_type": None, "priority": None, "location": None,
        "requested_at": None, "performed_at": None, "reported_at": None, "cancelled_at": None,
    }
    for e in events:
        d = e.data
        for key in ("visit_id", "patient_ref", "org_code", "site_code", "modality", "priority"):
            if row[key] is None and d.get(key) is not None:
                row[key] = d[key]
        if d.get("location"):
            row["location"] = d["location"]
        if row["patient_type"] is None and d.get("patient_class"):
            gp = d["patient_class"] == "O" and str(d.get("patient_type", "")).upper() == "GP"
            row["patient_type"] = "gp" if gp else _PATIENT_TYPE[d["patient_class"]]
        if e.kind == "order" and (row["requested_at"] is None or e.at < row["requested_at"]):
            row["requested_at"] = e.at
        elif e.kind == "performed" and row["performed_at"] is None:
            row["performed_at"] = e.at
        elif e.kind == "report":
            if row["performed_at"] is None and d.get("performed_at"):
                row["performed_at"] = d["performed_at"]
            if row["reported_at"] is None and d.get("reported_at"):
                row["reported_at"] = d["reported_at"]
                if row["performed_at"] is None:
                    row["performed_at"] = d["reported_at"]  # a report implies the scan was done
        elif e.kind == "cancel" and row["cancelled_at"] is None:
            row["cancelled_at"] = e.at
    return row
