"""Unit tests of the spreadsheet-safe CSV writer and the CLI path checks (issue 12)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardwatch.cli.paths import distinct_outputs, input_file, output_file, output_folder, warehouse_file
from wardwatch.csvsafe import neutralise, safe_cell, write_csv
from wardwatch.errors import InputError

from .conftest import formula_cells


@pytest.mark.parametrize(
    "cell, written",
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+44 20", "'+44 20"),
        ("-cmd", "'-cmd"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-1.5", "-1.5"),  # a number written as text stays a number
        ("+3", "+3"),
        ("-2e-05", "-2e-05"),
        ("RNA", "RNA"),
        ("", ""),
        ("a=b", "a=b"),  # only the first character matters
    ],
)
def test_safe_cell(cell, written):
    assert safe_cell(cell) == written


def test_numbers_stay_numbers_and_text_is_quoted(tmp_path):
    frame = pd.DataFrame({
        "=name": ["=1+1", "-2+3", "ok", None],
        "value": [-1.5, 2.0, np.nan, -0.25],
        "count": [-3, 0, 4, 5],
        "flag": [True, False, True, False],
        "kind": pd.Categorical(["@x", "y", "@x", "y"]),
    })
    path = write_csv(frame, tmp_path / "o.csv")
    assert formula_cells(path) == []
    back = pd.read_csv(path)
    assert list(back.columns) == ["'=name", "value", "count", "flag", "kind"]
    assert back["value"].tolist()[:2] == [-1.5, 2.0] and math.isnan(back["value"][2])
    assert back["count"].tolist() == [-3, 0, 4, 5]
    assert back["'=name"].tolist()[:3] == ["'=1+1", "'-2+3", "ok"]
    assert back["kind"].tolist() == ["'@x", "y", "'@x", "y"]
    assert frame.columns[0] == "=name"  # the caller's frame is not changed


def test_minus_infinity_is_not_left_as_a_formula(tmp_path):
    path = write_csv(pd.DataFrame({"z": [1.0, -np.inf, np.inf]}), tmp_path / "o.csv")
    assert formula_cells(path) == []
    assert path.read_text().splitlines()[1:] == ["1.0", "'-inf", "inf"]


@given(st.lists(st.text(max_size=12), min_size=1, max_size=6))
def test_no_text_survives_as_a_formula(values):
    frame = neutralise(pd.DataFrame({"c": values}))
    for original, cell in zip(values, frame["c"]):
        starts = original[:1] in ("=", "+", "-", "@", "\t", "\r")
        try:
            float(original)
            number = original.strip() == original and original.lower().lstrip("+-") not in ("inf", "nan",
                                                                                           "infinity")
        except ValueError:
            number = False
        if starts and not number:
            assert cell == "'" + original
        elif not starts:
            assert cell == original


def test_paths(tmp_path):
    (tmp_path / "f.csv").write_text("a\n1\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "d").mkdir()
    assert input_file(tmp_path / "f.csv", "X") == tmp_path / "f.csv"
    for bad, message in [
        (tmp_path / "none.csv", "not found"),
        (tmp_path / "d", "is a folder"),
        (tmp_path / "empty.csv", "is empty"),
    ]:
        with pytest.raises(InputError, match=message):
            input_file(bad, "X")
    assert input_file(tmp_path / "empty.csv", "X", allow_empty=True)
    assert output_file(tmp_path / "new.csv", "--out")
    for bad, message in [
        (tmp_path / "d", "is a folder"),
        (tmp_path / "nowhere" / "o.csv", "does not exist"),
        (tmp_path / "f.csv" / "o.csv", "is a file, not a folder"),
    ]:
        with pytest.raises(InputError, match=message):
            output_file(bad, "--out")
    assert output_folder(tmp_path / "new" / "deeper", "--out")
    with pytest.raises(InputError, match="is a file"):
        output_folder(tmp_path / "f.csv", "--out")
    with pytest.raises(InputError, match="not a folder"):
        output_folder(tmp_path / "f.csv" / "x", "--out")
    with pytest.raises(InputError, match="same file"):
        distinct_outputs(("--out", tmp_path / "a.csv"), ("--summary", tmp_path / "." / "a.csv"))
    with pytest.raises(InputError, match="not a wardwatch warehouse"):
        warehouse_file(tmp_path / "f.csv")
    with pytest.raises(InputError, match="empty file"):
        warehouse_file(tmp_path / "empty.csv")
