"""Suggest a mapping from an extract's header and values (``wardwatch map suggest``).

Nothing here is learned: source column names are compared with each contract column's name and a
short list of synonyms (case, spaces and underscores ignored; ``difflib`` for near misses), date
and time formats are the explicit strptime formats that read *every* value of a column (tested
with DuckDB's ``try_strptime``, the function the loader uses), and codes are translated only when
the source value is the contract code itself, a word listed for it here, or a code of a shipped
mapping. Whatever is not certain is written with a ``# CONFIRM: ...`` comment and returned in
``Suggestion.confirm``; day/month order is never guessed silently.

The YAML is written by hand (so it can hold comments) and, when every required column is matched,
it is checked with :func:`wardwatch.mappings.parse_mapping` before it is returned.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import functools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from wardwatch.contracts.schema import CONTRACTS, Column, Contract
from wardwatch.contracts.validate import FALSE_WORDS, TRUE_WORDS
from wardwatch.errors import InputError
from wardwatch.mappings import DEFAULT_TIMEZONE, SPREADSHEET_SUFFIXES, load_mapping, shipped_names

#: Rows read for values (the header is always read). Formats and codes are judged on these.
MAX_ROWS = 50_000
#: A column with more distinct values than this is not read as a coded column.
MAX_CODES = 60
#: Name similarity (0-1) at or above which a column is suggested at all (with CONFIRM below 1).
MIN_SCORE = 0.72

CONFIRM_DAY_MONTH = "CONFIRM: day/month order could not be settled from the values"

# Words that carry no meaning in extract column names (EC_ and Der_ prefixes of SUS extracts).
_NOISE = {"der", "ec", "snomed", "ct"}

#: Other names of contract columns, as words (the column's own name is always a name too). For
#: timestamp and date columns these are the *stems*: "Arrival Date" + "Arrival Time" -> arrival.
SYNONYMS: dict[str, tuple[str, ...]] = {
    # shared
    "org_code": ("org code", "organisation code", "organization code", "trust code", "provider code",
                 "trust", "provider", "org", "organisation", "ods code", "trust ods code", "provider ods code"),
    "site_code": ("site code", "site", "provider site code", "site ods code", "hospital site code", "site id"),
    "age": ("age", "age at arrival", "age years", "age in years", "age at attendance", "age at admission",
            "age at cds activity date", "age at activity date"),
    # ed_attendances
    "attendance_id": ("attendance id", "attendance identifier", "attendance ident", "ident", "attendance ref",
                      "attendance reference", "attendance number", "attendance no", "ae attendance number"),
    "department_type": ("department type", "dept type", "ed type", "ae department type", "department type code"),
    "arrival_at": ("arrival", "arrived"),
    "initial_assessment_at": ("initial assessment", "assessment", "triage", "assessed", "initial assessed"),
    "clinician_seen_at": ("clinician seen", "seen", "seen by clinician", "seen for treatment", "first seen",
                          "seen by doctor", "clinician"),
    "decision_to_admit_at": ("decision to admit", "dta", "admit decision"),
    "departed_at": ("departure", "departed", "depart", "left department"),
    "arrival_mode": ("arrival mode", "mode of arrival", "arrival method", "mode"),
    "acuity": ("acuity", "triage category", "triage level", "acuity level", "triage score"),
    "disposal": ("disposal", "discharge destination", "destination", "attendance disposal", "outcome",
                 "attendance outcome"),
    # sepsis_episodes
    "episode_id": ("episode id", "episode", "episode number", "audit id"),
    "location": ("location", "ward type", "area"),
    "trigger_at": ("trigger", "time zero", "news2 trigger", "triggered"),
    "news2": ("news2", "news", "news2 score", "news score"),
    "screened_at": ("screened", "screen", "sepsis screen", "screening"),
    "antibiotics_at": ("antibiotics", "antibiotic", "antimicrobial", "first antibiotic", "antibiotics given"),
    "died_within_30d": ("died within 30 days", "died 30 days", "30 day mortality", "died 30d"),
    # imaging_requests
    "request_id": ("request id", "request number", "order id", "order number", "accession number"),
    "modality": ("modality", "exam modality", "modality code"),
    "patient_type": ("patient type", "patient category", "patient source"),
    "priority": ("priority", "urgency", "request priority"),
    "requested_at": ("requested", "request", "request date", "ordered"),
    "performed_at": ("performed", "scanned", "exam", "examination", "scan"),
    "reported_at": ("reported", "report", "verified"),
    "cancelled_at": ("cancelled", "cancellation", "canceled"),
    # staff_training, irmer_entitlements, staffing
    "record_id": ("record id", "record", "record number"),
    "staff_id": ("staff id", "employee number", "employee id", "assignment number", "person number", "staff number"),
    "staff_group": ("staff group", "group"),
    "role": ("role", "job role", "job title", "position"),
    "course": ("course", "competence", "competency", "competence name", "course name"),
    "required_from": ("required from", "requirement start", "required"),
    "completed_on": ("completed", "completion", "completion date", "completed date"),
    "valid_until": ("valid until", "expiry", "expires", "expiry date", "valid to"),
    "entitled_as": ("entitled as", "entitlement", "entitlement role"),
    "recorded_on": ("recorded", "entitled", "entitled on", "recorded date"),
    "withdrawn_on": ("withdrawn", "withdrawn date"),
    "month": ("month", "period", "month start", "reporting month"),
    "establishment_wte": ("establishment wte", "establishment", "budgeted wte", "budget wte"),
    "in_post_wte": ("in post wte", "in post", "staff in post", "contracted wte"),
    "bank_agency_wte": ("bank agency wte", "bank agency", "bank and agency", "temporary staffing wte"),
    # admissions
    "spell_id": ("spell id", "spell", "spell number", "hospital provider spell number"),
    "admitted_at": ("admitted", "admission", "admission date", "start"),
    "discharged_at": ("discharged", "discharge", "discharge date", "end"),
    "sex": ("sex", "gender", "stated gender"),
    "admission_method": ("admission method", "method of admission", "admission type"),
    "diagnosis_group": ("diagnosis group", "primary diagnosis group", "diagnosis", "condition"),
    "charlson_index": ("charlson index", "charlson", "charlson score", "charlson comorbidity index"),
    "died_in_hospital": ("died in hospital", "in hospital death", "hospital death", "died"),
    "died_within_30d_of_discharge": ("died within 30 days of discharge", "died 30 days after discharge",
                                     "died within 30d of discharge"),
}

#: Source words read as a contract code (matched as words: "Walk-In" and "WALK IN" are "walk in").
CODE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "arrival_mode": {
        "ambulance": ("ambulance", "amb", "emergency ambulance", "by ambulance", "air ambulance",
                      "helicopter", "emergency road ambulance"),
        "walk_in": ("walk in", "walkin", "walked in", "self", "self presented", "self presenting",
                    "own transport", "public transport", "private transport"),
        "police": ("police", "police transport", "prison transport", "custody"),
        "other": ("other",),
    },
    "disposal": {
        "admitted": ("admitted", "admit", "admission", "admitted to ward", "ward"),
        "discharged": ("discharged", "discharge", "home", "discharged home"),
        "referred": ("referred", "referral", "referred to gp", "referred to clinic"),
        "transferred": ("transferred", "transfer", "transferred to other provider"),
        "left_before_treatment": ("left before treatment", "left before being treated", "left without being seen",
                                  "lwbs", "did not wait", "dnw"),
        "died": ("died", "died in department", "dead", "deceased", "death"),
    },
    "department_type": {
        "1": ("type 1", "major", "major ed", "major emergency department"),
        "2": ("type 2", "single specialty", "single speciality"),
        "3": ("type 3", "utc", "urgent treatment centre", "miu", "minor injuries unit", "type 4",
              "walk in centre"),
    },
    "location": {
        "emergency_department": ("emergency department", "ed", "ae", "a e", "a and e"),
        "assessment_unit": ("assessment unit", "amu", "sau", "medical assessment unit", "acute medical unit"),
        "inpatient_ward": ("inpatient ward", "ward", "inpatient"),
    },
    "patient_type": {
        "inpatient": ("inpatient", "in patient", "ip"),
        "outpatient": ("outpatient", "out patient", "op"),
        "emergency": ("emergency", "ed", "ae", "a e", "a and e"),
        "gp": ("gp", "general practice", "gp direct access", "direct access"),
    },
    "priority": {
        "urgent": ("urgent", "urgent 2ww", "2ww", "cancer 2ww"),
        "soon": ("soon",),
        "routine": ("routine",),
    },
    "admission_method": {
        "elective": ("elective", "waiting list", "booked", "planned"),
        "emergency": ("emergency", "non elective", "nonelective"),
        "maternity": ("maternity",),
        "transfer": ("transfer", "transferred"),
    },
    "sex": {"M": ("male", "m"), "F": ("female", "f"), "U": ("unknown", "not known", "not specified", "u")},
}

_DATE_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("%d/%m/%Y", "%m/%d/%Y"),
    ("%Y-%m-%d",),
    ("%d-%m-%Y", "%m-%d-%Y"),
    ("%d.%m.%Y", "%m.%d.%Y"),
    ("%Y/%m/%d",),
    ("%d/%m/%y", "%m/%d/%y"),
    ("%d %b %Y",),
    ("%d-%b-%Y",),
)
_TIMES = ("%H:%M", "%H:%M:%S")


@dataclass
class SourceTable:
    """What was read of the file: its reading options, header and values (trimmed, non-blank)."""

    path: Path
    kind: str  # "csv" or "sheet"
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    header: tuple[str, ...]
    rows: list[list[str]]
    truncated: bool

    def values(self, column: str) -> list[str]:
        i = self.header.index(column)
        return [r[i] for r in self.rows if i < len(r) and r[i]]


@dataclass
class Entry:
    """One contract column's line(s) in the suggested mapping."""

    target: str
    yaml: list[str]  # lines, without the column's indentation
    sources: tuple[str, ...] = ()
    confirm: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: line index -> comments written at the end of that line (CONFIRMs among them are also in
    #: ``confirm``, which the command prints)
    inline: dict[int, list[str]] = field(default_factory=dict)

    def confirm_line(self, index: int, message: str) -> None:
        self.confirm.append(message)
        self.inline.setdefault(index, []).append(message)

    def note_line(self, index: int, message: str) -> None:
        self.inline.setdefault(index, []).append(message)


@dataclass
class Suggestion:
    dataset: str
    source: SourceTable
    entries: list[Entry]
    unused: list[str]
    #: (source column, values dropped, shipped mapping name): filters of a shipped mapping whose
    #: column the file has (SUS_Excluded, Der_Dupe_Flag of an ECDS extract)
    filters: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)
    text: str = ""

    @property
    def confirm(self) -> list[tuple[str, str]]:
        """(mapping key, message) of every line marked CONFIRM."""
        return [(f"{self.dataset}.columns.{e.target}", c) for e in self.entries for c in e.confirm]

    @property
    def complete(self) -> bool:
        """Every required contract column is mapped (the YAML parses as a mapping)."""
        mapped = {e.target for e in self.entries if e.sources}
        return all(c in mapped for c in CONTRACTS[self.dataset].required_columns)


# --- reading the file ---------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """utf-8-sig (UTF-8 with a byte order mark), utf-8 or cp1252: the first that decodes every byte."""
    with path.open("rb") as handle:
        start = handle.read(3)
        bom = start == codecs.BOM_UTF8
        if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            raise InputError(f"{path}: the file is UTF-16 text; save it as UTF-8 CSV (the loader reads utf-8, "
                             "utf-8-sig or cp1252)")
        handle.seek(0)
        while chunk := handle.read(1 << 20):
            if b"\x00" in chunk:
                raise InputError(f"{path}: the file holds NUL bytes, so it is not CSV text (UTF-16 without a byte "
                                 "order mark, or a binary file?); save it as UTF-8 CSV")
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return "utf-8-sig" if bom and encoding == "utf-8" else encoding
    raise InputError(f"{path}: the file is neither utf-8 nor cp1252 text; save it as UTF-8 CSV")


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", "|", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _looks_like_data(header: tuple[str, ...]) -> bool:
    """A first row of numbers and dates only is data, not a header naming columns."""
    return all(re.fullmatch(r"[\d\s.:/+-]+", name) for name in header if name) and any(header)


def _check_header(path: Path, header: tuple[str, ...]) -> None:
    if not any(header) or all(re.fullmatch(r"column\d+", h) for h in header):
        raise InputError(f"{path}: no header row; the first row must name the columns")
    if _looks_like_data(header):
        raise InputError(f"{path}: the first row holds values ({', '.join(header[:3])}), not column names; "
                         "add a header row naming the columns")
    seen: dict[str, str] = {}
    for name in header:
        if name.lower() in seen:
            raise InputError(f"{path}: column {name!r} appears twice in the header; keep one (the loader "
                             "matches names without regard to case)")
        seen[name.lower()] = name


def _read_csv(path: Path) -> SourceTable:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        first = handle.readline()
        if not first.strip():
            raise InputError(f"{path}: the first line is blank; a CSV file needs a header row naming its columns")
        delimiter = _delimiter(first)
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            raw = next(reader)
            header = tuple(n.strip().lstrip("\ufeff").strip() or f"column{i + 1}" for i, n in enumerate(raw))
            _check_header(path, header)
            rows: list[list[str]] = []
            truncated = False
            for row in reader:
                if len(rows) >= MAX_ROWS:
                    truncated = True
                    break
                if any(cell.strip() for cell in row):
                    rows.append([cell.strip() for cell in row])
        except csv.Error as exc:
            raise InputError(f"{path}: not readable as CSV (line {reader.line_num}: {exc})") from None
    return SourceTable(path, "csv", encoding, delimiter, None, header, rows, truncated)


def _read_sheet(path: Path, sheet: str | None) -> SourceTable:
    import python_calamine

    from wardwatch.mappings.read import _cell_text

    def unreadable(exc: Exception) -> InputError:
        return InputError(f"{path}: cannot be read as a spreadsheet ({(str(exc).splitlines() or [''])[0]})")

    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except (python_calamine.CalamineError, OSError, ValueError) as exc:
        raise unreadable(exc) from None
    names = list(book.sheet_names)
    if sheet is not None and sheet not in names:
        raise InputError(f"--sheet {sheet!r}: no such sheet in {path.name} (sheets: {', '.join(names)})")
    if not names:
        raise InputError(f"{path}: the spreadsheet has no sheets")
    chosen = sheet if sheet is not None else names[0]
    try:
        cells = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except (python_calamine.CalamineError, OSError, ValueError) as exc:
        raise unreadable(exc) from None
    texts = [[(_cell_text(v) or "").strip() for v in row] for row in cells]
    if not texts:
        raise InputError(f"{path}: sheet {chosen!r} is empty; it needs a header row naming its columns")
    header = tuple(name or f"column{i + 1}" for i, name in enumerate(texts[0]))
    _check_header(path, header)
    body = [r for r in texts[1:] if any(r)]
    return SourceTable(path, "sheet", None, None, chosen, header, body[:MAX_ROWS], len(body) > MAX_ROWS)


def read_source(path: Path, sheet: str | None = None) -> SourceTable:
    """The header and up to MAX_ROWS rows of a CSV file (encoding and delimiter detected) or sheet."""
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return _read_sheet(path, sheet)
    if sheet is not None:
        raise InputError(f"--sheet {sheet!r}: {path.name} is not a spreadsheet ({', '.join(SPREADSHEET_SUFFIXES)})")
    try:
        return _read_csv(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


# --- names ----------------------------------------------------------------------------------------


def words(name: str) -> tuple[str, ...]:
    """Lower-case words of a column name: case, spaces, underscores and punctuation ignored;
    camelCase split; the SUS prefixes EC_ and Der_ dropped."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    found = tuple(w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w)
    kept = tuple(w for w in found if w not in _NOISE)
    return kept or found


_DATE_WORDS = {"date", "dt", "day"}
_TIME_WORDS = {"time", "tm"}
_STAMP_WORDS = {"datetime", "timestamp", "dttm"}


def temporal_role(name: str) -> tuple[str, tuple[str, ...]] | None:
    """("date" | "time" | "stamp", stem words) for names like "Arrival Date", "Time of Arrival",
    "Arrival Date/Time", "ArrivalDateTime"; None for other names."""
    w = words(name)
    if len(w) >= 3 and w[0] in _DATE_WORDS | _TIME_WORDS and w[1] == "of":
        return ("date" if w[0] in _DATE_WORDS else "time"), w[2:]
    if len(w) >= 3 and w[-2] == "date" and w[-1] == "time":
        return "stamp", w[:-2]
    if len(w) >= 2 and w[-1] in _STAMP_WORDS:
        return "stamp", w[:-1]
    if len(w) >= 2 and w[-1] in _DATE_WORDS:
        return "date", w[:-1]
    if len(w) >= 2 and w[-1] in _TIME_WORDS:
        return "time", w[:-1]
    return None


def _own_names(column: Column) -> list[tuple[str, ...]]:
    own = words(column.name)
    names = [own]
    if column.dtype in ("timestamp", "date") and len(own) > 1 and own[-1] in ("at", "on"):
        names.append(own[:-1])
    names += [tuple(s.split()) for s in SYNONYMS.get(column.name, ())]
    return names


def similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """1.0 for the same words; otherwise the better of difflib's ratio on the joined words and
    the share of words in common (both below 1)."""
    if a == b:
        return 1.0
    ratio = difflib.SequenceMatcher(None, " ".join(a), " ".join(b)).ratio()
    union = set(a) | set(b)
    overlap = len(set(a) & set(b)) / len(union) if union else 0.0
    return min(max(ratio, overlap), 0.99)


def name_score(column: Column, name_words: tuple[str, ...]) -> float:
    return max(similarity(name_words, n) for n in _own_names(column))


@dataclass(frozen=True)
class _Candidate:
    sources: tuple[str, ...]  # one column, or (date column, time column)
    words: tuple[str, ...]  # compared with the contract column's names
    kind: str  # "plain", "stamp", "date", "pair"


def _candidates(header: tuple[str, ...]) -> list[_Candidate]:
    found: list[_Candidate] = []
    roles = {name: temporal_role(name) for name in header}
    for name in header:
        role = roles[name]
        if role is None:
            found.append(_Candidate((name,), words(name), "plain"))
            continue
        kind, stem = role
        if kind == "time":
            for other in header:
                other_role = roles[other]
                if other_role == ("date", stem):
                    found.append(_Candidate((other, name), stem, "pair"))
            continue
        found.append(_Candidate((name,), stem, kind))
        found.append(_Candidate((name,), words(name), "plain"))
    return found


def _fits(column: Column, cand: _Candidate) -> bool:
    if column.dtype == "timestamp":
        return cand.kind in ("pair", "stamp", "date", "plain")
    if column.dtype == "date":
        return cand.kind in ("date", "stamp", "plain")
    return cand.kind == "plain"


def match_columns(contract: Contract, header: tuple[str, ...]) -> dict[str, tuple[_Candidate, float]]:
    """Contract column -> (source candidate, name score), each source column used once; best
    scores first, then required columns, then contract order."""
    scored = []
    order = {c.name: i for i, c in enumerate(contract.columns)}
    candidates = _candidates(header)
    for column in contract.columns:
        for cand in candidates:
            if not _fits(column, cand):
                continue
            score = name_score(column, cand.words)
            if score < MIN_SCORE:
                continue
            # a temporal column read from its own temporal name beats the same name read as plain
            # text; a date + time pair beats a date alone
            temporal = column.dtype in ("timestamp", "date")
            rank = {"pair": 3, "stamp": 2, "date": 1, "plain": 0}[cand.kind] if temporal else 0
            scored.append((-score, -rank, not column.required, order[column.name], cand, column.name))
    scored.sort(key=lambda t: t[:4])
    chosen: dict[str, tuple[_Candidate, float]] = {}
    used: set[str] = set()
    for neg_score, _rank, _optional, _order, cand, target in scored:
        if target in chosen or any(s in used for s in cand.sources):
            continue
        chosen[target] = (cand, -neg_score)
        used.update(cand.sources)
    return chosen


# --- date and time formats ------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _duckdb():
    import duckdb

    return duckdb.connect()


def _unreadable(values: list[str], fmt: str) -> int:
    """How many of ``values`` DuckDB's try_strptime (the loader's reader) cannot read with ``fmt``."""
    return _duckdb().execute(
        "SELECT count(*) FILTER (WHERE try_strptime(v, ?) IS NULL) FROM (SELECT unnest(?::VARCHAR[]) AS v)",
        [fmt, values],
    ).fetchone()[0]


def _first_unreadable(values: list[str], fmt: str, n: int) -> list[str]:
    rows = _duckdb().execute(
        "SELECT v FROM (SELECT unnest(?::VARCHAR[]) AS v) WHERE try_strptime(v, ?) IS NULL ORDER BY v LIMIT ?",
        [values, fmt, n],
    ).fetchall()
    return [r[0] for r in rows]


@dataclass(frozen=True)
class FormatFinding:
    format: str | None
    confirm: str | None = None
    note: str | None = None


def _families(kind: str) -> list[tuple[str, ...]]:
    """Candidate formats grouped so that a group's members differ only in day/month order."""
    if kind == "time":
        return [(t,) for t in _TIMES]
    suffixes = [""] if kind == "date" else ["", *(f" {t}" for t in _TIMES), *(f"T{t}" for t in _TIMES)]
    return [tuple(d + s for d in fam) for s in suffixes for fam in _DATE_FAMILIES]


def detect_format(values: list[str], kind: str, column: str = "the column") -> FormatFinding:
    """The strptime format reading every value (``kind``: "date", "time" or "timestamp").

    Day/month order is settled by a value whose day is above 12 (it reads only one way); when
    every value reads both ways the day-first format is returned with a CONFIRM message.
    """
    distinct = sorted(set(values))
    if not distinct:
        return FormatFinding(None, f"CONFIRM: {column} has no values to detect the format from")
    # A format that fails on a sample of the values fails on all of them: only the formats that
    # read the whole sample are tried on every value (a large file has thousands of timestamps).
    sample = distinct if len(distinct) <= 500 else distinct[:: len(distinct) // 500 + 1]
    best: tuple[float, str] | None = None  # (share of values unreadable, format)
    for family in _families(kind):
        shares = []
        for f in family:
            missed = _unreadable(sample, f)
            shares.append(missed / len(sample) if missed else _unreadable(distinct, f) / len(distinct))
        readers = [f for f, share in zip(family, shares, strict=True) if share == 0]
        for f, share in zip(family, shares, strict=True):
            if best is None or share < best[0]:
                best = (share, f)
        if len(readers) == 1:
            return FormatFinding(readers[0], note=_order_note(readers[0], family, distinct))
        if len(readers) > 1:
            first, other = readers[0], readers[1]
            return FormatFinding(
                first,
                f"{CONFIRM_DAY_MONTH} (no day above 12 in {_n(len(distinct), 'distinct value')} of {column}); "
                f"{first!r} (day first) written, use {other!r} if the source writes the month first",
            )
    assert best is not None
    best = (_unreadable(distinct, best[1]), best[1])
    bad = _first_unreadable(distinct, best[1], 3)
    if best[0] * 2 > len(distinct):
        return FormatFinding(None, f"CONFIRM: no {kind} format reads the values of {column} (e.g. "
                                   f"{', '.join(map(repr, bad))}); write its strptime format")
    return FormatFinding(best[1], f"CONFIRM: {best[0]} of {_n(len(distinct), 'distinct value')} of {column} "
                                  f"{'does' if best[0] == 1 else 'do'} not read as {best[1]!r} (e.g. {', '.join(map(repr, bad))}); their rows would be "
                                  "quarantined")


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' if count != 1 else ''}"


def _order_note(fmt: str, family: tuple[str, ...], values: list[str]) -> str | None:
    if len(family) < 2:
        return None
    day_first = fmt == family[0]
    # the value that settles it: one that the other order cannot read
    other = family[1] if day_first else family[0]
    settling = _first_unreadable(values, other, 1)
    if settling:
        return f"{'day' if day_first else 'month'} first: {settling[0]!r} reads only {fmt}"
    return None


# --- codes ----------------------------------------------------------------------------------------


def _code_key(value: str) -> str:
    return " ".join(words(value)) or value.strip().lower()


@functools.lru_cache(maxsize=64)
def _shipped_codes(dataset: str, target: str) -> dict[str, tuple[str | None, str]]:
    """Source code -> (wardwatch code, shipped mapping name) from the shipped mappings."""
    found: dict[str, tuple[str | None, str]] = {}
    for name in shipped_names():
        dataset_mapping = load_mapping(name).datasets.get(dataset)
        if dataset_mapping is None:
            continue
        for col in dataset_mapping.columns:
            if col.target == target and col.values:
                for code, to in col.values.items():
                    found.setdefault(code, (to, name))
    return found


def shipped_filters(dataset: str, header: tuple[str, ...]) -> list[tuple[str, tuple[str, ...], str]]:
    """Filters of the shipped mappings of ``dataset`` whose column is in ``header`` (by name,
    without regard to case): (column as in the header, values dropped, shipped mapping name)."""
    by_lower = {h.lower(): h for h in header}
    found: dict[str, tuple[str, tuple[str, ...], str]] = {}
    for name in shipped_names():
        dataset_mapping = load_mapping(name).datasets.get(dataset)
        if dataset_mapping is None:
            continue
        for row_filter in dataset_mapping.filters:
            column = by_lower.get(row_filter.column.lower())
            if column is not None and column not in found:
                found[column] = (column, row_filter.drop_if, name)
    return list(found.values())


def _plain_int(value: str) -> int | None:
    if re.fullmatch(r"[+-]?\d{1,18}(\.0*)?", value):
        return int(value.split(".")[0])
    return None


def _acceptable(column: Column, value: str) -> bool:
    """Whether the loader reads ``value`` as a valid value of ``column`` without a values map."""
    if column.dtype == "int":
        number = _plain_int(value)
        if number is None:
            return False
        if column.codes is not None:
            return str(number) in column.codes
        return (column.min is None or number >= column.min) and (column.max is None or number <= column.max)
    if column.dtype == "bool":
        return value.lower() in TRUE_WORDS + FALSE_WORDS
    if column.codes is not None:
        return value in column.codes
    return True


def translate_code(dataset: str, column: Column, value: str) -> tuple[str | None, str] | None:
    """(wardwatch code, why) for a source code, or None when it is not known."""
    shipped = _shipped_codes(dataset, column.name)
    if value in shipped:
        to, name = shipped[value]
        return to, f"as in the shipped {name} mapping"
    key = _code_key(value)
    codes = column.codes or ()
    for code in codes:
        if key == _code_key(code):
            return code, ""
    if column.dtype == "int":
        number = _plain_int(value)
        if number is not None and _acceptable(column, str(number)):
            return str(number), ""
        digits = re.fullmatch(r"(?:level|type|category|cat|acuity|triage)\s*(\d{1,2})", key)
        if digits and _acceptable(column, digits.group(1)):
            return str(int(digits.group(1))), ""
    for code, names in CODE_WORDS.get(column.name, {}).items():
        if key in names:
            return code, ""
    return None


def _counted(counter: Counter, codes: list[str]) -> str:
    return ", ".join(f"{json.dumps(c, ensure_ascii=False)} ({counter[c]} row{'s' if counter[c] != 1 else ''})"
                     for c in codes)


# --- the suggestion -------------------------------------------------------------------------------


# Characters a YAML reader refuses or reads as line breaks (PyYAML's printable set, less NEL and
# the Unicode line and paragraph separators).
_NOT_YAML_TEXT = re.compile("[^\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(char: re.Match) -> str:
    code = ord(char.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _q(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (JSON strings are YAML; characters YAML would refuse
    or fold, such as NUL or U+2028, are written as escapes that read back as the same text)."""
    return _NOT_YAML_TEXT.sub(_escape, json.dumps(text, ensure_ascii=False))


def _comment(text: str) -> str:
    """``text`` made safe for a one-line YAML comment."""
    return _NOT_YAML_TEXT.sub(_escape, text)


def _temporal_entry(column: Column, cand: _Candidate, table: SourceTable, entry: Entry) -> None:
    """``date``/``time``/``format`` or ``source``/``format`` lines; a format that is not certain
    carries its CONFIRM on the format line itself."""
    kind = "date" if column.dtype == "date" else "timestamp"
    if cand.kind == "pair":
        date_col, time_col = cand.sources
        date_found = detect_format(table.values(date_col), "date", repr(date_col))
        time_found = detect_format(table.values(time_col), "time", repr(time_col))
        fmt = f"{date_found.format or '%d/%m/%Y'} {time_found.format or '%H:%M'}"
        entry.yaml = [f"date: {_q(date_col)}", f"time: {_q(time_col)}", f"format: {_q(fmt)}"]
        for found in (date_found, time_found):
            if found.confirm:
                entry.confirm_line(2, found.confirm)
            if found.note:
                entry.note_line(2, found.note)
        i, j = table.header.index(date_col), table.header.index(time_col)
        half = sum(1 for r in table.rows if bool(_cell(r, i)) != bool(_cell(r, j)))
        if half:
            entry.note_line(2, f"{half} row{'s' if half != 1 else ''} with a date but no time (or a time but "
                               "no date): quarantined as bad_timestamp")
        return
    source = cand.sources[0]
    values = table.values(source)
    found = detect_format(values, kind, repr(source))
    if found.format is None and not values:
        # nothing to read: without a format the loader takes ISO text, and blanks are blanks
        entry.yaml = [_q(source)]
        entry.confirm_line(0, f"{found.confirm}; without a format the values must be ISO "
                              f"({'YYYY-MM-DD HH:MM' if kind == 'timestamp' else 'YYYY-MM-DD'})")
        return
    fmt = found.format or ("%d/%m/%Y %H:%M" if kind == "timestamp" else "%d/%m/%Y")
    entry.yaml = [f"source: {_q(source)}", f"format: {_q(fmt)}"]
    if found.note:
        entry.note_line(1, found.note)
    if found.confirm:
        entry.confirm_line(1, found.confirm)
    if found.format and kind == "timestamp" and "%H" not in found.format:
        entry.confirm_line(1, f"CONFIRM: {source!r} holds dates without times; every {column.name} is read "
                              "as midnight (is there a time column?)")
    if found.format and kind == "date" and "%H" in found.format:
        entry.note_line(1, "the values hold times; the time of day is dropped")


def _cell(row: list[str], i: int) -> str:
    return row[i] if i < len(row) else ""


def _coded_entry(dataset: str, column: Column, source: str, table: SourceTable, entry: Entry) -> None:
    counter = Counter(table.values(source))
    if all(_acceptable(column, v) for v in counter):
        entry.yaml = [_q(source)]
        return
    if len(counter) > MAX_CODES:
        entry.yaml = [_q(source)]
        entry.confirm.append(f"CONFIRM: {len(counter)} distinct values, too many to be codes; values that are not "
                             f"{column.name} values are quarantined")
        return
    mapped: list[tuple[str, str | None, str]] = []
    unmapped: list[str] = []
    for value in sorted(counter):
        found = translate_code(dataset, column, value)
        if found is None:
            unmapped.append(value)
        else:
            mapped.append((value, found[0], found[1]))
    allowed = f" (codes: {', '.join(column.codes)})" if column.codes else ""
    if not mapped:
        entry.yaml = [_q(source)]
        entry.confirm.append(f"CONFIRM: no value is a {column.name} code{allowed}; add a values block for "
                             f"{_counted(counter, unmapped[:12])}")
        return
    entry.yaml = [f"source: {_q(source)}", "values:"]
    for value, to, why in mapped:
        comment = f"  # {why}" if why else ""
        entry.yaml.append(f"  {_q(value)}: {'~' if to is None else _q(to)}{comment}")
    if unmapped:
        # listed as commented-out values lines: fill in the code and remove the #
        message = (f"CONFIRM: codes not mapped: {_counted(counter, unmapped[:12])}"
                   f"{f' and {len(unmapped) - 12} more' if len(unmapped) > 12 else ''}; rows with them are "
                   f"quarantined as unmapped_code until they are added to values{allowed}")
        entry.confirm_line(1, message)
        entry.yaml += [f"  # {_q(v)}: \"\"  # {counter[v]} row{'s' if counter[v] != 1 else ''}"
                       for v in unmapped[:MAX_CODES]]


def _check_values(column: Column, source: str, table: SourceTable, entry: Entry) -> None:
    values = table.values(source)
    if column.pattern and values:
        bad = sorted({v for v in values if not re.fullmatch(column.pattern, v)})
        if bad:
            entry.confirm.append(f"CONFIRM: values such as {', '.join(map(repr, bad[:3]))} do not look like "
                                 f"{column.name} values (pattern {column.pattern})")
    if column.dtype == "float" and values:
        bad = sorted({v for v in values if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", v)})
        if bad:
            entry.confirm.append(f"CONFIRM: values such as {', '.join(map(repr, bad[:3]))} are not numbers")


def _entry(dataset: str, column: Column, cand: _Candidate, score: float, table: SourceTable) -> Entry:
    entry = Entry(column.name, [], cand.sources)
    if score < 1.0:
        names = " + ".join(repr(s) for s in cand.sources)
        entry.confirm.append(f"CONFIRM: {names} only resembles {column.name} (name similarity {score:.2f})")
    if column.dtype in ("timestamp", "date"):
        _temporal_entry(column, cand, table, entry)
        return entry
    source = cand.sources[0]
    if column.codes is not None or column.dtype in ("int", "bool"):
        _coded_entry(dataset, column, source, table, entry)
    else:
        entry.yaml = [_q(source)]
    _check_values(column, source, table, entry)
    return entry


def suggest(path: Path, dataset: str, sheet: str | None = None) -> Suggestion:
    """A suggested mapping of the file at ``path`` to ``dataset`` (see the module docstring)."""
    if dataset not in CONTRACTS:
        raise InputError(f"--dataset {dataset!r}: unknown dataset (known: {', '.join(CONTRACTS)})")
    contract = CONTRACTS[dataset]
    table = read_source(path, sheet)
    chosen = match_columns(contract, table.header)
    entries = []
    for column in contract.columns:
        if column.name in chosen:
            cand, score = chosen[column.name]
            entries.append(_entry(dataset, column, cand, score, table))
        elif column.required:
            missing = "CONFIRM: required, but no column of the file looks like it; write its source column here "
            entries.append(Entry(column.name, [], (), [missing + "and remove the #"]))
        else:
            absent = "optional; no column of the file looks like it (loads blank)"
            entries.append(Entry(column.name, [], (), [], [absent]))
    used = {s for e in entries for s in e.sources}
    filters = shipped_filters(dataset, table.header)
    used |= {f[0] for f in filters}
    unused = [h for h in table.header if h not in used]
    result = Suggestion(dataset, table, entries, unused, filters)
    result.text = render(result)
    if result.complete:
        from wardwatch.mappings import parse_mapping

        parse_mapping(result.text, "suggested")  # a bug here would be ours: fail loudly, not write it
    return result


def closest_datasets(header: tuple[str, ...]) -> list[tuple[str, int]]:
    """(dataset, columns matched by name with confidence), most first: which contract a header
    looks like, for a hint when the one asked for matches nothing."""
    counts = []
    for name, contract in CONTRACTS.items():
        matched = match_columns(contract, header)
        counts.append((name, sum(1 for _cand, score in matched.values() if score == 1.0)))
    return sorted((c for c in counts if c[1]), key=lambda c: -c[1])


def _file_pattern(name: str) -> str:
    """The file's own name as a glob pattern (pattern characters escaped)."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def render(s: Suggestion) -> str:
    t = s.source
    read = f"{len(t.rows):,} data row{'s' if len(t.rows) != 1 else ''}" + (
        " read; the file has more" if t.truncated else "")
    how = f"sheet {t.sheet!r}" if t.kind == "sheet" else f"{t.encoding}, {t.delimiter!r}-delimited"
    lines = [
        f"# Suggested by `wardwatch map suggest` for dataset {s.dataset} from {t.path.name}",
        f"# ({how}; {read}) on {dt.date.today().isoformat()}.",
        "# Lines marked CONFIRM need a person to check them; then load with",
        "#   wardwatch load FOLDER --db warehouse.duckdb --mapping THIS_FILE.yaml",
        "# (docs/guide/mappings.md).",
    ]
    if not t.rows:
        lines.append("# CONFIRM: the file has no data rows: formats and codes could not be checked.")
    lines += [
        f"{s.dataset}:",
        f"  file: {_q(_file_pattern(t.path.name))}  # this file's name; a pattern such as \"ed_*.csv\" also matches "
        + "later extracts",
    ]
    if t.kind == "sheet":
        lines.append(f"  sheet: {_q(t.sheet or '')}")
    else:
        lines.append(f"  encoding: {t.encoding}  # detected: the first of utf-8, cp1252 that decodes every byte")
        lines.append(f"  delimiter: {_q(t.delimiter or ',')}")
    lines.append(f"  timezone: {DEFAULT_TIMEZONE}  # the zone of the source's clock times (not detectable; "
                 "UTC for a system that logs in UTC)")
    if s.filters:
        lines.append("  filters:  # as in the shipped mapping named on each: rows dropped and counted, not quarantined")
        for column, drop_if, name in s.filters:
            dropped = ", ".join(_q(v) for v in drop_if)
            lines += [f"    - column: {_q(column)}  # {name}", f"      drop_if: [{dropped}]"]
    lines.append("  columns:")
    for e in s.entries:
        inlined = [m for messages in e.inline.values() for m in messages]
        comments = [*(c for c in e.confirm if c not in inlined), *e.notes]
        if not e.sources:
            lines.append(f"    # {e.target}:  # {'; '.join(comments)}")
            continue
        if len(e.yaml) == 1:
            tail = "; ".join([*comments, *e.inline.get(0, [])])
            lines.append(f"    {e.target}: {e.yaml[0]}" + (f"  # {tail}" if tail else ""))
            continue
        # a block: its comments on their own lines above the key, a format's CONFIRM on its line
        lines += [f"    # {c}" for c in comments]
        lines.append(f"    {e.target}:")
        for i, y in enumerate(e.yaml):
            tail = "; ".join(e.inline.get(i, []))
            lines.append(f"      {y}" + (f"  # {tail}" if tail else ""))
    if s.unused:
        lines.append(f"# Columns of the file not used: {', '.join(s.unused)}")
    return "\n".join(_comment(line) for line in lines) + "\n"
