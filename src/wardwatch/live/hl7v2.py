"""HL7 v2.x messages to events, and acknowledgements.

Which segments and fields are read is tabled in docs/guide/watchlists.md. python-hl7
(``hl7``) frames MLLP on the wire (:mod:`wardwatch.live.server`); its full ``hl7.parse`` builds
one object per field (~1 ms for an ADT message on the reference machine), which alone would
cap intake below 1,000 messages/s, so fields are read here with :class:`Hl7Reader`, a small
reader that honours the message's own encoding characters (MSH-1, MSH-2) and HL7 escapes;
tests/live/test_live_hl7v2.py checks it field by field against ``hl7.parse``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from wardwatch.live.events import ENCOUNTER, ORDER, Event, MessageError, parse_hl7_ts
from wardwatch.live.rules import Vocabulary

SUPPORTED = {
    "ADT": {"A01", "A02", "A03", "A04", "A08", "A11", "A13"},
    "ORM": {"O01"},
    "OMI": {"O23"},
    "ORU": {"R01"},
    "RAS": {"O17"},
}


class Hl7Reader:
    """Random access to ``SEG-field.component`` of one message (1-based, as in the standard)."""

    def __init__(self, text: str):
        text = text.strip("\x0b\x1c\r\n ")
        if not text.startswith("MSH") or len(text) < 8:
            raise MessageError("message does not start with an MSH segment", ack_code="AR", hl7_error="100",
                               location="MSH")
        self.field_sep = text[3]
        encoding = text[4:8]
        self.component_sep = encoding[0]
        self.repetition_sep = encoding[1]
        self.escape = encoding[2]
        self.subcomponent_sep = encoding[3] if len(encoding) > 3 else "&"
        self.segments: dict[str, list[list[str]]] = {}
        for raw in text.replace("\r\n", "\r").replace("\n", "\r").split("\r"):
            if not raw:
                continue
            fields = raw.split(self.field_sep)
            name = fields[0]
            if len(name) != 3 or not name.isalnum():
                raise MessageError(f"segment {name[:3]!r}: not a valid segment name", ack_code="AR",
                                   hl7_error="100", location=name[:3])
            if name == "MSH":
                # MSH-1 is the field separator itself, so MSH fields are shifted by one.
                fields = [name, self.field_sep] + fields[1:]
            self.segments.setdefault(name, []).append(fields)

    def has(self, segment: str) -> bool:
        return segment in self.segments

    def all(self, segment: str) -> list[list[str]]:
        return self.segments.get(segment, [])

    def raw(self, segment: str, field: int, occurrence: int = 0) -> str:
        rows = self.segments.get(segment)
        if not rows or occurrence >= len(rows):
            return ""
        fields = rows[occurrence]
        return fields[field] if field < len(fields) else ""

    def get(self, segment: str, field: int, component: int = 1, occurrence: int = 0,
            fields: list[str] | None = None) -> str:
        """First repetition, given component (sub-components kept joined), unescaped."""
        if fields is None:
            rows = self.segments.get(segment)
            if not rows or occurrence >= len(rows):
                return ""
            fields = rows[occurrence]
        if field >= len(fields):
            return ""
        value = fields[field]
        if not value or (segment == "MSH" and field < 3):
            return value
        if self.repetition_sep in value:
            value = value.split(self.repetition_sep, 1)[0]
        if self.component_sep in value:
            parts = value.split(self.component_sep)
            value = parts[component - 1] if component <= len(parts) else ""
        elif component > 1:
            return ""
        return self.unescape(value) if self.escape in value else value

    def unescape(self, value: str) -> str:
        if self.escape not in value:
            return value
        esc = self.escape
        table = {"F": self.field_sep, "S": self.component_sep, "R": self.repetition_sep,
                 "T": self.subcomponent_sep, "E": esc}
        out, i = [], 0
        while i < len(value):
            if value[i] == esc:
                end = value.find(esc, i + 1)
                code = value[i + 1:end] if end > 0 else ""
                if code in table:
                    out.append(table[code])
                    i = end + 1
                    continue
            out.append(value[i])
            i += 1
        return "".join(out)


@dataclass(frozen=True)
class ParsedMessage:
    key: str  # dedup key: sending application | facility | MSH-10
    control_id: str
    message_type: str  # e.g. ADT^A04
    events: list[Event]
    header: tuple[str, ...] = ()  # what the ACK echoes: see ack_header()


def _required(r: Hl7Reader, segment: str, field: int, component: int = 1, label: str = "") -> str:
    if not r.has(segment):
        raise MessageError(f"{segment} segment missing", hl7_error="100", location=segment)
    value = r.get(segment, field, component)
    if not value:
        where = f"{segment}-{field}" + (f".{component}" if component > 1 else "")
        raise MessageError(f"{where} ({label}) is required but empty", hl7_error="101", location=where)
    return value


def _ts(r: Hl7Reader, candidates: list[tuple[str, int]], fallback_required: bool = True) -> str | None:
    """First non-blank time among ``candidates`` (segment, field), each validated."""
    for segment, field in candidates:
        value = r.get(segment, field)
        if value:
            return parse_hl7_ts(value, f"{segment}-{field}")
    if fallback_required:
        where = ", ".join(f"{s}-{f}" for s, f in candidates)
        raise MessageError(f"no event time in any of {where}", hl7_error="101", location=candidates[-1][0])
    return None


_PATIENT_CLASS = {"E": "E", "I": "I", "O": "O", "P": "O", "R": "O", "B": "O"}
_PRIORITY = {"S": "urgent", "A": "soon", "R": "routine", "P": "routine", "T": "soon", "C": "routine"}
_MODALITY = {"CR": "XR", "DX": "XR", "RAD": "XR", "XR": "XR", "CT": "CT", "CTS": "CT", "MR": "MR",
             "NMR": "MR", "US": "US", "NM": "NM", "RF": "FL", "FL": "FL", "XA": "FL", "DXA": "DEXA",
             "DEXA": "DEXA", "BMD": "DEXA", "MG": "MG", "MAM": "MG"}
_DISPOSAL = {"01": "discharged", "02": "transferred", "03": "left_before_treatment", "04": "referred",
             "05": "died", "DISCH": "discharged", "TRANS": "transferred", "LBT": "left_before_treatment",
             "REF": "referred", "DIED": "died", "ADM": "admitted"}


def _age(r: Hl7Reader, at: str | None) -> int | None:
    dob = r.get("PID", 7)
    if not dob or at is None:
        return None
    born = parse_hl7_ts(dob[:8], "PID-7")
    if born is None:
        return None
    b, a = datetime.fromisoformat(born), datetime.fromisoformat(at)
    return a.year - b.year - ((a.month, a.day) < (b.month, b.day))


class Hl7Translator:
    """Turns one HL7 v2 message into events (raises :class:`MessageError` with the reason)."""

    def __init__(self, pseudonymise: Callable[[str, str], str], vocabulary: Vocabulary):
        self.pseudonymise = pseudonymise
        self.vocabulary = vocabulary

    def translate(self, text: str) -> ParsedMessage:
        r = Hl7Reader(text)
        control_id = r.get("MSH", 10)
        if not control_id:
            raise MessageError("MSH-10 (message control ID) is required but empty", ack_code="AR",
                               hl7_error="101", location="MSH-10")
        code, trigger = r.get("MSH", 9, 1), r.get("MSH", 9, 2)
        if code not in SUPPORTED:
            raise MessageError(f"unsupported message type {code!r} (MSH-9.1)", ack_code="AR",
                               hl7_error="200", location="MSH-9")
        if trigger not in SUPPORTED[code]:
            raise MessageError(f"unsupported trigger event {code}^{trigger} (MSH-9.2)", ack_code="AR",
                               hl7_error="201", location="MSH-9")
        key = f"{r.get('MSH', 3)}|{r.get('MSH', 4)}|{control_id}"
        handler = {"ADT": self._adt, "ORM": self._order, "OMI": self._order, "ORU": self._oru,
                   "RAS": self._ras}[code]
        events = handler(r, trigger)
        return ParsedMessage(key=key, control_id=control_id, message_type=f"{code}^{trigger}", events=events,
                             header=ack_header(r))

    # -- common pieces --------------------------------------------------------------------
    def _patient(self, r: Hl7Reader) -> str:
        identifier = _required(r, "PID", 3, 1, "patient identifier")
        return self.pseudonymise(identifier, r.get("PID", 3, 4))

    def _visit_fields(self, r: Hl7Reader, at: str | None) -> dict:
        data: dict = {"org_code": r.get("MSH", 4) or None}
        if r.has("PV1"):
            cls = r.get("PV1", 2)
            if cls:
                data["patient_class"] = _PATIENT_CLASS.get(cls, "O")
            location = r.get("PV1", 3, 1)
            if location:
                data["location"] = location
            site = r.get("PV1", 3, 4) or r.get("PV1", 39)
            if site:
                data["site_code"] = site
            if r.get("PV1", 18):
                data["patient_type"] = r.get("PV1", 18)
        if r.has("PID"):
            data["patient_ref"] = self._patient(r)
            age = _age(r, at)
            if age is not None:
                data["age"] = age
        return {k: v for k, v in data.items() if v is not None}

    # -- ADT ------------------------------------------------------------------------------
    def _adt(self, r: Hl7Reader, trigger: str) -> list[Event]:
        visit = _required(r, "PV1", 19, 1, "visit number")
        self._patient(r)  # every ADT must identify the patient
        if trigger in ("A01", "A04"):
            at = _ts(r, [("PV1", 44), ("EVN", 6), ("EVN", 2), ("MSH", 7)])
            kind = "admit" if trigger == "A01" else "register"
        elif trigger == "A03":
            at = _ts(r, [("PV1", 45), ("EVN", 6), ("EVN", 2), ("MSH", 7)])
            kind = "discharge"
        else:
            at = _ts(r, [("EVN", 6), ("EVN", 2), ("MSH", 7)])
            kind = {"A02": "transfer", "A08": "update", "A11": "cancel_admit", "A13": "cancel_discharge"}[trigger]
        data = self._visit_fields(r, at)
        if trigger in ("A01", "A04"):
            mode = r.get("PV2", 38) if r.has("PV2") else ""
            if mode:
                data["arrival_mode"] = mode
            acuity = r.get("PV2", 25) if r.has("PV2") else ""
            if acuity:
                if not acuity.isdigit() or not 1 <= int(acuity) <= 5:
                    raise MessageError("PV2-25 (acuity) must be 1-5", hl7_error="103", location="PV2-25")
                data["acuity"] = int(acuity)
        if trigger == "A03":
            disposition = r.get("PV1", 36)
            if disposition:
                data["disposal"] = _DISPOSAL.get(disposition.upper(), "discharged")
        return [Event(ENCOUNTER, visit, kind, at, data)]

    # -- imaging orders -------------------------------------------------------------------
    def _order_id(self, r: Hl7Reader, occurrence: int = 0) -> str:
        value = r.get("ORC", 2, occurrence=occurrence) if r.has("ORC") else ""
        if not value and r.has("OBR"):
            value = r.get("OBR", 2, occurrence=occurrence)
        if not value:
            raise MessageError("ORC-2/OBR-2 (placer order number) is required but empty", hl7_error="101",
                               location="ORC-2")
        return value

    def _order(self, r: Hl7Reader, trigger: str) -> list[Event]:
        if not r.has("ORC"):
            raise MessageError("ORC segment missing", hl7_error="100", location="ORC")
        order_id = self._order_id(r)
        control = r.get("ORC", 1).upper()
        status = r.get("ORC", 5).upper()
        requested = _ts(r, [("OBR", 6), ("ORC", 9), ("MSH", 7)]) if control == "NW" else None
        data = self._visit_fields(r, requested)
        visit = r.get("PV1", 19) if r.has("PV1") else ""
        if visit:
            data["visit_id"] = visit
        if r.has("OBR"):
            section = r.get("OBR", 24).upper() or r.get("OBR", 4, 1).split("-")[0].upper()
            if section:
                if section not in _MODALITY:
                    raise MessageError(f"OBR-24 modality {section!r} not recognised", hl7_error="103",
                                       location="OBR-24")
                data["modality"] = _MODALITY[section]
        priority = (r.get("TQ1", 9) if r.has("TQ1") else "") or r.get("ORC", 7, 6) or (
            r.get("OBR", 27, 6) if r.has("OBR") else "")
        if priority:
            data["priority"] = _PRIORITY.get(priority.upper(), "routine")
        if control == "NW":
            return [Event(ORDER, order_id, "order", requested, data)]
        at = _ts(r, [("ORC", 9), ("MSH", 7)])
        if control in ("CA", "OC", "DC", "CR", "OD") or status in ("CA", "DC"):
            return [Event(ORDER, order_id, "cancel", at, data)]
        if control in ("SC", "SN", "XO", "XX") and status == "CM":
            performed = _ts(r, [("OBR", 7), ("ORC", 9), ("MSH", 7)])
            return [Event(ORDER, order_id, "performed", performed, data)]
        if control in ("SC", "XO", "XX"):
            return [Event(ORDER, order_id, "update", at, data)]
        raise MessageError(f"ORC-1 order control {control!r} not handled (NW, SC, XO, CA, OC, DC)",
                           hl7_error="103", location="ORC-1")

    # -- results: NEWS2 / sepsis screen observations, or an imaging report ----------------
    def _oru(self, r: Hl7Reader, trigger: str) -> list[Event]:
        vocab = self.vocabulary
        events: list[Event] = []
        visit = r.get("PV1", 19) if r.has("PV1") else ""
        for obx in r.all("OBX"):
            code = r.get("OBX", 3, 1, fields=obx)
            if code in vocab.news2_codes or code in vocab.screen_codes:
                if not visit:
                    raise MessageError("PV1-19 (visit number) is required for observations", hl7_error="101",
                                       location="PV1-19")
                status = r.get("OBX", 11, fields=obx).upper()
                if status in ("W", "D", "X"):
                    continue  # wrong/deleted/not obtained: not a recorded observation
                when = r.get("OBX", 14, fields=obx)
                at = parse_hl7_ts(when, "OBX-14") if when else _ts(r, [("OBR", 7), ("MSH", 7)])
                data = self._visit_fields(r, at)
                if code in vocab.news2_codes:
                    value = r.get("OBX", 5, fields=obx)
                    if not value.isdigit() or not 0 <= int(value) <= 20:
                        raise MessageError("OBX-5 NEWS2 score must be a whole number 0-20", hl7_error="102",
                                           location="OBX-5")
                    data["score"] = int(value)
                    events.append(Event(ENCOUNTER, visit, "news2", at, data))
                else:
                    events.append(Event(ENCOUNTER, visit, "sepsis_screen", at, data))
        if events:
            return events
        if not r.has("OBR"):
            raise MessageError("ORU without NEWS2/sepsis-screen OBX needs an OBR (imaging report)",
                               hl7_error="100", location="OBR")
        order_id = self._order_id(r)
        result_status = r.get("OBR", 25).upper()
        performed = _ts(r, [("OBR", 7)], fallback_required=False)
        data = self._visit_fields(r, performed)
        if result_status in ("F", "C", "P", "A", "R"):
            reported = _ts(r, [("OBR", 22), ("MSH", 7)])
            data["reported_at"] = reported if result_status in ("F", "C") else None
            data["performed_at"] = performed
            return [Event(ORDER, order_id, "report", performed or reported, data)]
        if result_status == "X":
            return [Event(ORDER, order_id, "cancel", _ts(r, [("OBR", 22), ("MSH", 7)]), data)]
        raise MessageError(f"OBR-25 result status {result_status!r} not handled", hl7_error="103",
                           location="OBR-25")

    # -- antibiotic administration --------------------------------------------------------
    def _ras(self, r: Hl7Reader, trigger: str) -> list[Event]:
        visit = _required(r, "PV1", 19, 1, "visit number")
        if not r.has("RXA"):
            raise MessageError("RXA segment missing", hl7_error="100", location="RXA")
        events = []
        for rxa in r.all("RXA"):
            completion = r.get("RXA", 20, fields=rxa).upper()
            if completion in ("NA", "RE"):
                continue  # not administered / refused
            code = r.get("RXA", 5, 1, fields=rxa)
            if not code:
                raise MessageError("RXA-5 (administered code) is required but empty", hl7_error="101",
                                   location="RXA-5")
            if not self.vocabulary.is_antibiotic(code):
                continue
            when = r.get("RXA", 3, fields=rxa)
            if not when:
                raise MessageError("RXA-3 (start of administration) is required but empty", hl7_error="101",
                                   location="RXA-3")
            at = parse_hl7_ts(when, "RXA-3")
            events.append(Event(ENCOUNTER, visit, "antibiotic", at, self._visit_fields(r, at)))
        return events


_UNSAFE = str.maketrans({ch: " " for ch in "|^~\\&\r\n"})


def _clean(text: str) -> str:
    """Free text safe inside one HL7 field (no delimiters, no line breaks)."""
    return text.translate(_UNSAFE)[:200]


def ack_header(r: Hl7Reader) -> tuple[str, ...]:
    """Fields of the original message an ACK echoes: sender, facility, receiver, receiving
    facility, control ID, trigger, processing ID, version."""
    fields = r.segments["MSH"][0]
    count = len(fields)

    def first(index: int, component: int = 0) -> str:
        # echoed as sent (escape sequences stay escaped), first component, delimiters removed
        value = fields[index] if index < count else ""
        if r.component_sep in value or r.repetition_sep in value:
            parts = value.split(r.repetition_sep, 1)[0].split(r.component_sep)
            value = parts[component] if component < len(parts) else ""
        elif component:
            value = ""
        return value.translate(_UNSAFE)[:200]

    return (first(3), first(4), first(5), first(6), first(10), first(9, 1), first(11) or "P",
            first(12) or "2.5.1")


def _error_location(location: str) -> str:
    """``PV1-19.1`` to an ERL: segment^sequence^field^repetition^component."""
    segment, _, rest = location.partition("-")
    field, _, component = rest.partition(".")
    parts = [_clean(segment)] + (["1", field] if field.isdigit() else []) + (["1", component] if component else [])
    return "^".join(parts)


def header_of(message: str | None) -> tuple[str, ...]:
    """ACK header fields of a raw message that may not even be readable."""
    if message is not None:
        try:
            return ack_header(Hl7Reader(message))
        except MessageError:
            pass
    return ("", "", "", "", "", "", "P", "2.5.1")


def build_ack(message: str | None, code: str, *, error: MessageError | None = None,
              header: tuple[str, ...] | None = None, stamp: str | None = None) -> str:
    """Original-mode ACK: MSH, MSA (and ERR with the reason for AE/AR). Pass ``header`` (from
    :func:`ack_header`) to avoid reading the message again."""
    sender, facility, receiver, receiver_facility, control, trigger, processing, version = (
        header if header else header_of(message))
    stamp = stamp or datetime.now().strftime("%Y%m%d%H%M%S")
    segments = [
        (f"MSH|^~\\&|{receiver or 'WARDWATCH'}|{receiver_facility}|{sender}|{facility}|{stamp}||"
        f"ACK^{trigger}^ACK|ACK{control}|{processing}|{version}"),
        f"MSA|{code}|{control}" + (f"|{_clean(error.reason)}" if error else ""),
    ]
    if error is not None:
        segments.append(f"ERR||{_error_location(error.location)}|{error.hl7_error}|E||||{_clean(error.reason)}")
    return "\r".join(segments) + "\r"
