"""Build HL7 v2.5.1 messages (for replay, benchmarks and tests).

Only the fields intake reads are filled (see docs/guide/watchlists.md); patient identifiers
passed here are synthetic.
"""

from __future__ import annotations

from datetime import datetime

_ESCAPES = {"\\": "\\E\\", "|": "\\F\\", "^": "\\S\\", "~": "\\R\\", "&": "\\T\\"}


def esc(value: object) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in str(value))


def hl7_ts(value: datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y%m%d%H%M%S")


def _fields(name: str, values: dict[int, str]) -> str:
    width = max(values) if values else 0
    return "|".join([name] + [values.get(i, "") for i in range(1, width + 1)])


def msh(message_type: str, control_id: str, at: datetime | str, facility: str = "ZFV",
        sender: str = "PAS") -> str:
    return (f"MSH|^~\\&|{esc(sender)}|{esc(facility)}|WARDWATCH|{esc(facility)}|{hl7_ts(at)}||{message_type}|"
            f"{esc(control_id)}|P|2.5.1")


def pid(patient_id: str, birth_date: str = "") -> str:
    return _fields("PID", {1: "1", 3: f"{esc(patient_id)}^^^ZFV^MR", 5: "SYNTHETIC^PATIENT",
                           7: birth_date})


def pv1(visit_id: str, patient_class: str, location: str = "", site: str = "", admit_at: str = "",
        discharge_at: str = "", disposition: str = "", patient_type: str = "") -> str:
    loc = f"{esc(location)}^^^{esc(site)}" if (location or site) else ""
    return _fields("PV1", {1: "1", 2: patient_class, 3: loc, 18: patient_type, 19: esc(visit_id),
                           36: disposition, 44: admit_at, 45: discharge_at})


def adt(trigger: str, control_id: str, at: datetime | str, patient_id: str, visit_id: str,
        patient_class: str, location: str = "", site: str = "", facility: str = "ZFV",
        disposition: str = "", birth_date: str = "", acuity: int | None = None,
        arrival_mode: str = "") -> str:
    when = hl7_ts(at)
    segments = [
        msh(f"ADT^{trigger}^ADT_A01", control_id, at, facility),
        f"EVN|{trigger}|{when}||||{when}",
        pid(patient_id, birth_date),
        pv1(visit_id, patient_class, location, site,
            admit_at=when if trigger in ("A01", "A04") else "",
            discharge_at=when if trigger == "A03" else "", disposition=disposition),
    ]
    if acuity is not None or arrival_mode:
        segments.append(_fields("PV2", {25: "" if acuity is None else str(acuity), 38: esc(arrival_mode)}))
    return "\r".join(segments)


_PRIORITY_CODE = {"urgent": "S", "soon": "A", "routine": "R"}
_CLASS = {"inpatient": "I", "emergency": "E", "outpatient": "O", "gp": "O"}


def orm(control: str, control_id: str, at: datetime | str, patient_id: str, order_id: str, *,
        modality: str = "XR", priority: str = "routine", patient_type: str = "inpatient",
        visit_id: str = "", location: str = "", site: str = "", facility: str = "ZFV",
        status: str = "", performed_at: datetime | str | None = None, message: str = "ORM^O01^ORM_O01") -> str:
    when = hl7_ts(at)
    prio = _PRIORITY_CODE.get(priority, "R")
    return "\r".join([
        msh(message, control_id, at, facility, sender="RIS"),
        pid(patient_id),
        pv1(visit_id or f"V{order_id}", _CLASS.get(patient_type, "O"), location, site,
            patient_type="GP" if patient_type == "gp" else ""),
        _fields("ORC", {1: control, 2: esc(order_id), 5: status, 7: f"^^^^^{prio}", 9: when}),
        _fields("OBR", {1: "1", 2: esc(order_id), 4: f"{modality}^{modality} examination^L",
                        6: when if control == "NW" else "", 7: hl7_ts(performed_at),
                        24: modality, 27: f"^^^^^{prio}"}),
    ])


def oru_report(control_id: str, at: datetime | str, patient_id: str, order_id: str, performed_at,
               reported_at, facility: str = "ZFV", visit_id: str = "") -> str:
    return "\r".join([
        msh("ORU^R01^ORU_R01", control_id, at, facility, sender="RIS"),
        pid(patient_id),
        pv1(visit_id or f"V{order_id}", "I"),
        _fields("OBR", {1: "1", 2: esc(order_id), 7: hl7_ts(performed_at), 22: hl7_ts(reported_at), 25: "F"}),
        "OBX|1|TX|REPORT^Report^L||Synthetic report text||||||F",
    ])


def oru_observation(control_id: str, at: datetime | str, patient_id: str, visit_id: str, code: str,
                    value: str, patient_class: str = "I", location: str = "", site: str = "",
                    facility: str = "ZFV") -> str:
    when = hl7_ts(at)
    return "\r".join([
        msh("ORU^R01^ORU_R01", control_id, at, facility, sender="EOBS"),
        pid(patient_id),
        pv1(visit_id, patient_class, location, site),
        _fields("OBR", {1: "1", 4: "OBS^Observations^L", 7: when}),
        _fields("OBX", {1: "1", 2: "NM", 3: f"{esc(code)}^{esc(code)}^L", 5: esc(value), 11: "F", 14: when}),
    ])


def ras(control_id: str, at: datetime | str, patient_id: str, visit_id: str,
        drug: str = "J01CR05^Piperacillin and tazobactam^ATC", patient_class: str = "I",
        location: str = "", site: str = "", facility: str = "ZFV") -> str:
    when = hl7_ts(at)
    return "\r".join([
        msh("RAS^O17^RAS_O17", control_id, at, facility, sender="EPMA"),
        pid(patient_id),
        pv1(visit_id, patient_class, location, site),
        _fields("ORC", {1: "RE", 2: f"MED{esc(control_id)}"}),
        _fields("RXA", {1: "0", 2: "1", 3: when, 4: when, 5: drug, 6: "4.5", 7: "g", 20: "CP"}),
    ])
