"""`wardwatch replay`: synthetic records (``wardwatch synth``) as an HL7 v2 stream.

Each row becomes the messages its timestamps imply, and the whole stream is sorted by event
time: an ED attendance is an A04 at arrival and, at departure, an A01 (admitted: the patient
leaves the ED for a ward) or an A03; an imaging request is an ORM NW at request, an ORM SC/CM at
the scan, an ORU at the report, an ORM CA if cancelled; a sepsis episode is a NEWS2 ORU at time
zero, a sepsis-screen ORU, and a RAS for the first antibiotic. Synthetic rows carry no patient
identifiers, so a stable fake one is derived from the row key.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from wardwatch.errors import InputError
from wardwatch.live import messages as m
from wardwatch.live.client import MllpClient, ack_code

_DISPOSITION = {"discharged": "01", "transferred": "02", "left_before_treatment": "03", "referred": "04",
                "died": "05"}


def _read(data: Path, name: str) -> pd.DataFrame:
    for suffix, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
        path = data / f"{name}{suffix}"
        if path.exists():
            return reader(path)
    raise InputError(f"{data}: no {name}.parquet or {name}.csv; run `wardwatch synth --out {data}` first")


def _when(value) -> datetime | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT or value == "":
        return None
    return pd.Timestamp(value).to_pydatetime()


def _fake_id(key: str) -> str:
    return "SYN" + hashlib.sha256(key.encode()).hexdigest()[:10].upper()


def _ward(key: str) -> str:
    return f"WARD{int(hashlib.sha256(key.encode()).hexdigest()[:4], 16) % 30 + 1:02d}"


def build_stream(data: Path, *, org: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> list[tuple[datetime, str]]:
    """(event time, message) for every event in the synthetic files, in event-time order.

    ``since`` selects rows that start (arrival, request, time zero) at or after it; ``until``
    drops every event at or after it, so the stream ends as the hospital stood at ``until``.
    """
    out: list[tuple[datetime, int, str]] = []

    def add(at: datetime | None, priority: int, message: str) -> None:
        if at is not None and (until is None or at < until):
            out.append((at, priority, message))

    def rows(name: str, start_column: str) -> pd.DataFrame:
        frame = _read(data, name)
        if org is not None:
            frame = frame[frame["org_code"] == org]
        start = pd.to_datetime(frame[start_column])
        if since is not None:
            frame = frame[start >= since]
        if until is not None:
            frame = frame[pd.to_datetime(frame[start_column]) < until]
        return frame

    for row in rows("ed_attendances", "arrival_at").itertuples(index=False):
        key = row.attendance_id
        patient, arrival, departed = _fake_id(key), _when(row.arrival_at), _when(row.departed_at)
        age = int(row.age)
        birth = (arrival - timedelta(days=round(age * 365.25) + 1)).strftime("%Y%m%d")
        acuity = None if pd.isna(row.acuity) else int(row.acuity)
        add(arrival, 0, m.adt("A04", f"{key}-A04", arrival, patient, key, "E", "ED", row.site_code,
                              row.org_code, birth_date=birth, acuity=acuity, arrival_mode=row.arrival_mode))
        if departed is not None:
            if row.disposal == "admitted":
                add(departed, 1, m.adt("A01", f"{key}-A01", departed, patient, key, "I", _ward(key),
                                       row.site_code, row.org_code, birth_date=birth))
            else:
                add(departed, 1, m.adt("A03", f"{key}-A03", departed, patient, key, "E", "ED", row.site_code,
                                       row.org_code, disposition=_DISPOSITION.get(row.disposal, "01"),
                                       birth_date=birth))

    for row in rows("imaging_requests", "requested_at").itertuples(index=False):
        key = row.request_id
        patient = _fake_id(key)
        location = {"inpatient": _ward(key), "emergency": "ED"}.get(row.patient_type, "OPD")
        common = {"modality": row.modality, "priority": row.priority, "patient_type": row.patient_type,
                      "location": location, "site": row.site_code, "facility": row.org_code}
        requested, performed = _when(row.requested_at), _when(row.performed_at)
        reported, cancelled = _when(row.reported_at), _when(row.cancelled_at)
        add(requested, 0, m.orm("NW", f"{key}-NW", requested, patient, key, **common))
        if performed is not None:
            add(performed, 1, m.orm("SC", f"{key}-CM", performed, patient, key, status="CM",
                                    performed_at=performed, **common))
        if reported is not None:
            add(reported, 2, m.oru_report(f"{key}-RP", reported, patient, key, performed, reported,
                                          facility=row.org_code))
        if cancelled is not None:
            add(cancelled, 3, m.orm("CA", f"{key}-CA", cancelled, patient, key, status="CA", **common))

    for row in rows("sepsis_episodes", "trigger_at").itertuples(index=False):
        key = row.episode_id
        patient, visit = _fake_id(key), f"SV-{key}"
        cls = "E" if row.location == "emergency_department" else "I"
        location = {"emergency_department": "ED", "assessment_unit": "AMU"}.get(row.location, _ward(key))
        place = {"patient_class": cls, "location": location, "site": row.site_code, "facility": row.org_code}
        trigger, screened, given = _when(row.trigger_at), _when(row.screened_at), _when(row.antibiotics_at)
        add(trigger, 0, m.oru_observation(f"{key}-N2", trigger, patient, visit, "NEWS2", str(int(row.news2)),
                                          **place))
        if screened is not None:
            add(screened, 1, m.oru_observation(f"{key}-SC", screened, patient, visit, "SEPSIS_SCREEN",
                                               "completed", **place))
        if given is not None:
            add(given, 2, m.ras(f"{key}-AB", given, patient, visit, **place))

    out.sort(key=lambda item: (item[0], item[1]))
    return [(at, message) for at, _, message in out]


def send_stream(stream: list[tuple[datetime, str]], host: str, port: int, *, speed: float = 0,
                window: int = 32) -> Counter:
    """Send over MLLP; ``speed`` N plays N times faster than real time (0: no waiting)."""
    counts: Counter = Counter()
    if not stream:
        return counts

    def count(_: int, ack: str) -> None:
        counts[ack_code(ack)[0]] += 1

    with MllpClient(host, port) as client:
        if speed == 0:
            client.send_many((msg for _, msg in stream), window=window, on_ack=count)
            return counts
        first, started = stream[0][0], time.monotonic()
        group: list[str] = []
        group_due = 0.0
        for at, message in stream:
            due = (at - first).total_seconds() / speed
            if group and due - group_due > 0.01:
                client.send_many(group, window=window, on_ack=count)
                group = []
            if not group:
                group_due = due
                delay = started + due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            group.append(message)
        client.send_many(group, window=window, on_ack=count)
    return counts
