"""How single values are read: each case is the documented rule, checked through DuckDB."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from wardwatch.contracts.reasons import REASON_CODES, REASON_LABELS, REASONS
from wardwatch.contracts.schema import CONTRACTS, Column
from wardwatch.contracts.validate import row_rules, value_sql


def read_text(dtype: str, text: str | None):
    """(typed value, blank) of one CSV text value read as ``dtype``."""
    typed, blank = value_sql(Column("v", dtype), "v", "VARCHAR")
    return duckdb.execute(
        f"SELECT {typed}, {blank} FROM (SELECT CAST(? AS VARCHAR) AS v)", [text]
    ).fetchall()[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-04-01 10:00", datetime(2019, 4, 1, 10, 0)),
        ("2019-04-01 10:00:59", datetime(2019, 4, 1, 10, 0, 59)),
        ("2019-04-01T10:00", datetime(2019, 4, 1, 10, 0)),
        ("2019-04-01T10:00:05", datetime(2019, 4, 1, 10, 0, 5)),
        ("  2019-04-01 10:00  ", datetime(2019, 4, 1, 10, 0)),
        ("2019-04-01 10:00:05.250", datetime(2019, 4, 1, 10, 0, 5, 250000)),
        ("2019-04-01", None),  # a date is not a timestamp
        ("2019-4-1 10:00", None),  # ISO 8601 needs two-digit month and day
        ("2019-04-01 9:00", None),
        ("01/04/2019 10:00", None),
        ("2019-02-29 10:00", None),  # not a leap year
        ("2019-04-01 10:60", None),
        ("2019-04-01 10:00+01:00", None),  # zoned text refused: local time only
    ],
)
def test_timestamps(text: str, expected: datetime | None) -> None:
    assert read_text("timestamp", text) == (expected, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-02-29", date(2020, 2, 29)),
        ("2019-02-29", None),
        ("2019-04-01 00:00", None),
        ("1/4/2019", None),
        ("20190401", None),
    ],
)
def test_dates(text: str, expected: date | None) -> None:
    assert read_text("date", text) == (expected, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        ("-3", -3),
        ("+7", 7),
        ("40.0", 40),
        ("40.", 40),
        ("3.5", None),
        ("1e3", None),
        ("abc", None),
        ("4 2", None),
        ("99999999999999999999", None),
    ],
)
def test_integers(text: str, expected: int | None) -> None:
    assert read_text("int", text) == (expected, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("820.5", 820.5),
        ("-0.25", -0.25),
        ("1e2", 100.0),
        ("7", 7.0),
        ("nan", None),
        ("inf", None),
        ("1,5", None),
    ],
)
def test_floats(text: str, expected: float | None) -> None:
    assert read_text("float", text) == (expected, False)


@pytest.mark.parametrize("text", ["true", "TRUE", "True", "1", "yes", "Yes", "Y", "y", "t", "T"])
def test_booleans_true(text: str) -> None:
    assert read_text("bool", text) == (True, False)


@pytest.mark.parametrize("text", ["false", "FALSE", "0", "no", "NO", "n", "N", "f", "F"])
def test_booleans_false(text: str) -> None:
    assert read_text("bool", text) == (False, False)


@pytest.mark.parametrize("text", ["2", "maybe", "yes please", "-1", "on"])
def test_booleans_refused(text: str) -> None:
    assert read_text("bool", text) == (None, False)


@pytest.mark.parametrize("dtype", ["string", "int", "float", "bool", "timestamp", "date"])
@pytest.mark.parametrize("text", [None, "", "   "])
def test_blank_values(dtype: str, text: str | None) -> None:
    assert read_text(dtype, text) == (None, True)


def test_strings_are_trimmed() -> None:
    assert read_text("string", "  ZFV01 ") == ("ZFV01", False)


def test_reason_codes_are_stable_snake_case_and_labelled() -> None:
    assert REASON_CODES == (
        "blank_key",
        "bad_timestamp",
        "bad_date",
        "bad_number",
        "bad_boolean",
        "unmapped_code",  # added for wardwatch load --mapping, before unknown_code
        "unknown_code",
        "bad_code_format",
        "out_of_range",
        "implausible_date",
        "blank_required_value",
        "events_out_of_order",
        "nonexistent_local_time",  # added with the <column>_utc columns, after the other row rules
        "duplicate_key",
        "key_conflict",
    )
    for reason in REASONS:
        assert REASON_LABELS[reason.code] and reason.explanation


def test_row_rules_follow_reason_order_for_every_contract() -> None:
    for contract in CONTRACTS.values():
        order = [REASON_CODES.index(rule.reason) for rule in row_rules(contract)]
        assert order == sorted(order), contract.name
        # every order rule of the contract is checked
        checked = {rule.column for rule in row_rules(contract) if rule.reason == "events_out_of_order"}
        assert checked == {f"{r.later}<{r.earlier}" for r in contract.order_rules}


@pytest.mark.parametrize(
    ("sql_value", "source_type", "dtype", "expected"),
    [
        ("CAST(3.0 AS DOUBLE)", "DOUBLE", "int", (3, False)),
        ("CAST(3.5 AS DOUBLE)", "DOUBLE", "int", (None, False)),
        ("CAST('nan' AS DOUBLE)", "DOUBLE", "int", (None, True)),
        ("CAST('nan' AS DOUBLE)", "DOUBLE", "float", (None, True)),
        ("CAST('inf' AS DOUBLE)", "DOUBLE", "float", (None, False)),
        ("CAST(12.00 AS DECIMAL(6,2))", "DECIMAL(6,2)", "int", (12, False)),
        ("CAST(12.50 AS DECIMAL(6,2))", "DECIMAL(6,2)", "int", (None, False)),
        ("CAST(1 AS TINYINT)", "TINYINT", "bool", (True, False)),
        ("CAST(0 AS INTEGER)", "INTEGER", "bool", (False, False)),
        ("CAST(5 AS INTEGER)", "INTEGER", "bool", (None, False)),
        ("TIMESTAMP '2019-04-01 00:00:00'", "TIMESTAMP", "date", (date(2019, 4, 1), False)),
        ("TIMESTAMP '2019-04-01 00:00:01'", "TIMESTAMP", "date", (None, False)),
        ("DATE '2019-04-01'", "DATE", "timestamp", (None, False)),
        ("CAST(2 AS BIGINT)", "BIGINT", "string", ("2", False)),
    ],
)
def test_typed_sources(sql_value: str, source_type: str, dtype: str, expected: tuple) -> None:
    """Parquet columns keep their types: how each native type is taken into a contract type."""
    typed, blank = value_sql(Column("v", dtype), "v", source_type)
    assert duckdb.execute(f"SELECT {typed}, {blank} FROM (SELECT {sql_value} AS v)").fetchall()[0] == expected


def _rule_holds(contract: str, reason: str, column: str, value: object, sql_type: str) -> bool:
    """Whether the row rule (reason, column) of ``contract`` refuses a row holding ``value``."""
    rule = next(r for r in row_rules(CONTRACTS[contract]) if (r.reason, r.column) == (reason, column))
    return duckdb.execute(
        f'SELECT {rule.condition} FROM (SELECT CAST(? AS {sql_type}) AS "{column}")', [value]
    ).fetchone()[0] is True


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        # ED's plausible range is 1990-01-01 .. 2099-12-31, whole days (data-contracts.md)
        (datetime(1989, 12, 31, 23, 59, 59), True),
        (datetime(1990, 1, 1, 0, 0), False),
        (datetime(2099, 12, 31, 23, 59, 59), False),  # the whole last day is in range
        (datetime(2100, 1, 1, 0, 0), True),
        (None, False),
    ],
)
def test_implausible_timestamps_at_the_edges_of_the_range(value: datetime | None, refused: bool) -> None:
    assert _rule_holds("ed_attendances", "implausible_date", "arrival_at", value, "TIMESTAMP") is refused


@pytest.mark.parametrize(("value", "refused"), [(1, False), (3, False), (0, True), (4, True), (-1, True), (None, False)])
def test_integer_codes_are_compared_as_numbers(value: int | None, refused: bool) -> None:
    # department_type codes are '1', '2', '3'
    assert _rule_holds("ed_attendances", "unknown_code", "department_type", value, "BIGINT") is refused
