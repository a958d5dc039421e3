"""Turn generated columns into Arrow tables shaped by a contract and write them in chunks.

Parquet: naive ``timestamp[us]`` for timestamps, ``date32`` for dates, ``int64``, ``double``,
``bool`` and ``string``; one row group per chunk, so a file of tens of millions of rows is
written with a bounded amount of memory. CSV: ISO 8601 text (``YYYY-MM-DD HH:MM:SS``,
``YYYY-MM-DD``), ``true``/``false``, blank for missing.

Timestamps are Europe/London wall-clock time. The generators draw them without regard to clock
changes, so ``table`` moves each row with a time in the hour skipped when the clocks go forward
one hour later (all its times, keeping their order and intervals): a real system's clock never
shows such a time, and the loader would refuse it (``nonexistent_local_time``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from wardwatch.contracts.schema import Contract

FORMATS = ("parquet", "csv")

_ARROW_TYPES = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}


def arrow_schema(contract: Contract) -> pa.Schema:
    """The Parquet schema of a dataset: every contract column, in contract order."""
    return pa.schema([pa.field(c.name, _ARROW_TYPES[c.dtype], nullable=True) for c in contract.columns])


def timestamps(seconds: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Naive timestamps from int64 seconds since 1970-01-01 (local clock time)."""
    micros = np.asarray(seconds, dtype=np.int64) * 1_000_000
    return pa.array(micros, type=pa.timestamp("us"), mask=missing)


def dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Dates from int days since 1970-01-01."""
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32(), mask=missing)


def labels(
    values: tuple[str, ...] | list[str], index: np.ndarray, missing: np.ndarray | None = None
) -> pa.Array:
    """A string column from category ``values`` and an integer ``index`` per row (fast: Arrow take)."""
    out = pc.take(pa.array(list(values), type=pa.string()), pa.array(np.asarray(index, dtype=np.int64)))
    if missing is not None:
        out = pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), out)
    return out


def identifiers(prefix: str | pa.Array, numbers: np.ndarray, width: int, sep: str = "") -> pa.Array:
    """Identifiers like ``ED000000123`` (prefix, then a zero-padded number), built inside Arrow."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0")
    if isinstance(prefix, str):
        prefix = pa.array(np.full(len(digits), prefix, dtype=object), type=pa.string())
    return pc.binary_join_element_wise(prefix, digits, sep)


def table(contract: Contract, columns: Mapping[str, pa.Array | np.ndarray]) -> pa.Table:
    """Build the contract-shaped table; a missing optional column, or a typo, is an error."""
    schema = arrow_schema(contract)
    unknown = set(columns) - set(schema.names)
    if unknown:
        raise KeyError(f"{contract.name}: columns not in the contract: {sorted(unknown)}")
    arrays = []
    for field in schema:
        if field.name not in columns:
            raise KeyError(f"{contract.name}: generator did not produce column {field.name!r}")
        value = columns[field.name]
        array = value if isinstance(value, (pa.Array, pa.ChunkedArray)) else pa.array(value)
        if array.type != field.type:
            array = array.cast(field.type)
        arrays.append(array)
    return pa.Table.from_arrays(_clear_of_spring_gap(arrays, schema), schema=schema)


_HOUR_US = 3_600 * 1_000_000


def _gap_starts_ends() -> tuple[np.ndarray, np.ndarray]:
    """Microsecond bounds [start, end) of the Europe/London local times that do not exist."""
    from wardwatch.contracts.timezones import REPORTING_TIMEZONE, local_segments

    seg = local_segments(REPORTING_TIMEZONE)
    starts = seg.local_from.to_numpy().astype("datetime64[us]").astype(np.int64)
    gap = seg.nonexistent.to_numpy()
    ends = np.append(starts[1:], np.iinfo(np.int64).max)
    return starts[gap], ends[gap]


def _clear_of_spring_gap(arrays: list[pa.Array], schema: pa.Schema) -> list[pa.Array]:
    """Move each row with a local time in the hour skipped when the clocks go forward (which a real
    system's clock never shows, and the loader refuses) one hour later, all its times together so
    its order and intervals stay as generated; again until none is left (a few hundred rows of a
    demo's millions)."""
    stamps = [i for i, f in enumerate(schema) if pa.types.is_timestamp(f.type)]
    if not stamps or not len(arrays[stamps[0]]):
        return arrays
    starts, ends = _gap_starts_ends()
    values = {i: pc.fill_null(pc.cast(arrays[i], pa.int64()), 0).to_numpy(zero_copy_only=False) for i in stamps}
    present = {i: arrays[i].is_valid().to_numpy(zero_copy_only=False) for i in stamps}
    moved = np.zeros(len(arrays[stamps[0]]), dtype=bool)
    for _ in range(48):
        in_gap = np.zeros_like(moved)
        for i in stamps:
            v = np.where(present[i], values[i], np.iinfo(np.int64).min)
            k = np.searchsorted(starts, v, side="right") - 1
            in_gap |= present[i] & (k >= 0) & (v < ends[np.maximum(k, 0)])
        if not in_gap.any():
            break
        moved |= in_gap
        for i in stamps:
            values[i] = np.where(in_gap & present[i], values[i] + _HOUR_US, values[i])
    if not moved.any():
        return arrays
    out = list(arrays)
    for i in stamps:
        out[i] = pa.array(values[i], type=schema.field(i).type, mask=~present[i])
    return out


class DatasetWriter:
    """Append contract-shaped tables to one Parquet or CSV file."""

    def __init__(self, path: Path, contract: Contract, fmt: str = "parquet") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
        self.path = Path(path)
        self.contract = contract
        self.fmt = fmt
        self.schema = arrow_schema(contract)
        self.rows = 0
        self._writer: pq.ParquetWriter | pacsv.CSVWriter | None = None

    def _csv_table(self, data: pa.Table) -> pa.Table:
        # whole seconds: the generator never produces fractions, so the text stays short
        columns = [
            col.cast(pa.timestamp("s")) if pa.types.is_timestamp(col.type) else col for col in data.columns
        ]
        return pa.Table.from_arrays(columns, names=data.column_names)

    def write(self, data: pa.Table) -> None:
        if data.schema != self.schema:
            data = data.cast(self.schema)
        if self.fmt == "parquet":
            if self._writer is None:
                # dictionary-encode only repetitive text (codes); unique ids and numbers gain nothing
                low_cardinality = [
                    c.name
                    for c in self.contract.columns
                    if c.dtype == "string" and not c.name.endswith("_id")
                ]
                self._writer = pq.ParquetWriter(
                    self.path,
                    self.schema,
                    compression="zstd",
                    compression_level=1,
                    use_dictionary=low_cardinality or False,
                )
            self._writer.write_table(data, row_group_size=max(len(data), 1))
        else:
            data = self._csv_table(data)
            if self._writer is None:
                self._writer = pacsv.CSVWriter(self.path, data.schema)
            self._writer.write_table(data)
        self.rows += len(data)

    def close(self) -> Path:
        if self._writer is None:  # nothing written: still produce a valid, empty file
            self.write(self.schema.empty_table())
        assert self._writer is not None
        self._writer.close()
        return self.path

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._writer is not None or exc[0] is None:
            self.close()


def write_table(path: Path, contract: Contract, data: pa.Table, fmt: str = "parquet") -> Path:
    with DatasetWriter(path, contract, fmt) as writer:
        writer.write(data)
    return writer.path
