"""Reading HL7 v2 and FHIR files for ``ingest-hl7`` / ``ingest-fhir``."""

from __future__ import annotations

from pathlib import Path

from wardwatch.errors import InputError

_BATCH_SEGMENTS = ("FHS", "BHS", "BTS", "FTS")


def split_hl7(text: str) -> tuple[list[str], int]:
    """Messages in a file (plain, one segment a line; MLLP-framed; or an HL7 batch file), and the
    number of stray segments before the first MSH (never logged: they may hold identifiers)."""
    text = text.replace("\x0b", "").replace("\x1c", "\r").replace("\r\n", "\r").replace("\n", "\r")
    messages: list[list[str]] = []
    stray = 0
    for segment in text.split("\r"):
        segment = segment.strip()
        if not segment or segment[:3] in _BATCH_SEGMENTS:
            continue
        if segment.startswith("MSH"):
            messages.append([segment])
        elif messages:
            messages[-1].append(segment)
        else:
            stray += 1
    return ["\r".join(m) + "\r" for m in messages], stray


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
