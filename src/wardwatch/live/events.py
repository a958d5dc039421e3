"""The normalised event every intake path (HL7 v2, FHIR) produces, and event-time helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

#: Stored timestamp format: fixed width, so text order is time order in SQLite.
TS_FORMAT = "%Y-%m-%d %H:%M:%S"

ENCOUNTER = "enc"
ORDER = "ord"


@dataclass(frozen=True)
class Event:
    """One clinical fact with its own time.

    ``entity`` is ``("enc", visit number)`` or ``("ord", placer order number)``; ``kind`` is one
    of the kinds the folds in :mod:`wardwatch.live.fold` understand; ``data`` holds only
    non-identifying attributes (the patient is a keyed pseudonym).
    """

    entity_type: str
    entity_id: str
    kind: str
    at: str
    data: dict[str, Any] = field(default_factory=dict)


class MessageError(ValueError):
    """A message we cannot apply. ``ack_code`` is AR (reject) or AE (error); ``hl7_error`` is
    an HL7 table 0357 code; ``location`` names the segment/field (never its value)."""

    def __init__(self, reason: str, *, ack_code: str = "AE", hl7_error: str = "207", location: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.ack_code = ack_code
        self.hl7_error = hl7_error
        self.location = location


_HL7_TS = re.compile(
    r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?(?:([+-])(\d{2})(\d{2}))?$"
)


def parse_hl7_ts(text: str, where: str) -> str | None:
    """HL7 DTM (``YYYYMMDDHHMM[SS[.S]][+ZZZZ]``) to the stored format; blank gives None.

    A time with an offset is converted to UTC; a time without one is kept as sent (wall clock),
    so a feed must use one convention (docs/guide/watchlists.md).
    """
    text = text.strip()
    if not text or text == '""':
        return None
    if text.isdigit() and len(text) in (8, 10, 12, 14):
        # the common shape (no fraction, no offset): check it is a real time, then re-punctuate
        padded = text.ljust(14, "0")
        try:
            datetime(int(padded[:4]), int(padded[4:6]), int(padded[6:8]), int(padded[8:10]),
                     int(padded[10:12]), int(padded[12:14]))
        except ValueError:
            raise MessageError(f"{where}: impossible date/time", hl7_error="102", location=where) from None
        return (f"{padded[:4]}-{padded[4:6]}-{padded[6:8]} "
                f"{padded[8:10]}:{padded[10:12]}:{padded[12:14]}")
    m = _HL7_TS.match(text)
    if not m or m.group(3) is None:
        raise MessageError(f"{where}: not an HL7 date/time (YYYYMMDDHHMM[SS])", hl7_error="102", location=where)
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in m.groups()[:6])
    try:
        value = datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise MessageError(f"{where}: impossible date/time", hl7_error="102", location=where) from None
    if m.group(7):
        offset = timedelta(hours=int(m.group(8)), minutes=int(m.group(9)))
        value = value - offset if m.group(7) == "+" else value + offset
    return value.strftime(TS_FORMAT)


def parse_iso_ts(text: str | None, where: str) -> str | None:
    """FHIR dateTime/instant to the stored format (offsets converted to UTC)."""
    if text is None or text == "":
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise MessageError(f"{where}: not an ISO date/time", location=where) from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime(TS_FORMAT)


def to_ts(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime(TS_FORMAT)


def from_ts(text: str) -> datetime:
    return datetime.strptime(text, TS_FORMAT)
