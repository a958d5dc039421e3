"""Spreadsheet-safe CSV export: every CSV wardwatch writes goes through ``write_csv``.

A CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` is run as a formula when the file is
opened in Excel, LibreOffice or Google Sheets ("CSV injection", OWASP). Trust names, free-text
reasons and column names come from user files, so a value such as ``=HYPERLINK(...)`` must not
reach a board member's spreadsheet as a live formula. As the OWASP guidance recommends, such a
cell is written with a leading single quote (``'=HYPERLINK(...)``), which spreadsheets show as
text; cells starting with a tab or carriage return are quoted the same way, because some
spreadsheets strip the whitespace and then evaluate what follows.

Numbers are left alone: a numeric column is written as numbers (``-1.5`` stays ``-1.5``), and a
text cell that is a plain decimal number (``-1.5``, ``+3``, ``1e-5``) is not a formula either.
Only ``-inf`` in a numeric column is quoted: spreadsheets read it as a formula, not a number.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def is_formula_cell(text: str) -> bool:
    """True when a spreadsheet would evaluate ``text`` as a formula (and it is not a number)."""
    return text.startswith(FORMULA_PREFIXES) and _PLAIN_NUMBER.fullmatch(text) is None


def safe_cell(value: Any) -> Any:
    """``value`` unchanged unless it is text a spreadsheet would run as a formula: then ``'`` + it."""
    if isinstance(value, str) and is_formula_cell(value):
        return "'" + value
    return value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot be run as formulas."""
    out = frame.copy()
    out.columns = [safe_cell(str(c)) if isinstance(c, str) else c for c in out.columns]
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_float_dtype(column.dtype):
            if np.isneginf(column.to_numpy(dtype=float, na_value=np.nan)).any():
                text = column.astype(object).where(~np.isneginf(column.astype(float)), "'-inf")
                out.isetitem(position, text)
            continue
        if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
            continue
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            continue
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        out.isetitem(position, column.map(safe_cell, na_action="ignore"))
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, **to_csv: Any) -> Path:
    """Write ``frame`` to ``path`` as CSV (no index unless asked) with formula cells neutralised.

    The parent folder must exist (the CLI checks output paths before any work; see
    ``wardwatch.cli.paths``). Extra keyword arguments go to ``DataFrame.to_csv``.
    """
    path = Path(path)
    to_csv.setdefault("index", False)
    neutralise(frame).to_csv(path, **to_csv)
    return path


def restore_cell(value: Any) -> Any:
    """Undo ``safe_cell`` when wardwatch reads back a CSV it wrote (an action plan edited in a
    spreadsheet and loaded again): ``'=x`` becomes ``=x``; any other text is left as it is."""
    if isinstance(value, str) and value.startswith("'") and is_formula_cell(value[1:]):
        return value[1:]
    return value


def restore(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a text frame read from a ``write_csv`` file, with ``restore_cell`` applied."""
    out = frame.copy()
    out.columns = [restore_cell(c) for c in out.columns]
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            out.isetitem(position, column.map(restore_cell, na_action="ignore"))
    return out
