"""Why a row was quarantined: stable snake_case codes, in the order the rules are checked.

A row gets ONE reason: the first rule it breaks in ``REASONS`` order. Row-level rules come first
(they need only the row itself), then the two set-level rules: duplicates within the file, then
conflicts with rows already in the warehouse. The codes are part of the public interface (they
are stored in the ``quarantine`` table and printed in reports): never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    explanation: str


REASONS: tuple[Reason, ...] = (
    Reason("blank_key", "Blank key", "A column of the dataset's key is blank."),
    Reason(
        "bad_timestamp",
        "Unreadable timestamp",
        "A timestamp is not `YYYY-MM-DD HH:MM[:SS]` (or with `T` between date and time), or is not a "
        "real date and time (hours run 00-23: `24:00` is refused, not rolled over to the next day).",
    ),
    Reason("bad_date", "Unreadable date", "A date is not `YYYY-MM-DD`, or is not a real date."),
    Reason(
        "bad_number",
        "Unreadable number",
        "A number cannot be read (whole numbers must have no fraction; NaN and infinity are refused).",
    ),
    Reason(
        "bad_boolean",
        "Unreadable yes/no value",
        "A yes/no value is not one of true/false, 1/0, yes/no, y/n, t/f (any case).",
    ),
    Reason(
        "unmapped_code",
        "Code not in the mapping",
        "Loaded with `--mapping`: a source code (e.g. a SNOMED CT concept) has no entry in the column's "
        "`values`; the load report lists such codes.",
    ),
    Reason("unknown_code", "Unknown code", "A coded column holds a value outside its list of codes."),
    Reason(
        "bad_code_format", "Badly formed code", "An identifier (e.g. an ODS code) does not match its pattern."
    ),
    Reason(
        "out_of_range",
        "Value out of range",
        "A number is below the column's minimum or above its maximum (e.g. a negative age).",
    ),
    Reason(
        "implausible_date",
        "Implausible date",
        "A date or timestamp is a real one but outside the dataset's plausible range (e.g. year 0, "
        "1900 or 9999); see the range under each dataset.",
    ),
    Reason(
        "blank_required_value",
        "Blank required value",
        "A column that must always have a value is blank, or one that must have a value on some rows is "
        "blank on such a row (the `modality` of an IR(ME)R training record).",
    ),
    Reason(
        "events_out_of_order",
        "Events out of order",
        "A later event precedes an earlier one (e.g. departure before arrival).",
    ),
    Reason(
        "nonexistent_local_time",
        "Local time that does not exist",
        "A timestamp falls in the hour skipped when the clocks go forward (in the UK 01:00-01:59 on "
        "the last Sunday of March; in the mapping's `timezone` otherwise): no correctly set clock "
        "shows it, so its instant, and every interval from it, is unknown.",
    ),
    Reason(
        "duplicate_key",
        "Duplicate key in file",
        "Another valid row earlier in the same file has the same key; the first one is kept.",
    ),
    Reason(
        "key_conflict",
        "Key already loaded with different values",
        "The warehouse already holds a row with this key and different values.",
    ),
)

REASON_CODES: tuple[str, ...] = tuple(r.code for r in REASONS)
REASON_LABELS: dict[str, str] = {r.code: r.label for r in REASONS}
