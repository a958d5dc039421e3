"""Benchmark: time `wardwatch load-published` for every shipped file and a large A&E monthly file.

Not a test (no timed assertions): run it by hand and record the figures in docs/performance.md.

    PYTHONPATH=src .venv/bin/python benchmarks/published.py --ae-rows 1000000

For each KIND: seconds to read and check the file (``prepare``), to write it into a new DuckDB
warehouse, and to write it again (an idempotent reload). The large file is the shipped monthly A&E
file repeated with made-up organisation codes (``Z0001`` ...) so that every row stays unique.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from wardwatch.published import SAMPLES, preparer, sample_path, write
from wardwatch.warehouse import connect_duckdb


def big_ae_file(rows: int, folder: Path) -> Path:
    base = pd.read_csv(sample_path("ae-monthly"), dtype=str)
    copies = -(-rows // len(base))
    parts = []
    for k in range(copies):
        part = base.copy()
        part["org_code"] = part["org_code"].str.slice(0, 3) + f"{k:02d}" if k else part["org_code"]
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True).drop_duplicates(["period", "org_code", "type"]).head(rows)
    path = folder / "ae_big.csv"
    frame.to_csv(path, index=False)
    return path


def time_kind(kind: str, path: Path, db: Path) -> tuple[int, float, float, float]:
    t0 = time.perf_counter()
    result = preparer(kind)(path)
    t1 = time.perf_counter()
    con = connect_duckdb(db)
    write(con, result)
    t2 = time.perf_counter()
    write(con, result)
    t3 = time.perf_counter()
    con.disconnect()
    return result.read, t1 - t0, t2 - t1, t3 - t2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ae-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"{'kind':<14}{'rows':>10}{'check s':>10}{'write s':>10}{'reload s':>10}")
        for kind in SAMPLES:
            rows, check, first, again = time_kind(kind, sample_path(kind), folder / f"{kind}.duckdb")
            print(f"{kind:<14}{rows:>10}{check:>10.2f}{first:>10.2f}{again:>10.2f}")
        big = big_ae_file(args.ae_rows, folder)
        rows, check, first, again = time_kind("ae-monthly", big, folder / "big.duckdb")
        print(f"{'ae-monthly big':<14}{rows:>10}{check:>10.2f}{first:>10.2f}{again:>10.2f}")


if __name__ == "__main__":
    main()
