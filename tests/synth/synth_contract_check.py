"""An independent, pandas-only check of a frame against a data contract (no wardwatch.ingest)."""

from __future__ import annotations

import pandas as pd

from wardwatch.contracts.schema import Contract

_KINDS = {"string": "O", "int": "i", "float": "f", "bool": "b", "timestamp": "M", "date": "date"}


def violations(frame: pd.DataFrame, contract: Contract) -> list[str]:
    """Every way ``frame`` breaks ``contract``: columns, types, blanks, codes, ranges, patterns,
    key uniqueness and event order. Empty list = valid."""
    problems: list[str] = []
    if list(frame.columns) != list(contract.column_names):
        problems.append(f"columns {list(frame.columns)} != contract {list(contract.column_names)}")
        return problems
    for col in contract.columns:
        s = frame[col.name]
        present = s.dropna()
        if not col.nullable and s.isna().any():
            problems.append(f"{col.name}: {int(s.isna().sum())} blanks in a non-nullable column")
        if col.dtype == "date":
            bad = present.map(lambda v: type(v).__name__ != "date").sum()
            if bad:
                problems.append(f"{col.name}: {bad} values are not datetime.date")
        elif col.dtype == "timestamp":
            if not pd.api.types.is_datetime64_dtype(s) or getattr(s.dt, "tz", None) is not None:
                problems.append(f"{col.name}: dtype {s.dtype} is not naive datetime64")
        elif col.dtype == "string":
            if not (pd.api.types.is_string_dtype(s) or s.dtype == object):
                problems.append(f"{col.name}: dtype {s.dtype} is not text")
        elif col.dtype == "bool":
            if not pd.api.types.is_bool_dtype(s):
                problems.append(f"{col.name}: dtype {s.dtype} is not bool")
        elif col.dtype == "int":
            if not (pd.api.types.is_integer_dtype(s) or (present == present.round()).all()):
                problems.append(f"{col.name}: dtype {s.dtype} holds non-integers")
        elif col.dtype == "float" and not pd.api.types.is_numeric_dtype(s):
            problems.append(f"{col.name}: dtype {s.dtype} is not numeric")
        if col.codes is not None:
            bad = ~present.astype("int64" if col.dtype == "int" else str).astype(str).isin(col.codes)
            if bad.any():
                problems.append(
                    f"{col.name}: codes outside {col.codes}: {sorted(set(present[bad].astype(str)))[:5]}"
                )
        if col.min is not None and (present < col.min).any():
            problems.append(f"{col.name}: {int((present < col.min).sum())} below {col.min}")
        if col.max is not None and (present > col.max).any():
            problems.append(f"{col.name}: {int((present > col.max).sum())} above {col.max}")
        if col.pattern is not None:
            bad = ~present.astype(str).str.fullmatch(col.pattern)
            if bad.any():
                problems.append(f"{col.name}: {int(bad.sum())} values not matching {col.pattern}")
    dupes = frame.duplicated(list(contract.key)).sum()
    if dupes:
        problems.append(f"key {contract.key}: {int(dupes)} duplicate rows")
    for rule in contract.order_rules:
        earlier, later = frame[rule.earlier], frame[rule.later]
        if contract.column(rule.earlier).dtype == "date":
            earlier, later = pd.to_datetime(earlier), pd.to_datetime(later)
        bad = (later < earlier) & earlier.notna() & later.notna()
        if bad.any():
            problems.append(f"{rule.later} before {rule.earlier} in {int(bad.sum())} rows")
    return problems
