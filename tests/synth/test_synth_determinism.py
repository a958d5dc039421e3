"""Same seed -> byte-identical data; different seed -> different data; chunking does not matter."""

from __future__ import annotations

import hashlib

import pandas as pd
import pyarrow as pa
import pytest

from wardwatch.contracts.schema import CONTRACTS
from wardwatch.synth import ed_chunks, synthesise, write_ed_attendances
from wardwatch.synth.ed import cell_counts


def _frame_hash(frame: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def test_same_seed_same_data_and_bytes(small_world, frames, tmp_path):
    again = synthesise(tmp_path, seed=0, scale="small")
    for name in CONTRACTS:
        assert _frame_hash(pd.read_parquet(again[name])) == _frame_hash(frames[name]), name
        assert again[name].read_bytes() == small_world[name].read_bytes(), name
    assert again["organisations"].read_bytes() == small_world["organisations"].read_bytes()


def test_different_seed_different_data(frames, tmp_path):
    other = synthesise(tmp_path, seed=1, scale="small")
    for name in CONTRACTS:
        if name == "staffing":
            # same shape (trust x group x month), different values
            assert not pd.read_parquet(other[name]).equals(frames[name])
            continue
        assert _frame_hash(pd.read_parquet(other[name])) != _frame_hash(frames[name]), name


def test_dataset_does_not_depend_on_which_others_are_written(frames, tmp_path):
    only = synthesise(tmp_path, seed=0, scale="small", datasets=["admissions", "irmer_entitlements"])
    assert set(only) == {"organisations", "admissions", "irmer_entitlements"}
    assert _frame_hash(pd.read_parquet(only["admissions"])) == _frame_hash(frames["admissions"])
    assert _frame_hash(pd.read_parquet(only["irmer_entitlements"])) == _frame_hash(
        frames["irmer_entitlements"]
    )


def test_ed_rows_are_exact_and_chunking_does_not_change_the_data(tmp_path):
    rows = 7_777
    one = pa.concat_tables(list(ed_chunks(rows, seed=5, min_chunk_rows=10**9)))
    many_chunks = list(ed_chunks(rows, seed=5, min_chunk_rows=1))
    assert len(many_chunks) == 36  # one per month
    many = pa.concat_tables(many_chunks)
    assert one.num_rows == rows and one.equals(many)
    ids = one.column("attendance_id").to_pandas()
    assert ids.is_unique
    assert cell_counts(rows, 5).sum() == rows
    path = write_ed_attendances(tmp_path / "ed.parquet", rows, seed=5)
    assert pd.read_parquet(path).equals(one.to_pandas())
    arrivals = one.column("arrival_at").to_pandas()
    assert arrivals.is_monotonic_increasing


def test_rows_override(tmp_path):
    paths = synthesise(tmp_path, seed=0, scale="small", ed_rows=1234, datasets=["ed_attendances"])
    assert len(pd.read_parquet(paths["ed_attendances"])) == 1234


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"scale": "huge"}, "unknown scale"),
        ({"fmt": "xlsx"}, "unknown format"),
        ({"datasets": ["ed"]}, "unknown dataset"),
        ({"ed_rows": -1}, "zero or more"),
    ],
)
def test_bad_arguments_are_user_errors(tmp_path, kwargs, message):
    from wardwatch.errors import InputError

    with pytest.raises(InputError, match=message):
        synthesise(tmp_path, **kwargs)
