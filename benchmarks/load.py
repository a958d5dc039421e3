"""Benchmark: time `wardwatch.ingest.load` on a generated ED attendances file.

Not a test (no timed assertions): run it by hand and record the figure.

    .venv/bin/python benchmarks/load.py --rows 1000000 --format parquet

The file is generated here with NumPy (vectorised, seeded); about 1% of rows carry a defect so
that the quarantine path is exercised too. Prints read/loaded/quarantined and wall-clock seconds
for a first load and for a re-load of the same file (which must add nothing), the peak resident
memory of each (sampled every 50 ms), and, for Parquet, DuckDB's own
`CREATE TABLE AS SELECT * FROM read_parquet(...)` of the same file under the same memory limit as
the floor no loader can beat.

    .venv/bin/python benchmarks/load.py --rows 25000000 --format parquet --memory-limit 2GB
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import psutil
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def ed_table(rows: int, seed: int = 1) -> pa.Table:
    """A synthetic ED extract with ``rows`` rows, ~1% defective (vectorised)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2017-04-01T00:00", "m")
    arrival = start + rng.integers(0, 3 * 365 * 24 * 60, rows).astype("timedelta64[m]")
    assess = arrival + rng.integers(0, 60, rows).astype("timedelta64[m]")
    seen = assess + rng.integers(0, 180, rows).astype("timedelta64[m]")
    departed = seen + rng.integers(10, 600, rows).astype("timedelta64[m]")
    ages = rng.integers(0, 100, rows)
    ids = np.char.add("A", np.arange(rows).astype(str))
    # defects: 0.3% negative ages, 0.3% departure before arrival, 0.2% duplicate ids, 0.2% blank ids
    u = rng.random(rows)
    ages = np.where(u < 0.003, -1, ages)
    departed = np.where((u >= 0.003) & (u < 0.006), arrival - np.timedelta64(5, "m"), departed)
    dup = (u >= 0.006) & (u < 0.008)
    ids = np.where(dup, "A0", ids)
    ids_obj = ids.astype(object)
    ids_obj[(u >= 0.008) & (u < 0.010)] = None
    modes = np.array(["ambulance", "walk_in", "police", "other"])[rng.integers(0, 4, rows)]
    disposals = np.array(["admitted", "discharged", "referred", "transferred"])[rng.integers(0, 4, rows)]
    return pa.table(
        {
            "attendance_id": pa.array(ids_obj, pa.string()),
            "org_code": pa.array(np.full(rows, "ZFV")),
            "site_code": pa.array(np.full(rows, "ZFV01")),
            "department_type": pa.array(rng.integers(1, 4, rows)),
            "arrival_at": pa.array(arrival.astype("datetime64[us]")),
            "initial_assessment_at": pa.array(assess.astype("datetime64[us]")),
            "clinician_seen_at": pa.array(seen.astype("datetime64[us]")),
            "departed_at": pa.array(departed.astype("datetime64[us]")),
            "arrival_mode": pa.array(modes),
            "acuity": pa.array(rng.integers(1, 6, rows)),
            "age": pa.array(ages),
            "disposal": pa.array(disposals),
        }
    )


@contextmanager
def peak_rss():
    """Yields a one-item list that holds, on exit, the peak RSS (GB) seen while the block ran."""
    process, done = psutil.Process(), threading.Event()
    peak = [process.memory_info().rss / 1e9]
    start = peak[0]

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss / 1e9)
            done.wait(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()
        peak.append(start)  # peak[1]: RSS when the block began (what the process held already)


def main() -> None:
    from wardwatch.ingest import load

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--memory-limit", default="2GB", help="passed to the load and to DuckDB's own copy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        table = ed_table(args.rows)
        if args.format == "parquet":
            pq.write_table(table, folder / "ed_attendances.parquet")
        else:
            pacsv.write_csv(table, folder / "ed_attendances.csv")
        del table  # measure the load, not the generator, in peak memory
        print(f"generated {args.rows:,} rows ({args.format}) in {time.perf_counter() - t0:.1f} s")
        if args.format == "parquet":
            copy = duckdb.connect(str(folder / "copy.duckdb"))
            copy.execute(f"SET memory_limit = '{args.memory_limit}'")
            copy.execute(f"SET temp_directory = '{folder / 'spill'}'")
            with peak_rss() as peak:
                t0 = time.perf_counter()
                copy.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{folder / 'ed_attendances.parquet'}')")
                copy.close()
                floor = time.perf_counter() - t0
            (folder / "copy.duckdb").unlink()
            print(f"DuckDB's own CREATE TABLE AS SELECT: {floor:.1f} s wall, peak RSS {peak[0]:.2f} GB "
                  f"(from {peak[1]:.2f} GB at its start)")
        db = folder / "wh.duckdb"
        for attempt in ("first load", "re-load"):
            with peak_rss() as peak:
                t0, c0 = time.perf_counter(), time.process_time()
                item = load(folder, db, memory_limit=args.memory_limit)["ed_attendances"]
                seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            # CPU seconds (all threads) as well as wall time: on a shared machine wall time varies
            ratio = f" ({seconds / floor:.1f}x DuckDB's copy)" if args.format == "parquet" else ""
            print(
                f"{attempt}: {seconds:.1f} s wall{ratio}, {cpu:.1f} s CPU, peak RSS {peak[0]:.2f} GB "
                f"(from {peak[1]:.2f} GB)  "
                f"read={item.read:,} loaded={item.loaded:,} added={item.added:,} "
                f"quarantined={item.quarantined:,} reasons={dict(item.reasons)}"
            )


if __name__ == "__main__":
    main()
