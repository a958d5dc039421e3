"""Shared reading and checking for the published-statistics loaders.

Every loader reads its file with :func:`read_rows` (Python's ``csv`` module on the literal path:
no glob expansion, no engine-specific path tricks, exact line numbers even with blank lines or
quoted newlines) and checks values with the ``check_*`` helpers, which raise ONE ``InputError``
naming the file, the line and the column of the first bad value. Rows that are valid but carry
nothing to load (a blank value, no attendances) are *refused* and counted by reason, so that
``read == loaded + refused`` for every load.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import numpy as np
import pandas as pd

from wardwatch.errors import InputError
from wardwatch.indicators.store import replace_measures
from wardwatch.warehouse import MEASURES_SCHEMA

LINE = "_line"
#: ODS organisation codes in the published files: 3 (trust, CCG), 5 (site) or 6 (GP practice)
#: upper-case letters and digits.
ODS_CODE = re.compile(r"[A-Z0-9]{3}|[A-Z0-9]{5,6}")
#: CQC provider IDs, used in CQC exports where a provider has no ODS code.
CQC_PROVIDER_ID = re.compile(r"1-[0-9]{6,12}")
_WHOLE = re.compile(r"[0-9]+")


@dataclass
class LoadResult:
    """What one load did: rows read from the file, rows loaded, rows refused (by reason)."""

    kind: str
    path: Path
    read: int
    refused: Counter = field(default_factory=Counter)
    #: the rows written: ``measures`` rows, or ``cqc_ratings`` rows for the CQC loader
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    table: str = "measures"
    #: the ``source`` of the rows (what a reload replaces)
    source: str = ""
    notes: tuple[str, ...] = ()

    @property
    def refused_total(self) -> int:
        return int(sum(self.refused.values()))

    @property
    def loaded(self) -> int:
        return self.read - self.refused_total

    def summary(self, db: object) -> str:
        """One paragraph for the CLI: counts, indicators, organisations, periods, refusals."""
        rows = self.rows
        text = f"{self.kind}: read {self.read} rows, loaded {self.loaded}, refused {self.refused_total}"
        if self.refused:
            reasons = "; ".join(f"{n} {reason}" for reason, n in sorted(self.refused.items()))
            text += f" ({reasons})"
        if len(rows):
            if self.table == "measures":
                ids = ", ".join(sorted(rows["indicator_id"].unique()))
                periods = rows["period_start"]
                text += (
                    f"\nwrote {len(rows)} measures rows ({ids}) for {rows['org_code'].nunique()} "
                    f"organisations, {min(periods)} to {max(periods)}, into {db}"
                )
            elif "publication_date" in rows:
                dates = rows["publication_date"]
                text += (
                    f"\nwrote {len(rows)} {self.table} rows for {rows['org_code'].nunique()} providers, "
                    f"published {min(dates)} to {max(dates)}, into {db}"
                )
            else:
                text += f"\nwrote {len(rows)} {self.table} rows into {db}"
        for note in self.notes:
            text += f"\nnote: {note}"
        return text


def read_rows(path: str | Path, required: tuple[str, ...], what: str) -> pd.DataFrame:
    """Read the CSV at exactly ``path`` as strings, with the file line of each row in ``_line``.

    ``what`` names the expected file in messages ("the NHS Digital SHMI CSV").
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file; give {what}")
    records: list[list[str]] = []
    lines: list[int] = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            while header is not None and not any(cell.strip() for cell in header):
                header = next(reader, None)  # leading blank lines
            if header is None:
                raise InputError(f"{path}: the file is empty; give {what} with a header line")
            header = [c.strip() for c in header]
            width = len(header)
            for record in reader:
                if len(record) != width:
                    if not any(cell.strip() for cell in record):
                        continue  # blank line (checked only here: it is the slow path)
                    raise InputError(
                        f"{path}: line {reader.line_num}: {len(record)} fields but the header has "
                        f"{len(header)}; fix the quoting or the separators on that line"
                    )
                records.append(record)
                lines.append(reader.line_num)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file; give {what}") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc}); give {what}") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(required)}"
        )
    dupes = sorted({c for c in header if header.count(c) > 1 and c})
    if dupes:
        raise InputError(f"{path}: column(s) {', '.join(dupes)} appear more than once in the header")
    if not records:
        raise InputError(f"{path}: header only, no data rows; give {what} with at least one row")
    frame = pd.DataFrame(records, columns=header)
    frame = frame.apply(lambda col: col.str.strip())
    frame[LINE] = lines
    # spreadsheets export trailing rows of empty cells (",,,,,"): they are blank lines, not data
    frame = frame[(frame.drop(columns=LINE) != "").any(axis=1)].reset_index(drop=True)
    if frame.empty:
        raise InputError(f"{path}: header only, no data rows; give {what} with at least one row")
    return frame


def fail_first(path: Path, frame: pd.DataFrame, column: str, bad: pd.Series, expected: str) -> None:
    """Raise for the first row where ``bad`` holds: file, line, column, value, what was expected."""
    if bool(bad.any()):
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{path}: line {frame[LINE].iloc[i]}, column {column}: {frame[column].iloc[i]!r} is not "
            f"{expected}; fix the file and re-run"
        )


def check_org_codes(path: Path, frame: pd.DataFrame, column: str = "org_code", cqc_ids: bool = False) -> None:
    codes = frame[column]
    ok = codes.str.fullmatch(ODS_CODE.pattern)
    if cqc_ids:
        ok |= codes.str.fullmatch(CQC_PROVIDER_ID.pattern)
    expected = "an ODS code (3, 5 or 6 upper-case letters/digits, e.g. RNA)"
    if cqc_ids:
        expected += " or a CQC provider ID (e.g. 1-101642100)"
    fail_first(path, frame, column, ~ok, expected)


def whole_numbers(path: Path, frame: pd.DataFrame, column: str, blank_ok: bool = False) -> pd.Series:
    """Whole numbers ≥ 0 written as digits ("12", not "12.0", "1e3", "inf"); blank -> NaN if allowed."""
    text = frame[column]
    blank = text == ""
    ok = text.str.fullmatch(_WHOLE.pattern) | (blank & blank_ok)
    fail_first(path, frame, column, ~ok, "a whole number ≥ 0" + (" or blank" if blank_ok else ""))
    return pd.to_numeric(text.where(~blank), errors="raise").astype("float64")


def numbers(
    path: Path,
    frame: pd.DataFrame,
    column: str,
    low: float,
    high: float | None,
    blank_ok: bool = True,
) -> pd.Series:
    """Finite decimal numbers in [low, high] (``high=None``: no upper bound); blank -> NaN if allowed."""
    text = frame[column]
    blank = text == ""
    values = pd.to_numeric(text.where(~blank), errors="coerce").astype("float64")
    in_range = np.isfinite(values) & (values >= low)
    if high is not None:
        in_range &= values <= high
    expected = f"a number from {low:g} to {high:g}" if high is not None else f"a number ≥ {low:g}"
    fail_first(path, frame, column, ~(in_range | (blank & blank_ok)), expected + (" or blank" if blank_ok else ""))
    return values


def years(path: Path, frame: pd.DataFrame, column: str) -> pd.Series:
    ok = frame[column].str.fullmatch(r"(19|20)[0-9]{2}")
    fail_first(path, frame, column, ~ok, "a four-digit year (e.g. 2018)")
    return frame[column].astype(int)


def dates(path: Path, frame: pd.DataFrame, column: str, expected: str = "a date YYYY-MM-DD") -> pd.Series:
    values = pd.to_datetime(frame[column], format="%Y-%m-%d", errors="coerce")
    fail_first(path, frame, column, values.isna(), expected)
    return values


def check_unique(path: Path, frame: pd.DataFrame, keys: list[str], what: str) -> None:
    """Refuse the file if two rows share ``keys`` (never sum or pick one silently)."""
    dup = frame.duplicated(keys, keep="first")
    if bool(dup.any()):
        i = int(np.flatnonzero(dup.to_numpy())[0])
        row = frame.iloc[i]
        same = (frame[keys] == row[keys]).all(axis=1)
        first = int(frame.loc[same, LINE].iloc[0])
        shown = ", ".join(f"{k}={row[k]}" for k in keys)
        raise InputError(
            f"{path}: line {row[LINE]}, column{'s' if len(keys) > 1 else ''} {', '.join(keys)}: duplicate of "
            f"line {first} ({shown}); "
            f"a file must hold one row per {what}; remove one of them"
        )


def measures_frame(
    indicator_id: str,
    org_code: pd.Series,
    period_start: pd.Series,
    grain: str,
    value: pd.Series,
    source: str,
    numerator: pd.Series | None = None,
    denominator: pd.Series | None = None,
) -> pd.DataFrame:
    """Trust-level ``measures`` rows (``site_code``/``unit_code`` empty) in ``MEASURES_SCHEMA`` order."""
    n = len(org_code)
    nan = pd.Series(np.full(n, np.nan), index=org_code.index)
    frame = pd.DataFrame(
        {
            "indicator_id": indicator_id,
            "org_code": org_code,
            "site_code": None,
            "unit_code": None,
            "period_start": pd.to_datetime(period_start).dt.date,
            "period_grain": grain,
            "numerator": (numerator if numerator is not None else nan).astype("float64"),
            "denominator": (denominator if denominator is not None else nan).astype("float64"),
            "value": value.astype("float64"),
            "source": source,
        },
        index=org_code.index,
    )
    return frame[list(MEASURES_SCHEMA.names)]


def sort_measures(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["indicator_id", "org_code", "period_start"], kind="mergesort").reset_index(drop=True)


def write_measures(con: ibis.BaseBackend, result: LoadResult) -> LoadResult:
    """Store the rows (same indicator, org, period and source replaced: a reload changes nothing)."""
    if len(result.rows):
        replace_measures(con, result.rows, source=result.source)
    return result
